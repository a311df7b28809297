//! Binary payloads as their reference encoders wrote them (rmp-serde,
//! ciborium, flate2, prost's derive), read back as JSON by `test`, `pipe`
//! and the inspector, with `jq` filters on the decoded value.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::io::Write as _;
use std::time::Duration;

use common::pty::Pty;
use futures_util::SinkExt;
use prost::Message as _;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

/// `market.Trade` of tests/fixtures/trade.proto, as prost derives it.
#[derive(Clone, PartialEq, prost::Message)]
struct Trade {
    #[prost(string, tag = "1")]
    sym: String,
    #[prost(double, tag = "2")]
    px: f64,
    #[prost(uint64, tag = "3")]
    qty: u64,
}

const PROTO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/trade.proto");

fn frames() -> Vec<Vec<u8>> {
    let msgpack = rmp_serde::to_vec_named(&json!({"sym": "MSG", "px": 1.5, "bids": [[1, 2]]})).unwrap();
    let mut cbor = Vec::new();
    ciborium::ser::into_writer(&json!({"sym": "CBO", "px": 2.5}), &mut cbor).unwrap();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(br#"{"sym":"GZP"}"#).unwrap();
    let gzip = gzip.finish().unwrap();
    let protobuf = Trade {
        sym: "PRB".into(),
        px: 3.5,
        qty: 9,
    }
    .encode_to_vec();
    vec![msgpack, cbor, gzip, protobuf]
}

/// A server that sends the four binary frames to each client, then waits.
async fn payload_server() -> common::TestServer {
    common::serve(|stream| async move {
        let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
            return;
        };
        for frame in frames() {
            if socket.send(Message::binary(frame)).await.is_err() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await
}

#[test]
fn test_finds_each_format_by_jq() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(payload_server());
    let url = server.url("ws", "/");
    for sym in ["MSG", "CBO", "GZP", "PRB"] {
        let stdout = common::wscope_ok(&[
            "test",
            &url,
            "--proto",
            PROTO,
            "--expect-jq",
            &format!(r#".sym == "{sym}""#),
            "--timeout",
            "5",
        ]);
        assert!(stdout.contains('✓'), "{sym}: {stdout}");
    }
    // Without the schema, the Protobuf frame is bytes in no known format.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wscope"))
        .args(["test", &url, "--expect-jq", r#".sym == "PRB""#, "--timeout", "1"])
        .args(["--config-dir", tempfile::tempdir().unwrap().path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    drop(server);
}

#[test]
fn pipe_writes_decoded_frames_as_json_lines() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(payload_server());
    let home = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wscope"))
        .args(["pipe", &server.url("ws", "/"), "--proto", PROTO, "--config-dir"])
        .arg(home.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let lines: Vec<serde_json::Value> = std::io::BufRead::lines(stdout)
        .take(4)
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    let syms: Vec<&str> = lines.iter().map(|l| l["sym"].as_str().unwrap()).collect();
    assert_eq!(syms, ["MSG", "CBO", "GZP", "PRB"]);
    assert_eq!(lines[3], json!({"sym": "PRB", "px": 3.5, "qty": "9"}));
    drop(server);
}

#[test]
fn the_inspector_filters_each_format_and_shows_the_protobuf_frame() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(payload_server());
    let url = server.url("ws", "/");
    let mut pty = Pty::spawn(&[&url, "--proto", PROTO, "--ping-interval", "0"], &[], None);
    let screen = pty.wait_for(&["protobuf {"]);
    // Each row previews its decoded value behind its format.
    for row in [
        r#"msgpack {"sym":"MSG""#,
        r#"cbor {"sym":"CBO""#,
        r#"gzip → JSON {"sym":"GZP"}"#,
        r#"protobuf {"sym":"PRB""#,
    ] {
        assert!(screen.contains(row), "{row}:\n{screen}");
    }
    pty.press(b"\x1b5"); // Alt-5: the frames pane
    for sym in ["MSG", "CBO", "GZP", "PRB"] {
        pty.press(b"c");
        pty.press(format!("fjq: .sym == \"{sym}\"\r").as_bytes());
        let title = format!("showing 1 of 6 [jq: .sym == \"{sym}\"]");
        // The title can be drawn before the rows below it have arrived.
        let one_row = |screen: &str| screen.lines().filter(|l| l.contains(" bin ")).count() == 1;
        let filtered = pty.wait_until(&format!("{title} over one row"), |screen| {
            screen.contains(&title) && one_row(screen)
        });
        assert!(filtered.contains(&format!(r#""sym":"{sym}""#)), "{sym}:\n{filtered}");
    }
    // The Protobuf frame in full.
    pty.press(b"\r");
    let detail = pty.wait_for(&["decoded: protobuf"]);
    assert!(detail.contains(r#""sym": "PRB","#), "{detail}");
    assert!(detail.contains(r#""qty": "9""#), "{detail}");
    pty.press(b"b");
    let hex = pty.wait_for(&["hex (b switches)"]);
    assert!(hex.contains("00000000  0a 03 50 52 42"), "{hex}");
    pty.press(b"\x03");
    pty.wait_for_exit();
    drop(server);
}

/// A 32 MB JSON order book, in one text frame: `{"sym":"BIG","bids":[[p,q],…],"asks":…}`.
fn order_book(bytes: usize) -> String {
    let mut text = String::from(r#"{"sym":"BIG","bids":["#);
    let mut level = 0u64;
    while text.len() < bytes / 2 {
        text.push_str(&format!(
            "[{}.{:02},{}],",
            10_000 - level % 10_000,
            level % 100,
            level * 7 % 1000
        ));
        level += 1;
    }
    text.pop();
    text.push_str(r#"],"asks":["#);
    while text.len() < bytes {
        text.push_str(&format!(
            "[{}.{:02},{}],",
            10_000 + level % 10_000,
            level % 100,
            level * 3 % 1000
        ));
        level += 1;
    }
    text.pop();
    text.push_str(r#"],"end":"END-OF-BOOK"}"#);
    text
}

/// A server to try the inspector against by hand: it sends the four
/// binary frames and a 32 MB JSON order book, then waits.
/// `cargo test --release --test payloads serve_by_hand -- --ignored --nocapture`
#[test]
#[ignore = "serves for ten minutes, for trying the inspector by hand"]
fn serve_by_hand() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let book = order_book(32 << 20);
    let server = runtime.block_on(common::serve(move |stream| {
        let book = book.clone();
        async move {
            let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            for frame in frames() {
                let _ = socket.send(Message::binary(frame)).await;
            }
            let _ = socket.send(Message::text(book)).await;
            tokio::time::sleep(Duration::from_secs(600)).await;
        }
    }));
    println!("payload server on {}", server.url("ws", "/"));
    std::thread::sleep(Duration::from_secs(600));
}

#[test]
fn a_32_mb_order_book_opens_at_once_and_reaches_its_end() {
    let book = order_book(32 << 20);
    let record = wscope::record::FrameRecord {
        at: std::time::SystemTime::now(),
        direction: wscope::record::Direction::Received,
        kind: wscope::record::FrameKind::Text,
        payload: bytes::Bytes::from(book),
    };
    let shown = wscope::payload::body(&record, Default::default(), &Default::default());
    let mut body = shown.body;
    assert_eq!(shown.kind, wscope::payload::BodyKind::Json);
    body.index_to(100);
    assert_eq!(body.lines(0, 4), ["{", r#"  "sym": "BIG","#, r#"  "bids": ["#, "    ["]);
    body.index_all();
    let last = body.lines(body.len() - 3, 3);
    assert_eq!(last, ["  ],", r#"  "end": "END-OF-BOOK""#, "}"]);
}
