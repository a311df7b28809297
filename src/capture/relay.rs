//! A captured connection once both sides are upgraded: frames pumped each
//! way by a task of their own, each recorded as it passes, and the
//! inspector's commands (inject, close) carried out.
//!
//! Each direction is pumped on its own (`pump.rs`), so a side that stops
//! reading stalls only what goes to it; and its write fails after the send
//! timeout, ending the connection with that side named. Pings are answered
//! at each hop, so both peers stay alive whatever the other does; they are
//! recorded, not passed on. Close frames pass end to end, so each peer
//! hears the other's own answer.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::hold::{Hold, HoldRule};
use super::pump::{Closes, Ended, Ends, Order, pump};
use super::rules::Rules;
use super::wire::Reader;
use crate::conn::{CaptureCommand, ConnCommand, ConnError, ConnEvent, ConnState, Outgoing};
use crate::filter::Pattern;
use crate::record::{Closer, Direction};

/// Any byte stream a side can run on: TCP, or TLS over it.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// One upgraded side: its stream, and the bytes read past its handshake.
pub struct Side {
    pub stream: Box<dyn Io>,
    pub leftover: Vec<u8>,
}

/// Bytes read from a side in one call at most (a frame longer than this
/// is read whole all the same).
const READ_SIZE: usize = 16 * 1024;

/// How long the second side may take to finish once the first has.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// How long the second side may take once it has sent its close frame
/// too: what it read is still reported.
const CLOSED_GRACE: Duration = Duration::from_millis(200);

/// What the relay needs besides its two sockets.
#[derive(Clone)]
pub struct RelaySettings {
    /// A side that takes nothing for this long fails the connection.
    pub send_timeout: Duration,
    pub rules: Arc<Rules>,
    /// A held frame not acted on for this long goes on as it was.
    pub hold_timeout: Duration,
    /// The longest message either side may send.
    pub max_message_size: usize,
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
    let (from_client, to_client) = tokio::io::split(client.stream);
    let (from_server, to_server) = tokio::io::split(server.stream);
    let limit = settings.max_message_size;
    let (up_orders, up_orders_rx) = mpsc::unbounded_channel();
    let (down_orders, down_orders_rx) = mpsc::unbounded_channel();
    let hold_ids = Arc::new(AtomicU64::new(1));
    let closes = Arc::new(Closes::default());
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
            reader: Reader::new(client.leftover, true, limit, READ_SIZE),
            to: to_server,
            answer: down_orders.clone(),
            closes: closes.clone(),
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
            reader: Reader::new(server.leftover, false, limit, READ_SIZE),
            to: to_client,
            answer: up_orders.clone(),
            closes: closes.clone(),
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
    // A side that has sent its close frame may send nothing more: the
    // closing handshake is over, and a client that keeps its socket open
    // after it (waiting for ours to close) is not waited for.
    let other_direction = match first_direction {
        Direction::Sent => Direction::Received,
        Direction::Received => Direction::Sent,
    };
    let wait = if closes.seen(other_direction) {
        CLOSED_GRACE
    } else {
        CLOSE_WAIT
    };
    let _ = tokio::time::timeout(wait, other).await;
    // Who closed is who sent the first close frame, not whose side
    // finished first (a client ends its socket once it answers).
    let closer = closes.first().unwrap_or(first_direction);
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
