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
pub mod sent_types;
pub mod sizes;
pub mod types;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use crate::record::{Direction, FrameRecord};
use classify::Classifier;
use gaps::Gaps;
use latency::LatencyHistogram;
use rate::RateSeries;
use sent_types::SentTypes;
use sizes::SizeHistogram;
use types::TypeTable;

/// Ping round trips kept for the line chart.
pub const PINGS_KEPT: usize = 600;

/// Microseconds since the epoch (0 for a time before it).
pub fn micros(at: SystemTime) -> i64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A frame as the figures take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample<'a> {
    pub at: i64,
    pub sent: bool,
    pub size: u64,
    /// Borrowed (a fixed name such as `text`, or from the payload) where
    /// it can be, so that a flood allocates nothing for it.
    pub type_name: Cow<'a, str>,
    /// Its sequence number in its tab's log.
    pub seq: u64,
    /// Which log it is in (a tab), for finding it from merged figures.
    pub origin: u64,
    /// For a reply: its request's type and the round trip.
    pub reply: Option<(Cow<'a, str>, Duration)>,
}

/// Consecutive frames with the same stamp, direction, type and size
/// bucket, counted as one: a batch of a flood is mostly one run (its
/// frames share a clock read), so the figures are updated once per run
/// instead of once per frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run<'a> {
    pub at: i64,
    pub sent: bool,
    pub type_name: Cow<'a, str>,
    pub size_bucket: usize,
    pub frames: u64,
    pub bytes: u64,
    pub max_size: u64,
    /// The first frame's sequence number and log, for the gap before it.
    pub first_seq: u64,
    pub origin: u64,
}

impl<'a> Run<'a> {
    fn of(sample: &Sample<'a>) -> Self {
        Self {
            at: sample.at,
            sent: sample.sent,
            type_name: sample.type_name.clone(),
            size_bucket: sizes::bucket_of(sample.size),
            frames: 1,
            bytes: sample.size,
            max_size: sample.size,
            first_seq: sample.seq,
            origin: sample.origin,
        }
    }

    /// Takes `sample` in when it belongs to the run.
    fn extend(&mut self, sample: &Sample<'a>) -> bool {
        let belongs = sample.at == self.at
            && sample.sent == self.sent
            && sample.reply.is_none()
            && sizes::bucket_of(sample.size) == self.size_bucket
            && same_name(&sample.type_name, &self.type_name);
        if belongs {
            self.frames += 1;
            self.bytes += sample.size;
            self.max_size = self.max_size.max(sample.size);
        }
        belongs
    }
}

/// Whether two type names are the same: most are one of the fixed names
/// (`text`, `binary`), which the same address settles without a compare.
fn same_name(a: &str, b: &str) -> bool {
    std::ptr::eq(a, b) || a == b
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
        self.add_run(&Run::of(sample));
        if let Some((request_type, rtt)) = &sample.reply {
            self.replies.record(*rtt);
            self.types.add_latency(request_type, *rtt);
        }
    }

    /// Counts a run of frames as each of them would be.
    pub fn add_run(&mut self, run: &Run) {
        self.frames += run.frames;
        self.bytes += run.bytes;
        self.first_at = Some(self.first_at.map_or(run.at, |first| first.min(run.at)));
        self.last_at = Some(self.last_at.map_or(run.at, |last| last.max(run.at)));
        self.rate.add_many(run.at, run.sent, run.frames, run.bytes);
        self.types
            .add_many(&run.type_name, run.sent, run.frames, run.bytes, run.max_size);
        if let Some(cover) = &mut self.types_cover {
            *cover += run.frames;
        }
        self.sizes.add_many(run.size_bucket, run.frames);
        // The frames after the first share its stamp: no gap between them.
        self.gaps.add(run.at, run.first_seq, run.origin);
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
    /// `(seq, type)` of the latest sent frames, in the order sent (so
    /// ordered by seq: found by a binary search, no hashing per frame).
    sent_types: SentTypes,
    /// The last stamp turned into microseconds: frames of a batch share
    /// one clock read.
    last_stamp: Option<(SystemTime, i64)>,
}

impl Feed {
    pub fn new(classifier: Classifier) -> Self {
        Self {
            classifier,
            ..Self::default()
        }
    }

