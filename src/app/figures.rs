//! A session's figures for the stats view: each frame it takes in is
//! counted once, into its own figures and the app's (the merged
//! timeline's), with its type read as its protocol and the grouping say.

use std::sync::Arc;
use std::time::Duration;

use super::{Session, Shared};
use crate::record::FrameRecord;
use crate::stats::classify::{Classifier, GroupBy};
use crate::stats::{Feed, Stats};

impl Session {
    /// Counts a batch of frames about to be logged from `first_seq`,
    /// none of them a reply (the pairing waits for none).
    pub(super) fn count_frames(&mut self, first_seq: u64, frames: &[FrameRecord], shared: &mut Shared) {
        let (stats, all) = (&mut self.stats, &mut shared.all_stats);
        self.stats_feed.runs(first_seq, self.tab, frames, |run| {
            stats.add_run(run);
            all.add_run(run);
        });
    }

    /// Counts a frame just logged as `seq`, after the pairing saw it.
    pub(super) fn count_frame(&mut self, seq: u64, frame: &FrameRecord, shared: &mut Shared) {
        let reply_to = self.pairing.by_response.get(&seq).copied();
        let mut sample = self.stats_feed.sample(seq, frame, reply_to);
        sample.origin = self.tab;
        self.stats.add(&sample);
        shared.all_stats.add(&sample);
    }

    /// Counts a ping's round trip.
    pub(super) fn count_ping(&mut self, rtt: Duration, shared: &mut Shared) {
        let now = std::time::SystemTime::now();
        self.stats.add_ping(now, rtt);
        shared.all_stats.add_ping(now, rtt);
    }

    /// Reads types as the current protocol does (once it is settled).
    pub(super) fn refresh_classifier(&mut self, shared: &Shared) {
        self.stats_feed.classifier = Classifier::new(self.protocol(), shared.group_by.clone());
    }

    /// Groups the types by `group_by` (or the usual reading): the type
    /// table is rebuilt from the frames still held, the other figures
    /// stay as they are.
    pub(super) fn regroup(&mut self, group_by: Option<Arc<GroupBy>>) {
        let protocol = self.stats_feed.classifier.protocol().clone();
        self.stats_feed = Feed::new(Classifier::new(protocol, group_by));
        let mut regrouped = Stats::default();
        let held: Vec<(u64, &FrameRecord)> = (self.frames.first_seq()..)
            .zip(self.frames.window(self.frames.first_seq(), self.frames.len()))
            .filter_map(|(seq, entry)| match entry {
                crate::frames::LogEntry::Frame(frame) => Some((seq, frame)),
                crate::frames::LogEntry::Note { .. } => None,
            })
            .collect();
        for (seq, frame) in held {
            let reply_to = self.pairing.by_response.get(&seq).copied();
            regrouped.add(&self.stats_feed.sample(seq, frame, reply_to));
        }
        self.stats.types = regrouped.types;
        self.stats.types_cover = Some(regrouped.frames);
    }
}
