//! Carrying out an [`Action`]: the key map's verbs, one match.

use super::kv_table::{KvTable, TableKind};
use super::row_editor::RowEditor;
use super::*;

impl App {
    /// Carries out one action.
    pub fn update(&mut self, action: Action) {
        if self.timeline_update(&action) {
            return;
        }
        match action {
            Action::Quit => self.request_quit(),
            Action::ToggleHelp => self.show_help = !self.show_help,
            Action::CloseHelp => self.show_help = false,
            Action::HelpUp => self.help_scroll = self.help_scroll.saturating_sub(1),
            Action::HelpDown => self.help_scroll = (self.help_scroll + 1).min(40),
            Action::FocusNext => self.focus = self.focus.step(true),
            Action::FocusPrevious => self.focus = self.focus.step(false),
            Action::FocusUrl => self.focus = Focus::Url,
            Action::FocusMessage => self.focus = Focus::Message,
            Action::FocusParams => self.focus = Focus::Params,
            Action::FocusHeaders => self.focus = Focus::Headers,
            Action::FocusFrames => self.focus = Focus::Frames,
            Action::Connect => self.connect(),
            Action::ToggleConnection => {
                if self.is_live() {
                    self.disconnect();
                } else {
                    self.connect();
                }
            }
            Action::Send => self.send(),
            Action::ClearFrames => {
                self.session.frames.clear();
                self.session.matches = Matches::default();
                self.session.frames_view.follow();
            }
            Action::ScrollUp => self.with_view(|view, visible| view.select_by(visible, -1)),
            Action::ScrollDown => self.with_view(|view, visible| view.select_by(visible, 1)),
            Action::PageUp => self.with_view(|view, visible| view.page(visible, -1)),
            Action::PageDown => self.with_view(|view, visible| view.page(visible, 1)),
            Action::ScrollTop => self.with_view(|view, visible| view.to_top(visible)),
            Action::ScrollBottom => self.session.frames_view.follow(),
            Action::OpenDetail => self.open_detail(),
            Action::DetailClose => self.session.detail = None,
            Action::DetailUp => self.detail_scroll(-1),
            Action::DetailDown => self.detail_scroll(1),
            Action::DetailPageUp => self.detail_scroll(-2),
            Action::DetailPageDown => self.detail_scroll(2),
            Action::DetailTop => self.detail_jump(false),
            Action::DetailSearch => self.prompt = Some(Prompt::new(PromptPurpose::DetailSearch, "")),
            Action::DetailSearchNext => self.detail_search_next(),
            Action::DetailBottom => self.detail_jump(true),
            Action::DetailView => self.detail_cycle_view(),
            Action::DetailPrevious => self.detail_step(-1),
            Action::DetailNext => self.detail_step(1),
            Action::Copy => self.copy_selected(),
            Action::Resend => self.resend_selected(),
            Action::LoadIntoComposer => self.load_selected(),
            Action::EditFilter => self.edit_filter(),
            Action::CycleDirection => self.cycle_direction_filter(),
            Action::CycleKind => self.cycle_kind_filter(),
            Action::ClearFilter => self.clear_filter(),
            Action::Search => self.prompt = Some(Prompt::with_text(PromptPurpose::Search, "")),
            Action::SearchNext => self.search_step(true),
            Action::SearchPrevious => self.search_step(false),
            Action::ExportAll => self.start_export(false),
            Action::ExportFiltered => self.start_export(true),
            Action::SendPing => self.send_ping(),
            Action::SendClose => self.prompt = Some(Prompt::with_text(PromptPurpose::CloseFrame, "1000 ")),
            Action::ToggleZoom => self.zoom = !self.zoom,
            Action::OpenEditor => self.edit_request = Some(self.message_text()),
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
                self.session.send_mode = self.session.send_mode.next();
                self.refresh_message_status();
                self.notify(
                    NoteLevel::Info,
                    format!("the composer sends {}", self.session.send_mode.name()),
                );
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
                self.session.reconnect = !self.session.reconnect;
                self.session
                    .outbox
                    .push(ConnCommand::SetReconnect(self.session.reconnect));
                let state = if self.session.reconnect { "on" } else { "off" };
                self.notify(NoteLevel::Info, format!("auto-reconnect {state}"));
            }
            Action::ToggleKeepalives => {
                self.session.show_keepalives = !self.session.show_keepalives;
                self.session
                    .outbox
                    .push(ConnCommand::ShowKeepalives(self.session.show_keepalives));
                let state = if self.session.show_keepalives {
                    "shown from now on"
                } else {
                    "hidden (and counted)"
                };
                self.notify(NoteLevel::Info, format!("protocol keep-alives {state}"));
            }
            Action::SendAskingAck => {
                if self.protocol().kind == crate::protocol::ProtocolKind::SocketIo {
                    self.session.ack_next = true;
                    self.send();
                    self.session.ack_next = false;
                } else {
                    self.notify(
                        NoteLevel::Warning,
                        "acks are Socket.IO's: connect with --protocol socketio; nothing was sent",
                    );
                }
            }
            Action::OpenMessages => self.messages = Some(MessagesList::default()),
            Action::OpenOperations => {
                if self.protocol().kind == crate::protocol::ProtocolKind::GraphQl {
                    // The newest operation is the one most likely wanted.
                    self.operations_list = Some(self.session.operations.len().saturating_sub(1));
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
            Focus::Params => Some(&self.session.params),
            Focus::Headers => Some(&self.session.headers),
            _ => None,
        }
    }

    pub(super) fn with_table(&mut self, change: impl FnOnce(&mut KvTable)) {
        let table = match self.focus {
            Focus::Params => &mut self.session.params,
            Focus::Headers => &mut self.session.headers,
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
            TableKind::Params => &mut self.session.params,
            TableKind::Headers => &mut self.session.headers,
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
        match self.resolved_request() {
            Ok(request) => {
                self.reload_payload_decoder();
                self.session.filter.decode = crate::decode::FrameDecoder {
                    text: request.protocol.decoder(),
                    binary: self.session.payloads.clone(),
                };
                // Socket.IO acks pair with their emits, unless the profile
                // names its own key.
                if request.protocol.kind == crate::protocol::ProtocolKind::SocketIo
                    && self.session.profile.extras.pair_by.is_none()
                {
                    self.session.pairing = super::pairing::Pairing::new(super::pairing::PairKey::SocketIoAck);
                }
                self.session.last_request = Some(request.clone());
                self.session.outbox.push(ConnCommand::Connect(request));
            }
            Err(error) => {
                self.focus_problem(&error);
                self.notify(NoteLevel::Error, format!("cannot connect: {error}"));
            }
        }
    }

    fn disconnect(&mut self) {
        self.session.outbox.push(ConnCommand::Close {
            code: 1000,
            reason: String::new(),
        });
    }

    fn operations_move(&mut self, delta: isize) {
        let last = self.session.operations.len().saturating_sub(1);
        if let Some(selected) = &mut self.operations_list {
            *selected = selected.saturating_add_signed(delta).min(last);
        }
    }

    /// Stops the selected operation, if it still runs.
    fn stop_operation(&mut self) {
        let Some(operation) = self.operations_list.and_then(|i| self.session.operations.get(i)) else {
            return;
        };
        if operation.state != crate::protocol::graphql::OperationState::Running {
            let note = format!("operation #{} is already {}", operation.id, operation.state.label());
            self.notify(NoteLevel::Info, note);
            return;
        }
        let ConnState::Open { protocol, .. } = &self.session.connection.state else {
            self.notify(NoteLevel::Warning, "not connected: nothing to stop");
            return;
        };
        let stop = crate::protocol::graphql::stop_message(&operation.id, protocol.as_deref());
        self.session
            .outbox
            .push(ConnCommand::Send(crate::conn::Outgoing::Text(stop)));
    }

    fn send(&mut self) {
        match self.session.connection.state {
            ConnState::Open { .. } => self.send_composed(),
            ConnState::Connecting { .. } => self.notify(NoteLevel::Warning, "still connecting; nothing was sent"),
            _ => self.notify(NoteLevel::Warning, "not connected: Ctrl-O connects, then Ctrl-J sends"),
        }
    }
}
