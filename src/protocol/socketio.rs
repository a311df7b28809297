//! Socket.IO 5 over Engine.IO 4, the WebSocket transport only.
//!
//! Every text frame is an Engine.IO packet: a type digit (`0` open, `1`
//! close, `2` ping, `3` pong, `4` message, `6` noop) and its data. A
//! message carries a Socket.IO packet: a type digit (`0` CONNECT, `1`
//! DISCONNECT, `2` EVENT, `3` ACK, `4` CONNECT_ERROR, `5` BINARY_EVENT, `6`
//! BINARY_ACK), an attachment count for binary ones (`1-`), a namespace
//! other than `/` (`/chat,`), an ack id, then JSON.
//!
//! The server sends `2` and drops a client that does not answer `3` within
//! pingTimeout, so the answer is sent by the connection task, next to the
//! socket.

use std::time::{Duration, Instant};

use serde_json::Value;
use url::Url;

use super::{Conversation, Converse, Speaks};
use super::{Outbound, Protocol, Reaction};

/// Socket.IO 5 over Engine.IO 4 (or 3).
pub struct SocketIo;

impl Speaks for SocketIo {
    fn name(&self) -> &'static str {
        "socketio"
    }

    fn label(&self) -> &'static str {
        "socket.io"
    }

    fn about(&self) -> &'static str {
        "Socket.IO 5 over Engine.IO 4"
    }

    fn implied_by_url(&self, url: &Url) -> bool {
        url.path().contains("/socket.io/")
    }

    fn takes_http_urls(&self) -> bool {
        true
    }

    fn shape_url(&self, url: Url, options: &Protocol) -> Url {
        shape_url(url, options.path.as_deref(), options.eio3)
    }

    fn encode(&self, text: &str, options: &Protocol, next_id: &mut u64) -> Result<String, String> {
        let ack = options.ack.then(|| {
            let id = *next_id;
            *next_id += 1;
            id
        });
        encode_emit(text, options.namespace.as_deref(), ack)
    }

    fn decoder(&self) -> Option<crate::decode::TextDecoder> {
        Some(decoded_json)
    }

    fn describe(&self, text: &str) -> Option<String> {
        describe(text)
    }

    fn converse(&self, options: &Protocol, _negotiated: Option<&str>) -> Conversation {
        Conversation::with(Client::new(options))
    }

    fn has_acks(&self) -> bool {
        true
    }

    fn message_type(&self, head: &[u8], binary: bool, _options: &Protocol) -> Option<String> {
        if binary {
            return Some("attachment".into());
        }
        let text = crate::json_peek::utf8_prefix(head);
        let (engine, data) = text.split_at_checked(1)?;
        let name = match engine {
            "0" => "open",
            "1" => "close",
            "2" => "ping",
            "3" => "pong",
            "6" => "noop",
            "4" => {
                let packet = parse_packet(data)?;
                match packet.kind {
                    2 | 5 => {
                        return Some(
                            crate::json_peek::first_string_of_array(packet.data.as_bytes())
                                .unwrap_or_else(|| "event".into()),
                        );
                    }
                    0 => "connect",
                    1 => "disconnect",
                    3 | 6 => "ack",
                    4 => "connect_error",
                    _ => return None,
                }
            }
            _ => return None,
        };
        Some(name.into())
    }
}

impl Converse for Client {
    fn deadline(&self) -> Option<Instant> {
        Client::deadline(self)
    }

    fn on_deadline(&mut self, now: Instant) -> Reaction {
        Client::on_deadline(self, now)
    }

    fn on_close(&mut self) -> Vec<Outbound> {
        Client::on_close(self)
    }

    fn on_text(&mut self, text: &str, now: Instant) -> Reaction {
        Client::on_text(self, text, now)
    }

    fn on_binary(&mut self, data: &[u8]) -> Reaction {
        Client::on_binary(self, data)
    }

    fn gate(&mut self, text: String) -> Option<Outbound> {
        Client::gate(self, text).map(Outbound::from)
    }
}

