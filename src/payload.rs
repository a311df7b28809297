//! Formats one frame's payload in full, for the detail view: JSON
//! pretty-printed, text as text, binary as a hex dump, base64 or lossy UTF-8,
//! close frames with their code's meaning.
//!
//! May import: `body`, `decode`, `protocol`, `record`, `sanitize`.

use base64::Engine as _;

use bytes::Bytes;

use crate::body::{Body, hex_row};
use crate::decode::{Outcome, PayloadDecoder};
use crate::record::{FrameKind, FrameRecord};
use crate::sanitize;

/// How binary payloads are shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BinaryView {
    /// As the payload decoder reads it (MessagePack as JSON, …); hex when
    /// it reads nothing.
    #[default]
    Decoded,
    Hex,
    Base64,
    /// Lossy UTF-8: invalid bytes show as U+FFFD.
    Utf8,
}

impl BinaryView {
    /// The next view in the cycle.
    pub fn next(self) -> Self {
        match self {
            Self::Decoded => Self::Hex,
            Self::Hex => Self::Base64,
            Self::Base64 => Self::Utf8,
            Self::Utf8 => Self::Decoded,
        }
    }

    /// Its name, for the detail view's title.
    pub fn name(self) -> &'static str {
        match self {
            Self::Decoded => "decoded",
            Self::Hex => "hex",
            Self::Base64 => "base64",
            Self::Utf8 => "UTF-8 (lossy)",
        }
    }
}

/// What kind of body [`body`] produced, for colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Json,
    Text,
    Hex,
    Base64,
    Utf8,
    Close,
}

/// Payloads up to this size are formatted in full when opened (exactly
/// as serde_json prints them); larger ones line by line, as shown.
pub const EAGER_MAX: usize = 256 << 10;

/// A payload ready for the detail view.
#[derive(Debug, Clone)]
pub struct DetailBody {
    pub kind: BodyKind,
    pub body: Body,
    /// The view actually shown (a payload that decodes to nothing shows hex).
    pub view: BinaryView,
    /// A line above the body: how it was decoded, or why it was not (and
    /// whether that is an error).
    pub heading: Option<(bool, String)>,
}

/// A protocol's packet (an MQTT packet read as JSON) for display, in
/// place of the payload decoder's reading.
pub fn packet_body(json: &[u8], protocol: &str) -> Option<DetailBody> {
    let value: serde_json::Value = serde_json::from_slice(json).ok()?;
    let (kind, body) = json_value_body(&value);
    Some(DetailBody {
        kind,
        body,
        view: BinaryView::Decoded,
        heading: Some((false, format!("{protocol} packet (b: hex, base64, UTF-8)"))),
    })
}

/// The payload as lines for display, in `view` for binary payloads.
pub fn body(record: &FrameRecord, view: BinaryView, decoder: &PayloadDecoder) -> DetailBody {
    let payload = &record.payload;
    let plain = |kind, body| DetailBody {
        kind,
        body,
        view,
        heading: None,
    };
    match record.kind {
        FrameKind::Text => {
            let (kind, body) = text_body(payload.clone());
            plain(kind, body)
        }
        FrameKind::Close { .. } => plain(BodyKind::Close, Body::Lines(body_lines(record, BinaryView::Hex).1)),
        FrameKind::Binary if view == BinaryView::Decoded => match decoder.decode(record.direction, payload) {
            Outcome::Decoded(decoded) => {
                let (kind, body) = match decoded.value {
                    serde_json::Value::String(text) => text_body(Bytes::from(text)),
                    value => json_value_body(&value),
                };
                DetailBody {
                    kind,
                    body,
                    view,
                    heading: Some((false, format!("decoded: {} (b: hex, base64, UTF-8)", decoded.chain))),
                }
            }
            Outcome::Failed { chain, error } => DetailBody {
                kind: BodyKind::Hex,
                body: Body::Hex(payload.clone()),
                view,
                heading: Some((true, sanitize::one_line(&format!("✗ {chain}: {error}")).into_owned())),
            },
            Outcome::Raw => DetailBody {
                view: BinaryView::Hex,
                ..plain(BodyKind::Hex, Body::Hex(payload.clone()))
            },
        },
        FrameKind::Binary | FrameKind::Ping | FrameKind::Pong => match view {
            BinaryView::Decoded | BinaryView::Hex => DetailBody {
                view: BinaryView::Hex,
                ..plain(BodyKind::Hex, Body::Hex(payload.clone()))
            },
            BinaryView::Base64 => plain(BodyKind::Base64, Body::Base64(payload.clone())),
            BinaryView::Utf8 => plain(BodyKind::Utf8, Body::text(payload.clone())),
        },
    }
}

/// Text as pretty JSON when it is JSON, else as lines.
fn text_body(payload: Bytes) -> (BodyKind, Body) {
    if payload.len() <= EAGER_MAX {
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&payload)
            && let Ok(pretty) = serde_json::to_string_pretty(&value)
        {
            return (BodyKind::Json, Body::Lines(shown_lines(&pretty)));
        }
        return (
            BodyKind::Text,
            Body::Lines(shown_lines(&String::from_utf8_lossy(&payload))),
        );
    }
    // Too large to check whole before showing: what starts like JSON is
    // walked as JSON (malformed parts show a token at a time).
    match payload.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{' | b'[') => (BodyKind::Json, Body::json(payload)),
        _ => (BodyKind::Text, Body::text(payload)),
    }
}

