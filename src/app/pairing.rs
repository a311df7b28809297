//! Request/response pairing: a sent JSON frame and a received one that share
//! an id (the `id` field by default; another field or a jq path per
//! profile) are a pair, and their round trip is measured.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime};

use crate::jq::JqFilter;
use crate::record::{Direction, FrameKind, FrameRecord};

/// Sent ids remembered while waiting for their answer.
const MAX_PENDING: usize = 10_000;
/// Round trips kept for the status bar's sparkline.
const RECENT: usize = 24;

/// Where the id is found.
#[derive(Debug)]
pub enum PairKey {
    /// A top-level field name, and the quoted form searched for first.
    Field(String, Box<memchr::memmem::Finder<'static>>),
    /// A jq path such as `.meta.requestId`.
    Jq(JqFilter),
    /// Socket.IO: an emit that asked for an ack (`42<id>[…]`) and the ack
    /// that answers it (`43<id>[…]`).
    SocketIoAck,
    /// The protocol's own ids (STOMP's `receipt` and `receipt-id`).
    Protocol(crate::protocol::ProtocolKind),
}

impl PairKey {
    /// `id`, `requestId`, or a jq path starting with `.`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.starts_with('.') {
            JqFilter::compile(text)
                .map(Self::Jq)
                .map_err(|e| format!("pair_by: {e}"))
        } else if text.is_empty() {
            Err("pair_by: empty".into())
        } else {
            let quoted = format!("\"{text}\"");
            Ok(Self::Field(
                text.to_string(),
                Box::new(memchr::memmem::Finder::new(quoted.as_bytes()).into_owned()),
            ))
        }
    }

    fn id_of(&self, payload: &[u8], direction: Direction) -> Option<String> {
        match self {
            Self::SocketIoAck => {
                let text = std::str::from_utf8(payload).ok()?.strip_prefix('4')?;
                let packet = crate::protocol::socketio::parse_packet(text)?;
                let wanted = match direction {
                    Direction::Sent => matches!(packet.kind, 2 | 5),
                    Direction::Received => matches!(packet.kind, 3 | 6),
                };
                let ack = packet.ack?;
                wanted.then(|| format!("{}#{ack}", packet.namespace))
            }
            Self::Field(name, quoted) => {
                // Most frames lack the key: a SIMD search spares parsing them.
                quoted.find(payload)?;
                let value: serde_json::Value = serde_json::from_slice(payload).ok()?;
                let id = value.get(name)?;
                (!id.is_null()).then(|| id.to_string())
            }
            Self::Jq(jq) => jq.first_value(payload),
            Self::Protocol(kind) => kind.reply_id(payload, direction == Direction::Sent),
        }
    }
}

/// What the pairing knows.
#[derive(Debug)]
pub struct Pairing {
    pub key: PairKey,
    /// Sent id → (sequence number, time), waiting for an answer.
    pending: HashMap<String, (u64, SystemTime)>,
    pending_order: VecDeque<String>,
    /// Received frame → (its request's sequence number, round trip).
    pub by_response: HashMap<u64, (u64, Duration)>,
    /// Sent frames that got an answer, with the answer's sequence number.
    pub by_request: HashMap<u64, u64>,
    /// Latest round trips, oldest first.
    pub recent: VecDeque<Duration>,
}

impl Default for Pairing {
    fn default() -> Self {
        Self::new(PairKey::Field(
            "id".into(),
            Box::new(memchr::memmem::Finder::new(b"\"id\"").into_owned()),
        ))
    }
}

impl Pairing {
    /// Pairing by `key`.
    pub fn new(key: PairKey) -> Self {
        Self {
            key,
            pending: HashMap::new(),
            pending_order: VecDeque::new(),
            by_response: HashMap::new(),
            by_request: HashMap::new(),
            recent: VecDeque::new(),
        }
    }

    /// Pairing as `kind` pairs: Socket.IO's acks, a protocol's own reply
    /// ids (STOMP receipts, MQTT packet ids), else the `id` field.
    pub fn for_protocol(kind: crate::protocol::ProtocolKind) -> Self {
        if kind.has_acks() {
            Self::new(PairKey::SocketIoAck)
        } else if kind.has_reply_ids() {
            Self::new(PairKey::Protocol(kind))
        } else {
            Self::default()
        }
    }

