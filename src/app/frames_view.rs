//! Where the frames view is looking: following the newest frame, or pinned
//! at a row the user scrolled to.

use crate::frames::FrameLog;

/// Scroll position of the frames view, in log sequence numbers so it holds
/// its place while old frames are evicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramesView {
    /// `None` follows the newest frame; `Some(seq)` pins the top row.
    pinned_top: Option<u64>,
    /// Rows the view can show; set from the terminal size.
    pub height: usize,
}

impl Default for FramesView {
    fn default() -> Self {
        Self {
            pinned_top: None,
            height: 10,
        }
    }
}

impl FramesView {
    /// Whether the view follows new frames.
    pub fn is_following(&self) -> bool {
        self.pinned_top.is_none()
    }

    fn following_top(&self, log: &FrameLog) -> u64 {
        log.end_seq().saturating_sub(self.height as u64).max(log.first_seq())
    }

    /// Sequence number of the top row shown.
    pub fn top(&self, log: &FrameLog) -> u64 {
        match self.pinned_top {
            None => self.following_top(log),
            Some(top) => top.clamp(log.first_seq(), self.following_top(log)),
        }
    }

    /// Entries below the view: frames that arrived while paused.
    pub fn below(&self, log: &FrameLog) -> u64 {
        log.end_seq().saturating_sub(self.top(log) + self.height as u64)
    }

    /// Scrolls by `delta` rows (negative is up, towards older frames).
    /// Reaching the bottom resumes following.
    pub fn scroll(&mut self, log: &FrameLog, delta: i64) {
        let bottom = self.following_top(log);
        let top = self
            .top(log)
            .saturating_add_signed(delta)
            .clamp(log.first_seq(), bottom);
        self.pinned_top = (top < bottom).then_some(top);
    }

    /// Scrolls by whole pages.
    pub fn page(&mut self, log: &FrameLog, pages: i64) {
        self.scroll(log, pages * self.height.max(1) as i64);
    }

    /// Jumps to the oldest entry held.
    pub fn to_top(&mut self, log: &FrameLog) {
        self.pinned_top = (log.first_seq() < self.following_top(log)).then_some(log.first_seq());
    }

    /// Jumps to the newest entry and follows.
    pub fn follow(&mut self) {
        self.pinned_top = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::NoteLevel;

    fn log_with(n: usize, cap: usize) -> FrameLog {
        let mut log = FrameLog::new(cap, usize::MAX);
        for i in 0..n {
            log.push_note(NoteLevel::Info, format!("{i}"));
        }
        log
    }

    #[test]
    fn follows_until_scrolled_and_resumes_at_bottom() {
        let mut log = log_with(100, 1000);
        let mut view = FramesView {
            pinned_top: None,
            height: 10,
        };
        assert_eq!(view.top(&log), 90);
        view.scroll(&log, -3);
        assert!(!view.is_following());
        assert_eq!(view.top(&log), 87);
        log.push_note(NoteLevel::Info, "new");
        assert_eq!(view.top(&log), 87, "a paused view holds its place");
        assert_eq!(view.below(&log), 4);
        view.scroll(&log, 100);
        assert!(view.is_following());
        view.page(&log, -1);
        assert_eq!(view.top(&log), 81);
        view.to_top(&log);
        assert_eq!(view.top(&log), 0);
        view.follow();
        assert_eq!(view.top(&log), 91);
    }

    #[test]
    fn pinned_view_moves_with_eviction() {
        let mut log = log_with(50, 50);
        let mut view = FramesView {
            pinned_top: None,
            height: 10,
        };
        view.to_top(&log);
        for _ in 0..20 {
            log.push_note(NoteLevel::Info, "more");
        }
        assert_eq!(view.top(&log), log.first_seq());
    }

    #[test]
    fn short_logs_never_scroll() {
        let log = log_with(3, 100);
        let mut view = FramesView {
            pinned_top: None,
            height: 10,
        };
        view.scroll(&log, -1);
        assert!(view.is_following());
        assert_eq!(view.top(&log), 0);
    }
}
