//! `wscope run` and `wscope test` as flows: against jsonrpsee, a JSON-RPC
//! server no one on the team wrote, and a delaying echo server for the
//! timing checks. The JUnit files are read back with quick-xml.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::wscope_in as wscope;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use jsonrpsee::server::{RpcModule, Server, ServerHandle};
use jsonrpsee::types::ErrorObjectOwned;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

/// `login {user}` answers a token, `whoami {token}` the user the token
/// names, and `slow` answers "late" after 150 ms.
async fn auth_server() -> (SocketAddr, ServerHandle) {
    let server = Server::builder().build("127.0.0.1:0").await.unwrap();
    let mut module = RpcModule::new(());
    module
        .register_method("login", |params, _, _| {
            let user = params
                .parse::<Value>()
                .ok()
                .and_then(|p| p["user"].as_str().map(str::to_string));
            match user {
                Some(user) => Ok(format!("tok-{user}-{}", user.len())),
                None => Err(ErrorObjectOwned::owned(-32602, "no user", None::<()>)),
            }
        })
        .unwrap();
    module
        .register_method("whoami", |params, _, _| {
            let token = params
                .parse::<Value>()
                .ok()
                .and_then(|p| p["token"].as_str().map(str::to_string))
                .unwrap_or_default();
            match token.strip_prefix("tok-").and_then(|rest| rest.rsplit_once('-')) {
                Some((user, _)) => Ok(user.to_string()),
                None => Err(ErrorObjectOwned::owned(-32001, "bad token", None::<()>)),
            }
        })
        .unwrap();
    module
        .register_async_method("slow", |_, _, _| async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            "late"
        })
        .unwrap();
    let addr = server.local_addr().unwrap();
    (addr, server.start(module))
}

/// Greets 20 ms after the handshake, then echoes each message 100 ms
/// after it arrives (binary as binary).
async fn delaying_echo() -> common::TestServer {
    common::serve(|stream| async move {
        let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
            return;
        };
        let (mut sink, mut stream) = socket.split();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Message>();
        let greeter = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = greeter.send(Message::text(r#"{"type":"welcome"}"#));
        });
        tokio::spawn(async move {
            while let Some(message) = rx.recv().await {
                if sink.send(message).await.is_err() {
                    return;
                }
            }
        });
        while let Some(Ok(message)) = stream.next().await {
            if matches!(message, Message::Text(_) | Message::Binary(_)) {
                let tx = tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    let _ = tx.send(message);
                });
            }
        }
    })
    .await
}

