//! The colours. A palette is chosen once at start-up (from `config.toml`)
//! and read by every pane; tests and the default use the dark palette.

use std::sync::OnceLock;

use ratatui::style::{Color, Modifier, Style};

use crate::frames::NoteLevel;

pub use crate::palette::{Palette, Preset};

static PALETTE: OnceLock<(Preset, Palette)> = OnceLock::new();

/// Chooses the palette for this process; the first call wins.
pub fn set(preset: Preset, palette: Palette) {
    let _ = PALETTE.set((preset, palette));
}

fn current() -> &'static (Preset, Palette) {
    PALETTE.get_or_init(|| (Preset::Dark, Preset::Dark.palette()))
}

fn monochrome() -> bool {
    current().0 == Preset::Monochrome
}

/// The palette in use.
pub fn palette() -> Palette {
    current().1
}

/// Highlight colour for focus and keys.
pub fn accent() -> Color {
    palette().accent
}

/// Sent frames.
pub fn sent() -> Color {
    palette().sent
}

/// Received frames.
pub fn received() -> Color {
    palette().received
}

/// Warnings.
pub fn warn() -> Color {
    palette().warn
}

/// A badge (status, warnings) in `colour`; monochrome uses reverse video.
pub fn badge(colour: Color) -> Style {
    if monochrome() {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    } else {
        Style::new()
            .fg(palette().badge_text)
            .bg(colour)
            .add_modifier(Modifier::BOLD)
    }
}

/// Border and title of a pane, brighter when focused.
pub fn border(focused: bool) -> Style {
    if focused {
        Style::new().fg(accent()).add_modifier(Modifier::BOLD)
    } else {
        dim()
    }
}

/// Secondary text.
pub fn dim() -> Style {
    if monochrome() {
        Style::new().add_modifier(Modifier::DIM)
    } else {
        Style::new().fg(palette().dim)
    }
}

/// Connection-event rows and notices.
pub fn note(level: NoteLevel) -> Style {
    let p = palette();
    let style = match level {
        NoteLevel::Info => Style::new().fg(p.neutral),
        NoteLevel::Success => Style::new().fg(p.ok),
        NoteLevel::Warning => Style::new().fg(p.warn),
        NoteLevel::Error => Style::new().fg(p.error),
    };
    match (monochrome(), level) {
        (true, NoteLevel::Error | NoteLevel::Warning) => style.add_modifier(Modifier::BOLD),
        _ => style,
    }
}

/// Colours for the state badge.
pub fn state_colour(ok: bool, warn: bool, error: bool) -> Color {
    let p = palette();
    if error {
        p.error
    } else if warn {
        p.warn
    } else if ok {
        p.ok
    } else {
        p.neutral
    }
}

/// JSON syntax colours in the detail view: key, string, number, literal.
pub fn json() -> [Style; 4] {
    if monochrome() {
        let plain = Style::new();
        return [
            plain.add_modifier(Modifier::BOLD),
            plain,
            plain,
            plain.add_modifier(Modifier::ITALIC),
        ];
    }
    let p = palette();
    [
        Style::new().fg(p.accent),
        Style::new().fg(p.ok),
        Style::new().fg(p.warn),
        Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
    ]
}
