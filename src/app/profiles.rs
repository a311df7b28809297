//! Profiles in the app: saving, opening, environments, message history
//! and the draft. File work is only
//! requested here (see [`StoreRequest`]); its results come back through
//! [`App::on_store_reply`].

use super::{App, Confirm, Focus, Picker, Prompt, PromptPurpose, Session, Shared, editor};

use crate::app::file_requests::{StoreReply, StoreRequest};
use crate::conn::ConnCommand;
use crate::frames::NoteLevel;
use crate::profile::Profile;
use crate::profile::draft::Draft;
use crate::profile::resolve::ResolveError;
use crate::profile::vars::{Environments, Resolver};
use crate::request::RequestError;

/// The open profile and what the panes do not show.
#[derive(Debug, Clone, Default)]
pub struct ProfileState {
    /// The profile's name, once saved or opened.
    pub name: Option<String>,
    /// The request as last saved or opened, to tell whether it changed.
    pub saved: Option<Profile>,
    /// Fields with no pane of their own, carried through saves.
    pub extras: Profile,
    /// Quit as soon as the pending save succeeds.
    pub quit_after_save: bool,
}

/// Sent-message history and the position while browsing it.
#[derive(Debug, Clone, Default)]
pub struct HistoryState {
    pub entries: Vec<String>,
    /// Index being shown while browsing with Up/Down.
    pub position: Option<usize>,
    /// The unsent text, restored when browsing goes past the newest entry.
    pub stash: String,
}

impl App {
    /// Puts a profile in the panes, as opened from the picker or `-p`.
    pub fn open_profile(&mut self, name: &str, profile: Profile, history: Vec<String>) {
        self.fill_panes(&profile);
        if let Some(seconds) = profile.schedule_secs
            && let Err(error) =
                self.tabs
                    .active_mut()
                    .start_schedule(&seconds.to_string(), std::time::Instant::now(), &mut self.shared)
        {
            self.notify(NoteLevel::Error, format!("schedule_secs: {error}"));
        }
        if let Some(pair_by) = &profile.pair_by {
            match super::pairing::PairKey::parse(pair_by) {
                Ok(key) => self.tabs.active_mut().pairing = super::pairing::Pairing::new(key),
                Err(error) => self.notify(NoteLevel::Error, error),
            }
        }
        if let Some(reconnect) = profile.reconnect {
            self.tabs.active_mut().reconnect = reconnect;
            self.tabs.active_mut().outbox.push(ConnCommand::SetReconnect(reconnect));
        }
        self.tabs.active_mut().profile = ProfileState {
            name: Some(name.to_string()),
            saved: Some(profile.clone()),
            extras: profile,
            quit_after_save: false,
        };
        self.tabs.active_mut().history = HistoryState {
            entries: history,
            ..HistoryState::default()
        };
        self.tabs.active_mut().log_note(
            std::time::SystemTime::now(),
            NoteLevel::Info,
            &format!("opened profile {name}"),
            &mut self.shared,
        );
    }

    /// Shows `request` in the panes as an unsaved request (a workspace's
    /// tab of its own).
    pub fn load_request(&mut self, request: Profile) {
        self.fill_panes(&request);
        self.tabs.active_mut().profile.extras = request;
    }

    pub(super) fn fill_panes(&mut self, profile: &Profile) {
        self.tabs.active_mut().fill_panes(profile, &mut self.shared);
        self.sync_cursors();
    }

    /// Shows an error about a profile that could not be used, in the log
    /// (where it stays) and the footer.
    pub fn report_profile_warning(&mut self, text: &str) {
        self.tabs
            .active_mut()
            .log_note(std::time::SystemTime::now(), NoteLevel::Warning, text, &mut self.shared);
        self.notify(NoteLevel::Warning, text);
    }

