//! HAR files with WebSocket messages: `_webSocketMessages` as Chrome
//! DevTools writes them (and Firefox, and wscope's exports).

use base64::Engine as _;
use bytes::Bytes;
use serde::Deserialize;

use super::{Recording, RecordingError};
use crate::record::{Direction, FrameKind, FrameRecord, KvRow};

#[derive(Deserialize, Debug, Clone)]
pub(super) struct NameValue {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Deserialize)]
struct Har {
    log: Log,
}

#[derive(Deserialize)]
struct Log {
    #[serde(default)]
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    request: Request,
    response: Option<Response>,
    #[serde(rename = "_resourceType")]
    resource_type: Option<String>,
    #[serde(rename = "_webSocketMessages")]
    messages: Option<Vec<Message>>,
}

#[derive(Deserialize)]
struct Request {
    url: String,
    #[serde(default)]
    headers: Vec<NameValue>,
}

#[derive(Deserialize)]
struct Response {
    status: Option<i64>,
    #[serde(default)]
    headers: Vec<NameValue>,
    content: Option<Content>,
}

#[derive(Deserialize)]
struct Content {
    text: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(rename = "type")]
    kind: String,
    time: f64,
    opcode: i64,
    #[serde(default)]
    data: String,
}

/// Times past this are milliseconds since the epoch, not seconds (year
/// 5138 in seconds).
const MILLISECONDS_FROM: f64 = 1e11;

/// A WebSocket entry's URL with a WebSocket scheme: some tools record the
/// upgrade as the `http://` or `https://` request it was.
fn websocket_url(url: String) -> String {
    if let Some(rest) = url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if let Some(rest) = url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else {
        url
    }
}

pub(super) fn parse(text: &str, source: &str) -> Result<Vec<Recording>, RecordingError> {
    let har: Har = serde_json::from_str(text).map_err(|e| RecordingError::Format {
        path: source.into(),
        line: e.line(),
        message: format!("not a HAR file: {e}"),
    })?;
    let mut recordings = Vec::new();
    for entry in har.log.entries {
        let is_websocket = entry.messages.is_some()
            || entry.resource_type.as_deref() == Some("websocket")
            || entry.request.url.starts_with("ws");
        if !is_websocket {
            continue;
        }
        let frames = entry
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| frame_of(m).transpose())
            .collect::<Result<Vec<_>, String>>()
            .map_err(|message| RecordingError::Format {
                path: source.into(),
                line: 0,
                message,
            })?;
        let response = entry.response;
        let status = response
            .as_ref()
            .and_then(|r| r.status)
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| *s != 0);
        let subprotocol = response.as_ref().and_then(|r| {
            r.headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("sec-websocket-protocol"))
                .map(|h| h.value.clone())
        });
        let rejection_body = response
            .and_then(|r| r.content)
            .and_then(|c| c.text)
            .filter(|t| !t.is_empty() && status.is_some_and(|s| s != 101));
        recordings.push(Recording {
            source: source.into(),
            url: websocket_url(entry.request.url),
            headers: entry
                .request
                .headers
                .into_iter()
                .filter(|h| !super::is_handshake_header(&h.name))
                .map(|h| KvRow::new(h.name, h.value))
                .collect(),
            subprotocol,
            status,
            rejection_body,
            frames,
        });
    }
    Ok(recordings)
}

fn frame_of(message: Message) -> Result<Option<FrameRecord>, String> {
    let direction = match message.kind.as_str() {
        "send" => Direction::Sent,
        "receive" => Direction::Received,
        other => return Err(format!("a message of type {other:?} (send or receive)")),
    };
    // To whole microseconds: a float of seconds holds them exactly at
    // today's epoch, a division would not.
    let micros = if message.time > MILLISECONDS_FROM {
        message.time * 1_000.0
    } else {
        message.time * 1_000_000.0
    }
    .round();
    if !micros.is_finite() || !(0.0..=1e17).contains(&micros) {
        return Err(format!("a message time of {}", message.time));
    }
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_micros(micros as u64);
    let (kind, payload) = match message.opcode {
        1 => (FrameKind::Text, Bytes::from(message.data)),
        2 => (
            FrameKind::Binary,
            Bytes::from(
                base64::engine::general_purpose::STANDARD
                    .decode(message.data.trim())
                    .map_err(|e| format!("a binary message's base64: {e}"))?,
            ),
        ),
        // Control frames are not in browsers' recordings; skip any.
        _ => return Ok(None),
    };
    Ok(Some(FrameRecord {
        at,
        direction,
        kind,
        payload,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upgrade_recorded_as_http_reads_as_a_websocket_url() {
        let har = r#"{"log":{"entries":[
            {"_resourceType":"websocket","request":{"method":"GET","url":"https://api.example.com/socket?v=2","headers":[]},
             "response":{"status":101,"headers":[]},
             "_webSocketMessages":[{"type":"send","time":1764000000.5,"opcode":1,"data":"hi"}]},
            {"_resourceType":"websocket","request":{"method":"GET","url":"http://127.0.0.1:9001/plain","headers":[]},
             "response":{"status":101,"headers":[]}}
        ]}}"#;
        let recordings = parse(har, "tool.har").expect("a HAR");
        assert_eq!(recordings[0].url, "wss://api.example.com/socket?v=2");
        assert_eq!(recordings[1].url, "ws://127.0.0.1:9001/plain");
        assert_eq!(recordings[0].frames.len(), 1);
    }
}
