//! Narrowing the frames log: by direction, by kind, and by a regex on the
//! text or a jq expression over JSON payloads.
//!
//! Matches are kept as a list of sequence numbers, extended as frames
//! arrive and trimmed as the log evicts, so drawing never re-scans history.
//!
//! May import: `decode`, `format`, `frames`, `jq`, `json_peek`, `record`, `sanitize`,
//! `stats`.

use std::collections::VecDeque;

use crate::decode::FrameDecoder;
use crate::frames::{FrameLog, LogEntry};
use crate::jq::JqFilter;
use crate::record::{Direction, FrameKind, FrameRecord};

/// Which directions to show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DirectionFilter {
    #[default]
    All,
    Sent,
    Received,
}

impl DirectionFilter {
    /// The next choice in the cycle.
    pub fn next(self) -> Self {
        match self {
            Self::All => Self::Sent,
            Self::Sent => Self::Received,
            Self::Received => Self::All,
        }
    }
}

/// Which kinds of frame to show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KindFilter {
    #[default]
    All,
    Text,
    Binary,
    /// Ping, pong and close.
    Control,
}

impl KindFilter {
    /// The next choice in the cycle.
    pub fn next(self) -> Self {
        match self {
            Self::All => Self::Text,
            Self::Text => Self::Binary,
            Self::Binary => Self::Control,
            Self::Control => Self::All,
        }
    }
}

/// A compiled text pattern.
#[derive(Debug)]
pub enum Pattern {
    /// Matched against the payload's bytes: valid UTF-8 text matches as
    /// text, with no check or copy per frame.
    Regex(regex::bytes::Regex),
    Jq(JqFilter),
}

/// Prefix that makes a pattern a jq expression rather than a regex.
pub const JQ_PREFIX: &str = "jq:";

impl Pattern {
    /// Compiles `text`: `jq: EXPR` is a jq expression, anything else a
    /// regex; empty is no pattern. The error says what is wrong.
    pub fn compile(text: &str) -> Result<Option<Self>, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        match text.strip_prefix(JQ_PREFIX) {
            Some(expr) => JqFilter::compile(expr.trim())
                .map(|jq| Some(Self::Jq(jq)))
                .map_err(|e| format!("jq: {e}")),
            None => regex::bytes::Regex::new(text)
                .map(|re| Some(Self::Regex(re)))
                .map_err(|e| format!("regex: {}", e.to_string().lines().last().unwrap_or_default().trim())),
        }
    }

    /// Whether `payload` matches (regex on the text, or the jq expression).
    pub fn matches(&self, payload: &[u8]) -> bool {
        match self {
            Self::Regex(re) => re.is_match(payload),
            Self::Jq(jq) => jq.matches(payload),
        }
    }

    /// As [`Pattern::matches`] on a frame, reading what `decoder` makes
    /// of it when it makes something: jq always, a regex for binary frames
    /// (a text frame's regex reads the text as it came).
    pub fn matches_frame(&self, frame: &FrameRecord, decoder: &FrameDecoder) -> bool {
        self.matches_frames(&[frame], decoder)[0]
    }

    /// [`Pattern::matches_frame`] for several frames at once (a jq
    /// expression makes one trip to its worker for all of them).
    pub fn matches_frames(&self, frames: &[&FrameRecord], decoder: &FrameDecoder) -> Vec<bool> {
        let decoded: Vec<Option<Vec<u8>>> = frames
            .iter()
            .map(|frame| match (self, frame.kind) {
                (Self::Jq(_), _) | (Self::Regex(_), FrameKind::Binary) => decoder.json(frame),
                _ => None,
            })
            .collect();
        let payloads: Vec<&[u8]> = frames
            .iter()
            .zip(&decoded)
            .map(|(frame, decoded)| decoded.as_deref().unwrap_or(&frame.payload))
            .collect();
        match self {
            Self::Regex(re) => payloads.iter().map(|p| re.is_match(p)).collect(),
            Self::Jq(jq) => jq.matches_many(&payloads),
        }
    }

    /// Why the pattern was stopped (a jq expression that ran away), if it was.
    pub fn failure(&self) -> Option<String> {
        match self {
            Self::Regex(_) => None,
            Self::Jq(jq) => jq.failure(),
        }
    }
}

/// A narrowing picked in the stats view: the frames of one message type,
/// or of one size bucket.
#[derive(Debug, Clone)]
pub enum Narrow {
    /// Frames the classifier gives this type.
    Type {
        name: String,
        classifier: Box<crate::stats::classify::Classifier>,
    },
    /// Frames whose size on the wire is in this range (both ends included).
    Size { low: u64, high: u64 },
}

impl Narrow {
    fn passes(&self, frame: &FrameRecord) -> bool {
        match self {
            Self::Type { name, classifier } => crate::json_peek::bounded(&classifier.type_of(frame)) == name,
            Self::Size { low, high } => (*low..=*high).contains(&frame.wire_len()),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Type { name, .. } => format!("type {}", crate::sanitize::one_line(name)),
            Self::Size { low, high } => format!("size {}–{}", crate::format::bytes(*low), crate::format::bytes(*high)),
        }
    }
}

