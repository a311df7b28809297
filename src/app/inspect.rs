//! The frames inspector: selection, the detail view, filters, search,
//! copying, exporting and resending.

use super::{App, Focus, Prompt, PromptPurpose, Search};
use crate::app::file_requests::StoreRequest;
use crate::export;
use crate::frames::{LogEntry, NoteLevel};
use crate::record::FrameRecord;

impl App {
    /// `e`: the selected frame into the composer, which takes the focus.
    pub(super) fn load_selected(&mut self) {
        if self.tabs.active_mut().load_selected_frame(&mut self.shared) {
            self.focus = Focus::Message;
        }
    }

    pub(super) fn edit_filter(&mut self) {
        let text = self.tabs.active_mut().filter.pattern_text.clone();
        self.prompt = Some(Prompt::with_text(PromptPurpose::Filter, &text));
    }

    /// Applies a typed filter pattern; an invalid one leaves the old filter.
    pub fn apply_filter_text(&mut self, text: &str) -> Result<(), String> {
        if self.timeline.is_some() {
            return self.apply_timeline_filter(text);
        }
        self.tabs.active_mut().set_filter_text(text, &mut self.shared)
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
        } else {
            self.tabs.active_mut().set_search(search, &mut self.shared);
        }
        Ok(())
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
        self.tabs.active_mut().export_frames(path, filtered, &mut self.shared);
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
        let names: Vec<String> = self.tab_infos().into_iter().map(|t| t.name).collect();
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
        self.shared.store_outbox.push(StoreRequest::Export {
            path: path.to_string(),
            job: Box::new(export::ExportJob {
                frames,
                decode: self.tabs.active().frame_decoder(),
                tabs,
                har: None,
            }),
            what: format!(
                "{} of {}",
                crate::format::count(count as u64, "frame"),
                crate::format::count(names.len() as u64, "tab")
            ),
        });
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
            let note_width = self.tabs.active_mut().note_width;
            self.tabs.active_mut().with_view(|view, visible| {
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
        if self.tabs.active_mut().detail.is_some() {
            self.tabs.active_mut().detail_scroll(step as isize / 3);
            return;
        }
        if self.timeline.is_some() {
            return self.with_timeline(|view, merged| view.scroll.scroll(merged, step));
        }
        self.tabs
            .active_mut()
            .with_view(|view, visible| view.scroll(visible, step));
    }
}
