//! The connection task: owns the socket and talks to the rest of the app only
//! through typed [`ConnCommand`]s and [`ConnEvent`]s.
//!
//! Nothing here knows about the terminal, so the same task serves the TUI and
//! headless commands alike.
//!
//! May import: `format`, `protocol`, `record`, `request`, `secrets`.

pub mod arena;
pub mod backoff;
pub mod error;
mod handshake;
mod intake;
pub mod latency;
mod metered;
pub mod proxy;
mod task;
mod tls;
mod writer;

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::record::{Closer, FrameRecord, HandshakeReport};
use crate::request::ResolvedRequest;
pub use error::{ConnError, Phase};
pub use handshake::{Dialed, Transport, dial};
pub use proxy::ProxyChoice;
pub use tls::{ClientIdentity, TlsOptions, client_config, load_pem_certs, load_pem_key};

/// How many events may queue up before the connection task waits for the UI.
/// Bounded so a UI that falls behind slows socket reads instead of growing
/// memory. An event can be a batch of up to 1,024 frames, so this bounds
/// what is in flight to about 32,000 frames.
pub const EVENT_QUEUE: usize = 32;

/// Settings fixed for the life of the connection task.
#[derive(Debug, Clone)]
pub struct ConnSettings {
    /// How often to send a keepalive ping that also measures RTT; `None` disables it.
    pub ping_interval: Option<Duration>,
    /// Budget for DNS, TCP, TLS and the upgrade together.
    pub connect_timeout: Duration,
    /// Trusted roots, `--insecure` and the client certificate.
    pub tls: TlsOptions,
    /// Largest message accepted from the server.
    pub max_message_size: usize,
    /// A ping unanswered for this long marks the connection dead; `None`
    /// uses twice the ping interval.
    pub ping_timeout: Option<Duration>,
    /// A send that makes no progress for this long fails the connection
    /// (the server stopped reading); `None` uses the ping timeout, or
    /// [`DEFAULT_SEND_TIMEOUT`] without pings.
    pub send_timeout: Option<Duration>,
    /// Reconnect with backoff when a connection drops (until told otherwise).
    pub reconnect: bool,
}

impl ConnSettings {
    /// How long a ping may go unanswered, if pings are on.
    pub fn effective_ping_timeout(&self) -> Option<Duration> {
        let interval = self.ping_interval.filter(|d| !d.is_zero())?;
        Some(self.ping_timeout.unwrap_or(interval * 2))
    }

    /// How long a send may make no progress.
    pub fn effective_send_timeout(&self) -> Duration {
        self.send_timeout
            .or_else(|| self.effective_ping_timeout())
            .filter(|d| !d.is_zero())
            .unwrap_or(DEFAULT_SEND_TIMEOUT)
    }
}

/// The send timeout when neither it nor pings are set.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Default largest message: generous for debugging, bounded against runaway servers.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 << 20;

impl Default for ConnSettings {
    fn default() -> Self {
        Self {
            ping_interval: Some(Duration::from_secs(5)),
            connect_timeout: Duration::from_secs(10),
            tls: TlsOptions::default(),
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            ping_timeout: None,
            send_timeout: None,
            reconnect: false,
        }
    }
}

/// A data frame to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    Text(String),
    Binary(Bytes),
}

/// What the UI asks of the connection task.
// Commands come at the pace of keystrokes: a few hundred bytes per channel
// slot cost nothing, and boxing the request would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnCommand {
    /// Open a connection, replacing any current one.
    Connect(ResolvedRequest),
    /// Send a data frame on the open connection.
    Send(Outgoing),
    /// Send a ping with this payload (at most 125 bytes).
    Ping(Bytes),
    /// Start the closing handshake with this code and reason; also stops
    /// any reconnecting.
    Close { code: u16, reason: String },
    /// Turn automatic reconnecting on or off.
    SetReconnect(bool),
    /// What only a captured (proxied) connection can do; the connection
    /// task refuses it.
    Capture(CaptureCommand),
    /// Show the keep-alives a protocol answers by itself (Socket.IO
    /// heartbeats, GraphQL pings) as frames, from now on, or hide them again.
    ShowKeepalives(bool),
}

/// Commands for a captured connection's relay. `ConnCommand::Send`
/// injects towards the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureCommand {
    /// Send a data frame to the client, as if from the server.
    SendToClient(Outgoing),
    /// Hold the data frames going `up` (client to server) and/or `down`
    /// that match `filter` (a regex or `jq:EXPR`; empty matches all);
    /// `None` stops holding and forwards whatever is held.
    Intercept(Option<InterceptRule>),
    /// Forward held frame `id`, as it was or as `edited`.
    Release { id: u64, edited: Option<Outgoing> },
    /// Drop held frame `id`: it never reaches the other side.
    Drop { id: u64 },
    /// Forward every held frame as it is.
    ReleaseAll,
}

/// Which frames a captured connection holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterceptRule {
    pub up: bool,
    pub down: bool,
    pub filter: String,
}

/// What became of a held frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldOutcome {
    Forwarded,
    /// Forwarded with this text in place of what was held.
    Edited(String),
    Dropped,
    /// Not acted on within the hold time-out: forwarded as it was.
    TimedOut,
}