/// Everything that narrows the view.
#[derive(Debug, Default)]
pub struct FilterSpec {
    /// A type or size picked in the stats view.
    pub narrow: Option<Narrow>,
    pub direction: DirectionFilter,
    pub kind: KindFilter,
    pub pattern: Option<Pattern>,
    /// The pattern as typed, for display and editing.
    pub pattern_text: String,
    /// What a pattern reads instead of the raw payload, when there is a
    /// better form (a Socket.IO event as an object, MessagePack as JSON).
    pub decode: FrameDecoder,
}

impl FilterSpec {
    /// Whether anything is filtered out.
    pub fn is_active(&self) -> bool {
        self.direction != DirectionFilter::All
            || self.kind != KindFilter::All
            || self.pattern.is_some()
            || self.narrow.is_some()
    }

    /// Whether `entry` passes. Connection-event rows are hidden by any filter.
    pub fn matches(&self, entry: &LogEntry) -> bool {
        self.matches_many(&[entry])[0]
    }

    /// [`FilterSpec::matches`] for several entries, the pattern evaluated
    /// once for all the frames that need it.
    pub fn matches_many(&self, entries: &[&LogEntry]) -> Vec<bool> {
        let mut result: Vec<bool> = entries.iter().map(|entry| self.passes_before_pattern(entry)).collect();
        let Some(pattern) = &self.pattern else {
            return result;
        };
        let (indexes, frames): (Vec<usize>, Vec<&FrameRecord>) = entries
            .iter()
            .enumerate()
            .filter(|(i, _)| result[*i])
            .filter_map(|(i, entry)| match entry {
                LogEntry::Frame(frame) => Some((i, frame)),
                LogEntry::Note { .. } => None,
            })
            .unzip();
        for (i, matched) in indexes.into_iter().zip(pattern.matches_frames(&frames, &self.decode)) {
            result[i] = matched;
        }
        result
    }

    /// Everything but the pattern.
    fn passes_before_pattern(&self, entry: &LogEntry) -> bool {
        let LogEntry::Frame(frame) = entry else {
            return !self.is_active();
        };
        let direction_ok = match self.direction {
            DirectionFilter::All => true,
            DirectionFilter::Sent => frame.direction == Direction::Sent,
            DirectionFilter::Received => frame.direction == Direction::Received,
        };
        let kind_ok = matches!(
            (self.kind, frame.kind),
            (KindFilter::All, _)
                | (KindFilter::Text, FrameKind::Text)
                | (KindFilter::Binary, FrameKind::Binary)
                | (
                    KindFilter::Control,
                    FrameKind::Ping | FrameKind::Pong | FrameKind::Close { .. }
                )
        );
        direction_ok
            && kind_ok
            && self.narrow.as_ref().is_none_or(|narrow| narrow.passes(frame))
            && (self.pattern.is_none()
                || matches!(
                    frame.kind,
                    FrameKind::Text | FrameKind::Binary | FrameKind::Close { .. }
                ))
    }

    /// A short description for the frames title.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        match self.direction {
            DirectionFilter::All => {}
            DirectionFilter::Sent => parts.push("sent".to_string()),
            DirectionFilter::Received => parts.push("received".to_string()),
        }
        match self.kind {
            KindFilter::All => {}
            KindFilter::Text => parts.push("text".to_string()),
            KindFilter::Binary => parts.push("binary".to_string()),
            KindFilter::Control => parts.push("control".to_string()),
        }
        if let Some(narrow) = &self.narrow {
            parts.push(narrow.describe());
        }
        if self.pattern.is_some() {
            parts.push(self.pattern_text.trim().to_string());
        }
        parts.join(" · ")
    }
}

/// The sequence numbers of matching entries, oldest first.
#[derive(Debug, Default)]
pub struct Matches {
    seqs: VecDeque<u64>,
}

impl Matches {
    /// Scans everything held (used when the filter changes).
    pub fn rebuild(spec: &FilterSpec, log: &FrameLog) -> Self {
        let mut matches = Self::default();
        matches.take(spec, log, log.first_seq(), log.len());
        matches
    }

    /// Checks the newest entry (just pushed) and forgets evicted ones.
    pub fn on_push(&mut self, spec: &FilterSpec, log: &FrameLog) {
        self.on_push_many(spec, log, 1);
    }

    /// Checks the `count` newest entries (just pushed together) and
    /// forgets evicted ones.
    pub fn on_push_many(&mut self, spec: &FilterSpec, log: &FrameLog, count: usize) {
        let count = count.min(log.len());
        self.take(spec, log, log.end_seq() - count as u64, count);
        while self.seqs.front().is_some_and(|s| *s < log.first_seq()) {
            self.seqs.pop_front();
        }
    }

