//! The detail view: one frame in full, paged, searched and stepped
//! through, with its timing figures.

use std::time::{Duration, SystemTime};

use super::{Session, Shared};
use crate::frames::{LogEntry, NoteLevel};
use crate::payload::{BinaryView, BodyKind};
use crate::record::{Direction, FrameRecord};

/// The open detail view of one frame.
#[derive(Debug, Clone)]
pub struct Detail {
    /// Sequence number of the frame shown.
    pub seq: u64,
    pub view: BinaryView,
    pub kind: BodyKind,
    /// The payload's lines, formatted as they are shown (see [`crate::body`]).
    pub body: crate::body::Body,
    /// How the payload was decoded, or why it was not (and whether that is
    /// an error).
    pub heading: Option<(bool, String)>,
    pub scroll: usize,
    /// What `/` looks for in the body; `n` finds the next line.
    pub search: Option<regex::Regex>,
    /// Timing figures, computed once when opened.
    pub since_connect: Option<Duration>,
    pub since_previous: Option<Duration>,
    pub reply_latency: Option<Duration>,
}

/// Lines of a detail body found beyond those shown, so that a page down
/// has them ready.
const DETAIL_LOOKAHEAD: usize = 256;

impl Session {
    pub(super) fn open_detail(&mut self, shared: &mut Shared) {
        if self.frames_view.selected().is_none() {
            self.with_view(|view, visible| view.select_by(visible, 0));
        }
        let Some(seq) = self.frames_view.selected() else {
            return;
        };
        self.show_detail(seq, BinaryView::default(), shared);
    }

    pub(super) fn show_detail(&mut self, seq: u64, view: BinaryView, shared: &mut Shared) {
        let Some(LogEntry::Frame(frame)) = self.visible().entry(seq).cloned() else {
            shared.notify(
                NoteLevel::Warning,
                "select a frame (not a connection event) to see it in full",
            );
            return;
        };
        let protocol = self.protocol();
        let packet = match protocol.packet_decoder() {
            Some(decode) if frame.kind == crate::record::FrameKind::Binary && view == BinaryView::Decoded => {
                decode(&frame.payload).and_then(|json| crate::payload::packet_body(&json, protocol.kind.label()))
            }
            _ => None,
        };
        let shown = packet.unwrap_or_else(|| crate::payload::body(&frame, view, &self.payloads));
        let mut body = shown.body;
        body.index_to(DETAIL_LOOKAHEAD);
        let previous = self.frame_before(seq, |_| true);
        let last_sent = (frame.direction == Direction::Received)
            .then(|| self.frame_before(seq, |f| f.direction == Direction::Sent && f.is_data()))
            .flatten();
        self.detail = Some(Detail {
            seq,
            view: shown.view,
            kind: shown.kind,
            body,
            heading: shown.heading,
            scroll: 0,
            search: None,
            since_connect: self.opened_at.and_then(|t| frame.at.duration_since(t).ok()),
            since_previous: previous.and_then(|t| frame.at.duration_since(t).ok()),
            reply_latency: last_sent.and_then(|t| frame.at.duration_since(t).ok()),
        });
    }

    /// When the nearest earlier frame satisfying `wanted` happened; looks
    /// back a bounded distance so opening the detail stays instant.
    fn frame_before(&self, seq: u64, wanted: impl Fn(&FrameRecord) -> bool) -> Option<SystemTime> {
        let from = seq.saturating_sub(10_000).max(self.frames.first_seq());
        let count = seq.saturating_sub(from) as usize;
        let earlier: Vec<&LogEntry> = self.frames.window(from, count).collect();
        earlier.into_iter().rev().find_map(|entry| match entry {
            LogEntry::Frame(f) if wanted(f) => Some(f.at),
            _ => None,
        })
    }

    /// Body lines the open detail view shows (its heading takes one).
    fn detail_page(&self) -> usize {
        let heading = self.detail.as_ref().is_some_and(|d| d.heading.is_some());
        self.detail_height.saturating_sub(usize::from(heading)).max(1)
    }

    pub(super) fn detail_scroll(&mut self, delta: isize) {
        let page = self.detail_page() as isize;
        if let Some(detail) = &mut self.detail {
            let step = if delta.abs() > 1 { delta.signum() * page } else { delta };
            let wanted = detail.scroll.saturating_add_signed(step);
            detail.body.index_to(wanted.saturating_add(DETAIL_LOOKAHEAD));
            detail.scroll = wanted.min(detail.body.len().saturating_sub(1));
        }
    }

    /// Finds `text` (a regex) in the detail body, from the line after the
    /// top one; the line found goes to the top.
    pub(super) fn detail_search(&mut self, text: &str, shared: &mut Shared) -> Result<(), String> {
        let regex = regex::Regex::new(text)
            .map_err(|e| format!("regex: {}", e.to_string().lines().last().unwrap_or_default().trim()))?;
        if let Some(detail) = &mut self.detail {
            detail.search = Some(regex);
        }
        self.detail_search_next(shared);
        Ok(())
    }

    pub(super) fn detail_search_next(&mut self, shared: &mut Shared) {
        let Some(detail) = &mut self.detail else {
            return;
        };
        let Some(regex) = detail.search.clone() else {
            shared.notify(NoteLevel::Info, "no search: / starts one");
            return;
        };
        match detail.body.find(&regex, detail.scroll + 1) {
            Some(line) => {
                detail.scroll = line;
                detail.body.index_to(line + DETAIL_LOOKAHEAD);
            }
            None => shared.notify(NoteLevel::Info, format!("{:?} not found below", regex.as_str())),
        }
    }

    /// Home: the first line; End: the last page (the whole body is
    /// indexed for it, a fast pass over the bytes).
    pub(super) fn detail_jump(&mut self, to_end: bool) {
        let page = self.detail_page();
        if let Some(detail) = &mut self.detail {
            if to_end {
                detail.body.index_all();
                detail.scroll = detail.body.len().saturating_sub(page);
            } else {
                detail.scroll = 0;
            }
        }
    }

    pub(super) fn detail_cycle_view(&mut self, shared: &mut Shared) {
        if let Some(detail) = &self.detail {
            let (seq, view) = (detail.seq, detail.view.next());
            self.show_detail(seq, view, shared);
        }
    }

    pub(super) fn detail_step(&mut self, delta: i64, shared: &mut Shared) {
        if self.detail.is_none() {
            return;
        }
        self.with_view(|view, visible| view.select_by(visible, delta));
        if let Some(seq) = self.frames_view.selected() {
            let view = self.detail.as_ref().map_or_else(BinaryView::default, |d| d.view);
            self.show_detail(seq, view, shared);
        }
    }
}
