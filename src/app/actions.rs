//! Carrying out an [`Action`]: the key map's verbs, one match.

use super::connections_list::CONNECTIONS_PAGE;
use super::kv_table::{KvTable, TableKind};
use super::row_editor::RowEditor;
use super::*;

/// Rows PageUp and PageDown move the help by.
const HELP_PAGE: u16 = 10;

impl App {
    /// How far down the help may scroll: its rows unwrapped (a title and a
    /// gap a section, a row a binding), with room for the descriptions that
    /// wrap on a narrow screen. The drawing stops at the list's end.
    fn help_scroll_limit(&self) -> u16 {
        let rows = crate::keymap::SCOPE_ORDER
            .iter()
            .map(|scope| self.keymap.bindings_in(*scope).count() + 2)
            .sum::<usize>();
        u16::try_from(rows + rows / 4).unwrap_or(u16::MAX)
    }

    /// Opens or closes the help, which opens unsearched at the top.
    fn set_help(&mut self, shown: bool) {
        self.show_help = shown;
        self.help_scroll = 0;
        self.help_query.clear();
    }

    /// Carries out one action.
    pub fn update(&mut self, action: Action) {
        if self.timeline_update(&action) {
            return;
        }
        match action {
            Action::Quit => self.request_quit(),
            Action::ToggleHelp => self.set_help(!self.show_help),
            Action::CloseHelp => self.set_help(false),
            Action::HelpUp => self.help_scroll = self.help_scroll.saturating_sub(1),
            Action::HelpDown => self.help_scroll = self.help_scroll.saturating_add(1).min(self.help_scroll_limit()),
            Action::HelpPageUp => self.help_scroll = self.help_scroll.saturating_sub(HELP_PAGE),
            Action::HelpPageDown => {
                self.help_scroll = self.help_scroll.saturating_add(HELP_PAGE).min(self.help_scroll_limit());
            }
            Action::FocusNext => self.focus = self.focus.step(true),
            Action::FocusPrevious => self.focus = self.focus.step(false),
            Action::FocusUrl => self.focus = Focus::Url,
            Action::FocusMessage => self.focus = Focus::Message,
            Action::FocusParams => self.focus = Focus::Params,
            Action::FocusHeaders => self.focus = Focus::Headers,
            Action::FocusFrames => self.focus = Focus::Frames,
            Action::Connect => self.connect(),
            Action::ToggleConnection => {
                if self.tabs.active().is_live() {
                    self.tabs.active_mut().disconnect();
                } else {
                    self.connect();
                }
            }
            Action::Send => self.send(),
            Action::SendToClient => self.send_to_client(),
            Action::Intercept => self.ask_intercept(),
            Action::DropHeld => self.drop_held(),
            Action::ForwardAllHeld => self.release_all_held(),
            Action::ClearFrames => {
                let session = self.tabs.active_mut();
                session.frames.clear();
                session.matches = Matches::default();
                session.frames_view.follow();
            }
            Action::ScrollUp => self
                .tabs
                .active_mut()
                .with_view(|view, visible| view.select_by(visible, -1)),
            Action::ScrollDown => self
                .tabs
                .active_mut()
                .with_view(|view, visible| view.select_by(visible, 1)),
            Action::PageUp => self.tabs.active_mut().with_view(|view, visible| view.page(visible, -1)),
            Action::PageDown => self.tabs.active_mut().with_view(|view, visible| view.page(visible, 1)),
            Action::ScrollTop => self
                .tabs
                .active_mut()
                .with_view(|view, visible| view.jump_to_top(visible)),
            Action::ScrollBottom => self.tabs.active_mut().frames_view.follow(),
            Action::OpenDetail => self.tabs.active_mut().open_detail(&mut self.shared),
            Action::DetailClose => self.tabs.active_mut().detail = None,
            Action::DetailUp => self.tabs.active_mut().detail_scroll(-1),
            Action::DetailDown => self.tabs.active_mut().detail_scroll(1),
            Action::DetailPageUp => self.tabs.active_mut().detail_scroll(-2),
            Action::DetailPageDown => self.tabs.active_mut().detail_scroll(2),
            Action::DetailTop => self.tabs.active_mut().detail_jump(false),
            Action::DetailSearch => self.prompt = Some(Prompt::new(PromptPurpose::DetailSearch, "")),
            Action::DetailSearchNext => self.tabs.active_mut().detail_search_next(&mut self.shared),
            Action::DetailBottom => self.tabs.active_mut().detail_jump(true),
            Action::DetailView => self.tabs.active_mut().detail_cycle_view(&mut self.shared),
            Action::DetailPrevious => self.tabs.active_mut().detail_step(-1, &mut self.shared),
            Action::DetailNext => self.tabs.active_mut().detail_step(1, &mut self.shared),
            Action::Copy => self.tabs.active_mut().copy_selected(&mut self.shared),
            Action::Resend => self.tabs.active_mut().resend_selected(&mut self.shared),
            Action::AckMessage => self.tabs.active_mut().acknowledge_selected(true, &mut self.shared),
            Action::NackMessage => self.tabs.active_mut().acknowledge_selected(false, &mut self.shared),
            Action::LoadIntoComposer => self.load_selected(),
            Action::EditFilter => self.edit_filter(),
            Action::CycleDirection => self.tabs.active_mut().cycle_direction_filter(&mut self.shared),
            Action::CycleKind => self.tabs.active_mut().cycle_kind_filter(&mut self.shared),
            Action::ClearFilter => self.tabs.active_mut().clear_filter(&mut self.shared),
            Action::Search => self.prompt = Some(Prompt::with_text(PromptPurpose::Search, "")),
            Action::SearchNext => self.tabs.active_mut().search_step(true, &mut self.shared),
            Action::SearchPrevious => self.tabs.active_mut().search_step(false, &mut self.shared),
            Action::ExportAll => self.start_export(false),
            Action::ExportFiltered => self.start_export(true),
            Action::SendPing => self.tabs.active_mut().send_ping(&mut self.shared),
            Action::SendClose => self.prompt = Some(Prompt::with_text(PromptPurpose::CloseFrame, "1000 ")),
            Action::ToggleZoom => self.zoom = !self.zoom,
            Action::OpenEditor => self.edit_request = Some(self.tabs.active().message_text()),
            Action::ToggleSchedule => self.toggle_schedule(),
            Action::ToggleFlow => self.toggle_flow(),
            Action::NextTab => self.switch_tab(true),
            Action::PreviousTab => self.switch_tab(false),
            Action::NewTab => {
                self.new_tab();
                self.focus = super::Focus::Url;
                self.sync_cursors();
            }
            Action::CloseTab => self.ask_close_tab(),
            Action::ToggleTimeline => self.toggle_timeline(),
            Action::ToggleSplit => self.toggle_split(),
            Action::SendToAll => self.send_to_all(),
            Action::SaveFlow => self.ask_save_flow(),
            Action::CycleSendMode => {
                let session = self.tabs.active_mut();
                session.send_mode = session.send_mode.next();
                let mode = session.send_mode.name();
                self.refresh_message_status();
                self.notify(NoteLevel::Info, format!("the composer sends {mode}"));
            }
            Action::RowUp => self.with_table(|t| t.move_selection(-1)),
            Action::RowDown => self.with_table(|t| t.move_selection(1)),
            Action::RowToggle => self.with_table(KvTable::toggle_selected),
            Action::RowDelete => self.with_table(|t| {
                t.delete_selected();
            }),
            Action::RowAdd => {
                if let Some(table) = self.focused_table() {
                    self.row_editor = Some(RowEditor::new(table.kind, None, None));
                }
            }
            Action::RowEdit => {
                if let Some(table) = self.focused_table() {
                    self.row_editor = Some(match table.selected_row() {
                        Some(row) => RowEditor::new(table.kind, Some(table.selected), Some(row)),
                        None => RowEditor::new(table.kind, None, None),
                    });
                }
            }
            Action::ToggleSecrets => self.reveal_secrets = !self.reveal_secrets,
            Action::EditNextField => self.with_editor(|e| e.cycle(false)),
            Action::EditPreviousField => self.with_editor(|e| e.cycle(true)),
            Action::EditCancel => self.row_editor = None,
            Action::EditCommit => self.commit_row(),
            Action::SaveProfile => self.save_profile(),
            Action::OpenProfiles => self.open_picker(),
            Action::NextEnvironment => self.next_environment(),
            Action::PromptConfirm => self.prompt_confirm(),
            Action::PromptCancel => self.prompt_cancel(),
            Action::PickerUp => self.picker_move(-1),
            Action::PickerDown => self.picker_move(1),
            Action::PickerOpen => self.picker_open(),
            Action::PickerRename => self.picker_prompt(|from| PromptPurpose::Rename { from }),
            Action::PickerDuplicate => self.picker_prompt(|from| PromptPurpose::Duplicate { from }),
            Action::PickerDelete => self.picker_delete(),
            Action::PickerImportCurl => self.prompt = Some(Prompt::new_curl()),
            Action::PickerClose => self.picker = None,
            Action::ConfirmYes => self.confirm_answer(Answer::Yes),
            Action::ConfirmNo => self.confirm_answer(Answer::No),
            Action::ConfirmSave => self.confirm_answer(Answer::Save),
            Action::ToggleReconnect => {
                let session = self.tabs.active_mut();
                session.reconnect = !session.reconnect;
                session.outbox.push(ConnCommand::SetReconnect(session.reconnect));
                let state = if session.reconnect { "on" } else { "off" };
                self.notify(NoteLevel::Info, format!("auto-reconnect {state}"));
            }
            Action::ToggleKeepalives => {
                let session = self.tabs.active_mut();
                session.show_keepalives = !session.show_keepalives;
                session
                    .outbox
                    .push(ConnCommand::ShowKeepalives(session.show_keepalives));
                let state = if session.show_keepalives {
                    "shown from now on"
                } else {
                    "hidden (and counted)"
                };
                self.notify(NoteLevel::Info, format!("protocol keep-alives {state}"));
            }
            Action::SendAskingAck => {
                if self.tabs.active().protocol().kind.has_acks() {
                    self.tabs.active_mut().ack_next = true;
                    self.send();
                    self.tabs.active_mut().ack_next = false;
                } else {
                    self.notify(
                        NoteLevel::Warning,
                        "acks are Socket.IO's: connect with --protocol socketio; nothing was sent",
                    );
                }
            }
            Action::OpenMessages => self.messages = Some(MessagesList::default()),
            Action::Stats => self.open_stats(),
            Action::StatsNextTable
            | Action::StatsPreviousTable
            | Action::StatsUp
            | Action::StatsDown
            | Action::StatsShowFrames
            | Action::StatsGroupBy
            | Action::StatsToggleBytes
            | Action::StatsZoomIn
            | Action::StatsZoomOut
            | Action::StatsEarlier
            | Action::StatsLater
            | Action::StatsClose => {
                self.stats_update(action);
            }
            Action::OpenOperations => {
                if self.tabs.active().protocol().kind.has_operations() {
                    // The newest operation is the one most likely wanted.
                    self.operations_list = Some(self.tabs.active().operations.len().saturating_sub(1));
                } else {
                    self.notify(
                        NoteLevel::Warning,
                        "operations are GraphQL's: connect with --protocol graphql",
                    );
                }
            }
            Action::OperationsUp => self.operations_move(-1),
            Action::OperationsDown => self.operations_move(1),
            Action::OperationsStop => self.stop_operation(),
            Action::OperationsClose => self.operations_list = None,
            Action::OpenConnections => self.open_connections(),
            Action::ConnectionsUp => self.connections_move(-1),
            Action::ConnectionsDown => self.connections_move(1),
            Action::ConnectionsPageUp => self.connections_move(-CONNECTIONS_PAGE),
            Action::ConnectionsPageDown => self.connections_move(CONNECTIONS_PAGE),
            Action::ConnectionsShow => self.show_selected_connection(),
            Action::ConnectionsClear => self.clear_closed_connections(),
            Action::ConnectionsClose => self.connections_list = None,
            Action::MessagesUp => self.messages_move(-1),
            Action::MessagesDown => self.messages_move(1),
            Action::MessagesLoad => self.messages_load(),
            Action::MessagesSaveCurrent => self.prompt = Some(Prompt::new_message_name()),
            Action::MessagesDelete => self.messages_delete(),
            Action::MessagesToggleOnConnect => self.messages_toggle_on_connect(),
            Action::MessagesClose => self.messages = None,
        }
    }

