//! `wscope run FLOW --to artillery|k6`: the real binary writes the script,
//! and the real engine (Artillery from npm, where installed) runs it
//! against a server started here. k6 cannot be installed on this machine,
//! so its script is checked as JavaScript by node.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::{WAIT, serve, wscope_in};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

const FLOW: &str = r#"
[[step]]
send = "hello"
[[step]]
expect = { jq = '.type == "welcome"' }
capture = { id = ".id" }
[[step]]
send = 'ack {{id}}'
[[step]]
expect = { regex = "^acked u[0-9]+$" }
"#;

/// Welcomes each connection with an id of its own and answers its ack;
/// every text it receives is kept.
async fn welcoming_server(seen: Arc<Mutex<Vec<String>>>) -> common::TestServer {
    let next_id = Arc::new(std::sync::atomic::AtomicUsize::new(1));
    serve(move |stream| {
        let (seen, next_id) = (seen.clone(), next_id.clone());
        async move {
            let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            let id = format!("u{}", next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
            while let Some(Ok(message)) = ws.next().await {
                let Message::Text(text) = message else { continue };
                seen.lock().unwrap().push(text.to_string());
                let reply = match text.as_str() {
                    "hello" => format!(r#"{{"type":"welcome","id":"{id}"}}"#),
                    other => match other.strip_prefix("ack ") {
                        Some(acked) => format!("acked {acked}"),
                        None => continue,
                    },
                };
                if ws.send(Message::text(reply)).await.is_err() {
                    return;
                }
            }
        }
    })
    .await
}

fn write_flow(dir: &std::path::Path, url: &str, body: &str) -> std::path::PathBuf {
    let path = dir.join("welcome.flow.toml");
    std::fs::write(&path, format!("[request]\nurl = \"{url}\"\n{body}")).unwrap();
    path
}

fn installed(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|out| out.status.success())
}

#[tokio::test(flavor = "multi_thread")]
async fn artillery_runs_the_export_with_no_failed_users_and_the_server_sees_every_message() {
    if !installed("artillery", &["--version"]) {
        eprintln!("skipped: artillery is not installed (npm install -g artillery)");
        return;
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = welcoming_server(seen.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let flow = write_flow(dir.path(), &server.url("ws", "/load"), FLOW);
    let script = dir.path().join("welcome.yml");
    let out = wscope_in(
        &[
            "run",
            flow.to_str().unwrap(),
            "--to",
            "artillery",
            "--users",
            "5",
            "--duration",
            "1",
            "--out",
            script.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let (counters, printed) = artillery_counters(&script).await;
    assert_eq!(counters["vusers.failed"].as_u64().unwrap_or(0), 0, "{printed}");
    assert_eq!(counters["vusers.completed"].as_u64(), Some(5), "{printed}");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.iter().filter(|m| *m == "hello").count(), 5, "{seen:?}");
    // Each user sent back the id it was given: the capture carried over.
    let mut acked: Vec<&str> = seen.iter().filter_map(|m| m.strip_prefix("ack ")).collect();
    acked.sort_unstable();
    assert_eq!(acked, ["u1", "u2", "u3", "u4", "u5"], "{seen:?}");
    drop(server);
    let _ = WAIT;
}

/// socketioxide, a Socket.IO server no one here wrote: `hello` is answered
/// with `welcome` and an id of the connection's own; `ack` is noted.
async fn socketio_server(seen: Arc<Mutex<Vec<String>>>) -> std::net::SocketAddr {
    use socketioxide::SocketIo;
    use socketioxide::extract::{Data, SocketRef};
    let (svc, io) = SocketIo::builder().build_svc();
    let next_id = Arc::new(std::sync::atomic::AtomicUsize::new(1));
    io.ns("/", async move |socket: SocketRef| {
        let id = format!("u{}", next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let seen_hello = seen.clone();
        socket.on("hello", async move |socket: SocketRef, Data::<serde_json::Value>(_)| {
            seen_hello.lock().unwrap().push("hello".into());
            socket.emit("welcome", &serde_json::json!({ "id": id })).ok();
        });
        let seen_ack = seen.clone();
        socket.on("ack", async move |Data::<String>(acked)| {
            seen_ack.lock().unwrap().push(format!("ack {acked}"));
        });
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let svc = svc.clone();
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, svc)
                    .with_upgrades()
                    .await;
            });
        }
    });
    addr
}

/// Runs `script` with the real Artillery; its report's counters.
async fn artillery_counters(script: &std::path::Path) -> (serde_json::Value, String) {
    let report = script.with_extension("report.json");
    let run = tokio::task::spawn_blocking({
        let (script, report) = (script.to_path_buf(), report.clone());
        move || {
            Command::new("artillery")
                .args(["run", "--output"])
                .arg(&report)
                .arg(&script)
                .env("ARTILLERY_DISABLE_TELEMETRY", "true")
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let printed = String::from_utf8_lossy(&run.stdout).into_owned() + &String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "artillery failed:\n{printed}");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    (report["aggregate"]["counters"].clone(), printed)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_socketio_flow_runs_in_artillerys_socketio_engine_against_socketioxide() {
    if !installed("artillery", &["--version"]) {
        eprintln!("skipped: artillery is not installed (npm install -g artillery)");
        return;
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let addr = socketio_server(seen.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let body = r#"protocol = "socketio"
[[step]]
send = '["hello", {"name": "load"}]'
[[step]]
expect = { jq = '.event == "welcome"' }
capture = { id = ".args[0].id" }
[[step]]
send = '["ack", "{{id}}"]'
[[step]]
wait = "200ms"
"#;
    let flow = write_flow(
        dir.path(),
        &format!("ws://{addr}/socket.io/?EIO=4&transport=websocket"),
        body,
    );
    let script = dir.path().join("socketio.yml");
    let args = [
        "run",
        flow.to_str().unwrap(),
        "--to",
        "artillery",
        "--users",
        "3",
        "--out",
        script.to_str().unwrap(),
    ];
    let out = wscope_in(&args, dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let (counters, printed) = artillery_counters(&script).await;
    assert_eq!(counters["vusers.failed"].as_u64().unwrap_or(0), 0, "{printed}");
    assert_eq!(counters["vusers.completed"].as_u64(), Some(3), "{printed}");
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_unstable();
    assert_eq!(seen, ["ack u1", "ack u2", "ack u3", "hello", "hello", "hello"]);
}

#[test]
fn the_k6_export_is_javascript_that_node_reads() {
    if !installed("node", &["--version"]) {
        eprintln!("skipped: node is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let flow = write_flow(
        dir.path(),
        "ws://127.0.0.1:9/load",
        &format!("{FLOW}[[step]]\nrepeat = {{ times = 2, steps = [ {{ send = '{{{{$uuid}}}} `x` ${{y}}' }} ] }}\n"),
    );
    let out = wscope_in(
        &["run", flow.to_str().unwrap(), "--to", "k6", "--users", "3"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let script = dir.path().join("welcome.mjs");
    std::fs::write(&script, &out.stdout).unwrap();
    let check = Command::new("node").arg("--check").arg(&script).output().unwrap();
    assert!(
        check.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&check.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("export const options = { vus: 3, iterations: 3 };"),
        "{text}"
    );
    assert!(
        text.contains("\\`x\\` \\${y}"),
        "a literal backtick and ${{ stay text: {text}"
    );
}

#[test]
fn a_refused_flow_names_its_lines_and_lenient_writes_the_rest_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let body = "[[step]]\nsend = 'a'\n[[step]]\nexpect = { jq = '.items | length > 2' }\n";
    let flow = write_flow(dir.path(), "ws://127.0.0.1:9/", body);
    let out = wscope_in(&["run", flow.to_str().unwrap(), "--to", "artillery"], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("line 5:") && stderr.contains("not a plain path"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());

    let script = dir.path().join("out.yml");
    let lenient = [
        flow.to_str().unwrap(),
        "--to",
        "artillery",
        "--lenient",
        "--out",
        script.to_str().unwrap(),
    ];
    let out = wscope_in(&[&["run"][..], &lenient].concat(), dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let written = std::fs::read_to_string(&script).unwrap();
    assert!(written.contains("# left out, line 5:"), "{written}");
    let mode = std::fs::metadata(&script).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Written again over its own file; never over one the user wrote.
    let again = wscope_in(&[&["run"][..], &lenient].concat(), dir.path());
    assert_eq!(again.status.code(), Some(0));
    std::fs::write(&script, "my notes\n").unwrap();
    let refused = wscope_in(&[&["run"][..], &lenient].concat(), dir.path());
    assert_ne!(refused.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not overwritten"));
    assert_eq!(std::fs::read_to_string(&script).unwrap(), "my notes\n");
}
