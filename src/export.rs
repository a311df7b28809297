//! Taking the evidence away: frames as NDJSON (one object per frame) and as
//! HAR 1.2 with `_webSocketMessages`, as Chrome DevTools writes it.
//!
//! May import: `decode`, `record`, `request`, `secrets`.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::decode::FrameDecoder;
use crate::record::{Direction, FrameKind, FrameRecord, HandshakeReport};
use crate::request::ResolvedRequest;

/// What replaces a secret value unless secrets are exported.
pub const MASK: &str = crate::secrets::FILE_MASK;

fn iso8601(at: std::time::SystemTime) -> String {
    let utc: chrono::DateTime<chrono::Utc> = at.into();
    utc.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A frame's opcode by its name in records: `text`, `binary`, `ping`, `pong`, `close`.
pub fn opcode(kind: FrameKind) -> &'static str {
    match kind {
        FrameKind::Text => "text",
        FrameKind::Binary => "binary",
        FrameKind::Ping => "ping",
        FrameKind::Pong => "pong",
        FrameKind::Close { .. } => "close",
    }
}

/// One frame's NDJSON record. Serialized straight from borrowed fields: a
/// `--log` during a flood writes millions of these.
#[derive(serde::Serialize)]
struct FrameLine<'a> {
    time: String,
    direction: &'static str,
    opcode: &'static str,
    length: u64,
    /// Present (possibly null) on close frames only.
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<Option<u16>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    base64: Option<String>,
    /// The protocol's decoded form, beside the raw one (a Socket.IO event
    /// as `{"event","args","ns","ack"}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    decoded: Option<Value>,
    /// The tab (connection) it crossed, in an export of the merged timeline.
    #[serde(skip_serializing_if = "Option::is_none")]
    tab: Option<&'a str>,
}

impl<'a> FrameLine<'a> {
    fn of(frame: &'a FrameRecord) -> Self {
        let text = match std::str::from_utf8(&frame.payload) {
            Ok(text) if matches!(frame.kind, FrameKind::Text | FrameKind::Close { .. }) => Some(text),
            _ => None,
        };
        Self {
            time: iso8601(frame.at),
            direction: match frame.direction {
                Direction::Sent => "sent",
                Direction::Received => "received",
            },
            opcode: opcode(frame.kind),
            length: frame.wire_len(),
            code: match frame.kind {
                FrameKind::Close { code } => Some(code),
                _ => None,
            },
            text,
            base64: text
                .is_none()
                .then(|| base64::engine::general_purpose::STANDARD.encode(&frame.payload)),
            decoded: None,
            tab: None,
        }
    }

    fn decoded_by(mut self, decode: &FrameDecoder, frame: &FrameRecord) -> Self {
        self.decoded = decoded(decode, frame);
        self
    }
}

/// A frame's decoded form as JSON, when its protocol has one.
fn decoded(decode: &FrameDecoder, frame: &FrameRecord) -> Option<Value> {
    serde_json::from_slice(&decode.json(frame)?).ok()
}

/// Appends one frame as an NDJSON line, newline included.
pub fn write_ndjson_line(out: &mut Vec<u8>, frame: &FrameRecord) {
    // Writing into a Vec cannot fail, and the record has only plain fields.
    let _ = serde_json::to_writer(&mut *out, &FrameLine::of(frame));
    out.push(b'\n');
}

/// One frame as an NDJSON object (without the newline).
pub fn ndjson_line(frame: &FrameRecord) -> String {
    serde_json::to_string(&FrameLine::of(frame)).unwrap_or_default()
}

/// The same, with the protocol's decoded form when `decode` has one.
pub fn ndjson_line_decoded(frame: &FrameRecord, decode: &FrameDecoder) -> String {
    serde_json::to_string(&FrameLine::of(frame).decoded_by(decode, frame)).unwrap_or_default()
}

/// Frames as NDJSON, one line each, with the protocol's decoded form.
pub fn ndjson<'a>(frames: impl Iterator<Item = &'a FrameRecord>, decode: &FrameDecoder) -> String {
    let mut out = Vec::new();
    let _ = write_ndjson(&mut out, frames, decode);
    String::from_utf8(out).unwrap_or_default()
}

