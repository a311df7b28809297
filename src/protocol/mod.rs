//! Protocols spoken over WebSocket, behind one small interface: shape the
//! URL, react to what arrives (answers that must go out at once, frames to
//! hide, notes), encode what the user composes, and describe a payload in
//! one line. Raw WebSocket is the protocol that does nothing.
//!
//! It lives beside `conn` and imports nothing from the UI: the connection
//! task answers heartbeats next to the socket, and the app only encodes and
//! describes.
//!
//! May import: `decode`, `secrets`.

pub mod graphql;
pub mod jsonrpc;
pub mod socketio;

use std::time::Instant;

use serde::{Deserialize, Serialize};
use url::Url;

/// Which protocol a request speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ProtocolKind {
    /// Plain WebSocket frames.
    #[default]
    Raw,
    /// Socket.IO 5 over Engine.IO 4.
    #[value(name = "socketio")]
    #[serde(rename = "socketio")]
    SocketIo,
    /// JSON-RPC 2.0: calls with ids assigned, rows that name each message.
    #[value(name = "jsonrpc")]
    #[serde(rename = "jsonrpc")]
    JsonRpc,
    /// GraphQL over WebSocket (graphql-transport-ws or graphql-ws).
    #[value(name = "graphql")]
    #[serde(rename = "graphql")]
    GraphQl,
}

impl ProtocolKind {
    /// Its name for the status bar.
    pub fn label(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::SocketIo => "socket.io",
            Self::JsonRpc => "json-rpc",
            Self::GraphQl => "graphql",
        }
    }
}

/// A request's protocol with its options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Protocol {
    pub kind: ProtocolKind,
    /// Socket.IO namespace (`/` when unset).
    pub namespace: Option<String>,
    /// Socket.IO auth payload sent with CONNECT, as JSON text.
    pub auth: Option<String>,
    /// Socket.IO: every emit asks for an ack, numbered from `next_id`.
    pub ack: bool,
    /// Socket.IO: speak Engine.IO 3 (Socket.IO 2 servers, or 3 and 4 with
    /// `allowEIO3`) instead of 4.
    pub eio3: bool,
    /// Socket.IO: the server's path, replacing the URL's (`/socket.io/`
    /// is appended to the URL's path when unset).
    pub path: Option<String>,
    /// The protocol was not named: the subprotocol the server picks may
    /// still choose it (`graphql-transport-ws` or `graphql-ws`).
    pub detect: bool,
}

impl Protocol {
    /// The protocol named, else the one the URL implies (`/socket.io/` in
    /// the path is Socket.IO).
    pub fn choose(named: Option<ProtocolKind>, url: &Url) -> ProtocolKind {
        named.unwrap_or_else(|| {
            if url.path().contains("/socket.io/") {
                ProtocolKind::SocketIo
            } else {
                ProtocolKind::Raw
            }
        })
    }

    /// The URL to connect to: Socket.IO adds its path and query.
    pub fn shape_url(&self, url: Url) -> Url {
        match self.kind {
            ProtocolKind::Raw | ProtocolKind::JsonRpc | ProtocolKind::GraphQl => url,
            ProtocolKind::SocketIo => socketio::shape_url(url, self.path.as_deref(), self.eio3),
        }
    }

    /// The protocol once the server has answered: a request that named
    /// none speaks GraphQL when the server picked a GraphQL subprotocol.
    pub fn settle(&self, negotiated: Option<&str>) -> Self {
        let mut settled = self.clone();
        if self.detect
            && self.kind == ProtocolKind::Raw
            && negotiated.is_some_and(|n| graphql::SUBPROTOCOLS.contains(&n))
        {
            settled.kind = ProtocolKind::GraphQl;
        }
        settled
    }

    /// The composer's text as it goes on the wire; `next_id` numbers
    /// JSON-RPC calls.
    pub fn encode(&self, text: &str, next_id: &mut u64) -> Result<String, String> {
        match self.kind {
            ProtocolKind::Raw => Ok(text.to_string()),
            ProtocolKind::SocketIo => {
                let ack = self.ack.then(|| {
                    let id = *next_id;
                    *next_id += 1;
                    id
                });
                socketio::encode_emit(text, self.namespace.as_deref(), ack)
            }
            ProtocolKind::JsonRpc => jsonrpc::encode(text, next_id),
            // The connection task wraps documents: the id and the message
            // type depend on the subprotocol the server picked.
            ProtocolKind::GraphQl => Ok(text.to_string()),
        }
    }

    /// What jq filters read instead of the raw payload, for protocols
    /// whose frames are not JSON as they stand.
    pub fn decoder(&self) -> Option<crate::decode::TextDecoder> {
        match self.kind {
            ProtocolKind::SocketIo => Some(socketio::decoded_json),
            ProtocolKind::Raw | ProtocolKind::JsonRpc | ProtocolKind::GraphQl => None,
        }
    }

    /// A payload in one line for the frames list, when the protocol has
    /// something better to say than the raw text.
    pub fn describe(&self, text: &str) -> Option<String> {
        match self.kind {
            ProtocolKind::Raw => None,
            ProtocolKind::SocketIo => socketio::describe(text),
            ProtocolKind::JsonRpc => jsonrpc::describe(text),
            ProtocolKind::GraphQl => graphql::describe(text),
        }
    }
}

