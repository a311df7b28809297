//! GraphQL over WebSocket, in both subprotocols: `graphql-transport-ws`
//! (the graphql-ws library) and the legacy `graphql-ws`
//! (subscriptions-transport-ws).
//!
//! The connection task sends `connection_init` on open, holds operations
//! until `connection_ack`, wraps a GraphQL document typed in the composer
//! into `subscribe` (or legacy `start`) with the next id, and answers and
//! hides the keep-alives (`ping`, legacy `ka`).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Conversation, Converse, Protocol, Speaks};
use super::{Outbound, Reaction};

/// GraphQL over WebSocket (graphql-transport-ws or graphql-ws).
pub struct GraphQl;

impl Speaks for GraphQl {
    fn name(&self) -> &'static str {
        "graphql"
    }

    fn label(&self) -> &'static str {
        "graphql"
    }

    fn about(&self) -> &'static str {
        "GraphQL over WebSocket (graphql-transport-ws or graphql-ws)"
    }

    fn picked_by_subprotocol(&self, negotiated: &str) -> bool {
        SUBPROTOCOLS.contains(&negotiated)
    }

    fn subprotocols(&self) -> &'static [&'static str] {
        &SUBPROTOCOLS
    }

    // The connection task wraps documents: the id and the message type
    // depend on the subprotocol the server picked, so `encode` passes
    // the text through.

    fn describe(&self, text: &str) -> Option<String> {
        describe(text)
    }

    fn converse(&self, options: &Protocol, negotiated: Option<&str>) -> Conversation {
        Conversation::with(Client::new(negotiated, options.auth.as_deref()))
    }

    fn close_code_meaning(&self, code: u16) -> Option<&'static str> {
        close_code_meaning(code)
    }

    fn has_operations(&self) -> bool {
        true
    }

    // A subscription is known by its operation's name; the other
    // messages by their type (`next`, `complete`), as the generic
    // reading would.
    fn message_type(&self, head: &[u8], _binary: bool, _options: &Protocol) -> Option<String> {
        let kind = crate::json_peek::first_string_field(head, &["type"])?;
        if !matches!(kind.as_ref(), "subscribe" | "start") {
            return Some(kind.into_owned());
        }
        let message: Value = serde_json::from_slice(head).ok()?;
        let payload = message.get("payload")?;
        let named = payload
            .get("operationName")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty());
        let name = named.map(str::to_string).or_else(|| {
            let query = payload.get("query")?.as_str()?;
            let mut words = query.split(|c: char| c.is_whitespace() || c == '(' || c == '{');
            let first = words.find(|w| !w.is_empty())?;
            matches!(first, "query" | "mutation" | "subscription")
                .then(|| words.find(|w| !w.is_empty()).map(str::to_string))
                .flatten()
        });
        Some(crate::json_peek::bounded(&name.unwrap_or_else(|| kind.into_owned())).to_string())
    }
}

impl Converse for Client {
    fn on_open(&mut self, now: Instant) -> Reaction {
        Client::on_open(self, now)
    }

    fn deadline(&self) -> Option<Instant> {
        Client::deadline(self)
    }

    fn on_deadline(&mut self, now: Instant) -> Reaction {
        Client::on_deadline(self, now)
    }

    fn on_text(&mut self, text: &str, _now: Instant) -> Reaction {
        Client::on_text(self, text)
    }

    fn gate(&mut self, text: String) -> Option<Outbound> {
        Client::gate(self, text).map(Outbound::from)
    }
}

/// How long the server has to answer `connection_init`; graphql-ws
/// servers allow 3 s by default before closing with 4408, so a server
/// still silent after this is not going to answer.
pub const ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// The subprotocols offered, newest first.
pub const SUBPROTOCOLS: [&str; 2] = ["graphql-transport-ws", "graphql-ws"];

/// The client's side of one connection.
#[derive(Debug)]
pub struct Client {
    /// `graphql-transport-ws`; else the legacy protocol.
    modern: bool,
    init_payload: Value,
    acked: bool,
    /// When the wait for `connection_ack` is given up on (and said so).
    ack_due: Option<Instant>,
    next_id: u64,
    held: Vec<String>,
}

impl Client {
    /// `negotiated` is the subprotocol the server picked.
    pub fn new(negotiated: Option<&str>, init_payload: Option<&str>) -> Self {
        Self {
            modern: negotiated != Some("graphql-ws"),
            init_payload: init_payload
                .and_then(|p| serde_json::from_str(p).ok())
                .unwrap_or_else(|| json!({})),
            acked: false,
            ack_due: None,
            next_id: 1,
            held: Vec::new(),
        }
    }

