//! Servers and helpers shared by the integration tests. Every server binds
//! 127.0.0.1 on a free port and lives as long as its handle.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

pub mod mosquitto;
pub mod proxy;
pub mod pty;
pub mod rabbitmq;
pub mod ui;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use wscope::conn::ConnEvent;

/// Every wait in the tests is bounded by this, so a bug fails fast.
pub const WAIT: Duration = Duration::from_secs(5);

/// A server task that stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    pub fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://{}{path}", self.addr)
    }
}

/// The server from the issue's acceptance test: it requires `api-key: s3cret`
/// and `room=blue`, rejecting with 401 and a body otherwise; greets with a
/// JSON object; echoes text as `echo:<text>`; closes with 4000 "asked to" on
/// `close-me`; and drops the TCP connection without a close frame on `drop-me`.
pub async fn feed_server() -> TestServer {
    serve(|stream| async move { handle_feed(stream).await }).await
}

/// The feed server behind TLS with the given server config.
pub async fn feed_server_tls(config: Arc<rustls::ServerConfig>) -> TestServer {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    serve(move |stream| {
        let acceptor = acceptor.clone();
        async move {
            if let Ok(tls) = acceptor.accept(stream).await {
                handle_feed(tls).await;
            }
        }
    })
    .await
}

/// A server that accepts TCP connections and then says nothing.
pub async fn silent_server() -> TestServer {
    serve(|stream| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(stream);
    })
    .await
}

pub async fn serve<F, Fut>(handler: F) -> TestServer
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local addr");
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(handler(stream));
        }
    });
    TestServer { addr, task }
}

#[allow(clippy::result_large_err)]
fn check_auth(request: &Request, response: Response) -> Result<Response, ErrorResponse> {
    let has_key = request.headers().get("api-key").is_some_and(|v| v == "s3cret");
    let has_room = request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|pair| pair == "room=blue"));
    if has_key && has_room {
        return Ok(response);
    }
    let mut rejection = ErrorResponse::new(Some("missing api key or room\n".to_string()));
    *rejection.status_mut() = StatusCode::UNAUTHORIZED;
    rejection
        .headers_mut()
        .insert("content-type", "text/plain".parse().expect("static header"));
    Err(rejection)
}

