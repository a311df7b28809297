//! The client's side of one STOMP connection, in the connection task:
//! CONNECT and the wait for CONNECTED, subscription ids and receipts,
//! heart-beats both ways, and SockJS's framing when it is spoken.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::DEFAULT_HEARTBEAT;
use super::frame::{self, Frame};
use crate::protocol::sockjs::{self, SockJsFrame};
use crate::protocol::{Carried, Converse, Outbound, Protocol, Reaction};

/// How long CONNECTED may take when no connect timeout is given.
const DEFAULT_CONNECT_WAIT: Duration = Duration::from_secs(10);

/// How long a URL that may be SockJS's waits for its `o` before STOMP is
/// spoken plainly: a SockJS server opens at once, a STOMP server never
/// speaks first.
const SOCKJS_OPEN_WAIT: Duration = Duration::from_millis(500);

/// Message ids remembered to find a 1.1 ACK's subscription.
const MAX_REMEMBERED_ACKS: usize = 10_000;

/// A server's heart-beats may be this many times late before it is
/// presumed gone; stomp.js allows twice the interval too.
const HEARTBEAT_TOLERANCE: u32 = 2;

#[derive(Debug)]
pub struct Client {
    host: Option<String>,
    login: Option<(String, String)>,
    extra_headers: Vec<(String, String)>,
    /// What we offer: send at least every, and want to receive every.
    offer: (Duration, Duration),
    connect_wait: Duration,
    sockjs: bool,
    /// Whether an `o` first would mean SockJS (see [`SOCKJS_OPEN_WAIT`]).
    sockjs_if_opened: bool,
    /// SockJS said `o` (always true without SockJS).
    transport_open: bool,
    connected: bool,
    version: String,
    connect_due: Option<Instant>,
    send_every: Option<Duration>,
    expect_every: Option<Duration>,
    last_sent: Instant,
    last_received: Instant,
    held: Vec<Frame>,
    next_subscription: u64,
    /// Destination → subscription id, in the order subscribed.
    subscriptions: Vec<(String, String)>,
    next_receipt: u64,
    /// Subscription id → whether its messages wait for an ACK (its mode
    /// is not `auto`).
    ack_modes: HashMap<String, bool>,
    /// Message id → how to acknowledge it, for the latest messages: `ack
    /// MESSAGE-ID` becomes the ACK its version wants.
    acks: HashMap<String, Ackable>,
    ack_order: VecDeque<String>,
}

/// What acknowledging a received MESSAGE takes.
#[derive(Debug, Clone)]
struct Ackable {
    subscription: String,
    /// 1.2's `ack` header: the id its ACK names.
    ack: Option<String>,
    waits: bool,
}

impl Client {
    pub fn new(options: &Protocol) -> Self {
        let (credentials, extra_headers): (Vec<_>, Vec<_>) = options
            .auth_fields()
            .into_iter()
            .partition(|(k, _)| matches!(k.as_str(), "login" | "passcode"));
        let field = |name: &str| credentials.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let login = (!credentials.is_empty()).then(|| {
            (
                field("login").unwrap_or_default(),
                field("passcode").unwrap_or_default(),
            )
        });
        let now = Instant::now();
        Self {
            host: options.host.clone(),
            login,
            extra_headers,
            offer: options.heartbeat.unwrap_or((DEFAULT_HEARTBEAT, DEFAULT_HEARTBEAT)),
            connect_wait: options.connect_timeout.unwrap_or(DEFAULT_CONNECT_WAIT),
            sockjs: options.sockjs,
            sockjs_if_opened: options.sockjs_if_opened && !options.sockjs,
            transport_open: !options.sockjs && !options.sockjs_if_opened,
            connected: false,
            version: "1.0".into(),
            connect_due: None,
            send_every: None,
            expect_every: None,
            last_sent: now,
            last_received: now,
            held: Vec::new(),
            next_subscription: 0,
            subscriptions: Vec::new(),
            next_receipt: 0,
            ack_modes: HashMap::new(),
            acks: HashMap::new(),
            ack_order: VecDeque::new(),
        }
    }

    /// A frame as it goes on the wire (inside SockJS's array when spoken),
    /// with what the frames view shows of it.
    fn outbound(&self, frame_text: String, shown: Option<String>) -> Outbound {
        if self.sockjs {
            Outbound {
                text: sockjs::wrap(&frame_text),
                shown: Some(shown.unwrap_or(frame_text)),
                ..Outbound::default()
            }
        } else {
            Outbound {
                text: frame_text,
                shown,
                ..Outbound::default()
            }
        }
    }

