use std::time::{Duration, Instant};

use super::*;
use crate::protocol::mqtt::packet::read_all;

fn options(version: u8) -> Protocol {
    Protocol {
        kind: crate::protocol::ProtocolKind::named("mqtt").unwrap(),
        auth: Some(r#"{"username":"u","password":"s3cret"}"#.into()),
        client_id: Some("me".into()),
        keepalive: Some(Duration::from_secs(2)),
        connect_timeout: Some(Duration::from_secs(5)),
        mqtt_version: Some(version),
        ..Protocol::default()
    }
}

fn sent(outbound: &Outbound, version: Version) -> Seen {
    read_all(outbound.binary.as_ref().unwrap(), version).unwrap().remove(0)
}

const CONNACK_OK: [u8; 4] = [0x20, 0x02, 0x00, 0x00];

#[test]
fn connect_goes_out_with_the_password_masked_in_what_is_shown() {
    let mut client = Client::new(&options(4));
    let opening = client.on_open(Instant::now());
    let connect = &opening.replies[0];
    assert_eq!(sent(connect, Version::V4).name, "CONNECT");
    let wire = connect.binary.as_ref().unwrap();
    let shown = connect.shown_binary.as_ref().unwrap();
    let has = |bytes: &[u8], needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(has(wire, b"s3cret") && !has(shown, b"s3cret"));
}

#[test]
fn commands_wait_for_connack_then_get_packet_ids() {
    let mut client = Client::new(&options(4));
    let now = Instant::now();
    client.on_open(now);
    assert!(client.gate("sub t/1 qos=1".into()).is_none());
    let reaction = client.on_binary(&CONNACK_OK);
    assert!(
        reaction.notes[0].1.contains("mqtt 3.1.1 connected as me"),
        "{reaction:?}"
    );
    let subscribe = sent(&reaction.replies[0], Version::V4);
    assert_eq!((subscribe.name, subscribe.pkid), ("SUBSCRIBE", Some(1)));
    let publish = sent(&client.gate("pub t/1 qos=2 hi".into()).unwrap(), Version::V4);
    assert_eq!((publish.pkid, publish.qos), (Some(2), Some(2)));
}

#[test]
fn qos_handshakes_run_both_ways() {
    let writer = Writer { version: Version::V5 };
    let mut client = Client::new(&options(5));
    client.on_open(Instant::now());
    client.on_binary(&writer_connack_v5());
    // The broker's QoS 1 and 2 messages.
    let incoming = [
        writer.publish("a", 1, false, 7, b"x"),
        writer.publish("a", 2, false, 8, b"y"),
    ]
    .concat();
    let reaction = client.on_binary(&incoming);
    let answers: Vec<(&str, Option<u16>)> = reaction
        .replies
        .iter()
        .map(|r| sent(r, Version::V5))
        .map(|s| (s.name, s.pkid))
        .collect::<Vec<_>>()
        .iter()
        .map(|(n, p)| (*n, *p))
        .collect();
    assert_eq!(answers, vec![("PUBACK", Some(7)), ("PUBREC", Some(8))]);
    assert_eq!(reaction.frames.as_ref().map(Vec::len), Some(2), "two packets, two rows");
    let reaction = client.on_binary(&writer.ack("PUBREL", 8));
    assert_eq!(sent(&reaction.replies[0], Version::V5).name, "PUBCOMP");
    // Ours at QoS 2: PUBREC is answered with PUBREL.
    let ours = sent(&client.gate("pub b qos=2 z".into()).unwrap(), Version::V5);
    let reaction = client.on_binary(&writer.ack("PUBREC", ours.pkid.unwrap()));
    assert_eq!(sent(&reaction.replies[0], Version::V5).name, "PUBREL");
}

fn writer_connack_v5() -> Vec<u8> {
    // CONNACK, flags 0, reason 0, no properties.
    vec![0x20, 0x03, 0x00, 0x00, 0x00]
}

#[test]
fn a_packet_split_across_frames_is_logged_once_whole() {
    let mut client = Client::new(&options(4));
    client.on_open(Instant::now());
    client.on_binary(&CONNACK_OK);
    let publish = Writer { version: Version::V4 }.publish("t", 0, false, 0, &[b'x'; 1000]);
    let first = client.on_binary(&publish[..10]);
    assert_eq!(first.frames, Some(vec![]), "nothing to show yet");
    let rest = client.on_binary(&publish[10..]);
    assert_eq!(rest.frames, Some(vec![Carried::Binary(publish)]));
}

#[test]
fn keep_alive_pings_hide_their_answer_and_a_silent_broker_fails() {
    let mut client = Client::new(&options(4));
    let start = Instant::now();
    client.on_open(start);
    client.take(&CONNACK_OK, start);
    let due = client.deadline().unwrap();
    assert_eq!(due, start + Duration::from_secs(2));
    let ping = client.on_deadline(due);
    assert_eq!(ping.binary_answers, vec![vec![0xC0, 0x00]]);
    let pong = client.take(&[0xD0, 0x00], due);
    assert!(pong.hide);
    client.on_deadline(due + Duration::from_secs(2));
    let late = client.on_deadline(due + Duration::from_secs(4));
    assert!(late.fail.unwrap().contains("no PINGRESP"));
}

#[test]
fn refusals_and_garbage_fail_the_connection_with_their_reason() {
    let mut client = Client::new(&options(4));
    let start = Instant::now();
    client.on_open(start);
    let refused = client.on_binary(&[0x20, 0x02, 0x00, 0x04]);
    assert_eq!(
        refused.fail.as_deref(),
        Some("mqtt: CONNACK refused: bad user name or password")
    );
    let mut client = Client::new(&options(4));
    client.on_open(start);
    assert!(
        client
            .on_deadline(start + Duration::from_secs(5))
            .fail
            .unwrap()
            .contains("no CONNACK")
    );
    let mut client = Client::new(&options(4));
    client.on_open(start);
    assert!(client.on_binary(&[0xF0, 0x00]).fail.unwrap().contains("malformed"));
    let mut small = options(4);
    small.max_message_size = Some(100);
    let mut client = Client::new(&small);
    client.on_open(start);
    let big = Writer { version: Version::V4 }.publish("t", 0, false, 0, &[0; 500]);
    assert!(client.on_binary(&big).fail.unwrap().contains("--max-message-size"));
}
