//! The shape of a stream of frames: rate over time each way, traffic per
//! message type, round-trip percentiles (request→reply pairs, pings),
//! sizes in powers of two and the longest silences.
//!
//! Every figure is updated as a frame is taken in, in constant time and
//! memory (fixed histograms, a bounded type table, buckets that widen),
//! and is kept when the history cap drops the frame itself; drawing reads
//! the figures and never the frames.
//!
//! May import: `jq`, `json_peek`, `protocol`, `record`.

pub mod classify;
pub mod gaps;
pub mod latency;
pub mod rate;
pub mod sizes;
pub mod types;

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime};

use crate::record::{Direction, FrameRecord};
use classify::Classifier;
use gaps::Gaps;
use latency::LatencyHistogram;
use rate::RateSeries;
use sizes::SizeHistogram;
use types::TypeTable;

/// Ping round trips kept for the line chart.
pub const PINGS_KEPT: usize = 600;
/// Sent frames whose type is remembered for their reply's round trip
/// (as many as the pairing waits for).
const SENT_TYPES_KEPT: usize = 10_000;

/// Microseconds since the epoch (0 for a time before it).
pub fn micros(at: SystemTime) -> i64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A frame as the figures take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub at: i64,
    pub sent: bool,
    pub size: u64,
    pub type_name: String,
    /// Its sequence number in its tab's log.
    pub seq: u64,
    /// Which log it is in (a tab), for finding it from merged figures.
    pub origin: u64,
    /// For a reply: its request's type and the round trip.
    pub reply: Option<(String, Duration)>,
}

/// Every figure of one stream.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub frames: u64,
    pub bytes: u64,
    /// The earliest and latest frame times (microseconds since the epoch).
    pub first_at: Option<i64>,
    pub last_at: Option<i64>,
    pub rate: RateSeries,
    pub types: TypeTable,
    pub sizes: SizeHistogram,
    pub gaps: Gaps,
    /// Every request→reply round trip.
    pub replies: LatencyHistogram,
    /// The latest ping round trips: (when, round trip).
    pub pings: VecDeque<(i64, Duration)>,
    /// When the types were regrouped: the frames they were read from
    /// (those still held then, and every one since).
    pub types_cover: Option<u64>,
}

impl Stats {
    pub fn add(&mut self, sample: &Sample) {
        self.frames += 1;
        self.bytes += sample.size;
        self.first_at = Some(self.first_at.map_or(sample.at, |first| first.min(sample.at)));
        self.last_at = Some(self.last_at.map_or(sample.at, |last| last.max(sample.at)));
        self.rate.add(sample.at, sample.sent, sample.size);
        self.types.add(&sample.type_name, sample.sent, sample.size);
        if let Some(cover) = &mut self.types_cover {
            *cover += 1;
        }
        self.sizes.add(sample.size);
        self.gaps.add(sample.at, sample.seq, sample.origin);
        if let Some((request_type, rtt)) = &sample.reply {
            self.replies.record(*rtt);
            self.types.add_latency(request_type, *rtt);
        }
    }

    pub fn add_ping(&mut self, at: SystemTime, rtt: Duration) {
        self.pings.push_back((micros(at), rtt));
        if self.pings.len() > PINGS_KEPT {
            self.pings.pop_front();
        }
    }

    /// Adds `other`'s figures; gaps are the longest of either.
    pub fn merge(&mut self, other: &Self) {
        self.frames += other.frames;
        self.bytes += other.bytes;
        self.first_at = self.first_at.min(other.first_at).or(self.first_at.or(other.first_at));
        self.last_at = self.last_at.max(other.last_at);
        self.rate.merge(&other.rate);
        self.types.merge(&other.types);
        self.sizes.merge(&other.sizes);
        self.gaps.merge(&other.gaps);
        self.replies.merge(&other.replies);
        self.pings.extend(other.pings.iter().copied());
        self.pings.make_contiguous().sort_by_key(|(at, _)| *at);
        while self.pings.len() > PINGS_KEPT {
            self.pings.pop_front();
        }
    }

    /// From the first frame to the last.
    pub fn span(&self) -> Duration {
        match (self.first_at, self.last_at) {
            (Some(first), Some(last)) => Duration::from_micros(u64::try_from(last - first).unwrap_or(0)),
            _ => Duration::ZERO,
        }
    }

