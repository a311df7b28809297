//! Recordings read back: `wscope open` (the app side, and the listing of a
//! HAR's connections), `serve --replay` and `replay --diff` against
//! servers started here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::wscope_in as wscope;

use std::path::Path;
use std::process::{Command, Output};

use wscope::app::{App, InitialRequest};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_chrome_har_opens_with_its_request_and_messages() {
    let recordings = wscope::recording::load(Path::new(&fixture("chrome.har"))).unwrap();
    let mut app = App::new(InitialRequest::default(), None);
    app.open_recording(&recordings[0]);
    assert_eq!(app.session().url_text(), "wss://stream.example.com/v1/feed");
    assert_eq!(
        app.session().frames.counters().frames_in + app.session().frames.counters().frames_out,
        4
    );
    let screen = common::ui::screen(&mut app, 100, 30, std::time::Instant::now());
    assert!(
        screen.contains("Recording (") && screen.contains("4 frames"),
        "{screen}"
    );
    assert!(screen.contains(r#"{"op":"subscribe","symbol":"WSC"}"#), "{screen}");
    assert!(screen.contains("room"), "the query is a param row:\n{screen}");
}

/// The Chrome fixture with `extra` more WebSocket connections, each on
/// its own path (`/v2/other1`, …).
fn har_with_connections(dir: &Path, extra: usize) -> std::path::PathBuf {
    let mut har: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("chrome.har")).unwrap()).unwrap();
    let entries = har["log"]["entries"].as_array_mut().unwrap();
    let model = entries[1].clone();
    for n in 1..=extra {
        let mut more = model.clone();
        more["request"]["url"] = format!("wss://stream.example.com/v2/other{n}").into();
        entries.push(more);
    }
    let path = dir.join(format!("{}.har", extra + 1));
    std::fs::write(&path, har.to_string()).unwrap();
    path
}

/// Each of a HAR's connections opens in a tab of its own, and the merged
/// timeline shows them together.
#[test]
fn a_har_with_several_connections_opens_a_tab_each() {
    let dir = tempfile::tempdir().unwrap();
    let path = har_with_connections(dir.path(), 1);
    let config = dir.path().to_str().unwrap();
    let mut pty = common::pty::Pty::spawn_sized(&["open", path.to_str().unwrap(), "--config-dir", config], 100, 30);
    pty.wait_for(&[
        "1 stream.example.com/v1/feed",
        "2 stream.example.com/v2/other1",
        "Recording (",
    ]);
    pty.press(b"\x1bm"); // Alt-m
    pty.wait_for(&["Timeline every tab (2)"]);
    pty.press(b"\x03");
    pty.wait_for_exit();
}

