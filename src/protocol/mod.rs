//! Protocols spoken over WebSocket, each one module behind one interface
//! ([`Speaks`]): shape the URL, encode what the user composes, describe a
//! payload in one line, read it as JSON for filters; and on a connection
//! ([`Converse`]), act on open, react to what arrives (answers that must go
//! out at once, frames to hide, notes) and keep its deadlines. Raw
//! WebSocket is the protocol that does nothing.
//!
//! [`REGISTRY`] lists them by name for the command line, profiles, flows
//! and the status bar: adding a protocol is its module and one line there.
//! Nothing outside this module branches on which protocol it is; it asks
//! what a protocol does ([`ProtocolKind::has_acks`], …).
//!
//! It lives beside `conn` and imports nothing from the UI: the connection
//! task answers heartbeats next to the socket, and the app only encodes and
//! describes.
//!
//! May import: `decode`, `format`, `json_peek`, `secrets`.

mod close_codes;
mod conversation;
pub mod graphql;
pub mod jsonrpc;
pub mod mqtt;
pub mod raw;
pub mod socketio;
pub mod sockjs;
pub mod stomp;

pub use close_codes::close_code_meaning;
pub use conversation::{Carried, Conversation, Converse, Outbound, Reaction};

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

/// Which session-opening message `payload` is, if it is one: an MQTT
/// CONNECT or a STOMP CONNECT (or STOMP). Its bytes are the client's own
/// (a random client id, a host, a login), so a mock server replaying a
/// recording takes any opening of the same protocol for the recorded one.
pub fn session_opening(payload: &[u8]) -> Option<&'static str> {
    if mqtt::packet::connect_level(payload).is_some() {
        return Some("MQTT CONNECT");
    }
    let frame = stomp::frame::parse_head(std::str::from_utf8(payload).ok()?)?;
    matches!(frame.command.as_str(), "CONNECT" | "STOMP").then_some("STOMP CONNECT")
}

/// What a protocol is and does, apart from any one connection.
pub trait Speaks: Send + Sync + 'static {
    /// Its name on the command line, in profiles and in flows.
    fn name(&self) -> &'static str;

    /// Its name in the status bar.
    fn label(&self) -> &'static str;

    /// One line for `--help`.
    fn about(&self) -> &'static str;

    /// Whether a URL names this protocol when none was asked for
    /// (`/socket.io/` in the path).
    fn implied_by_url(&self, _url: &Url) -> bool {
        false
    }

    /// Whether the server picking this subprotocol, when the user named no
    /// protocol, means this one is spoken.
    fn picked_by_subprotocol(&self, _negotiated: &str) -> bool {
        false
    }

    /// What a client's frame on a captured connection tells of the
    /// protocol (MQTT's CONNECT names its version): the protocol as it
    /// reads from then on and a note saying why, when that changes.
    fn settled_by_client(&self, _frame: &[u8], _options: &Protocol) -> Option<(Protocol, String)> {
        None
    }

    /// The subprotocols offered when the user offers none.
    fn subprotocols(&self) -> &'static [&'static str] {
        &[]
    }

    /// Whether an `http(s)://` address given for it means `ws(s)://`, as
    /// its JavaScript client takes them.
    fn takes_http_urls(&self) -> bool {
        false
    }

    /// The URL to connect to.
    fn shape_url(&self, url: Url, _options: &Protocol) -> Url {
        url
    }

    /// The composer's text as it goes on the wire; `next_id` numbers
    /// requests that carry ids.
    fn encode(&self, text: &str, _options: &Protocol, _next_id: &mut u64) -> Result<String, String> {
        Ok(text.to_string())
    }

    /// What jq filters read instead of the raw payload, for protocols
    /// whose frames are not JSON as they stand.
    fn decoder(&self) -> Option<crate::decode::TextDecoder> {
        None
    }

    /// A payload in one line for the frames list, when the protocol has
    /// something better to say than the raw text.
    fn describe(&self, _text: &str) -> Option<String> {
        None
    }

    /// A binary frame in one line (an MQTT packet); `payload` reads a
    /// message's payload as the payload decoders do.
    fn describe_binary(
        &self,
        _data: &[u8],
        _options: &Protocol,
        _payload: &dyn Fn(&[u8]) -> Option<String>,
    ) -> Option<String> {
        None
    }

    /// What jq reads of a binary frame, for protocols whose binary frames
    /// are packets.
    fn packet_decoder(&self, _options: &Protocol) -> Option<crate::decode::TextDecoder> {
        None
    }

    /// Its state on one open connection, in the connection task.
    fn converse(&self, _options: &Protocol, _negotiated: Option<&str>) -> Conversation {
        Conversation::plain()
    }

    /// What an application close code (4000-4999) means in this protocol.
    fn close_code_meaning(&self, _code: u16) -> Option<&'static str> {
        None
    }

    /// Whether a message may ask for an acknowledgement (Alt-a), which is
    /// paired with it.
    fn has_acks(&self) -> bool {
        false
    }

    /// Whether the frames carry operations the inspector lists (`o`).
    fn has_operations(&self) -> bool {
        false
    }

    /// The id that pairs a request with its reply when the protocol has
    /// its own (STOMP's `receipt` and `receipt-id`); `sent` tells which
    /// side the frame is from.
    fn reply_id(&self, _payload: &[u8], _sent: bool) -> Option<String> {
        None
    }

    /// What the composer sends to acknowledge (or refuse) a received
    /// message, or why it cannot be.
    fn acknowledge(&self, _payload: &[u8], _positive: bool) -> Result<String, String> {
        Err(format!("{} has no acknowledgements", self.name()))
    }

    /// Whether [`Speaks::reply_id`] is what pairs its frames.
    fn has_reply_ids(&self) -> bool {
        false
    }

    /// The message's type for the stats view (an event's name, a
    /// method, a destination or topic), from the head of its payload;
    /// `None` leaves it to the generic JSON fields.
    fn message_type(&self, _head: &[u8], _binary: bool, _options: &Protocol) -> Option<String> {
        None
    }
}

