//! Commands without the terminal UI, for scripts and CI. They reuse the
//! connection task and never touch ratatui.
//!
//! May import: `capture`, `conn`, `decode`, `export`, `filter`, `flow`, `format`,
//! `log_sink`, `profile`, `protocol`, `record`, `replay`, `request`, `sanitize`,
//! `secrets`.

pub mod capture;
pub mod flow;
pub mod pipe;
pub mod replay;
pub mod test;

use tokio::sync::mpsc;

use crate::conn::{ConnEvent, ConnHandle, ConnSettings, ConnState};
use crate::log_sink::LogTarget;

/// How a headless command connects: the connection's settings, the
/// `--log` file, and whether secrets may be printed.
#[derive(Debug, Clone)]
pub struct Run {
    pub settings: ConnSettings,
    pub log: Option<LogTarget>,
    /// `--export-secrets`: tokens in URLs are printed in clear.
    pub show_secrets: bool,
    /// How binary frames are decoded for expectations and output.
    pub payloads: crate::decode::PayloadDecoder,
}

impl Run {
    /// Starts the connection task, its events passed through the log.
    pub(crate) fn start(self) -> (ConnHandle, mpsc::Receiver<ConnEvent>) {
        let (conn, events) = crate::conn::spawn(self.settings);
        (conn, crate::log_sink::attach(events, self.log))
    }
}

/// Exit status: the check passed or the pipe ended normally.
pub const EXIT_OK: u8 = 0;
/// Exit status: the connection failed or ended abnormally.
pub const EXIT_CONNECTION: u8 = 1;
/// Exit status: connected, but no frame met the expectation in time.
pub const EXIT_EXPECTATION: u8 = 2;

/// Closes with 1000 and `reason`, giving the close frame a moment to
/// leave (300 ms); what the run found stands either way.
pub(crate) async fn close_and_wait(conn: &ConnHandle, events: &mut mpsc::Receiver<ConnEvent>, reason: &str) {
    conn.send(crate::conn::ConnCommand::Close {
        code: 1000,
        reason: reason.into(),
    });
    let _ = tokio::time::timeout(std::time::Duration::from_millis(300), async {
        while let Some(event) = events.recv().await {
            if flatten(event)
                .iter()
                .any(|e| matches!(e, ConnEvent::State { state, .. } if is_final(state)))
            {
                break;
            }
        }
    })
    .await;
}

/// Flattens batches so headless loops see events one by one.
pub(crate) fn flatten(event: ConnEvent) -> Vec<ConnEvent> {
    match event {
        ConnEvent::Frames(frames) => frames.into_iter().map(ConnEvent::Frame).collect(),
        single => vec![single],
    }
}

/// Tells the user on standard error, sanitized, without stopping.
pub(crate) fn warn(text: &str) {
    eprintln!("wscope: {}", crate::sanitize::one_line(text));
}

/// Whether a state ends the connection.
pub(crate) fn is_final(state: &ConnState) -> bool {
    matches!(state, ConnState::Closed { .. } | ConnState::Failed(_))
}