/// A HAR with more connections than tabs are opened for is listed, to
/// pick one with --entry.
#[test]
fn a_har_with_many_connections_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = har_with_connections(dir.path(), 16);
    let out = wscope(&["open", path.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("holds 17 WebSocket connections"), "{text}");
    assert!(
        text.contains(" 1  wss://stream.example.com/v1/feed?room=blue  (4 frames"),
        "{text}"
    );
    assert!(text.contains(" 2  wss://stream.example.com/v2/other1"), "{text}");
    let out = wscope(&["open", path.to_str().unwrap(), "--entry", "30"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--entry 30"));
    let out = wscope(&["open", "/nonexistent/x.har"], dir.path());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/x.har"));
}

mod replay_server {
    use std::sync::Mutex;
    use std::time::{Duration, Instant, UNIX_EPOCH};

    use bytes::Bytes;
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use wscope::record::{Direction, FrameKind, FrameRecord};
    use wscope::recording::Recording;
    use wscope::replay::serve::{ReplayOptions, ReplayServer};
    use wscope::replay::{MatchRule, Script, Timing};

    static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

    fn log(line: &str) {
        LOG.lock().unwrap().push(line.to_string());
    }

    fn recording(frames: &[(u64, Direction, &str)]) -> Recording {
        Recording {
            source: "test".into(),
            url: "ws://example/".into(),
            headers: Vec::new(),
            subprotocol: Some("feed.v1".into()),
            status: Some(101),
            rejection_body: None,
            frames: frames
                .iter()
                .map(|(ms, direction, text)| FrameRecord {
                    at: UNIX_EPOCH + Duration::from_millis(1_000_000 + ms),
                    direction: *direction,
                    kind: FrameKind::Text,
                    payload: Bytes::copy_from_slice(text.as_bytes()),
                })
                .collect(),
        }
    }

    fn options(gated: bool, timing: Timing) -> ReplayOptions {
        ReplayOptions {
            gated,
            rule: MatchRule::parse("exact").unwrap(),
            timing,
            looping: false,
            subprotocol: Some("feed.v1".into()),
            rejection: None,
        }
    }

    async fn next_text(
        socket: &mut tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
        within: Duration,
    ) -> Option<String> {
        match tokio::time::timeout(within, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => Some(text.to_string()),
            _ => None,
        }
    }

    /// Several recorded connections are served at once, each at its
    /// recorded path; another path is refused, naming the ones served.
    #[tokio::test]
    async fn each_recorded_path_gets_its_own_recording() {
        use Direction::Received;
        use wscope::replay::serve::Route;
        let route = |path: &str, greeting: &str| Route {
            path: path.into(),
            script: Script::of(&recording(&[(0, Received, greeting)])),
            options: options(true, Timing::Fast),
        };
        let server = ReplayServer::start_routes(
            "127.0.0.1:0".parse().unwrap(),
            vec![route("/v1/feed", "feed here"), route("/v2/other", "other here")],
            log,
        )
        .await
        .unwrap();
        let base = server.url();
        for (path, greeting) in [("v2/other", "other here"), ("v1/feed", "feed here")] {
            let (mut socket, _) = tokio_tungstenite::connect_async(format!("{base}{path}")).await.unwrap();
            assert_eq!(
                next_text(&mut socket, Duration::from_secs(2)).await.as_deref(),
                Some(greeting)
            );
        }
        match tokio_tungstenite::connect_async(format!("{base}elsewhere")).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 404);
                let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).into_owned();
                assert!(body.contains("this replay serves /v1/feed, /v2/other"), "{body}");
            }
            other => panic!("expected a 404, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_server_waits_for_each_recorded_client_message() {
        use Direction::{Received, Sent};
        let script = Script::of(&recording(&[
            (0, Received, "hello"),
            (100, Sent, "sub"),
            (110, Received, "ok"),
            (150, Received, "tick1"),
            (300, Sent, "bye"),
            (310, Received, "ciao"),
        ]));
        let server = ReplayServer::start("127.0.0.1:0".parse().unwrap(), script, options(true, Timing::Fast), log)
            .await
            .unwrap();
        let (mut socket, _) = tokio_tungstenite::connect_async(server.url()).await.unwrap();
        let short = Duration::from_millis(200);
        assert_eq!(next_text(&mut socket, short * 10).await.as_deref(), Some("hello"));
        assert_eq!(
            next_text(&mut socket, short).await,
            None,
            "gated until the client speaks"
        );
        socket.send(Message::text("something else")).await.unwrap();
        assert_eq!(next_text(&mut socket, short).await, None, "not the recorded message");
        socket.send(Message::text("sub")).await.unwrap();
        assert_eq!(next_text(&mut socket, short * 10).await.as_deref(), Some("ok"));
        assert_eq!(next_text(&mut socket, short * 10).await.as_deref(), Some("tick1"));
        socket.send(Message::text("bye\n")).await.unwrap();
        assert_eq!(next_text(&mut socket, short * 10).await.as_deref(), Some("ciao"));
        let lines = LOG.lock().unwrap().join("\n");
        assert!(
            lines.contains("sent something else, which matches nothing: waiting for sub"),
            "{lines}"
        );
        assert!(lines.contains("sent recorded message 2/2"), "{lines}");
    }

    #[tokio::test]
    async fn ungated_frames_keep_their_timeline_scaled() {
        use Direction::{Received, Sent};
        let script = Script::of(&recording(&[
            (0, Received, "a"),
            (100, Sent, "x"),
            (600, Received, "b"),
        ]));
        let server = ReplayServer::start(
            "127.0.0.1:0".parse().unwrap(),
            script,
            options(false, Timing::parse("x2").unwrap()),
            log,
        )
        .await
        .unwrap();
        let (mut socket, _) = tokio_tungstenite::connect_async(server.url()).await.unwrap();
        let wait = Duration::from_secs(3);
        assert_eq!(next_text(&mut socket, wait).await.as_deref(), Some("a"));
        let start = Instant::now();
        assert_eq!(
            next_text(&mut socket, wait).await.as_deref(),
            Some("b"),
            "no client message needed"
        );
        // 600 ms recorded, played twice as fast: loosely 300 ms.
        let gap = start.elapsed();
        assert!(
            gap > Duration::from_millis(200) && gap < Duration::from_millis(550),
            "{gap:?}"
        );
    }

    #[tokio::test]
    async fn the_recorded_subprotocol_and_rejection_are_replayed() {
        let script = Script::of(&recording(&[(0, Direction::Received, "hi")]));
        let server = ReplayServer::start(
            "127.0.0.1:0".parse().unwrap(),
            script.clone(),
            options(true, Timing::Fast),
            log,
        )
        .await
        .unwrap();
        let mut request = server.url().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("sec-websocket-protocol", "other, feed.v1".parse().unwrap());
        let (_, response) = tokio_tungstenite::connect_async(request).await.unwrap();
        assert_eq!(response.headers()["sec-websocket-protocol"], "feed.v1");

        let rejecting = ReplayOptions {
            rejection: Some((401, "missing api key".into())),
            ..options(true, Timing::Fast)
        };
        let server = ReplayServer::start("127.0.0.1:0".parse().unwrap(), script, rejecting, log)
            .await
            .unwrap();
        match tokio_tungstenite::connect_async(server.url()).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 401);
                let body = response
                    .body()
                    .as_deref()
                    .map(String::from_utf8_lossy)
                    .unwrap_or_default();
                assert_eq!(body, "missing api key");
            }
            other => panic!("not rejected: {other:?}"),
        }
    }
}

