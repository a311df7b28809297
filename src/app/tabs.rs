//! Tabs: sessions side by side, each with its own request, connection
//! task, frames and view. [`Tabs`] owns them in tab order and knows which
//! is shown; an event for any tab is applied to that tab's session where
//! it stands.

use super::shared::Shared;
pub use super::tab_order::Tabs;
use super::{App, Confirm, Session, editor};
use crate::conn::{ConnCommand, ConnEvent, ConnState};
use crate::frames::NoteLevel;

/// A tab's identity, for routing its connection's events.
pub type TabId = u64;

/// What the event loop must do for a tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TabChange {
    /// Start a connection task for it.
    Opened(TabId),
    /// End its connection task.
    Closed(TabId),
}

/// What the tab bar shows of a tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabInfo {
    pub id: TabId,
    pub name: String,
    pub state: ConnState,
    pub unseen: u64,
    pub active: bool,
    /// In the tab bar; else only in the connections list (Alt-l).
    pub in_bar: bool,
}

impl App {
    /// The session shown.
    pub fn session(&self) -> &Session {
        self.tabs.active()
    }

    pub fn session_mut(&mut self) -> &mut Session {
        self.tabs.active_mut()
    }

    /// The shown session, with what it may use of the app: for calling a
    /// session's own methods on the tab the user sees.
    pub fn session_and_shared(&mut self) -> (&mut Session, &mut Shared) {
        (self.tabs.active_mut(), &mut self.shared)
    }

    /// Sets what every tab starts from, with the history caps all tabs
    /// share (the shown tab's log is made anew: call it before anything is
    /// logged). [`App::start_from_defaults`] then starts a tab from it.
    pub fn set_tab_defaults(&mut self, defaults: crate::settings::TabDefaults) {
        self.session_mut().frames = crate::frames::FrameLog::new(defaults.history, defaults.history_bytes);
        self.tab_defaults = defaults;
    }

    /// Gives the shown tab the run's settings: TLS, proxy, reconnecting,
    /// pings, acks, and the command line's protocol and decoder choices
    /// over its request's own.
    pub fn start_from_defaults(&mut self) {
        self.tabs.active_mut().start_from(&self.tab_defaults, &mut self.shared);
        self.revalidate_request();
    }

    /// How many tabs the bar holds.
    pub fn tab_count(&self) -> usize {
        self.tabs.bar_len()
    }

    /// How many sessions are open, in the bar or in the connections list.
    pub fn session_count(&self) -> usize {
        self.tabs.len()
    }

    /// The session at `place`: the bar's in tab order, then the listed.
    pub fn tab_at(&self, place: usize) -> Option<&Session> {
        self.tabs.get(place)
    }

    /// Every session in order, the tab bar's first (`in_bar`).
    pub fn tab_infos(&self) -> Vec<TabInfo> {
        let active = self.tabs.active_place();
        let in_bar = self.tabs.bar_len();
        let mut all: Vec<TabInfo> = self
            .tabs
            .iter()
            .enumerate()
            .map(|(place, session)| TabInfo {
                id: session.tab,
                name: tab_name(session, false),
                state: session.connection.state.clone(),
                unseen: session.unseen,
                active: place == active,
                in_bar: place < in_bar,
            })
            .collect();
        // Tabs on the same host and path, on other ports, are told apart
        // by their ports (tabs alike even so keep the shorter name).
        // Counted, not compared pairwise: a proxy has hundreds of sessions.
        let names = tally(all.iter().map(|tab| tab.name.clone()));
        let ported: Vec<Option<String>> = (0..all.len())
            .map(|place| {
                let alike = names.get(&all[place].name).is_some_and(|n| *n > 1);
                alike.then(|| self.tab_at(place).map(|s| tab_name(s, true))).flatten()
            })
            .collect();
        let ported_names = tally(ported.iter().flatten().cloned());
        for (tab, name) in all.iter_mut().zip(ported) {
            if let Some(name) = name
                && ported_names.get(&name) == Some(&1)
            {
                tab.name = name;
            }
        }
        all
    }

