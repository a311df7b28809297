//! Tabs: several sessions in one app, each with its own connection task.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::ui::{ctrl, key, type_text};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;
use wscope::app::tabs::{TabChange, TabId};
use wscope::app::{App, InitialRequest};
use wscope::conn::{ConnEvent, ConnState};
use wscope::frames::LogEntry;
use wscope::record::{Direction, FrameKind, FrameRecord};

fn alt(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::ALT)
}

fn frame(text: &str) -> FrameRecord {
    FrameRecord {
        at: std::time::SystemTime::now(),
        direction: Direction::Received,
        kind: FrameKind::Text,
        payload: Bytes::copy_from_slice(text.as_bytes()),
    }
}

/// An app whose first tab's URL is `url`.
fn app_at(url: &str) -> App {
    App::new(
        InitialRequest {
            url: url.into(),
            ..InitialRequest::default()
        },
        None,
    )
}

/// Two tabs, on `/alpha` and `/beta`, the second shown.
fn alpha_and_beta() -> (App, TabId, TabId) {
    let mut app = app_at("ws://127.0.0.1:1/alpha");
    let first = app.active_tab_id();
    let second = app.new_tab();
    type_text(&mut app, "ws://127.0.0.1:1/beta");
    (app, first, second)
}

/// A received text frame stamped `ms` milliseconds into a fixed clock.
fn frame_at(ms: u64, text: &str) -> FrameRecord {
    FrameRecord {
        at: std::time::UNIX_EPOCH + Duration::from_millis(1_000_000 + ms),
        ..frame(text)
    }
}

#[test]
fn tabs_open_switch_close_and_count_unseen_frames() {
    let mut app = app_at("ws://127.0.0.1:1/alpha");
    assert_eq!(app.tab_count(), 1);
    let first = app.active_tab_id();
    app.handle_key(alt(KeyCode::Char('t')));
    let second = app.active_tab_id();
    assert_ne!(first, second);
    assert_eq!(app.take_tab_changes(), [TabChange::Opened(second)]);
    type_text(&mut app, "ws://127.0.0.1:1/beta");
    // Frames for the background tab are kept there and counted.
    app.on_tab_event(first, ConnEvent::Frames(vec![frame("a"), frame("b")]));
    app.on_tab_event(first, ConnEvent::Frame(frame("c")));
    let tabs = app.tab_infos();
    assert_eq!(tabs.len(), 2);
    assert_eq!(
        (tabs[0].name.as_str(), tabs[0].unseen, tabs[0].active),
        ("127.0.0.1/alpha", 3, false)
    );
    assert_eq!((tabs[1].name.as_str(), tabs[1].active), ("127.0.0.1/beta", true));
    assert_eq!(app.session().frames.len(), 0, "the shown tab has none of them");
    // With the merged timeline shown, every tab's frames are in view: none
    // is counted unseen.
    app.handle_key(alt(KeyCode::Char('m')));
    app.on_tab_event(first, ConnEvent::Frame(frame("d")));
    assert_eq!(app.tab_infos()[0].unseen, 3);
    app.handle_key(alt(KeyCode::Char('m')));
    // Alt-Left shows the first tab, with its frames, and clears its count.
    app.handle_key(alt(KeyCode::Left));
    assert_eq!(app.active_tab_id(), first);
    assert_eq!(app.session().frames.len(), 4);
    assert_eq!(app.tab_infos()[0].unseen, 0);
    assert_eq!(app.session().url_text(), "ws://127.0.0.1:1/alpha");
    // Ctrl-PageDown wraps round.
    app.handle_key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::CONTROL));
    assert_eq!(app.active_tab_id(), second);
    app.handle_key(alt(KeyCode::Right));
    assert_eq!(app.active_tab_id(), first);
    // Closing a connected tab asks first.
    app.on_tab_event(
        first,
        ConnEvent::state(ConnState::Open {
            since: std::time::Instant::now(),
            protocol: None,
        }),
    );
    app.handle_key(alt(KeyCode::Char('w')));
    assert!(app.confirm.is_some(), "asks while connected");
    app.handle_key(key(KeyCode::Char('y')));
    assert_eq!(app.tab_count(), 1);
    assert_eq!(app.active_tab_id(), second);
    assert_eq!(app.take_tab_changes(), [TabChange::Closed(first)]);
    // The last tab stays.
    app.handle_key(alt(KeyCode::Char('w')));
    assert_eq!(app.tab_count(), 1);
}

