//! Socket.IO against socketioxide, a real server that no one on the team
//! wrote: the handshake, heartbeats answered next to the socket, emits both
//! ways, a refused namespace, and `wscope test --protocol socketio`.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::events_until;
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef};
use tokio::net::TcpListener;
use wscope::conn::{ConnCommand, ConnEvent, ConnState, Outgoing};
use wscope::protocol::{Protocol, ProtocolKind};

/// A Socket.IO server that greets each client with `welcome` and answers
/// `chat {text}` with `chat {reply: "srv:" + text}`, pinging every `ping`.
async fn socketio_server(ping: Duration) -> SocketAddr {
    let (svc, io) = SocketIo::builder().ping_interval(ping).ping_timeout(ping).build_svc();
    io.ns("/", async |socket: SocketRef| {
        socket.emit("welcome", &json!({ "server": "socketioxide" })).ok();
        socket.on("hello", async |Data::<Value>(data), ack: AckSender| {
            ack.send(&json!({ "hi": data })).ok();
        });
        socket.on("chat", async |socket: SocketRef, Data::<Value>(data)| {
            let text = data["text"].as_str().unwrap_or_default().to_string();
            socket.emit("chat", &json!({ "reply": format!("srv:{text}") })).ok();
        });
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let svc = svc.clone();
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, svc)
                    .with_upgrades()
                    .await;
            });
        }
    });
    addr
}

fn request(addr: SocketAddr, namespace: Option<&str>) -> wscope::conn::ResolvedRequest {
    let mut request = wscope::conn::request::build(&format!("ws://{addr}/"), &[], &[]).unwrap();
    request.protocol = Protocol {
        kind: ProtocolKind::SocketIo,
        namespace: namespace.map(str::to_string),
        auth: None,
        ack: false,
    };
    request.url = request.protocol.shape_url(request.url);
    request
}

fn text_of(event: &ConnEvent) -> Option<String> {
    match event {
        ConnEvent::Frame(frame) => Some(String::from_utf8_lossy(&frame.payload).into_owned()),
        _ => None,
    }
}