    /// A blank session with a tab id of its own, not yet among the tabs.
    pub(super) fn blank_session(&mut self) -> Session {
        let id = self.tabs.take_id();
        let mut url = editor("");
        url.set_placeholder_text("ws://host:port/path");
        let mut session = Session::blank(url, editor(""), Vec::new(), Vec::new(), None);
        session.tab = id;
        // The history caps are the run's, shared by every tab.
        let from = &self.tabs.active().frames;
        session.frames = crate::frames::FrameLog::new(from.max_entries(), from.max_bytes());
        session
    }

    /// Opens a blank tab after the active one and shows it.
    pub fn new_tab(&mut self) -> TabId {
        let session = self.blank_session();
        let id = session.tab;
        self.tabs.insert_after_active(session);
        self.start_from_defaults();
        self.tab_changes.push(TabChange::Opened(id));
        self.after_tabs_moved();
        self.after_tab_switch();
        id
    }

    /// Shows the next tab (`forward`) or the previous one, wrapping.
    pub fn switch_tab(&mut self, forward: bool) {
        let count = self.tab_count();
        if count < 2 {
            return;
        }
        let active = self.tabs.active_place();
        let target = if forward {
            (active + 1) % count
        } else {
            (active + count - 1) % count
        };
        self.show_tab(target);
    }

    /// Shows the session at `place` (a listed one joins the tab bar
    /// first), and returns where it now stands.
    pub fn show_tab(&mut self, place: usize) -> usize {
        let listed = place >= self.tabs.bar_len();
        match self.tabs.show(place) {
            Some(shown) => {
                if listed {
                    self.after_tabs_moved();
                }
                self.after_tab_switch();
                shown
            }
            None => self.tabs.active_place(),
        }
    }

    /// Tabs opened or closed move the others' places, which the
    /// timeline's rows are keyed by: it goes back to following.
    fn after_tabs_moved(&mut self) {
        if let Some(timeline) = &mut self.timeline {
            timeline.scroll.follow();
        }
    }

    fn after_tab_switch(&mut self) {
        self.session_mut().unseen = 0;
        // Overlays belong to the tab that opened them.
        self.prompt = None;
        self.picker = None;
        self.messages = None;
        self.operations_list = None;
        self.row_editor = None;
        self.revalidate_request();
        self.refresh_message_status();
        self.sync_cursors();
    }

    /// Alt-w: closes the active tab, asking first while it is connected.
    /// A captured connection's tab goes back to the connections list
    /// instead: the connection is the client's, not ours to end.
    pub(super) fn ask_close_tab(&mut self) {
        if self.tab_count() < 2 {
            self.notify(NoteLevel::Info, "the last tab stays open: Ctrl-C quits");
            return;
        }
        if self.session().capture.is_some() {
            self.tabs.list_active();
            self.after_tabs_moved();
            self.after_tab_switch();
            self.notify(
                NoteLevel::Info,
                "the captured connection is in the connections list (Alt-l)",
            );
            return;
        }
        if self.session().is_live() {
            self.confirm = Some(Confirm::CloseTab);
        } else {
            self.close_tab();
        }
    }

    /// Closes the active tab: its connection task ends and its frames go.
    pub(super) fn close_tab(&mut self) {
        let Some(closed) = self.tabs.remove_active() else {
            return;
        };
        self.tab_changes.push(TabChange::Closed(closed.tab));
        self.after_tabs_moved();
        self.after_tab_switch();
    }

    /// Tabs opened and closed since the last call.
    pub fn take_tab_changes(&mut self) -> Vec<TabChange> {
        std::mem::take(&mut self.tab_changes)
    }

    /// Applies an event from tab `tab`'s connection to that tab's session,
    /// shown or not, then holds every tab within the shared history caps.
    pub fn on_tab_event(&mut self, tab: TabId, event: ConnEvent) {
        self.take_in_tab_event(tab, event);
        self.share_history_caps();
    }

