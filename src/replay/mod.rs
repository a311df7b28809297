//! Replaying recordings: the server's side to clients (`serve --replay`)
//! and the client's side to a live server (`replay`). This module holds
//! what both read off a recording; the servers and clients are beside it.
//!
//! May import: `filter`, `flow`, `jq`, `protocol`, `record`, `recording`,
//! `sanitize`.

pub mod serve;

use std::time::Duration;

use bytes::Bytes;

use crate::jq::JqFilter;
use crate::record::{Direction, FrameKind, FrameRecord};
use crate::recording::Recording;

/// A recorded data frame to send again, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    /// Since the frame before it in the recording, either way.
    pub delay: Duration,
    /// Since the recording's first frame.
    pub offset: Duration,
    pub kind: FrameKind,
    pub payload: Bytes,
}

/// A message the client sent, and what the server answered until the
/// client's next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub awaited: Cue,
    pub answers: Vec<Cue>,
}

/// A recording cut at each message the client sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Script {
    /// What the server sent before the client said anything.
    pub greeting: Vec<Cue>,
    pub turns: Vec<Turn>,
    /// The server's close frame, if it closed.
    pub close: Option<(u16, String)>,
}

impl Script {
    /// Cuts `recording` at each data frame the client sent. Control frames
    /// are left out: the replaying side answers pings itself.
    pub fn of(recording: &Recording) -> Self {
        let mut script = Script::default();
        let Some(start) = recording.frames.iter().map(|f| f.at).min() else {
            return script;
        };
        let mut previous = start;
        // A close the server only answered is the client's doing, not
        // something to replay.
        let mut client_closed = false;
        for frame in &recording.frames {
            let cue = |frame: &FrameRecord| Cue {
                delay: frame.at.duration_since(previous).unwrap_or_default(),
                offset: frame.at.duration_since(start).unwrap_or_default(),
                kind: frame.kind,
                payload: frame.payload.clone(),
            };
            match (frame.direction, frame.kind) {
                (Direction::Sent, FrameKind::Text | FrameKind::Binary) => {
                    script.turns.push(Turn {
                        awaited: cue(frame),
                        answers: Vec::new(),
                    });
                }
                (Direction::Received, FrameKind::Text | FrameKind::Binary) => {
                    let cue = cue(frame);
                    match script.turns.last_mut() {
                        Some(turn) => turn.answers.push(cue),
                        None => script.greeting.push(cue),
                    }
                }
                (Direction::Sent, FrameKind::Close { .. }) => client_closed = true,
                (Direction::Received, FrameKind::Close { code }) if !client_closed => {
                    let reason = String::from_utf8_lossy(&frame.payload).into_owned();
                    script.close = Some((code.unwrap_or(1000), reason));
                }
                _ => continue,
            }
            previous = frame.at;
        }
        script
    }

    /// How many frames the server sends.
    pub fn server_frames(&self) -> usize {
        self.greeting.len() + self.turns.iter().map(|t| t.answers.len()).sum::<usize>()
    }
}

/// How the recorded gaps between frames are kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timing {
    Original,
    /// No waiting at all.
    Fast,
    /// The gaps divided by this: `x2` plays twice as fast.
    Scaled(f64),
}

impl Timing {
    /// Reads `original`, `fast` or `xN` (e.g. `x2`, `x0.5`).
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "original" => Ok(Self::Original),
            "fast" => Ok(Self::Fast),
            other => {
                let factor: f64 = other
                    .strip_prefix('x')
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| format!("{other:?}: use original, fast or xN (e.g. x2)"))?;
                if factor.is_finite() && (0.001..=1000.0).contains(&factor) {
                    Ok(Self::Scaled(factor))
                } else {
                    Err(format!("{other:?}: the factor goes from x0.001 to x1000"))
                }
            }
        }
    }

    /// The wait for a recorded gap.
    pub fn gap(self, recorded: Duration) -> Duration {
        match self {
            Self::Original => recorded,
            Self::Fast => Duration::ZERO,
            Self::Scaled(factor) => recorded.div_f64(factor),
        }
    }
}

/// What counts as the message a replay waits for.
#[derive(Debug)]
pub enum MatchRule {
    /// The same bytes, but for a trailing newline (line-based clients
    /// such as websocat send one); a broker's session opening (MQTT or
    /// STOMP CONNECT) matches any other of its protocol, as its client id,
    /// host and login are the client's own.
    Exact,
    /// Any data message.
    Any,
    /// The same value of a jq expression over both (e.g. `.op`, or
    /// `del(.id, .ts)` to leave volatile fields out); payloads that are not
    /// JSON must be equal.
    Jq(JqFilter),
}

impl MatchRule {
    /// Reads `exact`, `any` or `jq:EXPR`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "exact" => Ok(Self::Exact),
            "any" => Ok(Self::Any),
            other => match other.strip_prefix(crate::filter::JQ_PREFIX) {
                Some(expr) => JqFilter::compile(expr.trim())
                    .map(Self::Jq)
                    .map_err(|e| format!("jq: {e}")),
                None => Err(format!("{other:?}: use exact, any or jq:EXPR")),
            },
        }
    }

    /// What the rule compares of a payload: two payloads match exactly
    /// when their keys are equal (for comparing many at once).
    pub fn key(&self, payload: &[u8]) -> Vec<u8> {
        match self {
            Self::Exact => exact_key(payload),
            Self::Any => Vec::new(),
            // The value when the payload is JSON, else the payload itself;
            // the first byte keeps the two kinds apart.
            Self::Jq(jq) => match jq.first_value(payload) {
                Some(value) => [b"v".as_slice(), value.as_bytes()].concat(),
                None => [b"r".as_slice(), &exact_key(payload)].concat(),
            },
        }
    }

    /// Whether `got` counts as `expected`.
    pub fn matches(&self, expected: &[u8], got: &[u8]) -> bool {
        match self {
            Self::Exact => same_bytes(expected, got),
            Self::Any => true,
            Self::Jq(jq) => match (jq.first_value(expected), jq.first_value(got)) {
                (Some(a), Some(b)) => a == b,
                _ => same_bytes(expected, got),
            },
        }
    }
}

