//! Profiles in the app: saving, opening, the picker, environments, message
//! history, the draft, and the confirmations around them. File work is only
//! requested here (see [`StoreRequest`]); its results come back through
//! [`App::on_store_reply`].

use ratatui_textarea::TextArea;

use super::{App, Focus, editor};
use crate::conn::request::{RequestError, ResolvedRequest};
use crate::conn::{ConnCommand, Outgoing};
use crate::frames::NoteLevel;
use crate::profile::curl;
use crate::profile::draft::Draft;
use crate::profile::history;
use crate::profile::resolve::{ResolveError, resolve_request};
use crate::profile::service::{StoreReply, StoreRequest};
use crate::profile::store::validate_name;
use crate::profile::vars::{Environments, Resolver};
use crate::profile::{Profile, SavedMessage};

/// What a one-line prompt is asking for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptPurpose {
    SaveAs,
    Rename {
        from: String,
    },
    Duplicate {
        from: String,
    },
    ImportCurl,
    /// A name for the composer's text, kept with the profile.
    MessageName,
    /// A regex or `jq:` expression narrowing the frames view.
    Filter,
    /// A regex to find in the frames view.
    Search,
    /// A file to export frames to.
    Export {
        filtered: bool,
    },
    /// A close code and reason to send.
    CloseFrame,
    /// Seconds between scheduled sends.
    Schedule,
}

impl PromptPurpose {
    /// The prompt's title.
    pub fn title(&self) -> String {
        match self {
            Self::SaveAs => "Save profile as".into(),
            Self::Rename { from } => format!("Rename profile {from:?} to"),
            Self::Duplicate { from } => format!("Duplicate profile {from:?} as"),
            Self::ImportCurl => "Paste a curl command (e.g. a browser's Copy as cURL)".into(),
            Self::MessageName => "Name for this message".into(),
            Self::Filter => "Filter: a regex, or jq: EXPR (e.g. jq: .type == \"trade\")".into(),
            Self::Search => "Search (regex)".into(),
            Self::Export { filtered: true } => "Export the filtered frames to (.ndjson or .har)".into(),
            Self::Export { filtered: false } => "Export every frame held to (.ndjson or .har)".into(),
            Self::CloseFrame => "Close with code and reason, e.g. 4000 done".into(),
            Self::Schedule => "Send the message every N seconds".into(),
        }
    }
}

/// A one-line text prompt.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub purpose: PromptPurpose,
    pub input: TextArea<'static>,
}

impl Prompt {
    pub(super) fn new_curl() -> Self {
        Self::new(PromptPurpose::ImportCurl, "")
    }

    pub(super) fn new_message_name() -> Self {
        Self::new(PromptPurpose::MessageName, "")
    }

    /// A prompt pre-filled with `text`.
    pub(super) fn with_text(purpose: PromptPurpose, text: &str) -> Self {
        Self::new(purpose, text)
    }

    fn new(purpose: PromptPurpose, text: &str) -> Self {
        let mut input = editor(text);
        super::show_cursor(&mut input, true);
        Self { purpose, input }
    }

    /// The text typed so far.
    pub fn text(&self) -> String {
        self.input.lines().join("")
    }

    /// What is wrong with the text, checked as the user types.
    pub fn problem(&self) -> Option<String> {
        match self.purpose {
            PromptPurpose::ImportCurl => None,
            PromptPurpose::MessageName => self.text().trim().is_empty().then(|| "the name is empty".to_string()),
            PromptPurpose::Filter | PromptPurpose::Search | PromptPurpose::CloseFrame | PromptPurpose::Schedule => None,
            PromptPurpose::Export { .. } => self
                .text()
                .trim()
                .is_empty()
                .then(|| "the file name is empty".to_string()),
            _ => validate_name(&self.text()).err().map(|e| e.to_string()),
        }
    }
}

/// The profile picker.
#[derive(Debug, Clone)]
pub struct Picker {
    pub filter: TextArea<'static>,
    pub profiles: Vec<(String, Profile)>,
    /// Profiles whose files could not be read, with the reason.
    pub unreadable: Vec<(String, String)>,
    /// Index into [`Picker::visible`].
    pub selected: usize,
    /// Set while asking whether to delete the selected profile.
    pub confirm_delete: Option<String>,
    pub loading: bool,
}

