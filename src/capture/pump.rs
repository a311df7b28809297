//! One direction of a captured connection: frames read from one side,
//! recorded, judged by the rules and the hold, and written to the other.
//!
//! A frame nothing touches goes on as the bytes it came in; only one the
//! rules rewrote, the user edited or the inspector made is encoded afresh.
//! Each turn reads what the socket has, writes what it yields in one call,
//! and reports its frames to the inspector in one event.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use tokio::io::{AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::hold::{Hold, HoldRule, Offer};
use super::relay::{Io, RelaySettings};
use super::wire::{self, Piece, PieceKind, Reader, Wire};
use crate::conn::arena::Arena;
use crate::conn::{ConnEvent, HoldOutcome};
use crate::record::{Direction, FrameKind, FrameRecord};

/// A write buffer grown past this by one large frame is let go after it.
const KEPT_WRITE_BUFFER: usize = 1 << 20;

/// The most frames a turn's report is sized for at its start.
const MOST_FRAMES_RESERVED: usize = 8192;

/// Something a pump is told to do besides relaying.
pub enum Order {
    Inject(Message),
    /// Answer a ping that the other pump read from this pump's destination.
    Pong(Bytes),
    Close {
        code: u16,
        reason: String,
    },
    /// Start holding by this rule, or stop (and let everything go).
    Hold(Option<HoldRule>),
    /// Sent to both pumps: the one holding `id` acts.
    Release {
        id: u64,
        edited: Option<Message>,
    },
    Drop {
        id: u64,
    },
    ReleaseAll,
}

/// How a pump's source ended.
#[derive(Debug)]
pub enum Ended {
    /// It sent a close frame (and the stream then ended).
    Closed { code: Option<u16>, reason: String },
    /// The TCP connection ended without a close frame, or broke.
    Dropped(String),
    /// The destination took nothing for the send timeout.
    Stalled,
    /// The inspector went away.
    Abandoned,
}

/// A pump's two ends: the side it reads, the side it writes.
pub struct Ends {
    pub from: ReadHalf<Box<dyn Io>>,
    pub reader: Reader,
    pub to: WriteHalf<Box<dyn Io>>,
    /// The other pump's orders: it writes to this pump's source, so the
    /// source's pings are answered through it.
    pub answer: mpsc::UnboundedSender<Order>,
    /// The close frames seen, shared by both pumps.
    pub closes: Arc<Closes>,
}

/// Which sides have sent their close frame, and which did first.
#[derive(Debug, Default)]
pub struct Closes {
    first: OnceLock<Direction>,
    /// From the client, from the server.
    seen: [AtomicBool; 2],
}

impl Closes {
    fn saw(&self, from: Direction) {
        self.first.get_or_init(|| from);
        self.seen[usize::from(from == Direction::Received)].store(true, Ordering::Relaxed);
    }

    /// The side that sent the first close frame.
    pub fn first(&self) -> Option<Direction> {
        self.first.get().copied()
    }

    /// Whether the side that reads as `from` has sent its close frame.
    pub fn seen(&self, from: Direction) -> bool {
        self.seen[usize::from(from == Direction::Received)].load(Ordering::Relaxed)
    }
}

/// What one turn of a pump has to report.
#[derive(Default)]
struct Report {
    frames: Vec<FrameRecord>,
    after: Vec<ConnEvent>,
}

impl Report {
    fn released(&mut self, ids: Vec<u64>, outcome: HoldOutcome) {
        self.after.extend(ids.into_iter().map(|id| ConnEvent::Released {
            id,
            outcome: outcome.clone(),
        }));
    }
}

