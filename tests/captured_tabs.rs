//! Captured connections in the inspector: a tab per connection, read as
//! its URL says, both directions shown, interception driven by keys.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::{Instant, SystemTime};

use bytes::Bytes;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use wscope::app::captures::CapturedTab;
use wscope::app::{App, InitialRequest};
use wscope::conn::{CaptureCommand, ConnCommand, ConnEvent, ConnState};
use wscope::record::{Direction, FrameKind, FrameRecord};

fn frame(direction: Direction, text: &str) -> FrameRecord {
    FrameRecord {
        at: SystemTime::now(),
        direction,
        kind: FrameKind::Text,
        payload: Bytes::copy_from_slice(text.as_bytes()),
    }
}

fn alt(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT)
}

/// An app as `wscope proxy` starts it, with one captured Socket.IO connection.
fn proxy_with_capture() -> (App, u64) {
    let mut app = App::new(InitialRequest::default(), None);
    app.become_listener("proxy :8899");
    let tab = app.open_captured(CapturedTab {
        id: 1,
        url: "ws://127.0.0.1:9001/socket.io/?EIO=4&transport=websocket".into(),
        client: "127.0.0.1:50000".into(),
        request_headers: vec![
            ("Host".into(), "127.0.0.1:9001".into()),
            ("Cookie".into(), "sid=secret".into()),
        ],
    });
    app.on_tab_event(
        tab,
        ConnEvent::state(ConnState::Open {
            since: Instant::now(),
            protocol: None,
        }),
    );
    (app, tab)
}

