//! The types of the latest sent frames, for their replies' round trips.
//!
//! Kept as runs: consecutive sent frames of one type (a flood's are all
//! one) share an entry, so noting a frame is a comparison and a counter,
//! not a push, a pop and a reference count.

use std::collections::VecDeque;
use std::sync::Arc;

/// Sent frames whose type is remembered for their reply's round trip (as
/// many as the pairing waits for).
const KEPT: usize = 10_000;

/// Sent frames of one type, from `first` to `last` (by sequence number; the
/// received frames between them are not its).
#[derive(Debug)]
struct Run {
    first: u64,
    last: u64,
    frames: usize,
    name: Arc<str>,
}

/// The latest sent frames' types: at least `kept` frames' worth, in the
/// order sent, found by a binary search.
#[derive(Debug)]
pub struct SentTypes {
    runs: VecDeque<Run>,
    frames: usize,
    kept: usize,
}

impl Default for SentTypes {
    fn default() -> Self {
        Self::new(KEPT)
    }
}

impl SentTypes {
    pub fn new(kept: usize) -> Self {
        Self {
            runs: VecDeque::new(),
            frames: 0,
            kept,
        }
    }

    /// Sent frame `seq` is of type `name`.
    pub fn note(&mut self, seq: u64, name: &str) {
        match self.runs.back_mut() {
            // A log started afresh (a regroup): seqs must keep rising.
            Some(run) if run.last >= seq => {
                self.runs.clear();
                self.frames = 0;
            }
            Some(run) if *run.name == *name => {
                run.last = seq;
                run.frames += 1;
                self.frames += 1;
                return;
            }
            _ => {}
        }
        self.runs.push_back(Run {
            first: seq,
            last: seq,
            frames: 1,
            name: Arc::from(name),
        });
        self.frames += 1;
        while self
            .runs
            .front()
            .is_some_and(|run| self.frames - run.frames >= self.kept)
        {
            if let Some(run) = self.runs.pop_front() {
                self.frames -= run.frames;
            }
        }
    }

    /// The type of sent frame `seq`, while it is kept.
    pub fn type_of(&self, seq: u64) -> Option<&str> {
        let index = self.runs.partition_point(|run| run.last < seq);
        let run = self.runs.get(index)?;
        (run.first <= seq).then_some(&*run.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_as_a_frame_by_frame_list_does() {
        const FEW: usize = 50;
        let mut rng = fastrand::Rng::with_seed(7);
        let names = ["a", "b", "subscribe"];
        let mut runs = SentTypes::new(FEW);
        // The model: every sent frame, by itself.
        let mut every: Vec<(u64, &str)> = Vec::new();
        let mut seq = 0;
        for _ in 0..5_000 {
            seq += rng.u64(1..3);
            // Long stretches of one type, as in a flood, and mixes.
            let name = if rng.u8(..) < 200 {
                every.last().map_or("a", |(_, name)| name)
            } else {
                names[rng.usize(..names.len())]
            };
            runs.note(seq, name);
            every.push((seq, name));
            let latest = &every[every.len().saturating_sub(FEW)..];
            for &(sent, name) in latest {
                assert_eq!(runs.type_of(sent), Some(name), "seq {sent}");
            }
            assert_eq!(runs.type_of(seq + 1), None);
        }
        assert!(runs.runs.len() <= FEW + 1);
    }

    #[test]
    fn a_run_keeps_one_entry_and_a_restart_forgets() {
        let mut runs = SentTypes::new(10);
        for seq in 1..=1_000 {
            runs.note(seq, "text");
        }
        assert_eq!(runs.runs.len(), 1);
        assert_eq!(runs.type_of(1), Some("text"));
        runs.note(500, "ping");
        assert_eq!((runs.type_of(1), runs.type_of(500)), (None, Some("ping")));
    }
}
