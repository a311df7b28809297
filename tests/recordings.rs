//! Recordings read back: `wscope open` (the app side, and the listing of a
//! HAR's connections), `serve --replay` and `replay --diff` against
//! servers started here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use wscope::app::{App, InitialRequest};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn wscope(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wscope"))
        .args(args)
        .arg("--config-dir")
        .arg(dir)
        .output()
        .expect("run wscope")
}

#[test]
fn a_chrome_har_opens_with_its_request_and_messages() {
    let recordings = wscope::recording::load(Path::new(&fixture("chrome.har"))).unwrap();
    let mut app = App::new(InitialRequest::default(), None);
    app.open_recording(&recordings[0]);
    assert_eq!(app.url_text(), "wss://stream.example.com/v1/feed");
    assert_eq!(app.frames.counters().frames_in + app.frames.counters().frames_out, 4);
    let screen = common::ui::screen(&mut app, 100, 30, std::time::Instant::now());
    assert!(
        screen.contains("Recording (") && screen.contains("4 frames"),
        "{screen}"
    );
    assert!(screen.contains(r#"{"op":"subscribe","symbol":"WSC"}"#), "{screen}");
    assert!(screen.contains("room"), "the query is a param row:\n{screen}");
}

#[test]
fn a_har_with_several_connections_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut har: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("chrome.har")).unwrap()).unwrap();
    let entries = har["log"]["entries"].as_array_mut().unwrap();
    let mut second = entries[1].clone();
    second["request"]["url"] = "wss://stream.example.com/v2/other".into();
    entries.push(second);
    let path = dir.path().join("two.har");
    std::fs::write(&path, har.to_string()).unwrap();
    let out = wscope(&["open", path.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("holds 2 WebSocket connections"), "{text}");
    assert!(
        text.contains("1  wss://stream.example.com/v1/feed?room=blue  (4 frames"),
        "{text}"
    );
    assert!(text.contains("2  wss://stream.example.com/v2/other"), "{text}");
    let out = wscope(&["open", path.to_str().unwrap(), "--entry", "3"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--entry 3"));
    let out = wscope(&["open", "/nonexistent/x.har"], dir.path());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/x.har"));
}
