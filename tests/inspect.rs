//! The frames inspector: detail view, filters, search, copy and export.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::ui::{key, type_text};

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use wscope::app::file_requests::StoreReply;
use wscope::app::{App, Focus, InitialRequest};
use wscope::conn::{ConnEvent, ConnState};
use wscope::profile::paths::Paths;
use wscope::record::{Direction, FrameKind, FrameRecord, KvRow};
use wscope::tui::file_worker::Storage;
use wscope::ui;

fn at(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + ms)
}

fn frame(ms: u64, direction: Direction, kind: FrameKind, payload: &[u8]) -> ConnEvent {
    ConnEvent::Frame(FrameRecord {
        at: at(ms),
        direction,
        kind,
        payload: Bytes::copy_from_slice(payload),
    })
}

/// An empty app whose connection is open.
fn open_app() -> App {
    let mut app = App::new(InitialRequest::default(), None);
    app.on_conn_event(ConnEvent::State {
        state: ConnState::Open {
            since: Instant::now(),
            protocol: None,
        },
        at: at(0),
    });
    app
}

/// An app that saw a mix of JSON text, binary and close frames.
fn mixed() -> App {
    let mut app = App::new(
        InitialRequest {
            url: "ws://127.0.0.1:9/feed".into(),
            headers: vec![KvRow::new("api-key", "s3cret")],
            ..InitialRequest::default()
        },
        None,
    );
    app.update(wscope::action::Action::Connect);
    app.on_conn_event(ConnEvent::State {
        state: ConnState::Open {
            since: Instant::now(),
            protocol: None,
        },
        at: at(0),
    });
    app.on_conn_event(frame(
        10,
        Direction::Sent,
        FrameKind::Text,
        br#"{"op":"subscribe","channel":"trades"}"#,
    ));
    app.on_conn_event(frame(
        25,
        Direction::Received,
        FrameKind::Text,
        br#"{"type":"trade","price":150,"qty":2}"#,
    ));
    app.on_conn_event(frame(
        40,
        Direction::Received,
        FrameKind::Text,
        br#"{"type":"quote","bid":99.5}"#,
    ));
    app.on_conn_event(frame(
        55,
        Direction::Received,
        FrameKind::Binary,
        b"\x00\x01binary\xff\xfe payload",
    ));
    app.on_conn_event(frame(
        70,
        Direction::Received,
        FrameKind::Text,
        br#"{"type":"trade","price":50,"qty":1}"#,
    ));
    app.on_conn_event(frame(
        90,
        Direction::Received,
        FrameKind::Close { code: Some(4000) },
        b"asked to",
    ));
    app.update(wscope::action::Action::FocusFrames);
    app
}

fn screen(app: &mut App, width: u16, height: u16) -> String {
    common::ui::screen(app, width, height, Instant::now())
}

/// Selects the `n`-th newest frame (0 is the newest) and opens it.
fn open_nth_newest(app: &mut App, n: usize) {
    app.handle_key(key(KeyCode::End));
    // The first Up selects the newest row.
    for _ in 0..=n {
        app.handle_key(key(KeyCode::Up));
    }
    app.handle_key(key(KeyCode::Enter));
    assert!(app.session().detail.is_some(), "detail opened");
}

