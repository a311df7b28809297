//! STOMP 1.2 over WebSocket (1.1 and 1.0 when the server picks them), as
//! RabbitMQ's Web STOMP, ActiveMQ and Spring speak it, optionally inside
//! SockJS.
//!
//! The connection task sends CONNECT on open and holds the user's frames
//! until CONNECTED; it numbers subscriptions and asks a receipt of every
//! frame, sends its heart-beats and fails a connection whose server's went
//! quiet. Frames are composed from a short syntax ([`compose`]).

pub mod compose;
pub mod frame;
mod session;

use std::time::Duration;

use serde_json::{Map, Value, json};
use url::Url;

use super::{Conversation, Protocol, Speaks};
use frame::Frame;
pub use session::Client;

/// STOMP over WebSocket.
pub struct Stomp;

/// The subprotocols offered, newest first.
pub const SUBPROTOCOLS: [&str; 3] = ["v12.stomp", "v11.stomp", "v10.stomp"];

/// Heart-beats offered each way when `--heartbeat` is not given.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(10);

impl Speaks for Stomp {
    fn name(&self) -> &'static str {
        "stomp"
    }

    fn label(&self) -> &'static str {
        "stomp"
    }

    fn about(&self) -> &'static str {
        "STOMP 1.2/1.1/1.0 (RabbitMQ, ActiveMQ, Spring), inside SockJS with --sockjs"
    }

    fn picked_by_subprotocol(&self, negotiated: &str) -> bool {
        SUBPROTOCOLS.contains(&negotiated)
    }

    fn subprotocols(&self) -> &'static [&'static str] {
        &SUBPROTOCOLS
    }

    fn takes_http_urls(&self) -> bool {
        true
    }

    fn shape_url(&self, url: Url, options: &Protocol) -> Url {
        if options.sockjs {
            super::sockjs::session_url(url)
        } else {
            url
        }
    }

    fn encode(&self, text: &str, _options: &Protocol, _next_id: &mut u64) -> Result<String, String> {
        compose::compose(text).map(|frame| frame.to_wire())
    }

    fn decoder(&self) -> Option<crate::decode::TextDecoder> {
        Some(decoded_json)
    }

    fn describe(&self, text: &str) -> Option<String> {
        describe(text)
    }

    fn converse(&self, options: &Protocol, _negotiated: Option<&str>) -> Conversation {
        Conversation::with(Client::new(options))
    }

    fn acknowledge(&self, payload: &[u8], positive: bool) -> Result<String, String> {
        let text = std::str::from_utf8(payload).map_err(|_| "not a STOMP frame".to_string())?;
        let frame = frame::parse(text)
            .ok()
            .and_then(|parsed| parsed.frames.into_iter().next())
            .filter(|frame| frame.command == "MESSAGE")
            .ok_or("select a MESSAGE to acknowledge it")?;
        // 1.2 marks the messages of client-ack subscriptions with the id
        // to acknowledge; before 1.2 the message id is named, and the
        // connection adds the subscription (or refuses an ACK its
        // subscription does not wait for).
        let id = frame
            .header("ack")
            .or_else(|| frame.header("message-id"))
            .ok_or("this MESSAGE has neither an ack nor a message-id header")?;
        Ok(format!("{} {id}", if positive { "ack" } else { "nack" }))
    }

    fn has_reply_ids(&self) -> bool {
        true
    }

    fn reply_id(&self, payload: &[u8], sent: bool) -> Option<String> {
        let text = std::str::from_utf8(payload).ok()?;
        let frame = frame::parse(text).ok()?.frames.into_iter().next()?;
        match (sent, frame.command.as_str()) {
            (true, _) => frame.header("receipt").map(str::to_string),
            (false, "RECEIPT" | "ERROR") => frame.header("receipt-id").map(str::to_string),
            _ => None,
        }
    }

    // Messages by destination (a SEND and the MESSAGE it becomes share a
    // row); the rest by command.
    fn message_type(&self, head: &[u8], _binary: bool, _options: &Protocol) -> Option<String> {
        let text = crate::json_peek::utf8_prefix(head);
        if text.trim_matches(['\r', '\n']).is_empty() {
            return Some("heart-beat".into());
        }
        let frame = frame::parse_head(text)?;
        let name = match (frame.command.as_str(), frame.header("destination")) {
            ("MESSAGE" | "SEND" | "SUBSCRIBE", Some(destination)) => destination,
            (command, _) => command,
        };
        Some(crate::json_peek::bounded(name).to_string())
    }
}

