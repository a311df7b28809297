//! Tabs: several sessions, each with its own request, connection task,
//! frames and view. The active one is `App::session`, so everything else
//! in the app works on it unchanged; the others wait in `others`, in tab
//! order, and their connections' events are applied to them in place.

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
}

impl App {
    /// How many tabs are open.
    pub fn tab_count(&self) -> usize {
        self.others.len() + 1
    }

    /// The tabs in order, for the tab bar.
    pub fn tabs(&self) -> Vec<TabInfo> {
        let info = |session: &Session, active: bool| TabInfo {
            id: session.tab,
            name: tab_name(session, false),
            state: session.connection.state.clone(),
            unseen: session.unseen,
            active,
        };
        let mut all: Vec<TabInfo> = self.others.iter().map(|s| info(s, false)).collect();
        all.insert(self.active_tab, info(&self.session, true));
        // Tabs on the same host and path, on other ports, are told apart
        // by their ports (tabs alike even so keep the shorter name).
        let ported: Vec<Option<String>> = (0..all.len())
            .map(|place| {
                let alike = all.iter().filter(|other| other.name == all[place].name).count() > 1;
                alike.then(|| self.tab_at(place).map(|s| tab_name(s, true))).flatten()
            })
            .collect();
        for (place, tab) in all.iter_mut().enumerate() {
            if let Some(name) = &ported[place]
                && ported.iter().filter(|other| other.as_ref() == Some(name)).count() == 1
            {
                tab.name = name.clone();
            }
        }
        all
    }

    /// Opens a blank tab after the active one and shows it.
    pub fn new_tab(&mut self) -> TabId {
        let id = self.next_tab_id;
        self.next_tab_id += 1;
        let mut url = editor("");
        url.set_placeholder_text("ws://host:port/path");
        let mut session = Session::blank(url, editor(""), Vec::new(), Vec::new(), self.session.ping_interval);
        session.tab = id;
        // The same history caps, settings and decoders as the tab it came from.
        session.frames =
            crate::frames::FrameLog::new(self.session.frames.max_entries(), self.session.frames.max_bytes());
        session.reconnect = self.session.reconnect;
        session.insecure = self.session.insecure;
        session.proxy_override = self.session.proxy_override.clone();
        session.ack_emits = self.session.ack_emits;
        let old = std::mem::replace(&mut self.session, session);
        self.others.insert(self.active_tab, old);
        self.active_tab += 1;
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
        let target = if forward {
            (self.active_tab + 1) % count
        } else {
            (self.active_tab + count - 1) % count
        };
        self.show_tab(target);
    }

    /// Shows the tab at `position` in tab order.
    pub fn show_tab(&mut self, position: usize) {
        if position == self.active_tab || position >= self.tab_count() {
            return;
        }
        let index = if position > self.active_tab {
            position - 1
        } else {
            position
        };
        let target = self.others.remove(index);
        let old = std::mem::replace(&mut self.session, target);
        let old_index = if position > self.active_tab {
            self.active_tab
        } else {
            self.active_tab - 1
        };
        self.others.insert(old_index, old);
        self.active_tab = position;
        self.after_tab_switch();
    }

    /// Tabs opened or closed move the others' places, which the
    /// timeline's rows are keyed by: it goes back to following.
    fn after_tabs_moved(&mut self) {
        if let Some(timeline) = &mut self.timeline {
            timeline.follow();
        }
    }

