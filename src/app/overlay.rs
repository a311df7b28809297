//! What covers the panes, and in which order. One list decides both which
//! overlay a key goes to and which is drawn on top: the first open one in
//! [`Overlay::BY_PRECEDENCE`].

use super::App;
use crate::keymap::Scope;

/// Something drawn over the panes that takes the keys while open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    /// A yes/no question (quit, restore the draft, delete a profile).
    Confirm,
    /// A one-line prompt (name, filter, search, export, close, schedule).
    Prompt,
    Picker,
    Messages,
    /// The GraphQL operations list.
    Operations,
    /// The captured connections list.
    Connections,
    /// The stats view.
    Stats,
    Detail,
    Help,
    RowEditor,
}

impl Overlay {
    /// Most urgent first: the first open one gets the keys and is drawn on
    /// top of the others. Help opens over anything but a question, so what
    /// F1 shows is what Esc closes.
    pub const BY_PRECEDENCE: [Overlay; 10] = [
        Self::Confirm,
        Self::Help,
        Self::Prompt,
        Self::Picker,
        Self::Messages,
        Self::Operations,
        Self::Connections,
        Self::Stats,
        Self::Detail,
        Self::RowEditor,
    ];

    /// The key-map scope active while this overlay is on top.
    pub fn scope(self) -> Scope {
        match self {
            Self::Confirm => Scope::Confirm,
            Self::Prompt => Scope::Prompt,
            Self::Picker => Scope::Picker,
            Self::Messages => Scope::Messages,
            Self::Operations => Scope::Operations,
            Self::Connections => Scope::Connections,
            Self::Stats => Scope::Stats,
            Self::Detail => Scope::Detail,
            Self::Help => Scope::Help,
            Self::RowEditor => Scope::RowEditor,
        }
    }
}

impl App {
    /// Whether `overlay` is open. A profile picker asking to confirm a
    /// delete counts as a question.
    pub fn is_open(&self, overlay: Overlay) -> bool {
        match overlay {
            Overlay::Confirm => {
                self.confirm.is_some() || self.picker.as_ref().is_some_and(|p| p.confirm_delete.is_some())
            }
            Overlay::Prompt => self.prompt.is_some(),
            Overlay::Picker => self.picker.is_some(),
            Overlay::Messages => self.messages.is_some(),
            Overlay::Operations => self.operations_list.is_some(),
            Overlay::Connections => self.connections_list.is_some(),
            Overlay::Stats => self.stats_view.is_some(),
            Overlay::Detail => self.tabs.active().detail.is_some(),
            Overlay::Help => self.show_help,
            Overlay::RowEditor => self.row_editor.is_some(),
        }
    }

    /// The overlay that takes the keys and is drawn on top, if any.
    pub fn top_overlay(&self) -> Option<Overlay> {
        Overlay::BY_PRECEDENCE.into_iter().find(|o| self.is_open(*o))
    }

    /// The open overlays in the order they are drawn: bottom first.
    pub fn overlays_to_draw(&self) -> impl Iterator<Item = Overlay> + '_ {
        Overlay::BY_PRECEDENCE
            .into_iter()
            .rev()
            .filter(|o| self.is_open(*o) && *o != Overlay::Confirm)
            .chain(self.confirm.is_some().then_some(Overlay::Confirm))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::InitialRequest;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn press(app: &mut App, code: KeyCode) {
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
    }

    #[test]
    fn the_overlay_on_top_takes_the_keys_and_is_drawn_last() {
        let mut app = App::new(InitialRequest::default(), None);
        assert_eq!(app.top_overlay(), None);
        app.update(crate::action::Action::OpenProfiles);
        assert_eq!(app.top_overlay(), Some(Overlay::Picker));
        // F1 over the picker: help is on top, drawn last, and Esc closes it
        // before the picker.
        press(&mut app, KeyCode::F(1));
        assert_eq!(app.top_overlay(), Some(Overlay::Help));
        assert_eq!(app.overlays_to_draw().last(), Some(Overlay::Help));
        assert_eq!(app.scopes().first(), Some(&Scope::Help));
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.top_overlay(), Some(Overlay::Picker));
        // Typing goes to the picker's filter, then to nothing else.
        press(&mut app, KeyCode::Char('x'));
        assert_eq!(app.picker.as_ref().unwrap().filter.lines()[0], "x");
        assert_eq!(app.session().url_text(), "");
        let drawn: Vec<Overlay> = app.overlays_to_draw().collect();
        assert_eq!(drawn, vec![Overlay::Picker]);
    }
}
