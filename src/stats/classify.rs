//! A frame's message type, for the stats view's table and its filter:
//! the `--group-by` jq expression when there is one; else the protocol's
//! own name for the message (Socket.IO event, GraphQL operation, JSON-RPC
//! method, STOMP destination, MQTT topic); else the first of `.type`,
//! `.event`, `.op`, `.method`, `.action`, `.channel` that is a string;
//! else `text` or `binary`. Control frames are `ping`, `pong`, `close`.

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
            return Err("group by: a jq expression is needed, such as jq:.kind".into());
        }
        let jq = JqFilter::compile(expression).map_err(|e| format!("group by: {e}"))?;
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

    pub fn group_by(&self) -> Option<&Arc<GroupBy>> {
        self.group_by.as_ref()
    }

    /// The frame's type.
    pub fn type_of(&self, frame: &FrameRecord) -> String {
        let binary = match frame.kind {
            FrameKind::Ping => return "ping".into(),
            FrameKind::Pong => return "pong".into(),
            FrameKind::Close { .. } => return "close".into(),
            FrameKind::Binary => true,
            FrameKind::Text => false,
        };
        if let Some(group_by) = &self.group_by {
            return match group_by.jq.first_value(&frame.payload) {
                Some(value) => match serde_json::from_str::<serde_json::Value>(&value) {
                    Ok(serde_json::Value::String(text)) => text,
                    _ => value,
                },
                None => UNGROUPED.into(),
            };
        }
        let head = &frame.payload[..frame.payload.len().min(PROBE_BYTES)];
        if let Some(name) = self.protocol.message_type(head, binary) {
            return name;
        }
        match (binary, first_string_field(head, &TYPE_FIELDS)) {
            (_, Some(name)) => name,
            (true, None) => "binary".into(),
            (false, None) => "text".into(),
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
