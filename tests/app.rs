//! The whole app: scripted input and connection events, rendered on a
//! TestBackend and compared with snapshots, and driven against a real server.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::ui::{ctrl, key, screen, type_text};

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use wscope::app::{App, Focus, InitialRequest};
use wscope::conn::{ConnCommand, ConnError, ConnEvent, ConnState, Outgoing};
use wscope::record::{Closer, Direction, FrameKind, FrameRecord, HandshakeReport, KvRow, PhaseTimings};

fn request() -> InitialRequest {
    InitialRequest {
        url: "ws://127.0.0.1:9001/feed".into(),
        message: r#"{"message":"Hello world"}"#.into(),
        params: vec![KvRow::new("room", "blue")],
        headers: vec![
            KvRow::new("api-key", "s3cret"),
            KvRow::new("Origin", "http://localhost"),
        ],
    }
}

fn app() -> App {
    App::new(request(), Some(Duration::from_secs(5)))
}

fn state(state: ConnState) -> ConnEvent {
    ConnEvent::State {
        state,
        at: SystemTime::UNIX_EPOCH,
    }
}

fn frame(direction: Direction, kind: FrameKind, payload: &str) -> ConnEvent {
    ConnEvent::Frame(FrameRecord {
        at: SystemTime::UNIX_EPOCH,
        direction,
        kind,
        payload: Bytes::copy_from_slice(payload.as_bytes()),
    })
}

fn ms(n: u64) -> Duration {
    Duration::from_micros(n * 1000)
}

