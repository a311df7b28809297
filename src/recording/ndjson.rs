//! wscope's NDJSON: one frame or connection event per line, as `--log`
//! and exports write them.

use base64::Engine as _;
use bytes::Bytes;
use serde::Deserialize;

use super::{Recording, RecordingError};
use crate::record::{Direction, FrameKind, FrameRecord};

#[derive(Deserialize)]
struct Line {
    time: Option<String>,
    direction: Option<String>,
    opcode: Option<String>,
    code: Option<Option<u16>>,
    text: Option<String>,
    base64: Option<String>,
    event: Option<String>,
    detail: Option<String>,
    status: Option<u16>,
    body: Option<String>,
    #[serde(default)]
    headers: Vec<super::har::NameValue>,
    /// The captured connection a proxy's log line belongs to.
    conn: Option<u64>,
}

/// Reads the connections of an NDJSON file: one, or for a proxy's log
/// each connection id's, in the order they first appear.
pub(super) fn parse(text: &str, source: &str) -> Result<Vec<Recording>, RecordingError> {
    let empty = || Recording {
        source: source.into(),
        url: String::new(),
        headers: Vec::new(),
        subprotocol: None,
        status: None,
        rejection_body: None,
        frames: Vec::new(),
    };
    let mut recordings: Vec<(Option<u64>, Recording)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let format = |message: String| RecordingError::Format {
            path: source.into(),
            line: index + 1,
            message,
        };
        let line: Line = serde_json::from_str(raw).map_err(|e| format(format!("not a wscope record: {e}")))?;
        let place = match recordings.iter().position(|(conn, _)| *conn == line.conn) {
            Some(place) => place,
            None => {
                recordings.push((line.conn, empty()));
                recordings.len() - 1
            }
        };
        let recording = &mut recordings[place].1;
        match line.event.as_deref() {
            Some("connecting") if recording.url.is_empty() => recording.url = line.detail.unwrap_or_default(),
            Some("handshake") => {
                recording.status = recording.status.or(line.status);
                if recording.subprotocol.is_none() {
                    recording.subprotocol = line
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case("sec-websocket-protocol"))
                        .map(|h| h.value.clone());
                }
            }
            Some("failed") if line.status.is_some() && recording.status.is_none() => {
                recording.status = line.status;
                recording.rejection_body = line.body;
            }
            Some(_) => {}
            None => {
                let at = line
                    .time
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(std::time::SystemTime::from)
                    .ok_or_else(|| format("a frame record needs an RFC 3339 time".into()))?;
                let direction = match line.direction.as_deref() {
                    Some("sent") => Direction::Sent,
                    Some("received") => Direction::Received,
                    other => return Err(format(format!("direction {other:?} is neither sent nor received"))),
                };
                let kind = match line.opcode.as_deref() {
                    Some("text") => FrameKind::Text,
                    Some("binary") => FrameKind::Binary,
                    Some("ping") => FrameKind::Ping,
                    Some("pong") => FrameKind::Pong,
                    Some("close") => FrameKind::Close {
                        code: line.code.flatten(),
                    },
                    other => return Err(format(format!("unknown opcode {other:?}"))),
                };
                let payload = match (line.text, line.base64) {
                    (Some(text), _) => Bytes::from(text),
                    (None, Some(b64)) => Bytes::from(
                        base64::engine::general_purpose::STANDARD
                            .decode(b64)
                            .map_err(|e| format(format!("base64: {e}")))?,
                    ),
                    (None, None) => Bytes::new(),
                };
                recording.frames.push(FrameRecord {
                    at,
                    direction,
                    kind,
                    payload,
                });
            }
        }
    }
    if recordings.is_empty() {
        recordings.push((None, empty()));
    }
    Ok(recordings.into_iter().map(|(_, recording)| recording).collect())
}
