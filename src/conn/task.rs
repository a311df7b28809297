//! The connection task's loop: one session at a time, each a `select!` over
//! UI commands, socket frames and the ping timer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::stream::SplitStream;
use futures_util::{FutureExt, StreamExt};
use rustls::ClientConfig;
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message, Utf8Bytes};

use super::arena::Arena;
use super::backoff;
use super::error::ConnError;
use super::handshake::{self, Socket};
use super::intake::{Intake, MAX_BATCH, READ_BUFFER_SIZE, end_state, take_in};
use super::latency::{PingTracker, ReplyTimer};
use super::writer::{Writer, Written};
use super::{ConnCommand, ConnEvent, ConnSettings, ConnState, Outgoing, tls};
use crate::record::{ABNORMAL_CLOSURE, Closer, FrameKind};
use crate::request::ResolvedRequest;

/// How long to wait for the server to answer our close frame.
pub(super) const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a close frame queued on the way out (quit, reconnect) may take
/// to leave before the connection is dropped anyway.
const WRITER_GRACE: Duration = Duration::from_millis(500);

/// How soon a queued send is looked at again for a stall.
const WRITER_POLL: Duration = Duration::from_millis(200);

/// What the task does after a session ends.
enum Next {
    /// Wait for the next command.
    Idle,
    /// The connection ended without the user asking (failed, dropped or
    /// closed by the server): reconnect if that is on.
    Dropped {
        /// Whether it had opened; with `opened_at`, whether it was stable.
        was_open: bool,
    },
    /// Open this request right away (the user reconnected).
    Connect(Box<ResolvedRequest>),
    /// The UI is gone; stop.
    Shutdown,
}

/// The UI dropped its receiver; nothing left to report to.
struct UiGone;

struct Task {
    settings: ConnSettings,
    commands: mpsc::UnboundedReceiver<ConnCommand>,
    events: mpsc::Sender<ConnEvent>,
    /// Loading the system's roots takes milliseconds, so it is done once.
    tls_config: Option<Arc<ClientConfig>>,
    /// When the latest connection opened, to tell a stable connection from
    /// one a server accepts and drops at once.
    opened_at: Option<Instant>,
    /// Whether protocol keep-alives are shown as frames (see
    /// [`ConnCommand::ShowKeepalives`]).
    show_keepalives: bool,
}

pub(super) async fn run(
    settings: ConnSettings,
    commands: mpsc::UnboundedReceiver<ConnCommand>,
    events: mpsc::Sender<ConnEvent>,
) {
    let mut task = Task {
        settings,
        commands,
        events,
        tls_config: None,
        opened_at: None,
        show_keepalives: false,
    };
    let _ = task.serve().await;
}

impl Task {
    async fn emit(&self, event: ConnEvent) -> Result<(), UiGone> {
        self.events.send(event).await.map_err(|_| UiGone)
    }

    async fn serve(&mut self) -> Result<(), UiGone> {
        let mut pending = None;
        // Seeded per process, so two clients of one server spread out.
        let mut jitter = fastrand::Rng::new();
        let mut attempt = 0;
        loop {
            let request = match pending.take() {
                Some(request) => request,
                None => match self.commands.recv().await {
                    None => return Ok(()),
                    Some(ConnCommand::Connect(request)) => {
                        attempt = 0;
                        request
                    }
                    Some(ConnCommand::Send(_) | ConnCommand::Ping(_) | ConnCommand::Capture(_)) => {
                        self.emit(ConnEvent::Refused("not connected: nothing was sent".into()))
                            .await?;
                        continue;
                    }
                    Some(ConnCommand::Close { .. }) => continue,
                    Some(ConnCommand::SetReconnect(on)) => {
                        self.settings.reconnect = on;
                        continue;
                    }
                    Some(ConnCommand::ShowKeepalives(on)) => {
                        self.show_keepalives = on;
                        continue;
                    }
                },
            };
            match self.session(request.clone()).await? {
                Next::Idle => {}
                Next::Connect(next) => {
                    attempt = 0;
                    pending = Some(*next);
                }
                Next::Shutdown => return Ok(()),
                Next::Dropped { was_open } if self.settings.reconnect => {
                    // Only a connection that stayed up a while starts the
                    // backoff over: a server that accepts and drops at once
                    // still sees the gaps grow.
                    if was_open && self.opened_at.is_some_and(|at| at.elapsed() >= backoff::STABLE_AFTER) {
                        attempt = 0;
                    }
                    attempt += 1;
                    pending = self.wait_to_reconnect(attempt, jitter.f64(), request).await?;
                }
                Next::Dropped { .. } => {}
            }
        }
    }