/// One direction's state across turns.
struct Pump {
    direction: Direction,
    /// Frames written to a server are masked.
    to_server: bool,
    /// Bytes for the destination, written once a turn.
    out: Vec<u8>,
    /// Frames passed on as they came, still in the reader's buffer: written
    /// from there, with no copy into `out`, while nothing else goes out in
    /// the turn. Set only while `out` is empty; anything added to `out`
    /// first moves these bytes in ([`Pump::settle`]), so the order holds.
    pending: Option<std::ops::Range<usize>>,
    hold: Hold,
    settings: RelaySettings,
    answer: mpsc::UnboundedSender<Order>,
    closes: Arc<Closes>,
    /// The source's close frame, once it sent one.
    closed: Option<(Option<u16>, String)>,
    /// The destination was sent a close by wscope: the source's own close
    /// (its answer to ours) and anything after are not passed on.
    told_to_close: bool,
    /// For frames the inspector makes.
    arena: Arena,
    /// Frames the last turn took: the next is likely alike, and a report
    /// sized for it is not grown by doubling (each a copy) during a flood.
    last_turn_frames: usize,
}

/// Moves frames from one side to the other until the source ends,
/// holding those the interception rule picks.
pub async fn pump(
    ends: Ends,
    direction: Direction,
    mut orders: mpsc::UnboundedReceiver<Order>,
    events: mpsc::Sender<ConnEvent>,
    hold: Hold,
    settings: RelaySettings,
) -> Ended {
    let Ends {
        mut from,
        mut reader,
        mut to,
        answer,
        closes,
    } = ends;
    let mut pump = Pump {
        direction,
        to_server: direction == Direction::Sent,
        out: Vec::new(),
        pending: None,
        hold,
        settings,
        answer,
        closes,
        closed: None,
        told_to_close: false,
        arena: Arena::default(),
        last_turn_frames: 0,
    };
    let mut orders_open = true;
    let mut was_full = false;
    // A destination that is gone is not this pump's to report (its own
    // pump hears it): what would go to it is dropped.
    let mut destination_gone = false;
    loop {
        let mut report = Report::default();
        let mut source_end = None;
        let deadline = pump.hold.next_deadline();
        tokio::select! {
            biased;
            order = orders.recv(), if orders_open => match order {
                Some(order) => pump.obey(order, &mut report),
                None => orders_open = false,
            },
            () = wait_until(deadline) => report.released(pump.hold.expire(Instant::now()), HoldOutcome::TimedOut),
            read = reader.fill(&mut from), if !pump.hold.is_full() => {
                source_end = match read {
                    Ok(0) => Some(match pump.closed.take() {
                        Some((code, reason)) => Ended::Closed { code, reason },
                        None => Ended::Dropped(format!("{} dropped the connection without a close frame", pump.source())),
                    }),
                    Err(error) => Some(Ended::Dropped(format!("reading from {} failed: {error}", pump.source()))),
                    Ok(_) => pump.take_pieces(&mut reader, &mut report),
                };
                if source_end.is_some() {
                    // Nothing more comes this way: what is held goes on.
                    report.released(pump.hold.set_rule(None), HoldOutcome::Forwarded);
                }
            },
        }
        while let Some(message) = pump.hold.next_ready() {
            pump.settle(&reader);
            wire::encode(message, pump.to_server, &mut pump.out);
        }
        let outgoing = match pump.pending.take() {
            Some(range) => {
                debug_assert!(pump.out.is_empty(), "pending bytes go out only when nothing else does");
                reader.buffered(range)
            }
            None => &pump.out[..],
        };
        if !outgoing.is_empty() && !destination_gone {
            match tokio::time::timeout(pump.settings.send_timeout, to.write_all(outgoing)).await {
                Err(_) => return Ended::Stalled,
                Ok(Err(_)) => destination_gone = true,
                Ok(Ok(())) => {}
            }
        }
        pump.out.clear();
        if pump.out.capacity() > KEPT_WRITE_BUFFER {
            pump.out = Vec::new();
        }
        let full = pump.hold.is_full();
        if full && !was_full {
            report.after.push(ConnEvent::Warning(format!(
                "{} held or waiting behind a held one (the most kept): reading from {} paused until some are let go",
                crate::format::count(super::hold::MAX_WAITING as u64, "frame"),
                pump.source(),
            )));
        }
        was_full = full;
        if !report.frames.is_empty() && events.send(ConnEvent::Frames(report.frames)).await.is_err() {
            return Ended::Abandoned;
        }
        for event in report.after {
            if events.send(event).await.is_err() {
                return Ended::Abandoned;
            }
        }
        if let Some(ended) = source_end {
            if matches!(ended, Ended::Dropped(_)) && !pump.told_to_close && !destination_gone {
                // This pump writes the other side: it hears it here, at once.
                let reason = match direction {
                    Direction::Sent => "the client went away",
                    Direction::Received => "the server went away",
                };
                let frame = CloseFrame {
                    code: CloseCode::Away,
                    reason: Utf8Bytes::from_static(reason),
                };
                wire::encode(Message::Close(Some(frame)), pump.to_server, &mut pump.out);
                let _ = tokio::time::timeout(pump.settings.send_timeout, to.write_all(&pump.out)).await;
            }
            // The destination sees the end of the stream too, so a peer that
            // waits for the TCP close after the close frames is not kept.
            let _ = tokio::time::timeout(pump.settings.send_timeout, to.shutdown()).await;
            return ended;
        }
    }
}