    fn connect(&mut self, now: Instant) -> Reaction {
        let mut frame = Frame::new("CONNECT");
        frame.set("accept-version", "1.2,1.1,1.0");
        if let Some(host) = &self.host {
            frame.set("host", host.clone());
        }
        let millis = |d: Duration| d.as_millis().to_string();
        frame.set(
            "heart-beat",
            format!("{},{}", millis(self.offer.0), millis(self.offer.1)),
        );
        if let Some((login, _)) = &self.login {
            frame.set("login", login.clone());
        }
        // What --auth gave beside the login (a passcode, a token header) is
        // shown and logged masked, as the auth payload always is.
        let mut masked = frame.clone();
        let secrets = self
            .extra_headers
            .iter()
            .cloned()
            .chain(self.login.iter().map(|(_, p)| ("passcode".to_string(), p.clone())));
        for (name, value) in secrets {
            frame.set(&name, value);
            masked.set(&name, crate::secrets::FILE_MASK);
        }
        let shown = (masked != frame).then(|| masked.to_wire());
        self.connect_due = Some(now + self.connect_wait);
        self.last_sent = now;
        Reaction {
            replies: vec![self.outbound(frame.to_wire(), shown)],
            notes: vec![(
                false,
                format!(
                    "stomp: CONNECT sent (heart-beat {},{}); frames wait up to {} for CONNECTED",
                    millis(self.offer.0),
                    millis(self.offer.1),
                    crate::format::duration(self.connect_wait)
                ),
            )],
            ..Reaction::default()
        }
    }

    /// The heart-beats agreed (§"Heart-beating"): each side sends at the
    /// slower of what it can and what the other wants; zero is none.
    fn agree_heartbeats(&mut self, server: Option<&str>) {
        let (sx, sy) = server
            .and_then(|h| h.split_once(','))
            .map(|(x, y)| {
                (
                    x.trim().parse::<u64>().unwrap_or(0),
                    y.trim().parse::<u64>().unwrap_or(0),
                )
            })
            .unwrap_or((0, 0));
        let (cx, cy) = (self.offer.0.as_millis() as u64, self.offer.1.as_millis() as u64);
        let every = |a: u64, b: u64| (a != 0 && b != 0).then(|| Duration::from_millis(a.max(b)));
        self.send_every = every(cx, sy);
        self.expect_every = every(sx, cy);
    }

    fn on_connected(&mut self, frame: &Frame, now: Instant, reaction: &mut Reaction) {
        self.connected = true;
        self.connect_due = None;
        self.version = frame.header("version").unwrap_or("1.0").to_string();
        self.agree_heartbeats(frame.header("heart-beat"));
        let every = |d: Option<Duration>| {
            d.map_or_else(
                || "never".to_string(),
                |d| format!("every {}", crate::format::duration(d)),
            )
        };
        reaction.notes.push((
            false,
            format!(
                "stomp {} connected{}{}; heart-beats: sending {}, expecting {}",
                self.version,
                frame.header("server").map(|s| format!(" to {s}")).unwrap_or_default(),
                frame
                    .header("session")
                    .map(|s| format!(" (session {s})"))
                    .unwrap_or_default(),
                every(self.send_every),
                every(self.expect_every),
            ),
        ));
        let held: Vec<Frame> = std::mem::take(&mut self.held);
        for frame in held {
            let frame = self.prepare(frame);
            reaction.replies.push(self.outbound(frame.to_wire(), None));
        }
        self.last_sent = now;
    }