    /// Waits out the backoff before retrying `request`. Returns the request
    /// to open next, or `None` if the user stopped reconnecting.
    async fn wait_to_reconnect(
        &mut self,
        attempt: u32,
        jitter: f64,
        request: ResolvedRequest,
    ) -> Result<Option<ResolvedRequest>, UiGone> {
        let at = Instant::now() + backoff::delay(attempt, jitter);
        self.emit(ConnEvent::state(ConnState::Reconnecting { attempt, at }))
            .await?;
        let deadline = tokio::time::sleep_until(at.into());
        tokio::pin!(deadline);
        loop {
            let stopped = tokio::select! {
                _ = &mut deadline => return Ok(Some(request)),
                command = self.commands.recv() => match command {
                    None => return Ok(None),
                    Some(ConnCommand::Connect(next)) => return Ok(Some(next)),
                    Some(ConnCommand::Close { .. }) => "reconnecting stopped",
                    Some(ConnCommand::SetReconnect(true)) => continue,
                    Some(ConnCommand::ShowKeepalives(on)) => {
                        self.show_keepalives = on;
                        continue;
                    }
                    Some(ConnCommand::SetReconnect(false)) => {
                        self.settings.reconnect = false;
                        "reconnecting turned off"
                    }
                    Some(ConnCommand::Send(_) | ConnCommand::Ping(_) | ConnCommand::Capture(_)) => {
                        self.emit(ConnEvent::Refused("reconnecting: nothing was sent".into())).await?;
                        continue;
                    }
                },
            };
            self.emit(ConnEvent::state(ConnState::Closed {
                code: None,
                reason: stopped.into(),
                by: Closer::Us,
            }))
            .await?;
            return Ok(None);
        }
    }

    fn tls_config(&mut self) -> Result<Arc<ClientConfig>, ConnError> {
        if let Some(config) = &self.tls_config {
            return Ok(config.clone());
        }
        let config = tls::client_config(&self.settings.tls).map_err(|e| ConnError::Tls {
            reason: format!("cannot set up TLS: {e}"),
        })?;
        self.tls_config = Some(config.clone());
        Ok(config)
    }

    async fn session(&mut self, request: ResolvedRequest) -> Result<Next, UiGone> {
        // Lets the tests check what a panic in this task does to the
        // terminal and the exit status; debug builds only.
        #[cfg(debug_assertions)]
        if std::env::var_os("WSCOPE_TEST_PANIC").is_some_and(|v| v == "conn") {
            panic!("WSCOPE_TEST_PANIC=conn");
        }
        self.emit(ConnEvent::state(ConnState::Connecting {
            url: request.url.to_string(),
            since: Instant::now(),
        }))
        .await?;

        let mut ws_config = WebSocketConfig::default();
        // Payloads are copied out of it (see `Arena`), so it is reused;
        // a larger one reads a flood in fewer, larger reads.
        ws_config.read_buffer_size = READ_BUFFER_SIZE;
        ws_config.max_message_size = Some(self.settings.max_message_size);
        ws_config.max_frame_size = Some(self.settings.max_message_size);
        let tls = if request.url.scheme() == "wss" {
            self.tls_config().map(Some)
        } else {
            Ok(None)
        };
        let timeout = self.settings.connect_timeout;
        let open = async {
            let tls = tls?;
            handshake::open(
                &request,
                timeout,
                move || {
                    tls.ok_or_else(|| ConnError::Tls {
                        reason: "TLS not set up".into(),
                    })
                },
                ws_config,
            )
            .await
        };
        tokio::pin!(open);

        let (socket, report) = loop {
            tokio::select! {
                result = &mut open => match result {
                    Ok(opened) => break opened,
                    Err(error) => {
                        self.emit(ConnEvent::state(ConnState::Failed(error))).await?;
                        return Ok(Next::Dropped { was_open: false });
                    }
                },
                command = self.commands.recv() => match command {
                    None => return Ok(Next::Shutdown),
                    Some(ConnCommand::Connect(next)) => return Ok(Next::Connect(Box::new(next))),
                    Some(ConnCommand::Close { .. }) => {
                        self.emit(ConnEvent::state(ConnState::Closed {
                            code: None,
                            reason: "connect cancelled".into(),
                            by: Closer::Us,
                        }))
                        .await?;
                        return Ok(Next::Idle);
                    }
                    Some(ConnCommand::Send(_) | ConnCommand::Ping(_) | ConnCommand::Capture(_)) => {
                        self.emit(ConnEvent::Refused("still connecting: nothing was sent".into())).await?;
                    }
                    Some(ConnCommand::SetReconnect(on)) => self.settings.reconnect = on,
                    Some(ConnCommand::ShowKeepalives(on)) => self.show_keepalives = on,
                },
            }
        };

        let protocol = report.protocol.clone();
        let mut settled = request.protocol.settle(protocol.as_deref());
        settled.connect_timeout = Some(self.settings.connect_timeout);
        settled.max_message_size = Some(self.settings.max_message_size);
        let spoken = crate::protocol::Conversation::new(&settled, protocol.as_deref());
        self.opened_at = Some(Instant::now());
        self.emit(ConnEvent::Handshake(report)).await?;
        self.emit(ConnEvent::state(ConnState::Open {
            since: Instant::now(),
            protocol,
        }))
        .await?;
        self.talk(socket, spoken).await
    }

