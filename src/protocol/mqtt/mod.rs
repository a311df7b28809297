//! MQTT over WebSocket, 3.1.1 (the default) and 5 (`--mqtt-version 5`),
//! as mosquitto, EMQX, HiveMQ and AWS IoT speak it.
//!
//! Packets are rumqttc's codec's ([`packet`]). The connection task sends
//! CONNECT on open and holds the user's commands until CONNACK, puts packets
//! together across WebSocket frames (the spec does not align the two) and
//! logs each packet as a frame of its own, runs the keep-alive and the QoS 1
//! and 2 handshakes both ways, and numbers packets.

pub mod compose;
pub mod packet;
mod session;

use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use super::{Conversation, Protocol, Speaks};
use packet::{Seen, Version};
pub use session::Client;

/// MQTT over WebSocket.
pub struct Mqtt;

/// The subprotocol MQTT over WebSocket names (`mqttv3.1` was 3.1's).
pub const SUBPROTOCOLS: [&str; 1] = ["mqtt"];

/// The keep-alive asked for when `--keepalive` is not given.
pub const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(30);

impl Speaks for Mqtt {
    fn name(&self) -> &'static str {
        "mqtt"
    }

    fn label(&self) -> &'static str {
        "mqtt"
    }

    fn about(&self) -> &'static str {
        "MQTT 3.1.1 and 5 (mosquitto, EMQX, HiveMQ, AWS IoT)"
    }

    fn picked_by_subprotocol(&self, negotiated: &str) -> bool {
        matches!(negotiated, "mqtt" | "mqttv3.1")
    }

    fn subprotocols(&self) -> &'static [&'static str] {
        &SUBPROTOCOLS
    }

    // Someone else's client says its version in its CONNECT; without it,
    // MQTT 5 packets would be read as 3.1.1 and look malformed.
    fn settled_by_client(&self, frame: &[u8], options: &Protocol) -> Option<(Protocol, String)> {
        let five = packet::connect_level(frame)? == 5;
        if five == (options.mqtt_version == Some(5)) {
            return None;
        }
        let settled = Protocol {
            mqtt_version: five.then_some(5),
            ..options.clone()
        };
        let name = if five { "MQTT 5" } else { "MQTT 3.1.1" };
        Some((settled, format!("reading {name}: the client's CONNECT names it")))
    }

    // The connection task turns the command into a packet: packet ids are
    // its to number. Here it is only checked.
    fn encode(&self, text: &str, _options: &Protocol, _next_id: &mut u64) -> Result<String, String> {
        compose::compose(text).map(|_| text.to_string())
    }

    fn describe_binary(
        &self,
        data: &[u8],
        options: &Protocol,
        payload: &dyn Fn(&[u8]) -> Option<String>,
    ) -> Option<String> {
        let packets = match packet::read_all(data, version_of(options)) {
            Ok(packets) => packets,
            Err(error) => return Some(format!("not MQTT: {error}")),
        };
        let lines: Vec<String> = packets.iter().map(|seen| describe(seen, payload)).collect();
        Some(lines.join(" · "))
    }

    fn packet_decoder(&self, options: &Protocol) -> Option<crate::decode::TextDecoder> {
        Some(match version_of(options) {
            Version::V4 => decoded_v4,
            Version::V5 => decoded_v5,
        })
    }

    fn converse(&self, options: &Protocol, _negotiated: Option<&str>) -> Conversation {
        Conversation::with(Client::new(options))
    }

    fn has_reply_ids(&self) -> bool {
        true
    }

    fn reply_id(&self, payload: &[u8], sent: bool) -> Option<String> {
        // Packet ids sit at the same place in both versions; the variable
        // header after them is not needed.
        let seen = packet::read_all(payload, Version::V4)
            .or_else(|_| packet::read_all(payload, Version::V5))
            .ok()?
            .into_iter()
            .next()?;
        let asks = matches!(seen.name, "PUBLISH" | "SUBSCRIBE" | "UNSUBSCRIBE");
        let answers = matches!(seen.name, "PUBACK" | "PUBREC" | "SUBACK" | "UNSUBACK");
        (if sent { asks } else { answers }).then(|| seen.pkid.map(|id| id.to_string()))?
    }

    // Read off the fixed header, whatever the packet's size: PUBLISH by
    // its topic, the rest by packet type.
    fn message_type(&self, head: &[u8], binary: bool, _options: &Protocol) -> Option<String> {
        if !binary {
            return None;
        }
        packet::type_of(head)
    }
}

/// The version a request speaks.
pub fn version_of(options: &Protocol) -> Version {
    if options.mqtt_version == Some(5) {
        Version::V5
    } else {
        Version::V4
    }
}