    /// Fills in what the connection knows: a subscription's id, the id an
    /// UNSUBSCRIBE or a 1.1 ACK needs, and a receipt to pair with.
    fn prepare(&mut self, mut frame: Frame) -> Frame {
        match frame.command.as_str() {
            "SUBSCRIBE" => {
                if !frame.has("id") {
                    frame.set("id", format!("sub-{}", self.next_subscription));
                    self.next_subscription += 1;
                }
                if !frame.has("ack") {
                    frame.set("ack", "auto");
                }
                let destination = frame.header("destination").unwrap_or_default().to_string();
                let id = frame.header("id").unwrap_or_default().to_string();
                self.ack_modes.insert(id.clone(), frame.header("ack") != Some("auto"));
                self.subscriptions.push((destination, id));
            }
            "UNSUBSCRIBE" => {
                let target = frame.header("id").unwrap_or_default().to_string();
                if let Some(at) = self
                    .subscriptions
                    .iter()
                    .position(|(d, id)| *d == target || *id == target)
                {
                    let (_, id) = self.subscriptions.remove(at);
                    frame.set("id", id);
                }
            }
            // `ack MESSAGE-ID` as typed (or from the `a` key): 1.2 names
            // the MESSAGE's `ack` id, 1.0 and 1.1 its message id and
            // subscription.
            "ACK" | "NACK" if !frame.has("subscription") && !frame.has("message-id") => {
                let id = frame.header("id").unwrap_or_default().to_string();
                if let Some(ackable) = self.acks.get(&id).cloned() {
                    if self.version == "1.2" {
                        if let Some(ack) = ackable.ack {
                            frame.set("id", ack);
                        }
                    } else {
                        frame.set("message-id", id);
                        frame.set("subscription", ackable.subscription);
                    }
                }
            }
            _ => {}
        }
        if !matches!(frame.command.as_str(), "CONNECT" | "STOMP") && !frame.has("receipt") {
            frame.set("receipt", self.next_receipt.to_string());
            self.next_receipt += 1;
        }
        frame
    }

    fn remember_ack(&mut self, frame: &Frame) {
        let (Some(id), Some(subscription)) = (frame.header("message-id"), frame.header("subscription")) else {
            return;
        };
        let ack = frame.header("ack").map(str::to_string);
        // 1.2 marks the messages that wait; before it, the subscription's
        // mode tells (a subscription not made here is taken to wait).
        let waits = if self.version == "1.2" {
            ack.is_some()
        } else {
            self.ack_modes.get(subscription).copied().unwrap_or(true)
        };
        if self.ack_order.len() >= MAX_REMEMBERED_ACKS
            && let Some(oldest) = self.ack_order.pop_front()
        {
            self.acks.remove(&oldest);
        }
        let ackable = Ackable {
            subscription: subscription.to_string(),
            ack,
            waits,
        };
        self.acks.insert(id.to_string(), ackable);
        self.ack_order.push_back(id.to_string());
    }

    /// Reacts to one STOMP message (unwrapped from SockJS when spoken).
    fn on_stomp(&mut self, text: &str, now: Instant, reaction: &mut Reaction) -> bool {
        let parsed = match frame::parse(text) {
            Ok(parsed) => parsed,
            Err(error) => {
                reaction
                    .notes
                    .push((true, format!("stomp: refused a frame from the server: {error}")));
                return false;
            }
        };
        for frame in &parsed.frames {
            match frame.command.as_str() {
                "CONNECTED" => self.on_connected(frame, now, reaction),
                "ERROR" => {
                    let message = frame.header("message").unwrap_or("no message");
                    let detail = frame.body.split_whitespace().collect::<Vec<_>>().join(" ");
                    let text = if detail.is_empty() {
                        format!("stomp ERROR: {message}")
                    } else {
                        format!("stomp ERROR: {message}: {detail}")
                    };
                    if self.connected {
                        reaction.notes.push((true, text));
                    } else {
                        // A refused CONNECT: the server closes next.
                        reaction.fail = Some(text);
                    }
                }
                "MESSAGE" => self.remember_ack(frame),
                _ => {}
            }
        }
        parsed.frames.is_empty() && parsed.heartbeats > 0
    }

    fn receive_deadline(&self) -> Option<Instant> {
        self.expect_every
            .map(|every| self.last_received + every * HEARTBEAT_TOLERANCE)
    }

    fn send_deadline(&self) -> Option<Instant> {
        self.send_every.map(|every| self.last_sent + every)
    }
}

impl Converse for Client {
    fn on_open(&mut self, now: Instant) -> Reaction {
        self.last_received = now;
        if self.transport_open {
            self.connect(now)
        } else if self.sockjs_if_opened {
            self.connect_due = Some(now + SOCKJS_OPEN_WAIT);
            Reaction::default()
        } else {
            self.connect_due = Some(now + self.connect_wait);
            Reaction::default()
        }
    }