/// Every protocol wscope speaks, by name; the first is the default.
pub static REGISTRY: [ProtocolKind; 6] = [
    ProtocolKind(&raw::Raw),
    ProtocolKind(&socketio::SocketIo),
    ProtocolKind(&jsonrpc::JsonRpc),
    ProtocolKind(&graphql::GraphQl),
    ProtocolKind(&stomp::Stomp),
    ProtocolKind(&mqtt::Mqtt),
];

/// Which protocol a request speaks: one of the [`REGISTRY`].
#[derive(Clone, Copy)]
pub struct ProtocolKind(&'static dyn Speaks);

impl ProtocolKind {
    /// The protocol registered under `name`.
    pub fn named(name: &str) -> Option<Self> {
        REGISTRY.iter().copied().find(|kind| kind.name() == name)
    }

    /// Plain WebSocket.
    pub fn raw() -> Self {
        REGISTRY[0]
    }

    /// Whether this is plain WebSocket, which adds nothing to the frames.
    pub fn is_raw(self) -> bool {
        self == Self::raw()
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// Its name for the status bar.
    pub fn label(self) -> &'static str {
        self.0.label()
    }

    /// Whether a message may ask for an acknowledgement.
    pub fn has_acks(self) -> bool {
        self.0.has_acks()
    }

    /// Whether its frames carry operations the inspector lists.
    pub fn has_operations(self) -> bool {
        self.0.has_operations()
    }

    /// The subprotocols offered when the user offers none.
    pub fn subprotocols(self) -> &'static [&'static str] {
        self.0.subprotocols()
    }

    /// Whether an `http(s)://` address given for it means `ws(s)://`.
    pub fn takes_http_urls(self) -> bool {
        self.0.takes_http_urls()
    }

    /// What the composer sends to acknowledge (or refuse) a message.
    pub fn acknowledge(self, payload: &[u8], positive: bool) -> Result<String, String> {
        self.0.acknowledge(payload, positive)
    }

    /// Whether its frames pair by the protocol's own ids.
    pub fn has_reply_ids(self) -> bool {
        self.0.has_reply_ids()
    }

    /// The protocol's own request/reply id of a frame, if it has one.
    pub fn reply_id(self, payload: &[u8], sent: bool) -> Option<String> {
        self.0.reply_id(payload, sent)
    }

    /// The protocol the URL implies when none was named.
    pub fn implied_by(url: &Url) -> Option<Self> {
        REGISTRY.iter().copied().find(|kind| kind.0.implied_by_url(url))
    }
}