fn stdout(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const LOGIN_FLOW: &str = r#"
[request]
url = "ws://ADDR/"

[vars]
user = "alice"

[[step]]
json = { jsonrpc = "2.0", id = 1, method = "login", params = { user = "{{user}}" } }
[[step]]
expect = { jq = '.id == 1 and (.result | startswith("tok-"))', within = "2s" }
capture = { token = ".result" }
[[step]]
send = '{"jsonrpc":"2.0","id":2,"method":"whoami","params":{"token":"{{token}}"}}'
[[step]]
name = "the server knows us"
expect = { jq = '.id == 2 and .result == "WHO"', schema = { type = "object", required = ["jsonrpc", "id", "result"] } }
[[step]]
expect_none = { jq = '.error', for = "200ms" }
[[step]]
ping = "are you there"
[[step]]
close = { code = 1000, reason = "done" }
"#;

fn write_flow(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn a_flow_logs_in_captures_the_token_and_sends_it_back() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (addr, _server) = runtime.block_on(auth_server());
    let dir = tempfile::tempdir().unwrap();
    let flow = LOGIN_FLOW.replace("ADDR", &addr.to_string()).replace("WHO", "alice");
    let path = write_flow(dir.path(), "login.flow.toml", &flow);
    let junit = dir.path().join("report.xml");
    let out = wscope(&["run", &path, "--junit", junit.to_str().unwrap()], dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("token=tok-alice-5"), "{text}");
    assert!(text.contains("the server knows us"), "{text}");
    assert!(text.contains("passed: 7 of 7 steps"), "{text}");
    let cases = junit_cases(&std::fs::read_to_string(&junit).unwrap());
    assert_eq!(cases.len(), 7);
    assert!(cases.iter().all(|(_, outcome)| outcome == "passed"), "{cases:?}");

    // --json: one object with every step.
    let out = wscope(&["run", &path, "--json"], dir.path());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["exit_code"], 0);
    let steps = report["flows"][0]["steps"].as_array().unwrap();
    assert_eq!(steps[1]["captured"]["token"], "tok-alice-5");
    assert!(steps[1]["latency_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        steps[3]["frame"]["text"],
        r#"{"jsonrpc":"2.0","id":2,"result":"alice"}"#
    );
}

#[test]
fn a_wrong_expectation_exits_2_and_junit_names_the_step() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (addr, _server) = runtime.block_on(auth_server());
    let dir = tempfile::tempdir().unwrap();
    let flow = LOGIN_FLOW
        .replace("ADDR", &addr.to_string())
        .replace("WHO", "bob")
        .replace(
            r#"required = ["jsonrpc", "id", "result"] }"#,
            r#"required = ["jsonrpc", "id", "result"] }, within = "300ms""#,
        );
    let path = write_flow(dir.path(), "login.flow.toml", &flow);
    let junit = dir.path().join("report.xml");
    let out = wscope(&["run", &path, "--junit", junit.to_str().unwrap()], dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains(r#"frame {"jsonrpc":"2.0","id":2,"result":"alice"}"#),
        "{text}"
    );
    assert!(text.contains("login.flow.toml:15"), "{text}");
    let cases = junit_cases(&std::fs::read_to_string(&junit).unwrap());
    let failed: Vec<&(String, String)> = cases.iter().filter(|(_, o)| o == "failure").collect();
    assert_eq!(failed.len(), 1, "{cases:?}");
    assert!(failed[0].0.contains("the server knows us"), "{cases:?}");
    assert_eq!(cases.iter().filter(|(_, o)| o == "skipped").count(), 3, "{cases:?}");
}

/// Every testcase in a JUnit file, as (name, passed|failure|error|skipped),
/// read by a real XML parser.
fn junit_cases(xml: &str) -> Vec<(String, String)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut cases: Vec<(String, String)> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed JUnit XML") {
            Event::Start(e) | Event::Empty(e) => match e.name().into_inner() {
                "testcase" => {
                    let name = e
                        .try_get_attribute("name")
                        .unwrap()
                        .map(|a| {
                            a.normalized_value(quick_xml::XmlVersion::default())
                                .unwrap()
                                .into_owned()
                        })
                        .unwrap_or_default();
                    cases.push((name, "passed".into()));
                }
                tag @ ("failure" | "error" | "skipped") => {
                    if let Some(last) = cases.last_mut() {
                        last.1 = tag.to_string();
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    cases
}

#[test]
fn within_and_max_latency_are_measured_from_the_send() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (addr, _server) = runtime.block_on(auth_server());
    let dir = tempfile::tempdir().unwrap();
    let slow = |expect: &str| {
        format!(
            "[request]\nurl = \"ws://{addr}/\"\n[[step]]\nsend = '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"slow\"}}'\n[[step]]\nexpect = {{ jq = '.result == \"late\"', {expect} }}\n"
        )
    };
    let cases = [
        ("within = \"40ms\"", 2),
        ("within = \"3s\"", 0),
        ("max_latency = \"40ms\"", 2),
        ("max_latency = \"3s\"", 0),
    ];
    for (expect, code) in cases {
        let path = write_flow(dir.path(), "slow.flow.toml", &slow(expect));
        let out = wscope(&["run", &path, "--json"], dir.path());
        assert_eq!(out.status.code(), Some(code), "{expect}: {}", stdout(&out));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let step = &report["flows"][0]["steps"][1];
        if expect.starts_with("max_latency") {
            assert!(step["latency_ms"].as_f64().unwrap() >= 145.0, "{step}");
        }
    }
}

#[test]
fn test_latency_is_from_the_send_to_the_matching_frame() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(delaying_echo());
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("ws", "/");
    // The greeting arrives 20 ms after the send; the echo 100 ms after it.
    let out = wscope(
        &["test", &url, "-m", "ping-me", "--expect", "ping-me", "--json"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let latency = report["reply_latency_ms"].as_f64().unwrap();
    assert!(latency >= 95.0, "{report}");
    assert_eq!(report["frame"]["text"], "ping-me");

    // Several expectations, in order, each needing --count frames; and a
    // --max-latency the echo cannot meet.
    let out = wscope(
        &[
            "test",
            &url,
            "-m",
            "x",
            "--expect-jq",
            ".type == \"welcome\"",
            "--expect",
            "^x$",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = wscope(
        &[
            "test",
            &url,
            "-m",
            "x",
            "--expect",
            "^x$",
            "--count",
            "2",
            "--timeout",
            "0.5",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).contains("1 of 2 matching frames"), "{}", stdout(&out));
    let junit = dir.path().join("t.xml");
    let out = wscope(
        &[
            "test",
            &url,
            "-m",
            "x",
            "--expect",
            "^x$",
            "--max-latency",
            "20ms",
            "--junit",
            junit.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).contains("over max_latency 20.0ms"), "{}", stdout(&out));
    let cases = junit_cases(&std::fs::read_to_string(&junit).unwrap());
    assert_eq!(cases.last().unwrap().1, "failure", "{cases:?}");
}

#[test]
fn binary_steps_and_http_files_run() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(delaying_echo());
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("ws", "/");
    // MessagePack {"op":"hi"} goes out as binary; the echo is read decoded.
    let flow = format!(
        "[request]\nurl = \"{url}\"\n[[step]]\nbinary = \"hex:81 a2 6f 70 a2 68 69\"\n[[step]]\nexpect = {{ jq = '.op == \"hi\"' }}\n[[step]]\nrepeat = {{ times = 2, steps = [ {{ send = \"n{{{{$seq}}}}\" }}, {{ expect = {{ regex = \"^n[12]$\" }} }} ] }}\n"
    );
    let path = write_flow(dir.path(), "bin.flow.toml", &flow);
    let out = wscope(&["run", &path], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("3.2 (2/2)"), "{}", stdout(&out));

    let http = format!(
        "### echo twice\nWEBSOCKET {url}\nX-Trace: t1\n\nfirst\n===\nsecond\n=== wait-for-server\n=== wait-for-server\n=== wait-for-server\n"
    );
    let path = write_flow(dir.path(), "chat.http", &http);
    let out = wscope(&["run", &path], dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("← first") && text.contains("← second"), "{text}");
}

#[test]
fn an_invalid_flow_exits_3_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_flow(
        dir.path(),
        "bad.flow.toml",
        "[request]\nurl = \"ws://127.0.0.1:1/\"\n\n[[step]]\nsend = \"a\"\nwait = \"1s\"\n",
    );
    let out = wscope(&["run", &path], dir.path());
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("bad.flow.toml:4:1: step 1: a step does one thing"),
        "{}",
        stdout(&out)
    );
    // A refused connection is exit 1.
    let path = write_flow(
        dir.path(),
        "ok.flow.toml",
        "[request]\nurl = \"ws://127.0.0.1:1/\"\n[[step]]\nsend = \"a\"\n",
    );
    let out = wscope(&["run", &path], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
}

/// In the inspector: a session against the feed server is saved with F6
/// as a flow, which then passes both from `wscope run` and from F5 on a
/// live connection. The secret header is not written to the file.
#[tokio::test]
async fn a_session_saved_as_a_flow_passes_against_the_same_server() {
    use common::ui::{ctrl, key, type_text};
    use crossterm::event::KeyCode;
    use wscope::app::{App, InitialRequest};
    use wscope::conn::{ConnCommand, ConnState};
    use wscope::frames::LogEntry;
    use wscope::profile::paths::Paths;
    use wscope::tui::file_worker::Storage;

    let server = common::feed_server().await;
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::new(Paths::under(dir.path()));
    let mut app = App::new(
        InitialRequest {
            url: server.url("ws", "/feed?room=blue"),
            headers: vec![wscope::record::KvRow::new("api-key", "s3cret")],
            message: "hi there".into(),
            ..InitialRequest::default()
        },
        None,
    );
    let (conn, mut events) = common::spawn_quiet();
    async fn pump(
        app: &mut App,
        conn: &wscope::conn::ConnHandle,
        events: &mut tokio::sync::mpsc::Receiver<wscope::conn::ConnEvent>,
        until: &dyn Fn(&App) -> bool,
    ) {
        tokio::time::timeout(common::WAIT, async {
            loop {
                for command in app.take_commands() {
                    conn.send(command);
                }
                if until(app) {
                    return;
                }
                tokio::select! {
                    event = events.recv() => app.on_conn_event(event.expect("connection task alive")),
                    () = tokio::time::sleep(std::time::Duration::from_millis(20)) => app.on_tick(std::time::Instant::now()),
                }
            }
        })
        .await
        .expect("the app reached the expected state");
    }
    let notes = |app: &App| -> String {
        app.session()
            .frames
            .window(app.session().frames.first_seq(), app.session().frames.len())
            .filter_map(|e| match e {
                LogEntry::Note { text, .. } => Some(text.clone()),
                LogEntry::Frame(_) => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let received = |app: &App, needle: &str| {
        app.session()
            .frames
            .window(app.session().frames.first_seq(), app.session().frames.len())
            .any(|e| matches!(e, LogEntry::Frame(f) if String::from_utf8_lossy(&f.payload).contains(needle)))
    };

    app.handle_key(ctrl('o'));
    pump(&mut app, &conn, &mut events, &|a| {
        matches!(a.session().connection.state, ConnState::Open { .. })
    })
    .await;
    app.handle_key(ctrl('j'));
    pump(&mut app, &conn, &mut events, &|a| received(a, "echo:hi there")).await;

    app.handle_key(key(KeyCode::F(6)));
    app.handle_key(key(KeyCode::Home));
    app.handle_key(ctrl('k'));
    type_text(&mut app, "feed-check");
    app.handle_key(key(KeyCode::Enter));
    for request in app.take_store_requests() {
        app.on_store_reply(storage.handle(request));
    }
    let path = dir.path().join("flows/feed-check.flow.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}: {:?}", app.shared.notice));
    assert!(!text.contains("s3cret"), "{text}");
    assert!(text.contains("{{env:API_KEY}}"), "{text}");
    assert!(text.contains(r#"jq = '.type == "hello"'"#), "{text}");
    assert!(text.contains("send = 'hi there'"), "{text}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);

    // The server runs on this test's runtime: wait for wscope off it.
    let (flow_path, config) = (path.clone(), dir.path().to_path_buf());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_wscope"))
            .args(["run", flow_path.to_str().unwrap(), "--config-dir"])
            .arg(config)
            .env("API_KEY", "s3cret")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // Disconnected, F5 connects and runs it (by name) from the first frame.
    app.handle_key(ctrl('o'));
    pump(&mut app, &conn, &mut events, &|a| {
        matches!(a.session().connection.state, ConnState::Closed { .. })
    })
    .await;
    app.handle_key(key(KeyCode::F(5)));
    app.handle_key(key(KeyCode::Home));
    app.handle_key(ctrl('k'));
    type_text(&mut app, "feed-check");
    app.handle_key(key(KeyCode::Enter));
    for request in app.take_store_requests() {
        app.on_store_reply(storage.handle(request));
    }
    pump(&mut app, &conn, &mut events, &|a| {
        a.session().flow.is_none()
            && matches!(a.session().connection.state, ConnState::Open { .. })
            && a.session().pending_flow.is_none()
    })
    .await;
    let log = notes(&app);
    assert!(log.contains("flow feed-check passed: 3 of 3 steps"), "{log}");

    // Connected, F5 asks first: the flow begins by waiting for the
    // greeting, which has gone by. y reconnects and runs it from the start.
    app.handle_key(key(KeyCode::F(5)));
    app.handle_key(key(KeyCode::Enter));
    for request in app.take_store_requests() {
        app.on_store_reply(storage.handle(request));
    }
    assert!(
        matches!(app.confirm, Some(wscope::app::Confirm::FlowOnOpenConnection(_))),
        "{:?}",
        app.shared.notice
    );
    let screen = common::ui::screen(&mut app, 80, 24, std::time::Instant::now());
    assert!(screen.contains("Run the flow from the start?"), "{screen}");
    app.handle_key(key(KeyCode::Char('y')));
    pump(&mut app, &conn, &mut events, &|a| {
        a.session().flow.is_none()
            && a.session().pending_flow.is_none()
            && notes(a).matches("flow feed-check passed").count() == 2
    })
    .await;
    conn.send(ConnCommand::Close {
        code: 1000,
        reason: String::new(),
    });
}