    /// The runs of `frames`, logged from `first_seq` in log `origin`,
    /// none of them a reply, each handed to `count` as it ends.
    pub fn runs<'a>(
        &mut self,
        first_seq: u64,
        origin: u64,
        frames: &'a [FrameRecord],
        mut count: impl FnMut(&Run<'a>),
    ) {
        let mut current: Option<Run<'a>> = None;
        for (seq, frame) in (first_seq..).zip(frames) {
            let mut sample = self.sample(seq, frame, None);
            sample.origin = origin;
            if current.as_mut().is_some_and(|run| run.extend(&sample)) {
                continue;
            }
            if let Some(ended) = current.replace(Run::of(&sample)) {
                count(&ended);
            }
        }
        if let Some(ended) = current {
            count(&ended);
        }
    }

    /// The sample of `frame`, logged as `seq`; `reply_to` is the request
    /// it answers (its sequence number) and the round trip, when paired.
    pub fn sample<'a>(&mut self, seq: u64, frame: &'a FrameRecord, reply_to: Option<(u64, Duration)>) -> Sample<'a> {
        let type_name = self.classifier.type_of(frame);
        let sent = frame.direction == Direction::Sent;
        if sent {
            self.sent_types.note(seq, &type_name);
        }
        let reply = reply_to.map(|(request, rtt)| {
            let request_type = match self.sent_types.type_of(request) {
                Some(name) => Cow::Owned(name.to_string()),
                None => type_name.clone(),
            };
            (request_type, rtt)
        });
        let at = match self.last_stamp {
            Some((stamp, at)) if stamp == frame.at => at,
            _ => {
                let at = micros(frame.at);
                self.last_stamp = Some((frame.at, at));
                at
            }
        };
        Sample {
            at,
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

    /// What every figure says, in a form two ways of counting can be
    /// compared by.
    fn figures(stats: &Stats) -> String {
        let types: Vec<_> = stats
            .types
            .by_count()
            .iter()
            .map(|t| (t.name.clone(), t.frames_in, t.frames_out, t.bytes, t.max_size))
            .collect();
        format!(
            "{} {} {:?} {:?} {:?} {:?} {:?} {:?} {}",
            stats.frames,
            stats.bytes,
            stats.first_at,
            stats.last_at,
            stats.rate.span(),
            stats.rate.last_seconds(stats.last_at.unwrap_or(0), 120),
            types,
            (stats.sizes.used(), stats.gaps.longest()),
            stats.gaps.clock_jumps,
        )
    }

    #[test]
    fn runs_count_exactly_what_frame_by_frame_counts() {
        // Stamps shared by several frames, repeated types, both ways,
        // sizes across a power of two, a clock that goes back.
        let mut frames = Vec::new();
        for i in 0..500u64 {
            let at = 1_000 + (i / 7) * 3 - if i % 97 == 0 { 50 } else { 0 };
            let direction = if i % 11 == 0 {
                Direction::Sent
            } else {
                Direction::Received
            };
            let payload = match (i / 3) % 5 {
                0..=2 => format!(r#"{{"type":"tick","pad":"{}"}}"#, "x".repeat((i % 40) as usize)),
                3 => "plain".to_string(),
                _ => format!(r#"{{"event":"e{}"}}"#, i % 3),
            };
            frames.push(frame(direction, at, &payload));
        }
        let (mut one_by_one, mut by_runs) = (Stats::default(), Stats::default());
        let mut feed = Feed::default();
        for (seq, frame) in (7..).zip(&frames) {
            let mut sample = feed.sample(seq, frame, None);
            sample.origin = 3;
            one_by_one.add(&sample);
        }
        let mut runs = 0;
        Feed::default().runs(7, 3, &frames, |run| {
            runs += 1;
            by_runs.add_run(run);
        });
        assert_eq!(figures(&by_runs), figures(&one_by_one));
        assert!(runs < frames.len(), "{runs} runs of {} frames", frames.len());
        // A flood's batch: one stamp, one type, one size.
        let flood = vec![frame(Direction::Received, 5, "0123456789"); 1_000];
        let mut runs = Vec::new();
        Feed::default().runs(0, 0, &flood, |run| runs.push((run.frames, run.bytes)));
        assert_eq!(runs, [(1_000, 10_000)]);
    }

    #[test]
    fn a_reply_counts_its_round_trip_under_its_requests_type() {
        let mut feed = Feed::default();
        let mut stats = Stats::default();
        let sent = frame(Direction::Sent, 1000, r#"{"type":"subscribe","id":1}"#);
        let request = feed.sample(0, &sent, None);
        stats.add(&request);
        let received = frame(Direction::Received, 1020, r#"{"id":1,"ok":true}"#);
        let reply = feed.sample(1, &received, Some((0, Duration::from_millis(20))));
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
