//! Yes/no questions in front of everything else: quit with unsaved
//! changes, restore the draft, delete a profile.

use super::App;
use super::profiles::ProfileState;
use crate::app::file_requests::StoreRequest;
use crate::frames::NoteLevel;
use crate::profile::draft::Draft;

/// A yes/no question in front of everything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    /// Quitting with unsaved changes to a named profile.
    Quit,
    /// A draft from the last run was found.
    RestoreDraft(Box<Draft>),
    /// Closing a tab whose connection is live.
    CloseTab,
    /// A flow that begins by listening, started on a connection already
    /// open: what it listens for (the greeting) may have gone by.
    FlowOnOpenConnection(crate::app::file_requests::LoadedFlow),
}

/// An answer to a [`Confirm`] or a delete confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
    /// "Save first", where that is offered.
    Save,
}

impl App {
    pub(super) fn confirm_answer(&mut self, answer: Answer) {
        if let Some(picker) = &mut self.picker
            && let Some(name) = picker.confirm_delete.take()
        {
            if answer == Answer::Yes {
                self.shared.store_outbox.push(StoreRequest::Delete { name });
            }
            return;
        }
        match (self.confirm.take(), answer) {
            (Some(Confirm::Quit), Answer::Yes) => self.quit = true,
            (Some(Confirm::CloseTab), Answer::Yes | Answer::Save) => self.close_tab(),
            (Some(Confirm::FlowOnOpenConnection(flow)), Answer::Yes) => {
                self.notify(
                    NoteLevel::Info,
                    format!("flow {}: reconnecting; it starts once open (F5 cancels)", flow.0.name),
                );
                self.tabs.active_mut().pending_flow = Some(flow);
                self.connect();
            }
            (Some(Confirm::FlowOnOpenConnection(flow)), Answer::Save) => {
                self.tabs
                    .active_mut()
                    .run_flow(flow, std::time::Instant::now(), &mut self.shared);
            }
            (Some(Confirm::FlowOnOpenConnection(flow)), Answer::No) => {
                self.notify(NoteLevel::Info, format!("flow {} not run", flow.0.name));
            }
            (Some(Confirm::Quit), Answer::Save) => {
                self.tabs.active_mut().profile.quit_after_save = true;
                self.save_profile();
            }
            (Some(Confirm::RestoreDraft(draft)), Answer::Yes | Answer::Save) => {
                self.fill_panes(&draft.request);
                self.tabs.active_mut().profile = ProfileState {
                    name: draft.profile.clone(),
                    saved: None,
                    extras: draft.request.clone(),
                    quit_after_save: false,
                };
                if let Some(name) = draft.profile {
                    // The profile's saved state is fetched so "unsaved" is judged against it.
                    self.shared.store_outbox.push(StoreRequest::Open { name });
                    self.restoring_draft = Some(draft.request);
                }
                if draft.dropped_secrets.is_empty() {
                    self.notify(NoteLevel::Success, "draft restored");
                } else {
                    // Secrets are never written to the draft (see `draft`).
                    self.report_profile_warning(&format!(
                        "draft restored without its secrets, which are never autosaved: type {} again",
                        draft.dropped_secrets.join(", ")
                    ));
                }
            }
            (Some(Confirm::RestoreDraft(_)), Answer::No) => {
                self.shared.store_outbox.push(StoreRequest::DiscardDraft);
                self.notify(NoteLevel::Info, "draft discarded");
            }
            (other, _) => self.confirm = other.filter(|_| answer != Answer::No),
        }
    }

    /// Quit, unless that would leave a named profile's changes unsaved.
    pub(super) fn request_quit(&mut self) {
        let named = self.tabs.active_mut().profile.name.is_some();
        if self.confirm == Some(Confirm::Quit) || !named || !self.tabs.active().has_unsaved_changes() {
            self.quit = true;
        } else {
            self.confirm = Some(Confirm::Quit);
        }
    }
}
