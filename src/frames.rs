//! The bounded frame log: what the frames view shows.
//!
//! Entries are kept in arrival order with stable sequence numbers, so a view
//! can hold its place while old entries are evicted under it. Rendering asks
//! for a window by sequence number, which costs O(rows shown), never
//! O(history).
//!
//! May import: `record`, `sanitize`.

use std::collections::VecDeque;
use std::time::SystemTime;

use crate::record::{Direction, FrameRecord};

/// Default cap on entries held.
pub const DEFAULT_MAX_ENTRIES: usize = 100_000;
/// Default cap on payload bytes held.
pub const DEFAULT_MAX_BYTES: usize = 64 << 20;

/// How a connection-event row should be styled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteLevel {
    Info,
    Success,
    Warning,
    Error,
}

/// One row of the log: a frame, or a connection event shown inline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEntry {
    Frame(FrameRecord),
    Note {
        at: SystemTime,
        level: NoteLevel,
        text: String,
    },
}

impl LogEntry {
    /// When the entry happened.
    pub fn at(&self) -> SystemTime {
        match self {
            Self::Frame(frame) => frame.at,
            Self::Note { at, .. } => *at,
        }
    }

    /// Bytes this entry counts against the byte cap.
    fn weight(&self) -> usize {
        match self {
            Self::Frame(frame) => frame.payload.len(),
            Self::Note { text, .. } => text.len(),
        }
    }
}

/// Running totals of traffic, kept apart from the log so eviction never
/// changes them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    pub frames_in: u64,
    pub bytes_in: u64,
    pub frames_out: u64,
    pub bytes_out: u64,
}

impl Counters {
    fn count(&mut self, frame: &FrameRecord) {
        let size = frame.wire_len();
        match frame.direction {
            Direction::Received => {
                self.frames_in += 1;
                self.bytes_in += size;
            }
            Direction::Sent => {
                self.frames_out += 1;
                self.bytes_out += size;
            }
        }
    }
}

/// A bounded, append-only log with eviction from the front.
#[derive(Debug)]
pub struct FrameLog {
    entries: VecDeque<LogEntry>,
    /// Each entry's place in time: its own time, or the latest before it
    /// when it was stamped earlier (a frame read by the connection task
    /// before a note the UI logged). Never decreasing, so the merged
    /// timeline can find a time in a log by binary search.
    placed_at: VecDeque<SystemTime>,
    /// The newest of `placed_at`, kept when entries are evicted or cleared.
    latest: SystemTime,
    /// Sequence number of `entries[0]`.
    first_seq: u64,
    held_bytes: usize,
    max_entries: usize,
    max_bytes: usize,
    counters: Counters,
}

impl Default for FrameLog {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_ENTRIES, DEFAULT_MAX_BYTES)
    }
}

