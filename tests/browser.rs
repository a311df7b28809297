//! `wscope proxy` with a real browser: headless Chromium, driven over its
//! DevTools protocol, opens WebSockets through the proxy, in reverse mode
//! and as its `--proxy-server` (ws:// in clear, wss:// by interception).
//! Skipped, saying so, where Chromium is not installed.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::result_large_err)]

mod common;

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::proxy::Proxy;
use common::{TestServer, serve};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

const PAGE: &str = r#"<!doctype html><pre id="out">start</pre><script>
const out = document.getElementById('out');
const log = (s) => { out.textContent += "\n" + s; };
const ws = new WebSocket(new URLSearchParams(location.search).get('ws'));
ws.onopen = () => { log("open"); ws.send(JSON.stringify({hello: "from the browser"})); };
ws.onmessage = (e) => { log("got " + e.data); if (e.data.includes("the browser")) { ws.close(1000, "done"); } };
ws.onerror = () => log("error");
ws.onclose = (e) => log("close " + e.code);
</script>"#;

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH")?
                .to_str()?
                .split(':')
                .map(|dir| PathBuf::from(dir).join(name))
                .find(|path| path.is_file())
        })
}

/// A headless Chromium and its DevTools address.
struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    devtools_port: u16,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole group: Chromium's helpers too.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

impl Browser {
    fn start(binary: &PathBuf, flags: &[&str]) -> Self {
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(flags)
            .arg("about:blank")
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        let port_file = profile.path().join("DevToolsActivePort");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let devtools_port = loop {
            if let Some(port) = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|text| text.lines().next()?.trim().parse().ok())
            {
                break port;
            }
            assert!(std::time::Instant::now() < deadline, "chromium did not start");
            std::thread::sleep(Duration::from_millis(50));
        };
        Self {
            child,
            _profile: profile,
            devtools_port,
        }
    }

    /// Opens `url` and returns the page's log once it says the socket
    /// closed (or after 15 s).
    async fn run_page(&self, url: &str) -> String {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.devtools_port))
            .await
            .unwrap();
        stream
            .write_all(b"GET /json/list HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        // DevTools keeps the connection open: read up to the body's length.
        let mut answer = Vec::new();
        let body = tokio::time::timeout(common::WAIT, async {
            let mut chunk = [0u8; 4096];
            loop {
                let read = stream.read(&mut chunk).await.unwrap();
                answer.extend_from_slice(&chunk[..read]);
                let text = String::from_utf8_lossy(&answer).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().to_string())
                        })
                        .and_then(|v| v.parse::<usize>().ok());
                    if read == 0 || length.is_some_and(|n| body.len() >= n) {
                        return body.to_string();
                    }
                }
                assert!(read > 0, "DevTools closed early");
            }
        })
        .await
        .expect("DevTools answered");
        let targets: Value = serde_json::from_str(&body).expect("DevTools targets");
        let page = targets
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .expect("a page");
        // Its address names the host as the request did; the port is ours.
        let path = page["webSocketDebuggerUrl"]
            .as_str()
            .unwrap()
            .split("/devtools/")
            .nth(1)
            .unwrap();
        let debugger = format!("ws://127.0.0.1:{}/devtools/{path}", self.devtools_port);
        let (mut cdp, _) = tokio_tungstenite::connect_async(debugger.as_str())
            .await
            .unwrap_or_else(|e| panic!("DevTools at {debugger}: {e}"));
        let mut id = 0;
        let mut call = async |method: &str, params: Value| -> Value {
            id += 1;
            cdp.send(Message::text(
                json!({"id": id, "method": method, "params": params}).to_string(),
            ))
            .await
            .unwrap();
            loop {
                let next = tokio::time::timeout(common::WAIT, cdp.next())
                    .await
                    .expect("DevTools answers");
                let Some(Ok(Message::Text(text))) = next else {
                    panic!("DevTools went away");
                };
                let reply: Value = serde_json::from_str(&text).unwrap();
                if reply["id"] == id {
                    return reply;
                }
            }
        };
        call("Page.navigate", json!({ "url": url })).await;
        let mut text = String::new();
        for _ in 0..150 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let reply = call(
                "Runtime.evaluate",
                json!({"expression": "document.getElementById('out') ? document.getElementById('out').textContent : ''"}),
            )
            .await;
            text = reply["result"]["result"]["value"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if text.contains("close") {
                break;
            }
        }
        text
    }
}

