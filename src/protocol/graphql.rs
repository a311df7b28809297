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

use super::{Outbound, Reaction};

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
