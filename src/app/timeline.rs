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
use super::{App, Search, Session, Shared};
use crate::action::Action;
use crate::filter::Pattern;
use crate::frames::NoteLevel;
use crate::payload::BinaryView;

/// Every tab's rows in tab order: through each tab's filter, or all.
fn lanes(sessions: &[Session], filtered: bool) -> Vec<Lane<'_>> {
    sessions
        .iter()
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
        Merged::new(lanes(self.tabs.all(), filtered))
    }

    /// Alt-m: every tab's frames in one timeline, or the tab's own again.
    pub(super) fn toggle_timeline(&mut self) {
        self.timeline = match self.timeline.take() {
            Some(_) => None,
            None => Some(TimelineView::new(self.tabs.active_mut().frames_view.height)),
        };
    }

    /// Runs `change` on the timeline's view with the rows it shows.
    pub(super) fn with_timeline(&mut self, change: impl FnOnce(&mut TimelineView, &Merged)) {
        let merged = Merged::new(lanes(self.tabs.all(), true));
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
            Action::ScrollUp => self.with_timeline(|view, merged| view.scroll.select_by(merged, -1)),
            Action::ScrollDown => self.with_timeline(|view, merged| view.scroll.select_by(merged, 1)),
            Action::PageUp => self.with_timeline(|view, merged| view.scroll.page(merged, -1)),
            Action::PageDown => self.with_timeline(|view, merged| view.scroll.page(merged, 1)),
            Action::ScrollTop => self.with_timeline(|view, merged| view.scroll.jump_to_top(merged)),
            Action::ScrollBottom => self.with_timeline(|view, _| view.scroll.follow()),
            Action::OpenDetail => {
                if self
                    .timeline
                    .as_ref()
                    .is_some_and(|view| view.scroll.selected().is_none())
                {
                    self.with_timeline(|view, merged| view.scroll.select_by(merged, 0));
                }
                self.timeline_detail(BinaryView::default());
            }
            Action::DetailPrevious => self.timeline_detail_step(-1),
            Action::DetailNext => self.timeline_detail_step(1),
            Action::Copy => {
                self.on_timeline_selection(false, Session::copy_selected);
            }
            Action::Resend => {
                self.on_timeline_selection(false, Session::resend_selected);
            }
            Action::LoadIntoComposer => {
                if self.on_timeline_selection(true, Session::load_selected_frame) == Some(true) {
                    self.focus = super::Focus::Message;
                }
            }
            Action::CycleDirection => {
                let next = self.tabs.active_mut().filter.direction.next();
                self.filter_every_tab(|filter| filter.direction = next);
            }
            Action::CycleKind => {
                let next = self.tabs.active_mut().filter.kind.next();
                self.filter_every_tab(|filter| filter.kind = next);
            }
            Action::ClearFilter => {
                let shared = &mut self.shared;
                self.tabs.iter_mut().for_each(|session| session.clear_filter(shared));
                self.with_timeline(|view, _| {
                    view.search = None;
                    view.scroll.follow();
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
    pub(super) fn filter_every_tab(&mut self, change: impl Fn(&mut crate::filter::FilterSpec)) {
        let shared = &mut self.shared;
        for session in self.tabs.iter_mut() {
            change(&mut session.filter);
            session.refilter(shared);
        }
        self.with_timeline(|view, _| view.scroll.follow());
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
                view.scroll.select(merged, key);
                found = true;
            }
        });
        if !found {
            self.notify(NoteLevel::Info, format!("no more matches for {}", search.text));
        }
    }

    /// Runs `f` on the session of the timeline's selected row, with that
    /// row selected in it: shown (`show`, the row's tab is then shown),
    /// or only for the time `f` runs, the tab staying where it is.
    fn on_timeline_selection<T>(&mut self, show: bool, f: impl FnOnce(&mut Session, &mut Shared) -> T) -> Option<T> {
        let Some(key) = self.timeline.as_ref().and_then(|view| view.scroll.selected()) else {
            self.notify(NoteLevel::Warning, "select a row first (Up/Down in the timeline)");
            return None;
        };
        let mut place = key.place;
        if show && place != self.tabs.active_place() && place < self.session_count() {
            // The detail view belongs to the tab that opened it.
            self.session_mut().detail = None;
            place = self.show_tab(place);
        }
        let session = self.tabs.get_mut(place)?;
        let kept = (!show).then_some(session.frames_view);
        session.with_view(|view, visible| view.select(visible, key.seq));
        let result = f(session, &mut self.shared);
        if let Some(kept) = kept {
            session.frames_view = kept;
        }
        Some(result)
    }

    /// Shows the selected row's frame in full, in `view`, from its tab.
    /// A connection event (a note) has no detail: its tab's own frames are
    /// shown instead, at that event, wrapped whole in its context.
    fn timeline_detail(&mut self, view: BinaryView) {
        let mut note = false;
        self.on_timeline_selection(true, |session, shared| {
            let Some(seq) = session.frames_view.selected() else {
                return;
            };
            note = matches!(session.visible().entry(seq), Some(crate::frames::LogEntry::Note { .. }));
            if !note {
                session.show_detail(seq, view, shared);
            }
        });
        if note {
            self.timeline = None;
            self.notify(
                NoteLevel::Info,
                format!(
                    "tab {}'s own frames, at that event: Alt-m for the timeline",
                    self.tabs.active_place() + 1
                ),
            );
        }
    }

    /// The detail view's previous or next frame, in timeline order.
    fn timeline_detail_step(&mut self, delta: i64) {
        let Some(view) = self.tabs.active_mut().detail.as_ref().map(|detail| detail.view) else {
            return;
        };
        self.with_timeline(|timeline, merged| timeline.scroll.select_by(merged, delta));
        self.timeline_detail(view);
    }

    /// A click on the timeline's `row`-th data row selects it.
    pub(super) fn timeline_click(&mut self, row: usize) {
        self.with_timeline(|view, merged| {
            if let Some(key) = view.rows(merged).get(row).map(|row| row.key) {
                view.scroll.select(merged, key);
            }
        });
    }
}