#[test]
fn the_timeline_interleaves_the_tabs_in_arrival_order() {
    let mut app = App::new(InitialRequest::default(), None);
    let first = app.active_tab_id();
    let second = app.new_tab();
    app.on_tab_event(first, ConnEvent::Frame(frame_at(10, "one")));
    app.on_tab_event(second, ConnEvent::Frame(frame_at(20, "two")));
    app.on_tab_event(first, ConnEvent::Frame(frame_at(30, "three")));
    app.on_tab_event(second, ConnEvent::Frame(frame_at(5, "zero")));
    let named = |rows: Vec<wscope::app::merged::Row>| -> Vec<(usize, String)> {
        rows.into_iter()
            .map(|row| match row.entry {
                LogEntry::Frame(f) => (row.key.place, String::from_utf8_lossy(&f.payload).into_owned()),
                LogEntry::Note { text, .. } => (row.key.place, text.clone()),
            })
            .collect()
    };
    // "zero" was stamped before "two" but arrived after it: it keeps its
    // place after "two" in its own tab.
    assert_eq!(
        named(app.merged(true).all()),
        [
            (0, "one".into()),
            (1, "two".into()),
            (1, "zero".into()),
            (0, "three".into())
        ]
    );
    assert_eq!(
        named(app.merged(true).before(None, 2)),
        [(1, "zero".into()), (0, "three".into())]
    );
    app.handle_key(alt(KeyCode::Char('m')));
    let screen = common::ui::screen(&mut app, 100, 30, std::time::Instant::now());
    assert!(screen.contains("Timeline every tab (2)"), "{screen}");
    assert!(screen.contains("2  "), "{screen}");
}

/// A chat-like server: every text message from any client goes to all.
async fn broadcast_server() -> common::TestServer {
    let (tx, _) = broadcast::channel::<String>(64);
    common::serve(move |stream| {
        let tx = tx.clone();
        async move {
            let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            let (mut sink, mut source) = socket.split();
            let mut rx = tx.subscribe();
            tokio::spawn(async move {
                while let Ok(text) = rx.recv().await {
                    if sink.send(Message::text(text)).await.is_err() {
                        return;
                    }
                }
            });
            while let Some(Ok(message)) = source.next().await {
                if let Message::Text(text) = message {
                    let _ = tx.send(text.to_string());
                }
            }
        }
    })
    .await
}

/// Two tabs against a broadcasting server, driven through the same
/// `Connections` the event loop uses: a message sent from the first
/// reaches both, each on its own connection.
#[tokio::test]
async fn two_tabs_each_get_their_own_copy() {
    let server = broadcast_server().await;
    let mut app = App::new(
        InitialRequest {
            url: server.url("ws", "/alpha"),
            message: "all:hello-tabs".into(),
            ..InitialRequest::default()
        },
        None,
    );
    let (handle, events) = common::spawn_quiet();
    let settings = wscope::conn::ConnSettings {
        ping_interval: None,
        ..wscope::conn::ConnSettings::default()
    };
    let mut conns = wscope::tui::Connections::new(app.active_tab_id(), handle, events, settings, None);
    app.update(wscope::action::Action::Connect);
    app.new_tab();
    type_text(&mut app, &server.url("ws", "/beta"));
    app.update(wscope::action::Action::Connect);

    let pump = async |app: &mut App, conns: &mut wscope::tui::Connections, until: &dyn Fn(&App) -> bool| {
        tokio::time::timeout(common::WAIT, async {
            loop {
                for change in app.take_tab_changes() {
                    match change {
                        TabChange::Opened(tab) => conns.open(tab),
                        TabChange::Closed(tab) => conns.close(tab),
                    }
                }
                for (tab, command) in app.take_tab_commands() {
                    assert!(conns.send(tab, command));
                }
                if until(app) {
                    return;
                }
                let (tab, event) = conns.recv().await.expect("a connection task");
                app.on_tab_event(tab, event);
            }
        })
        .await
        .expect("the tabs reached the expected state");
    };
    let all_open = |app: &App| {
        app.tab_infos()
            .iter()
            .all(|t| matches!(t.state, ConnState::Open { .. }))
    };
    pump(&mut app, &mut conns, &all_open).await;
    app.show_tab(0);
    app.handle_key(ctrl('j'));
    let copies = |app: &App| -> usize {
        app.session().frames
            .window(app.session().frames.first_seq(), app.session().frames.len())
            .filter(|e| {
                matches!(e, LogEntry::Frame(f) if f.direction == Direction::Received && f.payload.as_ref() == b"all:hello-tabs")
            })
            .count()
    };
    pump(&mut app, &mut conns, &|a| {
        copies(a) == 1 && a.tab_infos()[1].unseen >= 1
    })
    .await;
    app.handle_key(alt(KeyCode::Right));
    assert!(app.session().url_text().ends_with("/beta"));
    assert_eq!(copies(&app), 1, "the second tab has its own copy");
    // Closing the second tab ends its connection task; the first goes on.
    app.show_tab(1);
    app.handle_key(alt(KeyCode::Char('w')));
    app.handle_key(key(KeyCode::Char('y')));
    pump(&mut app, &mut conns, &|a| a.tab_count() == 1).await;
    // Its task ends once it sees its handle dropped.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while conns.send(2, wscope::conn::ConnCommand::SetReconnect(false)) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        !conns.send(2, wscope::conn::ConnCommand::SetReconnect(false)),
        "its task is gone"
    );
}

