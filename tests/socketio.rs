//! Socket.IO against socketioxide, a real server that no one on the team
//! wrote: the handshake, heartbeats answered next to the socket, emits both
//! ways, a refused namespace, and `wscope test --protocol socketio`.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::events_until;
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::handler::ConnectHandler;
use socketioxide::socket::DisconnectReason;
use tokio::net::TcpListener;
use wscope::conn::{ConnCommand, ConnEvent, ConnState, Outgoing};
use wscope::protocol::{Protocol, ProtocolKind};

/// Why each socket left, as socketioxide saw it.
type Departures = Arc<Mutex<Vec<String>>>;

/// A Socket.IO server that greets each client with `welcome` and answers
/// `chat {text}` with `chat {reply: "srv:" + text}`, pinging every `ping`.
async fn socketio_server(ping: Duration) -> SocketAddr {
    socketio_server_at(ping, None, Departures::default()).await
}

/// The same at a custom path (`req_path`), noting why each socket left.
async fn socketio_server_at(ping: Duration, path: Option<&'static str>, departures: Departures) -> SocketAddr {
    let mut builder = SocketIo::builder().ping_interval(ping).ping_timeout(ping);
    if let Some(path) = path {
        builder = builder.req_path(path);
    }
    let (svc, io) = builder.build_svc();
    // socketioxide sends the CONNECT answer and then spawns the connect
    // handler, so an emit sent the moment the answer arrives could beat
    // handlers registered there and be dropped (a flake seen under CI
    // load). A connect middleware runs before the answer: they go there.
    let register = move |socket: SocketRef| {
        let departures = departures.clone();
        async move {
            socket.on_disconnect(async move |reason: DisconnectReason| {
                departures.lock().unwrap().push(format!("{reason:?}"));
            });
            // Two attachments: the client reassembles them into one event.
            socket.on("getbin", async |socket: SocketRef| {
                let files = ("file", Bytes::from_static(b"hello"), Bytes::from_static(&[0, 1, 2]));
                socket.emit("bin", &files).ok();
            });
            socket.on("hello", async |Data::<Value>(data), ack: AckSender| {
                ack.send(&json!({ "hi": data })).ok();
            });
            socket.on("chat", async |socket: SocketRef, Data::<Value>(data)| {
                let text = data["text"].as_str().unwrap_or_default().to_string();
                socket.emit("chat", &json!({ "reply": format!("srv:{text}") })).ok();
            });
            Ok::<(), std::convert::Infallible>(())
        }
    };
    let welcome = async |socket: SocketRef| {
        socket.emit("welcome", &json!({ "server": "socketioxide" })).ok();
    };
    io.ns("/", welcome.with(register));
    // `/admin` lets in only a CONNECT whose auth payload has the token.
    io.ns("/admin", admin_handler.with(admin_auth));
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

async fn admin_handler(socket: SocketRef) {
    socket.emit("admitted", &json!({ "ns": "/admin" })).ok();
}

#[derive(Debug)]
struct BadToken;

impl std::fmt::Display for BadToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("bad token")
    }
}

async fn admin_auth(Data(auth): Data<Value>) -> Result<(), BadToken> {
    if auth["token"] == "letmein" {
        Ok(())
    } else {
        Err(BadToken)
    }
}

fn request(addr: SocketAddr, namespace: Option<&str>) -> wscope::request::ResolvedRequest {
    let mut request = wscope::request::build(&format!("ws://{addr}/"), &[], &[]).unwrap();
    request.protocol = Protocol {
        kind: ProtocolKind::named("socketio").unwrap(),
        namespace: namespace.map(str::to_string),
        ..Protocol::default()
    };
    request.url = request.protocol.shape_url(request.url);
    request
}

/// Fails if the connection closed or failed among `seen`.
fn assert_still_open(seen: &[ConnEvent]) {
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
}

