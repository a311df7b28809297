//! The autosaved draft: the request as it was when wscope last exited, so
//! unsaved work is offered back at the next start.
//!
//! The draft is written without being asked, every few seconds, so it never
//! holds a secret in clear: a sensitive header or param keeps its value only
//! when that is a `{{variable}}` reference; a literal secret (often one given
//! with `-H` on the command line) is dropped, and its name is kept so the
//! restore can say what to type again.

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
    /// What was left out because it was a secret, e.g. `header api-key`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dropped_secrets: Vec<String>,
}

impl Draft {
    /// The draft of `request`, with its secrets dropped.
    pub fn new(profile: Option<String>, saved_at: u64, request: Profile) -> Self {
        let (request, dropped_secrets) = without_secrets(request);
        Self {
            profile,
            saved_at,
            request,
            dropped_secrets,
        }
    }
}

/// `request` with every literal secret value emptied, and what was emptied.
pub fn without_secrets(mut request: Profile) -> (Profile, Vec<String>) {
    use crate::secrets::{hides, is_reference, mask_url};
    let mut dropped = Vec::new();
    for (kind, rows) in [("header", &mut request.headers), ("param", &mut request.params)] {
        for row in rows.iter_mut() {
            if hides(&row.key, &row.value) {
                row.value.clear();
                dropped.push(format!("{kind} {}", row.key));
            }
        }
    }
    if let std::borrow::Cow::Owned(url) = mask_url(&request.url, "") {
        request.url = url;
        dropped.push("the URL's credentials or tokens".into());
    }
    // An auth payload (Socket.IO CONNECT, GraphQL connection_init) is a
    // token more often than not; one that only names variables is kept.
    if let Some(auth) = &request.auth
        && !is_reference(auth.as_str().unwrap_or_default())
    {
        request.auth = None;
        dropped.push("the protocol auth payload".into());
    }
    if let Some(proxy) = &request.proxy
        && let std::borrow::Cow::Owned(masked) = mask_url(proxy, "")
    {
        request.proxy = Some(masked);
        dropped.push("the proxy password".into());
    }
    (request, dropped)
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
        let draft = Draft::new(
            Some("demo1".into()),
            1,
            Profile {
                url: "ws://x".into(),
                ..Profile::default()
            },
        );
        save(dir.path(), &draft).unwrap();
        assert_eq!(load(dir.path()).unwrap().unwrap(), draft);
        discard(dir.path());
        assert!(load(dir.path()).is_none());
    }

    #[test]
    fn secrets_are_dropped_and_references_kept() {
        use crate::record::KvRow;
        let request = Profile {
            url: "wss://bob:hunter2@h/feed?room=1&access_token=abc".into(),
            headers: vec![
                KvRow::new("Authorization", "Bearer s3cret"),
                KvRow::new("api-key", "{{env:API_KEY}}"),
                KvRow::new("x-room", "blue"),
            ],
            params: vec![KvRow::new("token", "t0k3n")],
            proxy: Some("http://u:pw@proxy:8080".into()),
            auth: Some(serde_json::json!({ "token": "4uth" })),
            ..Profile::default()
        };
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &Draft::new(None, 1, request)).unwrap();
        let text = std::fs::read_to_string(path(dir.path())).unwrap();
        for secret in ["hunter2", "abc", "s3cret", "t0k3n", "pw@", "4uth"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("{{env:API_KEY}}") && text.contains("blue") && text.contains("room=1"));
        let draft = load(dir.path()).unwrap().unwrap();
        assert_eq!(
            draft.dropped_secrets,
            vec![
                "header Authorization",
                "param token",
                "the URL's credentials or tokens",
                "the protocol auth payload",
                "the proxy password"
            ]
        );
    }
}
