//! Secrets stay out of files and off the screen, a server that stops
//! reading cannot freeze the inspector, and a crash or SIGQUIT leaves the
//! terminal usable: each tried on the real binary in a pseudo-terminal.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use common::pty::Pty;

const TOKEN: &str = "T0KEN-in-the-query";
const BEARER: &str = "B3ARER-in-a-header";

fn assert_restored(pty: &Pty) {
    let parser = pty.screen.lock().unwrap();
    assert!(!parser.screen().alternate_screen(), "left the alternate screen");
    assert!(!parser.screen().hide_cursor(), "the cursor is visible again");
    drop(parser);
    let termios = pty.master.get_termios().expect("termios");
    let cooked = u64::from(libc::ICANON | libc::ECHO);
    assert_ne!(
        u64::from(termios.local_flags.bits()) & cooked,
        0,
        "raw mode is off again"
    );
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn secrets_from_the_command_line_reach_no_file_and_no_screen() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime
        .block_on(wscope::server::DemoServer::start("127.0.0.1:0".parse().unwrap()))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("session.ndjson");
    let home = dir.path().join("home");
    let (config, data) = (home.join("config"), home.join("data"));
    let mut pty = Pty::spawn(
        &[
            &server.url(),
            "-q",
            &format!("access_token={TOKEN}"),
            "-q",
            "room=blue",
            "-H",
            &format!("Authorization: Bearer {BEARER}"),
            "--log",
            log.to_str().unwrap(),
        ],
        &[
            ("XDG_CONFIG_HOME", config.to_str().unwrap()),
            ("XDG_DATA_HOME", data.to_str().unwrap()),
        ],
        None,
    );
    let screen = pty.wait_for(&["Connected", "connecting to"]);
    assert!(screen.contains("access_token=••••••&room=blue"), "{screen}");
    assert!(!screen.contains(TOKEN) && !screen.contains(BEARER), "{screen}");
    // Revealing is the user's choice: r in the Params pane.
    pty.press(b"\x1b3r");
    let revealed = pty.wait_for(&[TOKEN]);
    assert!(revealed.contains(&format!("access_token={TOKEN}")), "{revealed}");
    pty.press(b"r");
    pty.press(b"\x03");
    assert!(pty.wait_for_exit().success());

    assert_eq!(mode(&log), 0o600, "the log is its owner's only");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("access_token=[masked]"), "{logged}");
    assert!(!logged.contains(TOKEN) && !logged.contains(BEARER), "{logged}");
    // The draft holds the request, but not its secrets.
    let draft = std::fs::read_to_string(data.join("wscope/draft.json")).expect("a draft was kept");
    assert!(draft.contains("room") && draft.contains("Authorization"), "{draft}");
    assert!(!draft.contains(TOKEN) && !draft.contains(BEARER), "{draft}");
    assert_eq!(mode(&data.join("wscope/draft.json")), 0o600);
    // Offered back, it says what to type again.
    let mut pty = Pty::spawn(
        &[],
        &[
            ("XDG_CONFIG_HOME", config.to_str().unwrap()),
            ("XDG_DATA_HOME", data.to_str().unwrap()),
        ],
        None,
    );
    pty.wait_for(&["Restore unsaved work?"]);
    pty.press(b"y");
    pty.wait_for(&["without its secrets", "Authorization"]);
    pty.press(b"\x03");
    let _ = pty.wait_for_exit();
}

#[test]
fn a_stuck_send_ends_in_a_named_state_while_keys_keep_working() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(common::hostile_server());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.bin");
    std::fs::write(&file, vec![0x5a; 48 << 20]).unwrap();
    let url = server.url("ws", "/deaf");
    // Pings far apart, so it is the stuck send, not a missing pong, that
    // ends the connection; the send timeout is the ping timeout.
    let mut pty = Pty::spawn(&[&url, "--ping-interval", "20", "--ping-timeout", "3"], &[], None);
    pty.wait_for(&["Connected"]);
    pty.press(b"\x1b2"); // Alt-2: Message
    pty.press(b"\x1bOR"); // F3: hex, where @file is read
    pty.press(format!("@{}", file.display()).as_bytes());
    pty.wait_for(&["sends (48 MiB)"]);
    pty.press(b"\x0a"); // Ctrl-J
    let sent = Instant::now();
    pty.wait_for(&["sent "]);
    // The URL pane takes typed keys while the send is stuck.
    pty.press(b"\x1b1");
    pty.press(b"/typed");
    pty.wait_for(&["/deaf/typed"]);
    let deadline = sent + Duration::from_secs(3) + Duration::from_millis(1500);
    let screen = loop {
        let text = pty.text();
        if text.contains("Failed (") || text.contains("Closed (") {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "no named end within the ping timeout:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(25));
    };
    assert!(screen.contains("Failed (send timed out after 3"), "{screen}");
    pty.press(b"\x03");
    assert!(pty.wait_for_exit().success());
    assert_restored(&pty);
}

#[test]
fn a_panic_in_the_connection_task_restores_the_terminal_and_fails() {
    let mut pty = Pty::spawn(
        &["ws://127.0.0.1:9/"],
        &[("WSCOPE_TEST_PANIC", "conn"), ("RUST_BACKTRACE", "0")],
        None,
    );
    let status = pty.wait_for_exit();
    assert!(!status.success(), "{status:?}");
    assert_eq!(status.exit_code(), 101);
    assert_restored(&pty);
    let text = pty.text();
    assert!(text.contains("panicked at src/conn/task.rs"), "{text}");
    assert!(text.contains("this is a bug"), "{text}");
}

#[test]
fn sigquit_restores_the_terminal() {
    let mut pty = Pty::spawn(&[], &[], None);
    pty.wait_for(&["Disconnected"]);
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(pty.pid() as i32, libc::SIGQUIT) }, 0);
    let status = pty.wait_for_exit();
    assert!(status.success(), "{status:?}");
    assert_restored(&pty);
}

#[test]
fn a_runaway_jq_filter_is_stopped_and_reported_while_keys_keep_working() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime
        .block_on(wscope::server::DemoServer::start("127.0.0.1:0".parse().unwrap()))
        .unwrap();
    let url = server.url();
    // jq cannot be interrupted: the expression runs in a process of its
    // own, killed past its budget (a loop) or found dead (a recursion
    // that ran out of stack).
    for (expression, why) in [("def f: f; f", "ran past"), ("def f: 1 + f; f", "crashed")] {
        let mut pty = Pty::spawn(&[&url, "--ping-interval", "0"], &[], None);
        pty.wait_for(&["Connected"]);
        pty.press(b"\x1b5"); // Alt-5: the frames pane
        let typed = Instant::now();
        pty.press(format!("fjq: {expression}\r").as_bytes());
        let screen = pty.wait_for(&[why, "filter off"]);
        assert!(typed.elapsed() < Duration::from_secs(5), "{:?}", typed.elapsed());
        assert!(!screen.contains("[jq:"), "the filter is gone:\n{screen}");
        // The keys still work: a new filter applies at once.
        pty.press(b"fjq: .type == \"tick\"\r");
        pty.wait_for(&["[jq: .type == \"tick\"]"]);
        pty.press(b"\x03");
        pty.wait_for_exit();
    }
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wscope"))
        .args(["test", &url, "--expect-jq", "def f: f; f", "--timeout", "5"])
        .args(["--config-dir", tempfile::tempdir().unwrap().path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("ran past"),
        "{output:?}"
    );
    drop(server);
}
