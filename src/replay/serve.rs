//! `wscope serve --replay FILE`: a mock server that plays the server's side
//! of a recording to every client. By default it is gated: it sends what
//! the server sent up to the client's next recorded message, then waits
//! for the client to send that message before going on.
//!
//! A HAR that recorded several connections is served whole: each client
//! gets the recording whose URL path it asks for.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use super::{Cue, MatchRule, Script, Timing, preview};
use crate::record::FrameKind;

/// How the recording is played.
#[derive(Debug)]
pub struct ReplayOptions {
    /// Wait for each recorded client message (the default), or play the
    /// server's frames on their own timeline.
    pub gated: bool,
    pub rule: MatchRule,
    pub timing: Timing,
    /// Start over after the last frame, for as long as the client stays.
    pub looping: bool,
    /// The recorded subprotocol, offered back when the client asks for it.
    pub subprotocol: Option<String>,
    /// Refuse the upgrade as recorded: a status and a body.
    pub rejection: Option<(u16, String)>,
}

/// One recording served at a path.
pub struct Route {
    /// The recorded URL's path (`/v1/feed`); a client asking for it gets
    /// this recording.
    pub path: String,
    pub script: Script,
    pub options: ReplayOptions,
}

/// A running replay server; it stops when dropped.
pub struct ReplayServer {
    addr: SocketAddr,
    accept_loop: JoinHandle<()>,
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

impl ReplayServer {
    /// Binds `addr` and replays `script` to every client; what happens is
    /// written to `log` a line at a time (standard output for `serve`).
    pub async fn start(
        addr: SocketAddr,
        script: Script,
        options: ReplayOptions,
        log: fn(&str),
    ) -> std::io::Result<Self> {
        let route = Route {
            path: String::new(),
            script,
            options,
        };
        Self::start_routes(addr, vec![route], log).await
    }

    /// Binds `addr` and serves each client the route for the path it asks
    /// for; with one route, every client gets it whatever the path.
    pub async fn start_routes(addr: SocketAddr, routes: Vec<Route>, log: fn(&str)) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared: Arc<[Route]> = routes.into();
        let clients = Arc::new(AtomicU64::new(0));
        let accept_loop = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        let number = clients.fetch_add(1, Ordering::Relaxed) + 1;
                        tokio::spawn(serve_client(stream, shared.clone(), number, log));
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        Ok(Self { addr, accept_loop })
    }

    /// The ws:// URL clients connect to.
    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }
}

type Sink = SplitSink<WebSocketStream<TcpStream>, Message>;
type Source = SplitStream<WebSocketStream<TcpStream>>;

/// The route for a client asking for `path`: the only one, or the one
/// recorded at that path.
fn route_for<'a>(routes: &'a [Route], path: &str) -> Option<&'a Route> {
    match routes {
        [only] => Some(only),
        _ => routes.iter().find(|route| route.path == path),
    }
}

