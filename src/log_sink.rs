//! `--log`: every frame and connection event appended to a file as NDJSON.
//!
//! The sink sits between the connection task and whoever shows its events
//! (the inspector, `test`, `pipe`), on a thread of its own: each batch is
//! written before it is passed on, so whatever reached the screen is in the
//! file, even after `kill -9`, and no file I/O runs on the connection's
//! runtime worker. A failed write never ends the run, and is never silent:
//! the first failure and the recovery are passed on as warnings.
//!
//! May import: `conn`, `export`, `secrets`.

use std::fs::File;
use std::io::Write;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::conn::{ConnEvent, ConnState, EVENT_QUEUE};
use crate::export;
use crate::secrets;

/// Where the log goes, and whether secrets are kept in it.
#[derive(Debug, Clone)]
pub struct LogTarget {
    pub file: Arc<File>,
    /// `--export-secrets`: header values and URL tokens in clear.
    pub with_secrets: bool,
    /// A captured connection's id, written on each of its records so
    /// that one log holds many connections.
    pub connection: Option<u64>,
}

impl LogTarget {
    /// The same file, for captured connection `id`.
    pub fn for_connection(&self, id: u64) -> Self {
        Self {
            connection: Some(id),
            ..self.clone()
        }
    }
}

/// Passes `events` on through the log when there is one; otherwise hands
/// them back untouched.
pub fn attach(events: mpsc::Receiver<ConnEvent>, target: Option<LogTarget>) -> mpsc::Receiver<ConnEvent> {
    let Some(target) = target else { return events };
    let (forward, passed_on) = mpsc::channel(EVENT_QUEUE);
    // The events are handed over only once the thread runs, so a thread
    // that cannot start leaves them here to be passed on unlogged.
    let (handover, taken) = std::sync::mpsc::sync_channel::<(mpsc::Receiver<ConnEvent>, mpsc::Sender<ConnEvent>)>(1);
    let spawned = std::thread::Builder::new().name("wscope-log".into()).spawn(move || {
        if let Ok((events, forward)) = taken.recv() {
            run(events, forward, Sink::new(target));
        }
    });
    match spawned {
        Ok(_) => {
            let _ = handover.send((events, forward));
        }
        Err(error) => {
            let warning = format!("--log is not written: cannot start its thread: {error}");
            tokio::spawn(pass_on_unlogged(events, forward, warning));
        }
    }
    passed_on
}

/// Without a log: the warning, then every event as it comes.
async fn pass_on_unlogged(mut events: mpsc::Receiver<ConnEvent>, forward: mpsc::Sender<ConnEvent>, warning: String) {
    if forward.send(ConnEvent::Warning(warning)).await.is_err() {
        return;
    }
    while let Some(event) = events.recv().await {
        if forward.send(event).await.is_err() {
            return;
        }
    }
}

fn run(mut events: mpsc::Receiver<ConnEvent>, forward: mpsc::Sender<ConnEvent>, mut sink: Sink) {
    while let Some(event) = events.blocking_recv() {
        let warning = sink.record(&event);
        if forward.blocking_send(event).is_err() {
            return;
        }
        if let Some(warning) = warning
            && forward.blocking_send(ConnEvent::Warning(warning)).is_err()
        {
            return;
        }
    }
}

struct Sink {
    target: LogTarget,
    /// Records the file failed to take since its last good write.
    lost: u64,
}

impl Sink {
    fn new(target: LogTarget) -> Self {
        Self { target, lost: 0 }
    }

    /// Writes what `event` adds to the log; a warning if the log started or
    /// stopped failing.
    fn record(&mut self, event: &ConnEvent) -> Option<String> {
        let with_secrets = self.target.with_secrets;
        let line = match event {
            ConnEvent::Frame(frame) => export::ndjson_line(frame),
            ConnEvent::State { state, at } => {
                let time: chrono::DateTime<chrono::Utc> = (*at).into();
                let (name, detail) = match state {
                    ConnState::Connecting { url, .. } if with_secrets => ("connecting", url.clone()),
                    ConnState::Connecting { url, .. } => {
                        ("connecting", secrets::mask_url(url, secrets::FILE_MASK).into_owned())
                    }
                    ConnState::Open { .. } => ("open", String::new()),
                    ConnState::Closed { code, reason, .. } => (
                        "closed",
                        format!("{} {reason}", code.map(|c| c.to_string()).unwrap_or_default()),
                    ),
                    ConnState::Failed(error) => ("failed", error.to_string()),
                    ConnState::Reconnecting { attempt, .. } => ("reconnecting", format!("attempt {attempt}")),
                    ConnState::Idle | ConnState::Closing => return None,
                };
                let mut record = serde_json::json!({
                    "time": time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                    "event": name,
                    "detail": detail.trim(),
                });
                // A rejected upgrade keeps its status and body, so that
                // `serve --replay --reject-as-recorded` can refuse as it did.
                if let ConnState::Failed(crate::conn::ConnError::Upgrade { status, body, .. }) = state {
                    record["status"] = (*status).into();
                    record["body"] = body.as_str().into();
                }
                record.to_string()
            }
            ConnEvent::Handshake(report) => serde_json::json!({
                "event": "handshake",
                "status": report.status,
                "headers": export::headers_json(
                    report.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
                    with_secrets,
                ),
            })
            .to_string(),
            ConnEvent::Frames(frames) => {
                // One write for the whole batch.
                let mut lines = Vec::with_capacity(frames.len() * 256);
                for frame in frames {
                    export::write_ndjson_line(&mut lines, frame);
                }
                return self.write(&lines, frames.len() as u64);
            }
            _ => return None,
        };
        self.write(format!("{line}\n").as_bytes(), 1)
    }

    /// Straight to the file: nothing waits in a buffer of ours.
    fn write(&mut self, bytes: &[u8], records: u64) -> Option<String> {
        let tagged;
        let bytes = match self.target.connection {
            Some(id) => {
                tagged = tag_lines(bytes, id);
                &tagged[..]
            }
            None => bytes,
        };
        let mut file = &*self.target.file;
        match file.write_all(bytes) {
            Ok(()) if self.lost > 0 => {
                let lost = std::mem::take(&mut self.lost);
                let missing = if lost == 1 {
                    "1 record is missing".to_string()
                } else {
                    format!("{lost} records are missing")
                };
                Some(format!(
                    "--log is written again; {missing} from it (a record cut short by the failure may precede them)"
                ))
            }
            Ok(()) => None,
            Err(error) => {
                let first = self.lost == 0;
                self.lost += records;
                first.then(|| format!("--log write failed: {error}; the log is incomplete from here"))
            }
        }
    }
}

/// Each record (one JSON object a line) with `"conn":id` first.
fn tag_lines(lines: &[u8], id: u64) -> Vec<u8> {
    let tag = format!("{{\"conn\":{id},");
    let mut out = Vec::with_capacity(lines.len() + lines.len() / 16 + tag.len());
    for line in lines.split_inclusive(|b| *b == b'\n') {
        match line.strip_prefix(b"{") {
            Some(rest) => {
                out.extend_from_slice(tag.as_bytes());
                out.extend_from_slice(rest);
            }
            None => out.extend_from_slice(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_is_tagged_with_its_connection() {
        let tagged = tag_lines(b"{\"a\":1}\n{\"b\":2}\n", 7);
        assert_eq!(tagged, b"{\"conn\":7,\"a\":1}\n{\"conn\":7,\"b\":2}\n");
    }
}