/// The real binary with two URLs in a pseudo-terminal: two tabs, Ctrl-J
/// sends from the first, Alt-Right shows the second with its own copy.
#[test]
fn the_binary_opens_a_tab_per_url() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(broadcast_server());
    let alpha = server.url("ws", "/alpha");
    let beta = server.url("ws", "/beta");
    let mut pty =
        common::pty::Pty::spawn_sized(&[&alpha, &beta, "-m", "all:hello-tabs", "--ping-interval", "0"], 80, 24);
    let screen = pty.wait_for(&["1 127.0.0.1/alpha●", "2 127.0.0.1/beta●"]);
    assert!(screen.contains("/alpha"), "{screen}");
    pty.press(b"\x0a"); // Ctrl-J
    let screen = pty.wait_for(&["↓ text", "all:hello-tabs"]);
    assert!(screen.contains("+1"), "the second tab counts its copy:\n{screen}");
    pty.press(b"\x1b[1;3C"); // Alt-Right, as xterm sends it
    let screen = pty.wait_for(&["ws://127.0.0.1", "/beta "]);
    assert!(
        screen.contains("↓ text") && screen.contains("all:hello-tabs"),
        "{screen}"
    );
    pty.press(b"\x03");
    pty.wait_for_exit();
}

/// An app on `/alpha` with `message` in the composer.
fn alpha_saying(message: &str) -> App {
    App::new(
        InitialRequest {
            url: "ws://127.0.0.1:1/alpha".into(),
            message: message.into(),
            ..InitialRequest::default()
        },
        None,
    )
}

#[test]
fn send_to_all_and_the_split_view() {
    let mut app = alpha_saying("n={{$seq}}");
    let first = app.active_tab_id();
    let second = app.new_tab();
    let third = app.new_tab();
    let open = || {
        ConnEvent::state(ConnState::Open {
            since: std::time::Instant::now(),
            protocol: None,
        })
    };
    app.on_tab_event(first, open());
    app.on_tab_event(second, open());
    app.show_tab(0);
    let _ = app.take_tab_commands();
    app.handle_key(key(KeyCode::F(7)));
    let mut sent: Vec<(u64, String)> = app
        .take_tab_commands()
        .into_iter()
        .filter_map(|(tab, command)| match command {
            wscope::conn::ConnCommand::Send(wscope::conn::Outgoing::Text(text)) => Some((tab, text)),
            _ => None,
        })
        .collect();
    sent.sort();
    // Each connected tab resolved the message itself; the third is not connected.
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!((sent[0].0, sent[1].0), (first, second));
    assert_ne!(sent[0].1, sent[1].1, "{sent:?}");
    assert!(!sent.iter().any(|(tab, _)| *tab == third));
    // Alt-s: the next tab's frames beside this tab's, stacked at 80x24.
    app.on_tab_event(second, ConnEvent::Frame(frame("from beta")));
    app.handle_key(alt(KeyCode::Char('s')));
    let screen = common::ui::screen(&mut app, 80, 24, std::time::Instant::now());
    assert!(screen.contains("Tab 2"), "{screen}");
    assert!(screen.contains("from beta"), "{screen}");
}