mod replay_diff {
    use super::*;

    /// NDJSON lines for `frames`: (milliseconds, "sent"/"received", text).
    fn ndjson(frames: &[(u64, &str, &str)]) -> String {
        frames
            .iter()
            .map(|(ms, direction, text)| {
                serde_json::json!({
                    "time": format!("2026-11-28T10:00:{:02}.{:03}000Z", ms / 1000, ms % 1000),
                    "direction": direction,
                    "opcode": "text",
                    "length": text.len(),
                    "text": text,
                })
                .to_string()
                    + "\n"
            })
            .collect()
    }

    /// A replay server's options: each client message awaited, no gaps.
    fn gated_and_fast() -> wscope::replay::serve::ReplayOptions {
        use wscope::replay::{MatchRule, Timing};
        wscope::replay::serve::ReplayOptions {
            gated: true,
            rule: MatchRule::parse("exact").unwrap(),
            timing: Timing::Fast,
            looping: false,
            subprotocol: None,
            rejection: None,
        }
    }

    /// The servers run on the runtime's worker threads, so waiting here
    /// for the binary holds nothing up.
    fn run_replay(_runtime: &tokio::runtime::Runtime, args: &[&str], dir: &Path) -> Output {
        wscope(args, dir)
    }

    #[test]
    fn a_replay_matches_the_server_it_was_recorded_against() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let server = runtime.block_on(common::feed_server());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.ndjson");
        std::fs::write(
            &path,
            ndjson(&[
                (0, "received", r#"{"type":"hello","server":"feed"}"#),
                (100, "sent", "a"),
                (101, "received", "echo:a"),
                (200, "sent", "b"),
                (201, "received", "echo:b"),
            ]),
        )
        .unwrap();
        let url = server.url("ws", "/feed?room=blue");
        let file = path.to_str().unwrap();
        let out = run_replay(
            &runtime,
            &["replay", file, &url, "-H", "api-key: s3cret", "--diff"],
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
        // Without --diff it prints what came back.
        let out = run_replay(&runtime, &["replay", file, &url, "-H", "api-key: s3cret"], dir.path());
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "{\"type\":\"hello\",\"server\":\"feed\"}\necho:a\necho:b\n"
        );
        // Refused (no api-key): exit 1.
        let out = run_replay(&runtime, &["replay", file, &url, "--diff"], dir.path());
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    }

