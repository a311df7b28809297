//! The merged timeline (Alt-m): every tab's frames in one view, with what
//! the frames pane offers: selection, filters, search, the detail view,
//! copy, resend and export.
//!
//! The timeline reads each tab's rows through that tab's own filter; a
//! filter set while it is shown is set on every tab. Acting on a row
//! (the detail view, `e`) shows the row's tab, since the frame belongs to
//! that tab's connection.

use super::frames_view::Visible;
use super::merged::{Lane, Merged, TimelineView};
use super::{App, Search, Session};
use crate::action::Action;
use crate::filter::Pattern;
use crate::frames::NoteLevel;
use crate::payload::BinaryView;

/// Every tab's rows in tab order: through each tab's filter, or all.
fn lanes<'a>(active: &'a Session, others: &'a [Session], active_place: usize, filtered: bool) -> Vec<Lane<'a>> {
    let mut sessions: Vec<&Session> = others.iter().collect();
    sessions.insert(active_place.min(others.len()), active);
    sessions
        .into_iter()
        .enumerate()
        .map(|(place, session)| Lane {
            place,
            visible: Visible {
                log: &session.frames,
                matches: (filtered && session.filter.is_active()).then_some(&session.matches),
            },
        })
        .collect()
}

impl App {
    /// Every tab's rows in one order: through each tab's filter (what the
    /// timeline shows), or every row held.
    pub fn merged(&self, filtered: bool) -> Merged<'_> {
        Merged::new(lanes(&self.session, &self.others, self.active_tab, filtered))
    }

    /// The tab at `place` in tab order.
    pub fn tab_at(&self, place: usize) -> Option<&Session> {
        if place == self.active_tab {
            return Some(&self.session);
        }
        self.others.get(self.other_index(place))
    }

    /// Where the tab at `place` (not the active one) waits in `others`.
    fn other_index(&self, place: usize) -> usize {
        if place > self.active_tab { place - 1 } else { place }
    }

    /// Runs `f` on every tab in turn, each shown to it as the active one.
    pub(super) fn each_tab(&mut self, mut f: impl FnMut(&mut Self)) {
        for index in 0..self.others.len() {
            std::mem::swap(&mut self.session, &mut self.others[index]);
            f(self);
            std::mem::swap(&mut self.session, &mut self.others[index]);
        }
        f(self);
    }

    /// Alt-m: every tab's frames in one timeline, or the tab's own again.
    pub(super) fn toggle_timeline(&mut self) {
        self.timeline = match self.timeline.take() {
            Some(_) => None,
            None => Some(TimelineView::new(self.session.frames_view.height)),
        };
    }

    /// Runs `change` on the timeline's view with the rows it shows.
    pub(super) fn with_timeline(&mut self, change: impl FnOnce(&mut TimelineView, &Merged)) {
        let merged = Merged::new(lanes(&self.session, &self.others, self.active_tab, true));
        if let Some(view) = &mut self.timeline {
            change(view, &merged);
        }
    }

    /// Carries out `action` on the timeline when it is shown and the
    /// action is one it takes over from the tab's frames view.
    pub(super) fn timeline_update(&mut self, action: &Action) -> bool {
        if self.timeline.is_none() {
            return false;
        }
        match action {
            Action::ScrollUp => self.with_timeline(|view, merged| view.select_by(merged, -1)),
            Action::ScrollDown => self.with_timeline(|view, merged| view.select_by(merged, 1)),
            Action::PageUp => self.with_timeline(|view, merged| view.page(merged, -1)),
            Action::PageDown => self.with_timeline(|view, merged| view.page(merged, 1)),
            Action::ScrollTop => self.with_timeline(|view, merged| view.to_top(merged)),
            Action::ScrollBottom => self.with_timeline(|view, _| view.follow()),
            Action::OpenDetail => {
                if self.timeline.as_ref().is_some_and(|view| view.selected().is_none()) {
                    self.with_timeline(|view, merged| view.select_by(merged, 0));
                }
                self.timeline_detail(BinaryView::default());
            }
            Action::DetailPrevious => self.timeline_detail_step(-1),
            Action::DetailNext => self.timeline_detail_step(1),
            Action::Copy => self.on_timeline_selection(false, Self::copy_selected),
            Action::Resend => self.on_timeline_selection(false, Self::resend_selected),
            Action::LoadIntoComposer => self.on_timeline_selection(true, Self::load_selected),
            Action::CycleDirection => {
                let next = self.session.filter.direction.next();
                self.filter_every_tab(|filter| filter.direction = next);
            }
            Action::CycleKind => {
                let next = self.session.filter.kind.next();
                self.filter_every_tab(|filter| filter.kind = next);
            }
            Action::ClearFilter => {
                self.each_tab(Self::clear_filter);
                self.with_timeline(|view, _| {
                    view.search = None;
                    view.follow();
                });
            }
            Action::SearchNext => self.timeline_search_step(true),
            Action::SearchPrevious => self.timeline_search_step(false),
            _ => return false,
        }
        true
    }

    /// A typed filter pattern, set on every tab.
    pub(super) fn apply_timeline_filter(&mut self, text: &str) -> Result<(), String> {
        // Compiled once to report a mistake; each tab compiles its own,
        // since a jq filter keeps its own state.
        Pattern::compile(text)?;
        self.filter_every_tab(|filter| {
            filter.pattern = Pattern::compile(text).ok().flatten();
            filter.pattern_text = text.trim().to_string();
        });
        Ok(())
    }

    /// Changes every tab's filter alike; the timeline then follows.
    fn filter_every_tab(&mut self, change: impl Fn(&mut crate::filter::FilterSpec)) {
        self.each_tab(|app| {
            change(&mut app.session.filter);
            app.refilter();
        });
        self.with_timeline(|view, _| view.follow());
    }

    /// A search of the timeline's rows; the first match is selected.
    pub(super) fn apply_timeline_search(&mut self, search: Option<Search>) {
        let searching = search.is_some();
        self.with_timeline(|view, _| view.search = search);
        if searching {
            self.timeline_search_step(true);
        }
    }

    /// Selects the next (or previous) row the timeline's search matches.
    fn timeline_search_step(&mut self, forward: bool) {
        let Some(search) = self.timeline.as_ref().and_then(|view| view.search.clone()) else {
            self.notify(NoteLevel::Info, "no search: / starts one");
            return;
        };
        let mut found = false;
        self.with_timeline(|view, merged| {
            if let Some(key) = view.find(merged, forward, |row| super::matches_search(row.entry, &search.regex)) {
                view.select(merged, key);
                found = true;
            }
        });
        if !found {
            self.notify(NoteLevel::Info, format!("no more matches for {}", search.text));
        }
    }

    /// Runs `f` with the timeline's selected row selected in its own tab:
    /// shown (`show`), or only for the time `f` runs.
    fn on_timeline_selection(&mut self, show: bool, f: impl FnOnce(&mut Self)) {
        let Some(key) = self.timeline.as_ref().and_then(TimelineView::selected) else {
            self.notify(NoteLevel::Warning, "select a row first (Up/Down in the timeline)");
            return;
        };
        if key.place >= self.tab_count() {
            return;
        }
        if show || key.place == self.active_tab {
            if key.place != self.active_tab {
                // The detail view belongs to the tab that opened it.
                self.session.detail = None;
                self.show_tab(key.place);
            }
            let kept = (!show).then_some(self.session.frames_view);
            self.with_view(|view, visible| view.select(visible, key.seq));
            f(self);
            if let Some(kept) = kept {
                self.session.frames_view = kept;
            }
            return;
        }
        let index = self.other_index(key.place);
        std::mem::swap(&mut self.session, &mut self.others[index]);
        let kept = self.session.frames_view;
        self.with_view(|view, visible| view.select(visible, key.seq));
        f(self);
        self.session.frames_view = kept;
        std::mem::swap(&mut self.session, &mut self.others[index]);
    }

    /// Shows the selected row's frame in full, in `view`, from its tab.
    /// A connection event (a note) has no detail: its tab's own frames are
    /// shown instead, at that event, wrapped whole in its context.
    fn timeline_detail(&mut self, view: BinaryView) {
        let mut note = false;
        self.on_timeline_selection(true, |app| {
            let Some(seq) = app.session.frames_view.selected() else {
                return;
            };
            note = matches!(app.visible().entry(seq), Some(crate::frames::LogEntry::Note { .. }));
            if !note {
                app.show_detail(seq, view);
            }
        });
        if note {
            self.timeline = None;
            self.notify(
                NoteLevel::Info,
                format!(
                    "tab {}'s own frames, at that event: Alt-m for the timeline",
                    self.active_tab + 1
                ),
            );
        }
    }

    /// The detail view's previous or next frame, in timeline order.
    fn timeline_detail_step(&mut self, delta: i64) {
        let Some(view) = self.session.detail.as_ref().map(|detail| detail.view) else {
            return;
        };
        self.with_timeline(|timeline, merged| timeline.select_by(merged, delta));
        self.timeline_detail(view);
    }

    /// A click on the timeline's `row`-th data row selects it.
    pub(super) fn timeline_click(&mut self, row: usize) {
        self.with_timeline(|view, merged| {
            if let Some(key) = view.rows(merged).get(row).map(|row| row.key) {
                view.select(merged, key);
            }
        });
    }
}
