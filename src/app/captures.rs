//! Tabs for connections that `wscope proxy` captured: each opened at the
//! end of the tab bar as its client connects, showing the upgrade request
//! in the panes and both directions in its frames; the composer injects
//! towards the server (Ctrl-J) or the client.

use super::{App, Session, Shared};
use crate::conn::{CaptureCommand, ConnCommand, ConnState};
use crate::frames::NoteLevel;
use crate::profile::resolve::resolve_request;
use crate::record::KvRow;

/// A captured connection, as the proxy announced it.
#[derive(Debug, Clone)]
pub struct CapturedTab {
    /// The proxy's number for it, as in `--log`.
    pub id: u64,
    /// The server's URL.
    pub url: String,
    /// The client's address.
    pub client: String,
    /// The upgrade request's headers as they went to the server.
    pub request_headers: Vec<(String, String)>,
}

/// The proxy as the inspector knows it.
#[derive(Debug, Default)]
pub struct ProxyState {
    /// The interception rule every new capture starts with, as typed.
    pub rule: Option<String>,
    /// Rules set since the event loop last looked: it hands them to the
    /// proxy, so that a new connection is held from its first frame.
    pub rule_changes: Vec<Option<crate::conn::InterceptRule>>,
}

/// What a session keeps of the capture it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    pub id: u64,
    pub client: String,
    /// Its tab's name, `⇄ host/path`, and with the port.
    pub name: String,
    pub name_with_port: String,
}

/// How many captured connections open as tabs by themselves; the rest
/// wait in the connections list (Alt-l), so that Alt-1 to Alt-9 and the
/// tab bar's names stay usable under hundreds of connections.
pub const CAPTURE_TABS: usize = 8;

impl App {
    /// Opens a session for `captured`: a tab after the last one while
    /// fewer than [`CAPTURE_TABS`] captures are in the bar, else an entry
    /// in the connections list. The first capture is shown (the
    /// listener's tab has nothing else to show); later ones wait in the
    /// background with their unseen counts.
    pub fn open_captured(&mut self, captured: CapturedTab) -> super::tabs::TabId {
        let mut session = self.blank_session();
        let id = session.tab;
        session.start_from(&self.tab_defaults, &mut self.shared);
        session.show_capture(&captured, &mut self.shared);
        // The proxy applied the rule already, from the first frame.
        session.interception.rule = self.proxy.as_ref().and_then(|p| p.rule.clone());
        let first = !self.tabs.iter().any(|s| s.capture.is_some());
        let in_bar = self.tabs.all()[..self.tabs.bar_len()]
            .iter()
            .filter(|s| s.capture.is_some())
            .count();
        if in_bar < CAPTURE_TABS {
            self.tabs.push(session);
        } else {
            self.tabs.push_listed(session);
        }
        self.share_history_caps();
        if first && self.session().capture.is_none() {
            self.show_tab(self.tab_count() - 1);
        }
        id
    }

    /// Names the shown tab as the proxy's listener, where the proxy's own
    /// notes go.
    pub fn become_listener(&mut self, title: &str) {
        self.session_mut().title = Some(title.to_string());
        self.proxy = Some(ProxyState::default());
    }

    /// Interception rules set for new captures since the last call.
    pub fn take_proxy_rules(&mut self) -> Vec<Option<crate::conn::InterceptRule>> {
        self.proxy
            .as_mut()
            .map(|p| std::mem::take(&mut p.rule_changes))
            .unwrap_or_default()
    }

    /// A note from the proxy about a client or the listener, in the first
    /// tab's log (the listener's).
    pub fn on_proxy_note(&mut self, error: bool, text: &str) {
        let level = if error { NoteLevel::Warning } else { NoteLevel::Info };
        if let Some(listener) = self.tabs.get_mut(0) {
            listener.log_note(std::time::SystemTime::now(), level, text, &mut self.shared);
        }
    }

    /// Sends the composer's message to the client of a captured
    /// connection, as if from the server.
    pub(super) fn send_to_client(&mut self) {
        let (session, shared) = self.session_and_shared();
        if session.capture.is_none() {
            shared.notify(
                NoteLevel::Warning,
                "only a captured connection (wscope proxy) has a client to send to",
            );
            return;
        }
        let queued = session.outbox.len();
        session.send(shared);
        for command in &mut session.outbox[queued..] {
            if let ConnCommand::Send(outgoing) = command {
                *command = ConnCommand::Capture(CaptureCommand::SendToClient(outgoing.clone()));
            }
        }
    }
}

impl Session {
    fn show_capture(&mut self, captured: &CapturedTab, shared: &mut Shared) {
        let mut profile = self.current_profile();
        profile.url = captured.url.clone();
        profile.headers = captured
            .request_headers
            .iter()
            .map(|(name, value)| KvRow::new(name, value))
            .collect();
        self.fill_panes(&profile, shared);
        // Read as the URL and the run's choices say (a /socket.io/ path is
        // Socket.IO); the upgrade's own headers are the client's, not ours
        // to check.
        profile.headers.clear();
        if let Ok(request) = resolve_request(&profile, &shared.resolver, None) {
            self.read_as(request, shared);
        }
        self.capture = Some(Capture {
            id: captured.id,
            client: captured.client.clone(),
            name: format!("⇄ {}", super::tabs::url_name(&captured.url, false)),
            name_with_port: format!("⇄ {}", super::tabs::url_name(&captured.url, true)),
        });
        self.connection.state = ConnState::Connecting {
            url: captured.url.clone(),
            since: std::time::Instant::now(),
        };
        self.log_note(
            std::time::SystemTime::now(),
            NoteLevel::Info,
            &format!("captured connection #{} from {}", captured.id, captured.client),
            shared,
        );
    }
}
