//! Capture: `wscope proxy` stands between someone else's client and its
//! server and shows their WebSocket traffic as it passes.
//!
//! Reverse mode sends every upgrade made to the listen address to one
//! upstream; forward mode is an HTTP proxy (CONNECT and absolute URIs)
//! that captures the upgrades inside, opening TLS with certificates of its
//! own local authority. Each captured connection is announced with a
//! [`ConnHandle`] and a stream of [`ConnEvent`]s, exactly like a
//! connection wscope makes itself, so every view of the inspector and
//! every headless printer takes it as it is.
//!
//! May import: `conn`, `filter`, `format`, `jq`, `record`, `request`, `sanitize`.

pub mod authority;
mod forward;
pub mod head;
mod hold;
mod prefixed;
mod pump;
mod relay;
pub mod rules;
pub mod upstream;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use url::Url;

use self::head::{HeadError, RequestHead};
use self::relay::{Io, RelaySettings};
use self::upstream::{Answer, Dialer};
use crate::conn::{ConnError, ConnEvent, ConnHandle, ConnState, EVENT_QUEUE, error::MAX_REJECTION_BODY};
use crate::record::{HandshakeReport, PhaseTimings};

pub use self::authority::Authority;
pub use self::rules::Rules;

/// The default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8899";

/// Everything the proxy is set up with.
pub struct CaptureOptions {
    /// Reverse mode's one upstream; `None` is forward mode.
    pub upstream: Option<Url>,
    /// The user's -H, added to (or replacing) the client's headers upstream.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub dialer: Dialer,
    pub max_message_size: usize,
    pub send_timeout: Duration,
    pub rules: Arc<Rules>,
    /// A held frame not acted on for this long goes on as it was.
    pub hold_timeout: Duration,
    /// Forward mode: the hosts whose CONNECT tunnels are opened (all when
    /// `None`); others are tunnelled blind.
    pub intercept_hosts: Option<Vec<String>>,
    /// The interception rule a new connection starts with, as the
    /// inspector last set it.
    pub hold_rule: tokio::sync::watch::Receiver<Option<crate::conn::InterceptRule>>,
    /// Forward mode: the `Proxy-Authorization` value a client must send.
    pub proxy_auth: Option<String>,
    /// Forward mode: the authority that signs certificates for TLS interception.
    pub authority: Option<Arc<Authority>>,
}

/// A connection the proxy captured, announced as it starts.
pub struct Captured {
    /// 1 for the first since the proxy started.
    pub id: u64,
    /// The server's URL.
    pub url: Url,
    pub client: SocketAddr,
    /// The upgrade request as it went upstream.
    pub request_headers: Vec<(String, String)>,
    /// Takes the inspector's commands: `Send` injects towards the server,
    /// `SendToClient` towards the client, `Close` closes both.
    pub handle: ConnHandle,
    pub events: mpsc::Receiver<ConnEvent>,
}

/// What the proxy has to say.
pub enum Notice {
    Captured(Captured),
    /// Something about a client or the listener, not one captured
    /// connection: a bad request, a tunnel, a pass-through.
    Note {
        error: bool,
        text: String,
    },
}

/// How many notices may wait; notes beyond it are dropped (a flood of bad
/// clients must not grow memory), connections never are.
pub const NOTICE_QUEUE: usize = 256;

/// The listener's shared state.
struct Proxy {
    options: CaptureOptions,
    next_id: AtomicU64,
    notices: mpsc::Sender<Notice>,
}

impl Proxy {
    fn note(&self, error: bool, text: String) {
        let _ = self.notices.try_send(Notice::Note { error, text });
    }
}

/// Serves clients on `listener` until the notices' receiver goes away.
pub async fn serve(listener: TcpListener, options: CaptureOptions, notices: mpsc::Sender<Notice>) {
    let proxy = Arc::new(Proxy {
        options,
        next_id: AtomicU64::new(1),
        notices,
    });
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(serve_client(proxy.clone(), stream, peer));
                }
                // Out of file descriptors, say: wait, rather than spin.
                Err(error) => {
                    proxy.note(true, format!("cannot accept a connection: {error}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            () = proxy.notices.closed() => return,
        }
    }
}

async fn serve_client(proxy: Arc<Proxy>, mut stream: TcpStream, peer: SocketAddr) {
    let mut buffer = Vec::new();
    let head = match head::read_request(&mut stream, &mut buffer).await {
        Ok(head) => head,
        Err(error) => return refuse_bad_head(&proxy, &mut stream, peer, error).await,
    };
    match &proxy.options.upstream {
        Some(upstream) => {
            if !head::is_websocket_upgrade(&head) {
                proxy.note(
                    false,
                    format!(
                        "{peer}: {} {} is not a WebSocket upgrade: answered 426",
                        head.method, head.target
                    ),
                );
                head::respond(
                    &mut stream,
                    426,
                    "Upgrade Required",
                    &[("Upgrade", "websocket")],
                    "wscope proxy relays WebSocket upgrades only\n",
                )
                .await;
                return;
            }
            let url = upstream::reverse_target(upstream, &head.target);
            capture(&proxy, Box::new(stream), buffer, head, url, peer).await;
        }
        None => forward::serve(&proxy, stream, buffer, head, peer).await,
    }
}