/// A tokio-tungstenite server that greets, echoes and records paths.
async fn echo_server(paths: Arc<Mutex<Vec<String>>>) -> TestServer {
    serve(move |stream| {
        let paths = paths.clone();
        async move {
            let record =
                |request: &tokio_tungstenite::tungstenite::handshake::server::Request,
                 response: tokio_tungstenite::tungstenite::handshake::server::Response| {
                    paths.lock().unwrap().push(request.uri().to_string());
                    Ok(response)
                };
            let Ok(mut socket) = tokio_tungstenite::accept_hdr_async(stream, record).await else {
                return;
            };
            let _ = socket.send(Message::text("greeting")).await;
            while let Some(Ok(message)) = socket.next().await {
                if message.is_text() {
                    let _ = socket.send(message).await;
                }
            }
        }
    })
    .await
}

fn page_file() -> tempfile::NamedTempFile {
    let page = tempfile::Builder::new().suffix(".html").tempfile().unwrap();
    std::fs::write(page.path(), PAGE).unwrap();
    page
}

#[tokio::test]
async fn a_browser_through_the_reverse_proxy() {
    let Some(binary) = chromium() else {
        eprintln!("skipped: no chromium installed (apt install chromium)");
        return;
    };
    let paths = Arc::new(Mutex::new(Vec::new()));
    let server = echo_server(paths.clone()).await;
    let proxy = Proxy::start(&[&server.url("ws", "/")]);
    let page = page_file();
    let browser = Browser::start(&binary, &[]);
    let url = format!("file://{}?ws=ws://{}/room1", page.path().display(), proxy.addr);
    let log = browser.run_page(&url).await;
    assert!(log.contains("got greeting"), "{log}");
    assert!(log.contains(r#"got {"hello":"from the browser"}"#), "{log}");
    assert_eq!(paths.lock().unwrap().as_slice(), ["/room1"]);
    let deadline = std::time::Instant::now() + common::WAIT;
    loop {
        let out = proxy.stdout.lock().unwrap().clone();
        if out.contains("#1 ↑ text") && out.contains(r#"{"hello":"from the browser"}"#) && out.contains("#1 ↓ text")
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "both directions are shown: {out}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_browser_pointed_at_the_forward_proxy_is_captured_in_clear_and_over_tls() {
    let Some(binary) = chromium() else {
        eprintln!("skipped: no chromium installed (apt install chromium)");
        return;
    };
    let paths = Arc::new(Mutex::new(Vec::new()));
    let server = echo_server(paths.clone()).await;
    let log_dir = tempfile::tempdir().unwrap();
    let log_path = log_dir.path().join("browser.ndjson");
    let (upstream_ca, upstream_config) = common::test_tls();
    let secure = common::tls_echo_server(upstream_config).await;
    let ca_path = log_dir.path().join("upstream-ca.pem");
    std::fs::write(&ca_path, upstream_ca).unwrap();
    let proxy = Proxy::start(&[
        "--log",
        log_path.to_str().unwrap(),
        "--cacert",
        ca_path.to_str().unwrap(),
    ]);
    let page = page_file();
    let proxy_flag = format!("--proxy-server=http://{}", proxy.addr);
    // The browser trusts no certificate here but wscope's (and would show
    // an error page for any other): it is a throwaway profile.
    let browser = Browser::start(
        &binary,
        &[
            &proxy_flag,
            "--proxy-bypass-list=<-loopback>",
            "--ignore-certificate-errors",
        ],
    );
    let url = format!("file://{}?ws=ws://{}/clear", page.path().display(), server.addr);
    let log = browser.run_page(&url).await;
    assert!(log.contains(r#"got {"hello":"from the browser"}"#), "{log}");
    assert_eq!(paths.lock().unwrap().as_slice(), ["/clear"]);
    let url = format!(
        "file://{}?ws=wss://localhost:{}/secure",
        page.path().display(),
        secure.addr.port()
    );
    let log = browser.run_page(&url).await;
    assert!(log.contains("got secure greeting"), "{log}");
    assert!(log.contains(r#"got {"hello":"from the browser"}"#), "{log}");
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logged.contains(r#""text":"{\"hello\":\"from the browser\"}""#),
        "wss in clear: {logged}"
    );
    assert!(logged.contains(r#""direction":"sent""#) && logged.contains(r#""direction":"received""#));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&log_path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let recordings = wscope::recording::load(&log_path).unwrap();
    assert!(recordings.iter().any(|r| r.url.ends_with("/clear")));
    assert!(
        recordings
            .iter()
            .any(|r| r.url.starts_with("wss://localhost") && r.url.ends_with("/secure"))
    );
}