#[test]
fn detail_of_json_is_pretty_with_timing() {
    let mut app = mixed();
    open_nth_newest(&mut app, 4);
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("connect +25.0ms"), "{text}");
    assert!(text.contains("reply +15.0ms"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn detail_of_binary_as_hex_then_base64_then_utf8() {
    let mut app = mixed();
    open_nth_newest(&mut app, 2);
    insta::assert_snapshot!("binary_hex", screen(&mut app, 80, 24));
    app.handle_key(key(KeyCode::Char('b')));
    insta::assert_snapshot!("binary_base64", screen(&mut app, 80, 24));
    app.handle_key(key(KeyCode::Char('b')));
    let utf8 = screen(&mut app, 80, 24);
    assert!(
        utf8.contains("␀␁binary\u{fffd}\u{fffd} payload"),
        "invalid bytes are marked:\n{utf8}"
    );
    insta::assert_snapshot!("binary_invalid_utf8", utf8);
}

#[test]
fn detail_of_a_close_frame() {
    let mut app = mixed();
    open_nth_newest(&mut app, 0);
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn jq_filter_narrows_the_view_and_counts() {
    let mut app = mixed();
    let total = app.session().frames.len();
    app.handle_key(key(KeyCode::Char('f')));
    type_text(&mut app, r#"jq: .type == "trade""#);
    app.handle_key(key(KeyCode::Enter));
    let text = screen(&mut app, 80, 24);
    assert!(text.contains(&format!("showing 2 of {total}")), "{text}");
    assert!(text.contains(r#""price":150"#) && text.contains(r#""price":50"#));
    assert!(!text.contains("quote"), "{text}");

    // An invalid expression is explained and the previous filter stays.
    app.handle_key(key(KeyCode::Char('f')));
    for _ in 0..40 {
        app.handle_key(key(KeyCode::Backspace));
    }
    type_text(&mut app, "jq: .type ==");
    app.handle_key(key(KeyCode::Enter));
    assert!(
        app.shared.notice.as_ref().unwrap().text.starts_with("jq:"),
        "{:?}",
        app.shared.notice
    );
    app.handle_key(key(KeyCode::Esc));
    assert_eq!(app.session().visible().len(), 2);

    // New frames are filtered as they arrive.
    app.on_conn_event(frame(
        95,
        Direction::Received,
        FrameKind::Text,
        br#"{"type":"trade","price":1}"#,
    ));
    assert_eq!(app.session().visible().len(), 3);
    app.handle_key(key(KeyCode::Char('c')));
    assert_eq!(app.session().visible().len(), app.session().frames.len());
}

#[test]
fn direction_and_kind_cycle() {
    let mut app = mixed();
    app.handle_key(key(KeyCode::Char('d')));
    assert_eq!(app.session().visible().len(), 1, "sent only");
    app.handle_key(key(KeyCode::Char('d')));
    app.handle_key(key(KeyCode::Char('t')));
    app.handle_key(key(KeyCode::Char('t')));
    assert_eq!(app.session().visible().len(), 1, "received binary only");
    assert!(screen(&mut app, 80, 24).contains("[received · binary]"));
}

#[test]
fn search_highlights_and_steps() {
    let mut app = mixed();
    app.handle_key(key(KeyCode::Char('/')));
    type_text(&mut app, "trade");
    app.handle_key(key(KeyCode::Enter));
    let first = app.session().selected_frame().unwrap().payload.clone();
    assert!(
        std::str::from_utf8(&first).unwrap().contains("trades"),
        "the subscribe message mentions trades"
    );
    app.handle_key(key(KeyCode::Char('n')));
    let second = app.session().selected_frame().unwrap().payload.clone();
    assert!(std::str::from_utf8(&second).unwrap().contains("150"));
    app.handle_key(key(KeyCode::Char('N')));
    assert_eq!(app.session().selected_frame().unwrap().payload, first);
}

#[test]
fn copy_puts_the_payload_on_the_clipboard() {
    let mut app = mixed();
    open_nth_newest(&mut app, 1);
    app.handle_key(key(KeyCode::Char('y')));
    assert_eq!(
        app.shared.clipboard.as_deref(),
        Some(r#"{"type":"trade","price":50,"qty":1}"#)
    );
    // Past the cap, nothing goes to the terminal and the notice names it.
    app.handle_key(key(KeyCode::Esc));
    app.on_conn_event(frame(
        90,
        Direction::Received,
        FrameKind::Text,
        &vec![b'x'; (1 << 20) + 1],
    ));
    app.shared.clipboard = None;
    open_nth_newest(&mut app, 0);
    app.handle_key(key(KeyCode::Char('y')));
    assert_eq!(app.shared.clipboard, None);
    let notice = &app.shared.notice.as_ref().unwrap().text;
    assert!(
        notice.contains("not copied") && notice.contains("1048577 bytes"),
        "{notice}"
    );
}

#[test]
fn exports_parse_hold_every_frame_and_mask_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::new(Paths::under(dir.path()));
    let mut app = mixed();
    for (name, filtered) in [("all.ndjson", false), ("all.har", false), ("trades.ndjson", true)] {
        if filtered {
            app.handle_key(key(KeyCode::Char('f')));
            type_text(&mut app, r#"jq: .type == "trade""#);
            app.handle_key(key(KeyCode::Enter));
        }
        app.handle_key(key(KeyCode::Char(if filtered { 'X' } else { 'x' })));
        let prompt = app.prompt.as_mut().expect("export asks for a file");
        prompt.input = ratatui_textarea::TextArea::new(vec![dir.path().join(name).display().to_string()]);
        app.handle_key(key(KeyCode::Enter));
        for request in app.take_store_requests() {
            let reply = storage.handle(request);
            assert!(matches!(reply, StoreReply::Wrote { .. }), "{reply:?}");
            app.on_store_reply(reply);
        }
    }
    let all = std::fs::read_to_string(dir.path().join("all.ndjson")).unwrap();
    let lines: Vec<serde_json::Value> = all.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 6, "every frame held");
    assert_eq!(lines[3]["opcode"], "binary");
    let har: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("all.har")).unwrap()).unwrap();
    let entry = &har["log"]["entries"][0];
    assert_eq!(entry["request"]["headers"][0]["value"], wscope::export::MASK);
    assert_eq!(entry["_webSocketMessages"].as_array().unwrap().len(), 5);
    assert!(
        !std::fs::read_to_string(dir.path().join("all.har"))
            .unwrap()
            .contains("s3cret")
    );
    let trades = std::fs::read_to_string(dir.path().join("trades.ndjson")).unwrap();
    assert_eq!(
        trades.lines().count(),
        2,
        "the filtered export holds what the filter shows"
    );

    // An existing file is never overwritten.
    app.handle_key(key(KeyCode::Char('x')));
    let prompt = app.prompt.as_mut().unwrap();
    prompt.input = ratatui_textarea::TextArea::new(vec![dir.path().join("all.ndjson").display().to_string()]);
    app.handle_key(key(KeyCode::Enter));
    let reply = storage.handle(app.take_store_requests().remove(0));
    assert!(matches!(reply, StoreReply::Failed { .. }));
    assert_eq!(std::fs::read_to_string(dir.path().join("all.ndjson")).unwrap(), all);
}

#[test]
fn zoom_gives_the_frames_pane_the_screen() {
    let mut app = mixed();
    assert_eq!(app.focus, Focus::Frames);
    app.handle_key(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::ALT));
    let text = screen(&mut app, 80, 24);
    assert!(!text.contains("┌ URL"), "{text}");
    assert!(text.contains("┌ Frames"));
}

#[test]
fn binary_from_hex_base64_and_a_file() {
    use wscope::conn::{ConnCommand, Outgoing};
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::new(Paths::under(dir.path()));
    let mut app = open_app();
    app.update(wscope::action::Action::FocusMessage);
    app.handle_key(key(KeyCode::F(3)));
    type_text(&mut app, "de ad be ef");
    assert!(screen(&mut app, 80, 24).contains("4 B to send"));
    app.handle_key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL));
    assert_eq!(
        app.take_commands(),
        vec![ConnCommand::Send(Outgoing::Binary(Bytes::from_static(&[
            0xde, 0xad, 0xbe, 0xef
        ])))]
    );

    let file = dir.path().join("payload.bin");
    std::fs::write(&file, [1u8, 2, 3]).unwrap();
    app.session_mut().message = ratatui_textarea::TextArea::new(vec![format!("@{}", file.display())]);
    app.handle_key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL));
    for request in app.take_store_requests() {
        let reply = storage.handle(request);
        app.on_store_reply(reply);
    }
    assert_eq!(
        app.take_commands(),
        vec![ConnCommand::Send(Outgoing::Binary(Bytes::from_static(&[1, 2, 3])))]
    );

    app.handle_key(key(KeyCode::F(3)));
    app.session_mut().message = ratatui_textarea::TextArea::new(vec!["not base64!".into()]);
    app.handle_key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL));
    assert!(app.take_commands().is_empty());
    assert!(app.shared.notice.as_ref().unwrap().text.contains("not base64"));
}