    /// Runs an open connection until it ends.
    async fn talk(&mut self, socket: Socket, mut protocol: crate::protocol::Conversation) -> Result<Next, UiGone> {
        // Writes get a task of their own (see `writer`): reading, pings, the
        // timeouts and commands go on while a large send is under way.
        let progress = socket.get_ref().progress();
        let (sink, mut stream) = socket.split();
        let mut writer = Writer::spawn(sink, progress);
        let opening = protocol.on_open(Instant::now());
        let next = match self.react(&writer, opening).await {
            Ok(None) => self.converse(&mut stream, &mut writer, protocol).await,
            Ok(Some(reason)) => self.give_up(&writer, Some(reason)).await,
            Err(gone) => Err(gone),
        };
        // A close frame already queued (quitting, reconnecting) gets a moment
        // to leave; a stuck writer is dropped with the connection.
        writer.finish(WRITER_GRACE).await;
        next
    }

    /// Carries out what a protocol decided by itself (outside a batch of
    /// received frames): frames to send, and notes.
    /// Returns the reason when the protocol gave the connection up.
    async fn react(&mut self, writer: &Writer, reaction: crate::protocol::Reaction) -> Result<Option<String>, UiGone> {
        let answers = (reaction.answers, reaction.binary_answers);
        writer.send_protocol_frames(answers, reaction.replies, self.show_keepalives);
        for (error, text) in reaction.notes {
            self.emit(ConnEvent::ProtocolNote { error, text }).await?;
        }
        Ok(reaction.fail)
    }

    /// Ends a connection the protocol gave up on: a close frame goes out
    /// (the writer gets its grace), and the state says why.
    /// `reason` is `None` when the state was already reported (beside the
    /// frame that caused it).
    async fn give_up(&mut self, writer: &Writer, reason: Option<String>) -> Result<Next, UiGone> {
        writer.send(close_message(1000, "wscope: the protocol failed"));
        if let Some(reason) = reason {
            self.emit(ConnEvent::state(ConnState::Failed(ConnError::Protocol(reason))))
                .await?;
        }
        Ok(Next::Dropped { was_open: true })
    }

