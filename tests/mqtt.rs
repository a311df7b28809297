//! MQTT 3.1.1 and 5 against a real broker, mosquitto (started by each
//! test; `.ci/run` installs it), with `mosquitto_pub` as the other client:
//! QoS 0, 1 and 2 both ways, retain, a refused CONNECT, a login, the
//! keep-alive over a quiet spell. A packet split across frames, which a
//! broker cannot be made to send, comes from a server written here.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::result_large_err)]

mod common;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use wscope::conn::{ConnCommand, ConnEvent, Outgoing};
use wscope::protocol::mqtt::packet::{self, Version, Writer};
use wscope::protocol::{Protocol, ProtocolKind};
use wscope::record::{Direction, FrameKind};

use common::mosquitto;

#[test]
fn a_flow_subscribes_publishes_and_reads_back_at_each_qos_in_3_1_1_and_5() {
    let Some(broker) = mosquitto::start("") else { return };
    for version in [4, 5] {
        let mut flow = format!(
            r#"[request]
url = "{url}"
protocol = "mqtt"
mqtt_version = {version}

[[step]]
send = "sub t/1 qos=2"
[[step]]
expect = {{ jq = '.packet == "SUBACK" and .detail == "granted q2"', within = "5s" }}
"#,
            url = broker.url
        );
        for qos in 0..=2 {
            flow.push_str(&format!(
                "[[step]]\nsend = \"pub t/1 qos={qos} hello q{qos}\"\n[[step]]\nexpect = {{ jq = '.packet == \"PUBLISH\" and .payload == \"hello q{qos}\" and .qos == {qos}', within = \"5s\" }}\n"
            ));
        }
        let (code, out) = common::run_flow(&flow);
        assert_eq!(code, Some(0), "MQTT {version}:\n{out}");
    }
}

#[test]
fn test_exits_0_when_another_client_publishes_in_3_1_1_and_5() {
    let Some(broker) = mosquitto::start("") else { return };
    for version in ["4", "5"] {
        let dir = tempfile::tempdir().unwrap();
        let mut test = std::process::Command::new(env!("CARGO_BIN_EXE_wscope"))
            .args(["test", "--protocol", "mqtt", "--mqtt-version", version, &broker.url])
            .args(["-m", "sub t/2", "--expect", "hello", "--timeout", "10"])
            .args(["--config-dir", dir.path().to_str().unwrap()])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Published until the subscriber has it: the subscription may not
        // be in place for the first.
        let status = loop {
            if let Some(status) = test.try_wait().unwrap() {
                break status;
            }
            broker.publish("t/2", "hello from mosquitto_pub", &[]);
            std::thread::sleep(Duration::from_millis(200));
        };
        let mut out = String::new();
        std::io::Read::read_to_string(&mut test.stdout.take().unwrap(), &mut out).unwrap();
        assert!(status.success(), "MQTT {version}:\n{out}");
        assert!(out.contains("PUBLISH t/2 q0 hello from mosquitto_pub"), "{out}");
    }
}

