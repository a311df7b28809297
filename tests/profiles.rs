//! Profiles through the app: saving, opening, the picker, variables,
//! history, the draft and quitting, with real files in a temporary folder.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::ui::{ctrl, key, type_text};

use std::collections::BTreeMap;
use std::time::{Instant, SystemTime};

use crossterm::event::KeyCode;
use wscope::app::file_requests::StoreRequest;
use wscope::app::{App, Confirm, InitialRequest};
use wscope::conn::{ConnCommand, ConnEvent, ConnState, Outgoing};
use wscope::profile::Profile;
use wscope::profile::paths::Paths;
use wscope::profile::vars::Resolver;
use wscope::record::KvRow;
use wscope::tui::file_worker::Storage;

/// An app and real storage in a temporary folder, with the file work the
/// event loop would do carried out synchronously.
struct Harness {
    app: App,
    storage: Storage,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn new(initial: InitialRequest) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            app: App::new(initial, None),
            storage: Storage::new(Paths::under(dir.path())),
            _dir: dir,
        }
    }

    fn request() -> InitialRequest {
        InitialRequest {
            url: "ws://127.0.0.1:9/feed".into(),
            message: "ping-me".into(),
            params: vec![KvRow::new("room", "blue")],
            headers: vec![KvRow::new("api-key", "{{env:API_KEY}}")],
        }
    }

    /// Carries out queued file work; returns what was asked for.
    fn settle(&mut self) -> Vec<StoreRequest> {
        let mut asked = Vec::new();
        loop {
            let requests = self.app.take_store_requests();
            if requests.is_empty() {
                return asked;
            }
            for request in requests {
                asked.push(request.clone());
                let reply = self.storage.handle(request);
                self.app.on_store_reply(reply);
            }
        }
    }

    fn save_as(&mut self, name: &str) {
        self.app.handle_key(ctrl('s'));
        assert!(self.app.prompt.is_some(), "the first save asks for a name");
        type_text(&mut self.app, name);
        self.app.handle_key(key(KeyCode::Enter));
        self.settle();
    }
}

fn fake_env(name: &str) -> Option<String> {
    (name == "API_KEY").then(|| "s3cret".to_string())
}

#[test]
fn first_save_asks_for_a_name_then_saves_in_place() {
    let mut h = Harness::new(Harness::request());
    assert!(h.app.session().has_unsaved_changes());
    h.save_as("demo1");
    assert_eq!(h.app.session().profile.name.as_deref(), Some("demo1"));
    assert!(!h.app.session().has_unsaved_changes());
    let saved = h.storage.profiles.load("demo1").unwrap();
    assert_eq!(
        saved.headers[0].value, "{{env:API_KEY}}",
        "the file keeps the variable, not the secret"
    );
    assert!(
        h.app
            .shared
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("saved profile demo1")
    );

    h.app.update(wscope::action::Action::FocusMessage);
    type_text(&mut h.app, "!");
    assert!(h.app.session().has_unsaved_changes());
    h.app.handle_key(ctrl('s'));
    assert!(h.app.prompt.is_none(), "later saves do not ask");
    let asked = h.settle();
    assert!(matches!(&asked[..], [StoreRequest::Save { overwrite: true, .. }]));
    assert_eq!(h.storage.profiles.load("demo1").unwrap().message, "ping-me!");
}

#[test]
fn bad_names_are_refused_in_the_prompt() {
    let mut h = Harness::new(Harness::request());
    h.app.handle_key(ctrl('s'));
    type_text(&mut h.app, "../escape");
    h.app.handle_key(key(KeyCode::Enter));
    assert!(h.app.prompt.is_some(), "the prompt stays open");
    assert!(h.settle().is_empty());
    assert!(h.app.shared.notice.as_ref().unwrap().text.contains("slash"));
}

#[test]
fn save_as_an_existing_name_does_not_overwrite() {
    let mut h = Harness::new(Harness::request());
    h.storage.profiles.save("taken", &Profile::default()).unwrap();
    h.save_as("taken");
    assert_eq!(h.storage.profiles.load("taken").unwrap(), Profile::default());
    assert!(h.app.session().profile.name.is_none());
    assert!(!h.app.session().frames.is_empty(), "the failure is logged");
}

