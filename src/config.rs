//! `config.toml`: defaults, the theme and the key map. The file shipped in
//! `assets/` is embedded and must equal [`Config::default`] (a test checks).
//!
//! May import: `cli`, `keymap`, `palette`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::keymap::Keymap;
use crate::palette::{Palette, Preset};

/// The default configuration as shipped, with comments.
pub const SHIPPED: &str = include_str!("../assets/config.toml");

/// Settings used when neither the command line nor a profile gives one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Defaults {
    pub ping_interval: u64,
    pub history: u64,
    pub history_bytes: String,
    pub fps: u32,
    pub connect_timeout: u64,
    pub reconnect: bool,
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            ping_interval: 5,
            history: 100_000,
            history_bytes: "64M".into(),
            fps: 30,
            connect_timeout: 10,
            reconnect: false,
        }
    }
}

/// The colours: a preset, and any of its colours replaced by name
/// (`"red"`, `"lightblue"`, `"#ff8800"`, `"208"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThemeConfig {
    pub preset: Preset,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ok: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ThemeConfig {
    /// The preset's palette with the named colours replaced.
    pub fn palette(&self) -> Result<Palette, String> {
        use std::str::FromStr;
        let mut palette = self.preset.palette();
        let slots = [
            ("accent", &self.accent, &mut palette.accent),
            ("sent", &self.sent, &mut palette.sent),
            ("received", &self.received, &mut palette.received),
            ("ok", &self.ok, &mut palette.ok),
            ("warn", &self.warn, &mut palette.warn),
            ("error", &self.error, &mut palette.error),
        ];
        for (name, value, slot) in slots {
            if let Some(text) = value {
                *slot = ratatui::style::Color::from_str(text).map_err(|_| {
                    format!("theme.{name}: {text:?} is not a colour (try \"red\", \"#ff8800\" or \"208\")")
                })?;
            }
        }
        Ok(palette)
    }
}

/// Everything in `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub defaults: Defaults,
    pub theme: ThemeConfig,
    /// Action name → keys, laid over the default key map.
    pub keys: BTreeMap<String, Vec<String>>,
}

/// A configuration that could not be used, naming the file, line and key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {detail}; using the defaults")]
pub struct ConfigError {
    pub file: String,
    pub detail: String,
}

impl Config {
    /// Reads `path`; a missing file is the defaults.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                return Err(ConfigError {
                    file: path.display().to_string(),
                    detail: e.to_string(),
                });
            }
        };
        Self::parse(&text).map_err(|detail| ConfigError {
            file: path.display().to_string(),
            detail,
        })
    }

    /// Parses and checks the text of a config file.
    pub fn parse(text: &str) -> Result<Self, String> {
        let config: Self = toml::from_str(text).map_err(|e| describe(text, &e))?;
        config.keymap()?;
        config.theme.palette()?;
        crate::cli::parse_size(&config.defaults.history_bytes).map_err(|e| format!("defaults.history_bytes: {e}"))?;
        if !(1..=240).contains(&config.defaults.fps) {
            return Err(format!(
                "defaults.fps: {} is not between 1 and 240",
                config.defaults.fps
            ));
        }
        Ok(config)
    }

    /// The key map with this config's remapping.
    pub fn keymap(&self) -> Result<Keymap, String> {
        Keymap::with_overrides(&self.keys)
    }
}

/// "line 3, column 7 (`fps = "fast"`): invalid type: …".
fn describe(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim().to_string();
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            let source = text.lines().nth(line - 1).unwrap_or_default().trim();
            format!("line {line}, column {column} (`{source}`): {message}")
        }
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_file_equals_the_defaults() {
        assert_eq!(Config::parse(SHIPPED), Ok(Config::default()));
    }

    #[test]
    fn values_and_keys_apply() {
        let config = Config::parse(
            "[defaults]\nfps = 12\nreconnect = true\n[theme]\npreset = \"monochrome\"\n[keys]\ntoggle_connection = [\"F5\"]\n",
        )
        .unwrap();
        assert_eq!(config.defaults.fps, 12);
        assert!(config.defaults.reconnect);
        assert_eq!(config.theme.preset, Preset::Monochrome);
        assert!(
            config
                .keymap()
                .unwrap()
                .markdown()
                .contains("| F5 | connect / disconnect |")
        );
    }

    #[test]
    fn errors_name_the_line_and_key() {
        let error = Config::parse("[defaults]\nping_interval = 5\nfps = \"fast\"\n").unwrap_err();
        assert!(error.starts_with("line 3, column 7 (`fps = \"fast\"`)"), "{error}");
        let unknown = Config::parse("[defaults]\nfsp = 3\n").unwrap_err();
        assert!(unknown.contains("line 2") && unknown.contains("fsp"), "{unknown}");
        let key = Config::parse("[keys]\nsend = [\"Hyper-J\"]\n").unwrap_err();
        assert!(key.contains("keys.send"), "{key}");
        let colour = Config::parse("[theme]\naccent = \"glitter\"\n").unwrap_err();
        assert!(colour.contains("theme.accent"), "{colour}");
        let custom = Config::parse("[theme]\npreset = \"light\"\naccent = \"#ff8800\"\n").unwrap();
        assert_eq!(
            custom.theme.palette().unwrap().accent,
            ratatui::style::Color::Rgb(255, 136, 0)
        );
        let fps = Config::parse("[defaults]\nfps = 0\n").unwrap_err();
        assert!(fps.contains("defaults.fps"), "{fps}");
    }

    #[test]
    fn a_broken_file_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        assert_eq!(Config::load(&path), Ok(Config::default()), "missing is the defaults");
        std::fs::write(&path, "[theme]\npreset = \"neon\"\n").unwrap();
        let error = Config::load(&path).unwrap_err().to_string();
        assert!(
            error.contains("config.toml: line 2") && error.ends_with("using the defaults"),
            "{error}"
        );
    }
}
