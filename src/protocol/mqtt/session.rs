//! The client's side of one MQTT connection, in the connection task:
//! CONNECT and the wait for CONNACK, packets put together across frames,
//! packet ids, the QoS 1 and 2 handshakes both ways, and the keep-alive.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use bytes::BytesMut;

use super::compose::{self, Command};
use super::packet::{self, Login, PacketError, Seen, Version, Writer};
use super::{DEFAULT_KEEPALIVE, version_of};
use crate::protocol::{Carried, Converse, Outbound, Protocol, Reaction};

/// How long CONNACK may take when no connect timeout is given.
const DEFAULT_CONNECT_WAIT: Duration = Duration::from_secs(10);

/// The largest message taken when none is set.
const DEFAULT_MAX: usize = 64 << 20;

#[derive(Debug)]
pub struct Client {
    writer: Writer,
    client_id: String,
    keep_alive: Duration,
    login: Option<(String, String)>,
    connect_wait: Duration,
    max: usize,
    /// Bytes of a packet still coming.
    buffer: BytesMut,
    connected: bool,
    connect_due: Option<Instant>,
    /// A PINGREQ is out; the broker is presumed gone if PINGRESP is late.
    pong_due: Option<Instant>,
    last_sent: Instant,
    held: Vec<String>,
    next_id: u16,
    /// Our QoS 2 messages the broker has not yet taken (PUBREC due).
    sent_exactly_once: HashSet<u16>,
    /// The broker's QoS 2 messages we acknowledged (PUBREL due).
    received_exactly_once: HashSet<u16>,
}

impl Client {
    pub fn new(options: &Protocol) -> Self {
        let auth = options.auth_fields();
        let field = |names: [&str; 2]| {
            auth.iter()
                .find(|(k, _)| names.contains(&k.as_str()))
                .map(|(_, v)| v.clone())
        };
        let login =
            field(["username", "login"]).map(|user| (user, field(["password", "passcode"]).unwrap_or_default()));
        let client_id = options.client_id.clone().unwrap_or_else(|| {
            let letters: String = std::iter::repeat_with(fastrand::alphanumeric).take(8).collect();
            format!("wscope-{letters}")
        });
        Self {
            writer: Writer {
                version: version_of(options),
            },
            client_id,
            keep_alive: options.keepalive.unwrap_or(DEFAULT_KEEPALIVE),
            login,
            connect_wait: options.connect_timeout.unwrap_or(DEFAULT_CONNECT_WAIT),
            max: options.max_message_size.unwrap_or(DEFAULT_MAX),
            buffer: BytesMut::new(),
            connected: false,
            connect_due: None,
            pong_due: None,
            last_sent: Instant::now(),
            held: Vec::new(),
            next_id: 0,
            sent_exactly_once: HashSet::new(),
            received_exactly_once: HashSet::new(),
        }
    }

    fn version_label(&self) -> &'static str {
        match self.writer.version {
            Version::V4 => "3.1.1",
            Version::V5 => "5",
        }
    }

    /// The next packet id: 1 to 65535, never 0.
    fn next_packet_id(&mut self) -> u16 {
        self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        self.next_id
    }

    /// A command as its packet.
    fn packet_for(&mut self, command: Command) -> Vec<u8> {
        match command {
            Command::Subscribe { filter, qos } => {
                let id = self.next_packet_id();
                self.writer.subscribe(id, &filter, qos)
            }
            Command::Unsubscribe { filter } => {
                let id = self.next_packet_id();
                self.writer.unsubscribe(id, &filter)
            }
            Command::Publish {
                topic,
                qos,
                retain,
                payload,
            } => {
                let id = if qos > 0 { self.next_packet_id() } else { 0 };
                if qos == 2 {
                    self.sent_exactly_once.insert(id);
                }
                self.writer.publish(&topic, qos, retain, id, &payload)
            }
        }
    }

    /// Acts on one packet from the broker; whether it is a keep-alive.
    fn on_packet(&mut self, seen: &Seen, now: Instant, reaction: &mut Reaction) -> bool {
        match seen.name {
            "CONNACK" if seen.refused => {
                reaction.fail = Some(format!("mqtt: CONNACK {}", seen.detail));
            }
            "CONNACK" => {
                self.connected = true;
                self.connect_due = None;
                let reason = seen
                    .properties
                    .get("reason_string")
                    .and_then(|r| r.as_str())
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default();
                reaction.notes.push((
                    false,
                    format!(
                        "mqtt {} connected as {}{reason}; keep-alive {}",
                        self.version_label(),
                        self.client_id,
                        crate::format::duration(self.keep_alive)
                    ),
                ));
                for text in std::mem::take(&mut self.held) {
                    if let Ok(command) = compose::compose(&text) {
                        let packet = self.packet_for(command);
                        reaction.replies.push(Outbound::binary(packet, None));
                    }
                }
                self.last_sent = now;
            }
            "PINGRESP" => {
                self.pong_due = None;
                return true;
            }
            "PUBLISH" => match (seen.qos, seen.pkid) {
                (Some(1), Some(id)) => self.reply(reaction, "PUBACK", id, now),
                (Some(2), Some(id)) => {
                    self.received_exactly_once.insert(id);
                    self.reply(reaction, "PUBREC", id, now);
                }
                _ => {}
            },
            "PUBREC" => {
                if let Some(id) = seen.pkid
                    && self.sent_exactly_once.remove(&id)
                {
                    self.reply(reaction, "PUBREL", id, now);
                }
            }
            "PUBREL" => {
                if let Some(id) = seen.pkid {
                    self.received_exactly_once.remove(&id);
                    self.reply(reaction, "PUBCOMP", id, now);
                }
            }
            "SUBACK" if seen.detail.contains("refused") => {
                reaction.notes.push((
                    true,
                    format!("mqtt: SUBACK #{}: {}", seen.pkid.unwrap_or(0), seen.detail),
                ));
            }
            "DISCONNECT" => reaction.notes.push((
                true,
                format!("mqtt: the broker sent DISCONNECT {}", seen.detail)
                    .trim_end()
                    .to_string(),
            )),
            _ => {}
        }
        false
    }

    fn reply(&mut self, reaction: &mut Reaction, name: &str, id: u16, now: Instant) {
        reaction.replies.push(Outbound::binary(self.writer.ack(name, id), None));
        self.last_sent = now;
    }

    /// Takes a frame's bytes: every packet it completes is logged as a
    /// frame of its own.
    fn take(&mut self, data: &[u8], now: Instant) -> Reaction {
        let mut reaction = Reaction::default();
        self.buffer.extend_from_slice(data);
        let mut logged = Vec::new();
        let mut keepalives = 0;
        let (version, max) = (self.writer.version, self.max);
        loop {
            match packet::next(&mut self.buffer, version, max) {
                Ok(Some((seen, bytes))) => {
                    if self.on_packet(&seen, now, &mut reaction) {
                        keepalives += 1;
                    } else {
                        logged.push(Carried::Binary(bytes.to_vec()));
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    let what = match error {
                        PacketError::TooLarge { .. } => format!("mqtt: {error} (--max-message-size)"),
                        PacketError::Malformed(_) => format!("mqtt: {error} from the broker"),
                    };
                    reaction.fail = Some(what);
                    self.buffer.clear();
                    // The bytes are shown as they came.
                    return reaction;
                }
            }
        }
        reaction.hide = logged.is_empty() && keepalives > 0;
        reaction.frames = Some(logged);
        reaction
    }
}

