//! `wscope proxy` between peers it did not write: tokio-tungstenite clients
//! and servers, a hyper server for what passes through, tokio-rustls with
//! rcgen certificates for TLS; the real binary, headless.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::result_large_err)]

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::proxy::Proxy;
use common::{HOSTILE, TestServer, WAIT, hostile_bytes_in, serve};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// What an upstream saw of the upgrade.
#[derive(Default, Debug, Clone)]
struct Seen {
    path: String,
    headers: Vec<(String, String)>,
}

/// A tokio-tungstenite server: greets, echoes, picks `superchat` when
/// offered, and records each upgrade request.
async fn echo_server(seen: Arc<Mutex<Vec<Seen>>>) -> TestServer {
    serve(move |stream| {
        let seen = seen.clone();
        async move {
            let record = |request: &Request, mut response: Response| {
                seen.lock().unwrap().push(Seen {
                    path: request.uri().to_string(),
                    headers: request
                        .headers()
                        .iter()
                        .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                        .collect(),
                });
                let offered = request
                    .headers()
                    .get("sec-websocket-protocol")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                if offered.split(',').any(|p| p.trim() == "superchat") {
                    response
                        .headers_mut()
                        .insert("sec-websocket-protocol", "superchat".parse().unwrap());
                }
                Ok(response)
            };
            let Ok(mut socket) = tokio_tungstenite::accept_hdr_async(stream, record).await else {
                return;
            };
            let _ = socket.send(Message::text("greeting")).await;
            while let Some(Ok(message)) = socket.next().await {
                if message.is_text() || message.is_binary() {
                    let _ = socket.send(message).await;
                }
            }
        }
    })
    .await
}

type Client = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn next_text(client: &mut Client) -> String {
    loop {
        let message = tokio::time::timeout(WAIT, client.next())
            .await
            .expect("a frame in time")
            .expect("a frame")
            .expect("no error");
        if let Message::Text(text) = message {
            return text.to_string();
        }
    }
}