fn json_value_body(value: &serde_json::Value) -> (BodyKind, Body) {
    let compact = serde_json::to_vec(value).unwrap_or_default();
    if compact.len() <= EAGER_MAX {
        let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
        return (BodyKind::Json, Body::Lines(shown_lines(&pretty)));
    }
    (BodyKind::Json, Body::json(Bytes::from(compact)))
}

/// The payload as lines for display, formatted in full.
pub fn body_lines(record: &FrameRecord, view: BinaryView) -> (BodyKind, Vec<String>) {
    let payload = &record.payload;
    match record.kind {
        FrameKind::Text => {
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(payload)
                && let Ok(pretty) = serde_json::to_string_pretty(&value)
            {
                return (BodyKind::Json, shown_lines(&pretty));
            }
            (BodyKind::Text, shown_lines(&String::from_utf8_lossy(payload)))
        }
        FrameKind::Close { code } => {
            let mut lines = vec![match code {
                Some(code) => format!("code    {code} ({})", crate::protocol::close_code_meaning(code)),
                None => "code    (none)".to_string(),
            }];
            lines.push(format!(
                "reason  {}",
                sanitize::one_line(&String::from_utf8_lossy(payload))
            ));
            (BodyKind::Close, lines)
        }
        FrameKind::Binary | FrameKind::Ping | FrameKind::Pong => match view {
            BinaryView::Decoded | BinaryView::Hex => (BodyKind::Hex, hex_dump(payload)),
            BinaryView::Base64 => {
                let encoded = base64::engine::general_purpose::STANDARD.encode(payload);
                let lines = encoded
                    .as_bytes()
                    .chunks(76)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect();
                (BodyKind::Base64, lines)
            }
            BinaryView::Utf8 => (BodyKind::Utf8, shown_lines(&String::from_utf8_lossy(payload))),
        },
    }
}

/// Splits text into lines with every control character shown as its
/// picture (see [`sanitize`]): `AAAA\rBBBB` reads `AAAA␍BBBB` here as in
/// the frames list, instead of the terminal or ratatui swallowing the `\r`.
/// Only a line feed ends a line.
fn shown_lines(text: &str) -> Vec<String> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    text.split('\n')
        .map(|line| sanitize::one_line(line).into_owned())
        .collect()
}

/// `offset  16 hex bytes  |ascii|` lines, like `hexdump -C`.
pub fn hex_dump(bytes: &[u8]) -> Vec<String> {
    bytes
        .chunks(16)
        .enumerate()
        .map(|(row, chunk)| hex_row(row * 16, chunk))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_pretty_and_keeps_key_order() {
        let (kind, lines) = body_lines(
            &FrameRecord::received(FrameKind::Text, br#"{"z":1,"a":[true]}"#),
            BinaryView::Hex,
        );
        assert_eq!(kind, BodyKind::Json);
        assert_eq!(lines, vec!["{", "  \"z\": 1,", "  \"a\": [", "    true", "  ]", "}"]);
    }

    #[test]
    fn binary_views() {
        let bytes = b"Hello, \x00\xff world!!";
        assert_eq!(
            hex_dump(bytes),
            vec![
                "00000000  48 65 6c 6c 6f 2c 20 00  ff 20 77 6f 72 6c 64 21  |Hello, .. world!|",
                "00000010  21                                                |!|",
            ]
        );
        let (_, b64) = body_lines(&FrameRecord::received(FrameKind::Binary, bytes), BinaryView::Base64);
        assert_eq!(b64, vec!["SGVsbG8sIAD/IHdvcmxkISE="]);
        let (_, utf8) = body_lines(&FrameRecord::received(FrameKind::Binary, bytes), BinaryView::Utf8);
        assert_eq!(utf8, vec!["Hello, ␀\u{fffd} world!!"]);
    }

    #[test]
    fn every_view_shows_the_same_pictures() {
        let frame = FrameRecord::received(FrameKind::Text, b"AAAA\rBBBB\x1b]0;t\x07\nC\xc2\x9b");
        let (_, lines) = body_lines(&frame, BinaryView::Hex);
        assert_eq!(lines, vec!["AAAA␍BBBB␛]0;t␇", "C\u{fffd}"]);
        let json = FrameRecord::received(FrameKind::Text, "{\"a\":\"\u{9b}\u{202e}\"}".as_bytes());
        let (kind, lines) = body_lines(&json, BinaryView::Hex);
        assert_eq!(kind, BodyKind::Json);
        assert_eq!(lines[1], "  \"a\": \"\u{fffd}\u{fffd}\"");
        let close = FrameRecord::received(FrameKind::Close { code: Some(1000) }, b"bye\x1b[2J");
        assert_eq!(body_lines(&close, BinaryView::Hex).1[1], "reason  bye␛[2J");
    }

    #[test]
    fn close_frames_name_their_code() {
        let (_, lines) = body_lines(
            &FrameRecord::received(FrameKind::Close { code: Some(1008) }, b"no"),
            BinaryView::Hex,
        );
        assert_eq!(lines, vec!["code    1008 (policy violation)", "reason  no"]);
    }
}