/// Streams frames as NDJSON into `out`.
pub fn write_ndjson<'a>(
    out: &mut impl std::io::Write,
    frames: impl Iterator<Item = &'a FrameRecord>,
    decode: &FrameDecoder,
) -> std::io::Result<()> {
    for frame in frames {
        serde_json::to_writer(&mut *out, &FrameLine::of(frame).decoded_by(decode, frame))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// An export to write off the UI thread: the frames (their payloads are
/// shared, not copied) and what the format needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportJob {
    pub frames: Vec<FrameRecord>,
    pub decode: FrameDecoder,
    /// For the merged timeline: the tab each frame crossed, by index.
    pub tabs: Vec<String>,
    /// HAR's request, handshake, start and whether secrets stay; NDJSON
    /// when `None`.
    pub har: Option<HarHead>,
}

/// What a HAR file says beyond the frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarHead {
    pub request: Option<ResolvedRequest>,
    pub handshake: Option<HandshakeReport>,
    pub started: Option<std::time::SystemTime>,
    pub with_secrets: bool,
}

impl ExportJob {
    pub fn write(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        match &self.har {
            None if !self.tabs.is_empty() => {
                for (frame, tab) in self.frames.iter().zip(&self.tabs) {
                    let line = FrameLine {
                        tab: Some(tab.as_str()),
                        ..FrameLine::of(frame).decoded_by(&self.decode, frame)
                    };
                    serde_json::to_writer(&mut *out, &line)?;
                    out.write_all(b"\n")?;
                }
                Ok(())
            }
            None => write_ndjson(out, self.frames.iter(), &self.decode),
            Some(head) => out.write_all(
                har(
                    head.request.as_ref(),
                    head.handshake.as_ref(),
                    head.started,
                    self.frames.iter(),
                    head.with_secrets,
                    &self.decode,
                )
                .as_bytes(),
            ),
        }
    }
}

/// A header list with secret values masked, unless `with_secrets`.
pub fn headers_json<'a>(headers: impl Iterator<Item = (&'a str, &'a str)>, with_secrets: bool) -> Vec<Value> {
    headers
        .map(|(name, value)| {
            let value = if with_secrets {
                value
            } else {
                &crate::secrets::shown_value(name, value, crate::secrets::Shown::File)
            };
            json!({ "name": name, "value": value })
        })
        .collect()
}

