//! The stats view (`s` in the frames pane, F8): the shape of the tab's
//! traffic, or of every tab's over the merged timeline. A row leads to
//! its frames: Enter on a type or a size narrows the frames view to it,
//! and Enter on a silence selects the frame that ended it.

use std::sync::Arc;

use super::merged::RowKey;
use super::{App, Focus, Prompt, PromptPurpose};
use crate::action::Action;
use crate::filter::Narrow;
use crate::frames::NoteLevel;
use crate::stats::Stats;
use crate::stats::classify::GroupBy;

/// The tables under the charts, in Tab order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StatsTable {
    #[default]
    Types,
    Sizes,
    Gaps,
}

impl StatsTable {
    const ORDER: [StatsTable; 3] = [Self::Types, Self::Sizes, Self::Gaps];

    fn step(self, forward: bool) -> Self {
        let i = Self::ORDER.iter().position(|t| *t == self).unwrap_or(0);
        let n = Self::ORDER.len();
        Self::ORDER[if forward { (i + 1) % n } else { (i + n - 1) % n }]
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Types => "Types",
            Self::Sizes => "Sizes",
            Self::Gaps => "Gaps",
        }
    }

    pub fn all() -> [StatsTable; 3] {
        Self::ORDER
    }
}

/// The view's state while open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsView {
    /// Opened over the merged timeline: every tab's figures.
    pub merged: bool,
    pub table: StatsTable,
    pub selected: usize,
    /// The rate chart shows bytes per second rather than frames.
    pub bytes: bool,
    /// Halvings of the span the chart shows (0: all of it).
    pub zoom: u32,
    /// Half-windows the chart is moved back from the end.
    pub pan: u32,
}

/// The most halvings: a span of days shown a few seconds at a time.
const MAX_ZOOM: u32 = 16;

impl App {
    /// The figures the view shows.
    pub fn shown_stats(&self) -> &Stats {
        match self.stats_view {
            Some(StatsView { merged: true, .. }) => &self.shared.all_stats,
            _ => &self.session().stats,
        }
    }

    /// Whether the chart shows the last minute (a live connection) rather
    /// than the whole span (a recording, a closed connection).
    pub fn stats_live(&self) -> bool {
        match self.stats_view {
            Some(StatsView { merged: true, .. }) => self.tabs.iter().any(|s| s.is_live()),
            _ => self.session().is_live() && self.session().recording.is_none(),
        }
    }

    pub(super) fn open_stats(&mut self) {
        self.stats_view = Some(StatsView {
            merged: self.timeline.is_some(),
            ..StatsView::default()
        });
    }

    /// How many rows the shown table has.
    pub fn stats_rows(&self) -> usize {
        let stats = self.shown_stats();
        match self.stats_view.map(|v| v.table) {
            Some(StatsTable::Sizes) => stats.sizes.used().len(),
            Some(StatsTable::Gaps) => stats.gaps.longest().len(),
            _ => stats.types.by_count().len(),
        }
    }

    /// Carries out a stats view action; false for any other action.
    pub(super) fn stats_update(&mut self, action: Action) -> bool {
        let rows = self.stats_rows();
        let Some(view) = &mut self.stats_view else {
            return false;
        };
        match action {
            Action::StatsNextTable | Action::StatsPreviousTable => {
                view.table = view.table.step(action == Action::StatsNextTable);
                view.selected = 0;
            }
            Action::StatsUp => view.selected = view.selected.saturating_sub(1),
            Action::StatsDown => view.selected = (view.selected + 1).min(rows.saturating_sub(1)),
            Action::StatsToggleBytes => view.bytes = !view.bytes,
            Action::StatsZoomIn => view.zoom = (view.zoom + 1).min(MAX_ZOOM),
            Action::StatsZoomOut => {
                view.zoom = view.zoom.saturating_sub(1);
                view.pan = view.pan.min(max_pan(view.zoom));
            }
            Action::StatsEarlier => view.pan = (view.pan + 1).min(max_pan(view.zoom)),
            Action::StatsLater => view.pan = view.pan.saturating_sub(1),
            Action::StatsClose => self.stats_view = None,
            Action::StatsGroupBy => {
                let text = self
                    .shared
                    .group_by
                    .as_ref()
                    .map(|g| g.text.clone())
                    .unwrap_or_default();
                self.prompt = Some(Prompt::with_text(PromptPurpose::GroupBy, &text));
            }
            Action::StatsShowFrames => self.stats_show_frames(),
            _ => return false,
        }
        true
    }