/// The URL Socket.IO listens on: `path` when given, else the URL's path
/// with `/socket.io/` appended unless it names it already; and
/// `EIO=4&transport=websocket` (`EIO=3` for `eio3`).
pub fn shape_url(mut url: Url, path: Option<&str>, eio3: bool) -> Url {
    match path.map(str::trim).filter(|p| !p.is_empty()) {
        Some(path) if path.starts_with('/') => url.set_path(path),
        Some(path) => url.set_path(&format!("/{path}")),
        None if !url.path().contains("/socket.io") => {
            let base = url.path().trim_end_matches('/').to_string();
            url.set_path(&format!("{base}/socket.io/"));
        }
        None => {}
    }
    let has = |name: &str| url.query_pairs().any(|(k, _)| k == name);
    let (eio, transport) = (has("EIO"), has("transport"));
    {
        let mut query = url.query_pairs_mut();
        if !eio {
            query.append_pair("EIO", if eio3 { "3" } else { "4" });
        }
        if !transport {
            query.append_pair("transport", "websocket");
        }
    }
    url
}

/// The namespace prefix of a packet: nothing for `/`.
fn namespace_prefix(namespace: Option<&str>) -> String {
    match namespace.map(str::trim) {
        None | Some("") | Some("/") => String::new(),
        Some(ns) if ns.starts_with('/') => format!("{ns},"),
        Some(ns) => format!("/{ns},"),
    }
}

/// The composer's text as an emit: `["event", args…]` becomes
/// `42["event",…]`. A text that already starts with a packet digit is sent
/// as typed, for speaking the protocol by hand.
pub fn encode_emit(text: &str, namespace: Option<&str>, ack: Option<u64>) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.starts_with(|c: char| c.is_ascii_digit()) {
        return Ok(trimmed.to_string());
    }
    let value: Value = serde_json::from_str(trimmed)
        .map_err(|e| format!("a Socket.IO emit is a JSON array [\"event\", args…]: {e}"))?;
    match value.as_array().and_then(|a| a.first()) {
        Some(Value::String(_)) => Ok(format!(
            "42{}{}{value}",
            namespace_prefix(namespace),
            ack.map(|id| id.to_string()).unwrap_or_default()
        )),
        _ => Err("a Socket.IO emit is a JSON array whose first item is the event name: [\"event\", args…]".into()),
    }
}

/// One Socket.IO packet, read from the data of an Engine.IO message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<'a> {
    pub kind: u8,
    pub attachments: Option<u32>,
    pub namespace: &'a str,
    pub ack: Option<u64>,
    pub data: &'a str,
}

/// Reads a Socket.IO packet (the part after the Engine.IO `4`).
pub fn parse_packet(text: &str) -> Option<Packet<'_>> {
    let mut rest = text;
    let kind = rest.chars().next()?.to_digit(10)? as u8;
    rest = &rest[1..];
    let mut attachments = None;
    if matches!(kind, 5 | 6)
        && let Some(dash) = rest.find('-')
        && rest[..dash].chars().all(|c| c.is_ascii_digit())
    {
        attachments = rest[..dash].parse().ok();
        rest = &rest[dash + 1..];
    }
    let mut namespace = "/";
    if rest.starts_with('/') {
        let end = rest.find(',').unwrap_or(rest.len());
        namespace = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or("");
    }
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    let ack = (digits > 0).then(|| rest[..digits].parse().ok()).flatten();
    rest = &rest[digits..];
    Some(Packet {
        kind,
        attachments,
        namespace,
        ack,
        data: rest,
    })
}