    /// Applies an event as [`App::on_tab_event`] does, but leaves the
    /// shared caps for [`App::share_history_caps`] to apply once for a
    /// batch: with a proxy's thousand sessions, summing them per event
    /// would cost more than the event. A background tab's notices stay in
    /// its own log, and it counts the frames it got unseen.
    pub fn take_in_tab_event(&mut self, tab: TabId, event: ConnEvent) {
        let shown = tab == self.tabs.active().tab;
        let timeline_shown = self.timeline.is_some();
        let Some(session) = self.tabs.by_id_mut(tab) else {
            return;
        };
        if shown {
            session.on_conn_event(event, &mut self.shared);
        } else {
            let frames = match &event {
                ConnEvent::Frame(_) => 1,
                ConnEvent::Frames(frames) => frames.len() as u64,
                _ => 0,
            };
            self.shared.quietly(|shared| session.on_conn_event(event, shared));
            // The merged timeline shows every tab's frames as they come.
            if !timeline_shown {
                session.unseen += frames;
            }
        }
    }

    /// Applies an event to the shown tab's session.
    pub fn on_conn_event(&mut self, event: ConnEvent) {
        let tab = self.tabs.active().tab;
        self.on_tab_event(tab, event);
    }

    /// Holds every tab's frames within one tab's history caps, together:
    /// while the tabs hold more, the one holding most gives up its oldest
    /// (its title counts them as dropped), so eight tabs use no more
    /// memory than one.
    pub fn share_history_caps(&mut self) {
        if self.tabs.len() < 2 {
            return;
        }
        let max_entries = self.session().frames.max_entries();
        let max_bytes = self.session().frames.max_bytes();
        let (mut entries, mut bytes) = self
            .tabs
            .iter()
            .fold((0, 0), |(n, b), s| (n + s.frames.len(), b + s.frames.held_bytes()));
        if entries <= max_entries && bytes <= max_bytes {
            return;
        }
        let mut touched = Vec::new();
        while entries > max_entries || bytes > max_bytes {
            let by_entries = entries > max_entries;
            let weight = |s: &Session| {
                if by_entries {
                    s.frames.len()
                } else {
                    s.frames.held_bytes()
                }
            };
            let Some((place, runner_up)) = heaviest(self.tabs.iter(), weight) else {
                break;
            };
            let Some(session) = self.tabs.get_mut(place) else { break };
            // The heaviest gives up its oldest until another is as heavy:
            // what giving up one at a time, each time from the heaviest,
            // comes to, with one pass over the tabs for many frames (with a
            // proxy's thousand tabs, a pass a frame made a flood crawl).
            loop {
                let before = session.frames.held_bytes();
                if !session.frames.evict_oldest() {
                    break;
                }
                entries -= 1;
                bytes -= before - session.frames.held_bytes();
                // Evicting never brings the count back over, so a tab
                // levelled by bytes stays levelled by bytes.
                let still_over = if by_entries {
                    entries > max_entries
                } else {
                    bytes > max_bytes
                };
                if !still_over || weight(session) <= runner_up {
                    break;
                }
            }
            if !touched.contains(&session.tab) {
                touched.push(session.tab);
            }
        }
        for session in self.tabs.iter_mut().filter(|s| touched.contains(&s.tab)) {
            let first = session.frames.first_seq();
            session.matches.forget_before(first);
            session.pairing.forget_before(first);
        }
    }

    /// Commands queued by every tab, with the tab they are for.
    pub fn take_tab_commands(&mut self) -> Vec<(TabId, ConnCommand)> {
        self.tabs
            .iter_mut()
            .filter(|session| !session.outbox.is_empty())
            .flat_map(|session| {
                let tab = session.tab;
                session.take_commands().into_iter().map(move |c| (tab, c))
            })
            .collect()
    }

    /// Commands the shown tab queued since the last call.
    pub fn take_commands(&mut self) -> Vec<ConnCommand> {
        self.session_mut().take_commands()
    }

    /// The active tab's id.
    pub fn active_tab_id(&self) -> TabId {
        self.session().tab
    }

