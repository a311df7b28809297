//! A protocol on one open connection, in the connection task: what it
//! sends by itself ([`Outbound`]), what it does with a frame that arrives
//! ([`Reaction`]), and its state ([`Converse`], held in a
//! [`Conversation`]).

use std::time::Instant;

use super::Protocol;

/// A text frame a protocol sends by itself. When it carries a secret (an
/// auth payload), `shown` is what the frames view and the log get instead.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outbound {
    pub text: String,
    pub shown: Option<String>,
    /// A binary frame (an MQTT packet) in place of `text`, and what the
    /// frames view and the log get of it.
    pub binary: Option<Vec<u8>>,
    pub shown_binary: Option<Vec<u8>>,
}

impl Outbound {
    /// A binary frame, shown as `shown` when given (its secret masked).
    pub fn binary(data: Vec<u8>, shown: Option<Vec<u8>>) -> Self {
        Self {
            binary: Some(data),
            shown_binary: shown,
            ..Self::default()
        }
    }
}

impl From<String> for Outbound {
    fn from(text: String) -> Self {
        Self {
            text,
            ..Self::default()
        }
    }
}

/// Compares the text that goes on the wire.
impl PartialEq<&str> for Outbound {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

/// A message a transport frame carried, logged in the frame's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carried {
    Text(String),
    Binary(Vec<u8>),
}

/// What the connection task does with a received text frame.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reaction {
    /// Text frames to send at once and show (CONNECT, held emits).
    pub replies: Vec<Outbound>,
    /// Text frames to send at once without showing them (heartbeat answers).
    pub answers: Vec<String>,
    /// Binary frames sent the same way (MQTT's PINGREQ).
    pub binary_answers: Vec<Vec<u8>>,
    /// Keep the frame out of the frames view (a heartbeat); it is counted.
    pub hide: bool,
    /// Lines for the frames view, and whether each is an error.
    pub notes: Vec<(bool, String)>,
    /// The messages a frame carried, logged in its place (SockJS's
    /// `a[…]`, the MQTT packets a frame held or completed); `None` logs the
    /// frame as it came.
    pub frames: Option<Vec<Carried>>,
    /// The connection cannot go on (no CONNECTED in time, a refused
    /// CONNECT, a server gone quiet): it is closed and failed with this.
    pub fail: Option<String>,
}

/// A protocol's state on one open connection, in the connection task.
/// Every method has the answer of a protocol that does nothing.
pub trait Converse: Send + std::fmt::Debug {
    /// What goes out as soon as the connection opens (GraphQL's
    /// `connection_init`).
    fn on_open(&mut self, _now: Instant) -> Reaction {
        Reaction::default()
    }

    /// When the protocol next wants to act by itself (an Engine.IO 3
    /// ping, the end of GraphQL's wait for `connection_ack`).
    fn deadline(&self) -> Option<Instant> {
        None
    }

    /// Acts once [`Converse::deadline`] has passed.
    fn on_deadline(&mut self, _now: Instant) -> Reaction {
        Reaction::default()
    }

    /// What goes out ahead of our close frame (Socket.IO's DISCONNECT, so
    /// the server sees a client leaving rather than a transport error).
    fn on_close(&mut self) -> Vec<Outbound> {
        Vec::new()
    }

    /// Reacts to a received text frame.
    fn on_text(&mut self, _text: &str, _now: Instant) -> Reaction {
        Reaction::default()
    }

    /// Reacts to a received binary frame (a Socket.IO attachment).
    fn on_binary(&mut self, _data: &[u8]) -> Reaction {
        Reaction::default()
    }

    /// Whether a user's frame may go out now; if not, it is held and sent
    /// with the reaction that makes the connection ready (Socket.IO's
    /// CONNECT answer). Returns what goes out when it may go now.
    fn gate(&mut self, text: String) -> Option<Outbound> {
        Some(text.into())
    }

    /// Why a user's frame must not go at all (the server would end the
    /// connection over it), or None.
    fn refuse(&self, _text: &str) -> Option<String> {
        None
    }
}

/// A protocol's state on one open connection: what [`Speaks::converse`]
/// made for it, or nothing for a protocol with nothing to do there.
#[derive(Debug)]
pub struct Conversation(Option<Box<dyn Converse>>);

impl Conversation {
    /// For `protocol`, settled (see [`Protocol::settle`]); `negotiated` is
    /// the subprotocol the server picked.
    pub fn new(protocol: &Protocol, negotiated: Option<&str>) -> Self {
        protocol.kind.0.converse(protocol, negotiated)
    }

    /// The conversation of a protocol that adds nothing on the connection.
    pub fn plain() -> Self {
        Self(None)
    }

    /// A conversation kept by `state`.
    pub fn with(state: impl Converse + 'static) -> Self {
        Self(Some(Box::new(state)))
    }

    /// Whether the protocol reacts to nothing on the connection, so frames
    /// go straight through.
    pub fn is_raw(&self) -> bool {
        self.0.is_none()
    }

    pub fn on_open(&mut self, now: Instant) -> Reaction {
        self.0.as_mut().map(|c| c.on_open(now)).unwrap_or_default()
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.0.as_ref().and_then(|c| c.deadline())
    }

    pub fn on_deadline(&mut self, now: Instant) -> Reaction {
        self.0.as_mut().map(|c| c.on_deadline(now)).unwrap_or_default()
    }

    pub fn on_close(&mut self) -> Vec<Outbound> {
        self.0.as_mut().map(|c| c.on_close()).unwrap_or_default()
    }

    pub fn on_text(&mut self, text: &str, now: Instant) -> Reaction {
        self.0.as_mut().map(|c| c.on_text(text, now)).unwrap_or_default()
    }

    pub fn on_binary(&mut self, data: &[u8]) -> Reaction {
        self.0.as_mut().map(|c| c.on_binary(data)).unwrap_or_default()
    }

    pub fn refuse(&self, text: &str) -> Option<String> {
        self.0.as_ref().and_then(|conversation| conversation.refuse(text))
    }

    pub fn gate(&mut self, text: String) -> Option<Outbound> {
        match &mut self.0 {
            Some(conversation) => conversation.gate(text),
            None => Some(text.into()),
        }
    }
}
