//! Where the frames view is looking and what is selected: following the
//! newest frame, or pinned where the user scrolled or selected.
//!
//! Positions are counted in what is visible (every entry, or a filter's
//! matches); the view remembers sequence numbers, so it holds its place
//! while old entries are evicted under it.

use super::scroll::{RowSource, ScrollView};
use crate::filter::Matches;
use crate::frames::{FrameLog, LogEntry};

/// What the view shows: every entry, or the matches of a filter.
#[derive(Clone, Copy)]
pub struct Visible<'a> {
    pub log: &'a FrameLog,
    pub matches: Option<&'a Matches>,
}

impl<'a> Visible<'a> {
    /// How many rows there are to show.
    pub fn len(&self) -> usize {
        match self.matches {
            Some(m) => m.len(),
            None => self.log.len(),
        }
    }

    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sequence number of the row at `pos`.
    pub fn seq(&self, pos: usize) -> Option<u64> {
        match self.matches {
            Some(m) => m.get(pos),
            None => (pos < self.log.len()).then(|| self.log.first_seq() + pos as u64),
        }
    }

    /// Position of the first row at or after sequence number `seq`.
    pub fn pos(&self, seq: u64) -> usize {
        match self.matches {
            Some(m) => m.position(seq),
            None => seq.saturating_sub(self.log.first_seq()).min(self.log.len() as u64) as usize,
        }
    }

    /// The entry with sequence number `seq`, if still held.
    pub fn entry(&self, seq: u64) -> Option<&'a LogEntry> {
        if seq < self.log.first_seq() {
            return None;
        }
        self.log.window(seq, 1).next()
    }

    /// Up to `count` rows from position `top`, with their sequence numbers.
    pub fn rows(&self, top: usize, count: usize) -> Vec<(u64, &'a LogEntry)> {
        (top..top.saturating_add(count).min(self.len()))
            .filter_map(|pos| {
                let seq = self.seq(pos)?;
                Some((seq, self.entry(seq)?))
            })
            .collect()
    }
}

/// Scroll position and selection of the frames view, by sequence number.
pub type FramesView = ScrollView<u64>;

/// A tab's rows, named by their sequence numbers.
impl RowSource for Visible<'_> {
    type Key = u64;

    fn len(&self) -> usize {
        Visible::len(self)
    }

    fn keys_before(&self, key: Option<u64>, count: usize) -> Vec<u64> {
        let end = key.map_or(Visible::len(self), |seq| self.pos(seq));
        (end.saturating_sub(count)..end)
            .filter_map(|pos| self.seq(pos))
            .collect()
    }

    fn keys_from(&self, key: Option<u64>, count: usize) -> Vec<u64> {
        let start = key.map_or(0, |seq| self.pos(seq));
        let end = start.saturating_add(count).min(Visible::len(self));
        (start..end).filter_map(|pos| self.seq(pos)).collect()
    }

    fn keys_after(&self, key: u64, count: usize) -> Vec<u64> {
        self.keys_from(Some(key.saturating_add(1)), count)
    }

    fn count_after(&self, key: u64) -> usize {
        Visible::len(self).saturating_sub(self.pos(key.saturating_add(1)))
    }
}

/// The position of the top row the view shows.
pub fn top_pos(view: &FramesView, visible: &Visible) -> usize {
    view.top(visible).map_or(0, |seq| visible.pos(seq))
}

/// One row of the frames pane: the entry it shows and, for a connection
/// event whose text wraps, which piece of that text.
#[derive(Debug, Clone)]
pub struct PaneRow<'a> {
    pub seq: u64,
    pub entry: &'a LogEntry,
    /// For a note, the text of this row (continuations carry their indent).
    pub note_piece: Option<String>,
}

/// The rows the frames pane shows, `rows` at most, with connection events
/// wrapped at `note_width` columns. Notes keep their whole text in the log
/// (for search and exports); wrapping is decided here, at draw time, so a
/// resize re-wraps them. The drawing and mouse clicks both read this.
pub fn pane_rows<'a>(visible: &Visible<'a>, view: &FramesView, rows: usize, note_width: usize) -> Vec<PaneRow<'a>> {
    let note_width = note_width.max(8);
    let rows = rows.max(1);
    let height = |pos: usize| -> usize {
        match visible.seq(pos).and_then(|seq| visible.entry(seq)) {
            Some(LogEntry::Note { text, .. }) => note_pieces(text, note_width).len(),
            _ => 1,
        }
    };
    let len = visible.len();
    // Rows of the first entry that do not fit at the top of a following
    // view: a wrapped note there shows its first rows, the last cut with
    // `…`, rather than a gap at the bottom or a tail that starts mid-sentence.
    let mut skip = 0;
    let mut top = if view.is_following() {
        // The newest entries fill the pane from the bottom up.
        let mut top = len;
        let mut used = 0;
        while top > 0 && used + height(top - 1) <= rows {
            used += height(top - 1);
            top -= 1;
        }
        if top > 0 && used < rows {
            top -= 1;
            skip = height(top) - (rows - used);
        }
        top
    } else {
        top_pos(view, visible)
    };
    // Rows taller than one can push the selection off the bottom: start
    // later until it is drawn.
    if let Some(selected) = view.selected().map(|seq| visible.pos(seq)) {
        while top < selected && (top..=selected).map(height).sum::<usize>() > rows {
            top += 1;
            skip = 0;
        }
    }
    let mut out = Vec::with_capacity(rows);
    for pos in top..len {
        let Some((seq, entry)) = visible.seq(pos).and_then(|seq| Some((seq, visible.entry(seq)?))) else {
            break;
        };
        match entry {
            LogEntry::Note { text, .. } => {
                let mut pieces = note_pieces(text, note_width);
                let cut = std::mem::take(&mut skip);
                if cut > 0 {
                    pieces.truncate(pieces.len().saturating_sub(cut).max(1));
                    if let Some(last) = pieces.last_mut() {
                        *last = cut_short(last, note_width);
                    }
                }
                for piece in pieces {
                    if out.len() == rows {
                        return out;
                    }
                    out.push(PaneRow {
                        seq,
                        entry,
                        note_piece: Some(piece),
                    });
                }
            }
            LogEntry::Frame(_) => {
                if out.len() == rows {
                    return out;
                }
                out.push(PaneRow {
                    seq,
                    entry,
                    note_piece: None,
                });
            }
        }
    }
    out
}

