//! The autosaved draft: the request as it was when wscope last exited, so
//! unsaved work is offered back at the next start.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Profile;
use super::store::{ProfileError, read_json, to_pretty_json, write_atomic};

/// What the draft file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// The profile the request was opened from, if any.
    pub profile: Option<String>,
    /// When it was written, in seconds since the Unix epoch.
    pub saved_at: u64,
    pub request: Profile,
}

/// Where the draft lives.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("draft.json")
}

/// Writes the draft atomically.
pub fn save(data_dir: &Path, draft: &Draft) -> Result<(), ProfileError> {
    let path = path(data_dir);
    write_atomic(&path, &to_pretty_json(draft)).map_err(|source| ProfileError::Io {
        action: "write",
        path,
        source,
    })
}

/// Reads the draft, if there is one.
pub fn load(data_dir: &Path) -> Option<Result<Draft, ProfileError>> {
    let path = path(data_dir);
    path.exists().then(|| read_json(&path))
}

/// Removes the draft once it has been restored or declined.
pub fn discard(data_dir: &Path) {
    let _ = std::fs::remove_file(path(data_dir));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_discards() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).is_none());
        let draft = Draft {
            profile: Some("demo1".into()),
            saved_at: 1,
            request: Profile {
                url: "ws://x".into(),
                ..Profile::default()
            },
        };
        save(dir.path(), &draft).unwrap();
        assert_eq!(load(dir.path()).unwrap().unwrap(), draft);
        discard(dir.path());
        assert!(load(dir.path()).is_none());
    }
}