    fn focused_table(&self) -> Option<&KvTable> {
        match self.focus {
            Focus::Params => Some(&self.tabs.active().params),
            Focus::Headers => Some(&self.tabs.active().headers),
            _ => None,
        }
    }

    pub(super) fn with_table(&mut self, change: impl FnOnce(&mut KvTable)) {
        let table = match self.focus {
            Focus::Params => &mut self.tabs.active_mut().params,
            Focus::Headers => &mut self.tabs.active_mut().headers,
            _ => return,
        };
        change(table);
        self.revalidate_request();
    }

    fn with_editor(&mut self, change: impl FnOnce(&mut RowEditor)) {
        if let Some(editor) = &mut self.row_editor {
            change(editor);
        }
    }

    fn commit_row(&mut self) {
        let Some(editor) = self.row_editor.take() else { return };
        let row = editor.row();
        let table = match editor.table {
            TableKind::Params => &mut self.tabs.active_mut().params,
            TableKind::Headers => &mut self.tabs.active_mut().headers,
        };
        let is_blank = row.key.trim().is_empty() && row.value.is_empty() && row.description.is_empty();
        if is_blank && editor.index.is_none() {
            return;
        }
        table.upsert(editor.index, row);
        if let Some(problem) = editor.problem() {
            // Kept anyway, so nothing typed is lost; connect will refuse it.
            self.notify(NoteLevel::Warning, format!("row kept, but {problem}"));
        }
        self.revalidate_request();
    }

