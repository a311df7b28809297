//! The frames inspector: selection, the detail view, filters, search,
//! copying, exporting and resending.

use std::time::{Duration, SystemTime};

use super::frames_view::{FramesView, Visible};
use super::{App, Focus, Prompt, PromptPurpose, editor};
use crate::app::file_requests::StoreRequest;
use crate::conn::{ConnCommand, ConnState, Outgoing};
use crate::export;
use crate::filter::{FilterSpec, Matches, Pattern};
use crate::frames::{LogEntry, NoteLevel};
use crate::payload::{BinaryView, BodyKind};
use crate::record::{Direction, FrameKind, FrameRecord};

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

/// A search over the visible rows, highlighted and stepped with n / N.
#[derive(Debug, Clone)]
pub struct Search {
    pub text: String,
    pub regex: regex::Regex,
}

impl App {
    /// What the frames view shows now.
    pub fn visible(&self) -> Visible<'_> {
        Visible {
            log: &self.session.frames,
            matches: self.session.filter.is_active().then_some(&self.session.matches),
        }
    }

    /// Runs `change` on the view with what is visible.
    pub(super) fn with_view(&mut self, change: impl FnOnce(&mut FramesView, &Visible)) {
        let visible = Visible {
            log: &self.session.frames,
            matches: self.session.filter.is_active().then_some(&self.session.matches),
        };
        change(&mut self.session.frames_view, &visible);
    }

    /// Keeps the filter's matches in step after entries were pushed.
    pub(super) fn after_push(&mut self) {
        if self.session.filter.is_active() {
            self.session.matches.on_push(&self.session.filter, &self.session.frames);
            self.check_filter();
        }
    }

    /// A jq expression that ran away is dropped, and said so.
    pub(super) fn check_filter(&mut self) {
        let Some(failure) = self.session.filter.pattern.as_ref().and_then(|p| p.failure()) else {
            return;
        };
        self.session.filter.pattern_text.clear();
        self.session.filter.pattern = None;
        self.notify(NoteLevel::Error, format!("filter off: {failure}"));
        self.refilter();
    }

    pub(super) fn refilter(&mut self) {
        // Patterns read the decoded form (a Socket.IO event as an object,
        // MessagePack as JSON).
        self.session.filter.decode = self.frame_decoder();
        self.session.matches = Matches::rebuild(&self.session.filter, &self.session.frames);
        self.session.frames_view.reset();
        if self
            .session
            .filter
            .pattern
            .as_ref()
            .is_some_and(|p| p.failure().is_some())
        {
            self.check_filter();
        }
    }

    /// How frames read as JSON now: by the protocol, and the payload decoder.
    pub fn frame_decoder(&self) -> crate::decode::FrameDecoder {
        crate::decode::FrameDecoder {
            text: self.protocol().decoder(),
            binary: self.session.payloads.clone(),
        }
    }

    /// Compiles the profile's `.proto` files and sets the payload decoder;
    /// a schema that does not compile is reported and left out. Files are
    /// read only when what names the decoder changed since it last built.
    pub fn reload_payload_decoder(&mut self) {
        let source = self.current_profile().decoder_source();
        if self.session.payloads_source.as_ref() == Some(&source) {
            return;
        }
        match source.build() {
            Ok(decoder) => {
                self.session.payloads = decoder;
                self.session.payloads_source = Some(source);
            }
            Err(error) => {
                self.session.payloads = source.without_schema();
                self.session.payloads_source = None;
                self.notify(NoteLevel::Error, format!("--proto: {error}"));
            }
        }
    }

    /// The selected frame, if a frame (not an event row) is selected.
    pub fn selected_frame(&self) -> Option<&FrameRecord> {
        let seq = self.session.frames_view.selected()?;
        match self.visible().entry(seq)? {
            LogEntry::Frame(frame) => Some(frame),
            LogEntry::Note { .. } => None,
        }
    }

    pub(super) fn open_detail(&mut self) {
        if self.session.frames_view.selected().is_none() {
            self.with_view(|view, visible| view.select_by(visible, 0));
        }
        let Some(seq) = self.session.frames_view.selected() else {
            return;
        };
        self.show_detail(seq, BinaryView::default());
    }

    pub(super) fn show_detail(&mut self, seq: u64, view: BinaryView) {
        let Some(LogEntry::Frame(frame)) = self.visible().entry(seq).cloned() else {
            self.notify(
                NoteLevel::Warning,
                "select a frame (not a connection event) to see it in full",
            );
            return;
        };
        let shown = crate::payload::body(&frame, view, &self.session.payloads);
        let mut body = shown.body;
        body.index_to(DETAIL_LOOKAHEAD);
        let previous = self.frame_before(seq, |_| true);
        let last_sent = (frame.direction == Direction::Received)
            .then(|| self.frame_before(seq, |f| f.direction == Direction::Sent && is_data(f)))
            .flatten();
        self.session.detail = Some(Detail {
            seq,
            view: shown.view,
            kind: shown.kind,
            body,
            heading: shown.heading,
            scroll: 0,
            search: None,
            since_connect: self.session.opened_at.and_then(|t| frame.at.duration_since(t).ok()),
            since_previous: previous.and_then(|t| frame.at.duration_since(t).ok()),
            reply_latency: last_sent.and_then(|t| frame.at.duration_since(t).ok()),
        });
    }

    /// When the nearest earlier frame satisfying `wanted` happened; looks
    /// back a bounded distance so opening the detail stays instant.
    fn frame_before(&self, seq: u64, wanted: impl Fn(&FrameRecord) -> bool) -> Option<SystemTime> {
        let from = seq.saturating_sub(10_000).max(self.session.frames.first_seq());
        let count = seq.saturating_sub(from) as usize;
        let earlier: Vec<&LogEntry> = self.session.frames.window(from, count).collect();
        earlier.into_iter().rev().find_map(|entry| match entry {
            LogEntry::Frame(f) if wanted(f) => Some(f.at),
            _ => None,
        })
    }

    /// Body lines the open detail view shows (its heading takes one).
    fn detail_page(&self) -> usize {
        let heading = self.session.detail.as_ref().is_some_and(|d| d.heading.is_some());
        self.session.detail_height.saturating_sub(usize::from(heading)).max(1)
    }

    pub(super) fn detail_scroll(&mut self, delta: isize) {
        let page = self.detail_page() as isize;
        if let Some(detail) = &mut self.session.detail {
            let step = if delta.abs() > 1 { delta.signum() * page } else { delta };
            let wanted = detail.scroll.saturating_add_signed(step);
            detail.body.index_to(wanted.saturating_add(DETAIL_LOOKAHEAD));
            detail.scroll = wanted.min(detail.body.len().saturating_sub(1));
        }
    }

    /// Finds `text` (a regex) in the detail body, from the line after the
    /// top one; the line found goes to the top.
    pub(super) fn detail_search(&mut self, text: &str) -> Result<(), String> {
        let regex = regex::Regex::new(text)
            .map_err(|e| format!("regex: {}", e.to_string().lines().last().unwrap_or_default().trim()))?;
        if let Some(detail) = &mut self.session.detail {
            detail.search = Some(regex);
        }
        self.detail_search_next();
        Ok(())
    }

    pub(super) fn detail_search_next(&mut self) {
        let Some(detail) = &mut self.session.detail else {
            return;
        };
        let Some(regex) = detail.search.clone() else {
            self.notify(NoteLevel::Info, "no search: / starts one");
            return;
        };
        match detail.body.find(&regex, detail.scroll + 1) {
            Some(line) => {
                detail.scroll = line;
                detail.body.index_to(line + DETAIL_LOOKAHEAD);
            }
            None => self.notify(NoteLevel::Info, format!("{:?} not found below", regex.as_str())),
        }
    }

    /// Home: the first line; End: the last page (the whole body is
    /// indexed for it, a fast pass over the bytes).
    pub(super) fn detail_jump(&mut self, to_end: bool) {
        let page = self.detail_page();
        if let Some(detail) = &mut self.session.detail {
            if to_end {
                detail.body.index_all();
                detail.scroll = detail.body.len().saturating_sub(page);
            } else {
                detail.scroll = 0;
            }
        }
    }

    pub(super) fn detail_cycle_view(&mut self) {
        if let Some(detail) = &self.session.detail {
            let (seq, view) = (detail.seq, detail.view.next());
            self.show_detail(seq, view);
        }
    }

    pub(super) fn detail_step(&mut self, delta: i64) {
        if self.session.detail.is_none() {
            return;
        }
        self.with_view(|view, visible| view.select_by(visible, delta));
        if let Some(seq) = self.session.frames_view.selected() {
            let view = self
                .session
                .detail
                .as_ref()
                .map_or_else(BinaryView::default, |d| d.view);
            self.show_detail(seq, view);
        }
    }

    pub(super) fn copy_selected(&mut self) {
        let Some(frame) = self.selected_frame() else {
            self.notify(
                NoteLevel::Warning,
                "select a frame to copy (Up/Down in the frames pane)",
            );
            return;
        };
        let text = match frame.kind {
            FrameKind::Text | FrameKind::Close { .. } => String::from_utf8_lossy(&frame.payload).into_owned(),
            _ => {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.encode(&frame.payload)
            }
        };
        let size = crate::format::bytes(text.len() as u64);
        if text.len() > MAX_CLIPBOARD {
            // Tens of megabytes through the terminal freeze it for seconds,
            // and most terminals drop a sequence that long anyway.
            self.notify(
                NoteLevel::Warning,
                format!(
                    "not copied: {size} ({} bytes) is more than the 1 MiB ({MAX_CLIPBOARD} bytes) a terminal clipboard (OSC 52) takes; export it with x",
                    text.len()
                ),
            );
            return;
        }
        self.clipboard = Some(text);
        self.notify(NoteLevel::Success, format!("copied {size} to the clipboard (OSC 52)"));
    }

    pub(super) fn resend_selected(&mut self) {
        let Some(frame) = self.selected_frame().cloned() else {
            return;
        };
        if frame.direction != Direction::Sent || !is_data(&frame) {
            self.notify(NoteLevel::Warning, "only sent text or binary frames can be resent");
            return;
        }
        if !matches!(self.session.connection.state, ConnState::Open { .. }) {
            self.notify(NoteLevel::Warning, "not connected: Ctrl-O connects");
            return;
        }
        let outgoing = match frame.kind {
            FrameKind::Text => Outgoing::Text(String::from_utf8_lossy(&frame.payload).into_owned()),
            _ => Outgoing::Binary(frame.payload.clone()),
        };
        self.session.outbox.push(ConnCommand::Send(outgoing));
    }

    pub(super) fn load_selected(&mut self) {
        let Some(frame) = self.selected_frame() else { return };
        let text = String::from_utf8_lossy(&frame.payload).into_owned();
        self.session.message = editor(&text);
        // What the editor holds, line endings as it keeps them.
        self.session.literal_text = Some(self.message_text());
        if frame_is_foreign(&text) {
            self.notify(
                NoteLevel::Info,
                "loaded as literal text: {{…}} and @file are sent as they are until you edit it",
            );
        }
        self.refresh_message_status();
        self.focus = Focus::Message;
        self.session.detail = None;
    }

    pub(super) fn edit_filter(&mut self) {
        let text = self.session.filter.pattern_text.clone();
        self.prompt = Some(Prompt::with_text(PromptPurpose::Filter, &text));
    }

    /// Applies a typed filter pattern; an invalid one leaves the old filter.
    pub fn apply_filter_text(&mut self, text: &str) -> Result<(), String> {
        if self.timeline.is_some() {
            return self.apply_timeline_filter(text);
        }
        let pattern = Pattern::compile(text)?;
        self.session.filter.pattern = pattern;
        self.session.filter.pattern_text = text.trim().to_string();
        self.refilter();
        Ok(())
    }

    pub(super) fn cycle_direction_filter(&mut self) {
        self.session.filter.direction = self.session.filter.direction.next();
        self.refilter();
    }

    pub(super) fn cycle_kind_filter(&mut self) {
        self.session.filter.kind = self.session.filter.kind.next();
        self.refilter();
    }

    pub(super) fn clear_filter(&mut self) {
        self.session.filter = FilterSpec::default();
        self.session.search = None;
        self.refilter();
    }

    pub(super) fn apply_search_text(&mut self, text: &str) -> Result<(), String> {
        let search = if text.trim().is_empty() {
            None
        } else {
            let regex = regex::Regex::new(text)
                .map_err(|e| format!("regex: {}", e.to_string().lines().last().unwrap_or_default().trim()))?;
            Some(Search {
                text: text.to_string(),
                regex,
            })
        };
        if self.timeline.is_some() {
            self.apply_timeline_search(search);
            return Ok(());
        }
        let searching = search.is_some();
        self.session.search = search;
        if searching {
            self.search_step(true);
        }
        Ok(())
    }

    /// Selects the next (or previous) visible row the search matches.
    pub(super) fn search_step(&mut self, forward: bool) {
        let Some(search) = self.session.search.clone() else {
            self.notify(NoteLevel::Info, "no search: / starts one");
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
            None => self.notify(NoteLevel::Info, format!("no more matches for {}", search.text)),
        }
    }

    pub(super) fn start_export(&mut self, filtered: bool) {
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
        let name = format!("wscope-{stamp}.ndjson");
        self.prompt = Some(Prompt::with_text(PromptPurpose::Export { filtered }, &name));
    }

    /// Writes the frames (all held, or the visible ones) to `path`, as HAR
    /// if it ends in `.har`, else NDJSON.
    pub(super) fn export_to(&mut self, path: &str, filtered: bool) {
        let path = path.trim();
        if self.timeline.is_some() {
            return self.export_timeline(path, filtered);
        }
        let frames: Vec<FrameRecord> = if filtered && self.session.filter.is_active() {
            let visible = self.visible();
            (0..visible.len())
                .filter_map(|pos| visible.seq(pos).and_then(|seq| visible.entry(seq)))
                .filter_map(|entry| match entry {
                    LogEntry::Frame(f) => Some(f.clone()),
                    LogEntry::Note { .. } => None,
                })
                .collect()
        } else {
            self.session
                .frames
                .window(self.session.frames.first_seq(), self.session.frames.len())
                .filter_map(|entry| match entry {
                    LogEntry::Frame(f) => Some(f.clone()),
                    LogEntry::Note { .. } => None,
                })
                .collect()
        };
        let count = frames.len();
        let har = path.to_ascii_lowercase().ends_with(".har").then(|| export::HarHead {
            request: self.session.last_request.clone(),
            handshake: self.session.connection.handshake.clone(),
            started: self.session.opened_at,
            with_secrets: self.export_secrets,
        });
        self.store_outbox.push(StoreRequest::Export {
            path: path.to_string(),
            job: Box::new(export::ExportJob {
                frames,
                decode: self.frame_decoder(),
                tabs: Vec::new(),
                har,
            }),
            what: format!("{count} frames"),
        });
    }

    /// The merged timeline (every row, or those the tabs' filters pass)
    /// as NDJSON, each line naming its tab.
    fn export_timeline(&mut self, path: &str, filtered: bool) {
        if path.to_ascii_lowercase().ends_with(".har") {
            self.notify(
                NoteLevel::Error,
                "a HAR holds one connection: export the timeline as .ndjson, or each tab as .har",
            );
            return;
        }
        let names: Vec<String> = self.tabs().into_iter().map(|t| t.name).collect();
        let (frames, tabs): (Vec<FrameRecord>, Vec<String>) = self
            .merged(filtered)
            .all()
            .into_iter()
            .filter_map(|row| match row.entry {
                LogEntry::Frame(frame) => Some((frame.clone(), names.get(row.key.place).cloned().unwrap_or_default())),
                LogEntry::Note { .. } => None,
            })
            .unzip();
        let count = frames.len();
        self.store_outbox.push(StoreRequest::Export {
            path: path.to_string(),
            job: Box::new(export::ExportJob {
                frames,
                decode: self.frame_decoder(),
                tabs,
                har: None,
            }),
            what: format!("{count} frames of {} tabs", names.len()),
        });
    }

    pub(super) fn send_ping(&mut self) {
        let payload = self.message_text();
        if payload.len() > 125 {
            self.notify(
                NoteLevel::Error,
                "a ping payload is at most 125 bytes; shorten the message",
            );
            return;
        }
        if !matches!(self.session.connection.state, ConnState::Open { .. }) {
            self.notify(NoteLevel::Warning, "not connected: Ctrl-O connects");
            return;
        }
        self.session.outbox.push(ConnCommand::Ping(payload.into_bytes().into()));
    }

    pub(super) fn close_with(&mut self, text: &str) -> Result<(), String> {
        let (code, reason) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
        let code: u16 = code
            .parse()
            .map_err(|_| format!("{code:?} is not a close code (1000-4999)"))?;
        if !(1000..=4999).contains(&code) || matches!(code, 1004..=1006 | 1015) {
            return Err(format!("{code} cannot be sent (use 1000-1003, 1007-1014 or 3000-4999)"));
        }
        if reason.len() > 123 {
            return Err("the reason is at most 123 bytes".into());
        }
        self.session.outbox.push(ConnCommand::Close {
            code,
            reason: reason.to_string(),
        });
        Ok(())
    }
}