#[test]
fn the_history_caps_are_shared_by_all_tabs() {
    let mut app = App::new(InitialRequest::default(), None);
    app.session_mut().frames = wscope::frames::FrameLog::new(10, 1 << 20);
    let first = app.active_tab_id();
    let second = app.new_tab();
    let third = app.new_tab();
    for n in 0..8 {
        app.on_tab_event(first, ConnEvent::Frame(frame(&format!("a{n}"))));
    }
    for n in 0..8 {
        app.on_tab_event(second, ConnEvent::Frames(vec![frame(&format!("b{n}"))]));
    }
    app.on_tab_event(third, ConnEvent::Frame(frame("c0")));
    let held: Vec<usize> = (0..3)
        .map(|place| {
            app.show_tab(place);
            app.session().frames.len()
        })
        .collect();
    assert!(held.iter().sum::<usize>() <= 10, "{held:?}");
    // The busiest tabs gave up their oldest; the quiet one kept its frame.
    assert_eq!(held[2], 1, "{held:?}");
    app.show_tab(0);
    assert!(app.session().frames.dropped() > 0);
    let screen = common::ui::screen(&mut app, 100, 30, std::time::Instant::now());
    assert!(screen.contains("older dropped"), "{screen}");
}

/// `-p` given twice opens a tab for each profile, named after it.
#[test]
fn several_profiles_open_a_tab_each() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(broadcast_server());
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("profiles")).unwrap();
    for (name, path) in [("alice", "/a"), ("bob", "/b")] {
        let profile = serde_json::json!({ "version": 1, "url": server.url("ws", path) });
        std::fs::write(dir.path().join(format!("profiles/{name}.json")), profile.to_string()).unwrap();
    }
    let config = dir.path().to_str().unwrap();
    let mut pty = common::pty::Pty::spawn_sized(
        &[
            "-p",
            "alice",
            "-p",
            "bob",
            "--config-dir",
            config,
            "--ping-interval",
            "0",
        ],
        80,
        24,
    );
    let screen = pty.wait_for(&["1 alice●", "2 bob●"]);
    assert!(screen.contains("/a"), "{screen}");
    pty.press(b"\x03");
    pty.wait_for_exit();
    // The headless commands take one.
    let out = common::wscope_in(&["test", "-p", "alice", "-p", "bob"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("one profile at a time"));
}

/// `--workspace NAME` saves the open tabs on the way out (0600, beside the
/// profiles, without a secret in clear) and opens them again next time.
#[test]
fn a_workspace_keeps_the_open_tabs() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(broadcast_server());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().to_str().unwrap();
    let (alpha, beta) = (server.url("ws", "/alpha"), server.url("ws", "/beta"));
    let mut pty = common::pty::Pty::spawn_sized(
        &[
            &alpha,
            &beta,
            "-H",
            "api-key: s3cret",
            "--workspace",
            "pair",
            "--config-dir",
            config,
            "--ping-interval",
            "0",
        ],
        80,
        24,
    );
    pty.wait_for(&["2 127.0.0.1/beta●"]);
    pty.press(b"\x03");
    pty.wait_for_exit();
    let path = dir.path().join("workspaces/pair.json");
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(saved["tabs"].as_array().unwrap().len(), 2, "{saved}");
    assert_eq!(saved["tabs"][1]["request"]["url"], beta.as_str());
    assert!(!saved.to_string().contains("s3cret"), "{saved}");
    assert_eq!(saved["tabs"][1]["dropped_secrets"][0], "header api-key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    // Opened again, alone: both tabs, connected.
    let mut pty = common::pty::Pty::spawn_sized(
        &["--workspace", "pair", "--config-dir", config, "--ping-interval", "0"],
        80,
        24,
    );
    pty.wait_for(&["1 127.0.0.1/alpha●", "2 127.0.0.1/beta●"]);
    pty.wait_for(&["secrets are never saved in a workspace"]);
    pty.press(b"\x03");
    pty.wait_for_exit();
}

