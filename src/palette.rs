//! The colour palettes, as data: what `config.toml` chooses and the UI
//! draws with. Kept out of `ui` so the configuration can name them without
//! reaching into the drawing code.
//!
//! May import: nothing from this crate.

use ratatui::style::Color;

/// The built-in palettes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    #[default]
    Dark,
    Light,
    /// No colours at all: bold, dim and reverse carry the meaning.
    Monochrome,
}

/// The colours of one palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    pub accent: Color,
    pub sent: Color,
    pub received: Color,
    pub ok: Color,
    pub warn: Color,
    pub error: Color,
    pub dim: Color,
    pub neutral: Color,
    /// Text on coloured badges.
    pub badge_text: Color,
}

impl Preset {
    /// The palette of this preset.
    pub fn palette(self) -> Palette {
        match self {
            Self::Dark => Palette {
                accent: Color::Cyan,
                sent: Color::Green,
                received: Color::Cyan,
                ok: Color::Green,
                warn: Color::Yellow,
                error: Color::Red,
                dim: Color::DarkGray,
                neutral: Color::Gray,
                badge_text: Color::Black,
            },
            Self::Light => Palette {
                accent: Color::Blue,
                sent: Color::Green,
                received: Color::Blue,
                ok: Color::Green,
                warn: Color::Magenta,
                error: Color::Red,
                dim: Color::Gray,
                neutral: Color::DarkGray,
                badge_text: Color::White,
            },
            Self::Monochrome => Palette {
                accent: Color::Reset,
                sent: Color::Reset,
                received: Color::Reset,
                ok: Color::Reset,
                warn: Color::Reset,
                error: Color::Reset,
                dim: Color::Reset,
                neutral: Color::Reset,
                badge_text: Color::Reset,
            },
        }
    }
}