    async fn converse(
        &mut self,
        stream: &mut SplitStream<Socket>,
        writer: &mut Writer,
        mut protocol: crate::protocol::Conversation,
    ) -> Result<Next, UiGone> {
        let mut hidden = 0;
        let mut pings = PingTracker::default();
        let mut reply = ReplyTimer::default();
        let mut arena = Arena::default();
        let mut ping_timer = self.settings.ping_interval.filter(|d| !d.is_zero()).map(|period| {
            let mut timer = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
            timer
        });
        let ping_timeout = self.settings.effective_ping_timeout();
        let send_timeout = self.settings.effective_send_timeout();
        // Any frame from the server shows the connection is alive, even
        // when its pongs are late.
        let mut last_received = Instant::now();
        // Set once a close frame has been queued (ours or tungstenite's answer).
        let mut closing: Option<(Closer, tokio::time::Instant)> = None;
        let mut close_frame: Option<(Option<u16>, String)> = None;
        // Ending after our own close is the user's doing; any other ending
        // may be followed by a reconnect.
        let after = |closing: Option<(Closer, tokio::time::Instant)>| match closing {
            Some((Closer::Us, _)) => Next::Idle,
            _ => Next::Dropped { was_open: true },
        };

        loop {
            let stall_deadline = match writer.stalled_since() {
                Some(since) => Some((since + send_timeout).into()),
                // Queued but not yet started: look again shortly.
                None if writer.has_pending() => Some(tokio::time::Instant::now() + WRITER_POLL),
                None => None,
            };
            tokio::select! {
                incoming = stream.next() => {
                    // Take every frame that is already buffered, then hand
                    // them over in one event: one wake-up of the UI per
                    // batch, not per frame.
                    let mut batch = Intake::new(&mut arena, self.show_keepalives);
                    let mut next = incoming;
                    let ended = loop {
                        match next {
                            Some(Ok(message)) => {
                                take_in(message, &mut protocol, &mut batch, &mut pings, &mut reply, &mut closing, &mut close_frame);
                            }
                            Some(Err(error)) => break Some(end_state(error, closing.map(|(by, _)| by), close_frame.take())),
                            None => {
                                break Some(end_state(
                                    tungstenite::Error::ConnectionClosed,
                                    closing.map(|(by, _)| by),
                                    close_frame.take(),
                                ));
                            }
                        }
                        if batch.taken >= MAX_BATCH {
                            break None;
                        }
                        match stream.next().now_or_never() {
                            Some(item) => next = item,
                            None => break None,
                        }
                    };
                    last_received = Instant::now();
                    // The protocol's answers go out before anything else
                    // is looked at: a heartbeat must not wait for the UI.
                    // Nothing may follow a close frame, ours or the
                    // server's (tungstenite would fail the connection).
                    if closing.is_none() {
                        let answers = (std::mem::take(&mut batch.answers), std::mem::take(&mut batch.binary_answers));
                        let replies = std::mem::take(&mut batch.replies);
                        writer.send_protocol_frames(answers, replies, self.show_keepalives);
                    }
                    let newly_hidden = batch.hidden;
                    let failed = batch.failed;
                    for event in batch.into_events() {
                        self.emit(event).await?;
                    }
                    if newly_hidden > 0 {
                        hidden += newly_hidden;
                        self.emit(ConnEvent::Hidden(hidden)).await?;
                    }
                    if let Some(state) = ended {
                        self.emit(ConnEvent::state(state)).await?;
                        return Ok(after(closing));
                    }
                    if failed && closing.is_none() {
                        return self.give_up(writer, None).await;
                    }
                }
                written = writer.reports.recv() => match written {
                    Some(Written::Sent(first)) => {
                        // Every report already in goes to the UI as one
                        // batch (a pipe's lines are written hundreds at a time).
                        let (mut records, failed) = writer.reports_with(first, MAX_BATCH);
                        if records.iter().any(|r| matches!(r.kind, FrameKind::Text | FrameKind::Binary)) {
                            reply.sent(Instant::now());
                        }
                        match records.len() {
                            0 => {}
                            1 => self.emit(ConnEvent::Frame(records.remove(0))).await?,
                            _ => self.emit(ConnEvent::Frames(records)).await?,
                        }
                        if let Some(error) = failed {
                            self.emit(ConnEvent::state(end_state(error, None, None))).await?;
                            return Ok(after(closing));
                        }
                    }
                    Some(Written::Failed(error)) => {
                        self.emit(ConnEvent::state(end_state(error, None, None))).await?;
                        return Ok(after(closing));
                    }
                    None => {
                        self.emit(ConnEvent::state(end_state(tungstenite::Error::ConnectionClosed, None, None))).await?;
                        return Ok(after(closing));
                    }
                },
                command = self.commands.recv(), if closing.is_none() => {
                    // Commands already queued are taken in the same turn
                    // (a pipe's lines), not one trip round this loop each.
                    let mut next = command;
                    let mut taken = 0;
                    loop {
                        'one: {
                            let (message, then) = match next.take() {
                                Some(ConnCommand::SetReconnect(on)) => {
                                    self.settings.reconnect = on;
                                    break 'one;
                                }
                                Some(ConnCommand::ShowKeepalives(on)) => {
                                    self.show_keepalives = on;
                                    break 'one;
                                }
                                Some(ConnCommand::Capture(_)) => {
                                    self.emit(ConnEvent::Refused("not a captured connection: no client".into())).await?;
                                    break 'one;
                                }
                                None => (close_message(1001, "client exiting"), Some(Next::Shutdown)),
                                Some(ConnCommand::Connect(request)) => {
                                    (close_message(1000, "reconnecting"), Some(Next::Connect(Box::new(request))))
                                }
                                Some(ConnCommand::Close { code, reason }) => (close_message(code, &reason), None),
                                // The protocol may hold it until the connection is
                                // ready for it (Socket.IO's namespace CONNECT).
                                Some(ConnCommand::Send(Outgoing::Text(text))) => {
                                    if let Some(reason) = protocol.refuse(&text) {
                                        self.emit(ConnEvent::Refused(reason)).await?;
                                    } else if let Some(outbound) = protocol.gate(text) {
                                        writer.send_outbound(outbound);
                                    }
                                    break 'one;
                                }
                                Some(ConnCommand::Send(Outgoing::Binary(data))) => (Message::Binary(data), None),
                                Some(ConnCommand::Ping(data)) => (Message::Ping(data), None),
                            };
                            let is_close = matches!(message, Message::Close(_));
                            if is_close {
                                // A protocol leaves politely first (Socket.IO's
                                // DISCONNECT).
                                for outbound in protocol.on_close() {
                                    writer.send_outbound(outbound);
                                }
                            }
                            writer.send(message);
                            if let Some(then) = then {
                                // Leaving at once: the user asked for something else.
                                return Ok(then);
                            }
                            if is_close {
                                closing = Some((Closer::Us, tokio::time::Instant::now() + CLOSE_TIMEOUT));
                                self.emit(ConnEvent::state(ConnState::Closing)).await?;
                            }
                        }
                        taken += 1;
                        if closing.is_some() || taken >= MAX_BATCH {
                            break;
                        }
                        match self.commands.try_recv() {
                            Ok(command) => next = Some(command),
                            Err(_) => break,
                        }
                    }
                }
                _ = wait_until(protocol.deadline().map(Into::into)), if closing.is_none() => {
                    let reaction = protocol.on_deadline(Instant::now());
                    if let Some(reason) = self.react(writer, reaction).await? {
                        return self.give_up(writer, Some(reason)).await;
                    }
                }
                _ = tick(&mut ping_timer), if closing.is_none() => {
                    let payload = Bytes::copy_from_slice(&pings.start(Instant::now()));
                    writer.send(Message::Ping(payload));
                }
                _ = wait_until(pings.deadline(last_received, ping_timeout)), if closing.is_none() && ping_timeout.is_some() => {
                    // The deadline moves with every frame received: only
                    // silence after a ping means the peer is gone.
                    if pings.deadline(last_received, ping_timeout).is_some_and(|d| d > tokio::time::Instant::now()) {
                        continue;
                    }
                    let waited = ping_timeout.unwrap_or_default();
                    self.emit(ConnEvent::state(ConnState::Closed {
                        code: Some(ABNORMAL_CLOSURE),
                        reason: format!(
                            "no pong and no frame within {}: the connection is presumed dead (half-open)",
                            crate::format::duration(waited)
                        ),
                        by: Closer::Network,
                    }))
                    .await?;
                    return Ok(Next::Dropped { was_open: true });
                }
                _ = wait_until(stall_deadline) => {
                    // Progress since the deadline was set moves it on.
                    if writer.stalled_since().is_none_or(|t| t + send_timeout > Instant::now()) {
                        continue;
                    }
                    self.emit(ConnEvent::state(ConnState::Failed(ConnError::SendTimeout { after: send_timeout })))
                        .await?;
                    return Ok(Next::Dropped { was_open: true });
                }
                _ = wait_until(closing.map(|(_, deadline)| deadline)), if closing.is_some() => {
                    let (code, reason) = close_frame.take().unwrap_or((None, String::new()));
                    let by = closing.map_or(Closer::Us, |(by, _)| by);
                    let reason = if reason.is_empty() {
                        "the peer did not finish the closing handshake".to_string()
                    } else {
                        reason
                    };
                    self.emit(ConnEvent::state(ConnState::Closed { code, reason, by })).await?;
                    return Ok(after(closing));
                }
            }
        }
    }
}

async fn tick(timer: &mut Option<tokio::time::Interval>) {
    match timer {
        Some(timer) => {
            timer.tick().await;
        }
        None => std::future::pending().await,
    }
}

async fn wait_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

fn close_message(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code: code.into(),
        reason: Utf8Bytes::from(reason),
    }))
}
