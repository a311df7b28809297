//! The stats view and `wscope stats`: snapshots of the view with no
//! frames, after a demo-like run and over a recording; Enter on a type in
//! the real binary narrows the frames; the headless tables agree with a
//! count made here over a log the binary recorded from a live server.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use common::pty::Pty;
use common::ui::{key, screen};
use crossterm::event::KeyCode;
use wscope::app::{App, InitialRequest};
use wscope::conn::{ConnEvent, ConnState};
use wscope::record::{Closer, Direction, FrameKind, FrameRecord, HandshakeReport, PhaseTimings};

/// The moment the runs below start: a fixed time, so the snapshots hold.
fn at(millis: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000) + Duration::from_millis(millis)
}

fn frame(millis: u64, direction: Direction, kind: FrameKind, payload: &str) -> ConnEvent {
    ConnEvent::Frame(FrameRecord {
        at: at(millis),
        direction,
        kind,
        payload: Bytes::copy_from_slice(payload.as_bytes()),
    })
}

fn app() -> App {
    App::new(
        InitialRequest {
            url: "ws://127.0.0.1:9001/".into(),
            ..InitialRequest::default()
        },
        None,
    )
}

/// What `wscope demo` shows after half a minute, then closed: the
/// greeting, the sent message and its echo (paired by id), a tick a
/// second, pings; a tick four times the size of the others and a
/// four-second stall in the middle.
fn demo_run() -> App {
    let mut app = app();
    app.update(wscope::action::Action::Connect);
    let since = Instant::now();
    app.on_conn_event(ConnEvent::State {
        state: ConnState::Connecting {
            url: "ws://127.0.0.1:9001/".into(),
            since,
        },
        at: at(0),
    });
    app.on_conn_event(ConnEvent::Handshake(HandshakeReport {
        status: 101,
        headers: vec![],
        protocol: None,
        proxy: None,
        timings: PhaseTimings {
            dns: Duration::from_micros(40),
            tcp: Duration::from_micros(300),
            tls: None,
            upgrade: Duration::from_micros(900),
            total: Duration::from_micros(1_240),
        },
    }));
    app.on_conn_event(ConnEvent::State {
        state: ConnState::Open { since, protocol: None },
        at: at(1),
    });
    let welcome = r#"{"type":"welcome","message":"Hello from the wscope demo server"}"#;
    app.on_conn_event(frame(2, Direction::Received, FrameKind::Text, welcome));
    let hello = r#"{"type":"hello","id":1,"message":"Hello world"}"#;
    app.on_conn_event(frame(500, Direction::Sent, FrameKind::Text, hello));
    app.on_conn_event(frame(521, Direction::Received, FrameKind::Text, hello));
    for second in 1..=30u64 {
        if (12..16).contains(&second) {
            continue;
        }
        let padding = if second == 20 { "x".repeat(200) } else { String::new() };
        let tick = format!(r#"{{"type":"tick","seq":{second},"price":100.{second:02}{padding}}}"#);
        app.on_conn_event(frame(second * 1000, Direction::Received, FrameKind::Text, &tick));
        if second % 5 == 0 {
            app.on_conn_event(frame(
                second * 1000 + 1,
                Direction::Sent,
                FrameKind::Ping,
                "\0\0\0\0\0\0\0\0",
            ));
            app.on_conn_event(frame(
                second * 1000 + 2,
                Direction::Received,
                FrameKind::Pong,
                "\0\0\0\0\0\0\0\0",
            ));
            app.on_conn_event(ConnEvent::Rtt(Duration::from_micros(300 + second * 10)));
        }
    }
    app.on_conn_event(ConnEvent::State {
        state: ConnState::Closed {
            code: Some(1000),
            reason: String::new(),
            by: Closer::Us,
        },
        at: at(30_500),
    });
    app
}

fn open_stats(app: &mut App) {
    app.handle_key(KeyEvent::new(KeyCode::Char('5'), KeyModifiers::ALT));
    app.handle_key(key(KeyCode::Char('s')));
    assert!(app.stats_view.is_some(), "s in the frames pane opens the stats view");
}

use crossterm::event::{KeyEvent, KeyModifiers};

#[test]
fn stats_view_with_no_frames() {
    let mut app = app();
    open_stats(&mut app);
    insta::assert_snapshot!("no_frames_80x24", screen(&mut app, 80, 24, Instant::now()));
    insta::assert_snapshot!("no_frames_140x40", screen(&mut app, 140, 40, Instant::now()));
}

#[test]
fn stats_view_of_a_demo_run() {
    let mut app = demo_run();
    open_stats(&mut app);
    insta::assert_snapshot!("demo_80x24", screen(&mut app, 80, 24, Instant::now()));
    insta::assert_snapshot!("demo_140x40", screen(&mut app, 140, 40, Instant::now()));
    // Sizes, then gaps: the stall is the longest silence.
    app.handle_key(key(KeyCode::Tab));
    insta::assert_snapshot!("demo_sizes_80x24", screen(&mut app, 80, 24, Instant::now()));
    app.handle_key(key(KeyCode::Tab));
    insta::assert_snapshot!("demo_gaps_80x24", screen(&mut app, 80, 24, Instant::now()));
}

#[test]
fn enter_on_a_type_a_size_or_a_gap_leads_to_its_frames() {
    let mut app = demo_run();
    open_stats(&mut app);
    // The most frequent type is first: tick.
    app.handle_key(key(KeyCode::Enter));
    assert!(app.stats_view.is_none(), "Enter closes the view onto the frames");
    let session = app.session();
    assert_eq!(session.filter.describe(), "type tick");
    assert_eq!(session.matches.len(), 26, "the 26 ticks, no other frame");
    // The largest size bucket holds the one padded tick.
    open_stats(&mut app);
    app.handle_key(key(KeyCode::Tab));
    for _ in 0..10 {
        app.handle_key(key(KeyCode::Down));
    }
    app.handle_key(key(KeyCode::Enter));
    assert_eq!(app.session().matches.len(), 1, "{}", app.session().filter.describe());
    // The longest silence ends with the tick after the stall.
    open_stats(&mut app);
    app.handle_key(key(KeyCode::Tab));
    app.handle_key(key(KeyCode::Tab));
    app.handle_key(key(KeyCode::Enter));
    let session = app.session();
    let selected = session.selected_frame().expect("a frame is selected");
    assert!(String::from_utf8_lossy(&selected.payload).contains(r#""seq":16"#));
    assert!(
        session.filter.narrow.is_none(),
        "the narrowing that would hide it is gone"
    );
}

#[test]
fn stats_view_of_a_recording_with_a_clock_that_goes_back() {
    let lines = [
        r#"{"time":"2027-01-15T08:00:00.000Z","direction":"received","opcode":"text","text":"{\"op\":\"snapshot\",\"seq\":1}"}"#,
        r#"{"time":"2027-01-15T08:00:01.000Z","direction":"received","opcode":"text","text":"{\"op\":\"delta\",\"seq\":2}"}"#,
        r#"{"time":"2027-01-15T08:00:00.500Z","direction":"received","opcode":"text","text":"{\"op\":\"delta\",\"seq\":3}"}"#,
        r#"{"time":"2027-01-15T08:02:00.000Z","direction":"received","opcode":"text","text":"{\"op\":\"delta\",\"seq\":4}"}"#,
        r#"{"time":"2027-01-15T08:02:00.000Z","direction":"received","opcode":"binary","base64":"AAEC"}"#,
        r#"{"time":"2027-01-15T08:02:00.000Z","direction":"received","opcode":"text","text":"\u001b[31m{\"op\":\"x\"}"}"#,
        r#"{"time":"2027-01-15T08:02:00.000Z","direction":"received","opcode":"text","text":"{\"op\":\"\\u001b]0;pwned\\u0007\"}"}"#,
    ];
    let recordings = wscope::recording::parse(&lines.join("\n"), "feed.ndjson").expect("a recording");
    let mut app = app();
    app.open_recording(&recordings[0]);
    open_stats(&mut app);
    let shown = screen(&mut app, 80, 24, Instant::now());
    assert!(
        !shown.contains('\u{1b}'),
        "escape sequences are shown as pictures:\n{shown}"
    );
    insta::assert_snapshot!("recording_80x24", shown);
    insta::assert_snapshot!("recording_140x40", screen(&mut app, 140, 40, Instant::now()));
    app.handle_key(key(KeyCode::Tab));
    app.handle_key(key(KeyCode::Tab));
    insta::assert_snapshot!("recording_gaps_80x24", screen(&mut app, 80, 24, Instant::now()));
}

#[test]
fn enter_on_tick_in_the_real_binary_shows_only_ticks() {
    let mut wscope = Pty::spawn_sized(&["demo", "--ping-interval", "0"], 80, 24);
    wscope.wait_for(&["Connected", r#""type":"tick""#]);
    wscope.press(b"\x1b5"); // Alt-5: the frames pane
    wscope.press(b"s");
    wscope.wait_for(&["Stats", "Types", "tick"]);
    // Enter on the first row: the demo's ticks outnumber everything else
    // after the second tick.
    wscope.wait_until("tick is the biggest type", |screen| {
        screen
            .lines()
            .skip_while(|l| !l.contains("type "))
            .nth(1)
            .is_some_and(|l| l.contains("tick"))
    });
    wscope.press(b"\r");
    let screen = wscope.wait_for(&["[type tick]"]);
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("↓ text") || l.contains("↑ text"))
        .collect();
    assert!(!rows.is_empty(), "{screen}");
    assert!(rows.iter().all(|row| row.contains(r#""type":"tick""#)), "{screen}");
    wscope.press(b"\x11"); // Ctrl-Q
    wscope.wait_for_exit();
}

/// The frames of an NDJSON log by type, counted here: each text frame's
/// `.type`, else `text`; other opcodes by name.
fn count_by_type(log: &str) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for line in log.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let Some(opcode) = record["opcode"].as_str() else {
            continue;
        };
        let name = match opcode {
            "text" => serde_json::from_str::<serde_json::Value>(record["text"].as_str().unwrap())
                .ok()
                .and_then(|v| v["type"].as_str().map(str::to_string))
                .unwrap_or_else(|| "text".into()),
            other => other.to_string(),
        };
        *counts.entry(name).or_default() += 1;
    }
    counts
}

#[test]
fn wscope_stats_counts_a_recorded_log_as_a_count_over_the_file_does() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime
        .block_on(wscope::server::DemoServer::start("127.0.0.1:0".parse().unwrap()))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("feed.ndjson");
    let log_arg = log.to_str().unwrap();
    let report = common::wscope_ok(&[
        "test",
        &server.url(),
        "-m",
        r#"{"type":"hello","id":7}"#,
        "--expect",
        "hello",
        "--repeat",
        "5",
        "--json",
        "--ping-interval",
        "0",
        "--log",
        log_arg,
    ]);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["reply_latency_percentiles_ms"]["count"], 5, "{report}");
    let text = std::fs::read_to_string(&log).unwrap();
    let expected = count_by_type(&text);
    let stats: serde_json::Value = serde_json::from_str(&common::wscope_ok(&["stats", log_arg, "--json"])).unwrap();
    let counted: BTreeMap<String, u64> = stats["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["type"].as_str().unwrap().to_string(),
                row["frames"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counted, expected, "{stats}");
    assert_eq!(counted["hello"], 10, "five sent, five echoed");
    // The echoes pair with their sends by id: five round trips.
    let hello = stats["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "hello")
        .unwrap();
    assert_eq!(hello["reply_latency_ms"]["count"], 5, "{stats}");
    let text_report = common::wscope_ok(&["stats", log_arg]);
    assert!(text_report.contains("request→reply pairs: 5"), "{text_report}");
}
