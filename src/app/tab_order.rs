//! The order of the open sessions: the tab bar's, in tab order, then the
//! captured connections only the connections list shows; and which one is
//! shown. Nothing here knows what a session holds.

use std::collections::HashMap;

use super::Session;
use super::tabs::TabId;

/// The open sessions (never none), and the one shown. The first `in_bar`
/// are the tab bar's, in tab order; the rest are captured connections
/// that only the connections list shows, so a proxy's hundreds of
/// connections never crowd the bar. The shown one is always in the bar.
pub struct Tabs {
    sessions: Vec<Session>,
    in_bar: usize,
    active: usize,
    next_id: TabId,
    /// Each session's place by its id, made on the first look-up after the
    /// order changed: every event names its tab, and a proxy's thousand
    /// sessions made finding it by a scan cost more than the event.
    places: Option<HashMap<TabId, usize>>,
}

impl Tabs {
    /// One tab, holding `first`.
    pub fn new(first: Session) -> Self {
        Self {
            next_id: first.tab + 1,
            sessions: vec![first],
            in_bar: 1,
            active: 0,
            places: None,
        }
    }

    /// The session shown.
    pub fn active(&self) -> &Session {
        &self.sessions[self.active]
    }

    pub fn active_mut(&mut self) -> &mut Session {
        &mut self.sessions[self.active]
    }

    /// The shown tab's place in tab order.
    pub fn active_place(&self) -> usize {
        self.active
    }

    /// How many sessions are open, in the bar or listed.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// How many are in the tab bar.
    pub fn bar_len(&self) -> usize {
        self.in_bar
    }

    /// Never true: the last tab stays open.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// The tab at `place` in tab order.
    pub fn get(&self, place: usize) -> Option<&Session> {
        self.sessions.get(place)
    }

    pub fn get_mut(&mut self, place: usize) -> Option<&mut Session> {
        self.sessions.get_mut(place)
    }

    /// The tab with this id, wherever it stands.
    pub fn by_id_mut(&mut self, id: TabId) -> Option<&mut Session> {
        let place = self.place_of(id)?;
        self.sessions.get_mut(place)
    }

    fn place_of(&mut self, id: TabId) -> Option<usize> {
        let sessions = &self.sessions;
        let places = self
            .places
            .get_or_insert_with(|| sessions.iter().enumerate().map(|(place, s)| (s.tab, place)).collect());
        let place = *places.get(&id)?;
        if sessions.get(place).is_some_and(|session| session.tab == id) {
            return Some(place);
        }
        debug_assert!(false, "a session's place is forgotten whenever the order changes");
        // Never wrong in a release build either: found by a scan, and the
        // index made afresh on the next look-up.
        self.places = None;
        sessions.iter().position(|session| session.tab == id)
    }