impl FrameLog {
    /// A log holding at most `max_entries` entries and `max_bytes` of payload
    /// (the newest entry is always kept, whatever its size).
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            placed_at: VecDeque::new(),
            latest: SystemTime::UNIX_EPOCH,
            first_seq: 0,
            held_bytes: 0,
            max_entries: max_entries.max(1),
            max_bytes,
            counters: Counters::default(),
        }
    }

    /// The most entries it holds.
    pub fn max_entries(&self) -> usize {
        self.max_entries
    }

    /// The most payload bytes it holds.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Adds a frame and counts it.
    pub fn push_frame(&mut self, frame: FrameRecord) {
        self.counters.count(&frame);
        self.push(LogEntry::Frame(frame));
    }

    /// Adds a connection-event row.
    pub fn push_note(&mut self, level: NoteLevel, text: impl Into<String>) {
        self.push_note_at(SystemTime::now(), level, text);
    }

    /// Adds a connection-event row for something that happened at `at`.
    /// Notes narrate what a server said (close reasons, rejection bodies),
    /// so their text is sanitized here, once, for every view and export.
    pub fn push_note_at(&mut self, at: SystemTime, level: NoteLevel, text: impl Into<String>) {
        let text = crate::sanitize::one_line_owned(text.into());
        self.push(LogEntry::Note { at, level, text });
    }

    /// Adds a batch of frames and counts them: the same as pushing each in
    /// turn, with one eviction pass for the batch.
    pub fn push_frames(&mut self, frames: Vec<FrameRecord>) {
        for frame in &frames {
            self.counters.count(frame);
            self.held_bytes += frame.payload.len();
            self.latest = self.latest.max(frame.at);
            self.placed_at.push_back(self.latest);
        }
        self.entries.extend(frames.into_iter().map(LogEntry::Frame));
        self.evict();
    }

    fn push(&mut self, entry: LogEntry) {
        self.held_bytes += entry.weight();
        self.latest = self.latest.max(entry.at());
        self.placed_at.push_back(self.latest);
        self.entries.push_back(entry);
        self.evict();
    }

    fn evict(&mut self) {
        while self.entries.len() > self.max_entries || (self.held_bytes > self.max_bytes && self.entries.len() > 1) {
            self.pop_oldest();
        }
    }

    fn pop_oldest(&mut self) {
        if let Some(old) = self.entries.pop_front() {
            self.placed_at.pop_front();
            self.held_bytes -= old.weight();
            self.first_seq += 1;
        }
    }

    /// Drops the oldest entry, keeping at least one (the history caps shared
    /// by tabs evict from whichever tab holds most); false when it cannot.
    pub fn evict_oldest(&mut self) -> bool {
        if self.entries.len() < 2 {
            return false;
        }
        self.pop_oldest();
        true
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries evicted to honour the caps, since the start.
    pub fn dropped(&self) -> u64 {
        self.first_seq
    }

    /// Sequence number of the oldest entry held.
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// Sequence number the next entry will get.
    pub fn end_seq(&self) -> u64 {
        self.first_seq + self.entries.len() as u64
    }

    /// Payload bytes held now.
    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// Traffic totals since the start, evicted frames included.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Up to `count` entries starting at sequence number `from` (clamped to
    /// what is held).
    pub fn window(&self, from: u64, count: usize) -> impl Iterator<Item = &LogEntry> {
        let start = from.saturating_sub(self.first_seq).min(self.entries.len() as u64) as usize;
        self.entries.range(start..).take(count)
    }

    /// When the entry `seq` took its place in the log (see `placed_at`),
    /// if it is still held.
    pub fn placed_at(&self, seq: u64) -> Option<SystemTime> {
        let index = seq.checked_sub(self.first_seq)?;
        self.placed_at.get(usize::try_from(index).ok()?).copied()
    }

    /// Forgets every entry but keeps the totals and sequence numbering.
    pub fn clear(&mut self) {
        self.first_seq = self.end_seq();
        self.entries.clear();
        self.placed_at.clear();
        self.held_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::FrameKind;

    fn texts(log: &FrameLog, from: u64, count: usize) -> Vec<String> {
        log.window(from, count)
            .map(|e| match e {
                LogEntry::Frame(f) => String::from_utf8_lossy(&f.payload).into_owned(),
                LogEntry::Note { text, .. } => text.clone(),
            })
            .collect()
    }

    #[test]
    fn evicts_oldest_beyond_entry_cap_and_keeps_sequence_numbers() {
        let mut log = FrameLog::new(3, usize::MAX);
        for text in ["a", "b", "c", "d", "e"] {
            log.push_frame(FrameRecord::text(Direction::Received, text));
        }
        assert_eq!(log.len(), 3);
        assert_eq!(log.dropped(), 2);
        assert_eq!((log.first_seq(), log.end_seq()), (2, 5));
        assert_eq!(texts(&log, 0, 10), ["c", "d", "e"]);
        assert_eq!(texts(&log, 3, 10), ["d", "e"]);
        assert_eq!(texts(&log, 9, 10), Vec::<String>::new());
    }

    #[test]
    fn a_batch_is_the_same_as_its_frames_one_by_one() {
        let batch = |n: usize| {
            (0..n)
                .map(|i| FrameRecord::text(Direction::Received, &"x".repeat(i % 7)))
                .collect::<Vec<_>>()
        };
        for (max_entries, max_bytes) in [(5, usize::MAX), (100, 12), (3, 4), (1000, 1000)] {
            let (mut one_by_one, mut batched) = (
                FrameLog::new(max_entries, max_bytes),
                FrameLog::new(max_entries, max_bytes),
            );
            for n in [0, 1, 2, 9, 30] {
                batch(n).into_iter().for_each(|f| one_by_one.push_frame(f));
                batched.push_frames(batch(n));
                assert_eq!(
                    (one_by_one.first_seq(), one_by_one.end_seq(), one_by_one.held_bytes()),
                    (batched.first_seq(), batched.end_seq(), batched.held_bytes())
                );
                assert_eq!(one_by_one.counters(), batched.counters());
                assert_eq!(texts(&one_by_one, 0, 2000), texts(&batched, 0, 2000));
            }
        }
    }

    #[test]
    fn evicts_by_bytes_but_keeps_the_newest() {
        let mut log = FrameLog::new(100, 10);
        log.push_frame(FrameRecord::text(Direction::Received, "12345"));
        log.push_frame(FrameRecord::text(Direction::Received, "67890"));
        assert_eq!(log.len(), 2);
        log.push_frame(FrameRecord::text(Direction::Received, "x"));
        assert_eq!(texts(&log, 0, 10), ["67890", "x"]);
        assert_eq!(log.held_bytes(), 6);
        log.push_frame(FrameRecord::text(Direction::Received, "a frame larger than the cap"));
        assert_eq!(log.len(), 1);
    }

    #[test]
    fn counters_survive_eviction_and_clear() {
        let mut log = FrameLog::new(1, usize::MAX);
        log.push_frame(FrameRecord::text(Direction::Sent, "abc"));
        log.push_frame(FrameRecord::text(Direction::Received, "de"));
        log.push_frame(FrameRecord {
            kind: FrameKind::Close { code: Some(1000) },
            ..FrameRecord::text(Direction::Received, "bye")
        });
        log.clear();
        assert!(log.is_empty());
        assert_eq!(
            log.counters(),
            Counters {
                frames_in: 2,
                bytes_in: 7,
                frames_out: 1,
                bytes_out: 3
            }
        );
        assert_eq!(log.end_seq(), 3);
    }
}