/// A frame for jq: `{command, destination, headers, payload}`, the payload
/// parsed when it is JSON. A message of heart-beats only reads as nothing.
pub fn decoded_json(payload: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(payload).ok()?;
    let frame = frame::parse(text).ok()?.frames.into_iter().next()?;
    serde_json::to_vec(&as_json(&frame)).ok()
}

/// What flows, `test` and jq see of a frame.
pub fn as_json(frame: &Frame) -> Value {
    let headers: Map<String, Value> = frame
        .headers
        .iter()
        .rev()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let payload = serde_json::from_str::<Value>(&frame.body).unwrap_or_else(|_| Value::String(frame.body.clone()));
    json!({
        "command": frame.command,
        "destination": frame.header("destination"),
        "headers": headers,
        "payload": payload,
    })
}

/// A message in one line: `MESSAGE /queue/x {…}`, `RECEIPT 3`,
/// `ERROR Bad CONNECT: Access refused`, `CONNECTED 1.2 RabbitMQ/3.10.8`;
/// heart-beats read `heart-beat`.
pub fn describe(text: &str) -> Option<String> {
    let parsed = match frame::parse(text) {
        Ok(parsed) => parsed,
        // A row is given the head of a large frame, whose end is not there
        // to check; the connection task checks whole frames, and says so.
        Err(error @ (frame::FrameError::MissingNul | frame::FrameError::ShortBody(_))) => {
            return Some(match frame::parse_head(text) {
                Some(head) => describe_frame(&head),
                None => format!("not STOMP: {error}"),
            });
        }
        Err(error) => return Some(format!("not STOMP: {error}")),
    };
    if parsed.frames.is_empty() {
        return Some("heart-beat".into());
    }
    let lines: Vec<String> = parsed.frames.iter().map(describe_frame).collect();
    Some(lines.join(" · "))
}

fn describe_frame(frame: &Frame) -> String {
    let body = one_line(&frame.body);
    let header = |name: &str| frame.header(name).unwrap_or_default();
    let parts: Vec<&str> = match frame.command.as_str() {
        "MESSAGE" | "SEND" => vec![header("destination"), &body],
        "SUBSCRIBE" => vec![header("destination"), header("id"), frame.header("ack").unwrap_or("")],
        "UNSUBSCRIBE" | "ACK" | "NACK" => vec![header("id")],
        "RECEIPT" => vec![header("receipt-id")],
        "ERROR" => vec![header("message"), &body],
        "CONNECTED" => vec![header("version"), header("server")],
        "CONNECT" | "STOMP" => vec![header("accept-version"), header("host")],
        _ => vec![&body],
    };
    let mut line = frame.command.clone();
    for part in parts.into_iter().filter(|p| !p.is_empty()) {
        line.push(' ');
        line.push_str(part);
    }
    line
}