fn connected_app(since: Instant) -> App {
    let mut app = app();
    app.update(wscope::action::Action::Connect);
    let commands = app.take_commands();
    assert!(
        matches!(commands.as_slice(), [ConnCommand::Connect(r)] if r.url.as_str() == "ws://127.0.0.1:9001/feed?room=blue")
    );
    app.on_conn_event(state(ConnState::Connecting {
        url: "ws://127.0.0.1:9001/feed?room=blue".into(),
        since,
    }));
    app.on_conn_event(ConnEvent::Handshake(HandshakeReport {
        status: 101,
        headers: vec![],
        protocol: None,
        proxy: None,
        timings: PhaseTimings {
            dns: Duration::from_micros(4),
            tcp: Duration::from_micros(180),
            tls: None,
            upgrade: Duration::from_micros(1_020),
            total: Duration::from_micros(1_204),
        },
    }));
    app.on_conn_event(state(ConnState::Open { since, protocol: None }));
    app.on_conn_event(frame(
        Direction::Received,
        FrameKind::Text,
        r#"{"type":"hello","server":"feed"}"#,
    ));
    app.on_conn_event(frame(Direction::Sent, FrameKind::Text, r#"{"message":"Hello world"}"#));
    app.on_conn_event(frame(
        Direction::Received,
        FrameKind::Text,
        r#"echo:{"message":"Hello world"}"#,
    ));
    app.on_conn_event(ConnEvent::ReplyLatency(Duration::from_micros(412)));
    app.on_conn_event(frame(Direction::Sent, FrameKind::Ping, "\0\0\0\0\0\0\0\0"));
    app.on_conn_event(frame(Direction::Received, FrameKind::Pong, "\0\0\0\0\0\0\0\0"));
    app.on_conn_event(ConnEvent::Rtt(Duration::from_micros(96)));
    app.on_conn_event(frame(Direction::Received, FrameKind::Binary, "\u{1}\u{2}\u{3}"));
    app
}

/// A connected app the server then closed with 4000 "asked to".
fn closed_by_server(since: Instant) -> App {
    let mut app = connected_app(since);
    app.on_conn_event(frame(
        Direction::Received,
        FrameKind::Close { code: Some(4000) },
        "asked to",
    ));
    app.on_conn_event(state(ConnState::Closing));
    app.on_conn_event(state(ConnState::Closed {
        code: Some(4000),
        reason: "asked to".into(),
        by: Closer::Server,
    }));
    app
}

fn rejected_app() -> App {
    let mut app = app();
    app.update(wscope::action::Action::Connect);
    app.on_conn_event(state(ConnState::Connecting {
        url: "ws://127.0.0.1:9001/feed?room=blue".into(),
        since: Instant::now(),
    }));
    app.on_conn_event(state(ConnState::Failed(ConnError::Upgrade {
        status: 401,
        reason: "Unauthorized".into(),
        headers: vec![
            ("content-type".into(), "text/plain".into()),
            ("content-length".into(), "24".into()),
        ],
        body: "missing api key or room\n".into(),
        body_truncated: false,
    })));
    app
}

#[test]
fn disconnected_80x24() {
    let mut app = app();
    insta::assert_snapshot!(screen(&mut app, 80, 24, Instant::now()));
}

#[test]
fn disconnected_140x40() {
    let mut app = app();
    insta::assert_snapshot!(screen(&mut app, 140, 40, Instant::now()));
}

#[test]
fn connected_with_frames_80x24() {
    let since = Instant::now();
    let mut app = connected_app(since);
    insta::assert_snapshot!(screen(&mut app, 80, 24, since + ms(12_000)));
}

#[test]
fn connected_with_frames_140x40() {
    let since = Instant::now();
    let mut app = connected_app(since);
    insta::assert_snapshot!(screen(&mut app, 140, 40, since + ms(12_000)));
}

#[test]
fn failed_with_401_80x24() {
    let mut app = rejected_app();
    insta::assert_snapshot!(screen(&mut app, 80, 24, Instant::now()));
}

#[test]
fn failed_with_401_140x40() {
    let mut app = rejected_app();
    insta::assert_snapshot!(screen(&mut app, 140, 40, Instant::now()));
}

#[test]
fn connecting_80x24() {
    let since = Instant::now();
    let mut app = app();
    app.update(wscope::action::Action::Connect);
    app.on_conn_event(state(ConnState::Connecting {
        url: "ws://127.0.0.1:9001/feed?room=blue".into(),
        since,
    }));
    insta::assert_snapshot!(screen(&mut app, 80, 24, since + ms(1_200)));
}

#[test]
fn closing_80x24() {
    let since = Instant::now();
    let mut app = connected_app(since);
    app.on_conn_event(frame(Direction::Sent, FrameKind::Close { code: Some(1000) }, ""));
    app.on_conn_event(state(ConnState::Closing));
    insta::assert_snapshot!(screen(&mut app, 80, 24, since + ms(12_000)));
}

#[test]
fn reconnecting_80x24() {
    let since = Instant::now();
    let mut app = connected_app(since);
    app.on_conn_event(state(ConnState::Closed {
        code: Some(1006),
        reason: "the connection ended without a close frame".into(),
        by: Closer::Network,
    }));
    app.on_conn_event(state(ConnState::Reconnecting {
        attempt: 2,
        at: since + ms(16_000),
    }));
    // The note says how long the wait is from the moment it was logged.
    insta::with_settings!({ filters => vec![(r"reconnecting in [0-9.]+m?s", "reconnecting in [wait]")] }, {
        insta::assert_snapshot!(screen(&mut app, 80, 24, since + ms(12_000)));
    });
}

#[test]
fn closed_80x24() {
    let since = Instant::now();
    let mut app = closed_by_server(since);
    insta::assert_snapshot!(screen(&mut app, 80, 24, since + ms(12_000)));
}

#[test]
fn help_overlay_fits_80x24() {
    let mut app = app();
    app.handle_key(key(KeyCode::F(1)));
    insta::assert_snapshot!(screen(&mut app, 80, 24, Instant::now()));
}

#[test]
fn closed_by_server_shows_code_and_reason() {
    let since = Instant::now();
    let mut app = closed_by_server(since);
    let text = screen(&mut app, 80, 24, since);
    assert!(text.contains("Closed (4000 asked to)"), "{text}");
    assert!(
        text.contains("closed by the server: 4000 (application) asked to"),
        "{text}"
    );
}

#[test]
fn secrets_are_masked_until_revealed() {
    let mut app = app();
    let masked = screen(&mut app, 80, 24, Instant::now());
    assert!(!masked.contains("s3cret"), "{masked}");
    assert!(masked.contains("••••••"));
    app.update(wscope::action::Action::FocusHeaders);
    app.handle_key(key(KeyCode::Char('r')));
    assert!(screen(&mut app, 80, 24, Instant::now()).contains("s3cret"));
}

#[test]
fn invalid_url_is_explained_and_not_connected() {
    let mut app = App::new(InitialRequest::default(), None);
    type_text(&mut app, "http://example.com");
    let text = screen(&mut app, 80, 24, Instant::now());
    assert!(
        text.contains("scheme must be ws:// or wss://, not http:// (try ws://)"),
        "{text}"
    );
    app.handle_key(key(KeyCode::Enter));
    assert!(app.take_commands().is_empty());
    assert!(screen(&mut app, 80, 24, Instant::now()).contains("cannot connect"));
}

#[test]
fn bad_header_row_points_at_the_row_and_blocks_connect() {
    let mut app = app();
    app.update(wscope::action::Action::FocusHeaders);
    app.handle_key(key(KeyCode::Char('a')));
    type_text(&mut app, "bad header");
    app.handle_key(key(KeyCode::Tab));
    type_text(&mut app, "x");
    let editing = screen(&mut app, 80, 24, Instant::now());
    assert!(editing.contains("is not a valid HTTP token"), "{editing}");
    app.handle_key(key(KeyCode::Enter));
    app.handle_key(ctrl('o'));
    assert!(app.take_commands().is_empty(), "a bad header must block the connect");
    assert_eq!(app.focus, Focus::Headers);
    assert_eq!(app.session().headers.selected, 2);
}

#[test]
fn json_indicator_tracks_the_message() {
    let mut app = App::new(InitialRequest::default(), None);
    app.update(wscope::action::Action::FocusMessage);
    type_text(&mut app, "{\"a\": 1,");
    let text = screen(&mut app, 80, 24, Instant::now());
    assert!(text.contains("text, not JSON: 1:8"), "{text}");
    type_text(&mut app, "\"b\":2}");
    assert!(screen(&mut app, 80, 24, Instant::now()).contains("✓ JSON"));
}

#[test]
fn frames_view_follows_until_scrolled_and_end_resumes() {
    let since = Instant::now();
    let mut app = connected_app(since);
    for i in 0..50 {
        app.on_conn_event(frame(Direction::Received, FrameKind::Text, &format!("tick {i}")));
    }
    assert!(screen(&mut app, 80, 24, since).contains("tick 49"));
    app.update(wscope::action::Action::FocusFrames);
    app.handle_key(key(KeyCode::PageUp));
    app.on_conn_event(frame(Direction::Received, FrameKind::Text, "tick 50"));
    let paused = screen(&mut app, 80, 24, since);
    assert!(!paused.contains("tick 50") && paused.contains("paused"), "{paused}");
    app.handle_key(key(KeyCode::End));
    assert!(screen(&mut app, 80, 24, since).contains("tick 50"));
    app.handle_key(key(KeyCode::Home));
    assert!(screen(&mut app, 80, 24, since).contains("connecting to"));
}

#[test]
fn send_needs_an_open_connection() {
    let mut app = app();
    app.handle_key(ctrl('j'));
    assert!(app.take_commands().is_empty());
    assert!(screen(&mut app, 80, 24, Instant::now()).contains("not connected"));
    let mut open = connected_app(Instant::now());
    open.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT));
    assert_eq!(
        open.take_commands(),
        vec![ConnCommand::Send(Outgoing::Text(r#"{"message":"Hello world"}"#.into()))]
    );
}

/// An app connected over Socket.IO, its composer holding an emit.
fn socketio_app() -> App {
    let mut app = App::new(
        InitialRequest {
            url: "ws://127.0.0.1:9001/".into(),
            message: r#"["chat",{"text":"hi"}]"#.into(),
            ..InitialRequest::default()
        },
        None,
    );
    app.session_mut().profile.extras.protocol = Some(wscope::protocol::ProtocolKind::named("socketio").unwrap());
    app.update(wscope::action::Action::Connect);
    app.take_commands();
    app.on_conn_event(state(ConnState::Open {
        since: Instant::now(),
        protocol: None,
    }));
    app
}

#[test]
fn alt_a_asks_for_an_ack_on_one_emit() {
    let mut app = socketio_app();
    let alt_a = KeyEvent::new(KeyCode::Char('a'), KeyModifiers::ALT);
    app.handle_key(alt_a);
    app.handle_key(ctrl('j'));
    assert_eq!(
        app.take_commands(),
        vec![
            ConnCommand::Send(Outgoing::Text(r#"421["chat",{"text":"hi"}]"#.into())),
            ConnCommand::Send(Outgoing::Text(r#"42["chat",{"text":"hi"}]"#.into())),
        ],
        "only the Alt-a emit asks"
    );
    let mut raw = connected_app(Instant::now());
    raw.handle_key(alt_a);
    assert!(raw.take_commands().is_empty());
    assert!(screen(&mut raw, 100, 24, Instant::now()).contains("acks are Socket.IO's"));
}

#[test]
fn h_in_the_frames_pane_shows_keepalives() {
    let mut app = socketio_app();
    app.update(wscope::action::Action::FocusFrames);
    app.handle_key(key(KeyCode::Char('h')));
    assert_eq!(app.take_commands(), vec![ConnCommand::ShowKeepalives(true)]);
    app.handle_key(key(KeyCode::Char('h')));
    assert_eq!(app.take_commands(), vec![ConnCommand::ShowKeepalives(false)]);
}

#[test]
fn graphql_is_spoken_when_the_server_picks_its_subprotocol() {
    let mut app = App::new(
        InitialRequest {
            url: "ws://127.0.0.1:9001/graphql".into(),
            ..InitialRequest::default()
        },
        None,
    );
    app.update(wscope::action::Action::Connect);
    app.take_commands();
    app.on_conn_event(state(ConnState::Open {
        since: Instant::now(),
        protocol: Some("graphql-transport-ws".into()),
    }));
    assert_eq!(
        app.session().protocol().kind,
        wscope::protocol::ProtocolKind::named("graphql").unwrap()
    );
    app.on_conn_event(frame(
        Direction::Received,
        FrameKind::Text,
        r#"{"id":"1","type":"next","payload":{"data":{"n":3}}}"#,
    ));
    let shown = screen(&mut app, 100, 24, Instant::now());
    assert!(shown.contains(r#"next #1 {"data":{"n":3}}"#), "{shown}");
    assert!(shown.contains("graphql"), "{shown}");
}

#[test]
fn the_operations_list_shows_results_and_stops_one() {
    let mut app = App::new(
        InitialRequest {
            url: "ws://127.0.0.1:9001/graphql".into(),
            ..InitialRequest::default()
        },
        None,
    );
    app.session_mut().profile.extras.protocol = Some(wscope::protocol::ProtocolKind::named("graphql").unwrap());
    app.update(wscope::action::Action::Connect);
    app.take_commands();
    app.on_conn_event(state(ConnState::Open {
        since: Instant::now(),
        protocol: Some("graphql-transport-ws".into()),
    }));
    app.on_conn_event(frame(
        Direction::Sent,
        FrameKind::Text,
        r#"{"id":"1","type":"subscribe","payload":{"query":"subscription { ticks }"}}"#,
    ));
    for n in 0..3 {
        app.on_conn_event(frame(
            Direction::Received,
            FrameKind::Text,
            &format!(r#"{{"id":"1","type":"next","payload":{{"data":{{"ticks":{n}}}}}}}"#),
        ));
    }
    app.update(wscope::action::Action::FocusFrames);
    app.handle_key(key(KeyCode::Char('o')));
    let shown = screen(&mut app, 100, 30, Instant::now());
    assert!(shown.contains("GraphQL operations"), "{shown}");
    assert!(
        shown.contains("running")
            && shown.contains("3 results")
            && shown.contains("last ")
            && shown.contains("subscription { ticks }"),
        "{shown}"
    );
    app.handle_key(key(KeyCode::Char('s')));
    assert_eq!(
        app.take_commands(),
        vec![ConnCommand::Send(Outgoing::Text(
            r#"{"id":"1","type":"complete"}"#.into()
        ))]
    );
    app.handle_key(key(KeyCode::Esc));
    assert!(!screen(&mut app, 100, 30, Instant::now()).contains("GraphQL operations"));
}

/// Drives the real app and connection task against a real server, from
/// typing the request to reading the echo, as a user would.
#[tokio::test]
async fn typed_request_connects_sends_and_shows_the_echo() {
    let server = common::feed_server().await;
    let mut app = App::new(InitialRequest::default(), None);
    let (conn, mut events) = wscope::conn::spawn(wscope::conn::ConnSettings {
        ping_interval: None,
        ..Default::default()
    });

    type_text(&mut app, &server.url("ws", "/feed"));
    app.update(wscope::action::Action::FocusParams);
    app.handle_key(key(KeyCode::Char('a')));
    type_text(&mut app, "room");
    app.handle_key(key(KeyCode::Tab));
    type_text(&mut app, "blue");
    app.handle_key(key(KeyCode::Enter));
    app.handle_key(key(KeyCode::Tab));
    assert_eq!(app.focus, Focus::Headers);
    app.handle_key(key(KeyCode::Char('a')));
    type_text(&mut app, "api-key");
    app.handle_key(key(KeyCode::Tab));
    type_text(&mut app, "s3cret");
    app.handle_key(key(KeyCode::Enter));
    app.update(wscope::action::Action::FocusMessage);
    type_text(&mut app, "hi there");
    app.handle_key(ctrl('o'));

    let mut pump = async |app: &mut App, until: &dyn Fn(&App) -> bool| {
        for command in app.take_commands() {
            conn.send(command);
        }
        tokio::time::timeout(common::WAIT, async {
            while !until(app) {
                let event = events.recv().await.expect("connection task alive");
                app.on_conn_event(event);
            }
        })
        .await
        .expect("the app reached the expected state");
    };

    pump(&mut app, &|a| {
        matches!(a.session().connection.state, ConnState::Open { .. })
    })
    .await;
    app.handle_key(ctrl('j'));
    let echoed = |a: &App| {
        a.session()
            .frames
            .window(a.session().frames.first_seq(), a.session().frames.len())
            .any(|entry| matches!(entry, wscope::frames::LogEntry::Frame(frame) if frame.payload.starts_with(b"echo:")))
    };
    pump(&mut app, &echoed).await;
    let text = screen(&mut app, 100, 30, Instant::now());
    assert!(text.contains("Connected"), "{text}");
    assert!(text.contains("echo:hi there"), "{text}");
    assert!(text.contains(r#"{"type":"hello","server":"feed"}"#), "{text}");
    assert!(app.session().connection.reply.last.is_some());

    app.handle_key(ctrl('o'));
    pump(&mut app, &|a| {
        matches!(a.session().connection.state, ConnState::Closed { .. })
    })
    .await;
    assert!(screen(&mut app, 100, 30, Instant::now()).contains("Closed (1000 normal)"));
}

/// Every action is findable at 80x24: typing in the help narrows it to
/// the actions that mention the text, keys and all.
#[test]
fn the_help_finds_an_action_by_what_it_does() {
    let mut app = app();
    app.handle_key(key(KeyCode::F(1)));
    type_text(&mut app, "export");
    let text = screen(&mut app, 80, 24, Instant::now());
    assert!(text.contains("search: export"), "{text}");
    assert!(text.contains("Frames pane"), "{text}");
    assert!(text.contains("export all frames"), "{text}");
    assert!(!text.contains("send the message"), "only what mentions it: {text}");
    // q is text here, not a way out; Esc closes, and the help opens afresh.
    type_text(&mut app, "qq");
    assert!(screen(&mut app, 80, 24, Instant::now()).contains("no action mentions \"exportqq\""));
    app.handle_key(key(KeyCode::Esc));
    app.handle_key(key(KeyCode::F(1)));
    assert!(screen(&mut app, 80, 24, Instant::now()).contains("type to search"));
}
