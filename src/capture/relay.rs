//! A captured connection once both sides are upgraded: frames pumped each
//! way by a task of their own, each recorded as it passes, and the
//! inspector's commands (inject, close) carried out.
//!
//! Each direction is pumped on its own, so a side that stops reading
//! stalls only what goes to it; and its write fails after the send timeout,
//! ending the connection with that side named. Pings are answered at each
//! hop (tungstenite answers them as it reads), so both peers stay alive
//! whatever the other does; they are recorded, not passed on.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant, SystemTime};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::hold::{Hold, HoldRule, Offer};
use super::rules::Rules;
use crate::conn::arena::Arena;
use crate::conn::{CaptureCommand, ConnCommand, ConnError, ConnEvent, ConnState, HoldOutcome, Outgoing};
use crate::filter::Pattern;
use crate::record::{Closer, Direction, FrameKind, FrameRecord};

/// Any byte stream a side can run on: TCP, or TLS over it.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// One side's socket.
pub type Side = WebSocketStream<Box<dyn Io>>;

/// Frames read in one go before they are handed on: one wake-up of the UI
/// per batch, not per frame.
const BATCH: usize = 256;

/// How long the second side may take to finish once the first has.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// What the relay needs besides its two sockets.
#[derive(Clone)]
pub struct RelaySettings {
    /// A side that takes nothing for this long fails the connection.
    pub send_timeout: Duration,
    pub rules: Arc<Rules>,
    /// A held frame not acted on for this long goes on as it was.
    pub hold_timeout: Duration,
}

