//! Taking frames off the socket: a pass over everything already buffered,
//! turned into frame records in batches, and how a connection ended.

use std::io;

use bytes::Bytes;
use std::time::{Instant, SystemTime};

use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};

use super::arena::Arena;
use super::error::{ConnError, Phase};
use super::latency::{PingTracker, ReplyTimer};
use super::task::CLOSE_TIMEOUT;
use super::{ConnEvent, ConnState};
use crate::record::{ABNORMAL_CLOSURE, Closer, Direction, FrameKind, FrameRecord};

/// Most events handed to the UI in one batch; bounds the latency a single
/// batch adds and the memory it holds.
pub(super) const MAX_BATCH: usize = 1024;

/// Frames are stamped with the wall clock once per this many taken from
/// the socket in one go. They were all buffered already and are taken within
/// microseconds of each other, far below the millisecond the time column
/// shows, while a clock read per frame cost 7% of the task's time in a flood.
const FRAMES_PER_CLOCK_READ: usize = 32;

/// Most bytes tungstenite reads from the socket at once; its default is
/// 128 KiB. tungstenite zero-fills this much of its buffer before *every*
/// read, even one that finds nothing (a poll woken by a send): at 256 KiB
/// that memset was 38 % of `pipe`'s time echoing 300k short lines. Zeroing
/// costs the same per byte of a flood whatever the size, so a flood only
/// pays more reads for a smaller one: 64 KiB read a 2M-frame flood faster
/// than 16 KiB (0.63–0.67 s against 0.67–0.82 s).
pub(super) const READ_BUFFER_SIZE: usize = 64 << 10;

/// Frames in one pass past which the rest of a batch is reserved at once.
const FLOOD_HINT: usize = 16;

/// What one pass over the socket's buffered messages produced, in order:
/// runs of frames, with the events they imply (a latency, the closing
/// state) between them. A flood yields one run per pass.
pub(super) struct Intake<'a> {
    /// Frames the protocol wants sent at once, shown and not.
    pub(super) replies: Vec<crate::protocol::Outbound>,
    pub(super) answers: Vec<String>,
    pub(super) binary_answers: Vec<Vec<u8>>,
    /// Frames the protocol hid (heartbeats).
    pub(super) hidden: u64,
    /// The protocol gave the connection up (the state is among the events).
    pub(super) failed: bool,
    /// Whether hidden frames are still logged (the user asked to see them).
    show_keepalives: bool,
    events: Vec<ConnEvent>,
    run: Vec<FrameRecord>,
    pub(super) taken: usize,
    clock: Option<SystemTime>,
    arena: &'a mut Arena,
}

impl<'a> Intake<'a> {
    /// Reports the protocol's failure once, in order with the frames.
    fn give_up(&mut self, reason: Option<String>) {
        if let Some(reason) = reason.filter(|_| !self.failed) {
            self.failed = true;
            self.event(ConnEvent::state(ConnState::Failed(ConnError::Protocol(reason))));
        }
    }

    pub(super) fn new(arena: &'a mut Arena, show_keepalives: bool) -> Self {
        Self {
            replies: Vec::new(),
            answers: Vec::new(),
            binary_answers: Vec::new(),
            hidden: 0,
            failed: false,
            show_keepalives,
            events: Vec::new(),
            run: Vec::new(),
            taken: 0,
            clock: None,
            arena,
        }
    }

    /// Logs a received frame; the payload is copied out of tungstenite's
    /// buffer (see [`Arena`]).
    fn push(&mut self, kind: FrameKind, payload: &[u8]) {
        let payload = self.arena.keep(payload);
        let at = match self.clock {
            Some(at) if !self.taken.is_multiple_of(FRAMES_PER_CLOCK_READ) => at,
            _ => *self.clock.insert(SystemTime::now()),
        };
        self.taken += 1;
        // A pass that goes past a few frames is a flood: make room for a
        // whole batch at once rather than doubling (and copying) six times.
        if self.run.len() == FLOOD_HINT {
            self.run.reserve_exact(MAX_BATCH - FLOOD_HINT);
        }
        self.run.push(FrameRecord {
            at,
            direction: Direction::Received,
            kind,
            payload,
        });
    }

