//! The saved-messages and history list (F2).

use super::{App, Focus, editor};
use crate::frames::NoteLevel;

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
        let saved = (0..self.tabs.active().profile.extras.saved_messages.len()).map(MessageEntry::Saved);
        let history = (0..self.tabs.active().history.entries.len())
            .rev()
            .map(MessageEntry::History);
        saved.chain(history).collect()
    }

    /// The text of an entry.
    pub fn message_entry_text(&self, entry: &MessageEntry) -> &str {
        match entry {
            MessageEntry::Saved(i) => &self.tabs.active().profile.extras.saved_messages[*i].body,
            MessageEntry::History(i) => &self.tabs.active().history.entries[*i],
        }
    }

    /// Whether a saved message is sent on every connect.
    pub fn is_on_connect(&self, index: usize) -> bool {
        let body = &self.tabs.active().profile.extras.saved_messages[index].body;
        self.tabs.active().profile.extras.on_connect.contains(body)
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
        self.tabs.active_mut().message = editor(&text);
        self.refresh_message_status();
        self.messages = None;
        self.focus = Focus::Message;
    }

    pub(super) fn messages_delete(&mut self) {
        if let Some(MessageEntry::Saved(i)) = self.selected_message() {
            let removed = self.tabs.active_mut().profile.extras.saved_messages.remove(i);
            self.tabs
                .active_mut()
                .profile
                .extras
                .on_connect
                .retain(|m| *m != removed.body);
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
        let body = self.tabs.active_mut().profile.extras.saved_messages[i].body.clone();
        let on_connect = &mut self.tabs.active_mut().profile.extras.on_connect;
        if let Some(position) = on_connect.iter().position(|m| *m == body) {
            on_connect.remove(position);
        } else {
            on_connect.push(body);
        }
    }
}
