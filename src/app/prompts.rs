//! One-line prompts (save as, rename, filter, search, export, close,
//! schedule, curl import) and what their answers do.

use ratatui_textarea::TextArea;

use super::profiles::ProfileState;
use super::{App, editor};
use crate::app::file_requests::StoreRequest;
use crate::frames::NoteLevel;
use crate::profile::curl;
use crate::profile::store::validate_name;
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
    /// A regex to find in the open detail view.
    DetailSearch,
    /// A file to export frames to.
    Export {
        filtered: bool,
    },
    /// A close code and reason to send.
    CloseFrame,
    /// Seconds between scheduled sends.
    Schedule,
    /// A name to save the session as a flow under.
    SaveFlow,
    /// A flow to run: a name in the flows folder, or a path.
    RunFlow,
    /// Which frames a captured tab holds.
    Intercept,
    /// How the stats view groups types.
    GroupBy,
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
            Self::DetailSearch => "Search this payload (regex)".into(),
            Self::Export { filtered: true } => "Export the filtered frames to (.ndjson or .har)".into(),
            Self::Export { filtered: false } => "Export every frame held to (.ndjson or .har)".into(),
            Self::CloseFrame => "Close with code and reason, e.g. 4000 done".into(),
            Self::Schedule => "Send the message every N seconds".into(),
            Self::SaveFlow => "Save the session as a flow named".into(),
            Self::RunFlow => "Run the flow (a name in the flows folder, or a .flow.toml / .http path)".into(),
            Self::Intercept => "Intercept: up, down or both, then a regex or jq:EXPR (empty: off)".into(),
            Self::GroupBy => "Group types by jq:EXPR (empty: the protocol's names and .type)".into(),
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

    pub(super) fn new(purpose: PromptPurpose, text: &str) -> Self {
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
            PromptPurpose::Filter
            | PromptPurpose::Search
            | PromptPurpose::DetailSearch
            | PromptPurpose::CloseFrame
            | PromptPurpose::Schedule
            | PromptPurpose::Intercept
            | PromptPurpose::GroupBy => None,
            PromptPurpose::RunFlow => self
                .text()
                .trim()
                .is_empty()
                .then(|| "name a flow or a file".to_string()),
            PromptPurpose::Export { .. } => self
                .text()
                .trim()
                .is_empty()
                .then(|| "the file name is empty".to_string()),
            _ => validate_name(&self.text()).err().map(|e| e.to_string()),
        }
    }
}

impl App {
    pub(super) fn prompt_confirm(&mut self) {
        let Some(prompt) = self.prompt.take() else { return };
        let text = prompt.text();
        if let PromptPurpose::ImportCurl = prompt.purpose {
            match curl::parse(&text) {
                Ok(import) => {
                    let profile = Profile {
                        message: self.tabs.active().message_text(),
                        ..import.profile
                    };
                    self.fill_panes(&profile);
                    self.tabs.active_mut().profile = ProfileState::default();
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
            PromptPurpose::DetailSearch => Some(self.tabs.active_mut().detail_search(&text, &mut self.shared)),
            PromptPurpose::CloseFrame => Some(self.tabs.active_mut().close_with(&text)),
            PromptPurpose::Schedule => Some(self.tabs.active_mut().start_schedule(
                &text,
                std::time::Instant::now(),
                &mut self.shared,
            )),
            PromptPurpose::Intercept => Some(self.set_intercept(&text)),
            PromptPurpose::GroupBy => Some(self.set_group_by(&text)),
            PromptPurpose::Export { filtered } => {
                self.export_to(&text, *filtered);
                Some(Ok(()))
            }
            PromptPurpose::SaveFlow => {
                self.tabs.active_mut().save_flow(&text, &mut self.shared);
                Some(Ok(()))
            }
            PromptPurpose::RunFlow => {
                self.tabs.active_mut().load_flow(&text, &mut self.shared);
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
            PromptPurpose::SaveAs => self.shared.store_outbox.push(StoreRequest::Save {
                name: text,
                profile: self.tabs.active().current_profile(),
                overwrite: false,
            }),
            PromptPurpose::Rename { from } => self.shared.store_outbox.push(StoreRequest::Rename { from, to: text }),
            PromptPurpose::Duplicate { from } => self
                .shared
                .store_outbox
                .push(StoreRequest::Duplicate { from, to: text }),
            PromptPurpose::MessageName => {
                let name = text.trim().to_string();
                let body = self.tabs.active().message_text();
                let saved = &mut self.tabs.active_mut().profile.extras.saved_messages;
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
            | PromptPurpose::DetailSearch
            | PromptPurpose::Export { .. }
            | PromptPurpose::CloseFrame
            | PromptPurpose::Schedule
            | PromptPurpose::SaveFlow
            | PromptPurpose::RunFlow
            | PromptPurpose::Intercept
            | PromptPurpose::GroupBy => {}
        }
    }

    pub(super) fn prompt_cancel(&mut self) {
        self.prompt = None;
        self.tabs.active_mut().profile.quit_after_save = false;
    }
}