#[test]
fn the_timeline_exports_with_each_frames_tab() {
    let dir = tempfile::tempdir().unwrap();
    let storage = wscope::tui::file_worker::Storage::new(wscope::profile::paths::Paths::under(dir.path()));
    let (mut app, first, second) = alpha_and_beta();
    app.on_tab_event(first, ConnEvent::Frame(frame_at(1, "one")));
    app.on_tab_event(second, ConnEvent::Frame(frame_at(2, "two")));
    app.handle_key(alt(KeyCode::Char('m')));
    app.update(wscope::action::Action::FocusFrames);
    app.handle_key(key(KeyCode::Char('x')));
    let path = dir.path().join("timeline.ndjson");
    let prompt = app.prompt.as_mut().expect("the export prompt");
    prompt.input = ratatui_textarea::TextArea::new(vec![path.display().to_string()]);
    app.handle_key(key(KeyCode::Enter));
    for request in app.take_store_requests() {
        app.on_store_reply(storage.handle(request));
    }
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (lines[0]["tab"].as_str(), lines[0]["text"].as_str()),
        (Some("127.0.0.1/alpha"), Some("one"))
    );
    assert_eq!(
        (lines[1]["tab"].as_str(), lines[1]["text"].as_str()),
        (Some("127.0.0.1/beta"), Some("two"))
    );
}

