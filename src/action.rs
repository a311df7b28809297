//! Everything a user can ask wscope to do. The keymap maps keys to these, and
//! the app carries them out.
//!
//! May import: nothing from this crate.

/// A user intent, independent of the key that triggered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Leave wscope, restoring the terminal.
    Quit,
    /// Show the next tab.
    NextTab,
    /// Show the previous tab.
    PreviousTab,
    /// Open a blank tab.
    NewTab,
    /// Close the tab (asks first while connected).
    CloseTab,
    /// Show every tab's frames in one timeline, or the tab's own.
    ToggleTimeline,
    /// Open the stats view: rate, message types, latency, sizes, gaps.
    Stats,
    /// In the stats view: the next table (types, sizes, gaps).
    StatsNextTable,
    /// In the stats view: the previous table.
    StatsPreviousTable,
    /// In the stats view: the previous row.
    StatsUp,
    /// In the stats view: the next row.
    StatsDown,
    /// In the stats view: narrow the frames to the row (a type or a size),
    /// or jump to the frame that ended a silence.
    StatsShowFrames,
    /// In the stats view: group types by a jq expression.
    StatsGroupBy,
    /// In the stats view: frames per second, or bytes.
    StatsToggleBytes,
    /// In the stats view: show a shorter stretch of time.
    StatsZoomIn,
    /// In the stats view: show a longer stretch of time.
    StatsZoomOut,
    /// In the stats view: move the chart back in time.
    StatsEarlier,
    /// In the stats view: move the chart forward in time.
    StatsLater,
    /// Close the stats view.
    StatsClose,
    /// Show the next tab's frames beside this tab's, or not.
    ToggleSplit,
    /// Send the composer's message from every connected tab.
    SendToAll,
    /// Run a flow file on the open connection, or stop the one running.
    ToggleFlow,
    /// Save the session's sent messages and replies as a flow file.
    SaveFlow,
    /// Show or hide the key help overlay.
    ToggleHelp,
    /// Close the help overlay.
    CloseHelp,
    /// Scroll the help overlay up.
    HelpUp,
    /// Scroll the help overlay down.
    HelpDown,
    HelpPageUp,
    HelpPageDown,
    /// Move focus to the next pane.
    FocusNext,
    /// Move focus to the previous pane.
    FocusPrevious,
    /// Focus the URL pane.
    FocusUrl,
    /// Focus the Message pane.
    FocusMessage,
    /// Focus the Params pane.
    FocusParams,
    /// Focus the Headers pane.
    FocusHeaders,
    /// Focus the Frames pane.
    FocusFrames,
    /// Connect (or reconnect) with the request as it is now.
    Connect,
    /// Connect when disconnected; disconnect when connected or connecting.
    ToggleConnection,
    /// Send the Message pane's text as a text frame.
    Send,
    /// On a captured connection, send the Message pane's text to the
    /// client, as if from the server.
    SendToClient,
    /// On a captured connection, choose which frames to hold (or none).
    Intercept,
    /// Drop the held frame in the composer.
    DropHeld,
    /// Forward every held frame as it is.
    ForwardAllHeld,
    /// Forget the frames shown so far (counters are kept).
    ClearFrames,
    /// Scroll the frames log up one row.
    ScrollUp,
    /// Scroll the frames log down one row.
    ScrollDown,
    /// Scroll the frames log up one page.
    PageUp,
    /// Scroll the frames log down one page.
    PageDown,
    /// Jump to the oldest frame held.
    ScrollTop,
    /// Jump to the newest frame and follow new ones.
    ScrollBottom,
    /// Select the previous row of a table.
    RowUp,
    /// Select the next row of a table.
    RowDown,
    /// Add a row to a table and edit it.
    RowAdd,
    /// Edit the selected row.
    RowEdit,
    /// Delete the selected row.
    RowDelete,
    /// Enable or disable the selected row.
    RowToggle,
    /// Show or hide the values of sensitive headers.
    ToggleSecrets,
    /// In the row editor: move to the next field.
    EditNextField,
    /// In the row editor: move to the previous field.
    EditPreviousField,
    /// In the row editor: keep the row.
    EditCommit,
    /// In the row editor: drop the changes.
    EditCancel,
    /// Save the request as a profile (asks for a name the first time).
    SaveProfile,
    /// Open the profile picker.
    OpenProfiles,
    /// Switch to the next environment (or none).
    NextEnvironment,
    /// In a prompt: accept the text.
    PromptConfirm,
    /// In a prompt: cancel.
    PromptCancel,
    /// In the picker: select the previous profile.
    PickerUp,
    /// In the picker: select the next profile.
    PickerDown,
    /// In the picker: open the selected profile.
    PickerOpen,
    /// In the picker: rename the selected profile.
    PickerRename,
    /// In the picker: copy the selected profile under a new name.
    PickerDuplicate,
    /// In the picker: delete the selected profile (asks first).
    PickerDelete,
    /// In the picker: import a curl command as the request.
    PickerImportCurl,
    /// Close the picker.
    PickerClose,
    /// Answer yes to a question.
    ConfirmYes,
    /// Answer no to a question.
    ConfirmNo,
    /// Save first, where a question offers it.
    ConfirmSave,
    /// Turn automatic reconnecting on or off.
    ToggleReconnect,
    /// Show or hide the keep-alives a protocol answers by itself.
    ToggleKeepalives,
    /// Send the message as a Socket.IO emit that asks for an ack.
    SendAskingAck,
    /// Open the GraphQL operations list.
    OpenOperations,
    /// Select the previous operation.
    OperationsUp,
    /// Select the next operation.
    OperationsDown,
    /// Stop the selected operation (`complete`, or legacy `stop`).
    OperationsStop,
    /// Close the operations list.
    OperationsClose,
    /// Open the list of connections `wscope proxy` captured.
    OpenConnections,
    /// In the connections list: select the previous connection.
    ConnectionsUp,
    /// In the connections list: select the next connection.
    ConnectionsDown,
    /// In the connections list: move a page up.
    ConnectionsPageUp,
    /// In the connections list: move a page down.
    ConnectionsPageDown,
    /// In the connections list: show the selected connection as a tab.
    ConnectionsShow,
    /// In the connections list: forget every closed connection.
    ConnectionsClear,
    /// Close the connections list.
    ConnectionsClose,
    /// Show the selected frame in full.
    OpenDetail,
    /// Close the detail view.
    DetailClose,
    /// Scroll the detail view up a line.
    DetailUp,
    /// Scroll the detail view down a line.
    DetailDown,
    /// Scroll the detail view up a page.
    DetailPageUp,
    /// Scroll the detail view down a page.
    DetailPageDown,
    /// Search the detail view's payload.
    DetailSearch,
    /// The next line the detail search matches.
    DetailSearchNext,
    /// Jump to the first line of the detail view.
    DetailTop,
    /// Jump to the last page of the detail view.
    DetailBottom,
    /// Cycle how binary payloads are shown: hex, base64, UTF-8.
    DetailView,
    /// Show the previous frame in the detail view.
    DetailPrevious,
    /// Show the next frame in the detail view.
    DetailNext,
    /// Copy the selected frame's payload to the clipboard (OSC 52).
    Copy,
    /// Send the selected sent frame again.
    Resend,
    /// Acknowledge the selected message (STOMP's ACK on a client-ack
    /// subscription).
    AckMessage,
    /// Refuse the selected message (STOMP's NACK).
    NackMessage,
    /// Put the selected frame's payload in the composer.
    LoadIntoComposer,
    /// Edit the regex or jq filter.
    EditFilter,
    /// Cycle the direction filter: all, sent, received.
    CycleDirection,
    /// Cycle the kind filter: all, text, binary, control.
    CycleKind,
    /// Remove every filter and the search.
    ClearFilter,
    /// Search the frames for a regex.
    Search,
    /// Select the next search hit.
    SearchNext,
    /// Select the previous search hit.
    SearchPrevious,
    /// Export every frame held.
    ExportAll,
    /// Export the frames the filter shows.
    ExportFiltered,
    /// Send a ping with the composer's text as payload.
    SendPing,
    /// Send a close frame with a chosen code and reason.
    SendClose,
    /// Let the focused pane fill the screen, or not.
    ToggleZoom,
    /// Cycle how the composer's text is sent: text, hex, base64.
    CycleSendMode,
    /// Edit the message in `$VISUAL` / `$EDITOR`.
    OpenEditor,
    /// Send the message every N seconds, or stop doing so.
    ToggleSchedule,
    /// Open the saved messages and history.
    OpenMessages,
    /// In the messages list: select the previous entry.
    MessagesUp,
    /// In the messages list: select the next entry.
    MessagesDown,
    /// In the messages list: put the entry in the composer.
    MessagesLoad,
    /// In the messages list: keep the composer's text as a named message.
    MessagesSaveCurrent,
    /// In the messages list: remove the selected saved message.
    MessagesDelete,
    /// In the messages list: send the selected saved message on every connect, or stop.
    MessagesToggleOnConnect,
    /// Close the messages list.
    MessagesClose,
}
