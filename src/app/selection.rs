//! Acting on a session's frames: copying the selected one, loading it
//! into the composer, exporting what is held or shown.

use super::{Session, Shared, editor};
use crate::app::file_requests::StoreRequest;
use crate::export;
use crate::frames::{LogEntry, NoteLevel};
use crate::record::{FrameKind, FrameRecord};

impl Session {
    pub(super) fn copy_selected(&mut self, shared: &mut Shared) {
        let Some(frame) = self.selected_frame() else {
            shared.notify(
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
            shared.notify(
                NoteLevel::Warning,
                format!(
                    "not copied: {size} ({} bytes) is more than the 1 MiB ({MAX_CLIPBOARD} bytes) a terminal clipboard (OSC 52) takes; export it with x",
                    text.len()
                ),
            );
            return;
        }
        shared.clipboard = Some(text);
        shared.notify(NoteLevel::Success, format!("copied {size} to the clipboard (OSC 52)"));
    }

    /// Puts the selected frame's text in the composer, as literal text.
    /// Whether there was a frame to load.
    pub(super) fn load_selected_frame(&mut self, shared: &mut Shared) -> bool {
        let Some(frame) = self.selected_frame() else {
            return false;
        };
        let text = String::from_utf8_lossy(&frame.payload).into_owned();
        self.message = editor(&text);
        // What the editor holds, line endings as it keeps them.
        self.loaded = Some(crate::profile::vars::Foreign::new(self.message_text()));
        if frame_is_foreign(&text) {
            shared.notify(
                NoteLevel::Info,
                "loaded as literal text: {{…}} and @file are sent as they are until you edit it",
            );
        }
        self.refresh_message_status(shared);
        self.detail = None;
        true
    }

    /// Writes this session's frames (all held, or the visible ones) to
    /// `path`, as HAR if it ends in `.har`, else NDJSON.
    pub(super) fn export_frames(&mut self, path: &str, filtered: bool, shared: &mut Shared) {
        let frames: Vec<FrameRecord> = if filtered && self.filter.is_active() {
            let visible = self.visible();
            (0..visible.len())
                .filter_map(|pos| visible.seq(pos).and_then(|seq| visible.entry(seq)))
                .filter_map(|entry| match entry {
                    LogEntry::Frame(f) => Some(f.clone()),
                    LogEntry::Note { .. } => None,
                })
                .collect()
        } else {
            self.frames
                .window(self.frames.first_seq(), self.frames.len())
                .filter_map(|entry| match entry {
                    LogEntry::Frame(f) => Some(f.clone()),
                    LogEntry::Note { .. } => None,
                })
                .collect()
        };
        let count = frames.len();
        let har = path.to_ascii_lowercase().ends_with(".har").then(|| export::HarHead {
            request: self.last_request.clone(),
            handshake: self.connection.handshake.clone(),
            started: self.opened_at,
            with_secrets: shared.export_secrets,
        });
        shared.store_outbox.push(StoreRequest::Export {
            path: path.to_string(),
            job: Box::new(export::ExportJob {
                frames,
                decode: self.frame_decoder(),
                tabs: Vec::new(),
                har,
            }),
            what: crate::format::count(count as u64, "frame"),
        });
    }
}

/// The most that is copied to the clipboard through the terminal.
pub const MAX_CLIPBOARD: usize = 1 << 20;

/// Whether loaded text holds anything the composer would otherwise act on.
fn frame_is_foreign(text: &str) -> bool {
    text.contains("{{") || text.trim_start().starts_with('@')
}