async fn handle_feed<S: AsyncRead + AsyncWrite + Unpin>(stream: S) {
    let Ok(mut socket) = tokio_tungstenite::accept_hdr_async(stream, check_auth).await else {
        return;
    };
    let greeting = r#"{"type":"hello","server":"feed"}"#;
    if socket.send(Message::text(greeting)).await.is_err() {
        return;
    }
    while let Some(Ok(message)) = socket.next().await {
        let Message::Text(text) = message else { continue };
        match text.as_str() {
            "close-me" => {
                let frame = CloseFrame {
                    code: 4000.into(),
                    reason: "asked to".into(),
                };
                let _ = socket.close(Some(frame)).await;
                // Drain until the client answers, as a polite server does.
                while let Some(Ok(_)) = socket.next().await {}
                return;
            }
            "drop-me" => return,
            other => {
                if socket.send(Message::text(format!("echo:{other}"))).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// A port on 127.0.0.1 with nothing listening.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    addr
}

/// Collects events until one satisfies `done`, failing the test after [`WAIT`].
pub async fn events_until(
    events: &mut mpsc::Receiver<ConnEvent>,
    what: &str,
    mut done: impl FnMut(&ConnEvent) -> bool,
) -> Vec<ConnEvent> {
    let mut seen = Vec::new();
    let result = tokio::time::timeout(WAIT, async {
        while let Some(event) = events.recv().await {
            // Batches are looked into, so tests see frames one by one.
            let flat = match event {
                ConnEvent::Frames(frames) => frames.into_iter().map(ConnEvent::Frame).collect(),
                single => vec![single],
            };
            for event in flat {
                let finished = done(&event);
                seen.push(event);
                if finished {
                    return true;
                }
            }
        }
        false
    })
    .await;
    assert!(matches!(result, Ok(true)), "waited for {what}, saw instead: {seen:#?}");
    seen
}

/// Reads an HTTP request head from `stream` (up to the blank line).
pub async fn read_request_head(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// A server that completes a real WebSocket handshake by hand, then writes
/// `after` raw (so tests can send frames no library would).
pub async fn raw_after_handshake(after: &'static [u8]) -> TestServer {
    serve(move |mut stream| async move {
        use tokio::io::AsyncWriteExt;
        let head = read_request_head(&mut stream).await;
        let key = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("sec-websocket-key").then(|| value.trim().to_string())
            })
            .unwrap_or_default();
        let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
        let response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.write_all(after).await;
        // Hold the connection open; the client decides what happens next.
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await
}

/// A server that answers any request with `response`, verbatim.
pub async fn raw_http(response: &'static str) -> TestServer {
    serve(move |mut stream| async move {
        use tokio::io::AsyncWriteExt;
        read_request_head(&mut stream).await;
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await
}

/// Terminal control sequences a hostile server might send: set the
/// clipboard (OSC 52), the window title (OSC 0), clear the screen, leave
/// the alternate screen, a C1 CSI (U+009B), a carriage return and BEL.
pub const HOSTILE: &str = "A\u{1b}]52;c;aGFja2Vk\u{7}B\u{1b}]0;pwned\u{7}C\u{1b}[2J\u{1b}[?1049lD\u{9b}31mE\rF";

/// How [`HOSTILE`] reads once sanitized.
pub const HOSTILE_SHOWN: &str = "A␛]52;c;aGFja2Vk␇B␛]0;pwned␇C␛[2J␛[?1049lD�31mE␍F";

/// [`HOSTILE_SHOWN`] as the test terminal (vt100) reads it back: it drops
/// U+FFFD, which a real terminal shows.
pub fn hostile_on_screen() -> String {
    HOSTILE_SHOWN.replace('\u{fffd}', "")
}

/// Raw byte patterns from [`HOSTILE`] that must never reach a terminal.
pub const HOSTILE_BYTES: &[&[u8]] = &[b"\x1b]52;", b"\x1b]0;", b"\x1b[?1049lD", b"\xc2\x9b31m", b"\x07"];

/// The first of [`HOSTILE_BYTES`] found in `output`, if any.
pub fn hostile_bytes_in(output: &[u8]) -> Option<String> {
    HOSTILE_BYTES.iter().find_map(|pattern| {
        output
            .windows(pattern.len())
            .any(|w| w == *pattern)
            .then(|| format!("{pattern:?}"))
    })
}

/// A server that puts [`HOSTILE`] everywhere it can: `/reject` answers 401
/// with it in the body; any other path completes the upgrade, sends it as a
/// text frame, and 300 ms later closes with it in the reason. `/deaf` sends
/// the frame and then never reads again; `/sio…` first sends it in
/// Socket.IO packets, `/msgpack` in a MessagePack map.
pub async fn hostile_server() -> TestServer {
    serve(|mut stream| async move {
        use tokio::io::AsyncWriteExt;
        let mut peek = [0u8; 64];
        let n = stream.peek(&mut peek).await.unwrap_or(0);
        let path = String::from_utf8_lossy(&peek[..n])
            .split(' ')
            .nth(1)
            .unwrap_or_default()
            .to_string();
        if path.starts_with("/reject") {
            read_request_head(&mut stream).await;
            let body = format!("denied {HOSTILE}\n");
            let response = format!(
                "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            return;
        }
        let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
            return;
        };
        if path.starts_with("/sio") {
            // Socket.IO packets with it wherever a client quotes the
            // server: the open packet, a CONNECT_ERROR, a binary event's
            // namespace and its attachment.
            for text in [
                format!("0{HOSTILE}"),
                format!(r#"44{{"message":"{HOSTILE}"}}"#),
                format!(r#"451-/{HOSTILE},["up",{{"_placeholder":true,"num":0}}]"#),
            ] {
                let _ = socket.send(Message::text(text)).await;
            }
            let _ = socket.send(Message::binary(HOSTILE.as_bytes().to_vec())).await;
        }
        if path.starts_with("/msgpack") {
            // Decoded and shown as JSON: its strings must come out as pictures.
            let packed = rmp_serde::to_vec_named(&serde_json::json!({ "evil": HOSTILE, HOSTILE: [HOSTILE] }))
                .unwrap_or_default();
            let _ = socket.send(Message::binary(packed)).await;
        }
        let _ = socket.send(Message::text(HOSTILE)).await;
        if path.starts_with("/deaf") {
            tokio::time::sleep(Duration::from_secs(60)).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let reason: String = format!("bye {HOSTILE}");
        let _ = socket
            .send(Message::Close(Some(CloseFrame {
                code: 4000.into(),
                reason: reason.into(),
            })))
            .await;
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await
}

/// Runs the wscope binary with `args` and a config folder of its own, and
/// fails the test unless it exits 0; returns its standard output.
pub fn wscope_ok(args: &[&str]) -> String {
    let home = tempfile::tempdir().expect("temp dir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wscope"))
        .args(args)
        .arg("--config-dir")
        .arg(home.path())
        .output()
        .expect("run wscope");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "wscope {args:?}:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `wscope pipe URL ARGS…` with `lines` on its input, lingering a second
/// for the replies; fails the test unless it exits 0; returns what it
/// printed.
pub fn pipe_lines(url: &str, lines: &str, args: &[&str]) -> String {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut pipe = std::process::Command::new(env!("CARGO_BIN_EXE_wscope"))
        .args(["pipe", url, "--linger", "1"])
        .args(args)
        .args(["--config-dir", dir.path().to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    pipe.stdin.take().unwrap().write_all(lines.as_bytes()).unwrap();
    let out = pipe.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The string values of `field` in each line of `printed` that has it, in
/// order (e.g. the packets `pipe` printed).
pub fn field_values<'a>(printed: &'a str, field: &str) -> Vec<&'a str> {
    let key = format!("\"{field}\":\"");
    printed
        .lines()
        .filter_map(|line| line.split(key.as_str()).nth(1)?.split('"').next())
        .collect()
}

/// `wscope serve --replay LOG` on a free port, stopped when dropped.
pub struct ReplayServer {
    pub url: String,
    child: std::process::Child,
}

impl ReplayServer {
    pub fn start(log: &std::path::Path) -> Self {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wscope"))
            .args(["serve", "--port", "0", "--replay", log.to_str().unwrap()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut first = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut first).unwrap();
        let url = first
            .split_whitespace()
            .find(|word| word.starts_with("ws://"))
            .unwrap_or_else(|| panic!("no URL in {first:?}"))
            .to_string();
        Self { url, child }
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the real binary with `args` and `dir` as its config directory.
pub fn wscope_in(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_wscope"))
        .args(args)
        .arg("--config-dir")
        .arg(dir)
        .output()
        .expect("run wscope")
}

/// The connection task with keepalive pings off, so tests see only the
/// frames they cause.
pub fn spawn_quiet() -> (wscope::conn::ConnHandle, mpsc::Receiver<ConnEvent>) {
    wscope::conn::spawn(wscope::conn::ConnSettings {
        ping_interval: None,
        ..wscope::conn::ConnSettings::default()
    })
}

/// Waits for the connection to open; the subprotocol the server picked.
pub async fn until_open(events: &mut mpsc::Receiver<ConnEvent>) -> Option<String> {
    let seen = events_until(events, "open", |e| {
        matches!(
            e,
            ConnEvent::State {
                state: wscope::conn::ConnState::Open { .. },
                ..
            }
        )
    })
    .await;
    match seen.last() {
        Some(ConnEvent::State {
            state: wscope::conn::ConnState::Open { protocol, .. },
            ..
        }) => protocol.clone(),
        _ => None,
    }
}

/// A handshake callback's answer that picks `wanted` when the client
/// offered it in Sec-WebSocket-Protocol.
pub fn choose_subprotocol(request: &Request, mut response: Response, wanted: &str) -> Response {
    let offered = request
        .headers()
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if offered.split(',').any(|p| p.trim() == wanted) {
        response
            .headers_mut()
            .insert("sec-websocket-protocol", wanted.parse().expect("a token"));
    }
    response
}

/// A fresh CA (as PEM, for `--cacert`) and a TLS server config for
/// 127.0.0.1 and localhost signed by it.
pub fn test_tls() -> (String, Arc<rustls::ServerConfig>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    (ca_cert.pem(), Arc::new(config))
}

/// The echo server behind TLS.
pub async fn tls_echo_server(config: Arc<rustls::ServerConfig>) -> TestServer {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    serve(move |stream| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(tls) = acceptor.accept(stream).await else { return };
            let Ok(mut socket) = tokio_tungstenite::accept_async(tls).await else {
                return;
            };
            let _ = socket.send(Message::text("secure greeting")).await;
            while let Some(Ok(message)) = socket.next().await {
                if message.is_text() {
                    let _ = socket.send(message).await;
                }
            }
        }
    })
    .await
}

/// Runs a flow file with the real binary in a config folder of its own;
/// its exit code and everything it printed.
pub fn run_flow(flow: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("test.flow.toml");
    std::fs::write(&file, flow).expect("write the flow");
    let out = wscope_in(&["run", &file.to_string_lossy()], dir.path());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// Waits out `spell` with nothing sent, failing the test if a frame shows
/// or the connection leaves Open; the protocol keep-alives hidden by then.
pub async fn quiet_spell(events: &mut mpsc::Receiver<ConnEvent>, spell: Duration) -> u64 {
    let quiet = tokio::time::Instant::now() + spell;
    let mut hidden = 0;
    while let Ok(Some(event)) = tokio::time::timeout_at(quiet, events.recv()).await {
        match event {
            ConnEvent::Hidden(count) => hidden = count,
            ConnEvent::State { state, .. } if !matches!(state, wscope::conn::ConnState::Open { .. }) => {
                panic!("the connection did not stay open: {state:?}")
            }
            ConnEvent::Frame(frame) => panic!("no frame was expected, saw {frame:?}"),
            _ => {}
        }
    }
    hidden
}