#[test]
fn a_topic_with_spaces_is_typed_in_quotes_and_reaches_the_broker_whole() {
    let Some(broker) = mosquitto::start("") else { return };
    let flow = format!(
        "[request]\nurl = \"{}\"\nprotocol = \"mqtt\"\n\n[[step]]\nsend = 'sub \"living room/+\" qos=1'\n[[step]]\nsend = 'pub \"living room/lamp 2\" qos=1 on'\n[[step]]\nexpect = {{ jq = '.topic == \"living room/lamp 2\" and .payload == \"on\"', within = \"5s\" }}\n",
        broker.url
    );
    let (code, out) = common::run_flow(&flow);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn the_headless_proxy_prints_captured_mqtt_as_packets() {
    let Some(broker) = mosquitto::start("") else { return };
    // No --protocol: the broker's `mqtt` subprotocol says how to read it.
    let proxy = common::proxy::Proxy::start(&[&broker.url]);
    let flow = format!(
        "[request]\nurl = \"{}\"\nprotocol = \"mqtt\"\n\n[[step]]\nsend = 'sub \"a b/+\" qos=1'\n[[step]]\nsend = 'pub \"a b/c\" qos=1 {{\"t\":1}}'\n[[step]]\nexpect = {{ jq = '.topic == \"a b/c\"', within = \"5s\" }}\n",
        proxy.url("/")
    );
    let (code, out) = common::run_flow(&flow);
    assert_eq!(code, Some(0), "{out}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for line in [
        "CONNACK accepted",
        r#"SUBSCRIBE "a b/+" q1 #1"#,
        r#"PUBLISH "a b/c" q1"#,
        "PUBACK",
    ] {
        runtime.block_on(proxy.printed(line));
    }
    let printed = proxy.stdout.lock().unwrap().clone();
    assert!(!printed.contains("hex:"), "{printed}");
    // MQTT 5: the client's CONNECT names it, and its packets (properties,
    // the short DISCONNECT) read whole.
    let proxy = common::proxy::Proxy::start(&[&broker.url]);
    let flow = format!(
        "[request]\nurl = \"{}\"\nprotocol = \"mqtt\"\nmqtt_version = 5\n\n[[step]]\nsend = 'sub v/5 qos=1'\n[[step]]\nsend = 'pub v/5 qos=1 five'\n[[step]]\nexpect = {{ jq = '.payload == \"five\"', within = \"5s\" }}\n",
        proxy.url("/")
    );
    let (code, out) = common::run_flow(&flow);
    assert_eq!(code, Some(0), "{out}");
    let printed = runtime.block_on(proxy.printed("DISCONNECT"));
    runtime.block_on(proxy.said("reading MQTT 5: the client's CONNECT names it"));
    assert!(
        printed.contains("PUBLISH v/5 q1") && !printed.contains("not MQTT"),
        "{printed}"
    );
    // --ndjson: each record carries the packet as the protocol reads it.
    let proxy = common::proxy::Proxy::start(&["--ndjson", &broker.url]);
    let flow = format!(
        "[request]\nurl = \"{}\"\nprotocol = \"mqtt\"\n\n[[step]]\nsend = 'sub n/1 qos=1'\n[[step]]\nsend = 'pub n/1 qos=1 {{\"n\":1}}'\n[[step]]\nexpect = {{ jq = '.payload.n == 1', within = \"5s\" }}\n",
        proxy.url("/")
    );
    let (code, out) = common::run_flow(&flow);
    assert_eq!(code, Some(0), "{out}");
    let printed = runtime.block_on(proxy.printed(r#""packet":"PUBACK""#));
    let records: Vec<serde_json::Value> = printed
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let publish = records
        .iter()
        .find(|record| record["direction"] == "received" && record["decoded"]["packet"] == "PUBLISH")
        .unwrap_or_else(|| panic!("{printed}"));
    assert_eq!(
        (
            &publish["conn"],
            &publish["decoded"]["topic"],
            &publish["decoded"]["payload"]
        ),
        (
            &serde_json::json!(1),
            &serde_json::json!("n/1"),
            &serde_json::json!({"n": 1})
        ),
        "{printed}"
    );
}

#[test]
fn a_retained_message_arrives_marked_retained() {
    let Some(broker) = mosquitto::start("") else { return };
    broker.publish("r/1", "kept", &["-r", "-q", "1"]);
    let flow = format!(
        "[request]\nurl = \"{}\"\nprotocol = \"mqtt\"\n\n[[step]]\nsend = \"sub r/1\"\n[[step]]\nexpect = {{ jq = '.retain and .payload == \"kept\"', within = \"5s\" }}\n[[step]]\nsend = \"pub r/2 retain also kept\"\n",
        broker.url
    );
    let (code, out) = common::run_flow(&flow);
    assert_eq!(code, Some(0), "{out}");
    let check = format!(
        "[request]\nurl = \"{}\"\nprotocol = \"mqtt\"\nmqtt_version = 5\n\n[[step]]\nsend = \"sub r/2\"\n[[step]]\nexpect = {{ jq = '.retain and .payload == \"also kept\"', within = \"5s\" }}\n",
        broker.url
    );
    let (code, out) = common::run_flow(&check);
    assert_eq!(code, Some(0), "our retained publish was kept by the broker:\n{out}");
}

#[test]
fn a_refused_connect_fails_with_the_brokers_code_and_a_login_gets_in() {
    let dir = tempfile::tempdir().unwrap();
    let passwords = dir.path().join("passwords");
    let made = std::process::Command::new("mosquitto_passwd")
        .args(["-b", "-c", passwords.to_str().unwrap(), "alice", "s3cret"])
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mosquitto_passwd is not installed");
        return;
    }
    let config = format!("allow_anonymous false\npassword_file {}", passwords.display());
    let Some(broker) = mosquitto::start(&config) else {
        return;
    };
    for version in ["4", "5"] {
        let out = common::wscope_in(
            &[
                "test",
                "--protocol",
                "mqtt",
                "--mqtt-version",
                version,
                &broker.url,
                "-m",
                "sub x",
            ],
            dir.path(),
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{stdout}");
        assert!(
            stdout.contains("CONNACK refused: not authorized"),
            "MQTT {version}: {stdout}"
        );
    }
    let flow = format!(
        "[request]\nurl = \"{}\"\nprotocol = \"mqtt\"\nauth = {{ username = \"alice\", password = \"s3cret\" }}\n\n[[step]]\nsend = \"sub me/1\"\n[[step]]\nsend = \"pub me/1 in\"\n[[step]]\nexpect = {{ regex = \"in\", within = \"5s\" }}\n",
        broker.url
    );
    let (code, out) = common::run_flow(&flow);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("s3cret"), "the password is never printed");
}

fn mqtt_request(url: &str, version: u8, keepalive: Duration) -> wscope::request::ResolvedRequest {
    let mut request = wscope::request::build(url, &[], &[]).unwrap();
    request.protocol = Protocol {
        kind: ProtocolKind::named("mqtt").unwrap(),
        mqtt_version: Some(version),
        keepalive: Some(keepalive),
        ..Protocol::default()
    };
    request.subprotocols = vec!["mqtt".into()];
    request
}

/// The packet a frame holds, named.
fn packet_of(frame: &wscope::record::FrameRecord, version: Version) -> Option<packet::Seen> {
    (frame.kind == FrameKind::Binary)
        .then(|| packet::read_all(&frame.payload, version).ok()?.into_iter().next())
        .flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qos_2_from_another_client_completes_its_four_way_handshake() {
    let Some(broker) = mosquitto::start("") else { return };
    for (version, level) in [(Version::V4, 4), (Version::V5, 5)] {
        let (handle, mut events) = common::spawn_quiet();
        handle.send(ConnCommand::Connect(mqtt_request(
            &broker.url,
            level,
            Duration::from_secs(30),
        )));
        common::until_open(&mut events).await;
        handle.send(ConnCommand::Send(Outgoing::Text("sub q/2 qos=2".into())));
        common::events_until(
            &mut events,
            "SUBACK",
            |event| matches!(event, ConnEvent::Frame(f) if packet_of(f, version).is_some_and(|p| p.name == "SUBACK")),
        )
        .await;
        let publisher = std::thread::spawn({
            let port = broker.tcp_port;
            move || {
                std::process::Command::new("mosquitto_pub")
                    .args([
                        "-h",
                        "127.0.0.1",
                        "-p",
                        &port.to_string(),
                        "-t",
                        "q/2",
                        "-m",
                        "exactly once",
                        "-q",
                        "2",
                    ])
                    .status()
            }
        });
        let mut seen = Vec::new();
        common::events_until(&mut events, "the handshake to PUBCOMP", |event| {
            if let ConnEvent::Frame(frame) = event
                && let Some(packet) = packet_of(frame, version)
            {
                // The SUBSCRIBE's own record may come after its SUBACK.
                if packet.name != "SUBSCRIBE" {
                    seen.push((frame.direction, packet.name));
                }
                return packet.name == "PUBCOMP";
            }
            false
        })
        .await;
        assert!(publisher.join().unwrap().unwrap().success());
        assert_eq!(
            seen,
            vec![
                (Direction::Received, "PUBLISH"),
                (Direction::Sent, "PUBREC"),
                (Direction::Received, "PUBREL"),
                (Direction::Sent, "PUBCOMP"),
            ],
            "MQTT {level}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keep_alive_holds_a_quiet_connection_open() {
    let Some(broker) = mosquitto::start("") else { return };
    let (handle, mut events) = common::spawn_quiet();
    let every = Duration::from_secs(1);
    handle.send(ConnCommand::Connect(mqtt_request(&broker.url, 4, every)));
    common::events_until(
        &mut events,
        "CONNACK",
        |event| matches!(event, ConnEvent::ProtocolNote { text, .. } if text.contains("connected as")),
    )
    .await;
    // mosquitto drops a client silent for 1.5 keep-alives; we drop a broker
    // that leaves a PINGREQ unanswered.
    let pongs = common::quiet_spell(&mut events, every * 4).await;
    assert!(pongs >= 3, "PINGRESPs were hidden and counted: {pongs}");
    handle.send(ConnCommand::Send(Outgoing::Text("sub k/1".into())));
    handle.send(ConnCommand::Send(Outgoing::Text("pub k/1 still here".into())));
    common::events_until(&mut events, "the message after the quiet spell", |event| {
        matches!(event, ConnEvent::Frame(f) if f.direction == Direction::Received && String::from_utf8_lossy(&f.payload).contains("still here"))
    })
    .await;
}

/// A broker's bytes cut where no broker cuts them: CONNACK with the first
/// bytes of a PUBLISH, the rest of it, then two PUBLISHes in one frame.
#[tokio::test]
async fn packets_split_across_frames_or_sharing_one_are_logged_one_each_and_whole() {
    let writer = Writer { version: Version::V4 };
    let big = writer.publish("split/t", 0, false, 0, &vec![b'x'; 5000]);
    let (one, two) = (
        writer.publish("a", 0, false, 0, b"1"),
        writer.publish("b", 0, false, 0, b"2"),
    );
    let frames: Vec<Vec<u8>> = vec![
        [&[0x20, 0x02, 0x00, 0x00][..], &big[..7]].concat(),
        big[7..3000].to_vec(),
        big[3000..].to_vec(),
        [one.clone(), two.clone()].concat(),
    ];
    let server = common::serve(move |stream| {
        let frames = frames.clone();
        async move {
            let pick = |request: &tokio_tungstenite::tungstenite::handshake::server::Request, response| {
                Ok(common::choose_subprotocol(request, response, "mqtt"))
            };
            let Ok(mut socket) = tokio_tungstenite::accept_hdr_async(stream, pick).await else {
                return;
            };
            let _connect = socket.next().await;
            for frame in frames {
                let _ = socket.send(Message::binary(frame)).await;
            }
            while let Some(Ok(_)) = socket.next().await {}
        }
    })
    .await;
    let (handle, mut events) = common::spawn_quiet();
    handle.send(ConnCommand::Connect(mqtt_request(
        &server.url("ws", "/"),
        4,
        Duration::from_secs(30),
    )));
    let mut received = Vec::new();
    common::events_until(&mut events, "three PUBLISHes", |event| {
        if let ConnEvent::Frame(frame) = event
            && frame.direction == Direction::Received
        {
            received.push(frame.payload.to_vec());
        }
        received.len() == 4
    })
    .await;
    assert_eq!(received[1], big, "the split packet is one frame, whole");
    assert_eq!(
        (&received[2], &received[3]),
        (&one, &two),
        "two packets in one frame are two frames"
    );
}

/// `wscope pipe` with `lines` on its input, the MQTT packets it printed.
fn pipe_mqtt(url: &str, lines: &str, extra: &[&str]) -> String {
    common::pipe_lines(url, lines, &[&["--protocol", "mqtt"], extra].concat())
}

#[test]
fn a_session_recorded_against_mosquitto_replays_to_a_client_with_another_client_id() {
    let Some(broker) = mosquitto::start("") else { return };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("session.ndjson");
    let lines = "sub demo/t\npub demo/t qos=1 {\"a\":1}\n";
    let recorded = pipe_mqtt(&broker.url, lines, &["--log", log.to_str().unwrap()]);
    assert!(recorded.contains(r#""packet":"PUBACK""#), "{recorded}");
    drop(broker);

    let server = common::ReplayServer::start(&log);
    // A new `wscope-<random>` client id each run: the CONNECT's bytes differ
    // from the recorded ones, and the replay still answers it.
    let replayed = pipe_mqtt(&server.url, lines, &[]);
    drop(server);
    assert_eq!(
        common::field_values(&replayed, "packet"),
        ["CONNACK", "SUBACK", "PUBLISH", "PUBACK"],
        "{replayed}"
    );
    assert!(replayed.contains(r#""payload":{"a":1}"#), "{replayed}");
}
