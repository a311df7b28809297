//! The write half of an open connection, in a task of its own.
//!
//! A send to a server that has stopped reading never completes. Were it
//! awaited where the frames are read, reads, pings, the ping-timeout check
//! and the user's commands would all wait behind it, and the connection
//! would sit "Connected" forever. Here the session hands messages over and
//! carries on; the writer reports each one once it is out, and
//! [`Writer::stalled_since`] tells how long a send has made no progress.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::{self, Message};

use super::handshake::Socket;
use super::metered::WriteProgress;
use crate::record::{Direction, FrameRecord};

/// What the writer reports back, in the order the messages were queued.
#[derive(Debug)]
pub enum Written {
    /// A message went out; its record is stamped when it finished.
    /// `None` for messages that are not frames of their own.
    Sent(Option<FrameRecord>),
    /// Writing failed; the writer has stopped.
    Failed(tungstenite::Error),
}

/// A protocol's keep-alive answers: text frames, then binary ones.
pub type Answers = (Vec<String>, Vec<Vec<u8>>);

/// How a sent message is reported as a frame.
#[derive(Debug)]
enum Report {
    AsSent,
    /// As this message instead (a secret masked).
    As(Message),
    Not,
}

/// The session's handle on its writer task.
pub struct Writer {
    /// `None` once [`Writer::finish`] has closed it.
    queue: Option<mpsc::UnboundedSender<(Message, Report)>>,
    pub reports: mpsc::UnboundedReceiver<Written>,
    busy: Arc<Busy>,
    progress: Arc<WriteProgress>,
    task: JoinHandle<()>,
}

/// Since when a message is being written, if one is, and how many are
/// queued or being written.
#[derive(Debug, Default)]
struct Busy(Mutex<Option<Instant>>, AtomicUsize);

impl Busy {
    fn set(&self, on: bool) {
        if let Ok(mut since) = self.0.lock() {
            *since = on.then(Instant::now);
        }
    }

    fn since(&self) -> Option<Instant> {
        self.0.lock().ok().and_then(|since| *since)
    }
}

impl Writer {
    /// Starts writing to `sink`; `progress` is the socket's write meter.
    pub fn spawn(sink: SplitSink<Socket, Message>, progress: Arc<WriteProgress>) -> Self {
        let (queue, messages) = mpsc::unbounded_channel();
        let (reports_tx, reports) = mpsc::unbounded_channel();
        let busy = Arc::new(Busy::default());
        let task = tokio::spawn(write_loop(sink, messages, reports_tx, busy.clone()));
        Self {
            queue: Some(queue),
            reports,
            busy,
            progress,
            task,
        }
    }

    /// Queues a message; it goes out after those queued before it.
    pub fn send(&self, message: Message) {
        self.enqueue(message, Report::AsSent);
    }

    /// Queues a message that is not reported as a frame once sent: a
    /// protocol's answer to a heartbeat, which the frames view hides.
    pub fn send_unreported(&self, message: Message) {
        self.enqueue(message, Report::Not);
    }

    /// What a protocol sends by itself: keep-alive answers, reported only
    /// when keep-alives are shown, then its replies.
    pub fn send_protocol_frames(&self, answers: Answers, replies: Vec<crate::protocol::Outbound>, show_answers: bool) {
        let (text, binary) = answers;
        let text = text.into_iter().map(|a| Message::Text(a.into()));
        let binary = binary.into_iter().map(|a| Message::Binary(a.into()));
        for answer in text.chain(binary) {
            if show_answers {
                self.send(answer);
            } else {
                self.send_unreported(answer);
            }
        }
        for reply in replies {
            self.send_outbound(reply);
        }
    }

    /// Queues a protocol's own frame, reported as its shown form when it
    /// has one (its secret masked).
    pub fn send_outbound(&self, outbound: crate::protocol::Outbound) {
        let (message, shown) = match outbound.binary {
            Some(data) => (
                Message::Binary(data.into()),
                outbound.shown_binary.map(|s| Message::Binary(s.into())),
            ),
            None => (
                Message::Text(outbound.text.into()),
                outbound.shown.map(|s| Message::Text(s.into())),
            ),
        };
        self.enqueue(message, shown.map_or(Report::AsSent, Report::As));
    }

    fn enqueue(&self, message: Message, report: Report) {
        // A writer that stopped has reported why; the report ends the session.
        if let Some(queue) = &self.queue {
            self.busy.1.fetch_add(1, Ordering::Relaxed);
            let _ = queue.send((message, report));
        }
    }

    /// `first`'s record and those of every report already in, up to `max`,
    /// and the error that stopped the writer if one came among them.
    pub fn reports_with(
        &mut self,
        first: Option<FrameRecord>,
        max: usize,
    ) -> (Vec<FrameRecord>, Option<tungstenite::Error>) {
        let mut records: Vec<FrameRecord> = first.into_iter().collect();
        while records.len() < max {
            match self.reports.try_recv() {
                Ok(Written::Sent(record)) => records.extend(record),
                Ok(Written::Failed(error)) => return (records, Some(error)),
                Err(_) => break,
            }
        }
        (records, None)
    }

    /// When the message being written last made progress, if one is being
    /// written: the later of its start and the last bytes that left.
    pub fn stalled_since(&self) -> Option<Instant> {
        let started = self.busy.since()?;
        Some(started.max(self.progress.last_write()))
    }

    /// Whether messages are queued or being written.
    pub fn has_pending(&self) -> bool {
        self.busy.1.load(Ordering::Relaxed) > 0
    }

    /// Waits up to `wait` for everything queued to go out, then stops.
    pub async fn finish(mut self, wait: std::time::Duration) {
        self.queue = None;
        // On time-out, dropping `self` aborts the task.
        let _ = tokio::time::timeout(wait, &mut self.task).await;
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Whatever is left unwritten goes with the connection.
        self.task.abort();
    }
}

/// Most messages written before one flush.
const WRITE_BATCH: usize = 256;

async fn write_loop(
    mut sink: SplitSink<Socket, Message>,
    mut messages: mpsc::UnboundedReceiver<(Message, Report)>,
    reports: mpsc::UnboundedSender<Written>,
    busy: Arc<Busy>,
) {
    while let Some(first) = messages.recv().await {
        // Everything already queued goes out with one flush (a `pipe` fed
        // many lines at once), not a flush a frame.
        let mut batch = vec![first];
        while batch.len() < WRITE_BATCH
            && let Ok(next) = messages.try_recv()
        {
            batch.push(next);
        }
        let taken = batch.len();
        let mut records = Vec::with_capacity(taken);
        busy.set(true);
        let mut result = Ok(());
        for (message, report) in batch {
            records.push(match report {
                Report::AsSent => super::intake::record_of(Direction::Sent, &message),
                Report::As(shown) => super::intake::record_of(Direction::Sent, &shown),
                Report::Not => None,
            });
            result = sink.feed(message).await;
            if result.is_err() {
                break;
            }
        }
        if result.is_ok() {
            result = sink.flush().await;
        }
        busy.set(false);
        busy.1.fetch_sub(taken, Ordering::Relaxed);
        if let Err(error) = result {
            let _ = reports.send(Written::Failed(error));
            return;
        }
        let at = SystemTime::now();
        for record in records {
            if reports
                .send(Written::Sent(record.map(|record| FrameRecord { at, ..record })))
                .is_err()
            {
                return;
            }
        }
    }
}