/// A text frame a protocol sends by itself. When it carries a secret (an
/// auth payload), `shown` is what the frames view and the log get instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    pub text: String,
    pub shown: Option<String>,
}

impl From<String> for Outbound {
    fn from(text: String) -> Self {
        Self { text, shown: None }
    }
}

/// Compares the text that goes on the wire.
impl PartialEq<&str> for Outbound {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

/// What the connection task does with a received text frame.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reaction {
    /// Text frames to send at once and show (CONNECT, held emits).
    pub replies: Vec<Outbound>,
    /// Text frames to send at once without showing them (heartbeat answers).
    pub answers: Vec<String>,
    /// Keep the frame out of the frames view (a heartbeat); it is counted.
    pub hide: bool,
    /// Lines for the frames view, and whether each is an error.
    pub notes: Vec<(bool, String)>,
}

/// A protocol's state on one open connection, in the connection task.
#[derive(Debug)]
pub enum Session {
    Raw,
    SocketIo(socketio::Client),
    GraphQl(graphql::Client),
}

impl Session {
    /// `protocol` is settled (see [`Protocol::settle`]); `negotiated` is
    /// the subprotocol the server picked.
    pub fn new(protocol: &Protocol, negotiated: Option<&str>) -> Self {
        match protocol.kind {
            // JSON-RPC needs nothing of the connection task.
            ProtocolKind::Raw | ProtocolKind::JsonRpc => Self::Raw,
            ProtocolKind::SocketIo => Self::SocketIo(socketio::Client::new(protocol)),
            ProtocolKind::GraphQl => Self::GraphQl(graphql::Client::new(negotiated, protocol.auth.as_deref())),
        }
    }

    /// What goes out as soon as the connection opens (GraphQL's
    /// `connection_init`).
    pub fn on_open(&mut self, now: Instant) -> Reaction {
        match self {
            Self::GraphQl(client) => client.on_open(now),
            Self::Raw | Self::SocketIo(_) => Reaction::default(),
        }
    }

    /// When the protocol next wants to act by itself (an Engine.IO 3
    /// ping, the end of GraphQL's wait for `connection_ack`).
    pub fn deadline(&self) -> Option<Instant> {
        match self {
            Self::Raw => None,
            Self::SocketIo(client) => client.deadline(),
            Self::GraphQl(client) => client.deadline(),
        }
    }

    /// Acts once [`Session::deadline`] has passed.
    pub fn on_deadline(&mut self, now: Instant) -> Reaction {
        match self {
            Self::Raw => Reaction::default(),
            Self::SocketIo(client) => client.on_deadline(now),
            Self::GraphQl(client) => client.on_deadline(now),
        }
    }

    /// What goes out ahead of our close frame (Socket.IO's DISCONNECT, so
    /// the server sees a client leaving rather than a transport error).
    pub fn on_close(&mut self) -> Vec<Outbound> {
        match self {
            Self::SocketIo(client) => client.on_close(),
            Self::Raw | Self::GraphQl(_) => Vec::new(),
        }
    }

    /// Whether this is plain WebSocket, which reacts to nothing.
    pub fn is_raw(&self) -> bool {
        matches!(self, Self::Raw)
    }

    /// Reacts to a received text frame.
    pub fn on_text(&mut self, text: &str, now: Instant) -> Reaction {
        match self {
            Self::Raw => Reaction::default(),
            Self::SocketIo(client) => client.on_text(text, now),
            Self::GraphQl(client) => client.on_text(text),
        }
    }

    /// Reacts to a received binary frame (a Socket.IO attachment).
    pub fn on_binary(&mut self, data: &[u8]) -> Reaction {
        match self {
            Self::SocketIo(client) => client.on_binary(data),
            Self::Raw | Self::GraphQl(_) => Reaction::default(),
        }
    }

    /// Whether a user's frame may go out now; if not, it is held and sent
    /// with the reaction that makes the connection ready (Socket.IO's
    /// CONNECT answer). Returns the text back when it may go now.
    pub fn gate(&mut self, text: String) -> Option<String> {
        match self {
            Self::Raw => Some(text),
            Self::SocketIo(client) => client.gate(text),
            Self::GraphQl(client) => client.gate(text),
        }
    }
}
/// What a close code means (RFC 6455 §7.4 and the IANA registry), naming
/// the application codes of the protocols that define their own.
pub fn close_code_meaning(code: u16) -> &'static str {
    match code {
        1000 => "normal",
        1001 => "going away",
        1002 => "protocol error",
        1003 => "unsupported data",
        1005 => "no code",
        1006 => "abnormal",
        1007 => "invalid payload",
        1008 => "policy violation",
        1009 => "message too big",
        1010 => "extension required",
        1011 => "server error",
        1012 => "service restart",
        1013 => "try again later",
        1014 => "bad gateway",
        1015 => "TLS failure",
        3000..=3999 => "registered",
        // The graphql-ws library's codes are common enough to name.
        4400..=4500 => graphql::close_code_meaning(code).unwrap_or("application"),
        4000..=4999 => "application",
        _ => "unknown",
    }
}