#[test]
fn clicks_focus_panes_and_select_rows() {
    let mut app = mixed();
    let screen_area = ratatui::layout::Rect::new(0, 0, 80, 24);
    ui::fit_app(&mut app, screen_area);
    let (focus, row) = ui::hit_test(&app, screen_area, 5, 1).unwrap();
    assert_eq!((focus, row), (Focus::Url, None));
    app.on_click(focus, row);
    assert_eq!(app.focus, Focus::Url);
    // Row 12 is the frames pane's first data row at 80x24 (no header there).
    let (focus, row) = ui::hit_test(&app, screen_area, 20, 12).unwrap();
    assert_eq!((focus, row), (Focus::Frames, Some(0)));
    app.on_click(focus, row);
    assert_eq!(app.focus, Focus::Frames);
    let top = app.session().frames_view.top(&app.session().visible());
    assert_eq!(app.session().frames_view.selected(), top);
    app.on_wheel(false);
    assert!(
        !app.session().frames_view.is_following() || app.session().frames.len() <= app.session().frames_view.height
    );
}

#[test]
fn scheduled_sends_at_the_right_rate_and_stop_cleanly() {
    use wscope::conn::{ConnCommand, Outgoing};
    let mut app = App::new(
        InitialRequest {
            message: "heartbeat".into(),
            ..InitialRequest::default()
        },
        None,
    );
    app.on_conn_event(ConnEvent::State {
        state: ConnState::Open {
            since: Instant::now(),
            protocol: None,
        },
        at: at(0),
    });
    app.handle_key(key(KeyCode::F(4)));
    let prompt = app.prompt.as_mut().expect("asks for the period");
    prompt.input = ratatui_textarea::TextArea::new(vec!["2".into()]);
    app.handle_key(key(KeyCode::Enter));
    let start = app.next_scheduled().expect("running") - Duration::from_secs(2);
    assert!(screen(&mut app, 80, 24).contains("⏱ every 2.00s (0)"));
    // Ticks every half second for 9 seconds: sends at 2, 4, 6 and 8.
    for half in 1..=18 {
        app.on_tick(start + Duration::from_millis(500 * half));
    }
    let sent = app.take_commands();
    assert_eq!(sent, vec![ConnCommand::Send(Outgoing::Text("heartbeat".into())); 4]);
    // A tick that comes late sends once, not a burst.
    app.on_tick(start + Duration::from_secs(30));
    assert_eq!(app.take_commands().len(), 1);
    app.handle_key(key(KeyCode::F(4)));
    assert!(app.next_scheduled().is_none());
    app.on_tick(start + Duration::from_secs(60));
    assert!(app.take_commands().is_empty(), "stopped");
    assert!(app.shared.notice.as_ref().unwrap().text.contains("stopped after 5"));
}