/// Sends an emit, then waits for a frame containing `answer`.
async fn emit_and_wait(
    conn: &wscope::conn::ConnHandle,
    events: &mut tokio::sync::mpsc::Receiver<ConnEvent>,
    request: &wscope::request::ResolvedRequest,
    emit: &str,
    answer: &str,
) -> Vec<ConnEvent> {
    let emit = request.protocol.encode(emit, &mut 1).unwrap();
    conn.send(ConnCommand::Send(Outgoing::Text(emit)));
    events_until(events, "the answer", |e| text_of(e).is_some_and(|t| t.contains(answer))).await
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
    let seen = emit_and_wait(&conn, &mut events, &request, r#"["chat", {"text": "hi"}]"#, "srv:hi").await;
    assert_still_open(&seen);
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
    let frames: Vec<&wscope::record::FrameRecord> = seen
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

#[tokio::test]
async fn binary_attachments_are_reassembled_into_their_event() {
    let addr = socketio_server(Duration::from_secs(5)).await;
    let (conn, mut events) = common::spawn_quiet();
    let request = request(addr, None);
    conn.send(ConnCommand::Connect(request.clone()));
    common::until_open(&mut events).await;
    let emit = request.protocol.encode(r#"["getbin"]"#, &mut 1).unwrap();
    conn.send(ConnCommand::Send(Outgoing::Text(emit)));
    let seen = events_until(
        &mut events,
        "the reassembled event",
        |e| matches!(e, ConnEvent::ProtocolNote { text, .. } if text.contains("reassembled")),
    )
    .await;
    let Some(ConnEvent::ProtocolNote { text, error: false }) = seen.last() else {
        panic!("{seen:#?}")
    };
    assert_eq!(
        text,
        r#"socket.io event reassembled from 2 binary: ["bin","file","<binary 5 bytes: 68 65 6c 6c 6f>","<binary 3 bytes: 00 01 02>"]"#
    );
    // The frames themselves are all there, as they came.
    let binaries = seen
        .iter()
        .filter(|e| matches!(e, ConnEvent::Frame(f) if f.kind == wscope::record::FrameKind::Binary))
        .count();
    assert_eq!(binaries, 2, "{seen:#?}");
}

#[tokio::test]
async fn keepalives_can_be_shown_both_ways() {
    let addr = socketio_server(Duration::from_millis(200)).await;
    let (conn, mut events) = common::spawn_quiet();
    conn.send(ConnCommand::Connect(request(addr, None)));
    common::until_open(&mut events).await;
    conn.send(ConnCommand::ShowKeepalives(true));
    let seen = events_until(
        &mut events,
        "a shown heartbeat answer",
        |e| matches!(e, ConnEvent::Frame(f) if f.direction == wscope::record::Direction::Sent && &f.payload[..] == b"3"),
    )
    .await;
    assert!(
        seen.iter().any(|e| matches!(e, ConnEvent::Frame(f) if f.direction == wscope::record::Direction::Received && &f.payload[..] == b"2")),
        "{seen:#?}"
    );
}

#[tokio::test]
async fn closing_leaves_the_namespace_first() {
    let departures = Departures::default();
    let addr = socketio_server_at(Duration::from_secs(5), None, departures.clone()).await;
    let (conn, mut events) = common::spawn_quiet();
    conn.send(ConnCommand::Connect(request(addr, None)));
    events_until(
        &mut events,
        "CONNECT",
        |e| matches!(e, ConnEvent::ProtocolNote { text, .. } if text.contains("socket.io connected")),
    )
    .await;
    conn.send(ConnCommand::Close {
        code: 1000,
        reason: "bye".into(),
    });
    let seen = events_until(&mut events, "closed", |e| {
        matches!(
            e,
            ConnEvent::State {
                state: ConnState::Closed { .. },
                ..
            }
        )
    })
    .await;
    assert!(seen.iter().any(|e| text_of(e).as_deref() == Some("41")), "{seen:#?}");
    // socketioxide hangs up on the close frame that follows; the user asked
    // to close, so that is no failure.
    assert!(
        matches!(
            seen.last(),
            Some(ConnEvent::State {
                state: ConnState::Closed {
                    by: wscope::record::Closer::Us,
                    code: None,
                    ..
                },
                ..
            })
        ),
        "{seen:#?}"
    );
    // The server hears of it once it has read the DISCONNECT.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while departures.lock().unwrap().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(*departures.lock().unwrap(), vec!["ClientNSDisconnect".to_string()]);
}

#[tokio::test]
async fn engine_io_3_keeps_a_socket_io_2_session_alive_by_pinging() {
    // socketioxide's `v4` feature speaks the Socket.IO 2 protocol (EIO=3),
    // in which the client pings and the server drops a silent one.
    let ping = Duration::from_millis(300);
    let addr = socketio_server_at(ping, Some("/rt/"), Departures::default()).await;
    let (conn, mut events) = common::spawn_quiet();
    let mut request = wscope::request::build(&format!("ws://{addr}/ignored"), &[], &[]).unwrap();
    request.protocol = Protocol {
        kind: ProtocolKind::named("socketio").unwrap(),
        eio3: true,
        path: Some("/rt/".into()),
        ..Protocol::default()
    };
    request.url = request.protocol.shape_url(request.url);
    assert_eq!(request.url.path(), "/rt/");
    conn.send(ConnCommand::Connect(request.clone()));
    let seen = events_until(&mut events, "the welcome event", |e| {
        text_of(e).is_some_and(|t| t.contains("welcome"))
    })
    .await;
    assert!(
        seen.iter()
            .any(|e| matches!(e, ConnEvent::ProtocolNote { text, .. } if text.contains("engine.io 3 open"))),
        "{seen:#?}"
    );
    tokio::time::sleep(ping * 5).await;
    let seen = emit_and_wait(&conn, &mut events, &request, r#"["chat", {"text": "old"}]"#, "srv:old").await;
    assert_still_open(&seen);
    assert!(
        seen.iter().any(|e| matches!(e, ConnEvent::Hidden(n) if *n >= 3)),
        "the server's pongs were hidden: {seen:#?}"
    );
}

#[tokio::test]
async fn a_namespace_with_auth_lets_the_right_token_in_and_refuses_the_wrong_one() {
    let addr = socketio_server(Duration::from_secs(5)).await;
    for (token, admitted) in [("letmein", true), ("guess", false)] {
        let (conn, mut events) = common::spawn_quiet();
        let mut request = request(addr, Some("admin"));
        request.protocol.auth = Some(json!({ "token": token }).to_string());
        conn.send(ConnCommand::Connect(request));
        let seen = events_until(&mut events, "the namespace's answer", |e| {
            text_of(e).is_some_and(|t| t.contains("admitted"))
                || matches!(e, ConnEvent::ProtocolNote { error: true, .. })
        })
        .await;
        // The token went out, but only its mask is shown.
        assert!(
            seen.iter().any(|e| text_of(e).as_deref() == Some("40/admin,[masked]")),
            "{seen:#?}"
        );
        assert!(!format!("{seen:?}").contains(token), "{seen:#?}");
        let last = seen.last().unwrap();
        if admitted {
            assert_eq!(
                wscope::protocol::socketio::describe(&text_of(last).unwrap()).as_deref(),
                Some(r#"event /admin admitted {"ns":"/admin"}"#)
            );
        } else {
            assert!(
                matches!(last, ConnEvent::ProtocolNote { text, .. } if text.contains("CONNECT_ERROR on /admin") && text.contains("bad token")),
                "{last:#?}"
            );
        }
    }
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
            // The address the JavaScript client would be given.
            &format!("http://{addr}/"),
            "--config-dir",
        ])
        .arg(home.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::{BufRead, Write};
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, r#"["chat",{{"text":"piped"}}]"#).unwrap();
    // Standard input stays open until the answer is in.
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut lines: Vec<Value> = Vec::new();
    while !lines.iter().any(|l| l["event"] == "chat") {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no chat event; got {lines:?}"));
        lines.push(serde_json::from_str(&line).unwrap());
    }
    drop(stdin);
    let status = child.wait().unwrap();
    lines.extend(lines_rx.iter().map(|l| serde_json::from_str::<Value>(&l).unwrap()));
    // Events come out decoded, one JSON object a line; the handshake and
    // the heartbeats do not come out at all.
    assert_eq!(
        lines,
        vec![
            json!({"event":"welcome","args":[{"server":"socketioxide"}],"ns":"/","ack":null}),
            json!({"event":"chat","args":[{"reply":"srv:piped"}],"ns":"/","ack":null}),
        ],
    );
    assert!(status.success(), "{status:?}");
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

/// A flow speaking Socket.IO: `send` emits events and `expect` reads them
/// decoded, so a reply can be captured and sent back.
#[test]
fn a_flow_emits_and_reads_decoded_events() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let addr = runtime.block_on(socketio_server(Duration::from_millis(500)));
    let dir = tempfile::tempdir().unwrap();
    let flow = dir.path().join("chat.flow.toml");
    std::fs::write(
        &flow,
        format!(
            r#"[request]
url = "ws://{addr}/"
protocol = "socketio"
[[step]]
send = '["chat",{{"text":"flow"}}]'
[[step]]
expect = {{ jq = '.event == "chat" and .args[0].reply == "srv:flow"' }}
capture = {{ reply = ".args[0].reply" }}
[[step]]
send = '["chat",{{"text":"{{{{reply}}}}"}}]'
[[step]]
expect = {{ jq = '.args[0].reply == "srv:srv:flow"' }}
"#
        ),
    )
    .unwrap();
    let stdout = common::wscope_ok(&["run", flow.to_str().unwrap()]);
    assert!(stdout.contains("reply=srv:flow"), "{stdout}");
    drop(runtime);
}
