//! GraphQL over WebSocket, in both subprotocols: `graphql-transport-ws`
//! (the graphql-ws library) and the legacy `graphql-ws`
//! (subscriptions-transport-ws).
//!
//! The connection task sends `connection_init` on open, holds operations
//! until `connection_ack`, wraps a GraphQL document typed in the composer
//! into `subscribe` (or legacy `start`) with the next id, and answers and
//! hides the keep-alives (`ping`, legacy `ka`).

use serde_json::{Value, json};

use super::{Outbound, Reaction};

/// The subprotocols offered, newest first.
pub const SUBPROTOCOLS: [&str; 2] = ["graphql-transport-ws", "graphql-ws"];

/// The client's side of one connection.
#[derive(Debug)]
pub struct Client {
    /// `graphql-transport-ws`; else the legacy protocol.
    modern: bool,
    init_payload: Value,
    acked: bool,
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
            next_id: 1,
            held: Vec::new(),
        }
    }

    /// What goes out as soon as the connection opens; an init payload
    /// (usually a token) is masked in the frames view and the log.
    pub fn on_open(&self) -> Vec<Outbound> {
        let secret = self.init_payload.as_object().is_some_and(|o| !o.is_empty());
        vec![Outbound {
            text: json!({ "type": "connection_init", "payload": self.init_payload }).to_string(),
            shown: secret
                .then(|| json!({ "type": "connection_init", "payload": crate::secrets::FILE_MASK }).to_string()),
        }]
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
        assert_eq!(
            modern.on_open(),
            vec![r#"{"type":"connection_init","payload":{"token":"t"}}"#]
        );
        assert_eq!(
            modern.on_open()[0].shown.as_deref(),
            Some(r#"{"type":"connection_init","payload":"[masked]"}"#)
        );
        assert_eq!(Client::new(None, None).on_open()[0].shown, None, "nothing to hide");
        assert_eq!(modern.gate("subscription { n }".into()), None);
        let ack = modern.on_text(r#"{"type":"connection_ack"}"#);
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