    /// The open tabs as a workspace: a tab showing a saved profile by its
    /// name, any other by its request.
    pub fn workspace(&self) -> crate::profile::workspace::Workspace {
        use crate::profile::workspace::{WORKSPACE_VERSION, Workspace, WorkspaceTab};
        // A captured connection is its client's, and cannot be reopened.
        let tabs: Vec<WorkspaceTab> = self
            .tabs
            .iter()
            .filter(|session| session.capture.is_none())
            .map(|session| match &session.profile.name {
                Some(name) => WorkspaceTab::Profile { profile: name.clone() },
                None => WorkspaceTab::request(crate::profile::Profile {
                    url: session.url_text(),
                    message: session.message_text(),
                    params: session.params.rows.clone(),
                    headers: session.headers.rows.clone(),
                    ..session.profile.extras.clone()
                }),
            })
            .collect();
        let before_active = self.tabs.all()[..self.tabs.active_place()]
            .iter()
            .filter(|session| session.capture.is_none())
            .count();
        let active = before_active.min(tabs.len().saturating_sub(1));
        Workspace {
            version: WORKSPACE_VERSION,
            tabs,
            active,
        }
    }

    /// F7: the composer's message sent from every connected tab, each
    /// resolving its `{{variables}}` and speaking its own protocol.
    pub(super) fn send_to_all(&mut self) {
        let text = self.session().message_text();
        if text.trim().is_empty() {
            self.notify(NoteLevel::Warning, "the composer is empty: nothing was sent");
            return;
        }
        let mut sent = 0;
        let active = self.tabs.active().tab;
        let shared: &mut Shared = &mut self.shared;
        let in_bar = self.tabs.bar_len();
        for session in self.tabs.iter_mut().take(in_bar) {
            if matches!(session.connection.state, ConnState::Open { .. }) {
                // Only the shown tab's composer remembers it in its history.
                let remember = session.tab == active;
                session.send_text(text.clone(), remember, shared);
                sent += 1;
            }
        }
        let tabs = self.tab_count();
        self.notify(
            NoteLevel::Info,
            format!(
                "sent from {sent} of {} (the others are not connected)",
                crate::format::count(tabs as u64, "tab")
            ),
        );
    }

    /// Alt-s: the next tab's frames beside this tab's, or not.
    pub(super) fn toggle_split(&mut self) {
        if self.tab_count() < 2 && !self.split {
            self.notify(NoteLevel::Info, "one tab: Alt-t opens another to compare with");
            return;
        }
        self.split = !self.split;
    }

    /// The tab shown beside the active one in the split view, as (its place, its name, its log).
    pub fn split_partner(&self) -> Option<(usize, String, &crate::frames::FrameLog)> {
        // Its partner is in the bar: the listed sessions are not tabs.
        if !self.split || self.tabs.bar_len() < 2 {
            return None;
        }
        // The next in order; the last tab's partner is the one before it.
        let active = self.tabs.active_place();
        let place = if active + 1 < self.tabs.bar_len() {
            active + 1
        } else {
            active - 1
        };
        let session = self.tabs.get(place)?;
        let name = self
            .tab_infos()
            .get(place)
            .map(|tab| tab.name.clone())
            .unwrap_or_default();
        Some((place, name, &session.frames))
    }
}

/// The place of the heaviest session that can give up an entry (the last
/// of equals, as `max_by_key` picks), and the weight of the next heaviest.
fn heaviest<'a>(
    sessions: impl Iterator<Item = &'a Session>,
    weight: impl Fn(&Session) -> usize,
) -> Option<(usize, usize)> {
    let mut top: Option<(usize, usize)> = None;
    let mut runner_up = 0;
    for (place, session) in sessions.enumerate().filter(|(_, s)| s.frames.len() > 1) {
        let this = weight(session);
        match top {
            Some((_, most)) if this < most => runner_up = runner_up.max(this),
            _ => {
                if let Some((_, most)) = top {
                    runner_up = runner_up.max(most);
                }
                top = Some((place, this));
            }
        }
    }
    top.map(|(place, _)| (place, runner_up))
}

/// How many times each name occurs.
fn tally(names: impl Iterator<Item = String>) -> std::collections::HashMap<String, usize> {
    let mut counts = std::collections::HashMap::new();
    for name in names {
        *counts.entry(name).or_insert(0) += 1;
    }
    counts
}

/// A tab's name: its profile's, else the host (with the port, if asked)
/// and path of its URL.
fn tab_name(session: &Session, with_port: bool) -> String {
    if let Some(name) = &session.profile.name {
        return name.clone();
    }
    if let Some(capture) = &session.capture {
        // Named once, when captured: its URL never changes.
        return if with_port {
            capture.name_with_port.clone()
        } else {
            capture.name.clone()
        };
    }
    if let Some(title) = &session.title {
        return title.clone();
    }
    url_name(&session.url_text(), with_port)
}