#[test]
fn a_socketio_app_through_the_proxy_shows_its_events_decoded_both_ways() {
    let (mut app, tab) = proxy_with_capture();
    app.on_tab_event(
        tab,
        ConnEvent::Frames(vec![
            frame(
                Direction::Received,
                r#"0{"sid":"a","upgrades":[],"pingInterval":25000,"pingTimeout":20000}"#,
            ),
            frame(Direction::Sent, "40"),
            frame(Direction::Sent, r#"42["chat","from the client"]"#),
            frame(Direction::Received, r#"42["reply","from the server"]"#),
        ]),
    );
    let screen = common::ui::screen(&mut app, 100, 30, Instant::now());
    assert!(
        screen.contains("⇄ 127.0.0.1/socket.io/"),
        "the tab is named with ⇄:\n{screen}"
    );
    assert!(
        screen.contains(r#"↑ text"#) && screen.contains(r#"event chat "from the client""#),
        "{screen}"
    );
    assert!(screen.contains(r#"event reply "from the server""#), "{screen}");
    assert!(
        !screen.contains("sid=secret"),
        "the client's cookie is masked:\n{screen}"
    );
}

#[test]
fn a_held_frame_is_edited_in_the_composer_and_forwarded_by_ctrl_j() {
    let (mut app, tab) = proxy_with_capture();
    app.on_tab_event(tab, ConnEvent::Frames(vec![frame(Direction::Sent, r#"{"amount":1}"#)]));
    app.on_tab_event(
        tab,
        ConnEvent::Held {
            id: 7,
            frame: frame(Direction::Sent, r#"{"amount":1}"#),
        },
    );
    let screen = common::ui::screen(&mut app, 100, 30, Instant::now());
    assert!(screen.contains("HELD ↑ #7"), "{screen}");
    assert_eq!(app.session().message_text(), r#"{"amount":1}"#);
    app.handle_key(alt('2'));
    app.handle_key(common::ui::key(KeyCode::End));
    app.handle_key(common::ui::key(KeyCode::Left));
    app.handle_key(common::ui::key(KeyCode::Backspace));
    common::ui::type_text(&mut app, "1000");
    app.handle_key(common::ui::ctrl('j'));
    let commands = app.take_tab_commands();
    assert_eq!(
        commands,
        vec![(
            tab,
            ConnCommand::Capture(CaptureCommand::Release {
                id: 7,
                edited: Some(wscope::conn::Outgoing::Text(r#"{"amount":1000}"#.into())),
            })
        )]
    );
}

#[test]
fn alt_x_drops_and_alt_j_sends_to_the_client() {
    let (mut app, tab) = proxy_with_capture();
    app.on_tab_event(
        tab,
        ConnEvent::Held {
            id: 3,
            frame: frame(Direction::Received, "held"),
        },
    );
    app.handle_key(alt('x'));
    assert_eq!(
        app.take_tab_commands(),
        vec![(tab, ConnCommand::Capture(CaptureCommand::Drop { id: 3 }))]
    );
    app.on_tab_event(
        tab,
        ConnEvent::Released {
            id: 3,
            outcome: wscope::conn::HoldOutcome::Dropped,
        },
    );
    app.handle_key(alt('2'));
    // Spoken as the tab's protocol: a Socket.IO emit.
    common::ui::type_text(&mut app, r#"["note","to the client"]"#);
    app.handle_key(alt('j'));
    assert_eq!(
        app.take_tab_commands(),
        vec![(
            tab,
            ConnCommand::Capture(CaptureCommand::SendToClient(wscope::conn::Outgoing::Text(
                r#"42["note","to the client"]"#.into()
            )))
        )]
    );
}

#[test]
fn a_captured_request_never_becomes_a_draft_or_a_workspace_tab() {
    let (mut app, _) = proxy_with_capture();
    // The capture is shown, its panes full of the client's request.
    assert!(app.session().capture.is_some());
    assert!(
        app.autosave_request().is_none(),
        "the client's cookie is not ours to save"
    );
    let exit = format!("{:?}", app.exit_requests());
    assert!(!exit.contains("sid=secret") && exit.contains("DiscardDraft"), "{exit}");
    let workspace = app.workspace();
    assert_eq!(workspace.tabs.len(), 1, "only the listener's tab");
    assert_eq!(workspace.active, 0);
}

#[test]
fn f6_saves_a_captured_conversation_as_a_flow_of_sends_and_expects() {
    let (mut app, tab) = proxy_with_capture();
    app.on_tab_event(
        tab,
        ConnEvent::Frames(vec![
            frame(Direction::Sent, "42[\"join\",{\"room\":\"r1\"}]"),
            frame(Direction::Received, "42[\"joined\",{\"room\":\"r1\",\"n\":3}]"),
        ]),
    );
    app.handle_key(KeyEvent::new(KeyCode::F(6), KeyModifiers::NONE));
    app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let text = app
        .take_store_requests()
        .into_iter()
        .find_map(|request| match request {
            wscope::app::file_requests::StoreRequest::SaveFlow { text, .. } => Some(text),
            _ => None,
        })
        .expect("F6 then Enter saves a flow");
    assert!(text.contains("join"), "the client's message is a send:\n{text}");
    assert!(text.contains("expect"), "the server's reply is an expect:\n{text}");
    assert!(text.contains("joined"), "{text}");
    assert!(
        !text.contains("sid=secret"),
        "the client's cookie stays out of the file:\n{text}"
    );
}

#[test]
fn the_connections_list_shows_every_capture_at_80x24() {
    let (mut app, first) = proxy_with_capture();
    app.on_tab_event(first, ConnEvent::Frames(vec![frame(Direction::Sent, "42[\"hi\"]")]));
    for id in 2..=12 {
        let tab = app.open_captured(CapturedTab {
            id,
            url: format!("ws://chat.example.test:9001/rooms/lobby-{id}"),
            client: format!("127.0.0.1:{}", 50000 + id),
            request_headers: Vec::new(),
        });
        app.on_tab_event(tab, ConnEvent::Frames(vec![frame(Direction::Received, "{\"n\":1}")]));
        if id % 4 == 0 {
            app.on_tab_event(
                tab,
                ConnEvent::state(ConnState::Failed(wscope::conn::ConnError::Protocol("reset".into()))),
            );
        }
    }
    app.handle_key(alt('l'));
    let screen = common::ui::screen(&mut app, 80, 24, Instant::now());
    assert!(screen.contains("+4 more: Alt-l"), "{screen}");
    assert!(screen.contains("lobby-12"), "the end of a long name shows:\n{screen}");
    insta::assert_snapshot!("connections_list_80x24", screen);
}

#[test]
fn the_connections_list_scrolls_to_the_selection_through_hundreds_of_captures() {
    let (mut app, _first) = proxy_with_capture();
    for id in 2..=300 {
        app.open_captured(CapturedTab {
            id,
            url: format!("ws://chat.example.test:9001/rooms/r{id}"),
            client: format!("127.0.0.1:{}", 40000 + id),
            request_headers: Vec::new(),
        });
    }
    app.handle_key(alt('l'));
    let top = common::ui::screen(&mut app, 80, 24, Instant::now());
    assert!(
        top.contains("Captured connections: 300") && top.contains("#1 "),
        "{top}"
    );
    // Past the end: the selection stops at the last.
    for _ in 0..40 {
        app.handle_key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE));
    }
    let bottom = common::ui::screen(&mut app, 80, 24, Instant::now());
    assert!(bottom.contains("#300 ") && bottom.contains("rooms/r300"), "{bottom}");
    assert!(!bottom.contains("#1 "), "{bottom}");
    // Enter takes the selected (last) one into the tab bar.
    app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let shown = common::ui::screen(&mut app, 80, 24, Instant::now());
    assert!(shown.contains("rooms/r300"), "{shown}");
}
