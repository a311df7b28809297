//! What every session may use of the app: the resolver that fills in
//! `{{variables}}`, and the app's outlets (the footer notice, the
//! clipboard, the file worker's queue). A session's methods take it as an
//! argument, so any session, shown or not, acts on its own state and
//! reaches the app only through here.

use super::Notice;
use super::file_requests::StoreRequest;
use crate::frames::NoteLevel;
use crate::profile::vars::Resolver;

#[derive(Default)]
pub struct Shared {
    /// Supplies `{{variables}}` from the active environment and the process.
    pub resolver: Resolver,
    /// A one-line message in the footer until the next key press.
    pub notice: Option<Notice>,
    /// Text to put on the clipboard (OSC 52), taken by the event loop.
    pub clipboard: Option<String>,
    /// File work for the file worker, taken by the event loop.
    pub store_outbox: Vec<StoreRequest>,
    /// `--export-secrets`: exports keep secret header values.
    pub export_secrets: bool,
    /// Every tab's figures together, for the stats view over the merged
    /// timeline.
    pub all_stats: crate::stats::Stats,
    /// How the stats view groups types (`--group-by`, or `g` in the view).
    pub group_by: Option<std::sync::Arc<crate::stats::classify::GroupBy>>,
}

impl Shared {
    /// A notice can quote a server (a CONNECT_ERROR, a refused init), so
    /// its text is sanitized here, as notes are when they are pushed.
    pub fn notify(&mut self, level: NoteLevel, text: impl Into<String>) {
        let text = crate::sanitize::one_line_owned(text.into());
        self.notice = Some(Notice { level, text });
    }

    /// Runs `f` with the footer kept as it is: what a background session
    /// has to say stays in its own log, not over the shown tab's footer.
    pub fn quietly<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let notice = self.notice.take();
        let result = f(self);
        self.notice = notice;
        result
    }
}
