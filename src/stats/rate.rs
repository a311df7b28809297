//! Frames and bytes per unit of time, each way: a ring of the last two
//! minutes by the second for the live chart, and the whole span in at
//! most [`MAX_BUCKETS`] buckets that widen (1 s, 2 s, 4 s…) as it grows.

use std::collections::VecDeque;

const SECOND: i64 = 1_000_000;
/// Seconds the live ring holds (the chart shows the last 60).
const RECENT_SECONDS: usize = 120;
/// Buckets the whole span is kept in.
pub const MAX_BUCKETS: usize = 2048;

/// Traffic in one bucket of time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateBucket {
    pub frames_in: u64,
    pub frames_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

impl RateBucket {
    fn add(&mut self, sent: bool, frames: u64, bytes: u64) {
        if sent {
            self.frames_out += frames;
            self.bytes_out += bytes;
        } else {
            self.frames_in += frames;
            self.bytes_in += bytes;
        }
    }

    fn merge(&mut self, other: &Self) {
        self.frames_in += other.frames_in;
        self.frames_out += other.frames_out;
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
    }
}

/// The rate over time.
#[derive(Debug, Clone)]
pub struct RateSeries {
    /// Microseconds since the epoch where `buckets[0]` starts, a multiple
    /// of `width`.
    start: i64,
    width: i64,
    buckets: VecDeque<RateBucket>,
    /// The last seconds by the second: `(second, traffic)`, indexed by
    /// the second modulo the ring's length.
    recent: Vec<(i64, RateBucket)>,
    /// The last stamp counted and where it went (ring slot, bucket):
    /// frames of a batch share a stamp, so most skip the divisions.
    last_place: Option<(i64, usize, usize)>,
}

impl Default for RateSeries {
    fn default() -> Self {
        Self {
            start: 0,
            width: SECOND,
            buckets: VecDeque::new(),
            recent: vec![(i64::MIN, RateBucket::default()); RECENT_SECONDS],
            last_place: None,
        }
    }
}

impl RateSeries {
    /// One frame (the tests' shorthand: frames are counted in runs).
    #[cfg(test)]
    pub fn add(&mut self, at: i64, sent: bool, bytes: u64) {
        self.add_many(at, sent, 1, bytes);
    }

    /// Counts `frames` frames of `bytes` in all, all at `at` (microseconds
    /// since the epoch).
    pub fn add_many(&mut self, at: i64, sent: bool, frames: u64, bytes: u64) {
        if let Some((stamp, slot, bucket)) = self.last_place
            && stamp == at
        {
            self.recent[slot].1.add(sent, frames, bytes);
            self.buckets[bucket].add(sent, frames, bytes);
            return;
        }
        let second = at.div_euclid(SECOND);
        let slot = &mut self.recent[second.rem_euclid(RECENT_SECONDS as i64) as usize];
        if slot.0 != second {
            *slot = (second, RateBucket::default());
        }
        slot.1.add(sent, frames, bytes);
        let slot = second.rem_euclid(RECENT_SECONDS as i64) as usize;
        let index = self.place(at);
        self.buckets[index].add(sent, frames, bytes);
        self.last_place = Some((at, slot, index));
    }

    /// The bucket `at` falls in, growing (and widening) the series to hold it.
    fn place(&mut self, at: i64) -> usize {
        // Growing at the front or widening moves every index.
        self.last_place = None;
        if self.buckets.is_empty() {
            self.start = at.div_euclid(self.width) * self.width;
            self.buckets.push_back(RateBucket::default());
        }
        loop {
            let offset = (at - self.start).div_euclid(self.width);
            let end = self.buckets.len() as i64;
            let needed = if offset < 0 { end - offset } else { end.max(offset + 1) };
            if needed <= MAX_BUCKETS as i64 {
                for _ in 0..(-offset).max(0) {
                    self.buckets.push_front(RateBucket::default());
                }
                self.start = self.start.min(self.start + offset * self.width);
                let offset = (at - self.start).div_euclid(self.width);
                while self.buckets.len() as i64 <= offset {
                    self.buckets.push_back(RateBucket::default());
                }
                return offset as usize;
            }
            self.widen();
        }
    }