/// A frame's text in one line: `event chat {"text":"hi"}`, `ack 3 […]`,
/// `connect / sid=…`; `None` for text that is not Engine.IO.
pub fn describe(text: &str) -> Option<String> {
    let (engine, data) = text.split_at_checked(1)?;
    let line = match engine {
        "0" => format!("open {data}"),
        "1" => "close".into(),
        "2" => format!("ping {data}").trim_end().into(),
        "3" => format!("pong {data}").trim_end().into(),
        "6" => "noop".into(),
        "4" => {
            let packet = parse_packet(data)?;
            let ns = if packet.namespace == "/" {
                String::new()
            } else {
                format!("{} ", packet.namespace)
            };
            let ack = packet.ack.map(|id| format!("#{id} ")).unwrap_or_default();
            match packet.kind {
                0 => format!("connect {}{}", if ns.is_empty() { "/ " } else { &ns }, packet.data),
                1 => format!("disconnect {}", if ns.is_empty() { "/" } else { ns.trim_end() }),
                2 | 5 => {
                    let binary = packet.attachments.map(|n| format!("+{n} binary ")).unwrap_or_default();
                    match serde_json::from_str::<Value>(packet.data) {
                        Ok(Value::Array(items)) if !items.is_empty() => {
                            let name = items[0].as_str().map_or_else(|| items[0].to_string(), str::to_string);
                            let args: Vec<String> = items[1..].iter().map(Value::to_string).collect();
                            format!("event {ns}{ack}{binary}{name} {}", args.join(" "))
                        }
                        _ => format!("event {ns}{ack}{binary}{}", packet.data),
                    }
                }
                3 | 6 => format!("ack {ns}{ack}{}", packet.data),
                4 => format!("connect_error {ns}{}", packet.data),
                other => format!("packet {other} {}", packet.data),
            }
        }
        _ => return None,
    };
    Some(line.trim_end().to_string())
}

/// An event or ack as the object jq filters see:
/// `{"event": "chat", "args": [...], "ns": "/", "ack": 3}` (`event` is
/// null for an ack). `None` for anything else.
pub fn decoded_json(payload: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(payload).ok()?;
    let packet = parse_packet(text.strip_prefix('4')?)?;
    let items: Vec<Value> = match serde_json::from_str(packet.data).ok()? {
        Value::Array(items) => items,
        _ => return None,
    };
    let (event, args) = match packet.kind {
        2 | 5 => {
            let mut items = items.into_iter();
            (items.next()?, items.collect())
        }
        3 | 6 => (Value::Null, items),
        _ => return None,
    };
    let object = serde_json::json!({
        "event": event,
        "args": args,
        "ns": packet.namespace,
        "ack": packet.ack,
    });
    serde_json::to_vec(&object).ok()
}

/// A binary event or ack whose attachments are still arriving.
#[derive(Debug)]
struct Assembly {
    /// The packet's JSON, with `{"_placeholder":true,"num":N}` for each
    /// attachment.
    data: String,
    described: String,
    expected: usize,
    /// Each attachment's length and first bytes: a hostile server's
    /// attachments are not kept whole.
    attachments: Vec<(usize, Vec<u8>)>,
}

/// Most attachments one packet is assembled from; past it the packet's
/// frames are shown as they are.
const MAX_ATTACHMENTS: u32 = 1024;

/// Bytes of an attachment quoted in the reassembled event.
const ATTACHMENT_PREVIEW: usize = 16;

/// The client's side of one connection.
#[derive(Debug)]
pub struct Client {
    namespace: String,
    /// The CONNECT packet, sent once the server's open packet arrives
    /// (`None` on Engine.IO 3's main namespace, which the server joins
    /// by itself).
    connect: Option<Outbound>,
    /// Whether the namespace CONNECT was answered: until then, emits wait.
    ready: bool,
    held: Vec<String>,
    /// Engine.IO 3: the client pings, every `ping_interval`.
    eio3: bool,
    ping_interval: Option<Duration>,
    ping_due: Option<Instant>,
    /// Binary packets waiting for their attachments, in arrival order.
    assembling: Option<Assembly>,
    /// A note to give with the open packet (an auth payload Engine.IO 3
    /// cannot carry).
    warning: Option<String>,
}

