//! MQTT packets read and written with rumqttc's codec, in 3.1.1 or 5, and
//! what one says in terms that do not depend on the version ([`Seen`]).

use bytes::{Bytes, BytesMut};
use rumqttc::mqttbytes::v4;
use rumqttc::v5::mqttbytes::v5;
use serde_json::{Map, Value};

/// The protocol level spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Version {
    /// MQTT 3.1.1.
    #[default]
    V4,
    /// MQTT 5.
    V5,
}

/// What a packet says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Seen {
    /// `PUBLISH`, `CONNACK`, … as the spec names them.
    pub name: &'static str,
    pub pkid: Option<u16>,
    pub topic: Option<String>,
    pub qos: Option<u8>,
    pub retain: bool,
    pub payload: Option<Bytes>,
    /// A CONNACK's code, a SUBACK's grants, a reason, in words.
    pub detail: String,
    /// A refused CONNECT (CONNACK with a code other than success).
    pub refused: bool,
    /// MQTT 5's user properties, reason string, content type and the like.
    pub properties: Map<String, Value>,
}

/// Why bytes are not an MQTT packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    #[error("a packet of {size} bytes is past the largest accepted ({max})")]
    TooLarge { size: usize, max: usize },
    #[error("a malformed packet ({0})")]
    Malformed(String),
}

/// Reads the next whole packet off the front of `buffer`; `None` when it
/// holds only part of one, which stays for the bytes still to come.
pub fn read(buffer: &mut BytesMut, version: Version, max: usize) -> Result<Option<Seen>, PacketError> {
    if buffer.is_empty() {
        return Ok(None);
    }
    match version {
        Version::V4 => match v4::Packet::read(buffer, max) {
            Ok(packet) => Ok(Some(seen_v4(packet))),
            Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => Ok(None),
            Err(rumqttc::mqttbytes::Error::PayloadSizeLimitExceeded(size)) => Err(PacketError::TooLarge { size, max }),
            Err(error) => Err(PacketError::Malformed(error.to_string())),
        },
        // A DISCONNECT with nothing after its fixed header means a normal
        // disconnection (MQTT 5 §3.14.2.1), which rumqttc 0.25 reads as
        // malformed (and writes itself).
        Version::V5 if buffer.starts_with(&[0xE0, 0x00]) => {
            let _ = buffer.split_to(2);
            Ok(Some(named("DISCONNECT")))
        }
        Version::V5 => match v5::Packet::read(buffer, Some(u32::try_from(max).unwrap_or(u32::MAX))) {
            Ok(packet) => Ok(Some(seen_v5(packet))),
            Err(rumqttc::v5::mqttbytes::Error::InsufficientBytes(_)) => Ok(None),
            Err(rumqttc::v5::mqttbytes::Error::PayloadSizeLimitExceeded { pkt_size, max }) => {
                Err(PacketError::TooLarge {
                    size: pkt_size,
                    max: max as usize,
                })
            }
            Err(error) => Err(PacketError::Malformed(error.to_string())),
        },
    }
}

/// The protocol level a CONNECT packet names (4 for 3.1.1, 5 for 5),
/// read without parsing the rest; None for any other packet.
pub fn connect_level(data: &[u8]) -> Option<u8> {
    if *data.first()? != 0x10 {
        return None;
    }
    // The remaining length: one to four bytes, the high bit continuing.
    let length_bytes = data.iter().skip(1).take(4).position(|b| b & 0x80 == 0)? + 1;
    let variable_header = data.get(1 + length_bytes..1 + length_bytes + 7)?;
    (variable_header[..6] == [0, 4, b'M', b'Q', b'T', b'T']).then_some(variable_header[6])
}

/// The next whole packet off the front of `buffer` with its bytes, as
/// [`read`] does.
pub fn next(buffer: &mut BytesMut, version: Version, max: usize) -> Result<Option<(Seen, Bytes)>, PacketError> {
    // The fixed header is the same in both versions.
    let header = match rumqttc::mqttbytes::check(buffer.iter(), max) {
        Ok(header) => header,
        Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => return Ok(None),
        Err(rumqttc::mqttbytes::Error::PayloadSizeLimitExceeded(size)) => {
            return Err(PacketError::TooLarge { size, max });
        }
        Err(error) => return Err(PacketError::Malformed(error.to_string())),
    };
    let mut piece = buffer.split_to(header.frame_length());
    let bytes = piece.clone().freeze();
    match read(&mut piece, version, max)? {
        Some(seen) => Ok(Some((seen, bytes))),
        None => Err(PacketError::Malformed("a packet shorter than its length".into())),
    }
}

