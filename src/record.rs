//! The records every layer shares: frames and which way they went, the
//! rows of a request's params and headers, and what a handshake reported.
//!
//! May import: nothing from this crate. Decoders, profiles, exports,
//! recordings and the connection task all build on these types, so they
//! must not depend on any of them.

use std::time::{Duration, SystemTime};

use bytes::Bytes;

/// Who ended a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closer {
    /// We sent the close frame first.
    Us,
    /// The server sent the close frame first.
    Server,
    /// Nobody did: the TCP connection ended without a close frame.
    Network,
}

/// Close code reported when a connection ends without a close frame (RFC 6455 §7.1.5).
pub const ABNORMAL_CLOSURE: u16 = 1006;

/// Which way a frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

/// The frame opcode, with the close code for close frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    Text,
    Binary,
    Ping,
    Pong,
    Close { code: Option<u16> },
}

/// One frame that crossed the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRecord {
    pub at: SystemTime,
    pub direction: Direction,
    pub kind: FrameKind,
    /// The payload; for close frames, the reason text.
    pub payload: Bytes,
}

impl FrameRecord {
    /// Whether it carries data (text or binary), not control.
    pub fn is_data(&self) -> bool {
        matches!(self.kind, FrameKind::Text | FrameKind::Binary)
    }

    /// Payload size on the wire: a close frame's code adds two bytes.
    pub fn wire_len(&self) -> u64 {
        let code_len = if matches!(self.kind, FrameKind::Close { code: Some(_) }) {
            2
        } else {
            0
        };
        self.payload.len() as u64 + code_len
    }
}

#[cfg(test)]
impl FrameRecord {
    /// A received frame stamped at the epoch, for unit tests.
    pub(crate) fn received(kind: FrameKind, payload: &[u8]) -> Self {
        Self {
            at: SystemTime::UNIX_EPOCH,
            direction: Direction::Received,
            kind,
            payload: Bytes::copy_from_slice(payload),
        }
    }

    /// A text frame going `direction`, stamped at the epoch, for unit tests.
    pub(crate) fn text(direction: Direction, text: &str) -> Self {
        Self {
            direction,
            ..Self::received(FrameKind::Text, text.as_bytes())
        }
    }
}

/// How long each handshake step took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PhaseTimings {
    pub dns: Duration,
    pub tcp: Duration,
    /// `None` for plain ws://.
    pub tls: Option<Duration>,
    pub upgrade: Duration,
    pub total: Duration,
}

/// What the server answered to the upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeReport {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub protocol: Option<String>,
    pub timings: PhaseTimings,
    /// The proxy the connection went through, password hidden.
    pub proxy: Option<String>,
}

/// One row of the params or headers table.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct KvRow {
    /// Disabled rows are kept for later but not sent.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    pub key: String,
    pub value: String,
    /// Free text for the user; never sent.
    pub description: String,
}

fn enabled_by_default() -> bool {
    true
}

impl KvRow {
    /// A new enabled row.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            enabled: true,
            key: key.into(),
            value: value.into(),
            description: String::new(),
        }
    }

    /// A row with neither key nor value is a placeholder, not an error.
    pub fn is_blank(&self) -> bool {
        self.key.trim().is_empty() && self.value.is_empty()
    }
}