#[test]
fn variables_resolve_at_connect_and_unresolved_ones_stop_it() {
    let mut app = App::new(Harness::request(), None);
    app.shared.resolver = Resolver::default().with_process_env(fake_env);
    app.update(wscope::action::Action::Connect);
    let commands = app.take_commands();
    let [ConnCommand::Connect(request)] = &commands[..] else {
        panic!("{commands:?}")
    };
    assert_eq!(request.headers[0].1, "s3cret");

    let mut missing = App::new(
        InitialRequest {
            url: "ws://{{host}}/feed".into(),
            ..InitialRequest::default()
        },
        None,
    );
    missing.update(wscope::action::Action::Connect);
    assert!(missing.take_commands().is_empty());
    let notice = missing.shared.notice.clone().unwrap().text;
    assert!(notice.contains("{{host}}") && notice.contains("the URL"), "{notice}");

    let staging = BTreeMap::from([("host".to_string(), "127.0.0.1:9".to_string())]);
    missing.set_environments(BTreeMap::from([("staging".to_string(), staging)]), None);
    missing.handle_key(ctrl('n'));
    assert_eq!(missing.shared.resolver.environment_name(), Some("staging"));
    missing.update(wscope::action::Action::Connect);
    assert!(
        matches!(&missing.take_commands()[..], [ConnCommand::Connect(r)] if r.url.as_str() == "ws://127.0.0.1:9/feed")
    );
}

#[test]
fn picker_filters_opens_renames_duplicates_and_deletes() {
    let mut h = Harness::new(InitialRequest::default());
    for (name, url) in [("alpha", "ws://a/"), ("beta", "ws://b/"), ("gamma", "ws://c/")] {
        h.storage
            .profiles
            .save(
                name,
                &Profile {
                    url: url.into(),
                    ..Profile::default()
                },
            )
            .unwrap();
    }
    std::fs::write(h.storage.profiles.dir().join("broken.json"), "{").unwrap();
    h.app.handle_key(ctrl('p'));
    h.settle();
    let picker = h.app.picker.as_ref().unwrap();
    assert_eq!(picker.profiles.len(), 3);
    assert_eq!(
        picker.unreadable.len(),
        1,
        "a broken file is reported, the rest still listed"
    );

    type_text(&mut h.app, "ws://b");
    assert_eq!(h.app.picker.as_ref().unwrap().selected_name().as_deref(), Some("beta"));
    h.app.handle_key(key(KeyCode::Enter));
    h.settle();
    assert!(h.app.picker.is_none());
    assert_eq!(h.app.session().url_text(), "ws://b/");
    assert_eq!(h.app.session().profile.name.as_deref(), Some("beta"));

    h.app.handle_key(ctrl('p'));
    h.settle();
    h.app.handle_key(ctrl('r'));
    for _ in 0.."alpha".len() {
        h.app.handle_key(key(KeyCode::Backspace));
    }
    type_text(&mut h.app, "first");
    h.app.handle_key(key(KeyCode::Enter));
    h.settle();
    h.app.handle_key(key(KeyCode::Down));
    h.app.handle_key(ctrl('d'));
    h.app.handle_key(key(KeyCode::End));
    type_text(&mut h.app, "-copy");
    h.app.handle_key(key(KeyCode::Enter));
    h.settle();
    // alpha was renamed to first; Down then selected first, duplicated as first-copy.
    assert_eq!(
        h.storage.profiles.names().unwrap(),
        ["beta", "broken", "first", "first-copy", "gamma"]
    );

    // Delete asks first; n keeps, y deletes.
    h.app.handle_key(key(KeyCode::Delete));
    let doomed = h.app.picker.as_ref().unwrap().confirm_delete.clone().unwrap();
    h.app.handle_key(key(KeyCode::Char('n')));
    h.settle();
    assert!(h.storage.profiles.exists(&doomed));
    h.app.handle_key(key(KeyCode::Delete));
    h.app.handle_key(key(KeyCode::Char('y')));
    h.settle();
    assert!(!h.storage.profiles.exists(&doomed));
}