    /// Of a HAR's connections, replay picks the one recorded at the path it
    /// replays to; served whole by `serve --replay`, each path matches.
    #[test]
    fn a_har_replays_the_connection_recorded_at_the_path() {
        use wscope::replay::Script;
        use wscope::replay::serve::{ReplayServer, Route};
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let entry = |path: &str, greeting: &str| {
            serde_json::json!({
                "request": { "url": format!("ws://example{path}"), "headers": [] },
                "response": { "status": 101, "headers": [] },
                "_webSocketMessages": [
                    { "type": "receive", "time": 1795899852.5, "opcode": 1, "data": greeting }
                ]
            })
        };
        let har = serde_json::json!({ "log": { "entries": [entry("/v1/feed", "feed"), entry("/v2/other", "other")] } });
        let path = dir.path().join("two.har");
        std::fs::write(&path, har.to_string()).unwrap();
        let routes = wscope::recording::load(&path)
            .unwrap()
            .iter()
            .map(|recording| Route {
                path: url::Url::parse(&recording.url).unwrap().path().to_string(),
                script: Script::of(recording),
                options: gated_and_fast(),
            })
            .collect();
        let server = runtime
            .block_on(ReplayServer::start_routes(
                "127.0.0.1:0".parse().unwrap(),
                routes,
                |_| {},
            ))
            .unwrap();
        let file = path.to_str().unwrap();
        for at in ["v1/feed", "v2/other"] {
            let url = format!("{}{at}", server.url());
            let out = run_replay(&runtime, &["replay", file, &url, "--diff", "--wait", "0.3"], dir.path());
            assert_eq!(
                out.status.code(),
                Some(0),
                "{at}: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        // --entry picks another: /v2/other's recording against /v1/feed differs.
        let url = format!("{}v1/feed", server.url());
        let out = run_replay(
            &runtime,
            &["replay", file, &url, "--entry", "2", "--diff", "--wait", "0.3"],
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    }

    #[test]
    fn volatile_fields_can_be_left_out_but_real_changes_fail() {
        use wscope::replay::Script;
        use wscope::replay::serve::ReplayServer;
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let recorded = dir.path().join("recorded.ndjson");
        std::fs::write(
            &recorded,
            ndjson(&[
                (0, "sent", r#"{"op":"get"}"#),
                (10, "received", r#"{"ts":1,"price":5}"#),
                (20, "received", r#"{"ts":2,"price":6}"#),
            ]),
        )
        .unwrap();
        let serve = |answers: [&str; 2]| {
            let text = ndjson(&[
                (0, "sent", r#"{"op":"get"}"#),
                (10, "received", answers[0]),
                (20, "received", answers[1]),
            ]);
            let recording = wscope::recording::parse(&text, "live").unwrap().remove(0);
            let options = gated_and_fast();
            runtime
                .block_on(ReplayServer::start(
                    "127.0.0.1:0".parse().unwrap(),
                    Script::of(&recording),
                    options,
                    |_| {},
                ))
                .unwrap()
        };
        let file = recorded.to_str().unwrap();
        let volatile = serve([r#"{"ts":7,"price":5}"#, r#"{"ts":8,"price":6}"#]);
        let out = run_replay(&runtime, &["replay", file, &volatile.url(), "--diff"], dir.path());
        assert_eq!(out.status.code(), Some(2));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("frame 1 differs"), "{text}");
        assert!(text.contains(r#"recorded │ {"ts":1,"price":5}"#), "{text}");
        assert!(text.contains(r#"received │ {"ts":7,"price":5}"#), "{text}");
        let out = run_replay(
            &runtime,
            &["replay", file, &volatile.url(), "--diff", "--ignore", "jq:del(.ts)"],
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

        let changed = serve([r#"{"ts":7,"price":5}"#, r#"{"ts":8,"price":9}"#]);
        let out = run_replay(
            &runtime,
            &["replay", file, &changed.url(), "--diff", "--ignore", "jq:del(.ts)"],
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stdout).contains("frame 2 differs"));
    }
}

#[test]
fn a_har_imports_as_a_profile() {
    let dir = tempfile::tempdir().unwrap();
    let out = wscope(&["import", &fixture("chrome.har"), "--name", "feed"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("profiles/feed.json")).unwrap()).unwrap();
    assert_eq!(saved["url"], "wss://stream.example.com/v1/feed");
    assert_eq!(saved["params"][0]["key"], "room");
    assert_eq!(saved["headers"].as_array().unwrap().len(), 2);
    assert_eq!(
        saved["saved_messages"][0]["body"],
        r#"{"op":"subscribe","symbol":"WSC"}"#
    );
    assert_eq!(saved["subprotocols"][0], "feed.v1");
    // Not twice without --force.
    let again = wscope(&["import", &fixture("chrome.har"), "--name", "feed"], dir.path());
    assert_eq!(again.status.code(), Some(1));
}

/// A session recorded with `--log` (text and binary both ways) reads back
/// frame for frame, and so does its HAR export.
#[test]
fn a_logged_session_reads_back_frame_for_frame() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use wscope::record::{Direction, FrameKind};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(common::serve(|stream| async move {
        let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
            return;
        };
        let _ = socket.send(Message::text("greeting")).await;
        let _ = socket.send(Message::binary(vec![0u8, 1, 2, 255, 0x80])).await;
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Text(text) = message {
                let _ = socket.send(Message::text(format!("echo:{text}"))).await;
            }
        }
    }));
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("session.ndjson");
    let mut child = Command::new(env!("CARGO_BIN_EXE_wscope"))
        .args([
            "pipe",
            &server.url("ws", "/"),
            "--linger",
            "0.3",
            "--ping-interval",
            "0",
            "--log",
        ])
        .arg(&log)
        .arg("--config-dir")
        .arg(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"one\n").unwrap();
    }
    assert!(child.wait().unwrap().success());
    let recording = wscope::recording::load(&log).unwrap().remove(0);
    let data: Vec<(Direction, FrameKind, Vec<u8>)> = recording
        .frames
        .iter()
        .filter(|f| matches!(f.kind, FrameKind::Text | FrameKind::Binary))
        .map(|f| (f.direction, f.kind, f.payload.to_vec()))
        .collect();
    assert_eq!(
        data,
        [
            (Direction::Received, FrameKind::Text, b"greeting".to_vec()),
            (Direction::Received, FrameKind::Binary, vec![0, 1, 2, 255, 0x80]),
            (Direction::Sent, FrameKind::Text, b"one".to_vec()),
            (Direction::Received, FrameKind::Text, b"echo:one".to_vec()),
        ]
    );
    assert_eq!(recording.url, server.url("ws", "/"));
    // Exported as HAR and read again: the same data frames.
    let har = wscope::export::har(
        None,
        None,
        None,
        recording.frames.iter(),
        true,
        &wscope::decode::FrameDecoder::default(),
    );
    let again = wscope::recording::parse(&har, "again.har").unwrap().remove(0);
    let data_again: Vec<(Direction, FrameKind, Vec<u8>)> = again
        .frames
        .iter()
        .map(|f| (f.direction, f.kind, f.payload.to_vec()))
        .collect();
    assert_eq!(data_again, data);
}

/// A rejection recorded by `--log` (status and body) is replayed by
/// `serve --replay --reject-as-recorded`, as a client sees it.
#[test]
fn a_logged_rejection_is_replayed() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(common::feed_server());
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("rejected.ndjson");
    let out = wscope(
        &["test", &server.url("ws", "/feed"), "--log", log.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    let recording = wscope::recording::load(&log).unwrap().remove(0);
    assert_eq!(recording.status, Some(401));
    let options = wscope::replay::serve::ReplayOptions {
        gated: true,
        rule: wscope::replay::MatchRule::Exact,
        timing: wscope::replay::Timing::Fast,
        looping: false,
        subprotocol: None,
        rejection: Some((401, recording.rejection_body.clone().unwrap())),
    };
    let replay = runtime
        .block_on(wscope::replay::serve::ReplayServer::start(
            "127.0.0.1:0".parse().unwrap(),
            wscope::replay::Script::of(&recording),
            options,
            |_| {},
        ))
        .unwrap();
    // wscope itself, as a client, sees the recorded rejection and its body.
    let out = wscope(&["test", &replay.url(), "--json"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = report["error"].as_str().unwrap();
    assert!(
        error.contains("401") && error.contains("missing api key or room"),
        "{error}"
    );
}

#[test]
fn a_looping_replay_starts_over() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let text = "{\"time\":\"2026-11-28T10:00:00.000Z\",\"direction\":\"received\",\"opcode\":\"text\",\"length\":5,\"text\":\"hello\"}\n\
                {\"time\":\"2026-11-28T10:00:00.100Z\",\"direction\":\"sent\",\"opcode\":\"text\",\"length\":3,\"text\":\"sub\"}\n\
                {\"time\":\"2026-11-28T10:00:00.110Z\",\"direction\":\"received\",\"opcode\":\"text\",\"length\":2,\"text\":\"ok\"}\n";
    let recording = wscope::recording::parse(text, "loop").unwrap().remove(0);
    let options = wscope::replay::serve::ReplayOptions {
        gated: true,
        rule: wscope::replay::MatchRule::Exact,
        timing: wscope::replay::Timing::Fast,
        looping: true,
        subprotocol: None,
        rejection: None,
    };
    runtime.block_on(async {
        let server = wscope::replay::serve::ReplayServer::start(
            "127.0.0.1:0".parse().unwrap(),
            wscope::replay::Script::of(&recording),
            options,
            |_| {},
        )
        .await
        .unwrap();
        let (mut socket, _) = tokio_tungstenite::connect_async(server.url()).await.unwrap();
        let mut seen = Vec::new();
        for _ in 0..2 {
            let Some(Ok(Message::Text(t))) = socket.next().await else {
                panic!("closed")
            };
            seen.push(t.to_string());
            socket.send(Message::text("sub")).await.unwrap();
            let Some(Ok(Message::Text(t))) = socket.next().await else {
                panic!("closed")
            };
            seen.push(t.to_string());
        }
        assert_eq!(seen, ["hello", "ok", "hello", "ok"]);
    });
}
