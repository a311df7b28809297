//! The real binary in a pseudo-terminal, read back through a terminal
//! emulator, as a user would see it.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::pty::Pty;

const CTRL_C: &[u8] = b"\x03";
const CTRL_J: &[u8] = b"\x0a";
const CTRL_O: &[u8] = b"\x0f";

/// A running `wscope` in an 80x24 pseudo-terminal, with the checks these
/// tests make of it.
struct Session {
    pty: Pty,
}

impl Session {
    fn start(args: &[&str]) -> Self {
        Self::start_with_env(args, &[])
    }

    fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_in(args, env, None)
    }

    fn start_in(args: &[&str], env: &[(&str, &str)], cwd: Option<&std::path::Path>) -> Self {
        Self {
            pty: Pty::spawn(args, env, cwd),
        }
    }

    fn text(&self) -> String {
        self.pty.text()
    }

    /// Waits until the screen shows every one of `needles`.
    fn wait_for(&self, needles: &[&str]) -> String {
        self.pty.wait_for(needles)
    }

    fn press(&mut self, bytes: &[u8]) {
        self.pty.press(bytes);
    }

    /// Whether the pty is in raw mode (no line editing, no echo), as the
    /// inspector sets it, or back in the usual cooked mode.
    fn is_raw(&self) -> bool {
        let termios = self.pty.master.get_termios().expect("termios");
        let cooked = u64::from(libc::ICANON | libc::ECHO);
        u64::from(termios.local_flags.bits()) & cooked == 0
    }

    /// Sends `signal` to wscope and checks it exits cleanly with the terminal restored.
    fn signal(self, signal: i32) {
        let pid = self.pty.pid() as i32;
        // SAFETY: sending a signal to our own child process.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        self.expect_clean_exit();
    }

    /// Quits with Ctrl-C and checks the exit status and the restored terminal.
    fn quit(mut self) {
        self.press(CTRL_C);
        self.expect_clean_exit();
    }

    fn expect_clean_exit(mut self) {
        let deadline = Instant::now() + common::WAIT;
        let status = loop {
            if let Some(status) = self.pty.child.try_wait().expect("child status") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "wscope did not exit on Ctrl-C:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(25));
        };
        assert!(status.success(), "exit status {status:?}");
        self.pty.read_to_end();
        let parser = self.pty.screen.lock().unwrap();
        assert!(!parser.screen().alternate_screen(), "left the alternate screen");
        assert!(!parser.screen().hide_cursor(), "the cursor is visible again");
        drop(parser);
        assert!(!self.is_raw(), "raw mode is off again");
    }
}

/// Runs the test body with a feed server on a runtime of its own, so the
/// blocking pty reads never stall the server.
fn with_feed_server(test: impl FnOnce(&str)) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let server = runtime.block_on(common::feed_server());
    test(&server.url("ws", "/feed"));
    drop(server);
}