    pub fn report_profile_error(&mut self, text: &str) {
        self.tabs
            .active_mut()
            .log_note(std::time::SystemTime::now(), NoteLevel::Error, text, &mut self.shared);
        self.notify(NoteLevel::Error, text);
    }

    /// Offers a draft from the last run back to the user.
    pub fn offer_draft(&mut self, draft: Draft) {
        if !draft.request.is_blank() {
            self.confirm = Some(Confirm::RestoreDraft(Box::new(draft)));
        }
    }

    /// Sets the environments and the active one (by name).
    pub fn set_environments(&mut self, environments: Environments, active: Option<&str>) {
        let environment = active.and_then(|name| environments.get(name).map(|vars| (name.to_string(), vars.clone())));
        self.environments = environments;
        self.shared.resolver = Resolver::new(environment);
        self.revalidate_request();
    }

    /// Store requests queued since the last call.
    pub fn take_store_requests(&mut self) -> Vec<StoreRequest> {
        std::mem::take(&mut self.shared.store_outbox)
    }

    /// A draft write if the request changed since the last one, so a crash
    /// or a killed terminal loses at most a few seconds of typing.
    pub fn autosave_request(&mut self) -> Option<StoreRequest> {
        if !self.has_draft() {
            return None;
        }
        let current = self.tabs.active().current_profile();
        if self.last_draft.as_ref() == Some(&current) {
            return None;
        }
        self.last_draft = Some(current.clone());
        Some(StoreRequest::SaveDraft {
            profile: self.tabs.active_mut().profile.name.clone(),
            request: current,
        })
    }

    /// Whether the shown tab holds unsaved work worth a draft. A captured
    /// connection's panes are the client's request (its cookies and tokens
    /// too), not the user's: they never go to a file unasked.
    fn has_draft(&self) -> bool {
        self.tabs.active().capture.is_none() && self.tabs.active().has_unsaved_changes()
    }

    /// What to write on the way out: the draft if anything is unsaved.
    pub fn exit_requests(&self) -> Vec<StoreRequest> {
        let mut requests = if self.has_draft() {
            vec![StoreRequest::SaveDraft {
                profile: self.tabs.active().profile.name.clone(),
                request: self.tabs.active().current_profile(),
            }]
        } else {
            vec![StoreRequest::DiscardDraft]
        };
        if let Some(name) = &self.workspace_name {
            requests.push(StoreRequest::SaveWorkspace {
                name: name.clone(),
                workspace: self.workspace(),
            });
        }
        requests
    }

    pub(super) fn save_profile(&mut self) {
        match self.tabs.active_mut().profile.name.clone() {
            Some(name) => self.shared.store_outbox.push(StoreRequest::Save {
                name,
                profile: self.tabs.active().current_profile(),
                overwrite: true,
            }),
            None => self.prompt = Some(Prompt::new(PromptPurpose::SaveAs, "")),
        }
    }

    pub(super) fn open_picker(&mut self) {
        self.picker = Some(Picker::new());
        self.shared.store_outbox.push(StoreRequest::List);
    }

    pub(super) fn next_environment(&mut self) {
        let names: Vec<&String> = self.environments.keys().collect();
        if names.is_empty() {
            self.notify(
                NoteLevel::Warning,
                "no environments: add them to environments.json in the config directory",
            );
            return;
        }
        let next = match self.shared.resolver.environment_name() {
            None => Some(names[0].clone()),
            Some(current) => {
                let i = names.iter().position(|n| n.as_str() == current);
                i.and_then(|i| names.get(i + 1)).map(|n| (*n).clone())
            }
        };
        let shown = next.clone().unwrap_or_else(|| "none".to_string());
        let environments = std::mem::take(&mut self.environments);
        self.set_environments(environments, next.as_deref());
        self.notify(NoteLevel::Info, format!("environment: {shown}"));
    }