impl Client {
    pub fn new(protocol: &Protocol) -> Self {
        let prefix = namespace_prefix(protocol.namespace.as_deref());
        let auth = protocol.auth.as_deref().map(str::trim).unwrap_or_default();
        let (connect, warning) = if protocol.eio3 {
            // Socket.IO 2's CONNECT carries no payload, and the main
            // namespace is joined without asking.
            let connect = (!prefix.is_empty()).then(|| Outbound::from(format!("40{prefix}")));
            let warning = (!auth.is_empty())
                .then(|| "socket.io: Engine.IO 3 (Socket.IO 2) has no CONNECT payload: the auth payload was not sent; pass a token as a param".to_string());
            (connect, warning)
        } else {
            let connect = Outbound {
                text: format!("40{prefix}{auth}"),
                // The auth payload is a secret: the frames view and the
                // log show that it was sent, not what it was.
                shown: (!auth.is_empty()).then(|| format!("40{prefix}{}", crate::secrets::FILE_MASK)),
                ..Outbound::default()
            };
            (Some(connect), None)
        };
        Self {
            namespace: if prefix.is_empty() {
                "/".into()
            } else {
                prefix.trim_end_matches(',').to_string()
            },
            connect,
            ready: false,
            held: Vec::new(),
            eio3: protocol.eio3,
            ping_interval: None,
            ping_due: None,
            assembling: None,
            warning,
        }
    }

    pub fn gate(&mut self, text: String) -> Option<String> {
        if self.ready {
            Some(text)
        } else {
            self.held.push(text);
            None
        }
    }

    /// Engine.IO 3's next client ping.
    pub fn deadline(&self) -> Option<Instant> {
        self.ping_due
    }

    pub fn on_deadline(&mut self, now: Instant) -> Reaction {
        let mut reaction = Reaction::default();
        if let Some(interval) = self.ping_interval {
            reaction.answers.push("2".into());
            self.ping_due = Some(now + interval);
        }
        reaction
    }

    /// DISCONNECT from the namespace, when it was joined.
    pub fn on_close(&mut self) -> Vec<Outbound> {
        if !self.ready {
            return Vec::new();
        }
        self.ready = false;
        let prefix = if self.namespace == "/" {
            String::new()
        } else {
            format!("{},", self.namespace)
        };
        vec![Outbound::from(format!("41{prefix}"))]
    }

    pub fn on_text(&mut self, text: &str, now: Instant) -> Reaction {
        let mut reaction = Reaction::default();
        match text.split_at_checked(1) {
            // The server's heartbeat: answered here, at once, and hidden.
            Some(("2", data)) => {
                reaction.answers.push(format!("3{data}"));
                reaction.hide = true;
            }
            Some(("3" | "6", _)) => reaction.hide = true,
            Some(("0", data)) => {
                let open: Value = serde_json::from_str(data).unwrap_or(Value::Null);
                let field = |name: &str| open.get(name).map(Value::to_string).unwrap_or_else(|| "?".into());
                reaction.notes.push((
                    false,
                    format!(
                        "engine.io {} open: sid {}, pingInterval {} ms, pingTimeout {} ms, maxPayload {}",
                        if self.eio3 { 3 } else { 4 },
                        field("sid"),
                        field("pingInterval"),
                        field("pingTimeout"),
                        field("maxPayload")
                    ),
                ));
                if self.eio3 {
                    // A server that says nothing of it gets the default.
                    let interval =
                        Duration::from_millis(open.get("pingInterval").and_then(Value::as_u64).unwrap_or(25_000));
                    self.ping_interval = Some(interval.max(MIN_PING_INTERVAL));
                    self.ping_due = Some(now + interval.max(MIN_PING_INTERVAL));
                }
                if let Some(warning) = self.warning.take() {
                    reaction.notes.push((true, warning));
                }
                reaction.replies.extend(self.connect.clone());
            }
            Some(("4", data)) => {
                if let Some(packet) = parse_packet(data) {
                    if packet.namespace == self.namespace {
                        self.on_namespace_packet(&packet, &mut reaction);
                    }
                    if let Some(expected) = packet.attachments.filter(|n| (1..=MAX_ATTACHMENTS).contains(n)) {
                        self.assembling = Some(Assembly {
                            data: packet.data.to_string(),
                            described: describe(text).unwrap_or_default(),
                            expected: expected as usize,
                            attachments: Vec::new(),
                        });
                    }
                }
            }
            _ => {}
        }
        reaction
    }