/// Something a pump is told to do besides relaying.
enum Order {
    Inject(Message),
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
enum Ended {
    /// It sent a close frame (and the stream then ended).
    Closed { code: Option<u16>, reason: String },
    /// The TCP connection ended without a close frame, or broke.
    Dropped(String),
    /// The destination took nothing for the send timeout.
    Stalled,
    /// The inspector went away.
    Abandoned,
}

/// Relays between `client` and `server` until both have ended, then says
/// how the connection closed.
pub async fn run(
    client: Side,
    server: Side,
    settings: RelaySettings,
    initial_rule: Option<crate::conn::InterceptRule>,
    mut commands: mpsc::UnboundedReceiver<ConnCommand>,
    events: mpsc::Sender<ConnEvent>,
) {
    let (to_client, from_client) = client.split();
    let (to_server, from_server) = server.split();
    let (up_orders, up_orders_rx) = mpsc::unbounded_channel();
    let (down_orders, down_orders_rx) = mpsc::unbounded_channel();
    let hold_ids = Arc::new(AtomicU64::new(1));
    let first_close = Arc::new(OnceLock::new());
    // Taken before any frame is read: the first frame can be held.
    if initial_rule.is_some() {
        obey(
            ConnCommand::Capture(CaptureCommand::Intercept(initial_rule)),
            &up_orders,
            &down_orders,
            &events,
        )
        .await;
    }
    let up = tokio::spawn(pump(
        Ends {
            from: from_client,
            to: to_server,
            first_close: first_close.clone(),
        },
        Direction::Sent,
        up_orders_rx,
        events.clone(),
        Hold::new(settings.hold_timeout, hold_ids.clone()),
        settings.clone(),
    ));
    let down = tokio::spawn(pump(
        Ends {
            from: from_server,
            to: to_client,
            first_close: first_close.clone(),
        },
        Direction::Received,
        down_orders_rx,
        events.clone(),
        Hold::new(settings.hold_timeout, hold_ids),
        settings,
    ));
    let mut up = up.map(|r| r.unwrap_or(Ended::Dropped("the relay stopped".into())));
    let mut down = down.map(|r| r.unwrap_or(Ended::Dropped("the relay stopped".into())));
    let mut commands_open = true;
    let (first, first_direction) = loop {
        tokio::select! {
            ended = &mut up => break (ended, Direction::Sent),
            ended = &mut down => break (ended, Direction::Received),
            command = commands.recv(), if commands_open => match command {
                Some(command) => obey(command, &up_orders, &down_orders, &events).await,
                None => commands_open = false,
            },
        }
    };
    // The other side hears of it: a close frame passed on already did
    // that; otherwise it gets one saying why.
    let (other_orders, other) = match first_direction {
        Direction::Sent => (
            &down_orders,
            &mut down as &mut (dyn Future<Output = Ended> + Unpin + Send),
        ),
        Direction::Received => (&up_orders, &mut up as &mut (dyn Future<Output = Ended> + Unpin + Send)),
    };
    // The up pump reads the client and writes the server; the down pump
    // the other way round.
    // (A side that went away was told by the pump that writes to it.)
    let gone = match (&first, first_direction) {
        (Ended::Stalled, Direction::Sent) => Some("the server stopped reading"),
        (Ended::Stalled, Direction::Received) => Some("the client stopped reading"),
        (Ended::Abandoned, _) => Some("wscope stopped relaying"),
        _ => None,
    };
    if let Some(reason) = gone {
        let _ = other_orders.send(Order::Close {
            code: 1001,
            reason: reason.into(),
        });
    }
    let _ = tokio::time::timeout(CLOSE_WAIT, other).await;
    // Who closed is who sent the first close frame, not whose side
    // finished first (a client ends its socket once it answers).
    let closer = first_close.get().copied().unwrap_or(first_direction);
    let state = final_state(first, first_direction, closer);
    let _ = events.send(ConnEvent::state(state)).await;
}

fn final_state(first: Ended, direction: Direction, closer: Direction) -> ConnState {
    let by = match closer {
        Direction::Sent => Closer::Us,
        Direction::Received => Closer::Server,
    };
    match first {
        Ended::Closed { code, reason } => ConnState::Closed { code, reason, by },
        Ended::Dropped(why) => ConnState::Closed {
            code: Some(crate::record::ABNORMAL_CLOSURE),
            reason: why,
            by: Closer::Network,
        },
        Ended::Stalled => ConnState::Failed(ConnError::Io {
            kind: std::io::ErrorKind::TimedOut,
            detail: format!(
                "the {} stopped reading: nothing could be written to it",
                match direction {
                    Direction::Sent => "server",
                    Direction::Received => "client",
                }
            ),
        }),
        Ended::Abandoned => ConnState::Closed {
            code: None,
            reason: "wscope stopped relaying".into(),
            by: Closer::Us,
        },
    }
}

/// Carries out one of the inspector's commands.
async fn obey(
    command: ConnCommand,
    up: &mpsc::UnboundedSender<Order>,
    down: &mpsc::UnboundedSender<Order>,
    events: &mpsc::Sender<ConnEvent>,
) {
    let both = |order: &dyn Fn() -> Order| {
        let _ = up.send(order());
        let _ = down.send(order());
    };
    match command {
        ConnCommand::Send(outgoing) => {
            let _ = up.send(Order::Inject(message_of(outgoing)));
        }
        ConnCommand::Ping(payload) => {
            let _ = up.send(Order::Inject(Message::Ping(payload)));
        }
        ConnCommand::Close { code, reason } => both(&|| Order::Close {
            code,
            reason: reason.clone(),
        }),
        ConnCommand::Capture(CaptureCommand::SendToClient(outgoing)) => {
            let _ = down.send(Order::Inject(message_of(outgoing)));
        }
        ConnCommand::Capture(CaptureCommand::Intercept(rule)) => {
            let compile = |on: bool| -> Result<Option<HoldRule>, String> {
                match &rule {
                    Some(rule) if on => Ok(Some(HoldRule {
                        pattern: Pattern::compile(&rule.filter)?,
                    })),
                    _ => Ok(None),
                }
            };
            match (
                compile(rule.as_ref().is_some_and(|r| r.up)),
                compile(rule.as_ref().is_some_and(|r| r.down)),
            ) {
                (Ok(up_rule), Ok(down_rule)) => {
                    let _ = up.send(Order::Hold(up_rule));
                    let _ = down.send(Order::Hold(down_rule));
                }
                (Err(error), _) | (_, Err(error)) => {
                    let _ = events
                        .send(ConnEvent::Refused(format!("not intercepting: {error}")))
                        .await;
                }
            }
        }
        ConnCommand::Capture(CaptureCommand::Release { id, edited }) => both(&|| Order::Release {
            id,
            edited: edited.clone().map(message_of),
        }),
        ConnCommand::Capture(CaptureCommand::Drop { id }) => both(&|| Order::Drop { id }),
        ConnCommand::Capture(CaptureCommand::ReleaseAll) => both(&|| Order::ReleaseAll),
        ConnCommand::Connect(_) => {
            let _ = events
                .send(ConnEvent::Refused(
                    "a captured connection is the client's: it cannot be reopened from here".into(),
                ))
                .await;
        }
        ConnCommand::SetReconnect(_) | ConnCommand::ShowKeepalives(_) => {}
    }
}

fn message_of(outgoing: Outgoing) -> Message {
    match outgoing {
        Outgoing::Text(text) => Message::Text(Utf8Bytes::from(text)),
        Outgoing::Binary(data) => Message::Binary(data),
    }
}

/// A pump's two ends: the side it reads, the side it writes.
struct Ends {
    from: SplitStream<Side>,
    to: SplitSink<Side, Message>,
    /// Which side sent the first close frame, shared by both pumps.
    first_close: Arc<OnceLock<Direction>>,
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

/// Moves frames from one side to the other until the source ends,
/// holding those the interception rule picks.
async fn pump(
    ends: Ends,
    direction: Direction,
    mut orders: mpsc::UnboundedReceiver<Order>,
    events: mpsc::Sender<ConnEvent>,
    mut hold: Hold,
    settings: RelaySettings,
) -> Ended {
    let Ends {
        mut from,
        mut to,
        first_close,
    } = ends;
    let mut arena = Arena::default();
    let mut closed: Option<(Option<u16>, String)> = None;
    let mut orders_open = true;
    let mut was_full = false;
    loop {
        let mut report = Report::default();
        let mut source_end = None;
        let deadline = hold.next_deadline();
        tokio::select! {
            biased;
            order = orders.recv(), if orders_open => match order {
                Some(Order::Inject(message)) => {
                    if let Some(record) = record_of(&message, direction, &mut arena) {
                        report.frames.push(record);
                    }
                    if deliver(&mut to, message, &settings).await.is_err() {
                        return Ended::Stalled;
                    }
                }
                Some(Order::Close { code, reason }) => {
                    let frame = CloseFrame { code: CloseCode::from(code), reason: Utf8Bytes::from(reason.clone()) };
                    report.frames.push(FrameRecord {
                        at: SystemTime::now(),
                        direction,
                        kind: FrameKind::Close { code: Some(code) },
                        payload: reason.into(),
                    });
                    if deliver(&mut to, Message::Close(Some(frame)), &settings).await.is_err() {
                        return Ended::Stalled;
                    }
                }
                Some(Order::Hold(rule)) => report.released(hold.set_rule(rule), HoldOutcome::Forwarded),
                Some(Order::Release { id, edited }) => {
                    let text = edited.as_ref().and_then(|m| m.to_text().ok()).map(str::to_string);
                    if hold.release(id, edited) {
                        report.released(vec![id], super::hold::outcome_of(text.as_deref()));
                    }
                }
                Some(Order::Drop { id }) => {
                    if hold.drop_held(id) {
                        report.released(vec![id], HoldOutcome::Dropped);
                    }
                }
                Some(Order::ReleaseAll) => report.released(hold.release_all(), HoldOutcome::Forwarded),
                None => orders_open = false,
            },
            () = wait_until(deadline) => report.released(hold.expire(Instant::now()), HoldOutcome::TimedOut),
            next = from.next(), if !hold.is_full() => {
                let mut next = next;
                for taken in 1..=BATCH {
                    match next {
                        None | Some(Err(_)) => {
                            let side = match direction {
                                Direction::Sent => "the client",
                                Direction::Received => "the server",
                            };
                            let why = match next {
                                Some(Err(error)) => format!("reading from {side} failed: {error}"),
                                _ => format!("{side} dropped the connection without a close frame"),
                            };
                            source_end = Some(match closed.take() {
                                Some((code, reason)) => Ended::Closed { code, reason },
                                None => Ended::Dropped(why),
                            });
                            // Nothing more comes this way: what is held goes on.
                            report.released(hold.set_rule(None), HoldOutcome::Forwarded);
                            break;
                        }
                        Some(Ok(message)) => {
                            if let Message::Close(frame) = &message {
                                first_close.get_or_init(|| direction);
                                closed.get_or_insert_with(|| match frame {
                                    Some(frame) => (Some(u16::from(frame.code)), frame.reason.to_string()),
                                    None => (None, String::new()),
                                });
                            }
                            let record = record_of(&message, direction, &mut arena);
                            if let Some(record) = &record {
                                report.frames.push(record.clone());
                            }
                            // Pings are answered at this hop; not passed on.
                            if !matches!(message, Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) {
                                let verdict = settings.rules.judge(direction, message);
                                if let Some(text) = verdict.note {
                                    report.after.push(ConnEvent::ProtocolNote { error: false, text });
                                }
                                if let Some(message) = verdict.message {
                                    match hold.offer(message, Instant::now()) {
                                        Offer::Pass(message) => {
                                            if deliver(&mut to, message, &settings).await.is_err() {
                                                return Ended::Stalled;
                                            }
                                        }
                                        Offer::Held(id) => {
                                            if let Some(frame) = record {
                                                report.after.push(ConnEvent::Held { id, frame });
                                            }
                                        }
                                        Offer::Queued => {}
                                    }
                                }
                            }
                        }
                    }
                    // Only what this batch will handle is taken from the
                    // socket: a frame taken and not handled would be lost.
                    if taken == BATCH {
                        break;
                    }
                    match from.next().now_or_never() {
                        Some(more) => next = more,
                        None => break,
                    }
                }
            },
        }
        while let Some(message) = hold.next_ready() {
            if deliver(&mut to, message, &settings).await.is_err() {
                return Ended::Stalled;
            }
        }
        // The destination may be gone already (its close passed on): that
        // side's own pump reports it.
        if tokio::time::timeout(settings.send_timeout, to.flush()).await.is_err() {
            return Ended::Stalled;
        }
        let full = hold.is_full();
        if full && !was_full {
            let side = match direction {
                Direction::Sent => "client",
                Direction::Received => "server",
            };
            report.after.push(ConnEvent::Warning(format!(
                "{} held or waiting behind a held one (the most kept): reading from the {side} paused until some are let go",
                crate::format::count(super::hold::MAX_WAITING as u64, "frame")
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
            if matches!(ended, Ended::Dropped(_)) {
                // This pump writes the other side: it hears it here, at once.
                let reason = match direction {
                    Direction::Sent => "the client went away",
                    Direction::Received => "the server went away",
                };
                let frame = CloseFrame {
                    code: CloseCode::Away,
                    reason: Utf8Bytes::from_static(reason),
                };
                let _ = deliver(&mut to, Message::Close(Some(frame)), &settings).await;
                let _ = tokio::time::timeout(settings.send_timeout, to.flush()).await;
            }
            return ended;
        }
    }
}

async fn wait_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}

/// Queues `message` for the other side. A side already gone is not an
/// error here (its own pump reports how it ended); one that takes nothing
/// for the send timeout is.
async fn deliver(to: &mut SplitSink<Side, Message>, message: Message, settings: &RelaySettings) -> Result<(), Stalled> {
    let feed = to.feed(message);
    tokio::pin!(feed);
    // Almost always the frame just joins the write buffer: no timer for
    // that (one per frame cost a flood most of its speed).
    if (&mut feed).now_or_never().is_some() {
        return Ok(());
    }
    match tokio::time::timeout(settings.send_timeout, feed).await {
        Ok(_) => Ok(()),
        Err(_) => Err(Stalled),
    }
}

struct Stalled;

/// The record of `message` passing in `direction`, its payload copied out
/// of tungstenite's read buffer.
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