impl Default for ProtocolKind {
    fn default() -> Self {
        Self::raw()
    }
}

impl PartialEq for ProtocolKind {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for ProtocolKind {}

impl std::fmt::Debug for ProtocolKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ProtocolKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ProtocolKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::named(&name).ok_or_else(|| {
            let known: Vec<&str> = REGISTRY.iter().map(|kind| kind.name()).collect();
            serde::de::Error::custom(format!("unknown protocol {name:?} (one of {})", known.join(", ")))
        })
    }
}

impl clap::ValueEnum for ProtocolKind {
    fn value_variants<'a>() -> &'a [Self] {
        &REGISTRY
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).help(self.0.about()))
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
    /// STOMP: the virtual host CONNECT names (`--vhost`, else the URL's host).
    pub host: Option<String>,
    /// STOMP: the heart-beats offered (send at least every, want every).
    pub heartbeat: Option<(Duration, Duration)>,
    /// The protocol runs inside SockJS's WebSocket transport.
    pub sockjs: bool,
    /// SockJS is spoken if the server opens with `o` (the URL ends in
    /// `/websocket`, as SockJS's transport URLs do).
    pub sockjs_if_opened: bool,
    /// How long the protocol's own handshake may take (STOMP's CONNECTED);
    /// the connection's connect timeout, set when it opens.
    pub connect_timeout: Option<Duration>,
    /// The largest message taken; set when the connection opens.
    pub max_message_size: Option<usize>,
    /// MQTT: 4 (3.1.1, the default) or 5.
    pub mqtt_version: Option<u8>,
    /// MQTT: the client id (else `wscope-` and random letters).
    pub client_id: Option<String>,
    /// MQTT: the keep-alive asked for in CONNECT.
    pub keepalive: Option<Duration>,
}

impl Protocol {
    /// The protocol named, else the one the URL implies (`/socket.io/` in
    /// the path is Socket.IO), else raw.
    pub fn choose(named: Option<ProtocolKind>, url: &Url) -> ProtocolKind {
        named.or_else(|| ProtocolKind::implied_by(url)).unwrap_or_default()
    }

    /// The URL to connect to (Socket.IO adds its path and query).
    pub fn shape_url(&self, url: Url) -> Url {
        self.kind.0.shape_url(url, self)
    }

    /// A frame's payload in one line as this protocol reads it (a packet,
    /// a STOMP frame); None for raw WebSocket or what it does not read.
    pub fn describe_payload(&self, payload: &[u8], binary: bool) -> Option<String> {
        match () {
            _ if self.kind.is_raw() => None,
            _ if binary => self.describe_binary(payload, &|_| None),
            _ => self.describe(&String::from_utf8_lossy(payload)),
        }
    }

