//! A frame's message type, for the stats view's table and its filter:
//! the `--group-by` jq expression when there is one; else the protocol's
//! own name for the message (Socket.IO event, GraphQL operation, JSON-RPC
//! method, STOMP destination, MQTT topic); else the first of `.type`,
//! `.event`, `.op`, `.method`, `.action`, `.channel` that is a string;
//! else `text` or `binary`. Control frames are `ping`, `pong`, `close`.

use std::borrow::Cow;
use std::sync::Arc;

use crate::jq::JqFilter;
use crate::json_peek::first_string_field;
use crate::protocol::Protocol;
use crate::record::{FrameKind, FrameRecord};

/// The fields read for a type, first found first.
pub const TYPE_FIELDS: [&str; 6] = ["type", "event", "op", "method", "action", "channel"];
/// Bytes of a payload read for its type: a type sits near the start, and
/// reading no further keeps a huge frame as cheap as a small one.
const PROBE_BYTES: usize = 4096;
/// The type of a frame the grouping expression says nothing about.
pub const UNGROUPED: &str = "(none)";

/// How frames are given types.
#[derive(Debug, Clone, Default)]
pub struct Classifier {
    protocol: Protocol,
    group_by: Option<Arc<GroupBy>>,
}

/// `--group-by 'jq:EXPR'`, compiled.
#[derive(Debug)]
pub struct GroupBy {
    pub text: String,
    jq: JqFilter,
}

impl GroupBy {
    /// `jq:EXPR` (the prefix may be left out).
    pub fn compile(text: &str) -> Result<Self, String> {
        let expression = text.trim();
        let expression = expression.strip_prefix("jq:").unwrap_or(expression).trim();
        if expression.is_empty() {
            return Err("a jq expression is needed, such as jq:.kind".into());
        }
        let jq = JqFilter::compile(expression)?;
        Ok(Self {
            text: format!("jq:{expression}"),
            jq,
        })
    }
}

impl Classifier {
    pub fn new(protocol: Protocol, group_by: Option<Arc<GroupBy>>) -> Self {
        Self { protocol, group_by }
    }

    /// The protocol whose names it reads.
    pub fn protocol(&self) -> &Protocol {
        &self.protocol
    }

    pub fn group_by(&self) -> Option<&Arc<GroupBy>> {
        self.group_by.as_ref()
    }

