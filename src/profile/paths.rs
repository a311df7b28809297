//! Where wscope keeps its files.

use std::path::{Path, PathBuf};

/// The config directory (profiles, environments) and the data directory
/// (message history, the draft).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config: PathBuf,
    pub data: PathBuf,
}

impl Paths {
    /// The platform's directories (on Linux `$XDG_CONFIG_HOME/wscope` and
    /// `$XDG_DATA_HOME/wscope`), or everything under `override_dir` when
    /// `--config-dir` is given.
    pub fn resolve(override_dir: Option<&Path>) -> Option<Self> {
        if let Some(dir) = override_dir {
            return Some(Self::under(dir));
        }
        let dirs = directories::ProjectDirs::from("", "", "wscope")?;
        Some(Self {
            config: dirs.config_dir().to_path_buf(),
            data: dirs.data_dir().to_path_buf(),
        })
    }

    /// Config in `dir`, data in `dir/data`.
    pub fn under(dir: &Path) -> Self {
        Self {
            config: dir.to_path_buf(),
            data: dir.join("data"),
        }
    }

    /// The folder holding one JSON file per profile.
    pub fn profiles(&self) -> PathBuf {
        self.config.join("profiles")
    }

    /// The folder holding flows saved from the inspector (`NAME.flow.toml`).
    pub fn flows(&self) -> PathBuf {
        self.config.join("flows")
    }

    /// The folder holding workspaces (`NAME.json`): sets of open tabs.
    pub fn workspaces(&self) -> PathBuf {
        self.config.join("workspaces")
    }

    /// The environments file.
    pub fn environments(&self) -> PathBuf {
        self.config.join("environments.json")
    }
}
