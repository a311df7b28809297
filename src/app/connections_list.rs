//! The connections list (Alt-l): every connection `wscope proxy`
//! captured, in the tab bar or not, with its state, frame counts and
//! bytes. Enter shows one as a tab; closed ones stay until cleared.

use super::App;
use super::tabs::{TabChange, TabInfo};
use crate::conn::ConnState;
use crate::frames::{Counters, NoteLevel};

/// Rows PageUp and PageDown move by.
pub const CONNECTIONS_PAGE: isize = 10;

/// The list, while open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionsList {
    /// The selected row, in capture order.
    pub selected: usize,
}

/// One captured connection, as the list shows it.
#[derive(Debug, Clone)]
pub struct ConnectionRow {
    /// The proxy's number for it, as in `--log`.
    pub id: u64,
    /// Its session's place (see [`App::tab_at`]).
    pub place: usize,
    pub tab: TabInfo,
    pub client: String,
    /// Client→server is `out`, server→client `in`.
    pub counters: Counters,
}

impl ConnectionRow {
    /// Its state in a word.
    pub fn state_word(&self) -> &'static str {
        match &self.tab.state {
            ConnState::Open { .. } => "open",
            ConnState::Connecting { .. } | ConnState::Reconnecting { .. } => "opening",
            ConnState::Closing => "closing",
            ConnState::Failed(_) => "failed",
            _ => "closed",
        }
    }

    pub fn is_closed(&self) -> bool {
        matches!(
            self.tab.state,
            ConnState::Closed { .. } | ConnState::Failed(_) | ConnState::Idle
        )
    }
}

impl App {
    /// Every captured connection, in the order the proxy took them.
    pub fn connection_rows(&self) -> Vec<ConnectionRow> {
        let mut rows: Vec<ConnectionRow> = self
            .tab_infos()
            .into_iter()
            .enumerate()
            .filter_map(|(place, tab)| {
                let session = self.tab_at(place)?;
                let capture = session.capture.as_ref()?;
                Some(ConnectionRow {
                    id: capture.id,
                    place,
                    tab,
                    client: capture.client.clone(),
                    counters: session.frames.counters(),
                })
            })
            .collect();
        rows.sort_by_key(|row| row.id);
        rows
    }

    pub(super) fn open_connections(&mut self) {
        if self.proxy.is_none() {
            self.notify(
                NoteLevel::Info,
                "no captured connections: `wscope proxy` captures other clients' connections",
            );
            return;
        }
        // The shown connection is the one most likely looked for.
        let shown = self.session().capture.as_ref().map(|c| c.id);
        let selected = self
            .connection_rows()
            .iter()
            .position(|row| Some(row.id) == shown)
            .unwrap_or(0);
        self.connections_list = Some(ConnectionsList { selected });
    }

    pub(super) fn connections_move(&mut self, delta: isize) {
        let count = self.tabs.iter().filter(|session| session.capture.is_some()).count();
        let last = count.saturating_sub(1);
        if let Some(list) = &mut self.connections_list {
            list.selected = list.selected.saturating_add_signed(delta).min(last);
        }
    }

    /// Enter: the selected connection as the shown tab (joining the bar
    /// if it was only listed).
    pub(super) fn show_selected_connection(&mut self) {
        let Some(list) = self.connections_list else {
            return;
        };
        let Some(row) = self.connection_rows().into_iter().nth(list.selected) else {
            return;
        };
        self.connections_list = None;
        self.show_tab(row.place);
    }