    /// Forgets matches the log no longer holds (evicted elsewhere).
    pub fn forget_before(&mut self, first_seq: u64) {
        while self.seqs.front().is_some_and(|s| *s < first_seq) {
            self.seqs.pop_front();
        }
    }

    /// Appends the matches among `count` entries from `from`, a batch at
    /// a time.
    fn take(&mut self, spec: &FilterSpec, log: &FrameLog, from: u64, count: usize) {
        const BATCH: usize = 1024;
        const BATCH_BYTES: usize = 4 << 20;
        let entries: Vec<&LogEntry> = log.window(from, count).collect();
        let mut start = 0;
        while start < entries.len() {
            let mut end = start;
            let mut bytes = 0;
            while end < entries.len() && end - start < BATCH && (bytes < BATCH_BYTES || end == start) {
                if let LogEntry::Frame(frame) = entries[end] {
                    bytes += frame.payload.len();
                }
                end += 1;
            }
            let matched = spec.matches_many(&entries[start..end]);
            let first = from + start as u64;
            self.seqs.extend(
                matched
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| **m)
                    .map(|(i, _)| first + i as u64),
            );
            start = end;
        }
    }

    /// How many entries match.
    pub fn len(&self) -> usize {
        self.seqs.len()
    }

    /// Whether nothing matches.
    pub fn is_empty(&self) -> bool {
        self.seqs.is_empty()
    }

    /// Sequence number of the `index`-th match.
    pub fn get(&self, index: usize) -> Option<u64> {
        self.seqs.get(index).copied()
    }

    /// Index of the first match at or after `seq`.
    pub fn position(&self, seq: u64) -> usize {
        self.seqs.partition_point(|s| *s < seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::FrameRecord;
    use bytes::Bytes;
    use std::time::SystemTime;

    fn log() -> FrameLog {
        let mut log = FrameLog::new(100, usize::MAX);
        log.push_note(crate::frames::NoteLevel::Info, "connected");
        for (direction, kind, payload) in [
            (Direction::Received, FrameKind::Text, r#"{"type":"trade","price":150}"#),
            (Direction::Received, FrameKind::Text, r#"{"type":"trade","price":50}"#),
            (Direction::Sent, FrameKind::Text, r#"{"op":"subscribe"}"#),
            (Direction::Received, FrameKind::Binary, "\u{0}\u{1}"),
            (Direction::Sent, FrameKind::Ping, ""),
        ] {
            log.push_frame(FrameRecord {
                at: SystemTime::UNIX_EPOCH,
                direction,
                kind,
                payload: Bytes::from(payload),
            });
        }
        log
    }

    fn matching(spec: &FilterSpec) -> Vec<u64> {
        let m = Matches::rebuild(spec, &log());
        (0..m.len()).filter_map(|i| m.get(i)).collect()
    }

    #[test]
    fn direction_and_kind() {
        let mut spec = FilterSpec::default();
        assert_eq!(matching(&spec), vec![0, 1, 2, 3, 4, 5], "no filter shows everything");
        spec.direction = DirectionFilter::Sent;
        assert_eq!(matching(&spec), vec![3, 5]);
        spec.direction = DirectionFilter::All;
        spec.kind = KindFilter::Binary;
        assert_eq!(matching(&spec), vec![4]);
        spec.kind = KindFilter::Control;
        assert_eq!(matching(&spec), vec![5]);
        assert_eq!(spec.describe(), "control");
    }

    #[test]
    fn regex_and_jq() {
        let spec = FilterSpec {
            pattern: Pattern::compile("trade").unwrap(),
            pattern_text: "trade".into(),
            ..FilterSpec::default()
        };
        assert_eq!(matching(&spec), vec![1, 2]);
        let spec = FilterSpec {
            pattern: Pattern::compile(r#"jq: .type == "trade" and .price > 100"#).unwrap(),
            ..FilterSpec::default()
        };
        assert_eq!(matching(&spec), vec![1]);
    }

    #[test]
    fn invalid_patterns_are_explained() {
        assert!(Pattern::compile("(unclosed").unwrap_err().starts_with("regex:"));
        assert!(Pattern::compile("jq: .a ==").unwrap_err().starts_with("jq:"));
        assert!(Pattern::compile("   ").unwrap().is_none());
    }

    #[test]
    fn matches_follow_pushes_and_eviction() {
        let spec = FilterSpec {
            kind: KindFilter::Text,
            ..FilterSpec::default()
        };
        let mut log = FrameLog::new(3, usize::MAX);
        let mut matches = Matches::default();
        for i in 0..6 {
            log.push_frame(FrameRecord {
                at: SystemTime::UNIX_EPOCH,
                direction: Direction::Received,
                kind: if i % 2 == 0 { FrameKind::Text } else { FrameKind::Binary },
                payload: Bytes::from("x"),
            });
            matches.on_push(&spec, &log);
        }
        // Held: 3, 4, 5; text ones among them: 4.
        assert_eq!((matches.len(), matches.get(0)), (1, Some(4)));
        assert_eq!(matches.position(5), 1);
    }
}