/// A body in one line: JSON compacted, other text with its line breaks
/// joined.
fn one_line(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(value @ (Value::Object(_) | Value::Array(_))) => value.to_string(),
        _ => body.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

/// Reads `--heartbeat`: `CX,CY` in milliseconds as STOMP writes it, or one
/// duration for both ways (`5s`, `500ms`); `0` turns them off.
pub fn parse_heartbeat(text: &str) -> Result<(Duration, Duration), String> {
    let text = text.trim();
    if let Some((send, receive)) = text.split_once(',') {
        let millis = |part: &str| {
            part.trim()
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| format!("heart-beat {part:?}: milliseconds expected (10000,10000)"))
        };
        return Ok((millis(send)?, millis(receive)?));
    }
    let both = crate::format::parse_duration(text).map_err(|e| format!("heart-beat {text:?}: {e}"))?;
    Ok((both, both))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_acknowledged_by_its_ack_id_else_its_message_id() {
        let stomp = Stomp;
        let v12 = b"MESSAGE\nmessage-id:m-1\nsubscription:sub-0\nack:a-1\n\nhi\0";
        let v11 = b"MESSAGE\nmessage-id:m-1\nsubscription:sub-0\n\nhi\0";
        assert_eq!(stomp.acknowledge(v12, true), Ok("ack a-1".into()));
        assert_eq!(stomp.acknowledge(v11, false), Ok("nack m-1".into()));
        assert!(stomp.acknowledge(b"RECEIPT\nreceipt-id:1\n\n\0", true).is_err());
    }

    #[test]
    fn rows_name_the_command_the_destination_and_the_body() {
        assert_eq!(
            describe("MESSAGE\ndestination:/queue/x\nmessage-id:1\n\n{\"a\": [1, 2]}\0").as_deref(),
            Some("MESSAGE /queue/x {\"a\":[1,2]}")
        );
        assert_eq!(describe("\n").as_deref(), Some("heart-beat"));
        assert_eq!(
            describe("ERROR\nmessage:Bad CONNECT\n\nAccess refused\0").as_deref(),
            Some("ERROR Bad CONNECT Access refused")
        );
        assert_eq!(
            describe("SUBSCRIBE\ndestination:/q\nid:sub-0\nack:client\n\n\0").as_deref(),
            Some("SUBSCRIBE /q sub-0 client")
        );
        // A row reads the head of a frame: a body cut short still describes.
        let head = format!("MESSAGE\ndestination:/big\ncontent-length:9000\n\n{}", "x".repeat(4000));
        assert!(describe(&head).unwrap().starts_with("MESSAGE /big xxx"));
        assert_eq!(
            describe("\u{0}\u{1}garbage").as_deref(),
            Some("not STOMP: an unterminated header block (no blank line before the body)")
        );
    }

    #[test]
    fn jq_reads_the_destination_headers_and_payload() {
        let decoded = decoded_json(b"MESSAGE\ndestination:/q\nfoo:1\nfoo:2\n\n{\"x\":1}\0").unwrap();
        let value: Value = serde_json::from_slice(&decoded).unwrap();
        assert_eq!(value["destination"], "/q");
        assert_eq!(value["headers"]["foo"], "1", "the first of a repeated header");
        assert_eq!(value["payload"]["x"], 1);
        let text: Value = serde_json::from_slice(&decoded_json(b"MESSAGE\n\nhello\0").unwrap()).unwrap();
        assert_eq!(text["payload"], "hello");
    }

    #[test]
    fn receipts_pair_with_the_frames_that_asked_for_them() {
        let stomp = Stomp;
        assert_eq!(stomp.reply_id(b"SEND\nreceipt:7\n\n\0", true).as_deref(), Some("7"));
        assert_eq!(
            stomp.reply_id(b"RECEIPT\nreceipt-id:7\n\n\0", false).as_deref(),
            Some("7")
        );
        assert_eq!(stomp.reply_id(b"MESSAGE\nreceipt-id:7\n\n\0", false), None);
    }

    #[test]
    fn heartbeats_are_read_in_either_form() {
        let ms = Duration::from_millis;
        assert_eq!(parse_heartbeat("1000,0"), Ok((ms(1000), ms(0))));
        assert_eq!(parse_heartbeat("5s"), Ok((ms(5000), ms(5000))));
        assert!(parse_heartbeat("x,1").is_err());
    }
}
