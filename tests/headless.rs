//! `wscope test` and `wscope pipe` against servers on 127.0.0.1.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn wscope(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wscope"))
        .args(args)
        .arg("--config-dir")
        .arg(dir.path())
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wscope");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    child.wait_with_output().expect("wscope finished")
}

/// Runs `body` with the feed server on a runtime of its own.
fn with_feed(body: impl FnOnce(&str)) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(common::feed_server());
    body(&server.url("ws", "/feed"));
    drop(server);
}

fn report(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&output.stdout)))
}

#[test]
fn test_succeeds_on_the_expected_frame() {
    with_feed(|url| {
        let out = wscope(
            &[
                "test",
                url,
                "-H",
                "api-key: s3cret",
                "-q",
                "room=blue",
                "-m",
                "ping-me",
                "--expect",
                "^echo:ping",
                "--json",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let report = report(&out);
        assert_eq!(report["ok"], true);
        assert_eq!(report["status"], 101);
        assert_eq!(report["frame"]["text"], "echo:ping-me");
        assert!(report["timings_ms"]["total"].as_f64().unwrap() > 0.0);
        assert!(report["reply_latency_ms"].as_f64().is_some());
    });
}

#[test]
fn test_with_jq_and_the_text_report() {
    with_feed(|url| {
        let out = wscope(
            &[
                "test",
                url,
                "-H",
                "api-key: s3cret",
                "-q",
                "room=blue",
                "--expect-jq",
                r#".type == "hello""#,
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.starts_with("✓ ws://"), "{text}");
        assert!(text.contains("handshake   HTTP 101"), "{text}");
    });
}

#[test]
fn test_times_out_when_nothing_matches() {
    with_feed(|url| {
        let out = wscope(
            &[
                "test",
                url,
                "-H",
                "api-key: s3cret",
                "-q",
                "room=blue",
                "--expect",
                "never",
                // Long enough for a process start and a connect on a busy
                // machine: only the expectation may time out here.
                "--timeout",
                "2",
                "--json",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(2));
        let report = report(&out);
        assert_eq!(report["ok"], false);
        assert!(
            report["error"].as_str().unwrap().contains("no matching frame"),
            "{report}"
        );
    });
}

#[test]
fn test_fails_when_the_server_closes_first() {
    with_feed(|url| {
        let out = wscope(
            &[
                "test",
                url,
                "-H",
                "api-key: s3cret",
                "-q",
                "room=blue",
                "-m",
                "close-me",
                "--expect",
                "never",
                "--json",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(2));
        assert!(report(&out)["error"].as_str().unwrap().contains("4000 asked to"));
    });
}

#[test]
fn test_reports_a_rejected_upgrade() {
    with_feed(|url| {
        let out = wscope(&["test", url, "-q", "room=blue", "--json"], None);
        assert_eq!(out.status.code(), Some(1));
        let error = report(&out)["error"].as_str().unwrap().to_string();
        assert!(error.contains("401") && error.contains("missing api key"), "{error}");
    });
}

#[test]
fn pipe_round_trip_keeps_order_over_100000_lines() {
    // close-me at the end makes the server close, which ends the pipe.
    with_feed(|url| {
        let input: String = (0..100_000)
            .map(|i| format!("line {i}\n"))
            .chain(std::iter::once("close-me\n".to_string()))
            .collect();
        let out = wscope(
            &["pipe", url, "-H", "api-key: s3cret", "-q", "room=blue", "--keep-open"],
            Some(input.as_bytes()),
        );
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], r#"{"type":"hello","server":"feed"}"#);
        assert_eq!(lines.len(), 100_001, "greeting plus every echo");
        for (i, line) in lines[1..].iter().enumerate() {
            assert_eq!(*line, format!("echo:line {i}"));
        }
    });
}

#[test]
fn pipe_prints_every_reply_that_arrives_after_its_input_ends() {
    // `seq 1 2000 | wscope pipe URL`: input ends long before the echoes
    // are in; they are all printed, in order, before the close.
    with_feed(|url| {
        let input: String = (1..=2000).map(|i| format!("{i}\n")).collect();
        let out = wscope(
            &["pipe", url, "-H", "api-key: s3cret", "-q", "room=blue"],
            Some(input.as_bytes()),
        );
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let echoes: Vec<&str> = text.lines().filter(|l| l.starts_with("echo:")).collect();
        let expected: Vec<String> = (1..=2000).map(|i| format!("echo:{i}")).collect();
        assert_eq!(echoes, expected);
        // --linger 0 closes at once: whatever was printed is still in order.
        let out = wscope(
            &["pipe", url, "-H", "api-key: s3cret", "-q", "room=blue", "--linger", "0"],
            Some(input.as_bytes()),
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let echoes: Vec<&str> = text.lines().filter(|l| l.starts_with("echo:")).collect();
        assert_eq!(echoes, expected[..echoes.len()]);
    });
}

#[test]
fn log_works_headless_and_a_failed_write_is_reported() {
    with_feed(|url| {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("test.ndjson");
        let args = |log: &str| {
            vec![
                "test".to_string(),
                url.to_string(),
                "-H".into(),
                "api-key: s3cret".into(),
                "-q".into(),
                "room=blue".into(),
                "-m".into(),
                "hi".into(),
                "--expect".into(),
                "^echo:hi".into(),
                "--log".into(),
                log.to_string(),
            ]
        };
        let owned = args(log.to_str().unwrap());
        let out = wscope(&owned.iter().map(String::as_str).collect::<Vec<_>>(), None);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.contains(r#""text":"echo:hi""#), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
        // A disk that is full: said on standard error, and the test goes on.
        let owned = args("/dev/full");
        let out = wscope(&owned.iter().map(String::as_str).collect::<Vec<_>>(), None);
        assert_eq!(out.status.code(), Some(0));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("--log write failed") && stderr.contains("incomplete"),
            "{stderr}"
        );
        assert_eq!(
            stderr.matches("--log write failed").count(),
            1,
            "reported once: {stderr}"
        );
    });
}