impl Pump {
    fn source(&self) -> &'static str {
        match self.direction {
            Direction::Sent => "the client",
            Direction::Received => "the server",
        }
    }

    fn obey(&mut self, order: Order, report: &mut Report) {
        match order {
            Order::Inject(message) => {
                if let Some(record) = record_of(&message, self.direction, &mut self.arena) {
                    report.frames.push(record);
                }
                wire::encode(message, self.to_server, &mut self.out);
            }
            Order::Pong(payload) => wire::encode(Message::Pong(payload), self.to_server, &mut self.out),
            Order::Close { code, reason } => {
                report.frames.push(FrameRecord {
                    at: SystemTime::now(),
                    direction: self.direction,
                    kind: FrameKind::Close { code: Some(code) },
                    payload: Bytes::from(reason.clone()),
                });
                let frame = CloseFrame {
                    code: CloseCode::from(code),
                    reason: Utf8Bytes::from(reason),
                };
                if !self.told_to_close {
                    wire::encode(Message::Close(Some(frame)), self.to_server, &mut self.out);
                }
                self.told_to_close = true;
            }
            Order::Hold(rule) => report.released(self.hold.set_rule(rule), HoldOutcome::Forwarded),
            Order::Release { id, edited } => {
                let text = edited.as_ref().and_then(|m| m.to_text().ok()).map(str::to_string);
                if self.hold.release(id, edited) {
                    report.released(vec![id], super::hold::outcome_of(text.as_deref()));
                }
            }
            Order::Drop { id } => {
                if self.hold.drop_held(id) {
                    report.released(vec![id], HoldOutcome::Dropped);
                }
            }
            Order::ReleaseAll => report.released(self.hold.release_all(), HoldOutcome::Forwarded),
        }
    }

    /// Takes every whole piece buffered (until the hold is full); returns
    /// how the source ended if its bytes broke the protocol.
    fn take_pieces(&mut self, reader: &mut Reader, report: &mut Report) -> Option<Ended> {
        // One clock read a turn: the frames came in one read.
        let at = SystemTime::now();
        report
            .frames
            .reserve(self.last_turn_frames.clamp(64, MOST_FRAMES_RESERVED));
        while !self.hold.is_full() {
            match reader.next() {
                Ok(Some(Piece { kind, payload, wire })) => self.take(kind, payload, reader, &wire, at, report),
                Ok(None) => {
                    self.last_turn_frames = report.frames.len();
                    return None;
                }
                Err(error) => {
                    // The offender hears why, as from a server that refuses it.
                    let _ = self.answer.send(Order::Close {
                        code: error.close_code(),
                        reason: error.to_string(),
                    });
                    return Some(Ended::Dropped(format!("{} broke the protocol: {error}", self.source())));
                }
            }
        }
        None
    }

    /// Sends on `wire` (a piece's bytes as they came, in `reader`) after
    /// what is already going out.
    fn pass_as_it_came(&mut self, reader: &Reader, wire: &Wire) {
        if let Wire::InBuffer(range) = wire
            && self.out.is_empty()
        {
            match &mut self.pending {
                None => {
                    self.pending = Some(range.clone());
                    return;
                }
                Some(pending) if pending.end == range.start => {
                    pending.end = range.end;
                    return;
                }
                Some(_) => {}
            }
        }
        self.settle(reader);
        self.out.extend_from_slice(reader.wire(wire));
    }

    /// Moves the pending bytes into `out`, before anything else joins it.
    fn settle(&mut self, reader: &Reader) {
        if let Some(range) = self.pending.take() {
            self.out.extend_from_slice(reader.buffered(range));
        }
    }

    /// One piece the source sent: its payload, and `wire`, where in
    /// `reader` the bytes it came in are.
    fn take(
        &mut self,
        kind: PieceKind,
        payload: Bytes,
        reader: &Reader,
        wire: &Wire,
        at: SystemTime,
        report: &mut Report,
    ) {
        let mut record = FrameRecord {
            at,
            direction: self.direction,
            kind: FrameKind::Text,
            payload,
        };
        match kind {
            PieceKind::Text | PieceKind::Binary => {
                if kind == PieceKind::Binary {
                    record.kind = FrameKind::Binary;
                }
                self.pass_on(kind, reader, wire, &record, report);
            }
            PieceKind::Ping => {
                record.kind = FrameKind::Ping;
                // Answered at this hop, through the pump that writes back.
                let _ = self.answer.send(Order::Pong(record.payload.clone()));
            }
            PieceKind::Pong => record.kind = FrameKind::Pong,
            PieceKind::Close => {
                let frame = wire::close_frame(&record.payload);
                let code = frame.as_ref().map(|f| u16::from(f.code));
                record.kind = FrameKind::Close { code };
                // The close's reason, as for every other close recorded.
                record.payload = record.payload.slice(record.payload.len().min(2)..);
                self.closes.saw(self.direction);
                if self.closed.is_none() {
                    self.closed = Some((code, frame.map(|f| f.reason.to_string()).unwrap_or_default()));
                }
                if !self.told_to_close {
                    self.pass_as_it_came(reader, wire);
                }
            }
        }
        report.frames.push(record);
    }

    /// A data message through the rules and the hold.
    fn pass_on(&mut self, kind: PieceKind, reader: &Reader, wire: &Wire, record: &FrameRecord, report: &mut Report) {
        if self.told_to_close {
            return;
        }
        let untouchable = self.settings.rules.is_empty() && self.hold.is_idle();
        let message = if untouchable {
            None
        } else {
            kind.message(&record.payload)
        };
        let Some(message) = message else {
            // No rule applies (or a text that is not UTF-8, which no rule
            // can read): the bytes go on as they came.
            self.pass_as_it_came(reader, wire);
            return;
        };
        let verdict = self.settings.rules.judge(self.direction, message);
        // The rules note every frame they change or drop.
        let changed = verdict.note.is_some();
        if let Some(text) = verdict.note {
            report.after.push(ConnEvent::ProtocolNote { error: false, text });
        }
        let Some(message) = verdict.message else { return };
        match self.hold.offer(message, Instant::now()) {
            Offer::Pass(_) if !changed => self.pass_as_it_came(reader, wire),
            Offer::Pass(message) => {
                self.settle(reader);
                wire::encode(message, self.to_server, &mut self.out);
            }
            Offer::Held(id) => report.after.push(ConnEvent::Held {
                id,
                frame: record.clone(),
            }),
            Offer::Queued => {}
        }
    }
}

async fn wait_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}

/// The record of `message`, made by the inspector, going `direction`.
fn record_of(message: &Message, direction: Direction, arena: &mut Arena) -> Option<FrameRecord> {
    let (kind, payload) = match message {
        Message::Text(text) => (FrameKind::Text, arena.keep(text.as_bytes())),
        Message::Binary(data) => (FrameKind::Binary, arena.keep(data)),
        Message::Ping(data) => (FrameKind::Ping, arena.keep(data)),
        Message::Pong(data) => (FrameKind::Pong, arena.keep(data)),
        Message::Close(frame) => (
            FrameKind::Close {
                code: frame.as_ref().map(|f| u16::from(f.code)),
            },
            frame
                .as_ref()
                .map(|f| arena.keep(f.reason.as_bytes()))
                .unwrap_or_default(),
        ),
        Message::Frame(_) => return None,
    };
    Some(FrameRecord {
        at: SystemTime::now(),
        direction,
        kind,
        payload,
    })
}