/// The session as HAR 1.2: one entry for the upgrade, its messages in
/// `_webSocketMessages` (data frames, as Chrome records them).
pub fn har<'a>(
    request: Option<&ResolvedRequest>,
    handshake: Option<&HandshakeReport>,
    started: Option<std::time::SystemTime>,
    frames: impl Iterator<Item = &'a FrameRecord>,
    with_secrets: bool,
    decode: &FrameDecoder,
) -> String {
    let mask = |text: &str| {
        if with_secrets {
            text.to_string()
        } else {
            crate::secrets::mask_url(text, MASK).into_owned()
        }
    };
    let url = request.map(|r| mask(r.url.as_str())).unwrap_or_default();
    let request_headers = request
        .map(|r| {
            headers_json(
                r.headers
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.to_str().unwrap_or_default())),
                with_secrets,
            )
        })
        .unwrap_or_default();
    let query: Vec<Value> = request
        .map(|r| {
            r.url
                .query_pairs()
                .map(|(k, v)| {
                    let hidden = !with_secrets && crate::secrets::hides(&k, &v);
                    json!({ "name": k, "value": if hidden { MASK } else { &*v } })
                })
                .collect()
        })
        .unwrap_or_default();
    let response_headers = handshake
        .map(|h| headers_json(h.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())), with_secrets))
        .unwrap_or_default();
    let messages: Vec<Value> = frames
        .filter(|f| matches!(f.kind, FrameKind::Text | FrameKind::Binary))
        .map(|frame| {
            let time = frame
                .at
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            let (op, data) = match frame.kind {
                FrameKind::Text => (1, String::from_utf8_lossy(&frame.payload).into_owned()),
                _ => (2, base64::engine::general_purpose::STANDARD.encode(&frame.payload)),
            };
            let mut message = json!({
                "type": match frame.direction { Direction::Sent => "send", Direction::Received => "receive" },
                "time": time,
                "opcode": op,
                "data": data,
            });
            // HAR keeps custom fields under a leading underscore.
            if let Some(decoded) = decoded(decode, frame) {
                message["_decoded"] = decoded;
            }
            message
        })
        .collect();
    let total_ms = handshake.map_or(0.0, |h| h.timings.total.as_secs_f64() * 1000.0);
    let har = json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "wscope", "version": env!("CARGO_PKG_VERSION") },
            "pages": [],
            "entries": [{
                "startedDateTime": iso8601(started.unwrap_or(std::time::UNIX_EPOCH)),
                "time": total_ms,
                "request": {
                    "method": "GET",
                    "url": url,
                    "httpVersion": "HTTP/1.1",
                    "headers": request_headers,
                    "queryString": query,
                    "cookies": [],
                    "headersSize": -1,
                    "bodySize": 0
                },
                "response": {
                    "status": handshake.map_or(0, |h| h.status),
                    "statusText": if handshake.is_some_and(|h| h.status == 101) { "Switching Protocols" } else { "" },
                    "httpVersion": "HTTP/1.1",
                    "headers": response_headers,
                    "cookies": [],
                    "content": { "size": 0, "mimeType": "x-unknown" },
                    "redirectURL": "",
                    "headersSize": -1,
                    "bodySize": 0
                },
                "cache": {},
                "timings": { "send": 0, "wait": total_ms, "receive": 0 },
                "_resourceType": "websocket",
                "_webSocketMessages": messages
            }]
        }
    });
    serde_json::to_string_pretty(&har).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::KvRow;
    use crate::request::build;
    use bytes::Bytes;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    fn frames() -> Vec<FrameRecord> {
        let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        vec![
            FrameRecord {
                at,
                direction: Direction::Sent,
                kind: FrameKind::Text,
                payload: Bytes::from(r#"{"op":"sub"}"#),
            },
            FrameRecord {
                at,
                direction: Direction::Received,
                kind: FrameKind::Binary,
                payload: Bytes::from_static(&[0, 159, 146, 150]),
            },
            FrameRecord {
                at,
                direction: Direction::Received,
                kind: FrameKind::Close { code: Some(4000) },
                payload: Bytes::from("asked to"),
            },
        ]
    }

    #[test]
    fn ndjson_round_trips() {
        let text = ndjson(frames().iter(), &FrameDecoder::default());
        let parsed: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[0]["time"], "2023-11-14T22:13:20.123000Z");
        assert_eq!(parsed[0]["direction"], "sent");
        assert_eq!(parsed[0]["opcode"], "text");
        assert_eq!(parsed[0]["text"], r#"{"op":"sub"}"#);
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(parsed[1]["base64"].as_str().unwrap())
            .unwrap();
        assert_eq!(decoded, vec![0, 159, 146, 150]);
        assert_eq!(parsed[2]["code"], 4000);
        assert_eq!(parsed[2]["length"], 10);
        // The fields keep their order, and a close without a code says so.
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            r#"{"time":"2023-11-14T22:13:20.123000Z","direction":"sent","opcode":"text","length":12,"text":"{\"op\":\"sub\"}"}"#
        );
        let bare_close = FrameRecord {
            kind: FrameKind::Close { code: None },
            payload: Bytes::new(),
            ..frames()[2].clone()
        };
        assert!(ndjson_line(&bare_close).contains(r#""opcode":"close","length":0,"code":null,"text":"""#));
    }

    #[test]
    fn exports_keep_the_decoded_form_beside_the_raw_one() {
        let event = FrameRecord {
            payload: Bytes::from(r#"42["chat",{"text":"hi"}]"#),
            ..frames()[0].clone()
        };
        let decode = &FrameDecoder {
            text: Some(crate::protocol::socketio::decoded_json),
            ..FrameDecoder::default()
        };
        let line: Value = serde_json::from_str(&ndjson_line_decoded(&event, decode)).unwrap();
        assert_eq!(line["text"], r#"42["chat",{"text":"hi"}]"#);
        assert_eq!(
            line["decoded"],
            json!({"event":"chat","args":[{"text":"hi"}],"ns":"/","ack":null})
        );
        let handshake_frame = FrameRecord {
            payload: Bytes::from(r#"0{"sid":"x"}"#),
            ..frames()[0].clone()
        };
        assert!(!ndjson(std::iter::once(&handshake_frame), decode).contains("decoded"));
        let mut request = build("ws://127.0.0.1:9/", &[], &[]).unwrap();
        request.protocol.kind = crate::protocol::ProtocolKind::named("socketio").unwrap();
        let text = har(Some(&request), None, None, std::iter::once(&event), false, decode);
        let value: Value = serde_json::from_str(&text).unwrap();
        let message = &value["log"]["entries"][0]["_webSocketMessages"][0];
        assert_eq!(message["data"], r#"42["chat",{"text":"hi"}]"#);
        assert_eq!(message["_decoded"]["event"], "chat");
    }

    #[test]
    fn har_masks_query_tokens_and_userinfo_unless_asked() {
        let request = build(
            "ws://bob:hunter2@127.0.0.1:9/feed",
            &[KvRow::new("access_token", "t0k3n"), KvRow::new("room", "blue")],
            &[],
        )
        .unwrap();
        let masked = har(
            Some(&request),
            None,
            None,
            std::iter::empty(),
            false,
            &FrameDecoder::default(),
        );
        assert!(!masked.contains("t0k3n") && !masked.contains("hunter2"), "{masked}");
        let value: Value = serde_json::from_str(&masked).unwrap();
        let entry = &value["log"]["entries"][0]["request"];
        assert_eq!(
            entry["url"],
            "ws://bob:[masked]@127.0.0.1:9/feed?access_token=[masked]&room=blue"
        );
        assert_eq!(entry["queryString"][0]["value"], MASK);
        assert_eq!(entry["queryString"][1]["value"], "blue");
        let kept = har(
            Some(&request),
            None,
            None,
            std::iter::empty(),
            true,
            &FrameDecoder::default(),
        );
        assert!(kept.contains("t0k3n") && kept.contains("hunter2"));
    }

    #[test]
    fn har_has_the_fields_chrome_writes_and_masks_secrets() {
        let request = build(
            "ws://127.0.0.1:9/feed",
            &[KvRow::new("room", "blue")],
            &[KvRow::new("api-key", "s3cret"), KvRow::new("Origin", "http://x")],
        )
        .unwrap();
        let handshake = HandshakeReport {
            status: 101,
            headers: vec![("upgrade".into(), "websocket".into())],
            protocol: None,
            timings: Default::default(),
            proxy: None,
        };
        let text = har(
            Some(&request),
            Some(&handshake),
            Some(SystemTime::now()),
            frames().iter(),
            false,
            &FrameDecoder::default(),
        );
        assert!(!text.contains("s3cret"));
        let value: Value = serde_json::from_str(&text).unwrap();
        let entry = &value["log"]["entries"][0];
        assert_eq!(value["log"]["version"], "1.2");
        assert_eq!(entry["_resourceType"], "websocket");
        assert_eq!(entry["request"]["url"], "ws://127.0.0.1:9/feed?room=blue");
        assert_eq!(entry["request"]["queryString"][0]["value"], "blue");
        assert_eq!(entry["request"]["headers"][0]["value"], MASK);
        assert_eq!(entry["response"]["status"], 101);
        let messages = entry["_webSocketMessages"].as_array().unwrap();
        assert_eq!(messages.len(), 2, "data frames only, as Chrome records");
        assert_eq!(messages[0]["type"], "send");
        assert_eq!(messages[0]["opcode"], 1);
        assert_eq!(messages[1]["opcode"], 2);
        assert!(messages[1]["time"].as_f64().unwrap() > 1.7e9);
        let with = har(
            Some(&request),
            Some(&handshake),
            None,
            frames().iter(),
            true,
            &FrameDecoder::default(),
        );
        assert!(with.contains("s3cret"));
    }
}