#[tokio::test]
async fn reverse_mode_relays_both_ways_with_the_clients_path_subprotocol_and_our_headers() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = echo_server(seen.clone()).await;
    let log = tempfile::tempdir().expect("temp dir");
    let log_path = log.path().join("capture.ndjson");
    let proxy = Proxy::start(&[
        &server.url("ws", "/"),
        "-H",
        "X-Added: by-wscope",
        "--log",
        log_path.to_str().unwrap(),
    ]);
    let mut request = proxy.url("/room1?x=1").into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert("sec-websocket-protocol", "chat, superchat".parse().unwrap());
    headers.insert("sec-websocket-extensions", "permessage-deflate".parse().unwrap());
    let (mut client, response) = tokio_tungstenite::connect_async(request).await.expect("upgraded");
    assert_eq!(
        response
            .headers()
            .get("sec-websocket-protocol")
            .map(|v| v.to_str().unwrap()),
        Some("superchat"),
        "the server's choice comes back"
    );
    assert_eq!(next_text(&mut client).await, "greeting");
    client.send(Message::text(r#"{"n":1}"#)).await.unwrap();
    assert_eq!(next_text(&mut client).await, r#"{"n":1}"#);
    client.close(None).await.unwrap();

    let upstream = seen.lock().unwrap()[0].clone();
    assert_eq!(upstream.path, "/room1?x=1");
    let header = |name: &str| {
        upstream
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("host"), Some(server.addr.to_string()));
    assert_eq!(header("x-added").as_deref(), Some("by-wscope"));
    assert_eq!(header("sec-websocket-extensions"), None, "extensions are taken out");

    let out = proxy.printed("↑ close").await;
    assert!(out.contains("#1 ↓ text") && out.contains("greeting"), "{out}");
    assert!(out.contains(r#"#1 ↑ text 7 B {"n":1}"#), "{out}");
    let err = proxy.said("Closed").await;
    assert!(err.contains("removed it"), "the log says extensions went: {err}");

    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&log_path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let recordings = wscope::recording::load(&log_path).expect("the log reads back");
    assert_eq!(recordings.len(), 1);
    let frames = &recordings[0].frames;
    assert!(
        frames
            .iter()
            .any(|f| f.direction == wscope::record::Direction::Sent && f.payload == r#"{"n":1}"#)
    );
    assert!(
        frames
            .iter()
            .any(|f| f.direction == wscope::record::Direction::Received && f.payload == "greeting")
    );
    assert!(recordings[0].url.ends_with("/room1?x=1"), "{}", recordings[0].url);
}

#[tokio::test]
async fn a_refusal_goes_back_to_the_client_as_the_server_sent_it() {
    let server = serve(|mut stream| async move {
        common::read_request_head(&mut stream).await;
        let body = "no token, no entry\n";
        let response = format!(
            "HTTP/1.1 401 Unauthorized\r\nX-Reason: token\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
    })
    .await;
    let proxy = Proxy::start(&[&server.url("ws", "/")]);
    let error = tokio_tungstenite::connect_async(proxy.url("/private"))
        .await
        .expect_err("refused");
    let tokio_tungstenite::tungstenite::Error::Http(response) = error else {
        panic!("not an HTTP refusal: {error}");
    };
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers().get("x-reason").unwrap(), "token");
    assert_eq!(response.body().as_deref(), Some(&b"no token, no entry\n"[..]));
    let err = proxy.said("Failed").await;
    assert!(err.contains("401"), "{err}");
}

#[tokio::test]
async fn rules_rewrite_each_way_and_drop() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = echo_server(seen).await;
    let proxy = Proxy::start(&[
        &server.url("ws", "/"),
        "--rewrite",
        "jq:.user = \"test\"",
        "--rewrite-in",
        "jq:.echoed = true",
        "--drop",
        "^noise$",
    ]);
    let (mut client, _) = tokio_tungstenite::connect_async(proxy.url("/"))
        .await
        .expect("upgraded");
    assert_eq!(next_text(&mut client).await, "greeting");
    client.send(Message::text("noise")).await.unwrap();
    client.send(Message::text(r#"{"user":"ann"}"#)).await.unwrap();
    // The echo of the rewritten message, rewritten on its way back; the
    // dropped one never reached the server, so no echo of it comes first.
    assert_eq!(next_text(&mut client).await, r#"{"user":"test","echoed":true}"#);
    let err = proxy.said("rewritten by --rewrite-in").await;
    assert!(err.contains("dropped by --drop (^noise$)"), "{err}");
    // Frames passed as they came, rewritten and dropped, read together in
    // one go: they go on in the order they came.
    for text in ["a", r#"{"user":"x"}"#, "b", "noise", r#"{"user":"y"}"#, "c"] {
        client.feed(Message::text(text)).await.unwrap();
    }
    client.flush().await.unwrap();
    let rewritten = r#"{"user":"test","echoed":true}"#;
    for expected in ["a", rewritten, "b", rewritten, "c"] {
        assert_eq!(next_text(&mut client).await, expected);
    }
}

/// Opens a CONNECT tunnel through the proxy at `proxy` to `target`.
async fn connect_tunnel(proxy: SocketAddr, target: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    let request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let head = common::read_request_head(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    stream
}

#[tokio::test]
async fn forward_mode_captures_ws_and_wss_and_passes_plain_http_through() {
    let (upstream_ca, upstream_config) = common::test_tls();
    let secure = common::tls_echo_server(upstream_config).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let plain = echo_server(seen.clone()).await;
    let web = hyper_server().await;
    let ca_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca_file.path(), upstream_ca).unwrap();
    let log = tempfile::tempdir().expect("temp dir");
    let log_path = log.path().join("forward.ndjson");
    let proxy = Proxy::start(&[
        "--cacert",
        ca_file.path().to_str().unwrap(),
        "--log",
        log_path.to_str().unwrap(),
    ]);

    // wss:// inside CONNECT, opened with wscope's own CA, which the client trusts.
    let ours = std::fs::read(proxy.home.join("data").join("wscope-ca.pem")).expect("the CA was made");
    let mut roots = rustls::RootCertStore::empty();
    for cert in <rustls::pki_types::CertificateDer as rustls::pki_types::pem::PemObject>::pem_slice_iter(&ours) {
        roots.add(cert.unwrap()).unwrap();
    }
    let key_mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(proxy.home.join("data").join("wscope-ca.key"))
            .unwrap()
            .permissions()
            .mode()
    };
    assert_eq!(key_mode & 0o777, 0o600);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client_config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tunnel = connect_tunnel(proxy.addr, secure.addr).await;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(client_config))
        .connect("127.0.0.1".try_into().unwrap(), tunnel)
        .await
        .expect("TLS with wscope's certificate");
    let (mut socket, _) = tokio_tungstenite::client_async(format!("wss://{}/secure", secure.addr), tls)
        .await
        .expect("upgraded inside the tunnel");
    let first = socket.next().await.unwrap().unwrap();
    assert_eq!(first.to_text().unwrap(), "secure greeting");
    socket.send(Message::text("through tls")).await.unwrap();
    let echo = socket.next().await.unwrap().unwrap();
    assert_eq!(echo.to_text().unwrap(), "through tls");

    // ws:// as an absolute URI, the way a plain HTTP proxy is asked.
    let mut stream = TcpStream::connect(proxy.addr).await.unwrap();
    let (mut plain_socket, _) = {
        let request = format!("http://{}/plain", plain.addr);
        let mut request = request.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("host", plain.addr.to_string().parse().unwrap());
        // tungstenite writes the request's path; a forward proxy wants the
        // absolute URI, so the handshake is written here by hand.
        let key = tokio_tungstenite::tungstenite::handshake::client::generate_key();
        let head = format!(
            "GET ws://{0}/plain HTTP/1.1\r\nHost: {0}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n",
            plain.addr
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let answer = common::read_request_head(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 101"), "{answer}");
        drop(request);
        (
            tokio_tungstenite::WebSocketStream::from_raw_socket(
                stream,
                tokio_tungstenite::tungstenite::protocol::Role::Client,
                None,
            )
            .await,
            (),
        )
    };
    let greeting = plain_socket.next().await.unwrap().unwrap();
    assert_eq!(greeting.to_text().unwrap(), "greeting");
    assert_eq!(seen.lock().unwrap()[0].path, "/plain");

    // Plain HTTP passes through untouched.
    let mut stream = TcpStream::connect(proxy.addr).await.unwrap();
    let request = format!("GET http://{0}/page HTTP/1.1\r\nHost: {0}\r\n\r\n", web.addr);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut answer))
        .await
        .expect("an answer in time")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("page from hyper at /page"), "{answer}");

    let out = proxy.printed("through tls").await;
    assert!(out.contains("#1 ↓ text") && out.contains("secure greeting"), "{out}");
    let err = proxy.said("passed through").await;
    assert!(
        err.contains(&format!("wss://127.0.0.1:{}/secure", secure.addr.port())),
        "{err}"
    );
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logged.contains(r#""text":"through tls""#),
        "the log has wss in clear: {logged}"
    );
}

/// A hyper server answering every GET with its path.
async fn hyper_server() -> TestServer {
    serve(|stream| async move {
        let service = hyper::service::service_fn(|request: hyper::Request<hyper::body::Incoming>| async move {
            let body = format!("page from hyper at {}", request.uri().path());
            Ok::<_, std::convert::Infallible>(hyper::Response::new(body))
        });
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
            .await;
    })
    .await
}

#[tokio::test]
async fn hostile_peers_leave_every_other_connection_served_and_the_output_clean() {
    let hostile = common::hostile_server().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = echo_server(seen).await;
    let proxy = Proxy::start(&[&server.url("ws", "/"), "--max-message-size", "1M"]);
    let evil_proxy = Proxy::start(&[&hostile.url("ws", "/")]);

    // Garbage, half a handshake (left hanging) and a slow one.
    let mut garbage = TcpStream::connect(proxy.addr).await.unwrap();
    garbage.write_all(b"\x16\x03\x01\x00garbage\r\n\r\n").await.unwrap();
    let mut half = TcpStream::connect(proxy.addr).await.unwrap();
    half.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut slow = TcpStream::connect(proxy.addr).await.unwrap();
    slow.write_all(b"GE").await.unwrap();
    let mut endless = TcpStream::connect(proxy.addr).await.unwrap();
    let head = format!("GET / HTTP/1.1\r\nX-Long: {}", "a".repeat(40_000));
    let _ = endless.write_all(head.as_bytes()).await;

    // A frame larger than --max-message-size ends only its own connection.
    let (mut big, _) = tokio_tungstenite::connect_async(proxy.url("/big")).await.unwrap();
    assert_eq!(next_text(&mut big).await, "greeting");
    let _ = big.send(Message::binary(vec![0u8; 2 << 20])).await;

    // An escape-laden header and frames from both sides.
    let mut request = proxy.url("/fine").into_client_request().unwrap();
    request.headers_mut().insert(
        "x-evil",
        "a\u{1b}]0;pwned\u{7}b".parse().unwrap_or_else(|_| "x".parse().unwrap()),
    );
    let (mut fine, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("others are served");
    assert_eq!(next_text(&mut fine).await, "greeting");
    fine.send(Message::text(HOSTILE)).await.unwrap();
    assert_eq!(next_text(&mut fine).await, HOSTILE);
    let (mut victim, _) = tokio_tungstenite::connect_async(evil_proxy.url("/x")).await.unwrap();
    assert_eq!(next_text(&mut victim).await, HOSTILE);
    // Read on, so the server's close (its reason full of escapes) completes.
    while let Ok(Some(Ok(_))) = tokio::time::timeout(WAIT, victim.next()).await {}

    let _ = proxy.said("larger than").await;
    let _ = proxy.said("#1 Closed").await;
    let err = proxy.said("not HTTP").await;
    assert!(
        err.contains("a message of 2097152 bytes is over the limit of 1048576"),
        "the big frame is named: {err}"
    );
    let out = proxy.printed("#2 ↓ text").await + &evil_proxy.printed("↓ text").await;
    let _ = evil_proxy.said("Closed").await;
    for text in [&out, &err, &evil_proxy.stderr.lock().unwrap().clone()] {
        assert_eq!(
            hostile_bytes_in(text.as_bytes()),
            None,
            "raw control bytes reached the output:\n{text}"
        );
    }
    assert!(out.contains("␛]52;"), "escapes are shown as pictures: {out}");
}

#[tokio::test]
async fn sigterm_closes_both_sides_with_going_away() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = echo_server(seen).await;
    let mut proxy = Proxy::start(&[&server.url("ws", "/")]);
    let (mut client, _) = tokio_tungstenite::connect_async(proxy.url("/")).await.unwrap();
    assert_eq!(next_text(&mut client).await, "greeting");
    unsafe { libc::kill(proxy.child.id() as i32, libc::SIGTERM) };
    let close = loop {
        match tokio::time::timeout(WAIT, client.next()).await.expect("in time") {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("no close frame: {other:?}"),
        }
    };
    assert_eq!(close.map(|f| u16::from(f.code)), Some(1001));
    let status = tokio::task::spawn_blocking(move || proxy.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
}

/// The next event of a captured connection that `pick` takes.
async fn next_event<T>(
    events: &mut tokio::sync::mpsc::Receiver<wscope::conn::ConnEvent>,
    mut pick: impl FnMut(wscope::conn::ConnEvent) -> Option<T>,
) -> T {
    loop {
        let event = tokio::time::timeout(WAIT, events.recv())
            .await
            .expect("an event in time")
            .expect("the relay is running");
        if let Some(found) = pick(event) {
            return found;
        }
    }
}

#[tokio::test]
async fn a_held_frame_goes_on_as_edited_and_a_dropped_one_never_arrives() {
    use wscope::capture::{CaptureOptions, Notice, Rules, upstream::Dialer};
    use wscope::conn::{CaptureCommand, ConnCommand, ConnEvent, HoldOutcome, InterceptRule, Outgoing};
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = echo_server(seen).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hold_up = InterceptRule {
        up: true,
        down: false,
        filter: String::new(),
    };
    let (_rule, hold_rule) = tokio::sync::watch::channel(Some(hold_up));
    let options = CaptureOptions {
        upstream: Some(url::Url::parse(&server.url("ws", "/")).unwrap()),
        headers: Vec::new(),
        dialer: Dialer {
            proxy: wscope::request::ProxyChoice::Direct,
            connect_timeout: WAIT,
            tls: None,
        },
        max_message_size: 1 << 20,
        send_timeout: WAIT,
        rules: Arc::new(Rules::default()),
        hold_timeout: Duration::from_secs(60),
        intercept_hosts: None,
        hold_rule,
        proxy_auth: None,
        authority: None,
    };
    let (notices_tx, mut notices) = tokio::sync::mpsc::channel(16);
    tokio::spawn(wscope::capture::serve(listener, options, notices_tx));
    let (mut client, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/held"))
        .await
        .unwrap();
    let Some(Notice::Captured(mut captured)) = notices.recv().await else {
        panic!("no capture announced");
    };
    assert_eq!(next_text(&mut client).await, "greeting", "the server's way is not held");

    async fn held(events: &mut tokio::sync::mpsc::Receiver<ConnEvent>, text: &str) -> u64 {
        next_event(events, |event| match event {
            ConnEvent::Held { id, frame } => {
                assert_eq!(frame.payload, text);
                Some(id)
            }
            _ => None,
        })
        .await
    }
    client.send(Message::text("first")).await.unwrap();
    let first = held(&mut captured.events, "first").await;
    captured.handle.send(ConnCommand::Capture(CaptureCommand::Release {
        id: first,
        edited: Some(Outgoing::Text("first, edited".into())),
    }));
    assert_eq!(next_text(&mut client).await, "first, edited", "the server got the edit");

    client.send(Message::text("second")).await.unwrap();
    let second = held(&mut captured.events, "second").await;
    client.send(Message::text("third")).await.unwrap();
    let third = held(&mut captured.events, "third").await;
    captured
        .handle
        .send(ConnCommand::Capture(CaptureCommand::Drop { id: second }));
    captured.handle.send(ConnCommand::Capture(CaptureCommand::Release {
        id: third,
        edited: None,
    }));
    assert_eq!(
        next_text(&mut client).await,
        "third",
        "the dropped frame never reached the server"
    );
    let outcomes = next_event(&mut captured.events, |event| match event {
        ConnEvent::Released { id, outcome } if id == third => Some(outcome),
        _ => None,
    })
    .await;
    assert_eq!(outcomes, HoldOutcome::Forwarded);
}

#[tokio::test]
async fn a_flood_with_pings_and_fragments_arrives_whole_and_in_order() {
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = received.clone();
    let server = serve(move |stream| {
        let sink = sink.clone();
        async move {
            let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            while let Some(Ok(message)) = socket.next().await {
                if let Message::Text(text) = message {
                    sink.lock().unwrap().push(text.to_string());
                }
            }
        }
    })
    .await;
    let proxy = Proxy::start(&[&server.url("ws", "/")]);
    let (mut client, _) = tokio_tungstenite::connect_async(proxy.url("/")).await.unwrap();
    const COUNT: usize = 20_000;
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    for n in 0..COUNT {
        // Pings (answered by the proxy, not passed on) and fragmented
        // messages (passed on whole) break the run of bytes that goes on
        // as it came; the order must hold across them.
        if n % 7 == 3 {
            client.feed(Message::Ping(vec![1, 2].into())).await.unwrap();
        }
        if n % 11 == 5 {
            let text = n.to_string();
            let (head, tail) = text.split_at(1);
            let first = Frame::message(head.as_bytes().to_vec(), OpCode::Data(Data::Text), false);
            let rest = Frame::message(tail.as_bytes().to_vec(), OpCode::Data(Data::Continue), true);
            client.feed(Message::Frame(first)).await.unwrap();
            client.feed(Message::Frame(rest)).await.unwrap();
            continue;
        }
        client.feed(Message::text(n.to_string())).await.unwrap();
    }
    client.flush().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while received.lock().unwrap().len() < COUNT && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), COUNT, "frames were lost on the way");
    assert!(
        got.iter().enumerate().all(|(n, text)| *text == n.to_string()),
        "frames arrived out of order"
    );
}

#[tokio::test]
async fn a_server_that_stops_reading_fails_its_connection_by_name_and_no_other() {
    let hostile = common::hostile_server().await;
    let proxy = Proxy::start(&[&hostile.url("ws", "/"), "--send-timeout", "1"]);
    let (mut deaf, _) = tokio_tungstenite::connect_async(proxy.url("/deaf")).await.unwrap();
    assert_eq!(next_text(&mut deaf).await, HOSTILE);
    // Enough to fill every buffer between the proxy and a server that reads nothing.
    let chunk = vec![7u8; 1 << 20];
    let flood = tokio::spawn(async move {
        for _ in 0..64 {
            match tokio::time::timeout(Duration::from_secs(3), deaf.send(Message::binary(chunk.clone()))).await {
                Ok(Ok(())) => {}
                _ => break,
            }
        }
        deaf
    });
    // Another connection is served meanwhile.
    let (mut other, _) = tokio_tungstenite::connect_async(proxy.url("/other")).await.unwrap();
    assert_eq!(next_text(&mut other).await, HOSTILE);
    // The stall is named once the other side has had its time to close.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let err = loop {
        let err = proxy.stderr.lock().unwrap().clone();
        if err.contains("stopped reading") || tokio::time::Instant::now() > deadline {
            break err;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(err.contains("#1 Failed (the server stopped reading"), "{err}");
    // The client hears why, in a close frame of its own.
    let mut deaf = flood.await.unwrap();
    let close = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(message)) = deaf.next().await {
            if let Message::Close(frame) = message {
                return frame;
            }
        }
        None
    })
    .await
    .expect("no close frame came");
    let close = close.expect("a close frame with a code");
    assert_eq!(
        (u16::from(close.code), close.reason.as_str()),
        (1001, "the server stopped reading")
    );
}