    fn on_namespace_packet(&mut self, packet: &Packet<'_>, reaction: &mut Reaction) {
        match packet.kind {
            0 => {
                self.ready = true;
                reaction.notes.push((
                    false,
                    format!("socket.io connected to {} {}", self.namespace, packet.data),
                ));
                reaction.replies.extend(self.held.drain(..).map(Outbound::from));
            }
            4 => reaction.notes.push((
                true,
                format!("socket.io CONNECT_ERROR on {}: {}", self.namespace, packet.data),
            )),
            1 => {
                self.ready = false;
                reaction
                    .notes
                    .push((true, format!("socket.io: the server disconnected {}", self.namespace)));
            }
            _ => {}
        }
    }

    /// A binary frame: the next attachment of the binary packet being
    /// assembled. The whole event is noted once its last one arrives.
    pub fn on_binary(&mut self, data: &[u8]) -> Reaction {
        let mut reaction = Reaction::default();
        let Some(assembly) = &mut self.assembling else {
            return reaction;
        };
        // Engine.IO 3 sends a message type byte ahead of binary data.
        let data = match (self.eio3, data.split_first()) {
            (true, Some((4, rest))) => rest,
            _ => data,
        };
        assembly
            .attachments
            .push((data.len(), data[..data.len().min(ATTACHMENT_PREVIEW)].to_vec()));
        if assembly.attachments.len() < assembly.expected {
            return reaction;
        }
        if let Some(assembly) = self.assembling.take() {
            reaction.notes.push((false, assembly.finish()));
        }
        reaction
    }
}

impl Assembly {
    /// The event with each placeholder replaced by what arrived for it.
    fn finish(self) -> String {
        let Ok(mut value) = serde_json::from_str::<Value>(&self.data) else {
            return format!(
                "socket.io: {} attachments arrived for a packet that is not JSON",
                self.expected
            );
        };
        fill_placeholders(&mut value, &self.attachments);
        let head = self.described.split(" +").next().unwrap_or("event");
        format!("socket.io {head} reassembled from {} binary: {value}", self.expected)
    }
}

/// Replaces `{"_placeholder":true,"num":N}` with a string that quotes
/// attachment N: `<binary 5 bytes: 68 65 6c 6c 6f>`.
fn fill_placeholders(value: &mut Value, attachments: &[(usize, Vec<u8>)]) {
    match value {
        Value::Object(object) if object.get("_placeholder") == Some(&Value::Bool(true)) => {
            let num = object.get("num").and_then(Value::as_u64).unwrap_or(u64::MAX);
            *value = Value::String(match attachments.get(num as usize) {
                Some((len, head)) => {
                    let shown: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
                    let more = if *len > head.len() { " …" } else { "" };
                    format!("<binary {len} bytes: {}{more}>", shown.join(" "))
                }
                None => format!("<missing attachment {num}>"),
            });
        }
        Value::Object(object) => object.values_mut().for_each(|v| fill_placeholders(v, attachments)),
        Value::Array(items) => items.iter_mut().for_each(|v| fill_placeholders(v, attachments)),
        _ => {}
    }
}