/// The connection's lifecycle, with the data each state needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    /// Nothing attempted yet.
    Idle,
    Connecting {
        url: String,
        since: Instant,
    },
    Open {
        since: Instant,
        /// The negotiated subprotocol, if the server chose one.
        protocol: Option<String>,
    },
    Closing,
    /// Waiting to reconnect after the connection dropped.
    Reconnecting {
        /// 1 for the first retry.
        attempt: u32,
        /// When the next attempt starts.
        at: Instant,
    },
    Closed {
        code: Option<u16>,
        reason: String,
        by: Closer,
    },
    Failed(ConnError),
}

/// The state in words, as the status bar says it: "Connected", "Closed
/// (4000 asked to)", "Failed (HTTP 401 Unauthorized: missing api key)". A
/// close reason or a rejection body is the server's text: sanitize before
/// printing it.
impl std::fmt::Display for ConnState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let words = match self {
            ConnState::Idle => "Disconnected".into(),
            ConnState::Connecting { .. } => "Connecting".into(),
            ConnState::Open { .. } => "Connected".into(),
            ConnState::Closing => "Closing".into(),
            ConnState::Reconnecting { attempt, .. } => format!("Reconnecting (attempt {attempt})"),
            ConnState::Closed { code, reason, .. } => match (code, reason.is_empty()) {
                (Some(code), true) => format!("Closed ({code} {})", crate::protocol::close_code_meaning(*code)),
                (Some(code), false) => format!("Closed ({code} {reason})"),
                (None, true) => "Closed".into(),
                (None, false) => format!("Closed ({reason})"),
            },
            ConnState::Failed(
                error @ ConnError::Upgrade {
                    status, reason, body, ..
                },
            ) => {
                if let Some(location) = error.redirect_location() {
                    return write!(f, "Failed (HTTP {status} {reason} → {location})");
                }
                let first_line = body.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
                if first_line.is_empty() {
                    format!("Failed (HTTP {status} {reason})")
                } else {
                    format!("Failed (HTTP {status} {reason}: {})", first_line.trim())
                }
            }
            ConnState::Failed(error) => format!("Failed ({error})"),
        };
        f.write_str(&words)
    }
}

impl ConnEvent {
    /// A state change happening now.
    pub fn state(state: ConnState) -> Self {
        Self::State {
            state,
            at: SystemTime::now(),
        }
    }

    /// The frames this event carries, if any.
    pub fn frames(&self) -> &[FrameRecord] {
        match self {
            Self::Frame(frame) => std::slice::from_ref(frame),
            Self::Frames(frames) => frames,
            _ => &[],
        }
    }

    /// The payloads of the binary frames a (captured) client sent in this
    /// event, which may tell its protocol ([`crate::protocol::Protocol::settle_by_client`]).
    pub fn client_binary_payloads(&self) -> impl Iterator<Item = &[u8]> {
        self.frames()
            .iter()
            .filter(|frame| {
                frame.direction == crate::record::Direction::Sent && frame.kind == crate::record::FrameKind::Binary
            })
            .map(|frame| frame.payload.as_ref())
    }
}

/// What the connection task tells the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnEvent {
    /// The connection entered a new state at `at`.
    State {
        state: ConnState,
        at: SystemTime,
    },
    Handshake(HandshakeReport),
    Frame(FrameRecord),
    /// A ping's round-trip time, matched to its pong.
    Rtt(Duration),
    /// Time from a sent data frame to the next received one.
    ReplyLatency(Duration),
    /// A command could not be carried out, e.g. sending while disconnected.
    Refused(String),
    /// What the protocol has to say (Socket.IO's handshake, a refused
    /// namespace); `error` marks bad news.
    ProtocolNote {
        error: bool,
        text: String,
    },
    /// How many frames the protocol hid on this connection (heartbeats).
    Hidden(u64),
    /// Something the user must know that does not end the connection,
    /// e.g. the `--log` file could not be written.
    Warning(String),
    /// Received frames in order, taken from the socket in one go: one
    /// wake-up of the UI per batch, not per frame.
    Frames(Vec<FrameRecord>),
    /// A captured connection holds this frame (already reported among the
    /// frames) until it is released or dropped.
    Held {
        id: u64,
        frame: FrameRecord,
    },
    /// A held frame was let go.
    Released {
        id: u64,
        outcome: HoldOutcome,
    },
}

/// The UI's side of the command channel.
#[derive(Debug, Clone)]
pub struct ConnHandle {
    commands: mpsc::UnboundedSender<ConnCommand>,
}

impl ConnHandle {
    /// Queues a command. Commands come at human speed, so the channel is
    /// unbounded and sending never blocks the UI. Returns false if the task
    /// has gone away.
    pub fn send(&self, command: ConnCommand) -> bool {
        self.commands.send(command).is_ok()
    }
}

/// A command channel for a task other than the connection task (a
/// captured connection's relay) that takes the same commands.
pub fn command_channel() -> (ConnHandle, mpsc::UnboundedReceiver<ConnCommand>) {
    let (commands, receiver) = mpsc::unbounded_channel();
    (ConnHandle { commands }, receiver)
}

/// Starts the connection task on the current tokio runtime.
pub fn spawn(settings: ConnSettings) -> (ConnHandle, mpsc::Receiver<ConnEvent>) {
    let (command_tx, command_rx) = mpsc::unbounded_channel();
    let (event_tx, event_rx) = mpsc::channel(EVENT_QUEUE);
    tokio::spawn(task::run(settings, command_rx, event_tx));
    (ConnHandle { commands: command_tx }, event_rx)
}
