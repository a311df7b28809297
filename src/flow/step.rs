//! The steps of a flow, compiled: patterns built, files read, durations
//! parsed. Nothing here touches the network.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

pub use super::schema::Schema;
use crate::decode::FrameDecoder;
use crate::filter::Pattern;
use crate::jq::JqFilter;
use crate::record::{FrameKind, FrameRecord};

/// One step, with where it was written.
#[derive(Debug)]
pub struct Step {
    /// The line it starts on, for reports (0 when it has no source).
    pub line: usize,
    /// What the report calls it: the step's `name`, else a summary.
    pub label: String,
    pub action: Action,
}

/// What a step does.
#[derive(Debug)]
pub enum Action {
    Send(Payload),
    Expect(Expect),
    ExpectNone(ExpectNone),
    Wait(Duration),
    /// A ping with this payload; the step waits for its pong.
    Ping {
        payload: Bytes,
        within: Duration,
    },
    Close {
        code: u16,
        reason: String,
    },
    Repeat {
        times: u32,
        steps: Arc<[Step]>,
    },
}

/// What a `send` step sends. Text and JSON strings have their
/// `{{variables}}` resolved when the step runs, not before.
#[derive(Debug, Clone)]
pub enum Payload {
    Text(String),
    Json(serde_json::Value),
    Binary(Bytes),
    /// Sent as it is: already resolved and encoded (`wscope test`'s
    /// messages).
    Raw(String),
}

/// What received frames an `expect` looks for.
#[derive(Debug)]
pub struct Expect {
    pub matcher: Matcher,
    /// How many matching frames it needs.
    pub count: u32,
    /// How long it waits for them.
    pub within: Duration,
    /// The most the first match may take after the flow's previous send.
    pub max_latency: Option<Duration>,
    /// `{{name}}` values taken from the last matching frame by jq.
    pub captures: Vec<Capture>,
}

/// A `{{name}}` value read from a frame.
#[derive(Debug)]
pub struct Capture {
    pub name: String,
    pub source: String,
    pub expr: JqFilter,
}

/// A watch over a stretch of time: no received frame may match.
#[derive(Debug)]
pub struct ExpectNone {
    pub matcher: Matcher,
    pub duration: Duration,
}

/// A test on received data frames: every part given must hold.
#[derive(Debug, Default)]
pub struct Matcher {
    /// Regexes and jq expressions, read as the inspector's filter reads
    /// them (decoded binary and protocol frames included).
    pub patterns: Vec<Pattern>,
    pub schema: Option<Schema>,
    /// Patterns that use `{{variables}}` (a value captured earlier), as
    /// written (`jq:` before a jq expression): compiled when the step
    /// starts, with the values of that moment.
    pub dynamic: Vec<String>,
    /// How the report describes it, e.g. `jq .op == "auth_ok"`.
    pub description: String,
    /// The parts as written, for exports to other tools.
    pub written: WrittenMatcher,
}

/// A matcher's parts as the flow file wrote them.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct WrittenMatcher {
    pub regex: Option<String>,
    pub jq: Option<String>,
    pub schema: bool,
}

impl Matcher {
    /// Whether `frame` is a received data frame meeting every part; the
    /// error says which part it missed, for the report.
    pub fn test(&self, frame: &FrameRecord, decoder: &FrameDecoder) -> Result<(), String> {
        self.test_with(frame, decoder, &[])
    }

    /// [`Matcher::test`] with the dynamic patterns compiled for this run.
    pub fn test_with(&self, frame: &FrameRecord, decoder: &FrameDecoder, dynamic: &[Pattern]) -> Result<(), String> {
        if !matches!(frame.kind, FrameKind::Text | FrameKind::Binary) {
            return Err("not a data frame".into());
        }
        for pattern in self.patterns.iter().chain(dynamic) {
            if !pattern.matches_frame(frame, decoder) {
                return Err(match pattern.failure() {
                    Some(failure) => format!("the jq expression was stopped: {failure}"),
                    None => "does not match".into(),
                });
            }
        }
        if let Some(schema) = &self.schema {
            let json = decoder.json(frame);
            let bytes = json.as_deref().unwrap_or(&frame.payload);
            let value: serde_json::Value =
                serde_json::from_slice(bytes).map_err(|_| "not JSON, so not valid against the schema".to_string())?;
            schema.check(&value).map_err(|error| format!("schema: {error}"))?;
        }
        Ok(())
    }