/// Equal but for a trailing newline, or the same protocol's session
/// opening.
fn same_bytes(expected: &[u8], got: &[u8]) -> bool {
    exact_key(expected) == exact_key(got)
}

/// What [`MatchRule::Exact`] compares: the payload without its trailing
/// newline, or for a session opening its protocol, behind a byte no text
/// begins with.
fn exact_key(payload: &[u8]) -> Vec<u8> {
    match crate::protocol::session_opening(payload) {
        Some(opening) => [b"\xff".as_slice(), opening.as_bytes()].concat(),
        None => trim_newline(payload).to_vec(),
    }
}

fn trim_newline(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

/// A payload in one line for logs: its text, or its length and first bytes.
pub fn preview(kind: FrameKind, payload: &[u8]) -> String {
    let frame = FrameRecord {
        at: std::time::UNIX_EPOCH,
        direction: Direction::Received,
        kind,
        payload: Bytes::copy_from_slice(payload),
    };
    crate::sanitize::one_line_owned(crate::flow::report::frame_preview(&frame, 100))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn frame(ms: u64, direction: Direction, text: &str) -> FrameRecord {
        FrameRecord {
            at: UNIX_EPOCH + Duration::from_millis(1_000_000 + ms),
            direction,
            kind: FrameKind::Text,
            payload: Bytes::copy_from_slice(text.as_bytes()),
        }
    }

    #[test]
    fn a_recording_is_cut_at_each_client_message() {
        let recording = Recording {
            source: "x".into(),
            url: String::new(),
            headers: Vec::new(),
            subprotocol: None,
            status: None,
            rejection_body: None,
            frames: vec![
                frame(0, Direction::Received, "hello"),
                frame(100, Direction::Sent, "sub"),
                frame(130, Direction::Received, "ok"),
                frame(330, Direction::Received, "tick"),
                frame(400, Direction::Sent, "bye"),
                FrameRecord {
                    kind: FrameKind::Close { code: Some(4000) },
                    ..frame(410, Direction::Received, "done")
                },
            ],
        };
        let script = Script::of(&recording);
        assert_eq!(script.greeting.len(), 1);
        assert_eq!(script.turns.len(), 2);
        assert_eq!(script.turns[0].awaited.payload.as_ref(), b"sub");
        let answers: Vec<(&[u8], Duration)> = script.turns[0]
            .answers
            .iter()
            .map(|c| (c.payload.as_ref(), c.delay))
            .collect();
        assert_eq!(
            answers,
            [
                (&b"ok"[..], Duration::from_millis(30)),
                (&b"tick"[..], Duration::from_millis(200))
            ]
        );
        assert!(script.turns[1].answers.is_empty());
        assert_eq!(script.close, Some((4000, "done".into())));
        assert_eq!(script.server_frames(), 3);
    }

    #[test]
    fn timing_and_match_rules_parse() {
        assert_eq!(
            Timing::parse("x2").unwrap().gap(Duration::from_millis(200)),
            Duration::from_millis(100)
        );
        assert_eq!(
            Timing::parse("fast").unwrap().gap(Duration::from_secs(5)),
            Duration::ZERO
        );
        assert!(Timing::parse("x0").is_err());
        assert!(Timing::parse("slow").is_err());
        let rule = MatchRule::parse("jq:del(.id)").unwrap();
        assert!(rule.matches(br#"{"op":"sub","id":1}"#, br#"{"id":2,"op":"sub"}"#));
        assert!(!rule.matches(br#"{"op":"sub","id":1}"#, br#"{"op":"unsub","id":1}"#));
        assert!(MatchRule::parse("exact").unwrap().matches(b"a", b"a"));
        assert!(!MatchRule::parse("exact").unwrap().matches(b"a", b"b"));
        assert!(MatchRule::parse("exact").unwrap().matches(b"a", b"a\n"));
        assert!(MatchRule::parse("any").unwrap().matches(b"a", b"b"));
        // Two clients' MQTT CONNECTs differ in their random client ids.
        let exact = MatchRule::parse("exact").unwrap();
        let connect = |id: &[u8]| [b"\x10\x18\x00\x04MQTT\x04\x02\x00\x1e\x00\x0c".as_slice(), id].concat();
        assert!(exact.matches(&connect(b"wscope-aaaaa"), &connect(b"other-client")));
        assert_eq!(
            exact.key(&connect(b"wscope-aaaaa")),
            exact.key(&connect(b"other-client"))
        );
        assert!(!exact.matches(&connect(b"wscope-aaaaa"), b"CONNECT\nhost:x\n\n\0"));
        assert!(
            MatchRule::parse("jq:.op")
                .unwrap()
                .matches(b"CONNECT\nhost:a\n\n\0", b"CONNECT\nhost:b\n\n\0")
        );
        assert!(MatchRule::parse("regex").is_err());
    }
}