/// Every packet in `bytes`, for describing a logged frame; a frame holds
/// whole packets once the connection task has put them together.
pub fn read_all(bytes: &[u8], version: Version) -> Result<Vec<Seen>, PacketError> {
    let mut buffer = BytesMut::from(bytes);
    let mut packets = Vec::new();
    while let Some(packet) = read(&mut buffer, version, usize::MAX >> 1)? {
        packets.push(packet);
    }
    if buffer.is_empty() {
        Ok(packets)
    } else {
        Err(PacketError::Malformed(format!(
            "{} bytes of an unfinished packet",
            buffer.len()
        )))
    }
}

/// Packet type names by the fixed header's high nibble (MQTT 3.1.1 §2.2.1, 5.0 §2.1.2).
const PACKET_TYPES: [&str; 16] = [
    "reserved",
    "CONNECT",
    "CONNACK",
    "PUBLISH",
    "PUBACK",
    "PUBREC",
    "PUBREL",
    "PUBCOMP",
    "SUBSCRIBE",
    "SUBACK",
    "UNSUBSCRIBE",
    "UNSUBACK",
    "PINGREQ",
    "PINGRESP",
    "DISCONNECT",
    "AUTH",
];

/// The first packet's type, a PUBLISH by its topic, read from its fixed
/// header and the topic alone: as cheap for a 100 MB packet as for a ping.
pub fn type_of(head: &[u8]) -> Option<String> {
    let (&first, rest) = head.split_first()?;
    let name = PACKET_TYPES[usize::from(first >> 4)];
    if name != "PUBLISH" {
        return Some(name.into());
    }
    // The remaining length takes one to four bytes, the last without the
    // continuation bit; the topic follows as a 2-byte length and UTF-8.
    let length_bytes = rest.iter().take(4).position(|b| b & 0x80 == 0)? + 1;
    let rest = rest.get(length_bytes..)?;
    let topic_len = usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]));
    let topic = rest.get(2..2 + topic_len).map(String::from_utf8_lossy);
    Some(match topic {
        Some(topic) if !topic.is_empty() => crate::json_peek::bounded(&topic).to_string(),
        // A v5 topic alias, or a topic cut off by the head's end.
        _ => name.into(),
    })
}

fn named(name: &'static str) -> Seen {
    Seen {
        name,
        ..Seen::default()
    }
}

fn with_id(name: &'static str, pkid: u16) -> Seen {
    Seen {
        name,
        pkid: Some(pkid),
        ..Seen::default()
    }
}

fn seen_v4(packet: v4::Packet) -> Seen {
    match packet {
        v4::Packet::Connect(connect) => Seen {
            detail: format!("client {} keep-alive {}s", connect.client_id, connect.keep_alive),
            ..named("CONNECT")
        },
        v4::Packet::ConnAck(ack) => Seen {
            refused: ack.code != v4::ConnectReturnCode::Success,
            detail: connect_code(&format!("{:?}", ack.code)),
            ..named("CONNACK")
        },
        v4::Packet::Publish(publish) => Seen {
            pkid: (publish.pkid != 0).then_some(publish.pkid),
            topic: Some(publish.topic),
            qos: Some(publish.qos as u8),
            retain: publish.retain,
            payload: Some(publish.payload),
            ..named("PUBLISH")
        },
        v4::Packet::PubAck(ack) => with_id("PUBACK", ack.pkid),
        v4::Packet::PubRec(ack) => with_id("PUBREC", ack.pkid),
        v4::Packet::PubRel(ack) => with_id("PUBREL", ack.pkid),
        v4::Packet::PubComp(ack) => with_id("PUBCOMP", ack.pkid),
        v4::Packet::Subscribe(subscribe) => Seen {
            topic: Some(joined(subscribe.filters.iter().map(|f| (f.path.as_str(), f.qos as u8)))),
            ..with_id("SUBSCRIBE", subscribe.pkid)
        },
        v4::Packet::SubAck(ack) => Seen {
            detail: grants(ack.return_codes.iter().map(|code| match code {
                v4::SubscribeReasonCode::Success(qos) => Ok(*qos as u8),
                v4::SubscribeReasonCode::Failure => Err("refused".to_string()),
            })),
            ..with_id("SUBACK", ack.pkid)
        },
        v4::Packet::Unsubscribe(unsubscribe) => Seen {
            topic: Some(typed_topics(&unsubscribe.topics)),
            ..with_id("UNSUBSCRIBE", unsubscribe.pkid)
        },
        v4::Packet::UnsubAck(ack) => with_id("UNSUBACK", ack.pkid),
        v4::Packet::PingReq => named("PINGREQ"),
        v4::Packet::PingResp => named("PINGRESP"),
        v4::Packet::Disconnect => named("DISCONNECT"),
    }
}