    /// The frame's type.
    pub fn type_of<'a>(&self, frame: &'a FrameRecord) -> Cow<'a, str> {
        let binary = match frame.kind {
            FrameKind::Ping => return Cow::Borrowed("ping"),
            FrameKind::Pong => return Cow::Borrowed("pong"),
            FrameKind::Close { .. } => return Cow::Borrowed("close"),
            FrameKind::Binary => true,
            FrameKind::Text => false,
        };
        if let Some(group_by) = &self.group_by {
            return match group_by.jq.first_value(&frame.payload) {
                Some(value) => match serde_json::from_str::<serde_json::Value>(&value) {
                    Ok(serde_json::Value::String(text)) => Cow::Owned(text),
                    _ => Cow::Owned(value),
                },
                None => Cow::Borrowed(UNGROUPED),
            };
        }
        let head = &frame.payload[..frame.payload.len().min(PROBE_BYTES)];
        if let Some(name) = self.protocol.message_type(head, binary) {
            return Cow::Owned(name);
        }
        match (binary, first_string_field(head, &TYPE_FIELDS)) {
            (_, Some(name)) => name,
            (true, None) => Cow::Borrowed("binary"),
            (false, None) => Cow::Borrowed("text"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Direction;

    fn text(payload: &str) -> FrameRecord {
        FrameRecord::text(Direction::Received, payload)
    }

    #[test]
    fn raw_frames_fall_back_to_text_binary_and_the_control_names() {
        let classifier = Classifier::default();
        assert_eq!(classifier.type_of(&text(r#"{"type":"tick"}"#)), "tick");
        assert_eq!(classifier.type_of(&text("hello")), "text");
        assert_eq!(
            classifier.type_of(&FrameRecord::received(FrameKind::Binary, &[1, 2])),
            "binary"
        );
        assert_eq!(classifier.type_of(&FrameRecord::received(FrameKind::Ping, b"")), "ping");
        assert_eq!(
            classifier.type_of(&FrameRecord::received(FrameKind::Close { code: Some(1000) }, b"")),
            "close"
        );
    }

    #[test]
    fn a_type_far_into_a_huge_frame_is_not_looked_for() {
        let payload = format!(r#"{{"data":"{}","type":"late"}}"#, "x".repeat(10_000));
        assert_eq!(Classifier::default().type_of(&text(&payload)), "text");
        let early = format!(r#"{{"type":"early","data":"{}"}}"#, "x".repeat(10_000_000));
        assert_eq!(Classifier::default().type_of(&text(&early)), "early");
    }

    #[test]
    fn the_group_by_expression_names_the_type_when_given() {
        let group_by = Arc::new(GroupBy::compile("jq: .kind").unwrap());
        let classifier = Classifier::new(Protocol::default(), Some(group_by));
        assert_eq!(classifier.type_of(&text(r#"{"kind":"a","type":"t"}"#)), "a");
        assert_eq!(classifier.type_of(&text(r#"{"kind":3}"#)), "3");
        assert_eq!(classifier.type_of(&text(r#"{"type":"t"}"#)), UNGROUPED);
        assert!(GroupBy::compile("jq:").is_err());
        assert!(GroupBy::compile(".[").is_err());
    }
}

#[cfg(test)]
mod protocol_tests {
    use super::*;
    use crate::protocol::ProtocolKind;
    use crate::record::Direction;

    fn speaking(name: &str) -> Classifier {
        let kind = ProtocolKind::named(name).expect("a registered protocol");
        Classifier::new(
            Protocol {
                kind,
                ..Protocol::default()
            },
            None,
        )
    }

    fn text(payload: &str) -> FrameRecord {
        FrameRecord::text(Direction::Received, payload)
    }

    #[test]
    fn each_protocol_names_its_messages() {
        let socketio = speaking("socketio");
        assert_eq!(socketio.type_of(&text(r#"42["chat",{"text":"hi"}]"#)), "chat");
        assert_eq!(socketio.type_of(&text(r#"42/admin,7["kick"]"#)), "kick");
        assert_eq!(socketio.type_of(&text(r#"437[{"ok":true}]"#)), "ack");
        assert_eq!(socketio.type_of(&text("2")), "ping");

        let graphql = speaking("graphql");
        let subscribe = r#"{"id":"1","type":"subscribe","payload":{"query":"subscription OnTick { tick }"}}"#;
        assert_eq!(graphql.type_of(&text(subscribe)), "OnTick");
        let named = r#"{"id":"2","type":"subscribe","payload":{"operationName":"Prices","query":"{ p }"}}"#;
        assert_eq!(graphql.type_of(&text(named)), "Prices");
        assert_eq!(
            graphql.type_of(&text(r#"{"id":"1","type":"next","payload":{}}"#)),
            "next"
        );

        let jsonrpc = speaking("jsonrpc");
        assert_eq!(
            jsonrpc.type_of(&text(r#"{"jsonrpc":"2.0","id":1,"method":"eth_call"}"#)),
            "eth_call"
        );
        assert_eq!(
            jsonrpc.type_of(&text(r#"{"jsonrpc":"2.0","id":1,"result":"0x1"}"#)),
            "result"
        );
        assert_eq!(
            jsonrpc.type_of(&text(r#"{"jsonrpc":"2.0","id":1,"error":{"code":-1}}"#)),
            "error"
        );

        let stomp = speaking("stomp");
        assert_eq!(
            stomp.type_of(&text("MESSAGE\ndestination:/queue/a\n\n{}\0")),
            "/queue/a"
        );
        assert_eq!(stomp.type_of(&text("RECEIPT\nreceipt-id:3\n\n\0")), "RECEIPT");
        assert_eq!(stomp.type_of(&text("\n")), "heart-beat");

        let mqtt = speaking("mqtt");
        let publish = [&[0x30, 8, 0, 3][..], b"t/1", b"hi!"].concat();
        let binary = |bytes: &[u8]| FrameRecord::received(FrameKind::Binary, bytes);
        assert_eq!(mqtt.type_of(&binary(&publish)), "t/1");
        assert_eq!(mqtt.type_of(&binary(&[0xC0, 0])), "PINGREQ");
        assert_eq!(mqtt.type_of(&binary(&[0x30])), "binary");
    }

    #[test]
    fn a_huge_mqtt_publish_is_named_from_its_head() {
        // Remaining length 2^21 + 5 in four bytes, then the topic.
        let mut packet = vec![0x30, 0x85, 0x80, 0x80, 0x01, 0, 1, b'x'];
        packet.resize(2 << 20, b'.');
        assert_eq!(
            speaking("mqtt").type_of(&FrameRecord::received(FrameKind::Binary, &packet)),
            "x"
        );
    }
}
