//! Latency bookkeeping, kept next to the socket so figures are not skewed by
//! how busy the UI is. Pure: callers pass in the current instant.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Pings not answered after this many newer ones are forgotten, so a server
/// that never answers cannot grow this without bound.
const MAX_OUTSTANDING_PINGS: usize = 16;

/// Matches pongs to the pings we sent, by a sequence number in the payload.
#[derive(Debug, Default)]
pub struct PingTracker {
    next_seq: u64,
    outstanding: VecDeque<(u64, Instant)>,
}

impl PingTracker {
    /// Registers a new ping sent at `now` and returns its payload.
    pub fn start(&mut self, now: Instant) -> [u8; 8] {
        let seq = self.next_seq;
        self.next_seq += 1;
        if self.outstanding.len() == MAX_OUTSTANDING_PINGS {
            self.outstanding.pop_front();
        }
        self.outstanding.push_back((seq, now));
        seq.to_be_bytes()
    }

    /// The round-trip time if `payload` answers one of our pings. Older pings
    /// are dropped too: a pong for ping N means earlier ones were lost.
    pub fn finish(&mut self, payload: &[u8], now: Instant) -> Option<Duration> {
        let seq = u64::from_be_bytes(payload.try_into().ok()?);
        let position = self.outstanding.iter().position(|(s, _)| *s == seq)?;
        let (_, sent) = self.outstanding[position];
        self.outstanding.drain(..=position);
        Some(now.saturating_duration_since(sent))
    }

    /// When the connection counts as dead: `timeout` after the oldest
    /// unanswered ping, or after the last frame received if that came later.
    pub fn deadline(&self, last_received: Instant, timeout: Option<Duration>) -> Option<tokio::time::Instant> {
        let sent = self.oldest_unanswered()?;
        Some(tokio::time::Instant::from_std(sent.max(last_received) + timeout?))
    }

    /// When the oldest unanswered ping went out.
    pub fn oldest_unanswered(&self) -> Option<Instant> {
        self.outstanding.front().map(|(_, sent)| *sent)
    }

    /// How many pings are waiting for their pong.
    pub fn outstanding(&self) -> usize {
        self.outstanding.len()
    }
}

/// Time from the last sent data frame to the next received one.
#[derive(Debug, Default)]
pub struct ReplyTimer {
    last_sent: Option<Instant>,
}

impl ReplyTimer {
    /// A data frame went out at `now`.
    pub fn sent(&mut self, now: Instant) {
        self.last_sent = Some(now);
    }

    /// Whether a sent frame still waits for its reply.
    pub fn is_waiting(&self) -> bool {
        self.last_sent.is_some()
    }

    /// A data frame came in at `now`; yields the latency once per sent frame.
    pub fn received(&mut self, now: Instant) -> Option<Duration> {
        self.last_sent.take().map(|sent| now.saturating_duration_since(sent))
    }
}

/// Running figures over a series of latency samples.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LatencyStats {
    pub last: Option<Duration>,
    pub min: Option<Duration>,
    pub max: Option<Duration>,
    total: Duration,
    pub count: u32,
}

impl LatencyStats {
    /// Adds one sample.
    pub fn record(&mut self, sample: Duration) {
        self.last = Some(sample);
        self.min = Some(self.min.map_or(sample, |m| m.min(sample)));
        self.max = Some(self.max.map_or(sample, |m| m.max(sample)));
        self.total += sample;
        self.count = self.count.saturating_add(1);
    }

    /// Mean of all samples so far.
    pub fn mean(&self) -> Option<Duration> {
        (self.count > 0).then(|| self.total / self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pong_is_matched_to_its_ping() {
        let start = Instant::now();
        let mut pings = PingTracker::default();
        let first = pings.start(start);
        let second = pings.start(start + Duration::from_millis(10));
        assert_eq!(pings.outstanding(), 2);
        assert_eq!(
            pings.finish(&second, start + Duration::from_millis(25)),
            Some(Duration::from_millis(15))
        );
        // The older ping is given up once a newer one is answered.
        assert_eq!(pings.finish(&first, start + Duration::from_millis(30)), None);
        assert_eq!(pings.outstanding(), 0);
    }

    #[test]
    fn foreign_pongs_are_ignored() {
        let now = Instant::now();
        let mut pings = PingTracker::default();
        pings.start(now);
        assert_eq!(pings.finish(b"hello", now), None);
        assert_eq!(pings.oldest_unanswered(), Some(now));
        assert_eq!(pings.finish(&99u64.to_be_bytes(), now), None);
        assert_eq!(pings.outstanding(), 1);
    }

    #[test]
    fn unanswered_pings_are_bounded() {
        let now = Instant::now();
        let mut pings = PingTracker::default();
        for _ in 0..100 {
            pings.start(now);
        }
        assert_eq!(pings.outstanding(), MAX_OUTSTANDING_PINGS);
    }

    #[test]
    fn reply_latency_counts_once_per_send() {
        let start = Instant::now();
        let mut reply = ReplyTimer::default();
        assert_eq!(reply.received(start), None);
        reply.sent(start);
        assert_eq!(
            reply.received(start + Duration::from_millis(7)),
            Some(Duration::from_millis(7))
        );
        assert_eq!(reply.received(start + Duration::from_millis(9)), None);
    }

    #[test]
    fn stats_track_min_max_mean() {
        let mut stats = LatencyStats::default();
        assert_eq!(stats.mean(), None);
        for ms in [4, 2, 9] {
            stats.record(Duration::from_millis(ms));
        }
        assert_eq!(stats.last, Some(Duration::from_millis(9)));
        assert_eq!(stats.min, Some(Duration::from_millis(2)));
        assert_eq!(stats.max, Some(Duration::from_millis(9)));
        assert_eq!(stats.mean(), Some(Duration::from_millis(5)));
        assert_eq!(stats.count, 3);
    }
}