    /// Doubles the bucket width, merging pairs of buckets.
    fn widen(&mut self) {
        let width = self.width.saturating_mul(2);
        let start = self.start.div_euclid(width) * width;
        let mut merged: VecDeque<RateBucket> = VecDeque::with_capacity(self.buckets.len() / 2 + 1);
        for (i, bucket) in self.buckets.iter().enumerate() {
            let index = ((self.start + i as i64 * self.width - start) / width) as usize;
            if merged.len() <= index {
                merged.resize(index + 1, RateBucket::default());
            }
            merged[index].merge(bucket);
        }
        (self.start, self.width, self.buckets) = (start, width, merged);
    }

    /// The whole span: where it starts, each bucket's width (both in
    /// microseconds) and the buckets.
    pub fn span(&self) -> (i64, i64, &VecDeque<RateBucket>) {
        (self.start, self.width, &self.buckets)
    }

    /// The `seconds` seconds up to and including the one `now` is in,
    /// oldest first (at most the ring's two minutes).
    pub fn last_seconds(&self, now: i64, seconds: usize) -> Vec<RateBucket> {
        let now = now.div_euclid(SECOND);
        let seconds = seconds.min(RECENT_SECONDS) as i64;
        (now - seconds + 1..=now)
            .map(|second| {
                let (tag, bucket) = self.recent[second.rem_euclid(RECENT_SECONDS as i64) as usize];
                if tag == second { bucket } else { RateBucket::default() }
            })
            .collect()
    }

    /// Adds `other`'s traffic (the merged timeline's figures).
    pub fn merge(&mut self, other: &Self) {
        self.last_place = None;
        let (start, width, buckets) = other.span();
        for (i, bucket) in buckets.iter().enumerate() {
            if bucket == &RateBucket::default() {
                continue;
            }
            let at = start + i as i64 * width;
            let index = self.place(at);
            self.buckets[index].merge(bucket);
        }
        for (second, bucket) in &other.recent {
            if *second == i64::MIN {
                continue;
            }
            let slot = &mut self.recent[second.rem_euclid(RECENT_SECONDS as i64) as usize];
            if slot.0 != *second && slot.0 < *second {
                *slot = (*second, RateBucket::default());
            }
            if slot.0 == *second {
                slot.1.merge(bucket);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(series: &RateSeries) -> Vec<u64> {
        series.span().2.iter().map(|b| b.frames_in + b.frames_out).collect()
    }

    #[test]
    fn frames_fall_in_their_seconds_each_way() {
        let mut series = RateSeries::default();
        series.add(10 * SECOND, false, 5);
        series.add(10 * SECOND + 999_999, true, 7);
        series.add(12 * SECOND, false, 1);
        let (start, width, buckets) = series.span();
        assert_eq!((start, width), (10 * SECOND, SECOND));
        assert_eq!(frames(&series), [2, 0, 1]);
        assert_eq!((buckets[0].bytes_in, buckets[0].bytes_out), (5, 7));
        let last = series.last_seconds(12 * SECOND + 5, 3);
        assert_eq!(
            last.iter().map(|b| b.frames_in + b.frames_out).collect::<Vec<_>>(),
            [2, 0, 1]
        );
    }

    #[test]
    fn a_frame_stamped_before_the_first_grows_the_series_backwards() {
        let mut series = RateSeries::default();
        series.add(100 * SECOND, false, 1);
        series.add(97 * SECOND + 1, false, 1);
        assert_eq!(series.span().0, 97 * SECOND);
        assert_eq!(frames(&series), [1, 0, 0, 1]);
    }

    #[test]
    fn a_long_span_widens_the_buckets_and_keeps_every_frame() {
        let mut series = RateSeries::default();
        for second in 0..10_000 {
            series.add(second * SECOND, second % 2 == 0, 1);
        }
        let (_, width, buckets) = series.span();
        assert!(buckets.len() <= MAX_BUCKETS);
        assert_eq!(width, 8 * SECOND);
        assert_eq!(frames(&series).iter().sum::<u64>(), 10_000);
        // A clock that jumps back to the epoch and forward a century.
        series.add(0, false, 1);
        series.add(100 * 365 * 86_400 * SECOND, false, 1);
        assert!(series.span().2.len() <= MAX_BUCKETS);
        assert_eq!(frames(&series).iter().sum::<u64>(), 10_002);
    }

    #[test]
    fn the_ring_forgets_seconds_older_than_two_minutes() {
        let mut series = RateSeries::default();
        series.add(0, false, 1);
        series.add(RECENT_SECONDS as i64 * SECOND, false, 1);
        let last = series.last_seconds(RECENT_SECONDS as i64 * SECOND, 60);
        assert_eq!(last.iter().map(|b| b.frames_in).sum::<u64>(), 1);
    }
}