    /// Reads a captured client's binary frames for what they tell of the
    /// protocol ([`Speaks::settled_by_client`]) and reads as they say from
    /// then on; the notes say what changed and why.
    pub fn settle_by_client<'a>(&mut self, client_binary: impl IntoIterator<Item = &'a [u8]>) -> Vec<String> {
        let mut notes = Vec::new();
        for payload in client_binary {
            if let Some((settled, note)) = self.kind.0.settled_by_client(payload, self) {
                *self = settled;
                notes.push(note);
            }
        }
        notes
    }

    /// The protocol a recorded connection spoke, as far as its URL
    /// (`/socket.io/`) and the subprotocol the server picked tell.
    pub fn recorded(url: &str, subprotocol: Option<&str>) -> Self {
        let kind = Url::parse(url).ok().and_then(|url| ProtocolKind::implied_by(&url));
        let detecting = Self {
            kind: kind.unwrap_or_default(),
            detect: true,
            ..Self::default()
        };
        detecting.settle(subprotocol)
    }

    /// The protocol once the server has answered: a request that named
    /// none speaks the protocol whose subprotocol the server picked.
    pub fn settle(&self, negotiated: Option<&str>) -> Self {
        let mut settled = self.clone();
        if self.detect
            && self.kind.is_raw()
            && let Some(negotiated) = negotiated
            && let Some(kind) = REGISTRY.iter().find(|kind| kind.0.picked_by_subprotocol(negotiated))
        {
            settled.kind = *kind;
        }
        settled
    }

    /// The composer's text as it goes on the wire; `next_id` numbers
    /// requests that carry ids.
    pub fn encode(&self, text: &str, next_id: &mut u64) -> Result<String, String> {
        self.kind.0.encode(text, self, next_id)
    }

    /// What jq filters read instead of the raw payload, for protocols
    /// whose frames are not JSON as they stand.
    pub fn decoder(&self) -> Option<crate::decode::TextDecoder> {
        self.kind.0.decoder()
    }

    /// A payload in one line for the frames list, when the protocol has
    /// something better to say than the raw text.
    pub fn describe(&self, text: &str) -> Option<String> {
        self.kind.0.describe(text)
    }

    /// A binary frame in one line, when the protocol reads its packets.
    pub fn describe_binary(&self, data: &[u8], payload: &dyn Fn(&[u8]) -> Option<String>) -> Option<String> {
        self.kind.0.describe_binary(data, self, payload)
    }

    /// The message's type for the stats view, read from the head of its
    /// payload, when the protocol names it.
    pub fn message_type(&self, head: &[u8], binary: bool) -> Option<String> {
        self.kind.0.message_type(head, binary, self)
    }

    /// What jq reads of a binary frame, for protocols whose binary frames
    /// are packets.
    pub fn packet_decoder(&self) -> Option<crate::decode::TextDecoder> {
        self.kind.0.packet_decoder(self)
    }

    /// How frames read as JSON under this protocol, binary payloads by
    /// `binary` where the protocol has no packets of its own.
    pub fn frame_decoder(&self, binary: crate::decode::PayloadDecoder) -> crate::decode::FrameDecoder {
        crate::decode::FrameDecoder {
            text: self.decoder(),
            packet: self.packet_decoder(),
            binary,
        }
    }

    /// The auth payload's fields as text (`{"login": …, "passcode": …}`),
    /// in their order; nothing when it is not a JSON object.
    pub fn auth_fields(&self) -> Vec<(String, String)> {
        let fields = self
            .auth
            .as_deref()
            .and_then(|a| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(a).ok())
            .unwrap_or_default();
        fields
            .into_iter()
            .map(|(k, v)| {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                (k, text)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_openings_are_known_by_protocol_not_bytes() {
        let mqtt = b"\x10\x1b\x00\x04MQTT\x04\x02\x00\x1e\x00\x0fwscope-mGNTPjVw";
        assert_eq!(session_opening(mqtt), Some("MQTT CONNECT"));
        assert_eq!(session_opening(b"\x82\x0b\x00\x01"), None);
        assert_eq!(
            session_opening(b"CONNECT\naccept-version:1.2\nhost:x\n\n\0"),
            Some("STOMP CONNECT")
        );
        assert_eq!(session_opening(b"STOMP\r\nhost:x\r\n\r\n\0"), Some("STOMP CONNECT"));
        assert_eq!(session_opening(b"SEND\ndestination:/q\n\nCONNECT\0"), None);
        assert_eq!(session_opening(b"CONNECTED"), None);
        assert_eq!(session_opening(b""), None);
    }

    #[test]
    fn the_registry_names_each_protocol_once_and_reads_its_names_back() {
        for kind in REGISTRY {
            assert_eq!(ProtocolKind::named(kind.name()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(serde_json::from_str::<ProtocolKind>(&json).unwrap(), kind);
            assert_eq!(REGISTRY.iter().filter(|other| other.name() == kind.name()).count(), 1);
        }
        assert!(ProtocolKind::default().is_raw());
        let error = serde_json::from_str::<ProtocolKind>("\"amqp\"")
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown protocol \"amqp\""), "{error}");
    }

    #[test]
    fn what_a_protocol_does_is_asked_of_it() {
        let url = Url::parse("ws://host/socket.io/").unwrap();
        let implied = ProtocolKind::implied_by(&url).unwrap();
        assert!(implied.has_acks() && implied.takes_http_urls());
        let detecting = Protocol {
            detect: true,
            ..Protocol::default()
        };
        let settled = detecting.settle(Some("graphql-transport-ws")).kind;
        assert!(settled.has_operations());
        assert_eq!(settled.subprotocols().len(), 2);
        assert_eq!(close_code_meaning(4403), "graphql: forbidden");
        assert_eq!(close_code_meaning(4000), "application");
    }
}