    /// What goes out as soon as the connection opens; an init payload
    /// (usually a token) is masked in the frames view and the log.
    pub fn on_open(&mut self, now: Instant) -> Reaction {
        let secret = self.init_payload.as_object().is_some_and(|o| !o.is_empty());
        self.ack_due = Some(now + ACK_TIMEOUT);
        Reaction {
            replies: vec![Outbound {
                text: json!({ "type": "connection_init", "payload": self.init_payload }).to_string(),
                shown: secret
                    .then(|| json!({ "type": "connection_init", "payload": crate::secrets::FILE_MASK }).to_string()),
                ..Outbound::default()
            }],
            notes: vec![(
                false,
                format!(
                    "graphql ({}): connection_init sent, waiting up to {} s for connection_ack; operations wait for it",
                    if self.modern {
                        "graphql-transport-ws"
                    } else {
                        "graphql-ws"
                    },
                    ACK_TIMEOUT.as_secs()
                ),
            )],
            ..Reaction::default()
        }
    }

    /// The end of the wait for `connection_ack`.
    pub fn deadline(&self) -> Option<Instant> {
        self.ack_due
    }

    pub fn on_deadline(&mut self, _now: Instant) -> Reaction {
        self.ack_due = None;
        let mut reaction = Reaction::default();
        if !self.acked {
            reaction.notes.push((
                true,
                format!(
                    "graphql: no connection_ack after {} s; {} operation(s) held (is the init payload right?)",
                    ACK_TIMEOUT.as_secs(),
                    self.held.len()
                ),
            ));
        }
        reaction
    }

    /// The composer's text as a message: a GraphQL document becomes an
    /// operation with the next id; `{"query": …, "variables": …}` becomes
    /// its payload; a message with a `type` goes as typed.
    fn wrap(&mut self, text: String) -> String {
        let trimmed = text.trim();
        let payload = match serde_json::from_str::<Value>(trimmed) {
            Ok(Value::Object(object)) if object.contains_key("type") => return text,
            Ok(value @ Value::Object(_)) => value,
            _ => json!({ "query": trimmed }),
        };
        let id = self.next_id.to_string();
        self.next_id += 1;
        let kind = if self.modern { "subscribe" } else { "start" };
        json!({ "id": id, "type": kind, "payload": payload }).to_string()
    }

    pub fn gate(&mut self, text: String) -> Option<String> {
        let message = self.wrap(text);
        if self.acked {
            Some(message)
        } else {
            self.held.push(message);
            None
        }
    }

    pub fn on_text(&mut self, text: &str) -> Reaction {
        let mut reaction = Reaction::default();
        let Ok(message) = serde_json::from_str::<Value>(text) else {
            return reaction;
        };
        match message.get("type").and_then(Value::as_str) {
            Some("connection_ack") => {
                self.acked = true;
                self.ack_due = None;
                reaction.notes.push((false, "graphql: connection acknowledged".into()));
                reaction.replies.extend(self.held.drain(..).map(Outbound::from));
            }
            Some("connection_error") => reaction.notes.push((
                true,
                format!(
                    "graphql connection_error: {}",
                    message.get("payload").map(Value::to_string).unwrap_or_default()
                ),
            )),
            Some("ping") => {
                reaction.answers.push(json!({ "type": "pong" }).to_string());
                reaction.hide = true;
            }
            Some("pong" | "ka") => reaction.hide = true,
            _ => {}
        }
        reaction
    }
}

/// A message in one line: `next #1 {"data":…}`, `error #1 […]`,
/// `complete #1`, `subscribe #1 subscription {…}`.
pub fn describe(text: &str) -> Option<String> {
    let message: Value = serde_json::from_str(text).ok()?;
    let kind = message.get("type")?.as_str()?;
    let id = message
        .get("id")
        .map(|id| format!("#{} ", id.as_str().map_or_else(|| id.to_string(), str::to_string)))
        .unwrap_or_default();
    let payload = message.get("payload");
    let shown = match (kind, payload) {
        ("subscribe" | "start", Some(p)) => p
            .get("query")
            .and_then(Value::as_str)
            .map_or_else(|| p.to_string(), |q| q.split_whitespace().collect::<Vec<_>>().join(" ")),
        (_, Some(p)) => p.to_string(),
        (_, None) => String::new(),
    };
    Some(format!("{kind} {id}{shown}").trim_end().to_string())
}

/// Where an operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationState {
    /// Started, no `complete` yet.
    Running,
    /// The server said `complete`.
    Completed,
    /// The server sent `error` (which also ends it).
    Failed,
    /// We sent `complete` (or legacy `stop`).
    Stopped,
}

impl OperationState {
    pub fn label(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "complete",
            Self::Failed => "error",
            Self::Stopped => "stopped",
        }
    }
}