/// Engine.IO 3 pings faster than this are slowed down to it: a hostile
/// open packet must not make the client flood.
const MIN_PING_INTERVAL: Duration = Duration::from_millis(100);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ProtocolKind;

    fn client(namespace: Option<&str>, auth: Option<&str>) -> Client {
        Client::new(&Protocol {
            kind: ProtocolKind::named("socketio").unwrap(),
            namespace: namespace.map(str::to_string),
            auth: auth.map(str::to_string),
            ..Protocol::default()
        })
    }

    fn eio3_client(namespace: Option<&str>, auth: Option<&str>) -> Client {
        Client::new(&Protocol {
            kind: ProtocolKind::named("socketio").unwrap(),
            namespace: namespace.map(str::to_string),
            auth: auth.map(str::to_string),
            eio3: true,
            ..Protocol::default()
        })
    }

    #[test]
    fn urls_gain_the_socket_io_path_and_query() {
        let shaped = |text: &str| shape_url(Url::parse(text).unwrap(), None, false).to_string();
        assert_eq!(shaped("ws://h:1/"), "ws://h:1/socket.io/?EIO=4&transport=websocket");
        assert_eq!(
            shaped("ws://h:1/api"),
            "ws://h:1/api/socket.io/?EIO=4&transport=websocket"
        );
        assert_eq!(
            shaped("ws://h/socket.io/?EIO=4&transport=websocket&token=x"),
            "ws://h/socket.io/?EIO=4&transport=websocket&token=x"
        );
        assert_eq!(
            shape_url(Url::parse("ws://h/api?t=1").unwrap(), Some("rt/io/"), true).as_str(),
            "ws://h/rt/io/?t=1&EIO=3&transport=websocket"
        );
    }

    #[test]
    fn emits_are_encoded_in_their_namespace() {
        assert_eq!(
            encode_emit(r#"["chat", {"text":"hi"}]"#, None, None),
            Ok(r#"42["chat",{"text":"hi"}]"#.into())
        );
        assert_eq!(
            encode_emit(r#"["x"]"#, Some("/admin"), None),
            Ok(r#"42/admin,["x"]"#.into())
        );
        assert_eq!(
            encode_emit(r#"["x"]"#, Some("/admin"), Some(7)),
            Ok(r#"42/admin,7["x"]"#.into())
        );
        assert_eq!(encode_emit("40", None, Some(1)), Ok("40".into()));
        assert!(encode_emit("{}", None, None).unwrap_err().contains("event name"));
        assert!(encode_emit("hello", None, None).unwrap_err().contains("JSON array"));
    }

    #[test]
    fn packets_read_back() {
        assert_eq!(
            parse_packet(r#"2/admin,12["a",1]"#),
            Some(Packet {
                kind: 2,
                attachments: None,
                namespace: "/admin",
                ack: Some(12),
                data: r#"["a",1]"#
            })
        );
        let binary = parse_packet(r#"51-["up",{"_placeholder":true,"num":0}]"#).unwrap();
        assert_eq!((binary.kind, binary.attachments), (5, Some(1)));
        assert_eq!(
            describe(r#"42["chat",{"text":"hi"}]"#).as_deref(),
            Some(r#"event chat {"text":"hi"}"#)
        );
        assert_eq!(
            describe(r#"431[{"ok":true}]"#).as_deref(),
            Some(r#"ack #1 [{"ok":true}]"#)
        );
        assert_eq!(
            describe(r#"44{"message":"no"}"#).as_deref(),
            Some(r#"connect_error {"message":"no"}"#)
        );
        assert_eq!(describe("2").as_deref(), Some("ping"));
        assert_eq!(describe("").as_deref(), None);
        assert_eq!(describe("x").as_deref(), None);
    }

    #[test]
    fn the_handshake_heartbeats_and_held_emits() {
        let mut c = client(Some("/admin"), Some(r#"{"token":"t"}"#));
        assert_eq!(c.gate("42/admin,[\"early\"]".into()), None, "held until connected");
        let open = c.on_text(
            r#"0{"sid":"s1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#,
            Instant::now(),
        );
        assert_eq!(open.replies, vec![r#"40/admin,{"token":"t"}"#]);
        assert_eq!(open.replies[0].shown.as_deref(), Some("40/admin,[masked]"));
        assert!(open.notes[0].1.contains("pingInterval 25000 ms"));
        let ping = c.on_text("2", Instant::now());
        assert_eq!((ping.answers, ping.hide), (vec!["3".to_string()], true));
        assert!(ping.replies.is_empty());
        let connected = c.on_text(r#"40/admin,{"sid":"x"}"#, Instant::now());
        assert_eq!(connected.replies, vec!["42/admin,[\"early\"]"]);
        assert_eq!(
            c.gate("42/admin,[\"late\"]".into()).as_deref(),
            Some("42/admin,[\"late\"]")
        );
        let refused = client(None, None).on_text(r#"44{"message":"nope"}"#, Instant::now());
        assert!(refused.notes[0].0 && refused.notes[0].1.contains("CONNECT_ERROR"));
    }

    #[test]
    fn engine_io_3_pings_itself_and_joins_the_main_namespace_unasked() {
        let mut c = eio3_client(None, Some(r#"{"token":"t"}"#));
        let now = Instant::now();
        let open = c.on_text(r#"0{"sid":"s","pingInterval":1000,"pingTimeout":500}"#, now);
        assert!(open.replies.is_empty(), "the server joins / by itself");
        assert!(
            open.notes
                .iter()
                .any(|(error, note)| *error && note.contains("auth payload was not sent"))
        );
        assert_eq!(c.deadline(), Some(now + Duration::from_secs(1)));
        let ping = c.on_deadline(now + Duration::from_secs(1));
        assert_eq!(ping.answers, vec!["2".to_string()]);
        assert_eq!(c.deadline(), Some(now + Duration::from_secs(2)));
        assert!(c.on_text("3", now).hide, "the server's pong is hidden");
        assert_eq!(c.gate("42[\"a\"]".into()), None);
        assert_eq!(c.on_text("40", now).replies, vec!["42[\"a\"]"]);
        let mut admin = eio3_client(Some("admin"), None);
        assert_eq!(admin.on_text(r#"0{"pingInterval":5}"#, now).replies, vec!["40/admin,"]);
        assert_eq!(
            admin.deadline(),
            Some(now + MIN_PING_INTERVAL),
            "a hostile interval does not make a flood"
        );
    }

    #[test]
    fn leaving_says_disconnect_once_joined() {
        let mut c = client(Some("/chat"), None);
        assert!(c.on_close().is_empty(), "not joined yet");
        c.on_text("40/chat,{}", Instant::now());
        assert_eq!(c.on_close(), vec!["41/chat,"]);
        let mut main = client(None, None);
        main.on_text("40{}", Instant::now());
        assert_eq!(main.on_close(), vec!["41"]);
    }

    #[test]
    fn binary_attachments_are_reassembled() {
        let mut c = client(None, None);
        let now = Instant::now();
        let head = c.on_text(
            r#"452-["up",{"a":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]"#,
            now,
        );
        assert!(head.notes.is_empty(), "waits for its attachments");
        assert!(c.on_binary(b"hello").notes.is_empty());
        let done = c.on_binary(&[0u8; 40]);
        assert_eq!(
            done.notes,
            vec![(
                false,
                r#"socket.io event reassembled from 2 binary: ["up",{"a":"<binary 5 bytes: 68 65 6c 6c 6f>"},"<binary 40 bytes: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 …>"]"#.to_string()
            )]
        );
        assert!(
            c.on_binary(b"stray").notes.is_empty(),
            "a frame with no packet waiting is just a frame"
        );
        let mut old = eio3_client(None, None);
        old.on_text(r#"461-/ns,3[{"_placeholder":true,"num":0}]"#, now);
        let ack = old.on_binary(b"\x04ok");
        assert!(
            ack.notes[0].1.ends_with(r#"["<binary 2 bytes: 6f 6b>"]"#),
            "{:?}",
            ack.notes
        );
        let mut hostile = client(None, None);
        hostile.on_text(r#"4599999999-["x"]"#, now);
        assert!(
            hostile.on_binary(b"x").notes.is_empty(),
            "absurd counts are not assembled"
        );
    }

    #[test]
    fn events_decode_for_jq() {
        let decoded = |text: &str| decoded_json(text.as_bytes()).map(|b| String::from_utf8(b).unwrap());
        assert_eq!(
            decoded(r#"42/chat,7["msg",{"text":"hi"},2]"#).as_deref(),
            Some(r#"{"event":"msg","args":[{"text":"hi"},2],"ns":"/chat","ack":7}"#)
        );
        assert_eq!(
            decoded(r#"431[true]"#).as_deref(),
            Some(r#"{"event":null,"args":[true],"ns":"/","ack":1}"#)
        );
        assert_eq!(decoded("2"), None);
        assert_eq!(decoded(r#"40{"sid":"x"}"#), None);
    }

    proptest::proptest! {
        #[test]
        fn reading_never_panics(text in "\\PC{0,40}") {
            let _ = decoded_json(text.as_bytes());
            let _ = describe(&text);
            let _ = parse_packet(&text);
            let mut c = client(None, None);
            let _ = c.on_text(&text, Instant::now());
            let _ = c.on_binary(text.as_bytes());
            let _ = encode_emit(&text, Some("/ns"), Some(1));
        }
    }
}