    /// Applies the result of a store request.
    pub fn on_store_reply(&mut self, reply: StoreReply) {
        match reply {
            StoreReply::FlowLoaded(loaded) => self.start_flow(loaded, std::time::Instant::now()),
            StoreReply::Saved { name, profile, path } => {
                self.tabs.active_mut().profile.name = Some(name.clone());
                self.tabs.active_mut().profile.saved = Some(profile);
                self.notify(NoteLevel::Success, format!("saved profile {name} ({path})"));
                if std::mem::take(&mut self.tabs.active_mut().profile.quit_after_save) {
                    self.quit = true;
                }
            }
            StoreReply::Opened { name, profile, history } => match self.restoring_draft.take() {
                // Opened only to learn the saved state behind a restored draft.
                Some(draft) => {
                    self.tabs.active_mut().profile.saved = Some(profile);
                    self.tabs.active_mut().profile.extras = draft;
                    self.tabs.active_mut().history.entries = history;
                }
                None => {
                    self.open_profile(&name, profile, history);
                    self.notify(NoteLevel::Success, format!("opened profile {name}; Ctrl-O connects"));
                }
            },
            StoreReply::Listed { profiles, unreadable } => {
                if let Some(picker) = &mut self.picker {
                    picker.profiles = profiles;
                    picker.unreadable = unreadable;
                    picker.loading = false;
                    picker.clamp();
                }
            }
            StoreReply::Renamed { from, to } => {
                if self.tabs.active_mut().profile.name.as_deref() == Some(from.as_str()) {
                    self.tabs.active_mut().profile.name = Some(to.clone());
                }
                self.notify(NoteLevel::Success, format!("renamed {from} to {to}"));
                self.refresh_picker();
            }
            StoreReply::Duplicated { to } => {
                self.notify(NoteLevel::Success, format!("duplicated as {to}"));
                self.refresh_picker();
            }
            StoreReply::Deleted { name } => {
                if self.tabs.active_mut().profile.name.as_deref() == Some(name.as_str()) {
                    // The request stays on screen, now as unsaved work.
                    self.tabs.active_mut().profile.name = None;
                    self.tabs.active_mut().profile.saved = None;
                }
                self.notify(NoteLevel::Success, format!("deleted profile {name}"));
                self.refresh_picker();
            }
            StoreReply::Done => {}
            StoreReply::DraftSaved(Ok(())) => self.draft_error = None,
            StoreReply::DraftSaved(Err(error)) => {
                // Once per failure streak: autosave retries every few seconds.
                if self.draft_error.is_none() {
                    self.report_profile_error(&format!("cannot save the draft: {error}"));
                }
                self.draft_error = Some(error);
            }
            StoreReply::FileRead { path, bytes } => self.tabs.active_mut().send_file(&path, bytes, &mut self.shared),
            StoreReply::FileSize { path, size } => {
                let current = matches!(&self.tabs.active_mut().binary_status, Some(Ok(super::compose::BinaryInput::File(p))) if *p == path);
                if current {
                    self.tabs.active_mut().file_info = Some((path, size));
                }
            }
            StoreReply::Wrote { path, what } => self.notify(NoteLevel::Success, format!("exported {what} to {path}")),
            StoreReply::FlowSaved { path, what } => self.notify(NoteLevel::Success, format!("saved {what} as {path}")),
            StoreReply::Failed { action, error } => {
                self.tabs.active_mut().profile.quit_after_save = false;
                self.restoring_draft = None;
                self.report_profile_error(&format!("cannot {action}: {error}"));
            }
        }
    }

    /// Sets focus where a connect problem is.
    pub(super) fn focus_problem(&mut self, error: &ResolveError) {
        if let ResolveError::Request(error) = error {
            self.focus = match error {
                RequestError::Url(_) => Focus::Url,
                RequestError::Param(_) => Focus::Params,
                RequestError::Header(_) => Focus::Headers,
            };
            let row = match error {
                RequestError::Param(p) | RequestError::Header(p) => Some(p.row() - 1),
                RequestError::Url(_) => None,
            };
            if let Some(row) = row {
                self.with_table(|t| t.selected = row);
            }
        }
    }
}