async fn refuse_bad_head<S: tokio::io::AsyncWrite + Unpin>(
    proxy: &Proxy,
    stream: &mut S,
    peer: SocketAddr,
    error: HeadError,
) {
    proxy.note(true, format!("{peer}: {error}"));
    match error {
        HeadError::Malformed(_) => head::respond(stream, 400, "Bad Request", &[], "not an HTTP request\n").await,
        HeadError::TooLarge => {
            head::respond(
                stream,
                431,
                "Request Header Fields Too Large",
                &[],
                "the request head is too large\n",
            )
            .await
        }
        HeadError::Timeout => {
            head::respond(stream, 408, "Request Timeout", &[], "the request head took too long\n").await
        }
        HeadError::Closed | HeadError::Io(_) => {}
    }
}

/// Relays one WebSocket upgrade to `url` and the conversation after it,
/// announcing the connection first so that even a refusal is seen.
async fn capture(
    proxy: &Proxy,
    mut client: Box<dyn Io>,
    leftover: Vec<u8>,
    head: RequestHead,
    url: Url,
    peer: SocketAddr,
) {
    let options = &proxy.options;
    let request = upstream::upgrade_request(&url, &head, &options.headers);
    let (handle, commands) = crate::conn::command_channel();
    let (events, events_rx) = mpsc::channel(EVENT_QUEUE);
    let captured = Captured {
        id: proxy.next_id.fetch_add(1, Ordering::Relaxed),
        url: url.clone(),
        client: peer,
        request_headers: head::as_text(&request.headers),
        handle,
        events: events_rx,
    };
    if proxy.notices.send(Notice::Captured(captured)).await.is_err() {
        return;
    }
    let emit = |event| events.send(event);
    let _ = emit(ConnEvent::state(ConnState::Connecting {
        url: url.to_string(),
        since: Instant::now(),
    }))
    .await;
    if let Some(offered) = &request.removed_extensions {
        let _ = emit(ConnEvent::Warning(format!(
            "the client offered Sec-WebSocket-Extensions: {offered}; wscope removed it (it cannot read compressed frames), so the server sends plain ones"
        )))
        .await;
    }
    let (answer, via) = match upstream::open(&url, &request, &options.dialer).await {
        Ok(answer) => answer,
        Err(error) => {
            let body = format!("wscope proxy could not reach {url}: {error}\n");
            head::respond(&mut client, 502, "Bad Gateway", &[], &body).await;
            let _ = emit(ConnEvent::state(ConnState::Failed(error))).await;
            return;
        }
    };
    match answer {
        Answer::Refused { response, body } => {
            // Passed back as it came: the client sees what the server said.
            // In one write: a client may read the body that came with the
            // head and no more.
            let mut answer = response.raw.clone();
            answer.extend_from_slice(&body);
            let _ = client.write_all(&answer).await;
            let _ = client.shutdown().await;
            let shown = &body[..body.len().min(MAX_REJECTION_BODY)];
            let error = ConnError::Upgrade {
                status: response.status,
                reason: response.reason.clone(),
                headers: head::as_text(&response.headers),
                body: String::from_utf8_lossy(shown).into_owned(),
                body_truncated: body.len() > MAX_REJECTION_BODY,
            };
            let _ = emit(ConnEvent::state(ConnState::Failed(error))).await;
        }
        Answer::Upgraded {
            stream,
            response,
            leftover: server_leftover,
            dialed,
        } => {
            if let Err(error) = client.write_all(&response.raw).await {
                let _ = emit(ConnEvent::state(ConnState::Closed {
                    code: Some(crate::record::ABNORMAL_CLOSURE),
                    reason: format!("the client went away during the upgrade: {error}"),
                    by: crate::record::Closer::Network,
                }))
                .await;
                return;
            }
            let protocol = head::value(&response.headers, "sec-websocket-protocol")
                .map(|v| String::from_utf8_lossy(v).into_owned());
            let report = HandshakeReport {
                status: response.status,
                headers: head::as_text(&response.headers),
                protocol: protocol.clone(),
                proxy: via,
                timings: PhaseTimings {
                    dns: dialed.dns,
                    tcp: dialed.tcp,
                    tls: dialed.tls,
                    upgrade: dialed.upgrade,
                    total: dialed.total,
                },
            };
            let _ = emit(ConnEvent::Handshake(report)).await;
            let _ = emit(ConnEvent::State {
                state: ConnState::Open {
                    since: Instant::now(),
                    protocol,
                },
                at: SystemTime::now(),
            })
            .await;
            // Bytes read past each head are the first of its stream.
            let client = relay::Side {
                stream: client,
                leftover,
            };
            let server = relay::Side {
                stream: Box::new(stream),
                leftover: server_leftover,
            };
            let settings = RelaySettings {
                send_timeout: options.send_timeout,
                rules: options.rules.clone(),
                hold_timeout: options.hold_timeout,
                max_message_size: options.max_message_size,
            };
            let initial = options.hold_rule.borrow().clone();
            relay::run(client, server, settings, initial, commands, events).await;
        }
    }
}