    /// Every tab, in tab order.
    pub fn iter(&self) -> impl Iterator<Item = &Session> {
        self.sessions.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Session> {
        self.sessions.iter_mut()
    }

    /// Every session in order, the bar's then the listed, as a slice (for
    /// the timeline's lanes).
    pub fn all(&self) -> &[Session] {
        &self.sessions
    }

    /// A fresh id for a new tab.
    pub(super) fn take_id(&mut self) -> TabId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Puts `session` after the last tab in the bar, leaving the shown one
    /// shown.
    pub(super) fn push(&mut self, session: Session) {
        self.places = None;
        self.sessions.insert(self.in_bar, session);
        self.in_bar += 1;
    }

    /// Puts `session` in the connections list only.
    pub(super) fn push_listed(&mut self, session: Session) {
        self.places = None;
        self.sessions.push(session);
    }

    /// Puts `session` after the shown tab and shows it.
    pub(super) fn insert_after_active(&mut self, session: Session) {
        self.places = None;
        self.active += 1;
        self.sessions.insert(self.active, session);
        self.in_bar += 1;
    }

    /// Shows the session at `place`, if there is one: a listed one first
    /// joins the bar, after its last tab. Returns its place in the bar.
    pub(super) fn show(&mut self, place: usize) -> Option<usize> {
        if place >= self.sessions.len() {
            return None;
        }
        let place = if place >= self.in_bar {
            self.places = None;
            let session = self.sessions.remove(place);
            self.sessions.insert(self.in_bar, session);
            self.in_bar += 1;
            self.in_bar - 1
        } else {
            place
        };
        (place != self.active).then(|| {
            self.active = place;
            place
        })
    }

    /// Takes the shown tab out of the bar (unless it is the last there)
    /// and shows the next, or the one before when it was last in order.
    fn leave_bar(&mut self) -> Option<usize> {
        if self.in_bar < 2 {
            return None;
        }
        let left = self.active;
        self.in_bar -= 1;
        if self.active == self.in_bar {
            self.active -= 1;
        }
        Some(left)
    }

    /// Removes the shown tab (unless it is the last in the bar).
    pub(super) fn remove_active(&mut self) -> Option<Session> {
        let place = self.leave_bar()?;
        self.places = None;
        Some(self.sessions.remove(place))
    }

    /// Moves the shown tab to the connections list (unless it is the last
    /// in the bar): it stays open, as the first listed.
    pub(super) fn list_active(&mut self) -> bool {
        let Some(place) = self.leave_bar() else {
            return false;
        };
        self.places = None;
        let session = self.sessions.remove(place);
        self.sessions.insert(self.in_bar, session);
        true
    }

    /// Removes every session `unwanted` picks but the shown one, and
    /// returns their ids.
    pub(super) fn remove_where(&mut self, unwanted: impl Fn(&Session) -> bool) -> Vec<TabId> {
        let shown = self.sessions[self.active].tab;
        let mut removed = Vec::new();
        let mut place = 0;
        while place < self.sessions.len() {
            let session = &self.sessions[place];
            if session.tab != shown && unwanted(session) {
                self.places = None;
                removed.push(session.tab);
                self.sessions.remove(place);
                if place < self.in_bar {
                    self.in_bar -= 1;
                }
                if place < self.active {
                    self.active -= 1;
                }
            } else {
                place += 1;
            }
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(tab: TabId) -> Session {
        let mut session = Session::blank(
            super::super::editor(""),
            super::super::editor(""),
            Vec::new(),
            Vec::new(),
            None,
        );
        session.tab = tab;
        session
    }

    /// Every id finds its own session, as a scan would.
    fn all_found(tabs: &mut Tabs) {
        let ids: Vec<TabId> = tabs.iter().map(|s| s.tab).collect();
        for id in ids {
            assert_eq!(tabs.by_id_mut(id).map(|s| s.tab), Some(id));
        }
        assert!(tabs.by_id_mut(TabId::MAX).is_none());
    }

    #[test]
    fn a_session_is_found_by_its_id_whatever_moved() {
        let mut tabs = Tabs::new(session(0));
        let mut next = || {
            let id = tabs.take_id();
            session(id)
        };
        let (a, b) = (next(), next());
        tabs.push(a);
        tabs.push_listed(b);
        all_found(&mut tabs);
        for _ in 0..5 {
            let listed = tabs.take_id();
            tabs.push_listed(session(listed));
        }
        all_found(&mut tabs);
        // A listed one joins the bar, ahead of the others listed.
        tabs.show(tabs.len() - 1);
        all_found(&mut tabs);
        let inserted = tabs.take_id();
        tabs.insert_after_active(session(inserted));
        all_found(&mut tabs);
        assert!(tabs.list_active());
        all_found(&mut tabs);
        let removed = tabs.remove_where(|s| s.tab % 2 == 0);
        assert!(!removed.is_empty());
        all_found(&mut tabs);
        for id in removed {
            assert!(tabs.by_id_mut(id).is_none(), "{id} was removed");
        }
        tabs.remove_active();
        all_found(&mut tabs);
    }
}