    /// `count` frames over the span, per second; over a span under a
    /// second (one frame, a burst in one microsecond), the count itself.
    pub fn per_second(&self, count: u64) -> f64 {
        count as f64 / self.span().as_secs_f64().max(1.0)
    }
}

/// What a session keeps to turn its frames into samples: how types are
/// read, and the types of the requests still waiting for a reply.
#[derive(Debug, Default)]
pub struct Feed {
    pub classifier: Classifier,
    sent_types: HashMap<u64, String>,
    sent_order: VecDeque<u64>,
}

impl Feed {
    pub fn new(classifier: Classifier) -> Self {
        Self {
            classifier,
            ..Self::default()
        }
    }

    /// The sample of `frame`, logged as `seq`; `reply_to` is the request
    /// it answers (its sequence number) and the round trip, when paired.
    pub fn sample(&mut self, seq: u64, frame: &FrameRecord, reply_to: Option<(u64, Duration)>) -> Sample {
        let type_name = self.classifier.type_of(frame);
        let sent = frame.direction == Direction::Sent;
        if sent {
            self.sent_types.insert(seq, type_name.clone());
            self.sent_order.push_back(seq);
            while self.sent_order.len() > SENT_TYPES_KEPT {
                if let Some(old) = self.sent_order.pop_front() {
                    self.sent_types.remove(&old);
                }
            }
        }
        let reply = reply_to.map(|(request, rtt)| {
            let request_type = self
                .sent_types
                .get(&request)
                .cloned()
                .unwrap_or_else(|| type_name.clone());
            (request_type, rtt)
        });
        Sample {
            at: micros(frame.at),
            sent,
            size: frame.wire_len(),
            type_name,
            seq,
            origin: 0,
            reply,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::FrameKind;

    fn frame(direction: Direction, at_ms: u64, payload: &str) -> FrameRecord {
        FrameRecord {
            at: SystemTime::UNIX_EPOCH + Duration::from_millis(at_ms),
            direction,
            kind: FrameKind::Text,
            payload: payload.to_string().into(),
        }
    }

    #[test]
    fn a_reply_counts_its_round_trip_under_its_requests_type() {
        let mut feed = Feed::default();
        let mut stats = Stats::default();
        let request = feed.sample(0, &frame(Direction::Sent, 1000, r#"{"type":"subscribe","id":1}"#), None);
        stats.add(&request);
        let reply = feed.sample(
            1,
            &frame(Direction::Received, 1020, r#"{"id":1,"ok":true}"#),
            Some((0, Duration::from_millis(20))),
        );
        assert_eq!(reply.reply, Some(("subscribe".into(), Duration::from_millis(20))));
        stats.add(&reply);
        let rows = stats.types.by_count();
        let subscribe = rows.iter().find(|r| r.name == "subscribe").unwrap();
        assert_eq!(
            subscribe.latency.as_ref().unwrap().percentiles().p50,
            Duration::from_millis(20)
        );
        assert_eq!(stats.replies.count(), 1);
        assert_eq!(rows.iter().find(|r| r.name == "text").map(|r| r.frames_in), Some(1));
    }

    #[test]
    fn zero_one_and_same_instant_frames_divide_by_nothing() {
        let stats = Stats::default();
        assert_eq!((stats.span(), stats.per_second(0)), (Duration::ZERO, 0.0));
        let mut feed = Feed::default();
        let mut stats = Stats::default();
        for seq in 0..3 {
            stats.add(&feed.sample(seq, &frame(Direction::Received, 5, "x"), None));
        }
        assert_eq!(stats.span(), Duration::ZERO);
        assert_eq!(stats.per_second(3), 3.0);
        assert!(stats.gaps.longest().is_empty());
    }

    #[test]
    fn merged_figures_add_up() {
        let mut feed = Feed::default();
        let (mut a, mut b) = (Stats::default(), Stats::default());
        a.add(&feed.sample(0, &frame(Direction::Received, 1000, r#"{"type":"tick"}"#), None));
        b.add(&feed.sample(0, &frame(Direction::Received, 3000, r#"{"type":"tick"}"#), None));
        b.add(&feed.sample(1, &frame(Direction::Sent, 4000, "hi"), None));
        a.merge(&b);
        assert_eq!((a.frames, a.span()), (3, Duration::from_secs(3)));
        assert_eq!(a.types.by_count()[0].frames(), 2);
        let (_, _, buckets) = a.rate.span();
        assert_eq!(buckets.iter().map(|b| b.frames_in + b.frames_out).sum::<u64>(), 3);
    }
}