/// The most that is copied to the clipboard through the terminal.
pub const MAX_CLIPBOARD: usize = 1 << 20;

/// Whether loaded text holds anything the composer would otherwise act on.
fn frame_is_foreign(text: &str) -> bool {
    text.contains("{{") || text.trim_start().starts_with('@')
}

fn is_data(frame: &FrameRecord) -> bool {
    matches!(frame.kind, FrameKind::Text | FrameKind::Binary)
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

impl App {
    /// Sends the composer's text in the current mode.
    pub(super) fn send_composed(&mut self) {
        use super::compose::{BinaryInput, SendMode, parse_binary};
        let text = self.message_text();
        let literal = self.is_literal(&text);
        if self.session.send_mode == SendMode::Text {
            if literal {
                // Not remembered in the history either: browsing back to it
                // later would make it ordinary, expandable text.
                self.session.outbox.push(ConnCommand::Send(Outgoing::Text(text)));
            } else {
                self.send_text(text, true);
            }
            return;
        }
        let resolved = if literal {
            text
        } else {
            match self.resolver.resolve(&text, "the message") {
                Ok(resolved) => resolved,
                Err(error) => {
                    self.notify(NoteLevel::Error, format!("not sent: {error}"));
                    return;
                }
            }
        };
        match parse_binary(self.session.send_mode, &resolved, !literal, &self.session.payloads) {
            Ok(BinaryInput::Bytes(bytes)) => self.session.outbox.push(ConnCommand::Send(Outgoing::Binary(bytes))),
            Ok(BinaryInput::File(path)) => self.store_outbox.push(StoreRequest::ReadFile { path }),
            Err(error) => self.notify(NoteLevel::Error, format!("not sent: {error}")),
        }
    }

    /// Sends a file's contents as a binary frame, once it has been read.
    pub(super) fn send_file(&mut self, path: &str, bytes: bytes::Bytes) {
        if matches!(self.session.connection.state, ConnState::Open { .. }) {
            let size = crate::format::bytes(bytes.len() as u64);
            self.session.outbox.push(ConnCommand::Send(Outgoing::Binary(bytes)));
            self.notify(NoteLevel::Success, format!("sent {path} ({size})"));
        } else {
            self.notify(
                NoteLevel::Warning,
                "the connection closed before the file was read; nothing was sent",
            );
        }
    }
}

impl App {
    /// A click: focuses the pane, and in the frames pane selects the row.
    pub fn on_click(&mut self, focus: Focus, frames_row: Option<usize>) {
        if self.overlay_open() {
            return;
        }
        self.focus = focus;
        if let Some(row) = frames_row
            && self.timeline.is_some()
        {
            self.timeline_click(row);
        } else if let Some(row) = frames_row {
            let note_width = self.session.note_width;
            self.with_view(|view, visible| {
                // The row as drawn: wrapped notes take several.
                let rows = super::frames_view::pane_rows(visible, view, view.height, note_width);
                if let Some(seq) = rows.get(row).map(|r| r.seq) {
                    view.select(visible, seq);
                }
            });
        }
        self.sync_cursors();
    }

    /// The mouse wheel scrolls the frames view (or the detail view).
    pub fn on_wheel(&mut self, down: bool) {
        let step = if down { 3 } else { -3 };
        if self.session.detail.is_some() {
            self.detail_scroll(step as isize / 3);
            return;
        }
        if self.timeline.is_some() {
            return self.with_timeline(|view, merged| view.scroll(merged, step));
        }
        self.with_view(|view, visible| view.scroll(visible, step));
    }
}
