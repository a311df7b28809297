//! STOMP against a real broker, RabbitMQ's Web STOMP (started by the
//! tests; `.ci/run` installs it): subscribe and receive, client ack and
//! redelivery, receipts, heart-beats over a quiet spell, ERROR frames and a
//! refused login. Each test names its own queues, so they run side by side.
//! Where RabbitMQ is not installed, each test says it skipped.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use wscope::conn::{ConnCommand, ConnEvent, Outgoing};
use wscope::protocol::{Protocol, ProtocolKind};

use common::rabbitmq::{Broker, broker};

/// The options that speak STOMP to the test broker as its guest user.
const STOMP_AS_GUEST: [&str; 6] = [
    "--protocol",
    "stomp",
    "--vhost",
    "/",
    "--auth",
    r#"{"login":"guest","passcode":"guest"}"#,
];

/// A name no other test (or earlier run) uses.
fn unique(name: &str) -> String {
    format!("{name}-{}-{}", std::process::id(), fastrand::u32(..))
}

/// Another client: publishes `body` to `destination` with a hand-written
/// STOMP session over tokio-tungstenite, and waits for the broker's receipt.
async fn publish(broker: &Broker, destination: &str, body: &str) {
    let mut request = broker.url.as_str().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "v12.stomp".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let connect = "CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0";
    socket.send(Message::text(connect)).await.unwrap();
    let send = format!("SEND\ndestination:{destination}\nreceipt:published\n\n{body}\0");
    let mut sent = false;
    while let Some(Ok(message)) = socket.next().await {
        let text = message.into_text().unwrap_or_default();
        if text.starts_with("CONNECTED") && !sent {
            socket.send(Message::text(send.clone())).await.unwrap();
            sent = true;
        } else if text.starts_with("RECEIPT") {
            break;
        } else if text.starts_with("ERROR") {
            panic!("the broker refused the publish: {text}");
        }
    }
    let _ = socket.close(None).await;
}

fn request_block(broker: &Broker) -> String {
    format!(
        "[request]\nurl = \"{}\"\nprotocol = \"stomp\"\nvhost = \"/\"\nauth = {{ login = \"guest\", passcode = \"guest\" }}\n",
        broker.url
    )
}