    /// `c`: forgets every closed captured connection but the shown one,
    /// frames and all.
    pub(super) fn clear_closed_connections(&mut self) {
        let removed = self
            .tabs
            .remove_where(|session| session.capture.is_some() && !session.is_live());
        let note = format!(
            "cleared {}",
            crate::format::count(removed.len() as u64, "closed connection")
        );
        if !removed.is_empty() {
            self.tab_changes.extend(removed.into_iter().map(TabChange::Closed));
            if let Some(timeline) = &mut self.timeline {
                timeline.scroll.follow();
            }
        }
        self.connections_move(0);
        self.notify(NoteLevel::Info, note);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;
    use crate::app::InitialRequest;
    use crate::app::captures::{CAPTURE_TABS, CapturedTab};
    use crate::app::tabs::TabChange;

    fn proxy_app() -> App {
        let mut app = App::new(InitialRequest::default(), None);
        app.become_listener("proxy :8899");
        app
    }

    fn capture(app: &mut App, id: u64) -> crate::app::tabs::TabId {
        app.open_captured(CapturedTab {
            id,
            url: format!("ws://upstream.test/room{id}"),
            client: format!("127.0.0.1:{}", 40000 + id),
            request_headers: Vec::new(),
        })
    }

    fn close(app: &mut App, tab: crate::app::tabs::TabId) {
        app.on_tab_event(
            tab,
            crate::conn::ConnEvent::State {
                state: ConnState::Closed {
                    code: Some(1000),
                    reason: String::new(),
                    by: crate::record::Closer::Network,
                },
                at: std::time::SystemTime::now(),
            },
        );
    }

    #[test]
    fn captures_past_the_bars_share_wait_in_the_list() {
        let mut app = proxy_app();
        let tabs: Vec<_> = (1..=20).map(|id| capture(&mut app, id)).collect();
        assert_eq!(app.tab_count(), 1 + CAPTURE_TABS, "the listener and eight captures");
        assert_eq!(app.session_count(), 21);
        let rows = app.connection_rows();
        assert_eq!(
            rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            (1..=20).collect::<Vec<_>>()
        );
        assert_eq!(rows.iter().filter(|r| r.tab.in_bar).count(), CAPTURE_TABS);
        // The first capture is shown; switching tabs never reaches a listed one.
        assert_eq!(app.active_tab_id(), tabs[0]);
        for _ in 0..30 {
            app.update(Action::NextTab);
            assert!(app.tab_infos().iter().any(|t| t.active && t.in_bar));
        }
        let _ = app.take_tab_changes();
        // Enter on #15 brings it into the bar, shown.
        app.update(Action::OpenConnections);
        app.update(Action::ConnectionsPageUp);
        assert_eq!(app.connections_list.map(|l| l.selected), Some(0));
        for _ in 0..14 {
            app.update(Action::ConnectionsDown);
        }
        app.update(Action::ConnectionsShow);
        assert!(app.connections_list.is_none());
        assert_eq!(app.active_tab_id(), tabs[14]);
        assert_eq!(app.tab_count(), 2 + CAPTURE_TABS);
        assert!(
            app.take_tab_changes().is_empty(),
            "its relay goes on: no task is opened or ended"
        );
    }

    #[test]
    fn closing_a_captured_tab_lists_it_and_clearing_forgets_the_closed() {
        let mut app = proxy_app();
        let tabs: Vec<_> = (1..=12).map(|id| capture(&mut app, id)).collect();
        // Alt-w on the shown capture: back to the list, its connection kept.
        app.update(Action::CloseTab);
        assert_eq!(app.tab_count(), CAPTURE_TABS);
        assert_eq!(app.session_count(), 13);
        assert!(app.take_tab_changes().is_empty());
        // Three close, one of them in the bar and shown.
        for tab in [tabs[0], tabs[3], tabs[10]] {
            close(&mut app, tab);
        }
        let shown = app.show_tab(app.connection_rows()[3].place);
        assert_eq!(app.tab_at(shown).map(|s| s.tab), Some(tabs[3]));
        app.update(Action::OpenConnections);
        assert_eq!(
            app.connections_list.map(|l| l.selected),
            Some(3),
            "the shown connection is selected"
        );
        app.update(Action::ConnectionsClear);
        let ids: Vec<u64> = app.connection_rows().iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![2, 3, 4, 5, 6, 7, 8, 9, 10, 12], "the shown one stays");
        let closed = app.take_tab_changes();
        assert_eq!(closed, vec![TabChange::Closed(tabs[0]), TabChange::Closed(tabs[10])]);
        assert_eq!(app.active_tab_id(), tabs[3]);
        assert!(app.connections_list.unwrap().selected < ids.len());
    }

    #[test]
    fn the_split_view_pairs_the_last_tab_with_a_tab_not_a_listed_session() {
        let mut app = proxy_app();
        let tabs: Vec<_> = (1..=12).map(|id| capture(&mut app, id)).collect();
        app.show_tab(app.tab_count() - 1);
        assert_eq!(app.active_tab_id(), tabs[CAPTURE_TABS - 1]);
        app.update(Action::ToggleSplit);
        let (place, _, _) = app.split_partner().expect("a partner");
        assert_eq!(place, app.tab_count() - 2);
    }

    #[test]
    fn without_a_proxy_the_list_does_not_open() {
        let mut app = App::new(InitialRequest::default(), None);
        app.update(Action::OpenConnections);
        assert!(app.connections_list.is_none());
    }
}