impl App {
    /// Lays command-line values over what is in the panes: a URL or message
    /// replaces, params and headers are added.
    pub fn apply_command_line(&mut self, given: super::InitialRequest) {
        let mut profile = self.tabs.active().current_profile();
        if !given.url.is_empty() {
            profile.url = given.url;
        }
        if !given.message.is_empty() {
            profile.message = given.message;
        }
        profile.params.extend(given.params);
        profile.headers.extend(given.headers);
        self.fill_panes(&profile);
    }
}

impl Session {
    /// The request as a profile, with the panes as they are now.
    pub fn current_profile(&self) -> Profile {
        Profile {
            message: self.message_text(),
            ..self.current_profile_but_message()
        }
    }

    /// [`App::current_profile`] with an empty message: comparing the rest
    /// stays cheap when the composer holds megabytes.
    fn current_profile_but_message(&self) -> Profile {
        Profile {
            url: self.url_text(),
            message: String::new(),
            params: self.params.rows.clone(),
            headers: self.headers.rows.clone(),
            // Written only once it differs from "off", so toggling it back
            // does not leave a profile looking changed.
            reconnect: match (self.reconnect, self.profile.extras.reconnect) {
                (true, _) => Some(true),
                (false, Some(_)) => Some(false),
                (false, None) => None,
            },
            ..self.profile.extras.clone()
        }
    }

    /// Whether there is work that exists nowhere but on screen. Asked at
    /// every draw: the message is compared in place, not copied.
    pub fn has_unsaved_changes(&self) -> bool {
        let rest = self.current_profile_but_message();
        match &self.profile.saved {
            Some(saved) => !rest.same_but_message(saved) || !self.message_is(&saved.message),
            None => !rest.is_blank() || self.message.lines().iter().any(|l| !l.trim().is_empty()),
        }
    }

    /// Whether the composer holds exactly `text`.
    fn message_is(&self, text: &str) -> bool {
        let mut rest = text;
        for (i, line) in self.message.lines().iter().enumerate() {
            if i > 0 {
                match rest.strip_prefix('\n') {
                    Some(after) => rest = after,
                    None => return false,
                }
            }
            match rest.strip_prefix(line.as_str()) {
                Some(after) => rest = after,
                None => return false,
            }
        }
        rest.is_empty()
    }
}

impl Session {
    /// Puts a request's URL, message, params and headers in the panes.
    pub(super) fn fill_panes(&mut self, profile: &Profile, shared: &mut Shared) {
        self.url = editor(&profile.url);
        self.url.set_placeholder_text("ws://host:port/path");
        self.message = editor(&profile.message);
        self.params.rows = profile.params.clone();
        self.params.selected = 0;
        self.headers.rows = profile.headers.clone();
        self.headers.selected = 0;
        self.revalidate_request(&shared.resolver);
        self.refresh_message_status(shared);
    }

    /// Steps the composer through the history; `older` goes back in time.
    /// Whether there was history to step through.
    pub(super) fn browse_history(&mut self, older: bool, shared: &mut Shared) -> bool {
        let len = self.history.entries.len();
        if len == 0 {
            return false;
        }
        let next = match (self.history.position, older) {
            (None, true) => {
                self.history.stash = self.message_text();
                Some(len - 1)
            }
            (None, false) => return false,
            (Some(0), true) => Some(0),
            (Some(i), true) => Some(i - 1),
            (Some(i), false) if i + 1 < len => Some(i + 1),
            (Some(_), false) => None,
        };
        self.history.position = next;
        let text = match next {
            Some(i) => self.history.entries[i].clone(),
            None => std::mem::take(&mut self.history.stash),
        };
        self.message = editor(&text);
        self.refresh_message_status(shared);
        true
    }
}