#[test]
fn the_timeline_filters_searches_and_opens_any_tabs_frames() {
    let (mut app, first, second) = alpha_and_beta();
    for (tab, ms, text) in [
        (first, 1, r#"{"user":"ann","n":1}"#),
        (second, 2, r#"{"user":"bob","n":2}"#),
        (first, 3, "ping-1"),
        (second, 4, "ping-2"),
        (second, 5, r#"{"user":"ann","n":3}"#),
    ] {
        app.on_tab_event(tab, ConnEvent::Frame(frame_at(ms, text)));
    }
    let texts = |app: &App| -> Vec<(usize, String)> {
        app.merged(true)
            .all()
            .into_iter()
            .map(|row| match row.entry {
                LogEntry::Frame(f) => (row.key.place, String::from_utf8_lossy(&f.payload).into_owned()),
                LogEntry::Note { text, .. } => (row.key.place, text.clone()),
            })
            .collect()
    };
    let selected_text = |app: &App| -> String {
        let key = app
            .timeline
            .as_ref()
            .and_then(|t| t.scroll.selected())
            .expect("a row selected");
        let log = &app.tab_at(key.place).unwrap().frames;
        match log.window(key.seq, 1).next() {
            Some(LogEntry::Frame(f)) => String::from_utf8_lossy(&f.payload).into_owned(),
            _ => String::new(),
        }
    };
    app.handle_key(alt(KeyCode::Char('m')));
    app.update(wscope::action::Action::FocusFrames);

    // A filter typed in the timeline is set on every tab and narrows it.
    app.handle_key(key(KeyCode::Char('f')));
    type_text(&mut app, r#"jq:.user == "ann""#);
    app.handle_key(key(KeyCode::Enter));
    assert_eq!(
        texts(&app),
        [
            (0, r#"{"user":"ann","n":1}"#.into()),
            (1, r#"{"user":"ann","n":3}"#.into())
        ]
    );
    assert!(
        app.tab_at(1).unwrap().filter.is_active(),
        "the other tab is filtered too"
    );
    let screen = common::ui::screen(&mut app, 100, 30, std::time::Instant::now());
    assert!(screen.contains("showing 2 of 5"), "{screen}");
    app.handle_key(key(KeyCode::Char('c')));
    assert_eq!(texts(&app).len(), 5);

    // A search selects its first match, and n the next, whatever the tab.
    app.handle_key(key(KeyCode::Char('/')));
    type_text(&mut app, "ping");
    app.handle_key(key(KeyCode::Enter));
    assert_eq!(selected_text(&app), "ping-1");
    app.handle_key(key(KeyCode::Char('n')));
    assert_eq!(selected_text(&app), "ping-2");

    // Enter shows the frame in full from its own tab; [ steps back in
    // timeline order, into the other tab.
    app.handle_key(key(KeyCode::Enter));
    assert_eq!(app.active_tab_id(), second);
    let detail = app.session().detail.as_ref().expect("the detail view");
    assert_eq!(detail.body.lines(0, 1), ["ping-2"]);
    app.handle_key(key(KeyCode::Char('[')));
    assert_eq!(app.active_tab_id(), first);
    assert_eq!(
        app.session().detail.as_ref().map(|d| d.body.lines(0, 1)),
        Some(vec!["ping-1".to_string()])
    );
    assert!(
        app.tab_at(1).unwrap().detail.is_none(),
        "the tab left behind keeps no detail open"
    );
    app.handle_key(key(KeyCode::Esc));
    assert!(app.session().detail.is_none() && app.timeline.is_some());

    // y copies the selected row's payload without leaving the tab shown.
    app.handle_key(key(KeyCode::Char('k')));
    app.handle_key(key(KeyCode::Char('y')));
    assert_eq!(app.shared.clipboard.as_deref(), Some(r#"{"user":"bob","n":2}"#));
    assert_eq!(app.active_tab_id(), first);
}

#[test]
fn tabs_alike_but_for_their_port_are_named_with_it() {
    let mut app = app_at("ws://127.0.0.1:9401/");
    app.new_tab();
    type_text(&mut app, "ws://127.0.0.1:9312/");
    app.new_tab();
    type_text(&mut app, "ws://127.0.0.1:9312/other");
    // Alike even with their ports: the shorter name.
    app.new_tab();
    type_text(&mut app, "ws://127.0.0.1:9312/other");
    let names: Vec<String> = app.tab_infos().into_iter().map(|t| t.name).collect();
    assert_eq!(
        names,
        [
            "127.0.0.1:9401/",
            "127.0.0.1:9312/",
            "127.0.0.1/other",
            "127.0.0.1/other"
        ]
    );
}

mod arbitrary {
    use super::*;
    use proptest::prelude::*;
    use wscope::action::Action;

    /// One thing that can happen to the app: a key's action, or a frame
    /// or event arriving for one of the tabs (by place, wrapped round).
    #[derive(Debug, Clone)]
    enum Step {
        Act(usize),
        Frame { tab: usize, ms: u64, text: u8 },
        Closed { tab: usize },
        Draw { width: u16, height: u16 },
    }

    const ACTIONS: [Action; 24] = [
        Action::NewTab,
        Action::NextTab,
        Action::PreviousTab,
        Action::CloseTab,
        Action::ConfirmYes,
        Action::ToggleTimeline,
        Action::ToggleSplit,
        Action::FocusFrames,
        Action::ScrollUp,
        Action::ScrollDown,
        Action::PageUp,
        Action::PageDown,
        Action::ScrollTop,
        Action::ScrollBottom,
        Action::OpenDetail,
        Action::DetailNext,
        Action::DetailPrevious,
        Action::DetailClose,
        Action::CycleDirection,
        Action::CycleKind,
        Action::ClearFilter,
        Action::SearchNext,
        Action::Copy,
        Action::ClearFrames,
    ];

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (0..ACTIONS.len()).prop_map(Step::Act),
            4 => (0usize..8, 0u64..50, any::<u8>()).prop_map(|(tab, ms, text)| Step::Frame { tab, ms, text }),
            1 => (0usize..8).prop_map(|tab| Step::Closed { tab }),
            1 => (20u16..140, 6u16..50).prop_map(|(width, height)| Step::Draw { width, height }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever happens, in any order, across tabs: nothing panics, the
        /// timeline holds every row once in order, and a selection made in
        /// it stays in view.
        #[test]
        fn tabs_and_the_timeline_hold_up_under_anything(steps in proptest::collection::vec(step(), 0..80)) {
            let mut app = App::new(InitialRequest::default(), None);
            // Small caps, so eviction (shared across tabs) happens too.
            app.session_mut().frames = wscope::frames::FrameLog::new(12, usize::MAX);
            let mut clock = 0;
            for step in steps {
                let moves_selection = matches!(
                    step,
                    Step::Act(index) if matches!(
                        ACTIONS[index],
                        Action::ScrollUp | Action::ScrollDown | Action::PageUp | Action::PageDown
                    )
                );
                match step {
                    Step::Act(index) => app.update(ACTIONS[index]),
                    Step::Frame { tab, ms, text } => {
                        let tabs = app.tab_infos();
                        let id = tabs[tab % tabs.len()].id;
                        // Mostly forward in time, sometimes stamped earlier.
                        clock += ms;
                        let at = clock.saturating_sub(u64::from(text % 4) * 20);
                        app.on_tab_event(id, ConnEvent::Frame(frame_at(at, &format!("f{text}"))));
                    }
                    Step::Closed { tab } => {
                        let tabs = app.tab_infos();
                        let id = tabs[tab % tabs.len()].id;
                        let closed = ConnState::Closed {
                            code: Some(1000),
                            reason: String::new(),
                            by: wscope::record::Closer::Server,
                        };
                        app.on_tab_event(id, ConnEvent::state(closed));
                    }
                    Step::Draw { width, height } => {
                        common::ui::screen(&mut app, width, height, std::time::Instant::now());
                    }
                }
                let merged = app.merged(true);
                let all = merged.all();
                prop_assert!(all.windows(2).all(|pair| pair[0].key < pair[1].key), "the timeline is in order");
                prop_assert_eq!(all.len(), merged.len());
                if moves_selection
                    && let Some(view) = &app.timeline
                    && let Some(selected) = view.scroll.selected()
                    && !app.overlay_open()
                {
                    let shown: Vec<_> = view.rows(&merged).iter().map(|row| row.key).collect();
                    prop_assert!(
                        shown.contains(&selected) || all.iter().all(|row| row.key != selected),
                        "the selection {:?} is in view: {:?}",
                        selected,
                        shown
                    );
                }
            }
        }
    }
}

/// Enter on a connection event in the timeline shows its tab's own frames
/// at that event, where a long one wraps whole.
#[test]
fn a_timeline_event_opens_in_its_own_tab() {
    let (mut app, first, second) = alpha_and_beta();
    app.on_tab_event(first, ConnEvent::Frame(frame_at(1, "one")));
    app.on_tab_event(
        second,
        ConnEvent::state(ConnState::Closed {
            code: Some(4000),
            reason: "a long reason ".repeat(8),
            by: wscope::record::Closer::Server,
        }),
    );
    app.show_tab(0);
    app.handle_key(alt(KeyCode::Char('m')));
    app.update(wscope::action::Action::FocusFrames);
    app.handle_key(key(KeyCode::Up));
    app.handle_key(key(KeyCode::Enter));
    assert!(app.timeline.is_none(), "the tab's own frames are shown");
    assert_eq!(app.active_tab_id(), second);
    let selected = app.session().frames_view.selected().expect("the event is selected");
    assert!(matches!(
        app.session().frames.window(selected, 1).next(),
        Some(LogEntry::Note { .. })
    ));
    let screen = common::ui::screen(&mut app, 80, 24, std::time::Instant::now());
    assert!(screen.contains("a long reason a long reason"), "{screen}");
}

/// Filters set in the tabs themselves may differ: the timeline says so.
#[test]
fn the_timeline_title_says_when_the_tabs_filters_differ() {
    let (mut app, first, second) = alpha_and_beta();
    app.on_tab_event(first, ConnEvent::Frame(frame_at(1, "one")));
    app.on_tab_event(second, ConnEvent::Frame(frame_at(2, "two")));
    app.apply_filter_text("two").unwrap();
    app.handle_key(alt(KeyCode::Char('m')));
    let screen = common::ui::screen(&mut app, 100, 30, std::time::Instant::now());
    assert!(screen.contains("showing 2 of 2 [each tab's own filter]"), "{screen}");
    app.apply_filter_text("o").unwrap();
    let screen = common::ui::screen(&mut app, 100, 30, std::time::Instant::now());
    assert!(screen.contains("showing 2 of 2 [o]"), "{screen}");
}

/// A tab is a peer, not a view: its scheduled sends go on while another
/// tab is shown, and go out on its own connection.
#[test]
fn a_background_tabs_schedule_keeps_sending() {
    let mut app = alpha_saying("tick");
    let first = app.active_tab_id();
    app.on_tab_event(
        first,
        ConnEvent::state(ConnState::Open {
            since: std::time::Instant::now(),
            protocol: None,
        }),
    );
    // F4, every second.
    app.handle_key(key(KeyCode::F(4)));
    app.handle_key(key(KeyCode::Backspace));
    type_text(&mut app, "1");
    app.handle_key(key(KeyCode::Enter));
    assert!(app.session().schedule.is_some(), "{:?}", app.notice());
    let second = app.new_tab();
    assert_eq!(app.active_tab_id(), second);
    let _ = app.take_tab_commands();
    let later = std::time::Instant::now() + Duration::from_secs(2);
    app.on_tick(later);
    let sent: Vec<(u64, wscope::conn::ConnCommand)> = app.take_tab_commands();
    assert_eq!(
        sent,
        vec![(
            first,
            wscope::conn::ConnCommand::Send(wscope::conn::Outgoing::Text("tick".into()))
        )]
    );
    assert!(app.next_scheduled().is_some(), "the background schedule still runs");
}
