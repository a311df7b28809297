//! Workspaces: the set of open tabs, kept as `workspaces/NAME.json` beside
//! the profiles (`--workspace NAME`), written atomically with mode 0600 as
//! profiles are. A workspace is written on the way out, not by a save the
//! user asked for, so like the draft it holds no secret in clear: a tab's
//! own request keeps a secret only as a `{{variable}}` reference, and says
//! what it left out.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Profile;
use super::store::{ProfileError, read_json, write_atomic};

/// The schema version this build writes.
pub const WORKSPACE_VERSION: u32 = 1;

/// The tabs to open, in order, and which was shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    pub version: u32,
    pub tabs: Vec<WorkspaceTab>,
    #[serde(default)]
    pub active: usize,
}

/// One tab: a saved profile by name, or a request of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum WorkspaceTab {
    Profile {
        profile: String,
    },
    Request {
        request: Box<Profile>,
        /// Secrets left out of `request` (`header api-key`), to ask for
        /// when the tab is opened again.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        dropped_secrets: Vec<String>,
    },
}

impl WorkspaceTab {
    /// A tab of its own request, without its literal secrets.
    pub fn request(request: Profile) -> Self {
        let (request, dropped_secrets) = super::draft::without_secrets(request);
        Self::Request {
            request: Box::new(request),
            dropped_secrets,
        }
    }
}

/// Reads a workspace; a missing file is `None`.
pub fn load(path: &Path) -> Result<Option<Workspace>, ProfileError> {
    if !path.exists() {
        return Ok(None);
    }
    let workspace: Workspace = read_json(path)?;
    Ok(Some(workspace))
}

/// Writes a workspace atomically, owner-only.
pub fn save(path: &Path, workspace: &Workspace) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(workspace).map_err(std::io::Error::other)?;
    write_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspaces_round_trip_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("workspaces/w.json");
        assert_eq!(load(&path).unwrap(), None);
        let workspace = Workspace {
            version: WORKSPACE_VERSION,
            tabs: vec![
                WorkspaceTab::Profile {
                    profile: "alice".into(),
                },
                WorkspaceTab::request(Profile {
                    url: "ws://h/beta?token=t0k3n".into(),
                    headers: vec![
                        crate::record::KvRow::new("api-key", "s3cret"),
                        crate::record::KvRow::new("x-auth", "{{env:AUTH}}"),
                    ],
                    ..Profile::default()
                }),
            ],
            active: 1,
        };
        save(&path, &workspace).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("s3cret") && !text.contains("t0k3n"), "{text}");
        assert!(text.contains("{{env:AUTH}}"), "a reference is no secret: {text}");
        assert_eq!(load(&path).unwrap(), Some(workspace));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::write(&path, "{").unwrap();
        assert!(load(&path).unwrap_err().to_string().contains("w.json"));
    }
}
