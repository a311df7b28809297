//! Sent-message history, per profile, kept in the data directory.

use std::path::{Path, PathBuf};

use super::store::{ProfileError, read_json, to_pretty_json, write_atomic};

/// Most messages kept per profile.
pub const HISTORY_CAP: usize = 100;

/// The history file for a profile (or for requests not saved as one).
pub fn path(data_dir: &Path, profile: Option<&str>) -> PathBuf {
    // Requests not saved as a profile share one history, kept in a
    // subfolder so it can never clash with a profile's.
    match profile {
        Some(name) => data_dir.join("history").join(format!("{name}.json")),
        None => data_dir.join("history").join("unsaved").join("history.json"),
    }
}

/// Loads a history, oldest first; a missing file is empty.
pub fn load(path: &Path) -> Result<Vec<String>, ProfileError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    read_json(path)
}

/// Adds `message` as the newest entry (moving it if already there) and
/// trims to [`HISTORY_CAP`].
pub fn push(history: &mut Vec<String>, message: &str) {
    history.retain(|m| m != message);
    history.push(message.to_string());
    if history.len() > HISTORY_CAP {
        let excess = history.len() - HISTORY_CAP;
        history.drain(..excess);
    }
}

/// Writes a history file atomically.
pub fn save(path: &Path, history: &[String]) -> Result<(), ProfileError> {
    write_atomic(path, &to_pretty_json(&history)).map_err(|source| ProfileError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_last_deduplicated_and_capped() {
        let mut history = Vec::new();
        for i in 0..150 {
            push(&mut history, &format!("m{i}"));
        }
        push(&mut history, "m120");
        assert_eq!(history.len(), HISTORY_CAP);
        assert_eq!(history.last().map(String::as_str), Some("m120"));
        assert_eq!(history.first().map(String::as_str), Some("m50"));
        assert_eq!(history.iter().filter(|m| *m == "m120").count(), 1);
    }

    #[test]
    fn persists_across_loads() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path(), Some("demo1"));
        assert!(load(&file).unwrap().is_empty());
        save(&file, &["a".to_string(), "b".to_string()]).unwrap();
        assert_eq!(load(&file).unwrap(), vec!["a", "b"]);
        assert_ne!(path(dir.path(), None), file);
    }
}
