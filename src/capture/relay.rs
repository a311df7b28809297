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
use std::time::{Duration, SystemTime};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::rules::Rules;
use crate::conn::arena::Arena;
use crate::conn::{ConnCommand, ConnError, ConnEvent, ConnState, Outgoing};
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
}

/// Something a pump is told to do besides relaying.
enum Order {
    Inject(Message),
    Close { code: u16, reason: String },
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
    mut commands: mpsc::UnboundedReceiver<ConnCommand>,
    events: mpsc::Sender<ConnEvent>,
) {
    let (to_client, from_client) = client.split();
    let (to_server, from_server) = server.split();
    let (up_orders, up_orders_rx) = mpsc::unbounded_channel();
    let (down_orders, down_orders_rx) = mpsc::unbounded_channel();
    let up = tokio::spawn(pump(
        from_client,
        to_server,
        Direction::Sent,
        up_orders_rx,
        events.clone(),
        settings.clone(),
    ));
    let down = tokio::spawn(pump(
        from_server,
        to_client,
        Direction::Received,
        down_orders_rx,
        events.clone(),
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
    let gone = match (&first, first_direction) {
        (Ended::Closed { .. }, _) => None,
        (_, Direction::Sent) => Some("the client went away"),
        (_, Direction::Received) => Some("the server went away"),
    };
    if let Some(reason) = gone {
        let _ = other_orders.send(Order::Close {
            code: 1001,
            reason: reason.into(),
        });
    }
    let _ = tokio::time::timeout(CLOSE_WAIT, other).await;
    let state = final_state(first, first_direction);
    let _ = events.send(ConnEvent::state(state)).await;
}

fn final_state(first: Ended, direction: Direction) -> ConnState {
    let (side, by) = match direction {
        Direction::Sent => ("client", Closer::Us),
        Direction::Received => ("server", Closer::Server),
    };
    match first {
        Ended::Closed { code, reason } => ConnState::Closed { code, reason, by },
        Ended::Dropped(why) => ConnState::Closed {
            code: Some(crate::record::ABNORMAL_CLOSURE),
            reason: format!("the {side} dropped the connection: {why}"),
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
    let refuse = |why: &str| ConnEvent::Refused(why.into());
    match command {
        ConnCommand::Send(outgoing) => {
            let _ = up.send(Order::Inject(message_of(outgoing)));
        }
        ConnCommand::SendToClient(outgoing) => {
            let _ = down.send(Order::Inject(message_of(outgoing)));
        }
        ConnCommand::Ping(payload) => {
            let _ = up.send(Order::Inject(Message::Ping(payload)));
        }
        ConnCommand::Close { code, reason } => {
            let _ = up.send(Order::Close {
                code,
                reason: reason.clone(),
            });
            let _ = down.send(Order::Close { code, reason });
        }
        ConnCommand::Connect(_) => {
            let _ = events
                .send(refuse(
                    "a captured connection is the client's: it cannot be reopened from here",
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

/// Moves frames from one side to the other until the source ends.
async fn pump(
    mut from: SplitStream<Side>,
    mut to: SplitSink<Side, Message>,
    direction: Direction,
    mut orders: mpsc::UnboundedReceiver<Order>,
    events: mpsc::Sender<ConnEvent>,
    settings: RelaySettings,
) -> Ended {
    let mut arena = Arena::default();
    let mut closed: Option<(Option<u16>, String)> = None;
    let mut orders_open = true;
    loop {
        let mut batch = Vec::new();
        let mut notes = Vec::new();
        let mut source_end = None;
        tokio::select! {
            biased;
            order = orders.recv(), if orders_open => match order {
                Some(Order::Inject(message)) => {
                    if let Some(record) = record_of(&message, direction, &mut arena) {
                        batch.push(record);
                    }
                    if deliver(&mut to, message, &settings).await.is_err() {
                        return Ended::Stalled;
                    }
                }
                Some(Order::Close { code, reason }) => {
                    let frame = CloseFrame { code: CloseCode::from(code), reason: Utf8Bytes::from(reason.clone()) };
                    batch.push(FrameRecord {
                        at: SystemTime::now(),
                        direction,
                        kind: FrameKind::Close { code: Some(code) },
                        payload: reason.into(),
                    });
                    if deliver(&mut to, Message::Close(Some(frame)), &settings).await.is_err() {
                        return Ended::Stalled;
                    }
                }
                None => orders_open = false,
            },
            next = from.next() => {
                let mut next = next;
                for _ in 0..BATCH {
                    match next {
                        None => {
                            source_end = Some(match closed.take() {
                                Some((code, reason)) => Ended::Closed { code, reason },
                                None => Ended::Dropped("no close frame".into()),
                            });
                            break;
                        }
                        Some(Err(error)) => {
                            source_end = Some(match closed.take() {
                                Some((code, reason)) => Ended::Closed { code, reason },
                                None => Ended::Dropped(error.to_string()),
                            });
                            break;
                        }
                        Some(Ok(message)) => {
                            if let Message::Close(frame) = &message {
                                closed.get_or_insert_with(|| match frame {
                                    Some(frame) => (Some(u16::from(frame.code)), frame.reason.to_string()),
                                    None => (None, String::new()),
                                });
                            }
                            if let Some(record) = record_of(&message, direction, &mut arena) {
                                batch.push(record);
                            }
                            match message {
                                // Answered at this hop; not passed on.
                                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                                message => {
                                    let verdict = settings.rules.judge(direction, message);
                                    notes.extend(verdict.note);
                                    if let Some(message) = verdict.message
                                        && deliver(&mut to, message, &settings).await.is_err()
                                    {
                                        return Ended::Stalled;
                                    }
                                }
                            }
                        }
                    }
                    match from.next().now_or_never() {
                        Some(more) => next = more,
                        None => break,
                    }
                }
            },
        }
        // The destination may be gone already (its close passed on): that
        // side's own pump reports it.
        if tokio::time::timeout(settings.send_timeout, to.flush()).await.is_err() {
            return Ended::Stalled;
        }
        if !batch.is_empty() && events.send(ConnEvent::Frames(batch)).await.is_err() {
            return Ended::Abandoned;
        }
        for text in notes {
            if events
                .send(ConnEvent::ProtocolNote { error: false, text })
                .await
                .is_err()
            {
                return Ended::Abandoned;
            }
        }
        if let Some(ended) = source_end {
            return ended;
        }
    }
}

/// Queues `message` for the other side. A side already gone is not an
/// error here (its own pump reports how it ended); one that takes nothing
/// for the send timeout is.
async fn deliver(to: &mut SplitSink<Side, Message>, message: Message, settings: &RelaySettings) -> Result<(), Stalled> {
    match tokio::time::timeout(settings.send_timeout, to.feed(message)).await {
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
