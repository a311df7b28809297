//! `--log`: every frame and connection event appended to a file as NDJSON.
//!
//! Each logged connection's events pass through a task that turns them into
//! records, has them written, and only then passes them on to whoever shows
//! them (the inspector, `test`, `pipe`, the proxy): whatever reached the
//! screen is in the file, even after `kill -9`. The writing itself is done
//! by one thread per file, shared by every connection logged to it, so no
//! file I/O runs on a runtime worker and a proxy's thousand connections
//! cost one thread, not a thousand. A failed write never ends the run, and
//! is never silent: the first failure and the recovery are passed on as
//! warnings.
//!
//! May import: `conn`, `export`, `secrets`.

use std::fs::File;
use std::io::Write;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::conn::{ConnEvent, ConnState, EVENT_QUEUE};
use crate::export;
use crate::secrets;

/// Where the log goes, and whether secrets are kept in it.
#[derive(Debug, Clone)]
pub struct LogTarget {
    writer: Arc<Writer>,
    /// `--export-secrets`: header values and URL tokens in clear.
    pub with_secrets: bool,
    /// A captured connection's id, written on each of its records so
    /// that one log holds many connections.
    pub connection: Option<u64>,
}

impl LogTarget {
    /// A log written to `file` by a thread of its own, started here.
    pub fn new(file: File, with_secrets: bool) -> std::io::Result<Self> {
        Ok(Self {
            writer: Arc::new(Writer::start(file)?),
            with_secrets,
            connection: None,
        })
    }

    /// The same file, for captured connection `id`.
    pub fn for_connection(&self, id: u64) -> Self {
        Self {
            connection: Some(id),
            ..self.clone()
        }
    }
}

/// Bytes to append, and who waits to hear they were.
struct Job {
    bytes: Vec<u8>,
    written: oneshot::Sender<std::io::Result<()>>,
}

/// The thread that appends to one log file. It ends once every target
/// for its file is gone.
#[derive(Debug)]
struct Writer {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl Writer {
    fn start(file: File) -> std::io::Result<Self> {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new().name("wscope-log".into()).spawn(move || {
            let mut file = file;
            for job in queue {
                // Straight to the file: nothing waits in a buffer of ours.
                let _ = job.written.send(file.write_all(&job.bytes));
            }
        })?;
        Ok(Self { jobs })
    }

    async fn append(&self, bytes: Vec<u8>) -> std::io::Result<()> {
        let (written, done) = oneshot::channel();
        let stopped = || std::io::Error::other("the log's writer thread stopped");
        self.jobs.send(Job { bytes, written }).map_err(|_| stopped())?;
        done.await.map_err(|_| stopped())?
    }
}

/// Passes `events` on through the log when there is one; otherwise hands
/// them back untouched.
pub fn attach(events: mpsc::Receiver<ConnEvent>, target: Option<LogTarget>) -> mpsc::Receiver<ConnEvent> {
    let Some(target) = target else { return events };
    let (forward, passed_on) = mpsc::channel(EVENT_QUEUE);
    tokio::spawn(run(events, forward, Sink::new(target)));
    passed_on
}

async fn run(mut events: mpsc::Receiver<ConnEvent>, forward: mpsc::Sender<ConnEvent>, mut sink: Sink) {
    while let Some(event) = events.recv().await {
        let warning = sink.record(&event).await;
        if forward.send(event).await.is_err() {
            return;
        }
        if let Some(warning) = warning
            && forward.send(ConnEvent::Warning(warning)).await.is_err()
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
    async fn record(&mut self, event: &ConnEvent) -> Option<String> {
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
                return self.write(lines, frames.len() as u64).await;
            }
            _ => return None,
        };
        self.write(format!("{line}\n").into_bytes(), 1).await
    }

    /// Appends `bytes` (`records` of them) and waits until they are.
    async fn write(&mut self, bytes: Vec<u8>, records: u64) -> Option<String> {
        let bytes = match self.target.connection {
            Some(id) => tag_lines(&bytes, id),
            None => bytes,
        };
        match self.target.writer.append(bytes).await {
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
    use crate::record::{Direction, FrameRecord};

    /// Threads of this process named `name`.
    fn threads_named(name: &str) -> usize {
        std::fs::read_dir("/proc/self/task")
            .map(|tasks| {
                tasks
                    .flatten()
                    .filter(|task| {
                        std::fs::read_to_string(task.path().join("comm")).is_ok_and(|comm| comm.trim() == name)
                    })
                    .count()
            })
            .unwrap_or(0)
    }

    /// Writer threads, once they number `expected` or a second has passed:
    /// a thread takes its name only once it runs, and ends a little after
    /// its last job.
    async fn writers_once_settled(expected: usize) -> usize {
        for _ in 0..100 {
            if threads_named("wscope-log") == expected {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        threads_named("wscope-log")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_connections_share_one_writer_and_each_record_is_written_before_it_is_passed_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.ndjson");
        let file = std::fs::File::create(&path).unwrap();
        let before = threads_named("wscope-log");
        let target = LogTarget::new(file, false).unwrap();
        let mut connections = Vec::new();
        for id in 0..300u64 {
            let (events, receiver) = mpsc::channel(8);
            let passed_on = attach(receiver, Some(target.for_connection(id)));
            connections.push((id, events, passed_on));
        }
        drop(target);
        assert_eq!(
            writers_once_settled(before + 1).await,
            before + 1,
            "one writer for one file"
        );
        for (id, events, passed_on) in &mut connections {
            let frames = vec![FrameRecord::text(Direction::Sent, &format!("frame of {id}")); 2];
            events.send(ConnEvent::Frames(frames)).await.unwrap();
            assert!(matches!(passed_on.recv().await, Some(ConnEvent::Frames(_))));
            // Passed on, so already in the file.
            let written = std::fs::read_to_string(&path).unwrap();
            assert_eq!(written.matches(&format!("frame of {id}\"")).count(), 2, "{id}");
            assert!(written.contains(&format!("{{\"conn\":{id},")), "{id}");
        }
        let written = std::fs::read_to_string(&path).unwrap();
        assert_eq!(written.lines().count(), 600);
        assert!(
            written
                .lines()
                .all(|line| serde_json::from_str::<serde_json::Value>(line).is_ok())
        );
        // Once every connection is gone, so is the writer.
        drop(connections);
        assert_eq!(writers_once_settled(before).await, before);
    }

    #[test]
    fn every_record_is_tagged_with_its_connection() {
        let tagged = tag_lines(b"{\"a\":1}\n{\"b\":2}\n", 7);
        assert_eq!(tagged, b"{\"conn\":7,\"a\":1}\n{\"conn\":7,\"b\":2}\n");
    }
}