fn seen_v5(packet: v5::Packet) -> Seen {
    match packet {
        v5::Packet::Connect(connect, _, _) => Seen {
            detail: format!("client {} keep-alive {}s", connect.client_id, connect.keep_alive),
            ..named("CONNECT")
        },
        v5::Packet::ConnAck(ack) => {
            let mut seen = Seen {
                refused: ack.code != v5::ConnectReturnCode::Success,
                detail: connect_code(&format!("{:?}", ack.code)),
                ..named("CONNACK")
            };
            if let Some(p) = ack.properties {
                put(&mut seen, "reason_string", p.reason_string.map(Value::from));
                put(
                    &mut seen,
                    "assigned_client_id",
                    p.assigned_client_identifier.map(Value::from),
                );
                put(&mut seen, "server_keep_alive", p.server_keep_alive.map(Value::from));
                put(&mut seen, "maximum_qos", p.max_qos.map(Value::from));
                user_properties(&mut seen, p.user_properties);
            }
            seen
        }
        v5::Packet::Publish(publish) => {
            let mut seen = Seen {
                pkid: (publish.pkid != 0).then_some(publish.pkid),
                topic: Some(String::from_utf8_lossy(&publish.topic).into_owned()),
                qos: Some(publish.qos as u8),
                retain: publish.retain,
                payload: Some(publish.payload),
                ..named("PUBLISH")
            };
            if let Some(p) = publish.properties {
                put(&mut seen, "content_type", p.content_type.map(Value::from));
                put(&mut seen, "response_topic", p.response_topic.map(Value::from));
                put(
                    &mut seen,
                    "message_expiry_interval",
                    p.message_expiry_interval.map(Value::from),
                );
                put(
                    &mut seen,
                    "payload_format_indicator",
                    p.payload_format_indicator.map(Value::from),
                );
                put(&mut seen, "topic_alias", p.topic_alias.map(Value::from));
                user_properties(&mut seen, p.user_properties);
            }
            seen
        }
        v5::Packet::PubAck(ack) => reasoned(
            with_id("PUBACK", ack.pkid),
            &format!("{:?}", ack.reason),
            ack.properties.and_then(|p| p.reason_string),
        ),
        v5::Packet::PubRec(ack) => reasoned(
            with_id("PUBREC", ack.pkid),
            &format!("{:?}", ack.reason),
            ack.properties.and_then(|p| p.reason_string),
        ),
        v5::Packet::PubRel(ack) => reasoned(
            with_id("PUBREL", ack.pkid),
            &format!("{:?}", ack.reason),
            ack.properties.and_then(|p| p.reason_string),
        ),
        v5::Packet::PubComp(ack) => reasoned(
            with_id("PUBCOMP", ack.pkid),
            &format!("{:?}", ack.reason),
            ack.properties.and_then(|p| p.reason_string),
        ),
        v5::Packet::Subscribe(subscribe) => Seen {
            topic: Some(joined(subscribe.filters.iter().map(|f| (f.path.as_str(), f.qos as u8)))),
            ..with_id("SUBSCRIBE", subscribe.pkid)
        },
        v5::Packet::SubAck(ack) => {
            let mut seen = Seen {
                detail: grants(ack.return_codes.iter().map(|code| match code {
                    v5::SubscribeReasonCode::Success(qos) => Ok(*qos as u8),
                    other => Err(format!("{other:?}")),
                })),
                ..with_id("SUBACK", ack.pkid)
            };
            if let Some(p) = ack.properties {
                put(&mut seen, "reason_string", p.reason_string.map(Value::from));
                user_properties(&mut seen, p.user_properties);
            }
            seen
        }
        v5::Packet::Unsubscribe(unsubscribe) => Seen {
            topic: Some(typed_topics(&unsubscribe.filters)),
            ..with_id("UNSUBSCRIBE", unsubscribe.pkid)
        },
        v5::Packet::UnsubAck(ack) => with_id("UNSUBACK", ack.pkid),
        v5::Packet::PingReq(_) => named("PINGREQ"),
        v5::Packet::PingResp(_) => named("PINGRESP"),
        v5::Packet::Disconnect(disconnect) => {
            let reason = disconnect.properties.and_then(|p| p.reason_string);
            reasoned(named("DISCONNECT"), &format!("{:?}", disconnect.reason_code), reason)
        }
        v5::Packet::Auth(_) => named("AUTH"),
    }
}

