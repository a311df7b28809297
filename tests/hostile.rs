//! A server that sends terminal control sequences gets nothing: not on the
//! inspector's screen, not through `test` or `pipe`, not in any file. Each
//! surface is checked on the raw bytes that reach the terminal, as `script`
//! would record them.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use common::pty::Pty;
use common::{HOSTILE_SHOWN, hostile_bytes_in, hostile_on_screen};

fn with_hostile_server(test: impl FnOnce(&str)) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let server = runtime.block_on(common::hostile_server());
    test(&server.url("ws", ""));
    drop(server);
}

fn wscope(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_wscope"))
        .args(args)
        .args(["--config-dir", home.path().to_str().unwrap()])
        .env("NO_COLOR", "1")
        .output()
        .expect("run wscope")
}

/// Quits with Ctrl-C and returns everything written to the terminal.
fn quit(mut pty: Pty) -> Vec<u8> {
    pty.press(b"\x03");
    pty.wait_for_exit();
    pty.raw_bytes()
}

#[test]
fn the_inspector_shows_a_hostile_frame_close_reason_and_body_as_pictures() {
    with_hostile_server(|base| {
        let url = format!("{base}/x");
        let mut pty = Pty::spawn_recording(&[&url, "--ping-interval", "0"], &[]);
        let screen = pty.wait_for(&["closed by the server", "Closed (4000"]);
        // The frames list, the close row and the status bar all agree.
        let shown = hostile_on_screen();
        let cut: String = shown.chars().take(40).collect();
        assert!(screen.contains(&format!("text       50 B {cut}")), "{screen}");
        assert!(screen.contains(&format!("Closed (4000 bye {shown})")), "{screen}");
        assert!(screen.contains(&format!("•   {shown}")), "{screen}");
        // The detail view shows the same pictures, not a silently cleaned text.
        pty.press(b"\x1b5"); // Alt-5: the frames pane
        pty.press(b"/pwned\r"); // selects the first row that matches: the frame
        pty.wait_for(&["· /pwned"]);
        pty.press(b"\r");
        let detail = pty.wait_for(&["received text"]);
        assert!(detail.contains(&shown), "{detail}");
        let raw = quit(pty);
        assert_eq!(hostile_bytes_in(&raw), None, "a control sequence reached the terminal");
        // The C1 byte is shown as U+FFFD, which vt100 leaves off the screen.
        let marked = "D\u{fffd}31m".as_bytes();
        assert!(raw.windows(marked.len()).any(|w| w == marked));

        let reject = format!("{base}/reject");
        let pty = Pty::spawn_recording(&[&reject], &[]);
        let screen = pty.wait_for(&["401", "body: denied"]);
        assert!(screen.contains(&format!("•     {shown}")), "{screen}");
        assert!(
            screen.contains("Failed (HTTP 401 Unauthorized: denied A␛]52;c;"),
            "{screen}"
        );
        let raw = quit(pty);
        assert_eq!(hostile_bytes_in(&raw), None, "a control sequence reached the terminal");
    });
}

#[test]
fn socket_io_notes_quote_a_hostile_server_as_pictures() {
    with_hostile_server(|base| {
        let url = format!("{base}/sio");
        let pty = Pty::spawn_recording(&["--protocol", "socketio", &url, "--ping-interval", "0"], &[]);
        let screen = pty.wait_for(&["reassembled from 1 binary", "Closed (4000"]);
        assert!(screen.contains("/A␛]52;c;aGFja2Vk␇B"), "{screen}");
        // The other notes (the open packet, the CONNECT_ERROR) may scroll
        // away before a draw; whatever was drawn is in the raw bytes.
        let raw = quit(pty);
        assert_eq!(hostile_bytes_in(&raw), None, "a control sequence reached the terminal");
    });
}