/// The host (with the port, if asked) and path of `url`.
pub(super) fn url_name(url: &str, with_port: bool) -> String {
    match url::Url::parse(url.trim()) {
        Ok(parsed) => match parsed.port().filter(|_| with_port) {
            Some(port) => format!("{}:{port}{}", parsed.host_str().unwrap_or_default(), parsed.path()),
            None => format!("{}{}", parsed.host_str().unwrap_or_default(), parsed.path()),
        },
        Err(_) if url.trim().is_empty() => "new tab".into(),
        Err(_) => url.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::InitialRequest;
    use crate::record::{Direction, FrameKind, FrameRecord};

    /// The rule as first written: one frame at a time, from the heaviest.
    fn one_at_a_time(app: &mut App) {
        let max_entries = app.session().frames.max_entries();
        let max_bytes = app.session().frames.max_bytes();
        let mut entries: usize = app.tabs.iter().map(|s| s.frames.len()).sum();
        let mut bytes: usize = app.tabs.iter().map(|s| s.frames.held_bytes()).sum();
        while entries > max_entries || bytes > max_bytes {
            let by_entries = entries > max_entries;
            let heaviest = app.tabs.iter_mut().filter(|s| s.frames.len() > 1).max_by_key(|s| {
                if by_entries {
                    s.frames.len()
                } else {
                    s.frames.held_bytes()
                }
            });
            let Some(session) = heaviest else { break };
            let before = session.frames.held_bytes();
            if !session.frames.evict_oldest() {
                break;
            }
            entries -= 1;
            bytes -= before - session.frames.held_bytes();
        }
    }

    /// An app of `tabs` tabs, each given the frames `fill` says.
    fn app_with(seed: u64, tabs: usize, max_entries: usize, max_bytes: usize) -> App {
        let mut app = App::new(InitialRequest::default(), None);
        app.session_mut().frames = crate::frames::FrameLog::new(max_entries, max_bytes);
        let mut ids = vec![app.active_tab_id()];
        for _ in 1..tabs {
            ids.push(app.new_tab());
        }
        let mut rng = fastrand::Rng::with_seed(seed);
        for _ in 0..tabs * 3 {
            let tab = ids[rng.usize(..ids.len())];
            // Now and then one tab floods.
            let count = if rng.u8(..10) == 0 {
                rng.usize(50..400)
            } else {
                rng.usize(1..20)
            };
            let frames = (0..count)
                .map(|_| FrameRecord {
                    at: std::time::SystemTime::now(),
                    direction: Direction::Received,
                    kind: FrameKind::Text,
                    payload: vec![b'x'; rng.usize(0..300)].into(),
                })
                .collect();
            app.take_in_tab_event(tab, ConnEvent::Frames(frames));
        }
        app
    }

    #[test]
    fn tabs_give_up_frames_as_one_at_a_time_from_the_heaviest_would() {
        let (mut cases, mut evicted) = (0, 0);
        for seed in 0..60u64 {
            for (max_entries, max_bytes) in [(200, 1 << 30), (1 << 20, 20_000), (300, 40_000), (50, 5_000)] {
                let tabs = 2 + (seed as usize % 9);
                let mut levelled = app_with(seed, tabs, max_entries, max_bytes);
                let mut reference = app_with(seed, tabs, max_entries, max_bytes);
                levelled.share_history_caps();
                one_at_a_time(&mut reference);
                let held = |app: &App| -> Vec<(usize, u64, usize)> {
                    app.tabs
                        .iter()
                        .map(|s| (s.frames.len(), s.frames.dropped(), s.frames.held_bytes()))
                        .collect()
                };
                assert_eq!(
                    held(&levelled),
                    held(&reference),
                    "seed {seed}, caps {max_entries}/{max_bytes}"
                );
                cases += 1;
                if held(&levelled).iter().any(|(_, dropped, _)| *dropped > 0) {
                    evicted += 1;
                }
            }
        }
        assert_eq!(cases, 240);
        assert!(evicted > 150, "only {evicted} of the cases went over the caps");
    }
}