/// Words for a CONNACK code: `accepted`, or the refusal spelled out
/// (`NotAuthorized` reads `refused: not authorized`).
fn connect_code(debug: &str) -> String {
    match debug {
        "Success" => return "accepted".into(),
        // The spec's words where the codec's name drops one.
        "BadUserNamePassword" => return "refused: bad user name or password".into(),
        "BadClientId" => return "refused: client identifier rejected".into(),
        _ => {}
    }
    let mut words = String::new();
    for c in debug.chars() {
        if c.is_uppercase() && !words.is_empty() {
            words.push(' ');
        }
        words.extend(c.to_lowercase());
    }
    format!("refused: {words}")
}

fn reasoned(mut seen: Seen, code: &str, reason: Option<String>) -> Seen {
    if !matches!(code, "Success" | "NormalDisconnection") {
        seen.detail = connect_code(code).replacen("refused: ", "", 1);
    }
    put(&mut seen, "reason_string", reason.map(Value::from));
    seen
}

fn put(seen: &mut Seen, name: &str, value: Option<Value>) {
    if let Some(value) = value {
        seen.properties.insert(name.to_string(), value);
    }
}

fn user_properties(seen: &mut Seen, properties: Vec<(String, String)>) {
    if !properties.is_empty() {
        let pairs: Map<String, Value> = properties.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        seen.properties.insert("user_properties".into(), Value::Object(pairs));
    }
}

/// Filters as the composer takes them, a space apart.
fn typed_topics(filters: &[String]) -> String {
    filters
        .iter()
        .map(|filter| super::compose::typed_topic(filter))
        .collect::<Vec<_>>()
        .join(" ")
}