    fn after_tab_switch(&mut self) {
        self.session.unseen = 0;
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
    pub(super) fn ask_close_tab(&mut self) {
        if self.tab_count() < 2 {
            self.notify(NoteLevel::Info, "the last tab stays open: Ctrl-C quits");
            return;
        }
        if self.is_live() {
            self.confirm = Some(Confirm::CloseTab);
        } else {
            self.close_tab();
        }
    }

    /// Closes the active tab: its connection task ends and its frames go.
    pub(super) fn close_tab(&mut self) {
        if self.tab_count() < 2 {
            return;
        }
        let next = if self.active_tab < self.others.len() {
            self.others.remove(self.active_tab)
        } else {
            self.active_tab -= 1;
            self.others.remove(self.active_tab)
        };
        let closed = std::mem::replace(&mut self.session, next);
        self.tab_changes.push(TabChange::Closed(closed.tab));
        self.after_tabs_moved();
        self.after_tab_switch();
    }

    /// Tabs opened and closed since the last call.
    pub fn take_tab_changes(&mut self) -> Vec<TabChange> {
        std::mem::take(&mut self.tab_changes)
    }

    /// Applies an event from tab `tab`'s connection, in the background
    /// when that tab is not shown (a background tab only counts frames).
    pub fn on_tab_event(&mut self, tab: TabId, event: ConnEvent) {
        if tab == self.session.tab {
            self.on_conn_event(event);
            self.share_history_caps();
            return;
        }
        let Some(index) = self.others.iter().position(|s| s.tab == tab) else {
            return;
        };
        let frames = match &event {
            ConnEvent::Frame(_) => 1,
            ConnEvent::Frames(frames) => frames.len() as u64,
            _ => 0,
        };
        // Its notices are its own: the footer belongs to the shown tab.
        let notice = self.notice.take();
        std::mem::swap(&mut self.session, &mut self.others[index]);
        self.on_conn_event(event);
        std::mem::swap(&mut self.session, &mut self.others[index]);
        self.notice = notice;
        // The merged timeline shows every tab's frames as they come.
        if self.timeline.is_none() {
            self.others[index].unseen += frames;
        }
        self.share_history_caps();
    }

    /// Holds every tab's frames within one tab's history caps, together:
    /// while the tabs hold more, the one holding most gives up its oldest
    /// (its title counts them as dropped), so eight tabs use no more
    /// memory than one.
    pub(super) fn share_history_caps(&mut self) {
        if self.others.is_empty() {
            return;
        }
        let max_entries = self.session.frames.max_entries();
        let max_bytes = self.session.frames.max_bytes();
        let totals = |app: &Self| {
            std::iter::once(&app.session)
                .chain(&app.others)
                .fold((0, 0), |(n, b), s| (n + s.frames.len(), b + s.frames.held_bytes()))
        };
        let (mut entries, mut bytes) = totals(self);
        if entries <= max_entries && bytes <= max_bytes {
            return;
        }
        let mut touched = Vec::new();
        while entries > max_entries || bytes > max_bytes {
            let by_entries = entries > max_entries;
            let heaviest = std::iter::once(&mut self.session)
                .chain(self.others.iter_mut())
                .filter(|s| s.frames.len() > 1)
                .max_by_key(|s| {
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
            if !touched.contains(&session.tab) {
                touched.push(session.tab);
            }
        }
        for session in std::iter::once(&mut self.session).chain(self.others.iter_mut()) {
            if touched.contains(&session.tab) {
                let first = session.frames.first_seq();
                session.matches.forget_before(first);
                session.pairing.forget_before(first);
            }
        }
    }

    /// Commands queued by every tab, with the tab they are for.
    pub fn take_tab_commands(&mut self) -> Vec<(TabId, ConnCommand)> {
        let mut all: Vec<(TabId, ConnCommand)> = Vec::new();
        let active = self.session.tab;
        all.extend(self.take_commands().into_iter().map(|c| (active, c)));
        for session in &mut self.others {
            let tab = session.tab;
            all.extend(std::mem::take(&mut session.outbox).into_iter().map(|c| (tab, c)));
        }
        all
    }

    /// The active tab's id.
    pub fn active_tab_id(&self) -> TabId {
        self.session.tab
    }

    /// The open tabs as a workspace: a tab showing a saved profile by its
    /// name, any other by its request.
    pub fn workspace(&self) -> crate::profile::workspace::Workspace {
        use crate::profile::workspace::{WORKSPACE_VERSION, Workspace, WorkspaceTab};
        let tab = |session: &Session| match &session.profile.name {
            Some(name) => WorkspaceTab::Profile { profile: name.clone() },
            None => WorkspaceTab::request(crate::profile::Profile {
                url: session.url.lines().join(""),
                message: session.message.lines().join("\n"),
                params: session.params.rows.clone(),
                headers: session.headers.rows.clone(),
                ..session.profile.extras.clone()
            }),
        };
        let mut tabs: Vec<WorkspaceTab> = self.others.iter().map(tab).collect();
        tabs.insert(self.active_tab, tab(&self.session));
        Workspace {
            version: WORKSPACE_VERSION,
            tabs,
            active: self.active_tab,
        }
    }

    /// F7: the composer's message sent from every connected tab, each
    /// resolving its `{{variables}}` and speaking its own protocol.
    pub(super) fn send_to_all(&mut self) {
        let text = self.message_text();
        if text.trim().is_empty() {
            self.notify(NoteLevel::Warning, "the composer is empty: nothing was sent");
            return;
        }
        let mut sent = 0;
        let active = self.session.tab;
        self.each_tab(|app| {
            if matches!(app.session.connection.state, ConnState::Open { .. }) {
                // Only the shown tab's composer remembers it in its history.
                app.send_text(text.clone(), app.session.tab == active);
                sent += 1;
            }
        });
        let tabs = self.tab_count();
        self.notify(
            NoteLevel::Info,
            format!("sent from {sent} of {tabs} tabs (the others are not connected)"),
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

    /// The tab shown beside the active one in the split view: the next in
    /// order, as (its place, its name, its log).
    pub fn split_partner(&self) -> Option<(usize, String, &crate::frames::FrameLog)> {
        if !self.split || self.others.is_empty() {
            return None;
        }
        let index = self.active_tab.min(self.others.len() - 1);
        let place = if index >= self.active_tab { index + 1 } else { index };
        let session = &self.others[index];
        let name = self.tabs().get(place).map(|tab| tab.name.clone()).unwrap_or_default();
        Some((place, name, &session.frames))
    }
}

/// A tab's name: its profile's, else the host (with the port, if asked)
/// and path of its URL.
fn tab_name(session: &Session, with_port: bool) -> String {
    if let Some(name) = &session.profile.name {
        return name.clone();
    }
    let url = session.url.lines().join("");
    match url::Url::parse(url.trim()) {
        Ok(parsed) => match parsed.port().filter(|_| with_port) {
            Some(port) => format!("{}:{port}{}", parsed.host_str().unwrap_or_default(), parsed.path()),
            None => format!("{}{}", parsed.host_str().unwrap_or_default(), parsed.path()),
        },
        Err(_) if url.trim().is_empty() => "new tab".into(),
        Err(_) => url.trim().to_string(),
    }
}
