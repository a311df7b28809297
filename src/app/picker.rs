//! The profile picker (Ctrl-P).

use ratatui_textarea::TextArea;

use super::{App, Prompt, PromptPurpose, editor};
use crate::app::file_requests::StoreRequest;
use crate::profile::Profile;

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
    pub(super) fn new() -> Self {
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

    pub(super) fn clamp(&mut self) {
        self.selected = self.selected.min(self.visible().len().saturating_sub(1));
    }
}

impl App {
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
        self.shared.store_outbox.push(StoreRequest::Open { name });
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

    pub(super) fn refresh_picker(&mut self) {
        if self.picker.is_some() {
            self.shared.store_outbox.push(StoreRequest::List);
        }
    }
}