    /// Why matching stopped for good (a jq expression killed for taking
    /// too long), if it did.
    pub fn stopped(&self, dynamic: &[Pattern]) -> Option<String> {
        self.patterns.iter().chain(dynamic).find_map(Pattern::failure)
    }

    /// The dynamic patterns, with `{{variables}}` resolved now.
    pub fn compile_dynamic(&self, resolver: &crate::profile::vars::Resolver) -> Result<Vec<Pattern>, String> {
        self.dynamic
            .iter()
            .map(|source| {
                let text = resolver.resolve(source, "the expectation").map_err(|e| e.to_string())?;
                Pattern::compile(&text)
                    .map(|p| p.into_iter().collect::<Vec<_>>())
                    .map_err(|e| format!("{source}: {e}"))
            })
            .collect::<Result<Vec<Vec<_>>, String>>()
            .map(|all| all.into_iter().flatten().collect())
    }
}

impl Capture {
    /// The value the expression yields for the frame: a JSON string
    /// without its quotes, anything else as JSON text.
    pub fn read(&self, frame: &FrameRecord, decoder: &FrameDecoder) -> Option<String> {
        let json = decoder.json(frame);
        let text = self.expr.first_value(json.as_deref().unwrap_or(&frame.payload))?;
        Some(match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::String(s)) => s,
            _ => text,
        })
    }
}

pub use crate::format::parse_duration;

/// A short one-line summary of `text` for labels.
pub fn summary(text: &str, max: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

impl Payload {
    /// The text the step sends, with `{{variables}}` resolved.
    pub fn text(&self, resolver: &crate::profile::vars::Resolver) -> Result<Option<String>, String> {
        match self {
            Self::Text(text) => resolver.resolve(text, "the step").map(Some).map_err(|e| e.to_string()),
            Self::Json(value) => crate::profile::resolve::resolve_json(value.clone(), resolver, "the step")
                .map(|v| Some(v.to_string()))
                .map_err(|e| e.to_string()),
            Self::Raw(text) => Ok(Some(text.clone())),
            Self::Binary(_) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("200ms").unwrap(), Duration::from_millis(200));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("2 weeks").unwrap_err().contains("unit"));
        assert!(parse_duration("1000h").unwrap_err().contains("week"));
    }

    #[test]
    fn summaries_are_one_short_line() {
        assert_eq!(summary("a\n  b", 10), "a b");
        assert_eq!(summary("abcdefghijkl", 5), "abcd…");
    }

    #[test]
    fn schema_failures_say_where() {
        let schema = Schema::inline(
            std::path::Path::new("."),
            serde_json::json!({
                "type": "object", "required": ["op"], "properties": {"op": {"type": "string"}}
            }),
        )
        .unwrap();
        let matcher = Matcher {
            schema: Some(schema),
            ..Matcher::default()
        };
        let decoder = FrameDecoder::default();
        let ok = FrameRecord::received(FrameKind::Text, br#"{"op":"x"}"#);
        assert!(matcher.test(&ok, &decoder).is_ok());
        let wrong = FrameRecord::received(FrameKind::Text, br#"{"op":5}"#);
        let error = matcher.test(&wrong, &decoder).unwrap_err();
        assert!(error.contains("/op"), "{error}");
        let missing = FrameRecord::received(FrameKind::Text, br#"{}"#);
        assert!(matcher.test(&missing, &decoder).unwrap_err().contains("op"));
        let text = FrameRecord::received(FrameKind::Text, b"hello");
        assert!(matcher.test(&text, &decoder).unwrap_err().contains("not JSON"));
    }
}