    /// Whether a request waits for its reply (received frames need looking at).
    pub fn is_waiting(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Looks at a frame just logged with sequence number `seq`.
    pub fn observe(&mut self, seq: u64, frame: &FrameRecord) {
        self.observe_decoded(seq, frame, None);
    }

    /// The same, reading a binary frame as `payloads` decodes it (a
    /// MessagePack request and its reply pair by their ids too).
    pub fn observe_decoded(&mut self, seq: u64, frame: &FrameRecord, payloads: Option<&crate::decode::PayloadDecoder>) {
        // A reply can only pair with a pending request, so a flood that
        // answers nothing costs no search per frame.
        if frame.direction == Direction::Received && self.pending.is_empty() {
            return;
        }
        let decoded;
        let payload = match (frame.kind, payloads) {
            (FrameKind::Text, _) => &frame.payload[..],
            // The protocol reads its own packets (MQTT's), not their payloads.
            (FrameKind::Binary, _) if matches!(self.key, PairKey::Protocol(_)) => &frame.payload[..],
            (FrameKind::Binary, Some(payloads)) => match payloads.json(frame) {
                Some(json) => {
                    decoded = json;
                    &decoded[..]
                }
                None => return,
            },
            _ => return,
        };
        let Some(id) = self.key.id_of(payload, frame.direction) else {
            return;
        };
        match frame.direction {
            Direction::Sent => {
                if self.pending.insert(id.clone(), (seq, frame.at)).is_none() {
                    self.pending_order.push_back(id);
                }
                while self.pending_order.len() > MAX_PENDING {
                    if let Some(old) = self.pending_order.pop_front() {
                        self.pending.remove(&old);
                    }
                }
            }
            Direction::Received => {
                let Some((request, sent_at)) = self.pending.remove(&id) else {
                    return;
                };
                let rtt = frame.at.duration_since(sent_at).unwrap_or_default();
                self.by_response.insert(seq, (request, rtt));
                self.by_request.insert(request, seq);
                self.record_rtt(rtt);
            }
        }
    }

    /// Adds a round trip (a pair's or a ping's) to the sparkline.
    pub fn record_rtt(&mut self, rtt: Duration) {
        self.recent.push_back(rtt);
        if self.recent.len() > RECENT {
            self.recent.pop_front();
        }
    }

    /// Forgets pairs of frames no longer held.
    pub fn forget_before(&mut self, first_seq: u64) {
        if self.by_response.len() > 2 * MAX_PENDING {
            self.by_response.retain(|seq, _| *seq >= first_seq);
            self.by_request.retain(|seq, _| *seq >= first_seq);
        }
    }

    /// The recent round trips as a one-line sparkline.
    pub fn sparkline(&self) -> String {
        const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
        let max = self.recent.iter().max().copied().unwrap_or_default().as_secs_f64();
        if max <= 0.0 {
            return String::new();
        }
        self.recent
            .iter()
            .map(|d| BARS[((d.as_secs_f64() / max) * 7.0).round() as usize % 8])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::time::UNIX_EPOCH;

    fn frame(direction: Direction, ms: u64, text: &str) -> FrameRecord {
        FrameRecord {
            at: UNIX_EPOCH + Duration::from_millis(ms),
            direction,
            kind: FrameKind::Text,
            payload: Bytes::from(text.to_string()),
        }
    }

    #[test]
    fn pairs_by_the_id_field() {
        let mut pairing = Pairing::default();
        pairing.observe(0, &frame(Direction::Sent, 100, r#"{"id":7,"method":"get"}"#));
        pairing.observe(1, &frame(Direction::Received, 110, r#"{"type":"tick"}"#));
        pairing.observe(2, &frame(Direction::Received, 135, r#"{"id":7,"result":1}"#));
        assert_eq!(pairing.by_response.get(&2), Some(&(0, Duration::from_millis(35))));
        assert_eq!(pairing.by_request.get(&0), Some(&2));
        assert!(!pairing.by_response.contains_key(&1));
        // An id answered once is not paired again.
        pairing.observe(3, &frame(Direction::Received, 140, r#"{"id":7}"#));
        assert!(!pairing.by_response.contains_key(&3));
        assert_eq!(pairing.sparkline(), "█");
    }

    #[test]
    fn pairs_by_a_jq_path() {
        let mut pairing = Pairing::new(PairKey::parse(".meta.rid").unwrap());
        pairing.observe(0, &frame(Direction::Sent, 0, r#"{"meta":{"rid":"a1"}}"#));
        pairing.observe(1, &frame(Direction::Received, 9, r#"{"meta":{"rid":"a1"},"ok":true}"#));
        assert_eq!(pairing.by_response.get(&1), Some(&(0, Duration::from_millis(9))));
        assert!(PairKey::parse(".meta.(").is_err());
    }

    #[test]
    fn binary_frames_pair_by_their_decoded_ids() {
        let mut pairing = Pairing::default();
        // Binary frames pair by their decoded ids.
        let packed = |direction, ms, value: serde_json::Value| FrameRecord {
            kind: FrameKind::Binary,
            payload: rmp_serde::to_vec_named(&value).unwrap().into(),
            ..frame(direction, ms, "")
        };
        let payloads = crate::decode::PayloadDecoder::default();
        let request = packed(Direction::Sent, 200, serde_json::json!({"id": 9, "op": "get"}));
        pairing.observe_decoded(4, &request, Some(&payloads));
        let reply = packed(Direction::Received, 230, serde_json::json!({"id": 9, "ok": true}));
        pairing.observe_decoded(5, &reply, Some(&payloads));
        assert_eq!(pairing.by_response.get(&5), Some(&(4, Duration::from_millis(30))));
    }
}