    pub(super) fn connect(&mut self) {
        if let Err(error) = self.tabs.active_mut().connect(&mut self.shared) {
            self.focus_problem(&error);
            self.notify(NoteLevel::Error, format!("cannot connect: {error}"));
        }
    }

    fn operations_move(&mut self, delta: isize) {
        let last = self.tabs.active().operations.len().saturating_sub(1);
        if let Some(selected) = &mut self.operations_list {
            *selected = selected.saturating_add_signed(delta).min(last);
        }
    }

    /// Stops the selected operation, if it still runs.
    fn stop_operation(&mut self) {
        let Some(operation) = self.operations_list.and_then(|i| self.tabs.active().operations.get(i)) else {
            return;
        };
        if operation.state != crate::protocol::graphql::OperationState::Running {
            let note = format!("operation #{} is already {}", operation.id, operation.state.label());
            self.notify(NoteLevel::Info, note);
            return;
        }
        let ConnState::Open { protocol, .. } = &self.tabs.active().connection.state else {
            self.notify(NoteLevel::Warning, "not connected: nothing to stop");
            return;
        };
        let stop = crate::protocol::graphql::stop_message(&operation.id, protocol.as_deref());
        self.tabs
            .active_mut()
            .outbox
            .push(ConnCommand::Send(crate::conn::Outgoing::Text(stop)));
    }

    fn send(&mut self) {
        self.tabs.active_mut().send(&mut self.shared);
    }
}