#[test]
fn curl_import_from_the_picker() {
    let mut h = Harness::new(InitialRequest::default());
    h.app.handle_key(ctrl('p'));
    h.settle();
    h.app.handle_key(ctrl('u'));
    h.app.handle_paste("curl 'wss://example.com/ws?room=blue' \\\n  -H 'Origin: https://example.com' \\\n  -H 'Sec-WebSocket-Key: abc=='\n");
    h.app.handle_key(key(KeyCode::Enter));
    assert_eq!(h.app.session().url_text(), "wss://example.com/ws");
    assert_eq!(h.app.session().params.rows, vec![KvRow::new("room", "blue")]);
    assert_eq!(
        h.app.session().headers.rows,
        vec![KvRow::new("Origin", "https://example.com")]
    );
    assert!(h.app.picker.is_none() && h.app.prompt.is_none());
}

#[test]
fn quitting_with_unsaved_changes_to_a_profile_asks() {
    let mut h = Harness::new(Harness::request());
    h.save_as("demo1");
    h.app.handle_key(ctrl('c'));
    assert!(h.app.should_quit(), "nothing unsaved: quits at once");

    let mut h = Harness::new(Harness::request());
    h.save_as("demo1");
    h.app.update(wscope::action::Action::FocusMessage);
    type_text(&mut h.app, "x");
    h.app.handle_key(ctrl('q'));
    assert_eq!(h.app.confirm, Some(Confirm::Quit));
    h.app.handle_key(key(KeyCode::Char('n')));
    assert!(!h.app.should_quit() && h.app.confirm.is_none());
    h.app.handle_key(ctrl('q'));
    h.app.handle_key(key(KeyCode::Char('s')));
    h.settle();
    assert!(h.app.should_quit());
    assert_eq!(h.storage.profiles.load("demo1").unwrap().message, "ping-mex");
}

#[test]
fn unsaved_work_becomes_a_draft_that_is_offered_back() {
    let h = Harness::new(Harness::request());
    let exit = h.app.exit_requests();
    assert!(matches!(&exit[..], [StoreRequest::SaveDraft { profile: None, .. }]));
    for request in exit {
        h.storage.handle(request);
    }
    let draft = wscope::profile::draft::load(&h.storage.paths.data).unwrap().unwrap();
    let mut next = App::new(InitialRequest::default(), None);
    next.offer_draft(draft);
    assert!(matches!(next.confirm, Some(Confirm::RestoreDraft(_))));
    next.handle_key(key(KeyCode::Char('y')));
    assert_eq!(next.session().url_text(), "ws://127.0.0.1:9/feed");
    assert_eq!(next.session().message_text(), "ping-me");
}

#[test]
fn sent_messages_are_remembered_per_profile() {
    let mut h = Harness::new(Harness::request());
    h.save_as("demo1");
    h.app.shared.resolver = Resolver::default().with_process_env(fake_env);
    h.app.on_conn_event(ConnEvent::State {
        state: ConnState::Open {
            since: Instant::now(),
            protocol: None,
        },
        at: SystemTime::now(),
    });
    h.app.update(wscope::action::Action::FocusMessage);
    h.app.handle_key(ctrl('j'));
    h.app.session_mut().message = ratatui_textarea::TextArea::new(vec!["second".into()]);
    h.app.handle_key(ctrl('j'));
    h.settle();
    assert_eq!(
        h.app.take_commands(),
        vec![
            ConnCommand::Send(Outgoing::Text("ping-me".into())),
            ConnCommand::Send(Outgoing::Text("second".into()))
        ]
    );
    let stored =
        wscope::profile::history::load(&wscope::profile::history::path(&h.storage.paths.data, Some("demo1"))).unwrap();
    assert_eq!(stored, vec!["ping-me", "second"]);
    h.app.handle_key(key(KeyCode::Up));
    assert_eq!(h.app.session().message_text(), "second");
    h.app.handle_key(key(KeyCode::Up));
    assert_eq!(h.app.session().message_text(), "ping-me");
    h.app.handle_key(key(KeyCode::Down));
    h.app.handle_key(key(KeyCode::Down));
    assert_eq!(
        h.app.session().message_text(),
        "second",
        "past the newest, the unsent text comes back"
    );
}