    /// Groups types by `text` (`jq:EXPR`), or as usual when empty; every
    /// tab's types are read again from the frames it holds.
    pub(super) fn set_group_by(&mut self, text: &str) -> Result<(), String> {
        let group_by = match text.trim() {
            "" => None,
            text => Some(Arc::new(GroupBy::compile(text)?)),
        };
        self.shared.group_by = group_by.clone();
        let mut all = Stats::default();
        for session in self.tabs.iter_mut() {
            session.regroup(group_by.clone());
            all.types.merge(&session.stats.types);
            all.frames += session.stats.types_cover.unwrap_or(0);
        }
        self.shared.all_stats.types = all.types;
        self.shared.all_stats.types_cover = Some(all.frames);
        if let Some(view) = &mut self.stats_view {
            view.selected = 0;
        }
        Ok(())
    }

    /// Enter: the selected type or size narrows the frames (every tab's,
    /// over the merged timeline), or the selected silence's frame is
    /// selected; the view closes onto the frames.
    fn stats_show_frames(&mut self) {
        let Some(view) = self.stats_view else { return };
        let stats = self.shown_stats();
        let narrow = match view.table {
            StatsTable::Types => stats.types.by_count().get(view.selected).map(|row| row.name.clone()),
            StatsTable::Sizes => None,
            StatsTable::Gaps => None,
        };
        match view.table {
            StatsTable::Types => {
                let Some(name) = narrow else { return };
                if name == crate::stats::types::OTHER {
                    self.notify(
                        NoteLevel::Info,
                        "\"(other)\" counts the types past the table's bound; group by jq:EXPR to see them",
                    );
                    return;
                }
                self.narrow_frames(|session| Narrow::Type {
                    name: name.clone(),
                    classifier: Box::new(session.stats_feed.classifier.clone()),
                });
            }
            StatsTable::Sizes => {
                let Some((bucket, _)) = stats.sizes.used().get(view.selected).copied() else {
                    return;
                };
                let (low, high) = crate::stats::sizes::bucket_range(bucket);
                self.narrow_frames(|_| Narrow::Size { low, high });
            }
            StatsTable::Gaps => {
                let Some(gap) = stats.gaps.longest().get(view.selected).copied() else {
                    return;
                };
                if !self.select_frame(gap.origin, gap.seq, view.merged) {
                    self.notify(NoteLevel::Info, "that frame was dropped from the history (its cap)");
                    return;
                }
            }
        }
        self.stats_view = None;
        self.focus = Focus::Frames;
    }

    fn narrow_frames(&mut self, narrow: impl Fn(&super::Session) -> Narrow) {
        if self.stats_view.is_some_and(|v| v.merged) {
            let shared = &mut self.shared;
            for session in self.tabs.iter_mut() {
                session.filter.narrow = Some(narrow(session));
                session.refilter(shared);
            }
            self.with_timeline(|view, _| view.scroll.follow());
        } else {
            let session = self.tabs.active_mut();
            session.filter.narrow = Some(narrow(session));
            session.refilter(&mut self.shared);
        }
    }

    /// Selects frame `seq` of tab `origin` in the frames view (or the
    /// merged timeline); false when it is no longer held.
    fn select_frame(&mut self, origin: u64, seq: u64, merged: bool) -> bool {
        let Some(place) = self.tabs.all().iter().position(|s| s.tab == origin) else {
            return false;
        };
        let Some(at) = self.tabs.get(place).and_then(|s| s.frames.placed_at(seq)) else {
            return false;
        };
        if merged && self.timeline.is_some() {
            let key = RowKey { at, place, seq };
            self.with_timeline(|view, merged| view.scroll.select(merged, key));
            return true;
        }
        let Some(session) = self.tabs.get_mut(place) else {
            return false;
        };
        // A narrowing that hides the frame would make it unselectable.
        if session.filter.narrow.take().is_some() {
            session.refilter(&mut self.shared);
        }
        session.with_view(|view, visible| view.select(visible, seq));
        true
    }
}

fn max_pan(zoom: u32) -> u32 {
    // Half-windows in the span: 2^(zoom+1) - 2 moves reach its start.
    (1u32 << (zoom + 1)).saturating_sub(2)
}