    /// An event that follows the frames taken so far.
    fn event(&mut self, event: ConnEvent) {
        self.end_run();
        self.events.push(event);
    }

    fn end_run(&mut self) {
        match self.run.len() {
            0 => {}
            1 => self.events.extend(self.run.pop().map(ConnEvent::Frame)),
            _ => self.events.push(ConnEvent::Frames(std::mem::take(&mut self.run))),
        }
    }

    pub(super) fn into_events(mut self) -> Vec<ConnEvent> {
        self.end_run();
        self.events
    }
}

/// Turns one received message into a frame (and the events it implies).
pub(super) fn take_in(
    message: Message,
    protocol: &mut crate::protocol::Conversation,
    batch: &mut Intake<'_>,
    pings: &mut PingTracker,
    reply: &mut ReplyTimer,
    closing: &mut Option<(Closer, tokio::time::Instant)>,
    close_frame: &mut Option<(Option<u16>, String)>,
) {
    match message {
        // A latency goes out just ahead of the frame that ends it, so
        // whoever stops at that frame (`wscope test`) has it already.
        // Raw WebSocket, the common case and the flood path, asks nothing
        // of the protocol.
        Message::Text(text) if protocol.is_raw() => {
            if reply.is_waiting()
                && let Some(latency) = reply.received(Instant::now())
            {
                batch.event(ConnEvent::ReplyLatency(latency));
            }
            batch.push(FrameKind::Text, text.as_bytes());
        }
        Message::Text(text) => {
            let reaction = protocol.on_text(text.as_str(), Instant::now());
            take_reaction(reaction, FrameKind::Text, text.as_bytes(), batch, reply);
        }
        Message::Binary(data) if protocol.is_raw() => {
            if reply.is_waiting()
                && let Some(latency) = reply.received(Instant::now())
            {
                batch.event(ConnEvent::ReplyLatency(latency));
            }
            batch.push(FrameKind::Binary, &data);
        }
        Message::Binary(data) => {
            let reaction = protocol.on_binary(&data);
            take_reaction(reaction, FrameKind::Binary, &data, batch, reply);
        }
        Message::Ping(data) => batch.push(FrameKind::Ping, &data),
        Message::Pong(payload) => {
            if let Some(rtt) = pings.finish(&payload, Instant::now()) {
                batch.event(ConnEvent::Rtt(rtt));
            }
            batch.push(FrameKind::Pong, &payload);
        }
        Message::Close(close) => {
            let (code, reason) = close_parts(close.as_ref());
            *close_frame = Some((code, reason.clone()));
            batch.push(FrameKind::Close { code }, reason.as_bytes());
            if closing.is_none() {
                // tungstenite queues the answering close frame itself.
                *closing = Some((Closer::Server, tokio::time::Instant::now() + CLOSE_TIMEOUT));
                batch.event(ConnEvent::state(ConnState::Closing));
            }
        }
        Message::Frame(_) => {}
    }
}