fn joined<'a>(filters: impl Iterator<Item = (&'a str, u8)>) -> String {
    filters
        .map(|(path, qos)| format!("{} q{qos}", super::compose::typed_topic(path)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A SUBACK's answer per filter: `granted q1`, or why it was refused.
fn grants(codes: impl Iterator<Item = Result<u8, String>>) -> String {
    codes
        .map(|code| match code {
            Ok(qos) => format!("granted q{qos}"),
            Err(why) => format!("refused ({why})"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Packets wscope writes, in either version.
#[derive(Debug)]
pub struct Writer {
    pub version: Version,
}

/// A login for CONNECT.
pub struct Login<'a> {
    pub username: &'a str,
    pub password: &'a str,
}

impl Writer {
    fn bytes_v4(packet: &v4::Packet) -> Vec<u8> {
        let mut buffer = BytesMut::new();
        // Sizes were checked by the composer; rumqttc refuses only past `max`.
        let _ = packet.write(&mut buffer, usize::MAX >> 1);
        buffer.to_vec()
    }

    fn bytes_v5(packet: &v5::Packet) -> Vec<u8> {
        let mut buffer = BytesMut::new();
        let _ = packet.write(&mut buffer, None);
        buffer.to_vec()
    }

    pub fn connect(&self, client_id: &str, keep_alive: u16, clean: bool, login: Option<Login<'_>>) -> Vec<u8> {
        match self.version {
            Version::V4 => {
                let mut connect = v4::Connect::new(client_id);
                connect.keep_alive = keep_alive;
                connect.clean_session = clean;
                connect.login = login.map(|l| v4::Login::new(l.username, l.password));
                Self::bytes_v4(&v4::Packet::Connect(connect))
            }
            Version::V5 => {
                let connect = v5::Connect {
                    keep_alive,
                    client_id: client_id.to_string(),
                    clean_start: clean,
                    properties: None,
                };
                let login = login.map(|l| v5::Login::new(l.username, l.password));
                Self::bytes_v5(&v5::Packet::Connect(connect, None, login))
            }
        }
    }

    pub fn subscribe(&self, pkid: u16, topic: &str, qos: u8) -> Vec<u8> {
        match self.version {
            Version::V4 => {
                let mut subscribe = v4::Subscribe::new(topic, v4_qos(qos));
                subscribe.pkid = pkid;
                Self::bytes_v4(&v4::Packet::Subscribe(subscribe))
            }
            Version::V5 => {
                let mut subscribe = v5::Subscribe::new(v5::Filter::new(topic, v5_qos(qos)), None);
                subscribe.pkid = pkid;
                Self::bytes_v5(&v5::Packet::Subscribe(subscribe))
            }
        }
    }

    pub fn unsubscribe(&self, pkid: u16, topic: &str) -> Vec<u8> {
        match self.version {
            Version::V4 => {
                let mut unsubscribe = v4::Unsubscribe::new(topic);
                unsubscribe.pkid = pkid;
                Self::bytes_v4(&v4::Packet::Unsubscribe(unsubscribe))
            }
            Version::V5 => {
                let mut unsubscribe = v5::Unsubscribe::new(topic, None);
                unsubscribe.pkid = pkid;
                Self::bytes_v5(&v5::Packet::Unsubscribe(unsubscribe))
            }
        }
    }

    pub fn publish(&self, topic: &str, qos: u8, retain: bool, pkid: u16, payload: &[u8]) -> Vec<u8> {
        match self.version {
            Version::V4 => {
                let mut publish = v4::Publish::new(topic, v4_qos(qos), payload.to_vec());
                publish.retain = retain;
                publish.pkid = pkid;
                Self::bytes_v4(&v4::Packet::Publish(publish))
            }
            Version::V5 => {
                let mut publish = v5::Publish::new(topic, v5_qos(qos), payload.to_vec(), None);
                publish.retain = retain;
                publish.pkid = pkid;
                Self::bytes_v5(&v5::Packet::Publish(publish))
            }
        }
    }

    /// PUBACK, PUBREC, PUBREL or PUBCOMP for `pkid`.
    pub fn ack(&self, name: &str, pkid: u16) -> Vec<u8> {
        match self.version {
            Version::V4 => Self::bytes_v4(&match name {
                "PUBACK" => v4::Packet::PubAck(v4::PubAck::new(pkid)),
                "PUBREC" => v4::Packet::PubRec(v4::PubRec::new(pkid)),
                "PUBREL" => v4::Packet::PubRel(v4::PubRel::new(pkid)),
                _ => v4::Packet::PubComp(v4::PubComp::new(pkid)),
            }),
            Version::V5 => Self::bytes_v5(&match name {
                "PUBACK" => v5::Packet::PubAck(v5::PubAck::new(pkid, None)),
                "PUBREC" => v5::Packet::PubRec(v5::PubRec::new(pkid, None)),
                "PUBREL" => v5::Packet::PubRel(v5::PubRel::new(pkid, None)),
                _ => v5::Packet::PubComp(v5::PubComp::new(pkid, None)),
            }),
        }
    }

    pub fn ping(&self) -> Vec<u8> {
        match self.version {
            Version::V4 => Self::bytes_v4(&v4::Packet::PingReq),
            Version::V5 => Self::bytes_v5(&v5::Packet::PingReq(v5::PingReq)),
        }
    }

    pub fn disconnect(&self) -> Vec<u8> {
        match self.version {
            Version::V4 => Self::bytes_v4(&v4::Packet::Disconnect),
            Version::V5 => Self::bytes_v5(&v5::Packet::Disconnect(v5::Disconnect::new(
                v5::DisconnectReasonCode::NormalDisconnection,
            ))),
        }
    }
}

fn v4_qos(qos: u8) -> rumqttc::mqttbytes::QoS {
    rumqttc::mqttbytes::qos(qos).unwrap_or(rumqttc::mqttbytes::QoS::AtMostOnce)
}

fn v5_qos(qos: u8) -> rumqttc::v5::mqttbytes::QoS {
    rumqttc::v5::mqttbytes::qos(qos).unwrap_or(rumqttc::v5::mqttbytes::QoS::AtMostOnce)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_read_back_as_written_in_both_versions() {
        for version in [Version::V4, Version::V5] {
            let writer = Writer { version };
            let publish = writer.publish("t/1", 1, true, 7, b"{\"a\":1}");
            let seen = &read_all(&publish, version).unwrap()[0];
            assert_eq!(
                (seen.name, seen.pkid, seen.qos, seen.retain),
                ("PUBLISH", Some(7), Some(1), true)
            );
            assert_eq!(seen.topic.as_deref(), Some("t/1"));
            assert_eq!(seen.payload.as_deref(), Some(&b"{\"a\":1}"[..]));
            let two = [writer.subscribe(3, "a/#", 2), writer.ping()].concat();
            let both = read_all(&two, version).unwrap();
            assert_eq!(
                (both[0].name, both[0].topic.as_deref(), both[1].name),
                ("SUBSCRIBE", Some("a/# q2"), "PINGREQ")
            );
            let connect = writer.connect(
                "me",
                30,
                true,
                Some(Login {
                    username: "u",
                    password: "p",
                }),
            );
            assert_eq!(read_all(&connect, version).unwrap()[0].name, "CONNECT");
            let level = if version == Version::V5 { 5 } else { 4 };
            assert_eq!(connect_level(&connect), Some(level));
            assert_eq!(connect_level(&publish), None);
            assert_eq!(connect_level(&connect[..5]), None, "cut short");
            // Ours is the short form in 5 (no reason code: normal).
            let bye = read_all(&[writer.disconnect(), writer.ping()].concat(), version).unwrap();
            assert_eq!((bye[0].name, bye[1].name), ("DISCONNECT", "PINGREQ"));
        }
    }

    #[test]
    fn a_packet_split_across_frames_waits_for_its_end() {
        let packet = Writer { version: Version::V4 }.publish("t", 0, false, 0, &[7; 300]);
        let mut buffer = BytesMut::from(&packet[..100]);
        assert_eq!(read(&mut buffer, Version::V4, 1 << 20), Ok(None));
        buffer.extend_from_slice(&packet[100..]);
        assert_eq!(
            read(&mut buffer, Version::V4, 1 << 20)
                .unwrap()
                .unwrap()
                .payload
                .unwrap()
                .len(),
            300
        );
        assert!(buffer.is_empty());
    }

    #[test]
    fn malformed_and_oversized_packets_are_refused_by_name() {
        let mut unknown = BytesMut::from(&[0xF0u8, 0x00][..]);
        assert!(matches!(
            read(&mut unknown, Version::V4, 1 << 20),
            Err(PacketError::Malformed(_))
        ));
        let big = Writer { version: Version::V4 }.publish("t", 0, false, 0, &[0; 2000]);
        let mut buffer = BytesMut::from(&big[..]);
        assert!(matches!(
            read(&mut buffer, Version::V4, 1000),
            Err(PacketError::TooLarge { .. })
        ));
        let mut bad_length = BytesMut::from(&[0x30u8, 0xFF, 0xFF, 0xFF, 0xFF, 0x01][..]);
        assert!(read(&mut bad_length, Version::V4, 1 << 20).is_err());
    }

    #[test]
    fn a_refused_connack_says_why() {
        let refused = [0x20u8, 0x02, 0x00, 0x05];
        let seen = &read_all(&refused, Version::V4).unwrap()[0];
        assert!(seen.refused);
        assert_eq!(seen.detail, "refused: not authorized");
    }
}