#[test]
fn a_flow_subscribes_sends_and_reads_the_message_back_through_rabbitmq() {
    let Some(broker) = broker() else { return };
    let queue = format!("/queue/{}", unique("flow"));
    let flow = format!(
        r#"{request}
[[step]]
send = "sub {queue}"
[[step]]
expect = {{ jq = '.command == "RECEIPT" and .headers["receipt-id"] == "0"', within = "5s" }}
[[step]]
send = "send {queue} hello"
[[step]]
expect = {{ regex = "hello", within = "5s" }}
[[step]]
send = """send {queue}
{{"n": 1,
 "unit": "C"}}"""
[[step]]
expect = {{ jq = '.destination == "{queue}" and .payload.n == 1 and .headers["content-type"] == "application/json"', within = "5s" }}
"#,
        request = request_block(broker)
    );
    let (code, out) = common::run_flow(&flow);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn client_ack_holds_a_message_until_it_is_acknowledged() {
    let Some(broker) = broker() else { return };
    let queue = format!("/queue/{}", unique("acks"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(publish(broker, &queue, "m1"));
    let request = request_block(broker);
    // Received and not acknowledged: the broker gives it back when the
    // subscriber leaves.
    let unacked = format!(
        "{request}\n[[step]]\nsend = \"sub {queue} ack=client-individual\"\n[[step]]\nexpect = {{ jq = '.payload == \"m1\"', within = \"5s\" }}\n"
    );
    let (code, out) = common::run_flow(&unacked);
    assert_eq!(code, Some(0), "{out}");
    let acked = format!(
        r#"{request}
[[step]]
send = "sub {queue} ack=client-individual"
[[step]]
expect = {{ jq = '.payload == "m1" and .headers.redelivered == "true"', within = "5s" }}
capture = {{ id = ".headers.ack" }}
[[step]]
send = "ack {{{{id}}}}"
[[step]]
expect = {{ jq = '.command == "RECEIPT" and .headers["receipt-id"] == "1"', within = "5s" }}
"#
    );
    let (code, out) = common::run_flow(&acked);
    assert_eq!(code, Some(0), "redelivered, then acknowledged:\n{out}");
    let gone = format!(
        "{request}\n[[step]]\nsend = \"sub {queue} ack=client-individual\"\n[[step]]\nexpect_none = {{ jq = '.payload == \"m1\"', for = \"1500ms\" }}\n"
    );
    let (code, out) = common::run_flow(&gone);
    assert_eq!(code, Some(0), "an acknowledged message is not delivered again:\n{out}");
}

#[test]
fn in_stomp_1_1_a_message_is_acknowledged_by_its_message_id() {
    let Some(broker) = broker() else { return };
    let queue = format!("/queue/{}", unique("acks11"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(publish(broker, &queue, "m1"));
    // accept-version from --auth's extra headers narrows the offer to 1.1;
    // a 1.1 MESSAGE has no `ack` header (1.2 gives one to ack:client).
    let request = format!(
        "[request]\nurl = \"{}\"\nprotocol = \"stomp\"\nvhost = \"/\"\nauth = {{ login = \"guest\", passcode = \"guest\", \"accept-version\" = \"1.1\" }}\n",
        broker.url
    );
    let acked = format!(
        r#"{request}
[[step]]
send = "sub {queue} ack=client"
[[step]]
expect = {{ jq = '.payload == "m1" and (.headers | has("ack") | not)', within = "5s" }}
capture = {{ id = '.headers["message-id"]' }}
[[step]]
send = "ack {{{{id}}}}"
[[step]]
expect = {{ jq = '.command == "RECEIPT" and .headers["receipt-id"] == "1"', within = "5s" }}
"#
    );
    let (code, out) = common::run_flow(&acked);
    assert_eq!(code, Some(0), "acknowledged in 1.1:\n{out}");
    let gone = format!(
        "{}\n[[step]]\nsend = \"sub {queue} ack=client\"\n[[step]]\nexpect_none = {{ jq = '.payload == \"m1\"', for = \"1500ms\" }}\n",
        request_block(broker)
    );
    let (code, out) = common::run_flow(&gone);
    assert_eq!(code, Some(0), "the broker took the 1.1 ACK:\n{out}");
}

#[test]
fn an_error_frame_and_a_refused_login_come_with_the_brokers_words() {
    let Some(broker) = broker() else { return };
    let bad_destination = format!(
        "{}\n[[step]]\nsend = \"sub /nowhere/x\"\n[[step]]\nexpect = {{ jq = '.command == \"ERROR\"', within = \"5s\" }}\n",
        request_block(broker)
    );
    let (code, out) = common::run_flow(&bad_destination);
    assert_eq!(code, Some(0), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let out = common::wscope_in(
        &[
            "test",
            &broker.url,
            "--protocol",
            "stomp",
            "--vhost",
            "/",
            "--auth",
            r#"{"login":"nobody","passcode":"wrong"}"#,
            "-m",
            "sub /queue/x",
        ],
        dir.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("stomp ERROR") && stdout.contains("nobody"), "{stdout}");
    assert!(!stdout.contains("wrong"), "the passcode is never printed: {stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heart_beats_keep_a_quiet_connection_open_both_ways() {
    let Some(broker) = broker() else { return };
    let (handle, mut events) = common::spawn_quiet();
    let mut request = wscope::request::build(&broker.url, &[], &[]).unwrap();
    // RabbitMQ counts heart-beats in whole seconds: a second is its shortest.
    let every = Duration::from_secs(1);
    request.protocol = Protocol {
        kind: ProtocolKind::named("stomp").unwrap(),
        auth: Some(r#"{"login":"guest","passcode":"guest"}"#.into()),
        host: Some("/".into()),
        heartbeat: Some((every, every)),
        ..Protocol::default()
    };
    request.subprotocols = wscope::protocol::stomp::SUBPROTOCOLS.map(str::to_string).to_vec();
    handle.send(ConnCommand::Connect(request));
    common::events_until(
        &mut events,
        "CONNECTED",
        |event| matches!(event, ConnEvent::ProtocolNote { text, .. } if text.contains("connected to RabbitMQ")),
    )
    .await;
    // Five periods of silence from both sides but heart-beats: the broker
    // drops a client whose heart-beats stop for two, and we drop a quiet
    // broker after two.
    let beats = common::quiet_spell(&mut events, every * 5).await;
    assert!(beats >= 4, "the broker's heart-beats were seen: {beats}");
    let queue = format!("/queue/{}", unique("quiet"));
    handle.send(ConnCommand::Send(Outgoing::Text(format!(
        "SUBSCRIBE\ndestination:{queue}\n\n\0"
    ))));
    handle.send(ConnCommand::Send(Outgoing::Text(format!(
        "SEND\ndestination:{queue}\n\nstill here\0"
    ))));
    common::events_until(&mut events, "the message after the quiet spell", |event| {
        matches!(event, ConnEvent::Frame(frame) if String::from_utf8_lossy(&frame.payload).contains("still here"))
    })
    .await;
}

#[test]
fn the_inspector_subscribed_shows_a_message_another_client_published() {
    let Some(broker) = broker() else { return };
    let topic = format!("/topic/{}", unique("tui"));
    let subscribe = format!("sub {topic}");
    let mut pty = common::pty::Pty::spawn_sized(
        &[&STOMP_AS_GUEST[..], &[&broker.url, "-m", &subscribe]].concat(),
        120,
        30,
    );
    pty.wait_for(&["stomp 1.2 connected"]);
    pty.press(b"\n"); // Ctrl-J sends
    // The receipt says the broker has the subscription before anyone publishes.
    pty.wait_for(&["RECEIPT 0"]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(publish(broker, &topic, r#"{"temp": 21.5}"#));
    let screen = pty.wait_for(&["MESSAGE"]);
    assert!(
        screen.contains(&format!("MESSAGE {topic} {{\"temp\":21.5}}")),
        "{screen}"
    );
    assert!(!screen.contains("guest\""), "the passcode is masked on screen");
    pty.press(&[3]); // Ctrl-C
    pty.wait_for_exit();
}

/// sockjs-node (SockJS's reference server) with stomp-broker-js behind it,
/// from `target/test-node` (which `.ci/run` fills with npm); stops when
/// dropped.
struct SockJsBroker {
    port: u16,
    child: std::process::Child,
}

impl Drop for SockJsBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sockjs_broker() -> Option<SockJsBroker> {
    use std::io::BufRead as _;
    let modules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-node/node_modules");
    if !modules.join("stomp-broker-js").exists() {
        eprintln!(
            "skipped: stomp-broker-js is not installed (npm install --prefix target/test-node stomp-broker-js; .ci/run does)"
        );
        return None;
    }
    let mut child = std::process::Command::new("node")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/stomp-sockjs-broker.js"
        ))
        .env("NODE_PATH", &modules)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    let mut lines = std::io::BufReader::new(child.stdout.take()?).lines();
    let port = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("listening ").and_then(|p| p.parse().ok()))?;
    // sockjs-node logs every request: drained so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Some(SockJsBroker { port, child })
}

/// Another client speaking SockJS by hand over tokio-tungstenite: publishes
/// `body` to `destination` through the broker.
async fn publish_over_sockjs(port: u16, destination: &str, body: &str) {
    let url = format!(
        "ws://127.0.0.1:{port}/stomp/000/{}/websocket",
        unique("pub").replace('-', "")
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let wrapped = |frame: String| Message::text(serde_json::json!([frame]).to_string());
    while let Some(Ok(message)) = socket.next().await {
        let text = message.into_text().unwrap_or_default();
        if text.as_str() == "o" {
            socket
                .send(wrapped("CONNECT\naccept-version:1.1\n\n\0".into()))
                .await
                .unwrap();
        } else if text.contains("CONNECTED") {
            let send = format!("SEND\ndestination:{destination}\n\n{body}\0");
            socket.send(wrapped(send)).await.unwrap();
            break;
        }
    }
    let _ = socket.close(None).await;
}

#[test]
fn stomp_inside_sockjs_reaches_a_real_sockjs_server_from_a_base_url_or_a_transport_url() {
    let Some(broker) = sockjs_broker() else { return };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let base = format!("url = \"http://127.0.0.1:{}/stomp\"\nsockjs = true", broker.port);
    // A transport URL with no --sockjs: the server's `o` tells.
    let transport = format!("url = \"ws://127.0.0.1:{}/stomp/123/abcdefgh/websocket\"", broker.port);
    for (n, request) in [base, transport].into_iter().enumerate() {
        let destination = format!("/queue/sockjs{n}");
        let flow = format!(
            "[request]\n{request}\nprotocol = \"stomp\"\n\n[[step]]\nsend = \"sub {destination}\"\n[[step]]\nexpect = {{ jq = '.payload == \"over sockjs\" and .destination == \"{destination}\"', within = \"8s\" }}\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sockjs.flow.toml");
        std::fs::write(&file, flow).unwrap();
        let mut run = std::process::Command::new(env!("CARGO_BIN_EXE_wscope"))
            .args([
                "run",
                file.to_str().unwrap(),
                "--config-dir",
                dir.path().to_str().unwrap(),
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // stomp-broker-js delivers to subscribers other than the sender, and
        // only once subscribed: publish until the flow has its message.
        let status = loop {
            if let Some(status) = run.try_wait().unwrap() {
                break status;
            }
            runtime.block_on(publish_over_sockjs(broker.port, &destination, "over sockjs"));
            std::thread::sleep(Duration::from_millis(200));
        };
        let mut out = String::new();
        std::io::Read::read_to_string(&mut run.stdout.take().unwrap(), &mut out).unwrap();
        assert!(status.success(), "flow {n}:\n{out}");
    }
}

#[test]
fn a_session_recorded_against_rabbitmq_replays_with_the_passcode_masked_in_the_log() {
    let Some(broker) = broker() else { return };
    let queue = format!("/queue/{}", unique("replayed"));
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("session.ndjson");
    let lines = format!("sub {queue}\nsend {queue} hello replay\n");
    let recorded = common::pipe_lines(
        &broker.url,
        &lines,
        &[&STOMP_AS_GUEST[..], &["--log", log.to_str().unwrap()]].concat(),
    );
    assert!(recorded.contains(r#""payload":"hello replay""#), "{recorded}");
    let written = std::fs::read_to_string(&log).unwrap();
    assert!(
        written.contains("passcode:[masked]") && !written.contains("passcode:guest"),
        "{written}"
    );

    // The broker is not asked: the replay answers from the log. Its CONNECT
    // held the passcode masked, this one in clear, and it still matches.
    let server = common::ReplayServer::start(&log);
    let replayed = common::pipe_lines(&server.url, &lines, &STOMP_AS_GUEST);
    drop(server);
    assert_eq!(
        common::field_values(&replayed, "command"),
        ["CONNECTED", "RECEIPT", "MESSAGE", "RECEIPT"],
        "{replayed}"
    );
    assert!(replayed.contains(r#""payload":"hello replay""#), "{replayed}");
}