/// What a protocol made of a data frame: its answers and replies, the
/// frame logged (or hidden, or replaced by what it carried), its notes.
fn take_reaction(
    reaction: crate::protocol::Reaction,
    kind: FrameKind,
    payload: &[u8],
    batch: &mut Intake<'_>,
    reply: &mut ReplyTimer,
) {
    batch.replies.extend(reaction.replies);
    batch.answers.extend(reaction.answers);
    batch.binary_answers.extend(reaction.binary_answers);
    // Why the connection fails reads before the frame that made it fail:
    // a refused CONNECT's ERROR is no answer to wait for.
    batch.give_up(reaction.fail);
    if reaction.hide {
        // A keep-alive is no reply to what the user sent.
        batch.hidden += 1;
        if batch.show_keepalives {
            batch.push(kind, payload);
        }
    } else {
        // A frame that only began a message is no reply yet.
        let began_only = reaction.frames.as_ref().is_some_and(Vec::is_empty);
        if !began_only
            && reply.is_waiting()
            && let Some(latency) = reply.received(Instant::now())
        {
            batch.event(ConnEvent::ReplyLatency(latency));
        }
        match &reaction.frames {
            // The messages a transport frame carried stand in for it.
            Some(frames) => {
                for carried in frames {
                    match carried {
                        crate::protocol::Carried::Text(text) => batch.push(FrameKind::Text, text.as_bytes()),
                        crate::protocol::Carried::Binary(data) => batch.push(FrameKind::Binary, data),
                    }
                }
            }
            None => batch.push(kind, payload),
        }
    }
    // What the protocol makes of a frame reads after the frame.
    for (error, note) in reaction.notes {
        batch.event(ConnEvent::ProtocolNote { error, text: note });
    }
}

pub(super) fn close_parts(frame: Option<&CloseFrame>) -> (Option<u16>, String) {
    frame.map_or((None, String::new()), |f| {
        (Some(u16::from(f.code)), f.reason.to_string())
    })
}

/// The record for a frame, or `None` for raw frames, which are never read.
pub(super) fn record_of(direction: Direction, message: &Message) -> Option<FrameRecord> {
    let (kind, payload) = match message {
        Message::Text(text) => (FrameKind::Text, Bytes::from(text.clone())),
        Message::Binary(data) => (FrameKind::Binary, data.clone()),
        Message::Ping(data) => (FrameKind::Ping, data.clone()),
        Message::Pong(data) => (FrameKind::Pong, data.clone()),
        Message::Close(frame) => {
            let (code, reason) = close_parts(frame.as_ref());
            (FrameKind::Close { code }, Bytes::from(reason))
        }
        Message::Frame(_) => return None,
    };
    Some(FrameRecord {
        at: SystemTime::now(),
        direction,
        kind,
        payload,
    })
}

/// Decides how a connection ended from the error that ended it.
pub(super) fn end_state(
    error: tungstenite::Error,
    closing: Option<Closer>,
    frame: Option<(Option<u16>, String)>,
) -> ConnState {
    let abnormal = |reason: &str| ConnState::Closed {
        code: Some(ABNORMAL_CLOSURE),
        reason: reason.to_string(),
        by: Closer::Network,
    };
    // Our close frame went out and the server hung up instead of
    // answering it (socketioxide does, after a DISCONNECT): what the user
    // asked for happened, so it is not reported as a network failure.
    let hung_up_on_our_close = || ConnState::Closed {
        code: None,
        reason: "the server hung up instead of answering our close frame".into(),
        by: Closer::Us,
    };
    match error {
        tungstenite::Error::ConnectionClosed
        | tungstenite::Error::Protocol(tungstenite::error::ProtocolError::ResetWithoutClosingHandshake)
            if frame.is_none() && closing == Some(Closer::Us) =>
        {
            hung_up_on_our_close()
        }
        tungstenite::Error::Io(io) if frame.is_none() && closing == Some(Closer::Us) && is_drop(&io) => {
            hung_up_on_our_close()
        }
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => match (frame, closing) {
            (Some((code, reason)), Some(by)) => ConnState::Closed { code, reason, by },
            (Some((code, reason)), None) => ConnState::Closed {
                code,
                reason,
                by: Closer::Server,
            },
            (None, _) => abnormal("the connection ended without a close frame"),
        },
        tungstenite::Error::Protocol(tungstenite::error::ProtocolError::ResetWithoutClosingHandshake) => {
            abnormal("the connection was reset without a close frame")
        }
        tungstenite::Error::Io(io) if is_drop(&io) => abnormal(&format!("the connection dropped: {io}")),
        other => ConnState::Failed(ConnError::from_stream(other, Phase::Upgrade, "")),
    }
}

fn is_drop(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
    )
}
