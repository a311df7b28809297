//! The longest silences: the time between a frame and the one before it,
//! the few longest kept, so a stalled feed is found without scrolling.

/// Silences kept.
pub const GAPS_KEPT: usize = 10;

/// A silence that ended with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// Microseconds of silence.
    pub length: i64,
    /// When it ended: the frame after it (microseconds since the epoch).
    pub ended_at: i64,
    /// That frame's sequence number in its log.
    pub seq: u64,
    /// Which log (the tab, in the merged figures).
    pub origin: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Gaps {
    /// The newest frame's time so far.
    last_at: Option<i64>,
    /// Longest first.
    longest: Vec<Gap>,
    /// Frames stamped before the one before them (a clock that went back).
    pub clock_jumps: u64,
}

impl Gaps {
    /// Takes a frame at `at` with sequence number `seq` in log `origin`.
    pub fn add(&mut self, at: i64, seq: u64, origin: u64) {
        let Some(last) = self.last_at else {
            self.last_at = Some(at);
            return;
        };
        if at < last {
            self.clock_jumps += 1;
            return;
        }
        self.last_at = Some(at);
        self.keep(Gap {
            length: at - last,
            ended_at: at,
            seq,
            origin,
        });
    }

    fn keep(&mut self, gap: Gap) {
        if gap.length == 0 || (self.longest.len() == GAPS_KEPT && self.longest[GAPS_KEPT - 1].length >= gap.length) {
            return;
        }
        let place = self.longest.partition_point(|kept| kept.length >= gap.length);
        self.longest.insert(place, gap);
        self.longest.truncate(GAPS_KEPT);
    }

    /// The longest silences, longest first.
    pub fn longest(&self) -> &[Gap] {
        &self.longest
    }

    /// Keeps the longest of both (the merged timeline's own gaps are
    /// measured on its own stream; this is for figures merged after).
    pub fn merge(&mut self, other: &Self) {
        other.longest.iter().for_each(|gap| self.keep(*gap));
        self.clock_jumps += other.clock_jumps;
        self.last_at = self.last_at.max(other.last_at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_longest_silences_longest_first() {
        let mut gaps = Gaps::default();
        let times = [0, 10, 15, 115, 116, 136, 1136];
        for (seq, at) in times.iter().enumerate() {
            gaps.add(*at, seq as u64, 0);
        }
        let lengths: Vec<i64> = gaps.longest().iter().map(|g| g.length).collect();
        assert_eq!(lengths, [1000, 100, 20, 10, 5, 1]);
        assert_eq!(
            gaps.longest()[0],
            Gap {
                length: 1000,
                ended_at: 1136,
                seq: 6,
                origin: 0
            }
        );
    }

    #[test]
    fn only_the_ten_longest_stay_and_a_clock_jump_is_counted_not_measured() {
        let mut gaps = Gaps::default();
        let mut at = 0;
        for seq in 0..100 {
            at += seq;
            gaps.add(at, seq as u64, 0);
        }
        gaps.add(5, 100, 0);
        assert_eq!(gaps.clock_jumps, 1);
        let lengths: Vec<i64> = gaps.longest().iter().map(|g| g.length).collect();
        assert_eq!(lengths, (90..100).rev().collect::<Vec<_>>());
    }

    #[test]
    fn frames_in_the_same_microsecond_make_no_gap() {
        let mut gaps = Gaps::default();
        (0..5).for_each(|seq| gaps.add(42, seq, 0));
        assert!(gaps.longest().is_empty());
    }
}
