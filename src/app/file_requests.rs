//! File work the app asks for, and what came of it: plain data, so the
//! app stays free of I/O. The event loop hands requests to the file
//! worker (`tui::file_worker`) and brings its replies back.

use crate::profile::Profile;

/// File work the app asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreRequest {
    /// Write a profile; without `overwrite`, refuse an existing name.
    Save {
        name: String,
        profile: Profile,
        overwrite: bool,
    },
    Open {
        name: String,
    },
    List,
    Rename {
        from: String,
        to: String,
    },
    Duplicate {
        from: String,
        to: String,
    },
    Delete {
        name: String,
    },
    SaveHistory {
        profile: Option<String>,
        history: Vec<String>,
    },
    SaveDraft {
        profile: Option<String>,
        request: Profile,
    },
    DiscardDraft,
    /// Read a file to send as a binary frame (`@path`).
    ReadFile {
        path: String,
    },
    /// Look up the size of a file named by `@path`, before it is sent.
    StatFile {
        path: String,
    },
    /// Write an export; never replaces an existing file. The file is
    /// written here, a line at a time, not built on the UI thread.
    Export {
        path: String,
        job: Box<crate::export::ExportJob>,
        /// What it holds, for the notice (e.g. "120 frames").
        what: String,
    },
    /// Write a flow recorded from the session as `flows/NAME.flow.toml`;
    /// never replaces an existing one.
    SaveFlow {
        name: String,
        text: String,
        what: String,
    },
    /// Read and compile a flow: a name in `flows/`, or a path.
    LoadFlow {
        name_or_path: String,
    },
    /// Write the set of open tabs as `workspaces/NAME.json`.
    SaveWorkspace {
        name: String,
        workspace: crate::profile::workspace::Workspace,
    },
}

/// A compiled flow handed from the file thread to the app.
#[derive(Debug, Clone)]
pub struct LoadedFlow(pub std::sync::Arc<crate::flow::file::Flow>);

impl PartialEq for LoadedFlow {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for LoadedFlow {}

/// What came of a [`StoreRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreReply {
    Saved {
        name: String,
        profile: Profile,
        path: String,
    },
    Opened {
        name: String,
        profile: Profile,
        history: Vec<String>,
    },
    Listed {
        profiles: Vec<(String, Profile)>,
        /// Files that could not be read, with the reason.
        unreadable: Vec<(String, String)>,
    },
    Renamed {
        from: String,
        to: String,
    },
    Duplicated {
        to: String,
    },
    Deleted {
        name: String,
    },
    /// Done, nothing to report (history and draft writes).
    Done,
    Wrote {
        path: String,
        what: String,
    },
    FileRead {
        path: String,
        bytes: bytes::Bytes,
    },
    /// A flow to run, or why it cannot be.
    FlowLoaded(Result<LoadedFlow, String>),
    /// A flow recorded from the session was written.
    FlowSaved {
        path: String,
        what: String,
    },
    /// Whether the draft was written, and why not.
    DraftSaved(Result<(), String>),
    /// The size of a file named by `@path`, or why it cannot be read.
    FileSize {
        path: String,
        size: Result<u64, String>,
    },
    Failed {
        /// What was being done, e.g. `save profile "demo1"`.
        action: String,
        error: String,
    },
}