#[test]
fn on_connect_messages_go_out_when_the_connection_opens() {
    let mut app = App::new(InitialRequest::default(), None);
    app.open_profile(
        "feed",
        Profile {
            url: "ws://127.0.0.1:9/".into(),
            on_connect: vec![r#"{"op":"auth"}"#.into(), r#"{"op":"subscribe"}"#.into()],
            ..Profile::default()
        },
        Vec::new(),
    );
    app.on_conn_event(ConnEvent::State {
        state: ConnState::Open {
            since: Instant::now(),
            protocol: None,
        },
        at: SystemTime::now(),
    });
    assert_eq!(
        app.take_commands(),
        vec![
            ConnCommand::Send(Outgoing::Text(r#"{"op":"auth"}"#.into())),
            ConnCommand::Send(Outgoing::Text(r#"{"op":"subscribe"}"#.into()))
        ]
    );
}

#[test]
fn saved_messages_are_kept_picked_and_marked_for_connect() {
    let mut h = Harness::new(Harness::request());
    h.save_as("demo1");
    h.app.handle_key(key(KeyCode::F(2)));
    h.app.handle_key(key(KeyCode::Char('s')));
    type_text(&mut h.app, "ping");
    h.app.handle_key(key(KeyCode::Enter));
    h.app.handle_key(key(KeyCode::Char('c')));
    assert!(h.app.session().has_unsaved_changes());
    h.app.handle_key(ctrl('s'));
    h.settle();
    let stored = h.storage.profiles.load("demo1").unwrap();
    assert_eq!(stored.saved_messages[0].name, "ping");
    assert_eq!(stored.saved_messages[0].body, "ping-me");
    assert_eq!(stored.on_connect, vec!["ping-me"]);

    h.app.session_mut().message = ratatui_textarea::TextArea::new(vec!["something else".into()]);
    h.app.handle_key(key(KeyCode::Enter));
    assert_eq!(
        h.app.session().message_text(),
        "ping-me",
        "Enter puts the saved message in the composer"
    );
    assert!(h.app.messages.is_none());
}

#[test]
fn autosave_writes_the_draft_only_when_it_changed() {
    let mut h = Harness::new(Harness::request());
    assert!(matches!(h.app.autosave_request(), Some(StoreRequest::SaveDraft { .. })));
    assert!(h.app.autosave_request().is_none(), "unchanged since the last write");
    h.app.update(wscope::action::Action::FocusMessage);
    type_text(&mut h.app, "!");
    assert!(h.app.autosave_request().is_some());
    h.save_as("demo1");
    assert!(h.app.autosave_request().is_none(), "nothing unsaved");
}

#[test]
fn a_profile_schedule_starts_when_opened_and_sends_while_connected() {
    let mut app = App::new(InitialRequest::default(), None);
    app.open_profile(
        "beat",
        Profile {
            url: "ws://127.0.0.1:9/".into(),
            message: r#"{"op":"heartbeat"}"#.into(),
            schedule_secs: Some(3),
            ..Profile::default()
        },
        Vec::new(),
    );
    let due = app.next_scheduled().expect("the profile's schedule runs");
    app.on_tick(due);
    assert!(app.take_commands().is_empty(), "nothing is sent while disconnected");
    app.on_conn_event(ConnEvent::State {
        state: ConnState::Open {
            since: Instant::now(),
            protocol: None,
        },
        at: SystemTime::now(),
    });
    app.on_tick(due + std::time::Duration::from_secs(3));
    assert_eq!(
        app.take_commands(),
        vec![ConnCommand::Send(Outgoing::Text(r#"{"op":"heartbeat"}"#.into()))]
    );
}