impl Picker {
    fn new() -> Self {
        let mut filter = editor("");
        filter.set_placeholder_text("type to filter");
        super::show_cursor(&mut filter, true);
        Self {
            filter,
            profiles: Vec::new(),
            unreadable: Vec::new(),
            selected: 0,
            confirm_delete: None,
            loading: true,
        }
    }

    /// Profiles whose name or URL contains the filter, case-insensitively.
    pub fn visible(&self) -> Vec<&(String, Profile)> {
        let needle = self.filter.lines().join("").to_lowercase();
        self.profiles
            .iter()
            .filter(|(name, p)| {
                needle.is_empty() || name.to_lowercase().contains(&needle) || p.url.to_lowercase().contains(&needle)
            })
            .collect()
    }

    /// The selected profile's name.
    pub fn selected_name(&self) -> Option<String> {
        self.visible().get(self.selected).map(|(name, _)| name.clone())
    }

    fn clamp(&mut self) {
        self.selected = self.selected.min(self.visible().len().saturating_sub(1));
    }
}

/// A yes/no question in front of everything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    /// Quitting with unsaved changes to a named profile.
    Quit,
    /// A draft from the last run was found.
    RestoreDraft(Box<Draft>),
}

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
    /// The request as a profile, with the panes as they are now.
    pub fn current_profile(&self) -> Profile {
        Profile {
            url: self.url_text(),
            message: self.message_text(),
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

    /// Whether there is work that exists nowhere but on screen.
    pub fn has_unsaved_changes(&self) -> bool {
        let current = self.current_profile();
        match &self.profile.saved {
            Some(saved) => &current != saved,
            None => !current.is_blank(),
        }
    }

    /// Puts a profile in the panes, as opened from the picker or `-p`.
    pub fn open_profile(&mut self, name: &str, profile: Profile, history: Vec<String>) {
        self.fill_panes(&profile);
        if let Some(seconds) = profile.schedule_secs
            && let Err(error) = self.start_schedule(&seconds.to_string(), std::time::Instant::now())
        {
            self.notify(NoteLevel::Error, format!("schedule_secs: {error}"));
        }
        if let Some(pair_by) = &profile.pair_by {
            match super::pairing::PairKey::parse(pair_by) {
                Ok(key) => self.pairing = super::pairing::Pairing::new(key),
                Err(error) => self.notify(NoteLevel::Error, error),
            }
        }
        if let Some(reconnect) = profile.reconnect {
            self.reconnect = reconnect;
            self.outbox.push(ConnCommand::SetReconnect(reconnect));
        }
        self.profile = ProfileState {
            name: Some(name.to_string()),
            saved: Some(profile.clone()),
            extras: profile,
            quit_after_save: false,
        };
        self.history = HistoryState {
            entries: history,
            ..HistoryState::default()
        };
        self.log_note(
            std::time::SystemTime::now(),
            NoteLevel::Info,
            &format!("opened profile {name}"),
        );
    }

    fn fill_panes(&mut self, profile: &Profile) {
        self.url = editor(&profile.url);
        self.url.set_placeholder_text("ws://host:port/path");
        self.message = editor(&profile.message);
        self.params.rows = profile.params.clone();
        self.params.selected = 0;
        self.headers.rows = profile.headers.clone();
        self.headers.selected = 0;
        self.revalidate_request();
        self.refresh_message_status();
        self.sync_cursors();
    }

    /// Shows an error about a profile that could not be used, in the log
    /// (where it stays) and the footer.
    pub fn report_profile_warning(&mut self, text: &str) {
        self.log_note(std::time::SystemTime::now(), NoteLevel::Warning, text);
        self.notify(NoteLevel::Warning, text);
    }

    pub fn report_profile_error(&mut self, text: &str) {
        self.log_note(std::time::SystemTime::now(), NoteLevel::Error, text);
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
        self.resolver = Resolver::new(environment);
        self.revalidate_request();
    }

    /// Store requests queued since the last call.
    pub fn take_store_requests(&mut self) -> Vec<StoreRequest> {
        std::mem::take(&mut self.store_outbox)
    }

    /// A draft write if the request changed since the last one, so a crash
    /// or a killed terminal loses at most a few seconds of typing.
    pub fn autosave_request(&mut self) -> Option<StoreRequest> {
        if !self.has_unsaved_changes() {
            return None;
        }
        let current = self.current_profile();
        if self.last_draft.as_ref() == Some(&current) {
            return None;
        }
        self.last_draft = Some(current.clone());
        Some(StoreRequest::SaveDraft {
            profile: self.profile.name.clone(),
            request: current,
        })
    }

    /// What to write on the way out: the draft if anything is unsaved.
    pub fn exit_requests(&self) -> Vec<StoreRequest> {
        if self.has_unsaved_changes() {
            vec![StoreRequest::SaveDraft {
                profile: self.profile.name.clone(),
                request: self.current_profile(),
            }]
        } else {
            vec![StoreRequest::DiscardDraft]
        }
    }

    pub(super) fn save_profile(&mut self) {
        match self.profile.name.clone() {
            Some(name) => self.store_outbox.push(StoreRequest::Save {
                name,
                profile: self.current_profile(),
                overwrite: true,
            }),
            None => self.prompt = Some(Prompt::new(PromptPurpose::SaveAs, "")),
        }
    }

    pub(super) fn open_picker(&mut self) {
        self.picker = Some(Picker::new());
        self.store_outbox.push(StoreRequest::List);
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
        let next = match self.resolver.environment_name() {
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

    /// Resolves variables and builds the request, or says what is missing.
    pub(super) fn resolved_request(&self) -> Result<ResolvedRequest, ResolveError> {
        resolve_request(&self.current_profile(), &self.resolver, self.proxy_override.as_deref())
    }

    pub(super) fn send_text(&mut self, text: String, remember: bool) {
        match self.resolver.resolve(&text, "the message") {
            Ok(resolved) => {
                self.outbox.push(ConnCommand::Send(Outgoing::Text(resolved)));
                if remember {
                    history::push(&mut self.history.entries, &text);
                    self.history.position = None;
                    self.store_outbox.push(StoreRequest::SaveHistory {
                        profile: self.profile.name.clone(),
                        history: self.history.entries.clone(),
                    });
                }
            }
            Err(error) => self.notify(NoteLevel::Error, format!("not sent: {error}")),
        }
    }

    /// Sends the profile's on-connect messages; called when a connection opens.
    pub(super) fn send_on_connect(&mut self) {
        for message in self.profile.extras.on_connect.clone() {
            self.send_text(message, false);
        }
    }

    /// Steps through the history; `older` goes back in time.
    pub(super) fn browse_history(&mut self, older: bool) -> bool {
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
        self.refresh_message_status();
        true
    }

    pub(super) fn prompt_confirm(&mut self) {
        let Some(prompt) = self.prompt.take() else { return };
        let text = prompt.text();
        if let PromptPurpose::ImportCurl = prompt.purpose {
            match curl::parse(&text) {
                Ok(import) => {
                    let profile = Profile {
                        message: self.message_text(),
                        ..import.profile
                    };
                    self.fill_panes(&profile);
                    self.profile = ProfileState::default();
                    self.picker = None;
                    let mut text = "imported the curl command; Ctrl-S saves it as a profile".to_string();
                    if !import.notes.is_empty() {
                        text = format!("{text} ({})", import.notes.join("; "));
                    }
                    self.notify(NoteLevel::Success, text);
                }
                Err(error) => {
                    self.notify(NoteLevel::Error, format!("cannot import: {error}"));
                    self.prompt = Some(prompt);
                }
            }
            return;
        }
        if let Some(problem) = prompt.problem() {
            self.notify(NoteLevel::Error, problem);
            self.prompt = Some(prompt);
            return;
        }
        let checked = match &prompt.purpose {
            PromptPurpose::Filter => Some(self.apply_filter_text(&text)),
            PromptPurpose::Search => Some(self.apply_search_text(&text)),
            PromptPurpose::CloseFrame => Some(self.close_with(&text)),
            PromptPurpose::Schedule => Some(self.start_schedule(&text, std::time::Instant::now())),
            PromptPurpose::Export { filtered } => {
                self.export_to(&text, *filtered);
                Some(Ok(()))
            }
            _ => None,
        };
        if let Some(result) = checked {
            if let Err(error) = result {
                // The previous filter stays; the prompt stays open to fix it.
                self.notify(NoteLevel::Error, error);
                self.prompt = Some(prompt);
            }
            return;
        }
        match prompt.purpose {
            PromptPurpose::SaveAs => self.store_outbox.push(StoreRequest::Save {
                name: text,
                profile: self.current_profile(),
                overwrite: false,
            }),
            PromptPurpose::Rename { from } => self.store_outbox.push(StoreRequest::Rename { from, to: text }),
            PromptPurpose::Duplicate { from } => self.store_outbox.push(StoreRequest::Duplicate { from, to: text }),
            PromptPurpose::MessageName => {
                let name = text.trim().to_string();
                let body = self.message_text();
                let saved = &mut self.profile.extras.saved_messages;
                match saved.iter_mut().find(|m| m.name == name) {
                    Some(existing) => existing.body = body,
                    None => saved.push(SavedMessage {
                        name: name.clone(),
                        body,
                    }),
                }
                self.notify(
                    NoteLevel::Success,
                    format!("kept message {name}; Ctrl-S saves the profile"),
                );
            }
            PromptPurpose::ImportCurl
            | PromptPurpose::Filter
            | PromptPurpose::Search
            | PromptPurpose::Export { .. }
            | PromptPurpose::CloseFrame
            | PromptPurpose::Schedule => {}
        }
    }

    pub(super) fn prompt_cancel(&mut self) {
        self.prompt = None;
        self.profile.quit_after_save = false;
    }

    pub(super) fn picker_move(&mut self, delta: isize) {
        if let Some(picker) = &mut self.picker {
            picker.selected = picker.selected.saturating_add_signed(delta);
            picker.clamp();
        }
    }

    pub(super) fn picker_open(&mut self) {
        let Some(name) = self.picker.as_ref().and_then(Picker::selected_name) else {
            return;
        };
        self.picker = None;
        self.store_outbox.push(StoreRequest::Open { name });
    }

    pub(super) fn picker_prompt(&mut self, make: fn(String) -> PromptPurpose) {
        if let Some(name) = self.picker.as_ref().and_then(Picker::selected_name) {
            self.prompt = Some(Prompt::new(make(name.clone()), &name));
        }
    }

    pub(super) fn picker_delete(&mut self) {
        if let Some(picker) = &mut self.picker {
            picker.confirm_delete = picker.selected_name();
        }
    }

    pub(super) fn confirm_answer(&mut self, answer: Answer) {
        if let Some(picker) = &mut self.picker
            && let Some(name) = picker.confirm_delete.take()
        {
            if answer == Answer::Yes {
                self.store_outbox.push(StoreRequest::Delete { name });
            }
            return;
        }
        match (self.confirm.take(), answer) {
            (Some(Confirm::Quit), Answer::Yes) => self.quit = true,
            (Some(Confirm::Quit), Answer::Save) => {
                self.profile.quit_after_save = true;
                self.save_profile();
            }
            (Some(Confirm::RestoreDraft(draft)), Answer::Yes | Answer::Save) => {
                self.fill_panes(&draft.request);
                self.profile = ProfileState {
                    name: draft.profile.clone(),
                    saved: None,
                    extras: draft.request.clone(),
                    quit_after_save: false,
                };
                if let Some(name) = draft.profile {
                    // The profile's saved state is fetched so "unsaved" is judged against it.
                    self.store_outbox.push(StoreRequest::Open { name });
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
                self.store_outbox.push(StoreRequest::DiscardDraft);
                self.notify(NoteLevel::Info, "draft discarded");
            }
            (other, _) => self.confirm = other.filter(|_| answer != Answer::No),
        }
    }

    /// Applies the result of a store request.
    pub fn on_store_reply(&mut self, reply: StoreReply) {
        match reply {
            StoreReply::Saved { name, profile, path } => {
                self.profile.name = Some(name.clone());
                self.profile.saved = Some(profile);
                self.notify(NoteLevel::Success, format!("saved profile {name} ({path})"));
                if std::mem::take(&mut self.profile.quit_after_save) {
                    self.quit = true;
                }
            }
            StoreReply::Opened { name, profile, history } => match self.restoring_draft.take() {
                // Opened only to learn the saved state behind a restored draft.
                Some(draft) => {
                    self.profile.saved = Some(profile);
                    self.profile.extras = draft;
                    self.history.entries = history;
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
                if self.profile.name.as_deref() == Some(from.as_str()) {
                    self.profile.name = Some(to.clone());
                }
                self.notify(NoteLevel::Success, format!("renamed {from} to {to}"));
                self.refresh_picker();
            }
            StoreReply::Duplicated { to } => {
                self.notify(NoteLevel::Success, format!("duplicated as {to}"));
                self.refresh_picker();
            }
            StoreReply::Deleted { name } => {
                if self.profile.name.as_deref() == Some(name.as_str()) {
                    // The request stays on screen, now as unsaved work.
                    self.profile.name = None;
                    self.profile.saved = None;
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
            StoreReply::FileRead { path, bytes } => self.send_file(&path, bytes),
            StoreReply::FileSize { path, size } => {
                let current =
                    matches!(&self.binary_status, Some(Ok(super::compose::BinaryInput::File(p))) if *p == path);
                if current {
                    self.file_info = Some((path, size));
                }
            }
            StoreReply::Wrote { path, what } => self.notify(NoteLevel::Success, format!("exported {what} to {path}")),
            StoreReply::Failed { action, error } => {
                self.profile.quit_after_save = false;
                self.restoring_draft = None;
                self.report_profile_error(&format!("cannot {action}: {error}"));
            }
        }
    }

    fn refresh_picker(&mut self) {
        if self.picker.is_some() {
            self.store_outbox.push(StoreRequest::List);
        }
    }

    /// Quit, unless that would leave a named profile's changes unsaved.
    pub(super) fn request_quit(&mut self) {
        let named = self.profile.name.is_some();
        if self.confirm == Some(Confirm::Quit) || !named || !self.has_unsaved_changes() {
            self.quit = true;
        } else {
            self.confirm = Some(Confirm::Quit);
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

/// An answer to a [`Confirm`] or a delete confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
    /// "Save first", where that is offered.
    Save,
}

impl App {
    /// Lays command-line values over what is in the panes: a URL or message
    /// replaces, params and headers are added.
    pub fn apply_command_line(&mut self, given: super::InitialRequest) {
        let mut profile = self.current_profile();
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

/// One line of the messages list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageEntry {
    /// Index into the profile's saved messages.
    Saved(usize),
    /// Index into the history (newest shown first).
    History(usize),
}

/// The saved-messages and history list (F2).
#[derive(Debug, Clone, Default)]
pub struct MessagesList {
    pub selected: usize,
}

impl App {
    /// Saved messages first, then the history, newest first.
    pub fn message_entries(&self) -> Vec<MessageEntry> {
        let saved = (0..self.profile.extras.saved_messages.len()).map(MessageEntry::Saved);
        let history = (0..self.history.entries.len()).rev().map(MessageEntry::History);
        saved.chain(history).collect()
    }

    /// The text of an entry.
    pub fn message_entry_text(&self, entry: &MessageEntry) -> &str {
        match entry {
            MessageEntry::Saved(i) => &self.profile.extras.saved_messages[*i].body,
            MessageEntry::History(i) => &self.history.entries[*i],
        }
    }

    /// Whether a saved message is sent on every connect.
    pub fn is_on_connect(&self, index: usize) -> bool {
        let body = &self.profile.extras.saved_messages[index].body;
        self.profile.extras.on_connect.contains(body)
    }

    fn selected_message(&self) -> Option<MessageEntry> {
        let selected = self.messages.as_ref()?.selected;
        self.message_entries().get(selected).cloned()
    }

    pub(super) fn messages_move(&mut self, delta: isize) {
        let count = self.message_entries().len();
        if let Some(list) = &mut self.messages {
            list.selected = list.selected.saturating_add_signed(delta).min(count.saturating_sub(1));
        }
    }

    pub(super) fn messages_load(&mut self) {
        let Some(entry) = self.selected_message() else { return };
        let text = self.message_entry_text(&entry).to_string();
        self.message = editor(&text);
        self.refresh_message_status();
        self.messages = None;
        self.focus = Focus::Message;
    }

    pub(super) fn messages_delete(&mut self) {
        if let Some(MessageEntry::Saved(i)) = self.selected_message() {
            let removed = self.profile.extras.saved_messages.remove(i);
            self.profile.extras.on_connect.retain(|m| *m != removed.body);
            self.messages_move(0);
            self.notify(
                NoteLevel::Info,
                format!("removed message {}; Ctrl-S saves the profile", removed.name),
            );
        } else {
            self.notify(NoteLevel::Warning, "only saved messages can be removed");
        }
    }

    pub(super) fn messages_toggle_on_connect(&mut self) {
        let Some(MessageEntry::Saved(i)) = self.selected_message() else {
            self.notify(
                NoteLevel::Warning,
                "save the message first (s), then mark it to send on connect",
            );
            return;
        };
        let body = self.profile.extras.saved_messages[i].body.clone();
        let on_connect = &mut self.profile.extras.on_connect;
        if let Some(position) = on_connect.iter().position(|m| *m == body) {
            on_connect.remove(position);
        } else {
            on_connect.push(body);
        }
    }
}