#[test]
fn connects_sends_shows_echo_and_latency_then_quits_cleanly() {
    with_feed_server(|url| {
        let mut wscope = Session::start(&[
            url,
            "-H",
            "api-key: s3cret",
            "-q",
            "room=blue",
            "-m",
            r#"{"message":"Hello world"}"#,
            "--ping-interval",
            "1",
        ]);
        wscope.wait_for(&["Connected", r#"{"type":"hello","server":"feed"}"#]);
        wscope.press(CTRL_J);
        let screen = wscope.wait_for(&[r#"echo:{"message":"Hello world"}"#]);
        assert!(screen.contains("handshake "), "{screen}");
        let screen = wscope.wait_for(&["pong"]);
        let has_latency = screen.split(['│', ' ']).any(|word| {
            (word.ends_with("µs") || word.ends_with("ms")) && word.starts_with(|c: char| c.is_ascii_digit())
        });
        assert!(has_latency, "a latency figure is on screen:\n{screen}");
        wscope.press(CTRL_O);
        wscope.wait_for(&["Closed (1000 normal)"]);
        wscope.quit();
    });
}

#[test]
fn missing_header_shows_401_and_the_body() {
    with_feed_server(|url| {
        let wscope = Session::start(&[url, "-q", "room=blue"]);
        wscope.wait_for(&["401", "missing api key or room"]);
        wscope.quit();
    });
}

#[test]
fn close_request_shows_code_and_reason() {
    with_feed_server(|url| {
        let mut wscope = Session::start(&[url, "-H", "api-key: s3cret", "-q", "room=blue", "-m", "close-me"]);
        wscope.wait_for(&["Connected"]);
        wscope.press(CTRL_J);
        wscope.wait_for(&["4000", "asked to", "Closed"]);
        wscope.quit();
    });
}

#[test]
fn demo_shows_live_ticker_frames() {
    let wscope = Session::start(&["demo"]);
    wscope.wait_for(&["Connected", r#""type":"tick""#]);
    wscope.quit();
}

#[test]
fn profile_saved_with_ctrl_s_reopens_with_its_headers() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().expect("temp dir");
    let config = home.path().join("config");
    let data = home.path().join("data");
    let env = [
        ("XDG_CONFIG_HOME", config.to_str().unwrap()),
        ("XDG_DATA_HOME", data.to_str().unwrap()),
        ("API_KEY", "s3cret"),
    ];
    with_feed_server(|url| {
        let mut wscope = Session::start_with_env(
            &[
                url,
                "-H",
                "api-key: {{env:API_KEY}}",
                "-q",
                "room=blue",
                "-m",
                "ping-me",
            ],
            &env,
        );
        wscope.wait_for(&["Connected"]);
        wscope.press(b"\x13"); // Ctrl-S
        wscope.wait_for(&["Save profile as"]);
        wscope.press(b"demo1\r");
        wscope.wait_for(&["saved profile demo1"]);
        wscope.quit();

        let file = config.join("wscope/profiles/demo1.json");
        let text = std::fs::read_to_string(&file).expect("profile written");
        let profile: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(profile["params"][0]["value"], "blue");
        assert!(!text.contains("s3cret"), "the secret stays in the environment:\n{text}");
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);

        // The server rejects a connection without the header, so Connected
        // proves the saved header was sent.
        let mut wscope = Session::start_with_env(&["-p", "demo1"], &env);
        wscope.wait_for(&["Connected", "demo1"]);
        wscope.press(CTRL_J);
        wscope.wait_for(&["echo:ping-me"]);
        wscope.quit();

        // A corrupted file is reported by name and left exactly as it was.
        let corrupt = text.replacen("\"params\": [", "\"params\": [,", 1);
        std::fs::write(&file, &corrupt).unwrap();
        let wscope = Session::start_with_env(&["-p", "demo1"], &env);
        wscope.wait_for(&["cannot open profile \"demo1\"", "line 5, column 14", "left as it is"]);
        wscope.quit();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), corrupt);
    });
}

#[test]
fn hangup_and_terminate_restore_the_terminal_and_keep_a_draft() {
    for (signal, name) in [(libc::SIGHUP, "SIGHUP"), (libc::SIGTERM, "SIGTERM")] {
        let home = tempfile::tempdir().expect("temp dir");
        let config = home.path().join("config");
        let data = home.path().join("data");
        let env = [
            ("XDG_CONFIG_HOME", config.to_str().unwrap()),
            ("XDG_DATA_HOME", data.to_str().unwrap()),
        ];
        with_feed_server(|url| {
            let wscope = Session::start_with_env(&[url, "-q", "room=blue", "-H", "api-key: s3cret"], &env);
            wscope.wait_for(&["Connected"]);
            assert!(wscope.is_raw(), "{name}: the inspector runs in raw mode");
            wscope.signal(signal);
            let draft = std::fs::read_to_string(data.join("wscope/draft.json"))
                .unwrap_or_else(|e| panic!("{name}: the draft was saved: {e}"));
            assert!(draft.contains(url), "{name}: {draft}");
        });
    }
}

#[test]
fn filters_a_live_stream_and_exports_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut wscope = Session::start_in(&["demo", "--ping-interval", "0"], &[], Some(dir.path()));
    wscope.wait_for(&["Connected", r#""type":"welcome""#]);
    wscope.press(CTRL_J); // the demo echoes its greeting, paired with it by id
    wscope.wait_for(&[r#"↓ text       47 B ⇄"#, r#""type":"hello","id":1"#]);
    wscope.press(b"\x1b5"); // Alt-5: focus the frames pane
    wscope.press(b"f");
    wscope.wait_for(&["Filter:"]);
    wscope.press(b"jq: .type == \"tick\"\r");
    let screen = wscope.wait_for(&["showing ", r#""type":"tick""#]);
    let frame_rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("↓ text") || l.contains("↑ text"))
        .collect();
    assert!(
        frame_rows.iter().all(|row| row.contains(r#""type":"tick""#)),
        "only ticks are shown:\n{screen}"
    );
    wscope.press(b"X");
    wscope.wait_for(&["Export the filtered frames"]);
    wscope.press(b"\r");
    wscope.wait_for(&["exported"]);
    wscope.quit();
    let exported: Vec<_> = std::fs::read_dir(dir.path()).unwrap().filter_map(Result::ok).collect();
    assert_eq!(exported.len(), 1, "one export written");
    use std::os::unix::fs::PermissionsExt;
    let mode = exported[0].metadata().unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "exports are their owner's only");
    let text = std::fs::read_to_string(exported[0].path()).unwrap();
    assert!(!text.is_empty());
    for line in text.lines() {
        let frame: serde_json::Value = serde_json::from_str(line).expect("NDJSON");
        assert!(frame["text"].as_str().unwrap().contains(r#""type":"tick""#), "{line}");
    }
}

#[test]
fn log_is_complete_after_kill_9() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("session.ndjson");
    with_feed_server(|url| {
        let mut wscope = Session::start(&[
            url,
            "-H",
            "api-key: s3cret",
            "-q",
            "room=blue",
            "-m",
            "one",
            "--log",
            log.to_str().unwrap(),
            // A keepalive ping and its pong would change the counts below.
            "--ping-interval",
            "0",
        ]);
        wscope.wait_for(&["Connected"]);
        for _ in 0..3 {
            wscope.press(CTRL_J);
        }
        wscope.wait_for(&["↑3 "]);
        wscope.wait_for(&["↓4 "]);
        let pid = wscope.pty.pid() as i32;
        // SAFETY: killing our own child process.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
        let _ = wscope.pty.child.wait();
    });
    let text = std::fs::read_to_string(&log).expect("log written");
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line parses"))
        .collect();
    let frames: Vec<_> = records.iter().filter(|r| r.get("opcode").is_some()).collect();
    assert_eq!(frames.iter().filter(|f| f["direction"] == "sent").count(), 3, "{text}");
    assert_eq!(
        frames.iter().filter(|f| f["direction"] == "received").count(),
        4,
        "{text}"
    );
    assert!(records.iter().any(|r| r["event"] == "open"));
}

#[test]
fn ctrl_e_edits_the_message_in_editor_and_comes_back() {
    with_feed_server(|url| {
        let mut wscope = Session::start_with_env(
            &[
                url,
                "-H",
                "api-key: s3cret",
                "-q",
                "room=blue",
                "-m",
                r#"{"message":"Hello world"}"#,
            ],
            &[("EDITOR", "sed -i s/Hello/Edited/"), ("VISUAL", "")],
        );
        wscope.wait_for(&["Connected"]);
        wscope.press(b"\x05"); // Ctrl-E
        wscope.wait_for(&[r#"{"message":"Edited world"}"#, "Connected"]);
        assert!(wscope.is_raw(), "raw mode is back after the editor");
        wscope.press(CTRL_J);
        wscope.wait_for(&[r#"echo:{"message":"Edited world"}"#]);
        wscope.quit();
    });
}

#[test]
fn config_remaps_keys_and_a_broken_config_falls_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[keys]\ntoggle_connection = [\"F5\"]\n[theme]\npreset = \"monochrome\"\n",
    )
    .unwrap();
    with_feed_server(|url| {
        let mut wscope = Session::start(&[
            url,
            "-H",
            "api-key: s3cret",
            "-q",
            "room=blue",
            "--config",
            config.to_str().unwrap(),
        ]);
        wscope.wait_for(&["Connected"]);
        wscope.press(b"\x1b[15~"); // F5
        wscope.wait_for(&["Closed (1000 normal)"]);
        wscope.press(b"\x1bOP"); // F1
        wscope.wait_for(&["F5", "connect / disconnect"]);
        wscope.press(b"q"); // closes the help (a lone Esc would merge with the next key)
        wscope.quit();
    });
    std::fs::write(&config, "[defaults]\nfps = \"fast\"\n").unwrap();
    let wscope = Session::start(&["--config", config.to_str().unwrap()]);
    wscope.wait_for(&["line 2, column 7", "using the defaults"]);
    wscope.quit();
}