async fn serve_client(stream: TcpStream, routes: Arc<[Route]>, number: u64, log: fn(&str)) {
    let say = |text: String| log(&crate::sanitize::one_line_owned(format!("client {number}: {text}")));
    let mut chosen: Option<&Route> = None;
    // tungstenite's callback type, not ours, has the large error.
    #[allow(clippy::result_large_err)]
    let handshake = |request: &Request, mut response: Response| -> Result<Response, ErrorResponse> {
        let Some(route) = route_for(&routes, request.uri().path()) else {
            let paths: Vec<&str> = routes.iter().map(|route| route.path.as_str()).collect();
            let mut refusal = ErrorResponse::new(Some(format!(
                "no recording at {}: this replay serves {}",
                request.uri().path(),
                paths.join(", ")
            )));
            *refusal.status_mut() = StatusCode::NOT_FOUND;
            return Err(refusal);
        };
        chosen = Some(route);
        let options = &route.options;
        if let Some((status, body)) = &options.rejection {
            let mut rejection = ErrorResponse::new(Some(body.clone()));
            *rejection.status_mut() = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST);
            return Err(rejection);
        }
        let asked = request
            .headers()
            .get_all("sec-websocket-protocol")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .any(|offered| Some(offered) == options.subprotocol.as_deref());
        if asked
            && let Some(value) = options
                .subprotocol
                .as_deref()
                .and_then(|p| HeaderValue::from_str(p).ok())
        {
            response.headers_mut().insert("sec-websocket-protocol", value);
        }
        Ok(response)
    };
    let socket = match tokio_tungstenite::accept_hdr_async(stream, handshake).await {
        Ok(socket) => socket,
        Err(error) => {
            say(format!("handshake ended: {error}"));
            return;
        }
    };
    let Some(Route { path, script, options }) = chosen else {
        return;
    };
    if routes.len() > 1 {
        say(format!("connected to {path}"));
    } else {
        say("connected".into());
    }
    let (mut sink, mut source) = socket.split();
    let played = if options.gated {
        play_gated(script, options, &mut sink, &mut source, &say).await
    } else {
        play_timeline(script, options, &mut sink, &say).await
    };
    if !played {
        return;
    }
    match &script.close {
        Some((code, reason)) => {
            say(format!("closing as recorded ({code} {reason})"));
            let _ = sink
                .send(Message::Close(Some(CloseFrame {
                    code: (*code).into(),
                    reason: reason.clone().into(),
                })))
                .await;
            while let Some(Ok(_)) = source.next().await {}
        }
        None => {
            say("the recording is played; listening until the client closes".into());
            while let Some(Ok(message)) = source.next().await {
                if let Some((kind, payload)) = data(&message) {
                    say(format!(
                        "sent {} after the end of the recording",
                        preview(kind, payload)
                    ));
                }
            }
        }
    }
    say("gone".into());
}

/// Plays each turn after the client's recorded message; false when the
/// client left.
async fn play_gated(
    script: &Script,
    options: &ReplayOptions,
    sink: &mut Sink,
    source: &mut Source,
    say: &impl Fn(String),
) -> bool {
    loop {
        if !play(&script.greeting, options.timing, sink).await {
            return false;
        }
        for (index, turn) in script.turns.iter().enumerate() {
            loop {
                let Some(Ok(message)) = source.next().await else {
                    say("left".into());
                    return false;
                };
                let Some((kind, payload)) = data(&message) else {
                    continue;
                };
                if options.rule.matches(&turn.awaited.payload, payload) {
                    say(format!("sent recorded message {}/{}", index + 1, script.turns.len()));
                    break;
                }
                say(format!(
                    "sent {}, which matches nothing: waiting for {}",
                    preview(kind, payload),
                    preview(turn.awaited.kind, &turn.awaited.payload)
                ));
            }
            if !play(&turn.answers, options.timing, sink).await {
                return false;
            }
        }
        if !options.looping || script.turns.is_empty() && script.greeting.is_empty() {
            return true;
        }
        say("the recording starts over".into());
    }
}

/// Plays every server frame at its recorded time, whatever the client
/// sends; false when the client left.
async fn play_timeline(script: &Script, options: &ReplayOptions, sink: &mut Sink, say: &impl Fn(String)) -> bool {
    let cues: Vec<&Cue> = script
        .greeting
        .iter()
        .chain(script.turns.iter().flat_map(|t| t.answers.iter()))
        .collect();
    loop {
        let start = tokio::time::Instant::now();
        for cue in &cues {
            tokio::time::sleep_until(start + options.timing.gap(cue.offset)).await;
            if sink.send(message(cue)).await.is_err() {
                say("left".into());
                return false;
            }
        }
        if !options.looping || cues.is_empty() {
            return true;
        }
        say("the recording starts over".into());
    }
}

/// Sends `cues`, each after its recorded gap; false when the client left.
async fn play(cues: &[Cue], timing: Timing, sink: &mut Sink) -> bool {
    for cue in cues {
        let wait = timing.gap(cue.delay);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        if sink.send(message(cue)).await.is_err() {
            return false;
        }
    }
    true
}

fn message(cue: &Cue) -> Message {
    match cue.kind {
        FrameKind::Text => Message::Text(String::from_utf8_lossy(&cue.payload).into_owned().into()),
        _ => Message::Binary(cue.payload.clone()),
    }
}

fn data(message: &Message) -> Option<(FrameKind, &[u8])> {
    match message {
        Message::Text(text) => Some((FrameKind::Text, text.as_bytes())),
        Message::Binary(bytes) => Some((FrameKind::Binary, bytes)),
        _ => None,
    }
}