/// One operation, as the frames tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub id: String,
    /// The document in one line, or the operation name.
    pub label: String,
    pub state: OperationState,
    /// `next` (legacy `data`) messages received.
    pub results: u64,
    pub started: std::time::SystemTime,
    /// From the start to the first result.
    pub first_result: Option<Duration>,
    /// From the start to the latest result: a subscription that went quiet
    /// shows how long ago it last spoke.
    pub last_result: Option<Duration>,
}

/// The operations of one connection, in the order they started, read off
/// the frames as they are logged (so they outlive the frames' history cap).
#[derive(Debug, Clone, Default)]
pub struct Operations {
    list: std::collections::VecDeque<Operation>,
}

/// Operations remembered per connection; the oldest are forgotten first.
pub const MAX_OPERATIONS: usize = 1000;

impl Operations {
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Operation> + ExactSizeIterator {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&Operation> {
        self.list.get(index)
    }

    /// Reads one logged text frame; anything that is not a GraphQL
    /// message with an id is ignored.
    pub fn observe(&mut self, sent: bool, at: std::time::SystemTime, text: &[u8]) {
        let Ok(message) = serde_json::from_slice::<Value>(text) else {
            return;
        };
        let (Some(kind), Some(id)) = (message.get("type").and_then(Value::as_str), message.get("id")) else {
            return;
        };
        let id = id.as_str().map_or_else(|| id.to_string(), str::to_string);
        match (sent, kind) {
            (true, "subscribe" | "start") => {
                let payload = message.get("payload");
                let label = payload
                    .and_then(|p| p.get("operationName"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| {
                        payload
                            .and_then(|p| p.get("query"))
                            .and_then(Value::as_str)
                            .map(|q| q.split_whitespace().collect::<Vec<_>>().join(" "))
                    })
                    .unwrap_or_default();
                if self.list.len() == MAX_OPERATIONS {
                    self.list.pop_front();
                }
                self.list.push_back(Operation {
                    id,
                    label,
                    state: OperationState::Running,
                    results: 0,
                    started: at,
                    first_result: None,
                    last_result: None,
                });
            }
            (true, "complete" | "stop") => self.end(&id, OperationState::Stopped),
            (false, "next" | "data") => {
                if let Some(operation) = self.latest_mut(&id) {
                    operation.results += 1;
                    let since_start = at.duration_since(operation.started).unwrap_or_default();
                    operation.first_result.get_or_insert(since_start);
                    operation.last_result = Some(since_start);
                }
            }
            (false, "error") => self.end(&id, OperationState::Failed),
            (false, "complete") => self.end(&id, OperationState::Completed),
            _ => {}
        }
    }

    /// The newest operation with this id (ids may be reused once ended).
    fn latest_mut(&mut self, id: &str) -> Option<&mut Operation> {
        self.list.iter_mut().rev().find(|o| o.id == id)
    }

    fn end(&mut self, id: &str, state: OperationState) {
        if let Some(operation) = self.latest_mut(id)
            && operation.state == OperationState::Running
        {
            operation.state = state;
        }
    }
}

/// The message that stops operation `id` in the subprotocol the server
/// picked (`complete`, or legacy `stop`).
pub fn stop_message(id: &str, negotiated: Option<&str>) -> String {
    let kind = if negotiated == Some("graphql-ws") {
        "stop"
    } else {
        "complete"
    };
    json!({ "id": id, "type": kind }).to_string()
}

/// What the `graphql-ws` close codes mean.
pub fn close_code_meaning(code: u16) -> Option<&'static str> {
    Some(match code {
        4400 => "graphql: bad request",
        4401 => "graphql: unauthorized",
        4403 => "graphql: forbidden",
        4406 => "graphql: subprotocol not acceptable",
        4408 => "graphql: connection initialisation timeout",
        4409 => "graphql: subscriber for that id already exists",
        4429 => "graphql: too many initialisation requests",
        4500 => "graphql: internal server error",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_ack_held_operations_and_keepalives() {
        let mut modern = Client::new(Some("graphql-transport-ws"), Some(r#"{"token":"t"}"#));
        let now = Instant::now();
        let open = modern.on_open(now);
        assert_eq!(
            open.replies,
            vec![r#"{"type":"connection_init","payload":{"token":"t"}}"#]
        );
        assert_eq!(
            open.replies[0].shown.as_deref(),
            Some(r#"{"type":"connection_init","payload":"[masked]"}"#)
        );
        assert!(open.notes[0].1.contains("waiting up to 10 s"), "the wait is shown");
        assert_eq!(modern.deadline(), Some(now + ACK_TIMEOUT));
        assert_eq!(
            Client::new(None, None).on_open(now).replies[0].shown,
            None,
            "nothing to hide"
        );
        assert_eq!(modern.gate("subscription { n }".into()), None);
        let ack = modern.on_text(r#"{"type":"connection_ack"}"#);
        assert_eq!(modern.deadline(), None, "the wait is over");
        assert_eq!(
            ack.replies,
            vec![r#"{"id":"1","type":"subscribe","payload":{"query":"subscription { n }"}}"#]
        );
        let ping = modern.on_text(r#"{"type":"ping"}"#);
        assert_eq!(
            (ping.answers, ping.hide),
            (vec![r#"{"type":"pong"}"#.to_string()], true)
        );
        let typed = modern.gate(r#"{"id":"1","type":"complete"}"#.into());
        assert_eq!(typed.as_deref(), Some(r#"{"id":"1","type":"complete"}"#));
        let mut legacy = Client::new(Some("graphql-ws"), None);
        legacy.on_text(r#"{"type":"connection_ack"}"#);
        let start = legacy
            .gate(r#"{"query":"subscription { n }","variables":{"a":1}}"#.into())
            .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&start).unwrap(),
            json!({"id":"1","type":"start","payload":{"query":"subscription { n }","variables":{"a":1}}})
        );
        assert!(legacy.on_text(r#"{"type":"ka"}"#).hide);
    }

    #[test]
    fn operations_follow_their_messages() {
        let t0 = std::time::SystemTime::UNIX_EPOCH;
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut ops = Operations::default();
        ops.observe(
            true,
            at(0),
            br#"{"id":"1","type":"subscribe","payload":{"query":"subscription {\n countdown(from: 3) }"}}"#,
        );
        ops.observe(
            true,
            at(1),
            br#"{"id":"2","type":"start","payload":{"query":"{ a }","operationName":"Named"}}"#,
        );
        ops.observe(
            false,
            at(12),
            br#"{"id":"1","type":"next","payload":{"data":{"countdown":3}}}"#,
        );
        ops.observe(
            false,
            at(20),
            br#"{"id":"1","type":"next","payload":{"data":{"countdown":2}}}"#,
        );
        ops.observe(false, at(30), br#"{"id":"1","type":"complete"}"#);
        ops.observe(true, at(31), br#"{"id":"2","type":"stop"}"#);
        ops.observe(false, at(32), br#"{"id":"2","type":"complete"}"#);
        ops.observe(false, at(33), b"not json");
        let first = ops.get(0).unwrap();
        assert_eq!(first.label, "subscription { countdown(from: 3) }");
        assert_eq!(
            (first.state, first.results, first.first_result, first.last_result),
            (
                OperationState::Completed,
                2,
                Some(Duration::from_millis(12)),
                Some(Duration::from_millis(20))
            )
        );
        let second = ops.get(1).unwrap();
        assert_eq!(
            (second.label.as_str(), second.state),
            ("Named", OperationState::Stopped)
        );
        ops.observe(true, at(40), br#"{"id":"3","type":"subscribe","payload":{}}"#);
        ops.observe(
            false,
            at(41),
            br#"{"id":"3","type":"error","payload":[{"message":"no"}]}"#,
        );
        assert_eq!(ops.get(2).unwrap().state, OperationState::Failed);
        assert_eq!(stop_message("3", Some("graphql-ws")), r#"{"id":"3","type":"stop"}"#);
        assert_eq!(stop_message("3", None), r#"{"id":"3","type":"complete"}"#);
    }

    #[test]
    fn a_silent_server_is_reported_once() {
        let mut client = Client::new(Some("graphql-transport-ws"), None);
        let now = Instant::now();
        client.on_open(now);
        assert_eq!(client.gate("{ a }".into()), None);
        let late = client.on_deadline(now + ACK_TIMEOUT);
        assert!(late.notes[0].0 && late.notes[0].1.contains("1 operation(s) held"));
        assert_eq!(client.deadline(), None, "said once");
    }

    #[test]
    fn messages_describe_themselves() {
        assert_eq!(
            describe(r#"{"id":"1","type":"next","payload":{"data":{"n":3}}}"#).as_deref(),
            Some(r#"next #1 {"data":{"n":3}}"#)
        );
        assert_eq!(
            describe(r#"{"id":"1","type":"complete"}"#).as_deref(),
            Some("complete #1")
        );
        assert_eq!(
            describe(r#"{"id":"2","type":"subscribe","payload":{"query":"subscription {\n  n\n}"}}"#).as_deref(),
            Some("subscribe #2 subscription { n }")
        );
        assert_eq!(describe("[1]"), None);
        assert_eq!(close_code_meaning(4403), Some("graphql: forbidden"));
    }
}