#[test]
fn decoded_binary_frames_show_their_strings_as_pictures() {
    with_hostile_server(|base| {
        let url = format!("{base}/msgpack");
        let mut pty = Pty::spawn_recording(&[&url, "--ping-interval", "0"], &[]);
        let screen = pty.wait_for(&["msgpack {"]);
        // JSON escapes C0 controls itself; C1 ones become pictures.
        assert!(screen.contains(r#"msgpack {"evil":"A\u001b]52;c;"#), "{screen}");
        pty.press(b"\x1b5"); // Alt-5: the frames pane
        pty.press(b"/evil\r");
        pty.wait_for(&["· /evil"]);
        pty.press(b"\r");
        let detail = pty.wait_for(&["decoded: msgpack"]);
        assert!(detail.contains(r#""evil": "A\u001b]52;c;aGFja2Vk\u0007B"#), "{detail}");
        let raw = quit(pty);
        assert_eq!(hostile_bytes_in(&raw), None, "a control sequence reached the terminal");
    });
}

#[test]
fn test_reports_carry_no_control_bytes() {
    with_hostile_server(|base| {
        for args in [
            vec!["test".to_string(), format!("{base}/x")],
            vec!["test".to_string(), format!("{base}/x"), "--json".into()],
            vec!["test".to_string(), format!("{base}/reject")],
            vec!["test".to_string(), format!("{base}/reject"), "--json".into()],
            vec![
                "test".to_string(),
                format!("{base}/x"),
                "--expect".into(),
                "never".into(),
                "--timeout".into(),
                "2".into(),
            ],
        ] {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = wscope(&args);
            assert_eq!(
                hostile_bytes_in(&out.stdout),
                None,
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stdout)
            );
            assert_eq!(
                hostile_bytes_in(&out.stderr),
                None,
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!out.stdout.contains(&0x1b), "{args:?}");
        }
        let text = String::from_utf8(wscope(&["test", &format!("{base}/x")]).stdout).unwrap();
        assert!(text.contains(&format!("frame       {HOSTILE_SHOWN}")), "{text}");
        // JSON stays JSON: the frame's text reads back exactly as it came.
        let json = wscope(&["test", &format!("{base}/x"), "--json"]);
        let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(report["frame"]["text"], common::HOSTILE);
    });
}

/// A flow against the hostile server: the report, its JSON and its JUnit
/// file carry none of the server's control bytes, whether the step passes
/// (the frame shown as it matched) or fails (the frame shown as the closest).
#[test]
fn flow_reports_carry_no_control_bytes() {
    with_hostile_server(|base| {
        let dir = tempfile::tempdir().unwrap();
        for (name, expect) in [
            ("pass", r#"regex = "hostile|\u001b|.""#),
            ("fail", r#"regex = "never", within = "1s""#),
        ] {
            let flow = dir.path().join(format!("{name}.flow.toml"));
            std::fs::write(
                &flow,
                format!(
                    "[request]\nurl = \"{base}/x\"\n[[step]]\nexpect = {{ {expect} }}\ncapture = {{ all = '.' }}\n"
                ),
            )
            .unwrap();
            let junit = dir.path().join(format!("{name}.xml"));
            let flow = flow.to_str().unwrap();
            for json in [false, true] {
                let mut args = vec!["run", flow, "--junit", junit.to_str().unwrap()];
                if json {
                    args.push("--json");
                }
                let out = wscope(&args);
                for bytes in [&out.stdout, &out.stderr] {
                    assert_eq!(
                        hostile_bytes_in(bytes),
                        None,
                        "{args:?}: {}",
                        String::from_utf8_lossy(bytes)
                    );
                    assert!(!bytes.contains(&0x1b), "{args:?}: {}", String::from_utf8_lossy(bytes));
                }
                let xml = std::fs::read(&junit).unwrap();
                assert!(
                    !xml.iter().any(|b| *b < 0x20 && !b"\t\n\r".contains(b)),
                    "{}",
                    String::from_utf8_lossy(&xml)
                );
            }
        }
    });
}

#[test]
fn pipe_sanitizes_for_a_terminal_and_passes_bytes_to_a_file() {
    with_hostile_server(|base| {
        let url = format!("{base}/x");
        // To a terminal: pictures, and the server's close reason too.
        let mut pty = Pty::spawn_recording(&["pipe", &url, "--keep-open"], &[]);
        pty.wait_for_exit();
        assert!(pty.text().contains(&hostile_on_screen()), "{}", pty.text());
        assert!(String::from_utf8_lossy(&pty.raw_bytes()).contains(HOSTILE_SHOWN));
        assert_eq!(hostile_bytes_in(&pty.raw_bytes()), None);
        // A rejection's error line on standard error (the same terminal).
        let mut rejected = Pty::spawn_recording(&["pipe", &format!("{base}/reject")], &[]);
        rejected.wait_for_exit();
        assert!(rejected.text().contains("denied A␛]52"), "{}", rejected.text());
        assert_eq!(hostile_bytes_in(&rejected.raw_bytes()), None);
        // To a pipe or a file: the bytes as they came, for other programs.
        let out = Command::new(env!("CARGO_BIN_EXE_wscope"))
            .args(["pipe", &url, "--keep-open"])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(out.stdout.starts_with(common::HOSTILE.as_bytes()), "{:?}", out.stdout);
        // --raw asks for the bytes even on a terminal.
        let mut raw = Pty::spawn_recording(&["pipe", &url, "--keep-open", "--raw"], &[]);
        raw.wait_for_exit();
        assert!(hostile_bytes_in(&raw.raw_bytes()).is_some());
    });
}

#[test]
fn typing_anything_in_hex_mode_shows_an_error_and_never_crashes() {
    let mut pty = Pty::spawn(&[], &[], None);
    pty.wait_for(&["Message"]);
    pty.press(b"\x1b2"); // Alt-2: the Message pane
    pty.press(b"\x1bOR"); // F3: hex
    pty.wait_for(&["binary · hex"]);
    pty.press("aé€".as_bytes());
    pty.wait_for(&["'é' is not a hex digit"]);
    pty.press(b"\x0a"); // Ctrl-J: nothing to send it to, and still no crash
    std::thread::sleep(Duration::from_millis(100));
    assert!(pty.child.try_wait().unwrap().is_none(), "wscope is still running");
    let _ = quit(pty);
}

/// A recording is foreign text too: a hostile frame, URL and header in a
/// HAR reach the terminal as pictures when it is opened or listed.
#[test]
fn a_hostile_recording_opens_as_pictures() {
    let dir = tempfile::tempdir().unwrap();
    let entry = serde_json::json!({
        "request": {
            "url": format!("ws://127.0.0.1:1/{}", common::HOSTILE),
            "headers": [{ "name": "x-evil", "value": common::HOSTILE }]
        },
        "response": { "status": 101, "headers": [] },
        "_webSocketMessages": [
            { "type": "receive", "time": 1795899852.5, "opcode": 1, "data": common::HOSTILE }
        ]
    });
    let write = |name: &str, count: usize| {
        let har = serde_json::json!({ "log": { "entries": vec![entry.clone(); count] } });
        let path = dir.path().join(name);
        std::fs::write(&path, har.to_string()).unwrap();
        path.to_str().unwrap().to_string()
    };
    // Listed (more connections than tabs are opened for): no control bytes.
    let out = wscope(&["open", &write("many.har", 17)]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        hostile_bytes_in(&out.stdout),
        None,
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Opened, a tab each: the frame is on screen as pictures, the tab bar
    // names the tabs without a raw byte, and the keys still work.
    let mut pty = Pty::spawn_recording(&["open", &write("two.har", 2)], &[]);
    let screen = pty.wait_for(&["Recording ("]);
    assert!(screen.contains("A␛]52;c;"), "{screen}");
    assert!(screen.contains(" 2 127.0.0.1/"), "{screen}");
    // And in the merged timeline.
    pty.press(b"\x1bm");
    let screen = pty.wait_for(&["Timeline every tab (2)"]);
    assert!(screen.contains("A␛]52;c;"), "{screen}");
    let raw = quit(pty);
    assert_eq!(hostile_bytes_in(&raw), None, "a control sequence reached the terminal");
}

/// A HAR that names the user's environment: `{{env:PATH}}` in its URL's
/// query, a header and a sent message.
fn har_naming_a_secret(url: &str) -> String {
    serde_json::json!({ "log": { "entries": [{
        "request": {
            "url": format!("{url}/feed?t={{{{env:PATH}}}}"),
            "headers": [{ "name": "x-leak", "value": "{{env:PATH}}" }]
        },
        "response": { "status": 101, "headers": [] },
        "_webSocketMessages": [
            { "type": "send", "time": 1795899852.5, "opcode": 1, "data": "{\"a\":\"{{env:PATH}}\"}" }
        ]
    }] } })
    .to_string()
}

/// A recording is someone else's file: what it holds is sent as written,
/// never filled in from the user's environment. Opened and connected live,
/// imported as a profile, or replayed, `{{env:…}}` stays literal text.
#[test]
fn a_recording_cannot_read_the_users_environment() {
    use std::io::Write;
    // PATH is set wherever tests run, and long enough not to turn up by chance.
    let secret = std::env::var("PATH").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = heads.clone();
    let server = runtime.block_on(common::serve(move |mut stream| {
        let seen = seen.clone();
        async move {
            let head = common::read_request_head(&mut stream).await;
            seen.lock().unwrap().push(head);
        }
    }));
    let path = dir.path().join("named.har");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(har_naming_a_secret(&server.url("ws", "")).as_bytes())
        .unwrap();

    // Opened, then connected live: the request holds the text as written.
    let recordings = wscope::recording::load(&path).unwrap();
    let mut app = wscope::app::App::new(wscope::app::InitialRequest::default(), None);
    app.open_recording(&recordings[0]);
    app.update(wscope::action::Action::Connect);
    let request = app
        .take_commands()
        .into_iter()
        .find_map(|c| match c {
            wscope::conn::ConnCommand::Connect(request) => Some(request),
            _ => None,
        })
        .expect("a connect command");
    let shown = format!("{} {:?}", request.url, request.headers);
    assert!(!shown.contains(&secret), "{shown}");
    assert!(shown.contains("{{env:PATH}}"), "{shown}");
    assert!(request.url.as_str().contains("%7B%7Benv%3APATH%7D%7D"), "{shown}");

    // Imported: the profile's message and header are literal too.
    let config = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wscope"))
        .args(["import", path.to_str().unwrap(), "--name", "named", "--config-dir"])
        .arg(config.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let profile = std::fs::read_to_string(config.path().join("profiles/named.json")).unwrap();
    assert!(profile.contains(r#"\\{{env:PATH}}"#), "{profile}");

    // Replayed: the server sees the header as recorded.
    let out = Command::new(env!("CARGO_BIN_EXE_wscope"))
        .args([
            "replay",
            path.to_str().unwrap(),
            &server.url("ws", "/feed"),
            "--config-dir",
        ])
        .arg(config.path())
        .output()
        .unwrap();
    let heads = heads.lock().unwrap().join("\n");
    assert!(heads.contains("x-leak: {{env:PATH}}"), "{heads}\n{out:?}");
    assert!(!heads.contains(&secret), "{heads}");
}
