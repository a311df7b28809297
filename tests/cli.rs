//! The headless profile commands of the real binary.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

fn wscope(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wscope"))
        .arg("--config-dir")
        .arg(config)
        .args(args)
        .output()
        .expect("run wscope")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const CHROME_CURL: &str = "curl 'wss://stream.example.com/v1/feed?room=blue' \\\n  -H 'Upgrade: websocket' \\\n  -H 'Origin: https://app.example.com' \\\n  -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \\\n  -H 'Sec-WebSocket-Version: 13' \\\n  -b 'session=abc123'";

#[test]
fn curl_import_export_and_import_elsewhere() {
    let here = tempfile::tempdir().unwrap();
    let there = tempfile::tempdir().unwrap();

    let out = wscope(here.path(), &["import", "--curl", CHROME_CURL, "--name", "feed"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("dropped handshake headers"));

    let listed = wscope(here.path(), &["profiles"]);
    assert!(text(&listed.stdout).contains("feed") && text(&listed.stdout).contains("wss://stream.example.com/v1/feed"));

    let exported = here.path().join("feed-export.json");
    let out = wscope(here.path(), &["export", "feed", exported.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let again = wscope(here.path(), &["export", "feed", exported.to_str().unwrap()]);
    assert!(!again.status.success(), "export does not overwrite without --force");

    let out = wscope(there.path(), &["import", exported.to_str().unwrap(), "--name", "feed"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let moved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(there.path().join("profiles/feed.json")).unwrap()).unwrap();
    assert_eq!(moved["headers"][0]["key"], "Origin");
    assert_eq!(moved["headers"][1]["value"], "session=abc123");
    assert_eq!(moved["params"][0]["value"], "blue");

    let refused = wscope(there.path(), &["import", exported.to_str().unwrap(), "--name", "feed"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("already exists"),
        "{}",
        text(&refused.stderr)
    );
    let forced = wscope(
        there.path(),
        &["import", exported.to_str().unwrap(), "--name", "feed", "--force"],
    );
    assert!(forced.status.success());
}

#[test]
fn corrupt_import_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\n  \"url\": 5\n}\n").unwrap();
    let out = wscope(dir.path(), &["import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(error.contains("bad.json") && error.contains("line 2"), "{error}");
    assert_eq!(std::fs::read_to_string(&bad).unwrap(), "{\n  \"url\": 5\n}\n");
}

#[test]
fn profile_names_that_escape_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = wscope(dir.path(), &["import", "--curl", "curl wss://x/", "--name", "../evil"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("invalid profile name"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.path().join("evil.json").exists());
}

#[test]
fn config_init_writes_the_defaults_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = wscope(dir.path(), &["config", "--init"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    assert_eq!(written, wscope::config::SHIPPED);
    let again = wscope(dir.path(), &["config", "--init"]);
    assert!(!again.status.success() && text(&again.stderr).contains("--force"));
    let keys = wscope(dir.path(), &["config", "--keys"]);
    assert!(text(&keys.stdout).contains("toggle_connection") && text(&keys.stdout).contains("Ctrl-O"));
}

#[test]
fn completions_and_man_page_print() {
    let dir = tempfile::tempdir().unwrap();
    let bash = wscope(dir.path(), &["completions", "bash"]);
    assert!(bash.status.success() && text(&bash.stdout).contains("wscope profiles --names"));
    let man = wscope(dir.path(), &["man"]);
    assert!(man.status.success() && text(&man.stdout).contains(".TH wscope"));
}

/// `wscope … | head` closes the pipe early; every printing command must end
/// quietly and successfully rather than panic on the closed pipe.
#[test]
fn a_closed_standard_output_ends_output_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let save = wscope(dir.path(), &["import", "--curl", CHROME_CURL, "--name", "feed"]);
    assert!(save.status.success(), "{}", text(&save.stderr));
    for args in [
        &["completions", "bash"][..],
        &["man"],
        &["config", "--keys"],
        &["profiles"],
        &["export", "feed"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = Command::new(env!("CARGO_BIN_EXE_wscope"))
            .arg("--config-dir")
            .arg(dir.path())
            .args(args)
            .stdout(writer)
            .output()
            .expect("run wscope");
        let stderr = text(&output.stderr);
        assert!(output.status.success() && stderr.is_empty(), "{args:?}: {stderr}");
    }
}

/// `wscope --help` lists each command in one line, as cargo does; the
/// detail is in `wscope help CMD`.
#[test]
fn each_command_is_summed_up_in_one_short_line() {
    let command = <wscope::cli::Cli as clap::CommandFactory>::command();
    for sub in command.get_subcommands() {
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        assert!(!about.is_empty(), "{} has no summary", sub.get_name());
        assert!(
            !about.contains('\n') && about.chars().count() <= 64,
            "{}'s summary is more than a short line: {about:?}",
            sub.get_name()
        );
    }
}
