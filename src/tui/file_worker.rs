//! The UI's file worker: carries out the app's file requests (profiles,
//! history, the draft, exports, flows, workspaces) off the UI thread.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::app::file_requests::{LoadedFlow, StoreReply, StoreRequest};
use crate::profile::paths::Paths;
use crate::profile::store::ProfileStore;
use crate::profile::{draft, history};

/// Carries out store requests against the files under `paths`.
#[derive(Debug, Clone)]
pub struct Storage {
    pub paths: Paths,
    pub profiles: ProfileStore,
}

impl Storage {
    /// Storage rooted at `paths`.
    pub fn new(paths: Paths) -> Self {
        let profiles = ProfileStore::new(paths.profiles());
        Self { paths, profiles }
    }

    /// Loads a profile and its history.
    pub fn open(&self, name: &str) -> StoreReply {
        match self.profiles.load(name) {
            Ok(profile) => StoreReply::Opened {
                name: name.to_string(),
                profile,
                history: history::load(&history::path(&self.paths.data, Some(name))).unwrap_or_default(),
            },
            Err(error) => failed(format!("open profile {name:?}"), error),
        }
    }

    /// Carries out one request.
    pub fn handle(&self, request: StoreRequest) -> StoreReply {
        match request {
            StoreRequest::Save {
                name,
                profile,
                overwrite,
            } => {
                let result = if overwrite {
                    self.profiles.save(&name, &profile)
                } else {
                    self.profiles.create(&name, &profile)
                };
                match result {
                    Ok(path) => StoreReply::Saved {
                        name,
                        profile,
                        path: path.display().to_string(),
                    },
                    Err(error) => failed(format!("save profile {name:?}"), error),
                }
            }
            StoreRequest::Open { name } => self.open(&name),
            StoreRequest::List => match self.profiles.load_all() {
                Ok(listing) => StoreReply::Listed {
                    profiles: listing.profiles,
                    unreadable: listing
                        .unreadable
                        .into_iter()
                        .map(|u| (u.name, u.error.to_string()))
                        .collect(),
                },
                Err(error) => failed("list profiles".to_string(), error),
            },
            StoreRequest::Rename { from, to } => match self.profiles.rename(&from, &to) {
                Ok(()) => {
                    let old = history::path(&self.paths.data, Some(&from));
                    let _ = std::fs::rename(old, history::path(&self.paths.data, Some(&to)));
                    StoreReply::Renamed { from, to }
                }
                Err(error) => failed(format!("rename profile {from:?}"), error),
            },
            StoreRequest::Duplicate { from, to } => {
                let result = self.profiles.load(&from).and_then(|p| self.profiles.create(&to, &p));
                match result {
                    Ok(_) => StoreReply::Duplicated { to },
                    Err(error) => failed(format!("duplicate profile {from:?}"), error),
                }
            }
            StoreRequest::Delete { name } => match self.profiles.delete(&name) {
                Ok(()) => StoreReply::Deleted { name },
                Err(error) => failed(format!("delete profile {name:?}"), error),
            },
            StoreRequest::SaveHistory { profile, history } => {
                match history::save(&history::path(&self.paths.data, profile.as_deref()), &history) {
                    Ok(()) => StoreReply::Done,
                    Err(error) => failed("save the message history".to_string(), error),
                }
            }
            StoreRequest::SaveDraft { profile, request } => {
                let draft = draft::Draft::new(
                    profile,
                    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
                    request,
                );
                match draft::save(&self.paths.data, &draft) {
                    Ok(()) => StoreReply::DraftSaved(Ok(())),
                    Err(error) => StoreReply::DraftSaved(Err(error.to_string())),
                }
            }
            StoreRequest::ReadFile { path } => {
                let limit = crate::conn::DEFAULT_MAX_MESSAGE_SIZE as u64;
                match std::fs::metadata(&path) {
                    Ok(meta) if meta.len() > limit => failed(
                        format!("send {path}"),
                        format!(
                            "the file is {} (more than {})",
                            crate::format::bytes(meta.len()),
                            crate::format::bytes(limit)
                        ),
                    ),
                    _ => match std::fs::read(&path) {
                        Ok(bytes) => StoreReply::FileRead {
                            path,
                            bytes: bytes.into(),
                        },
                        Err(error) => failed(format!("send {path}"), error),
                    },
                }
            }
            StoreRequest::StatFile { path } => {
                let size = match std::fs::metadata(&path) {
                    Ok(meta) if meta.is_file() => Ok(meta.len()),
                    Ok(_) => Err("not a regular file".to_string()),
                    Err(error) => Err(error.to_string()),
                };
                StoreReply::FileSize { path, size }
            }
            StoreRequest::Export { path, job, what } => {
                use std::io::Write;
                use std::os::unix::fs::OpenOptionsExt;
                // Frames may hold tokens and personal data: owner only.
                let result = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)
                    .and_then(|file| {
                        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
                        job.write(&mut out)?;
                        out.flush()?;
                        out.get_ref().sync_all()
                    });
                match result {
                    Ok(()) => StoreReply::Wrote { path, what },
                    Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                        failed(format!("write {path}"), "the file exists; pick another name")
                    }
                    Err(error) => failed(format!("write {path}"), error),
                }
            }
            StoreRequest::SaveFlow { name, text, what } => {
                let path = self.paths.flows().join(format!("{name}.flow.toml"));
                let shown = path.display().to_string();
                match write_new_private(&path, text.as_bytes()) {
                    Ok(()) => StoreReply::FlowSaved { path: shown, what },
                    Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => failed(
                        format!("write {shown}"),
                        "a flow of that name exists; pick another name",
                    ),
                    Err(error) => failed(format!("write {shown}"), error),
                }
            }
            StoreRequest::LoadFlow { name_or_path } => {
                let named = self.paths.flows().join(format!("{name_or_path}.flow.toml"));
                let path = if named.is_file() {
                    named
                } else {
                    std::path::PathBuf::from(&name_or_path)
                };
                let loaded = if path.extension().is_some_and(|e| e == "http") {
                    crate::flow::http_file::load(&path).and_then(|mut flows| {
                        if flows.len() > 1 {
                            // The inspector runs on its one connection: the first request's messages.
                            flows.truncate(1);
                        }
                        flows.pop().ok_or_else(|| crate::flow::file::FlowError {
                            path: path.display().to_string(),
                            line: 0,
                            column: 0,
                            message: "no WEBSOCKET request in it".into(),
                        })
                    })
                } else {
                    crate::flow::file::load(&path)
                };
                StoreReply::FlowLoaded(
                    loaded
                        .map(|flow| LoadedFlow(std::sync::Arc::new(flow)))
                        .map_err(|e| e.to_string()),
                )
            }
            StoreRequest::SaveWorkspace { name, workspace } => {
                let path = self.paths.workspaces().join(format!("{name}.json"));
                match crate::profile::workspace::save(&path, &workspace) {
                    Ok(()) => StoreReply::Done,
                    Err(error) => failed(format!("save workspace {name:?}"), error),
                }
            }
            StoreRequest::DiscardDraft => {
                draft::discard(&self.paths.data);
                StoreReply::Done
            }
        }
    }
}

/// Creates `path` (owner-only, in an owner-only folder) with `bytes`;
/// fails if it exists.
fn write_new_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn failed(action: String, error: impl std::fmt::Display) -> StoreReply {
    StoreReply::Failed {
        action,
        error: error.to_string(),
    }
}