#[tokio::test]
async fn stays_connected_past_the_heartbeats_and_emits_both_ways() {
    let ping = Duration::from_millis(300);
    let addr = socketio_server(ping).await;
    let (conn, mut events) = common::spawn_quiet();
    let request = request(addr, None);
    assert_eq!(request.url.path(), "/socket.io/");
    conn.send(ConnCommand::Connect(request.clone()));
    let seen = events_until(&mut events, "the welcome event", |e| {
        text_of(e).is_some_and(|t| t.contains("welcome"))
    })
    .await;
    assert!(
        seen.iter().any(
            |e| matches!(e, ConnEvent::ProtocolNote { error: false, text } if text.contains("socket.io connected"))
        ),
        "{seen:#?}"
    );
    // Past three ping intervals (and timeouts) the server would have
    // dropped a client that did not answer.
    tokio::time::sleep(ping * 4).await;
    let emit = request.protocol.encode(r#"["chat", {"text": "hi"}]"#, &mut 1).unwrap();
    conn.send(ConnCommand::Send(Outgoing::Text(emit)));
    let seen = events_until(&mut events, "the chat answer", |e| {
        text_of(e).is_some_and(|t| t.contains("srv:hi"))
    })
    .await;
    assert!(
        !seen.iter().any(|e| matches!(
            e,
            ConnEvent::State {
                state: ConnState::Closed { .. } | ConnState::Failed(_),
                ..
            }
        )),
        "{seen:#?}"
    );
    let hidden = seen.iter().filter_map(|e| match e {
        ConnEvent::Hidden(n) => Some(*n),
        _ => None,
    });
    assert!(
        hidden.max().unwrap_or(0) >= 3,
        "heartbeats were answered and hidden: {seen:#?}"
    );
    // Heartbeats never reach the frames view, in either direction.
    assert!(
        !seen.iter().any(|e| text_of(e).is_some_and(|t| t == "2" || t == "3")),
        "{seen:#?}"
    );
    let answer = seen.iter().rev().find_map(text_of).unwrap();
    assert_eq!(
        wscope::protocol::socketio::describe(&answer).as_deref(),
        Some(r#"event chat {"reply":"srv:hi"}"#)
    );
}

#[tokio::test]
async fn an_emit_asking_for_an_ack_gets_it_and_pairs_with_it() {
    let addr = socketio_server(Duration::from_secs(5)).await;
    let (conn, mut events) = common::spawn_quiet();
    let mut request = request(addr, None);
    request.protocol.ack = true;
    conn.send(ConnCommand::Connect(request.clone()));
    common::until_open(&mut events).await;
    let mut ids = 5;
    let emit = request.protocol.encode(r#"["hello", "there"]"#, &mut ids).unwrap();
    assert_eq!(emit, r#"425["hello","there"]"#);
    conn.send(ConnCommand::Send(Outgoing::Text(emit)));
    let seen = events_until(&mut events, "the ack", |e| {
        text_of(e).is_some_and(|t| t.starts_with("43"))
    })
    .await;
    let ack = seen.iter().rev().find_map(text_of).unwrap();
    assert_eq!(ack, r#"435[{"hi":"there"}]"#);
    // The app pairs the ack with its emit and measures the round trip.
    let mut pairing = wscope::app::pairing::Pairing::new(wscope::app::pairing::PairKey::SocketIoAck);
    let frames: Vec<&wscope::conn::FrameRecord> = seen
        .iter()
        .filter_map(|e| match e {
            ConnEvent::Frame(f) => Some(f),
            _ => None,
        })
        .collect();
    for (seq, frame) in frames.iter().enumerate() {
        pairing.observe(seq as u64, frame);
    }
    assert_eq!(pairing.by_request.len(), 1, "{frames:#?}");
}

#[tokio::test]
async fn a_namespace_the_server_does_not_have_is_refused_by_name() {
    let addr = socketio_server(Duration::from_secs(5)).await;
    let (conn, mut events) = common::spawn_quiet();
    conn.send(ConnCommand::Connect(request(addr, Some("/nope"))));
    let seen = events_until(&mut events, "CONNECT_ERROR", |e| {
        matches!(e, ConnEvent::ProtocolNote { error: true, .. })
    })
    .await;
    let Some(ConnEvent::ProtocolNote { text, .. }) = seen.last() else {
        panic!()
    };
    assert!(text.contains("CONNECT_ERROR on /nope"), "{text}");
}

#[test]
fn jq_reads_the_decoded_event() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let addr = runtime.block_on(socketio_server(Duration::from_millis(500)));
    let url = format!("ws://{addr}/");
    let jq = r#".event == "chat" and .args[0].reply == "srv:jq" and .ns == "/""#;
    common::wscope_ok(&[
        "test",
        "--protocol",
        "socketio",
        &url,
        "-m",
        r#"["chat",{"text":"jq"}]"#,
        "--expect-jq",
        jq,
    ]);
    drop(runtime);
}

#[test]
fn test_exits_0_on_a_matching_event() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let addr = runtime.block_on(socketio_server(Duration::from_millis(500)));
    let url = format!("ws://{addr}/");
    let stdout = common::wscope_ok(&[
        "test",
        "--protocol",
        "socketio",
        &url,
        "-m",
        r#"["chat",{"text":"hi"}]"#,
        "--expect",
        "srv:hi",
    ]);
    assert!(stdout.contains("srv:hi"), "{stdout}");
    drop(runtime);
}

#[test]
fn pipe_sends_lines_as_emits() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let addr = runtime.block_on(socketio_server(Duration::from_millis(500)));
    let home = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wscope"))
        .args([
            "pipe",
            "--protocol",
            "socketio",
            &format!("ws://{addr}/"),
            "--config-dir",
        ])
        .arg(home.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, r#"["chat",{{"text":"piped"}}]"#).unwrap();
        // Standard input stays open until the answer is in.
        std::thread::sleep(Duration::from_millis(800));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(r#"42["chat",{"reply":"srv:piped"}]"#), "{stdout}");
    drop(runtime);
}

/// A reference Socket.IO server to try the inspector against by hand:
/// `cargo test --test socketio serve_by_hand -- --ignored --nocapture`
/// prints its address and serves for ten minutes (ping every second).
#[test]
#[ignore = "serves for ten minutes, for trying the inspector by hand"]
fn serve_by_hand() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let addr = runtime.block_on(socketio_server(Duration::from_secs(1)));
    println!("socket.io server on ws://{addr}/ (pingInterval 1 s)");
    std::thread::sleep(Duration::from_secs(600));
}