impl Converse for Client {
    fn on_open(&mut self, now: Instant) -> Reaction {
        let keep_alive = u16::try_from(self.keep_alive.as_secs()).unwrap_or(u16::MAX);
        let login = self.login.as_ref().map(|(u, p)| Login {
            username: u,
            password: p,
        });
        let connect = self.writer.connect(&self.client_id, keep_alive, true, login);
        // The frames view and the log get the password masked.
        let shown = self.login.as_ref().map(|(user, _)| {
            let masked = Login {
                username: user,
                password: crate::secrets::FILE_MASK,
            };
            self.writer.connect(&self.client_id, keep_alive, true, Some(masked))
        });
        self.connect_due = Some(now + self.connect_wait);
        self.last_sent = now;
        Reaction {
            replies: vec![Outbound::binary(connect, shown)],
            notes: vec![(
                false,
                format!(
                    "mqtt {}: CONNECT sent as {} (keep-alive {}); commands wait up to {} for CONNACK",
                    self.version_label(),
                    self.client_id,
                    crate::format::duration(self.keep_alive),
                    crate::format::duration(self.connect_wait)
                ),
            )],
            ..Reaction::default()
        }
    }

    fn deadline(&self) -> Option<Instant> {
        let ping = (self.connected && !self.keep_alive.is_zero()).then(|| self.last_sent + self.keep_alive);
        [self.connect_due, self.pong_due, ping].into_iter().flatten().min()
    }

    fn on_deadline(&mut self, now: Instant) -> Reaction {
        let mut reaction = Reaction::default();
        if self.connect_due.is_some_and(|due| due <= now) {
            self.connect_due = None;
            reaction.fail = Some(format!(
                "mqtt: no CONNACK within {} (is this an MQTT endpoint?)",
                crate::format::duration(self.connect_wait)
            ));
        } else if self.pong_due.is_some_and(|due| due <= now) {
            reaction.fail = Some(format!(
                "mqtt: no PINGRESP within {}: the broker is presumed gone",
                crate::format::duration(self.keep_alive)
            ));
        } else if self.connected && !self.keep_alive.is_zero() && self.last_sent + self.keep_alive <= now {
            reaction.binary_answers.push(self.writer.ping());
            self.last_sent = now;
            self.pong_due = Some(now + self.keep_alive);
        }
        reaction
    }

    fn on_close(&mut self) -> Vec<Outbound> {
        if self.connected {
            vec![Outbound::binary(self.writer.disconnect(), None)]
        } else {
            Vec::new()
        }
    }

    fn on_text(&mut self, _text: &str, _now: Instant) -> Reaction {
        Reaction {
            notes: vec![(
                true,
                "mqtt: the broker sent a text frame; MQTT travels in binary frames".into(),
            )],
            ..Reaction::default()
        }
    }

    fn on_binary(&mut self, data: &[u8]) -> Reaction {
        self.take(data, Instant::now())
    }

    fn gate(&mut self, text: String) -> Option<Outbound> {
        if !self.connected {
            self.held.push(text);
            return None;
        }
        match compose::compose(&text) {
            Ok(command) => {
                self.last_sent = Instant::now();
                Some(Outbound::binary(self.packet_for(command), None))
            }
            // Checked when it was composed; a flow's text may not have been.
            Err(_) => Some(text.into()),
        }
    }
}

#[cfg(test)]
mod tests;
