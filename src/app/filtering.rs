//! One session's view of its frames: what passes its filter, the
//! selection, and search over the rows.

use super::frames_view::{FramesView, Visible};
use super::{Session, Shared};
use crate::filter::{FilterSpec, Matches, Pattern};
use crate::frames::{LogEntry, NoteLevel};
use crate::record::FrameRecord;

/// A search over the visible rows, highlighted and stepped with n / N.
#[derive(Debug, Clone)]
pub struct Search {
    pub text: String,
    pub regex: regex::Regex,
}

impl Session {
    /// What the frames view shows now.
    pub fn visible(&self) -> Visible<'_> {
        Visible {
            log: &self.frames,
            matches: self.filter.is_active().then_some(&self.matches),
        }
    }

    /// Runs `change` on the view with what is visible.
    pub(super) fn with_view(&mut self, change: impl FnOnce(&mut FramesView, &Visible)) {
        let visible = Visible {
            log: &self.frames,
            matches: self.filter.is_active().then_some(&self.matches),
        };
        change(&mut self.frames_view, &visible);
    }

    /// Keeps the filter's matches in step after entries were pushed.
    pub(super) fn after_push(&mut self, shared: &mut Shared) {
        if self.filter.is_active() {
            self.matches.on_push(&self.filter, &self.frames);
            self.check_filter(shared);
        }
    }

    /// A jq expression that ran away is dropped, and said so.
    pub(super) fn check_filter(&mut self, shared: &mut Shared) {
        let Some(failure) = self.filter.pattern.as_ref().and_then(|p| p.failure()) else {
            return;
        };
        self.filter.pattern_text.clear();
        self.filter.pattern = None;
        shared.notify(NoteLevel::Error, format!("filter off: {failure}"));
        self.refilter(shared);
    }

    pub(super) fn refilter(&mut self, shared: &mut Shared) {
        // Patterns read the decoded form (a Socket.IO event as an object,
        // MessagePack as JSON).
        self.filter.decode = self.frame_decoder();
        self.matches = Matches::rebuild(&self.filter, &self.frames);
        self.frames_view.reset();
        if self.filter.pattern.as_ref().is_some_and(|p| p.failure().is_some()) {
            self.check_filter(shared);
        }
    }

    /// How frames read as JSON now: by the protocol, and the payload decoder.
    pub fn frame_decoder(&self) -> crate::decode::FrameDecoder {
        self.protocol().frame_decoder(self.payloads.clone())
    }

    /// Compiles the profile's `.proto` files and sets the payload decoder;
    /// a schema that does not compile is reported and left out. Files are
    /// read only when what names the decoder changed since it last built.
    pub fn reload_payload_decoder(&mut self, shared: &mut Shared) {
        let source = self.current_profile().decoder_source();
        if self.payloads_source.as_ref() == Some(&source) {
            return;
        }
        match source.build() {
            Ok(decoder) => {
                self.payloads = decoder;
                self.payloads_source = Some(source);
            }
            Err(error) => {
                self.payloads = source.without_schema();
                self.payloads_source = None;
                shared.notify(NoteLevel::Error, format!("--proto: {error}"));
            }
        }
    }

    /// The selected frame, if a frame (not an event row) is selected.
    pub fn selected_frame(&self) -> Option<&FrameRecord> {
        let seq = self.frames_view.selected()?;
        match self.visible().entry(seq)? {
            LogEntry::Frame(frame) => Some(frame),
            LogEntry::Note { .. } => None,
        }
    }

    /// Applies a typed filter pattern to this session's frames.
    pub fn set_filter_text(&mut self, text: &str, shared: &mut Shared) -> Result<(), String> {
        let pattern = Pattern::compile(text)?;
        self.filter.pattern = pattern;
        self.filter.pattern_text = text.trim().to_string();
        self.refilter(shared);
        Ok(())
    }

    pub(super) fn cycle_direction_filter(&mut self, shared: &mut Shared) {
        self.filter.direction = self.filter.direction.next();
        self.refilter(shared);
    }

    pub(super) fn cycle_kind_filter(&mut self, shared: &mut Shared) {
        self.filter.kind = self.filter.kind.next();
        self.refilter(shared);
    }

    pub(super) fn clear_filter(&mut self, shared: &mut Shared) {
        self.filter = FilterSpec::default();
        self.search = None;
        self.refilter(shared);
    }

    /// Searches this session's rows; the first match is selected.
    pub(super) fn set_search(&mut self, search: Option<Search>, shared: &mut Shared) {
        let searching = search.is_some();
        self.search = search;
        if searching {
            self.search_step(true, shared);
        }
    }

    /// Selects the next (or previous) visible row the search matches.
    pub(super) fn search_step(&mut self, forward: bool, shared: &mut Shared) {
        let Some(search) = self.search.clone() else {
            shared.notify(NoteLevel::Info, "no search: / starts one");
            return;
        };
        let visible = self.visible();
        let len = visible.len();
        if len == 0 {
            return;
        }
        let start = self
            .frames_view
            .selected()
            .map_or(if forward { 0 } else { len }, |seq| {
                let pos = visible.pos(seq);
                if forward { pos + 1 } else { pos }
            });
        let hit = if forward {
            (start..len).find(|pos| row_matches(&visible, *pos, &search.regex))
        } else {
            (0..start.min(len))
                .rev()
                .find(|pos| row_matches(&visible, *pos, &search.regex))
        };
        match hit.and_then(|pos| visible.seq(pos)) {
            Some(seq) => self.with_view(|view, visible| view.select(visible, seq)),
            None => shared.notify(NoteLevel::Info, format!("no more matches for {}", search.text)),
        }
    }
}

fn row_matches(visible: &Visible, pos: usize, regex: &regex::Regex) -> bool {
    visible
        .seq(pos)
        .and_then(|seq| visible.entry(seq))
        .is_some_and(|entry| matches_search(entry, regex))
}

/// Whether a search finds `regex` in a row: a frame's payload (as text)
/// or an event's text.
pub fn matches_search(entry: &LogEntry, regex: &regex::Regex) -> bool {
    match entry {
        LogEntry::Frame(frame) => regex.is_match(&String::from_utf8_lossy(&frame.payload)),
        LogEntry::Note { text, .. } => regex.is_match(text),
    }
}