#[test]
fn paired_frames_are_marked_with_their_round_trip() {
    let mut app = mixed();
    app.on_conn_event(frame(
        200,
        Direction::Sent,
        FrameKind::Text,
        br#"{"id":42,"method":"ping"}"#,
    ));
    app.on_conn_event(frame(
        230,
        Direction::Received,
        FrameKind::Text,
        br#"{"id":42,"result":"pong"}"#,
    ));
    let text = screen(&mut app, 80, 24);
    assert!(text.contains(r#"⇄ 30.0ms {"id":42"#), "{text}");
    assert!(
        text.contains(r#"⇄ {"id":42,"method":"ping"}"#),
        "short payloads stay whole:\n{text}"
    );
    assert!(text.contains(r#"⇄ 30.0ms {"id":42,"result":"pong"}"#), "{text}");
    open_nth_newest(&mut app, 0);
    assert!(screen(&mut app, 80, 24).contains("pair ⇄ 30.0ms"));
}

#[test]
fn a_received_frame_loaded_with_e_is_sent_as_it_is() {
    use wscope::conn::{ConnCommand, Outgoing};
    let mut app = open_app();
    let hostile = "{{env:HOME}} @/etc/passwd";
    app.on_conn_event(frame(5, Direction::Received, FrameKind::Text, hostile.as_bytes()));
    app.update(wscope::action::Action::FocusFrames);
    app.handle_key(key(KeyCode::Up));
    app.handle_key(key(KeyCode::Char('e')));
    assert_eq!(app.focus, Focus::Message);
    assert!(
        app.shared.notice.as_ref().unwrap().text.contains("literal"),
        "{:?}",
        app.shared.notice
    );
    app.handle_key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL));
    assert_eq!(
        app.take_commands(),
        vec![ConnCommand::Send(Outgoing::Text(hostile.into()))],
        "no variable expanded"
    );
    // In a binary mode, its @path is not read either.
    app.handle_key(key(KeyCode::F(3)));
    app.session_mut().message = ratatui_textarea::TextArea::new(vec![]);
    app.update(wscope::action::Action::FocusFrames);
    app.on_conn_event(frame(6, Direction::Received, FrameKind::Text, b"@/etc/passwd"));
    app.handle_key(key(KeyCode::End));
    app.handle_key(key(KeyCode::Up));
    app.handle_key(key(KeyCode::Char('e')));
    app.handle_key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL));
    assert!(
        app.take_store_requests()
            .iter()
            .all(|r| !format!("{r:?}").contains("ReadFile"))
    );
    assert!(app.take_commands().is_empty());
    // Once the user edits it, it is their text again.
    app.handle_key(key(KeyCode::End));
    type_text(&mut app, ".bak");
    assert_eq!(
        app.session().binary_status,
        Some(Ok(wscope::app::compose::BinaryInput::File("/etc/passwd.bak".into())))
    );
}

#[test]
fn in_text_mode_an_at_sign_is_just_text() {
    use wscope::conn::{ConnCommand, Outgoing};
    let mut app = open_app();
    app.update(wscope::action::Action::FocusMessage);
    type_text(&mut app, "@/etc/passwd");
    app.handle_key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL));
    assert!(
        app.take_store_requests()
            .iter()
            .all(|r| !format!("{r:?}").contains("ReadFile"))
    );
    assert_eq!(
        app.take_commands(),
        vec![ConnCommand::Send(Outgoing::Text("@/etc/passwd".into()))]
    );
}