/// `piece` marked as cut short, within `width` columns.
fn cut_short(piece: &str, width: usize) -> String {
    let kept: String = piece.chars().take(width.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// A note's text in rows of `width` columns; continuation rows keep the
/// note's own indent plus two spaces, so a wrapped line reads as one.
fn note_pieces(text: &str, width: usize) -> Vec<String> {
    let body = text.trim_start();
    let indent = &text[..text.len() - body.len()];
    crate::format::wrap(body, width.saturating_sub(indent.len()))
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let continuation = if i == 0 { "" } else { "  " };
            format!("{indent}{continuation}{line}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::NoteLevel;

    #[test]
    fn notes_wrap_at_draw_time_and_the_newest_row_stays_in_view() {
        let mut log = FrameLog::new(100, usize::MAX);
        log.push_note(NoteLevel::Info, "first");
        log.push_note(
            NoteLevel::Error,
            "failed: a long reason that needs three rows at this width",
        );
        log.push_note(NoteLevel::Info, "last");
        let view = FramesView::default();
        let texts = |width| {
            pane_rows(&all(&log), &view, 4, width)
                .into_iter()
                .map(|r| r.note_piece.unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            texts(24),
            vec![
                "failed: a long reason",
                "  that needs three rows",
                "  at this width",
                "last"
            ]
        );
        // Too little room for the whole note: its first rows fill the top,
        // cut short, so it reads from its start.
        assert_eq!(
            pane_rows(&all(&log), &view, 3, 24)
                .into_iter()
                .map(|r| r.note_piece.unwrap())
                .collect::<Vec<_>>(),
            vec!["failed: a long reason", "  that needs three rows…", "last"]
        );
        assert_eq!(
            pane_rows(&all(&log), &view, 2, 24)
                .into_iter()
                .map(|r| r.note_piece.unwrap())
                .collect::<Vec<_>>(),
            vec!["failed: a long reason…", "last"]
        );
        // A wider pane re-wraps the same whole text.
        assert_eq!(
            texts(80),
            vec![
                "first",
                "failed: a long reason that needs three rows at this width",
                "last"
            ]
        );
        // The log itself keeps the text whole.
        assert!(matches!(log.window(1, 1).next(), Some(LogEntry::Note { text, .. }) if text.ends_with("width")));
    }

    fn log_with(n: usize, cap: usize) -> FrameLog {
        let mut log = FrameLog::new(cap, usize::MAX);
        for i in 0..n {
            log.push_note(NoteLevel::Info, format!("{i}"));
        }
        log
    }

    fn all(log: &FrameLog) -> Visible<'_> {
        Visible { log, matches: None }
    }

    #[test]
    fn follows_until_scrolled_and_resumes_at_bottom() {
        let mut log = log_with(100, 1000);
        let mut view = FramesView::new(10);
        assert_eq!(top_pos(&view, &all(&log)), 90);
        view.scroll(&all(&log), -3);
        assert!(!view.is_following());
        assert_eq!(top_pos(&view, &all(&log)), 87);
        log.push_note(NoteLevel::Info, "new");
        assert_eq!(top_pos(&view, &all(&log)), 87, "a paused view holds its place");
        assert_eq!(view.below(&all(&log)), 4);
        view.scroll(&all(&log), 100);
        assert!(view.is_following());
        view.page(&all(&log), -1);
        assert_eq!(top_pos(&view, &all(&log)), 81);
        view.jump_to_top(&all(&log));
        assert_eq!(top_pos(&view, &all(&log)), 0);
        view.follow();
        assert_eq!(top_pos(&view, &all(&log)), 91);
    }

    #[test]
    fn pinned_view_moves_with_eviction() {
        let mut log = log_with(50, 50);
        let mut view = FramesView::new(10);
        view.jump_to_top(&all(&log));
        for _ in 0..20 {
            log.push_note(NoteLevel::Info, "more");
        }
        assert_eq!(top_pos(&view, &all(&log)), 0);
        assert_eq!(all(&log).seq(0), Some(log.first_seq()));
    }

    #[test]
    fn selection_starts_at_the_newest_and_stays_in_view() {
        let log = log_with(30, 100);
        let mut view = FramesView::new(5);
        view.select_by(&all(&log), -1);
        assert_eq!(view.selected(), Some(29));
        view.select_by(&all(&log), -7);
        assert_eq!(view.selected(), Some(22));
        assert_eq!(top_pos(&view, &all(&log)), 22, "the view scrolled up to the selection");
        view.page(&all(&log), 1);
        assert_eq!(view.selected(), Some(27));
        assert!(!view.is_following());
        view.follow();
        assert_eq!(view.selected(), None);
        assert!(view.is_following());
    }

    #[test]
    fn short_logs_never_scroll() {
        let log = log_with(3, 100);
        let mut view = FramesView::new(10);
        view.scroll(&all(&log), -1);
        assert!(view.is_following());
        assert_eq!(top_pos(&view, &all(&log)), 0);
    }
}
