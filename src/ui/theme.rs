//! The colours, in one place.

use ratatui::style::{Color, Modifier, Style};

use crate::frames::NoteLevel;

pub const ACCENT: Color = Color::Cyan;
pub const SENT: Color = Color::Green;
pub const RECEIVED: Color = Color::Cyan;
pub const OK: Color = Color::Green;
pub const WARN: Color = Color::Yellow;
pub const ERROR: Color = Color::Red;

/// Border and title of a pane, brighter when focused.
pub fn border(focused: bool) -> Style {
    if focused {
        Style::new().fg(ACCENT).add_modifier(Modifier::BOLD)
    } else {
        Style::new().fg(Color::DarkGray)
    }
}

/// Secondary text.
pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// Connection-event rows and notices.
pub fn note(level: NoteLevel) -> Style {
    match level {
        NoteLevel::Info => Style::new().fg(Color::Gray),
        NoteLevel::Success => Style::new().fg(OK),
        NoteLevel::Warning => Style::new().fg(WARN),
        NoteLevel::Error => Style::new().fg(ERROR),
    }
}