    fn deadline(&self) -> Option<Instant> {
        [self.connect_due, self.send_deadline(), self.receive_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    fn on_deadline(&mut self, now: Instant) -> Reaction {
        let mut reaction = Reaction::default();
        if self.connect_due.is_some_and(|due| due <= now) && self.sockjs_if_opened && !self.transport_open {
            // No `o`: a plain STOMP endpoint whose path ends in /websocket.
            self.sockjs_if_opened = false;
            self.transport_open = true;
            return self.connect(now);
        }
        if self.connect_due.is_some_and(|due| due <= now) {
            self.connect_due = None;
            let waited = crate::format::duration(self.connect_wait);
            reaction.fail = Some(if self.transport_open {
                format!("stomp: no CONNECTED within {waited} (is this a STOMP endpoint, and the vhost right?)")
            } else {
                format!("sockjs: no open frame within {waited} (is this a SockJS endpoint?)")
            });
            return reaction;
        }
        if let Some(due) = self.receive_deadline()
            && due <= now
        {
            let every = self.expect_every.unwrap_or_default();
            reaction.fail = Some(format!(
                "stomp: nothing from the server for {} (heart-beats agreed every {}): presumed gone",
                crate::format::duration(now - self.last_received),
                crate::format::duration(every)
            ));
            return reaction;
        }
        if self.send_deadline().is_some_and(|due| due <= now) {
            let heartbeat = if self.sockjs {
                sockjs::wrap("\n")
            } else {
                "\n".to_string()
            };
            reaction.answers.push(heartbeat);
            self.last_sent = now;
        }
        reaction
    }

    fn on_close(&mut self) -> Vec<Outbound> {
        if !self.connected {
            return Vec::new();
        }
        let frame = self.prepare(Frame::new("DISCONNECT"));
        vec![self.outbound(frame.to_wire(), None)]
    }

    fn on_text(&mut self, text: &str, now: Instant) -> Reaction {
        self.last_received = now;
        let mut reaction = Reaction::default();
        if self.sockjs_if_opened && !self.transport_open {
            self.sockjs_if_opened = false;
            if text == "o" {
                self.sockjs = true;
                reaction
                    .notes
                    .push((false, "sockjs: the server opened with o: speaking SockJS".into()));
            } else {
                self.transport_open = true;
                let mut connect = self.connect(now);
                connect.hide = self.on_stomp(text, now, &mut connect);
                return connect;
            }
        }
        if !self.sockjs {
            reaction.hide = self.on_stomp(text, now, &mut reaction);
            return reaction;
        }
        match sockjs::read(text) {
            Some(SockJsFrame::Open) => {
                self.transport_open = true;
                let notes = std::mem::take(&mut reaction.notes);
                reaction = self.connect(now);
                reaction.notes.splice(0..0, notes);
                reaction.frames = Some(Vec::new());
            }
            Some(SockJsFrame::Heartbeat) => reaction.hide = true,
            Some(SockJsFrame::Messages(messages)) => {
                let mut shown = Vec::with_capacity(messages.len());
                for message in messages {
                    if !self.on_stomp(&message, now, &mut reaction) {
                        shown.push(Carried::Text(message));
                    }
                }
                reaction.hide = shown.is_empty();
                reaction.frames = Some(shown);
            }
            Some(SockJsFrame::Close { code, reason }) => {
                reaction
                    .notes
                    .push((true, format!("sockjs: the server closed the session: {code} {reason}")));
            }
            None => reaction
                .notes
                .push((true, "sockjs: not a SockJS frame (is --sockjs right?)".into())),
        }
        reaction
    }

    fn on_binary(&mut self, data: &[u8]) -> Reaction {
        // Some brokers send frames with a content-length as binary messages.
        match std::str::from_utf8(data) {
            Ok(text) if !self.sockjs => self.on_text(text, Instant::now()),
            _ => {
                self.last_received = Instant::now();
                Reaction::default()
            }
        }
    }

    // An ACK for a message of an `ack:auto` subscription would make the
    // broker close the connection: it is refused here instead.
    fn refuse(&self, text: &str) -> Option<String> {
        let frame = frame::parse(text).ok()?.frames.into_iter().next()?;
        if !matches!(frame.command.as_str(), "ACK" | "NACK") || frame.has("subscription") || frame.has("message-id") {
            return None;
        }
        let id = frame.header("id")?;
        let ackable = self.acks.get(id)?;
        (!ackable.waits).then(|| {
            format!(
                "stomp: message {id} needs no {}: its subscription ({}) is ack:auto",
                frame.command, ackable.subscription
            )
        })
    }

    fn gate(&mut self, text: String) -> Option<Outbound> {
        let frame = match frame::parse(&text) {
            Ok(parsed) if parsed.frames.len() == 1 => parsed.frames.into_iter().next()?,
            // Not a frame wscope composed: sent as it is.
            _ => return Some(self.outbound(text, None)),
        };
        if !self.connected {
            self.held.push(frame);
            return None;
        }
        let frame = self.prepare(frame);
        self.last_sent = Instant::now();
        Some(self.outbound(frame.to_wire(), None))
    }
}

#[cfg(test)]
mod tests;