/// A packet in one line: `PUBLISH sensors/t1 q1 r #3 {…}`, `SUBACK #3
/// granted q1`, `CONNACK accepted`.
fn describe(seen: &Seen, payload: &dyn Fn(&[u8]) -> Option<String>) -> String {
    let mut line = seen.name.to_string();
    let mut push = |part: &str| {
        if !part.is_empty() {
            line.push(' ');
            line.push_str(part);
        }
    };
    // A PUBLISH's topic is the topic itself (jq reads it so); the filters
    // of a SUBSCRIBE are quoted where they were joined.
    match &seen.topic {
        Some(topic) if seen.name == "PUBLISH" => push(&compose::typed_topic(topic)),
        Some(filters) => push(filters),
        None => {}
    }
    if seen.name == "PUBLISH" {
        push(&format!("q{}", seen.qos.unwrap_or(0)));
        if seen.retain {
            push("retain");
        }
    }
    if let Some(id) = seen.pkid {
        push(&format!("#{id}"));
    }
    push(&seen.detail);
    if let Some(reason) = seen.properties.get("reason_string").and_then(Value::as_str) {
        push(&format!("({reason})"));
    }
    if let Some(body) = &seen.payload {
        let shown = payload(body).unwrap_or_else(|| payload_text(body));
        push(&shown);
    }
    line
}

/// A payload as text: JSON compacted, UTF-8 on one line, else hex.
fn payload_text(payload: &[u8]) -> String {
    match std::str::from_utf8(payload) {
        Ok(text) => match serde_json::from_str::<Value>(text) {
            Ok(value @ (Value::Object(_) | Value::Array(_))) => value.to_string(),
            _ => text.split_whitespace().collect::<Vec<_>>().join(" "),
        },
        Err(_) => payload
            .iter()
            .take(40)
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn decoded_v4(payload: &[u8]) -> Option<Vec<u8>> {
    decoded(payload, Version::V4)
}

fn decoded_v5(payload: &[u8]) -> Option<Vec<u8>> {
    decoded(payload, Version::V5)
}

/// A packet for jq: `{packet, topic, qos, retain, id, payload, properties}`;
/// the payload is JSON when it parses, else text, else `{"base64": …}`.
fn decoded(data: &[u8], version: Version) -> Option<Vec<u8>> {
    let seen = packet::read_all(data, version).ok()?.into_iter().next()?;
    serde_json::to_vec(&as_json(&seen)).ok()
}

/// What flows, `test` and jq see of a packet.
pub fn as_json(seen: &Seen) -> Value {
    let payload = seen.payload.as_ref().map(|p| match std::str::from_utf8(p) {
        Ok(text) => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string())),
        Err(_) => json!({ "base64": base64::engine::general_purpose::STANDARD.encode(p) }),
    });
    json!({
        "packet": seen.name,
        "topic": seen.topic,
        "qos": seen.qos,
        "retain": seen.retain,
        "id": seen.pkid,
        "detail": seen.detail,
        "payload": payload,
        "properties": seen.properties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use packet::Writer;

    #[test]
    fn rows_name_the_packet_topic_qos_and_payload() {
        let v4 = Protocol::default();
        let publish = Writer { version: Version::V4 }.publish("sensors/t1", 1, true, 3, b"{\"t\": 21.5}");
        let row = Mqtt.describe_binary(&publish, &v4, &|_| None).unwrap();
        assert_eq!(row, "PUBLISH sensors/t1 q1 retain #3 {\"t\":21.5}");
        let decoded = Mqtt
            .describe_binary(&publish, &v4, &|_| Some("msgpack {…}".into()))
            .unwrap();
        assert!(
            decoded.ends_with("msgpack {…}"),
            "the payload decoders read payloads: {decoded}"
        );
        let suback = [0x90u8, 0x04, 0x00, 0x03, 0x01, 0x80];
        assert_eq!(
            Mqtt.describe_binary(&suback, &v4, &|_| None).unwrap(),
            "SUBACK #3 granted q1, refused (refused)"
        );
        assert!(
            Mqtt.describe_binary(&[0xF0, 0x00], &v4, &|_| None)
                .unwrap()
                .starts_with("not MQTT")
        );
    }

    #[test]
    fn jq_reads_topic_qos_and_the_payload_as_json() {
        let publish = Writer { version: Version::V5 }.publish("t/2", 2, false, 9, b"{\"n\":1}");
        let value: Value = serde_json::from_slice(&decoded_v5(&publish).unwrap()).unwrap();
        assert_eq!(
            (value["packet"].as_str(), value["topic"].as_str()),
            (Some("PUBLISH"), Some("t/2"))
        );
        assert_eq!(
            (value["qos"].as_u64(), value["payload"]["n"].as_u64()),
            (Some(2), Some(1))
        );
        let bytes = Writer { version: Version::V4 }.publish("t", 0, false, 0, &[0xff, 0]);
        let value: Value = serde_json::from_slice(&decoded_v4(&bytes).unwrap()).unwrap();
        assert_eq!(value["payload"]["base64"], "/wA=");
    }

    #[test]
    fn acknowledgements_pair_with_what_they_answer() {
        let writer = Writer { version: Version::V4 };
        assert_eq!(
            Mqtt.reply_id(&writer.publish("t", 1, false, 4, b"x"), true).as_deref(),
            Some("4")
        );
        assert_eq!(Mqtt.reply_id(&writer.ack("PUBACK", 4), false).as_deref(), Some("4"));
        assert_eq!(
            Mqtt.reply_id(&writer.ack("PUBACK", 4), true),
            None,
            "our acks ask nothing"
        );
        assert_eq!(Mqtt.reply_id(&writer.publish("t", 0, false, 0, b"x"), true), None);
    }
}
