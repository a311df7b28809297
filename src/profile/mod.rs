//! Saved requests ("profiles"), the environments their `{{variables}}` come
//! from, and the files that keep them.
//!
//! May import: `decode`, `json_check`, `protocol`, `record`, `request`,
//! `secrets`.

pub mod curl;
pub mod draft;
pub mod history;
pub mod paths;
pub mod resolve;
pub mod store;
pub mod vars;
pub mod workspace;

use serde::{Deserialize, Serialize};

use crate::record::KvRow;

/// The schema version this build writes; files with a newer one are refused
/// rather than misread.
pub const PROFILE_VERSION: u32 = 1;

/// A named message body kept with a profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedMessage {
    pub name: String,
    pub body: String,
}

/// Everything about a request, as stored in `profiles/NAME.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    pub version: u32,
    pub url: String,
    pub message: String,
    pub params: Vec<KvRow>,
    pub headers: Vec<KvRow>,
    /// Keepalive ping period; `None` uses the command line's, `Some(0)` turns it off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ping_interval_secs: Option<u64>,
    /// Message bodies kept for picking into the composer.
    pub saved_messages: Vec<SavedMessage>,
    /// Sent in order each time the connection opens (auth, subscribe, …).
    pub on_connect: Vec<String>,
    /// Send the message every this many seconds while connected (a heartbeat).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_secs: Option<u64>,
    /// What pairs a request with its response: a JSON field name or a jq
    /// path; unset pairs by `id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair_by: Option<String>,
    /// Proxy for this profile: a URL, or `none`; unset follows the environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    /// Subprotocols asked for in Sec-WebSocket-Protocol, in preference order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subprotocols: Vec<String>,
    /// Reconnect with backoff after drops; `None` uses the command line's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconnect: Option<bool>,
    /// The protocol spoken over the socket; unset detects it from the URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<crate::protocol::ProtocolKind>,
    /// Socket.IO namespace to connect to (`/` when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Socket.IO's CONNECT payload, or GraphQL's `connection_init`
    /// payload; `{{env:…}}` in its strings is resolved.
    #[serde(skip_serializing_if = "Option::is_none", alias = "init_payload")]
    pub auth: Option<serde_json::Value>,
    /// Socket.IO: the Engine.IO version, 4 unless 3 is named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eio: Option<u8>,
    /// Socket.IO: the server's path, instead of the URL's path plus
    /// `/socket.io/`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socketio_path: Option<String>,
    /// STOMP: the virtual host CONNECT names, instead of the URL's host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vhost: Option<String>,
    /// STOMP: the heart-beats offered, `CX,CY` in milliseconds or one
    /// duration for both ways.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat: Option<String>,
    /// The protocol runs inside SockJS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sockjs: Option<bool>,
    /// MQTT: 4 (3.1.1) or 5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mqtt_version: Option<u8>,
    /// MQTT: the client id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// MQTT: the keep-alive, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keepalive_secs: Option<u64>,
    /// How binary frames are decoded; unset is `auto`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decode: Option<crate::decode::DecodeChoice>,
    /// `.proto` files binary frames may be read by.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub proto: Vec<std::path::PathBuf>,
    /// The Protobuf message type of frames both ways, and of each way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proto_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proto_type_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proto_type_out: Option<String>,
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            version: PROFILE_VERSION,
            url: String::new(),
            message: String::new(),
            params: Vec::new(),
            headers: Vec::new(),
            ping_interval_secs: None,
            saved_messages: Vec::new(),
            on_connect: Vec::new(),
            reconnect: None,
            subprotocols: Vec::new(),
            proxy: None,
            pair_by: None,
            schedule_secs: None,
            protocol: None,
            namespace: None,
            auth: None,
            eio: None,
            socketio_path: None,
            vhost: None,
            heartbeat: None,
            sockjs: None,
            mqtt_version: None,
            client_id: None,
            keepalive_secs: None,
            decode: None,
            proto: Vec::new(),
            proto_type: None,
            proto_type_in: None,
            proto_type_out: None,
        }
    }
}

impl Profile {
    /// The payload decoder this profile names: its choice and its schema.
    pub fn decoder_source(&self) -> crate::decode::DecoderSource {
        crate::decode::DecoderSource::new(
            self.decode,
            self.proto.clone(),
            crate::decode::TypeChoice {
                both: self.proto_type.clone(),
                received: self.proto_type_in.clone(),
                sent: self.proto_type_out.clone(),
            },
        )
    }

    /// Whether everything but the message is the same: asked at every
    /// draw, when the composer may hold megabytes. Every field is named, so
    /// a new one cannot be forgotten here.
    pub fn same_but_message(&self, other: &Profile) -> bool {
        let Profile {
            version,
            url,
            params,
            headers,
            ping_interval_secs,
            saved_messages,
            on_connect,
            schedule_secs,
            pair_by,
            proxy,
            subprotocols,
            reconnect,
            protocol,
            namespace,
            auth,
            eio,
            socketio_path,
            vhost,
            heartbeat,
            sockjs,
            mqtt_version,
            client_id,
            keepalive_secs,
            decode,
            proto,
            proto_type,
            proto_type_in,
            proto_type_out,
            message: _,
        } = self;
        version == &other.version
            && url == &other.url
            && params == &other.params
            && headers == &other.headers
            && ping_interval_secs == &other.ping_interval_secs
            && saved_messages == &other.saved_messages
            && on_connect == &other.on_connect
            && schedule_secs == &other.schedule_secs
            && pair_by == &other.pair_by
            && proxy == &other.proxy
            && subprotocols == &other.subprotocols
            && reconnect == &other.reconnect
            && protocol == &other.protocol
            && namespace == &other.namespace
            && auth == &other.auth
            && eio == &other.eio
            && socketio_path == &other.socketio_path
            && vhost == &other.vhost
            && heartbeat == &other.heartbeat
            && sockjs == &other.sockjs
            && mqtt_version == &other.mqtt_version
            && client_id == &other.client_id
            && keepalive_secs == &other.keepalive_secs
            && decode == &other.decode
            && proto == &other.proto
            && proto_type == &other.proto_type
            && proto_type_in == &other.proto_type_in
            && proto_type_out == &other.proto_type_out
    }

    /// Whether nothing has been filled in.
    pub fn is_blank(&self) -> bool {
        self.url.trim().is_empty()
            && self.message.trim().is_empty()
            && self.params.is_empty()
            && self.headers.is_empty()
    }
}
