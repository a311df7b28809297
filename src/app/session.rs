//! One connection's state: its request, its frames and the view of them,
//! its settings, and the commands queued for its connection task.

use std::time::Duration;

use ratatui_textarea::TextArea;

use super::Shared;
use super::compose;
use super::file_requests::StoreRequest;
use super::frames_view::FramesView;
use super::kv_table::KvTable;
use super::profiles::{HistoryState, ProfileState};
use super::{ConnectionView, Detail, Search, pairing, schedule};
use crate::conn::{ConnCommand, ConnState};
use crate::filter::{FilterSpec, Matches};
use crate::frames::FrameLog;
use crate::frames::NoteLevel;
use crate::json_check::JsonStatus;
use crate::profile::resolve::ResolveError;
use crate::profile::vars::{Foreign, Resolver};

/// Everything about one connection: its state, and as methods, its
/// behaviour (sending, filters, search, the detail view, pairing,
/// schedules, flows, protocol views and its connection's events). Any
/// session acts the same shown or not; what it needs of the app comes in
/// as an argument ([`Shared`]). Nothing outside it reaches into its
/// connection, which it talks to only through the commands it queues.
pub struct Session {
    /// Which tab this is, for routing its connection's events.
    pub tab: super::tabs::TabId,
    /// Frames that arrived while the tab was in the background.
    pub unseen: u64,
    /// The recording opened in this tab (`wscope open`): `file, N frames, span`.
    pub recording: Option<String>,
    /// The connection this tab shows, when the proxy captured it: its
    /// client connects, not this tab.
    pub capture: Option<super::captures::Capture>,
    /// A captured client's first frame was read for what it tells of the
    /// protocol (see `settle_by_client`).
    pub(super) client_settled: bool,
    /// What a captured tab intercepts and holds.
    pub interception: super::intercept::Interception,
    /// A name for the tab bar that no request gives (the proxy's listener).
    pub title: Option<String>,
    /// `--ack`: Socket.IO emits ask for an ack.
    pub ack_emits: bool,
    /// The emit being sent asks for an ack (Alt-a), whatever `ack_emits` says.
    pub ack_next: bool,
    /// Protocol keep-alives are shown as frames rather than only counted.
    pub show_keepalives: bool,
    /// How binary frames are decoded (`--decode`, `--proto`).
    pub payloads: crate::decode::PayloadDecoder,
    /// What `payloads` was built from, once it built with its schema.
    pub payloads_source: Option<crate::decode::DecoderSource>,
    /// GraphQL operations read off this connection's frames.
    pub operations: crate::protocol::graphql::Operations,
    /// Whether frames are read for operations (the connection speaks GraphQL).
    pub track_operations: bool,
    /// Body lines the detail view shows, as last drawn.
    pub detail_height: usize,
    /// The id the next JSON-RPC call gets.
    pub next_call_id: u64,
    pub url: TextArea<'static>,
    pub message: TextArea<'static>,
    pub params: KvTable,
    pub headers: KvTable,
    pub frames: FrameLog,
    /// The shape of this connection's traffic, for the stats view; kept
    /// for frames the history cap drops.
    pub stats: crate::stats::Stats,
    /// How frames become the figures' samples.
    pub stats_feed: crate::stats::Feed,
    pub frames_view: FramesView,
    pub connection: ConnectionView,
    /// The keepalive period, shown in help and status.
    pub ping_interval: Option<Duration>,
    /// Whether the connection task reconnects after drops.
    pub reconnect: bool,
    /// `--insecure`: certificates are not checked, which the status bar says.
    pub insecure: bool,
    /// `--proxy` from the command line, over the profile's and the environment's.
    pub proxy_override: Option<String>,
    /// Cached because the URL is validated on every keystroke, not every draw.
    pub url_check: Result<String, ResolveError>,
    /// The open profile, if any, and what the panes do not show.
    pub profile: ProfileState,
    pub history: HistoryState,
    /// What narrows the frames view, and the entries that pass.
    pub filter: FilterSpec,
    pub matches: Matches,
    pub search: Option<Search>,
    pub detail: Option<Detail>,
    /// When the current connection opened, for "time since connect".
    pub opened_at: Option<std::time::SystemTime>,
    /// The request of the current or last connection, for HAR exports.
    pub last_request: Option<crate::request::ResolvedRequest>,
    /// How the composer's text is sent.
    pub send_mode: compose::SendMode,
    /// A message being sent every few seconds, if any.
    pub schedule: Option<schedule::Schedule>,
    /// Request/response pairs found by id.
    pub pairing: pairing::Pairing,
    /// Columns available to connection-event text in the frames view.
    pub(super) note_width: usize,
    /// Cached because a large message would otherwise be re-parsed every draw.
    pub json_status: JsonStatus,
    /// In a binary send mode, what the composer's text parses to, cached
    /// for the same reason.
    pub binary_status: Option<Result<compose::BinaryInput, String>>,
    /// Text put in the composer from a frame (`e`). While the composer
    /// still holds exactly this, it is foreign text, sent as it is.
    pub(super) loaded: Option<Foreign>,
    /// The size of the `@file` the composer names, once looked up: the
    /// path, and its size or why it cannot be read.
    pub file_info: Option<(String, Result<u64, String>)>,
    /// A flow running on this connection (F5).
    pub flow: Option<super::flows::ActiveFlow>,
    /// The flow last saved or run, offered by F5.
    pub last_flow: Option<String>,
    /// A flow loaded to run once the connection opens.
    pub pending_flow: Option<crate::app::file_requests::LoadedFlow>,
    /// Sent texts and the composer text they came from, for F6.
    pub sent_templates: super::flows::SentTemplates,
    pub(super) outbox: Vec<ConnCommand>,
}

/// The composer's text as it is to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Composed {
    /// Written by the user: its `{{variables}}` are filled in, and in a
    /// binary mode `@path` sends a file.
    Template(String),
    /// Loaded from a frame and not edited: sent as it is.
    Foreign(Foreign),
}

impl Session {
    /// The URL text as typed.
    pub fn url_text(&self) -> String {
        self.url.lines().join("")
    }

    /// The message as it would be sent.
    pub fn message_text(&self) -> String {
        self.message.lines().join("\n")
    }

    /// What the composer holds, as it is to be sent: foreign text loaded
    /// from a frame and not edited since, else the user's template.
    pub(crate) fn composed(&self) -> Composed {
        let text = self.message_text();
        match &self.loaded {
            Some(foreign) if foreign.as_str() == text => Composed::Foreign(foreign.clone()),
            _ => Composed::Template(text),
        }
    }

    /// Whether a connection is open or on its way (closing, reconnecting).
    pub fn is_live(&self) -> bool {
        matches!(
            self.connection.state,
            ConnState::Connecting { .. } | ConnState::Open { .. } | ConnState::Closing | ConnState::Reconnecting { .. }
        )
    }

    /// Commands for this session's connection task queued since the last call.
    pub fn take_commands(&mut self) -> Vec<ConnCommand> {
        std::mem::take(&mut self.outbox)
    }

    /// The columns connection events wrap at, as last drawn.
    pub fn note_width(&self) -> usize {
        self.note_width
    }

    /// Logs a connection-event row. Its text is kept whole; the frames pane
    /// wraps it to the width it is drawn at.
    pub fn log_note(&mut self, at: std::time::SystemTime, level: NoteLevel, text: &str, shared: &mut Shared) {
        self.frames.push_note_at(at, level, text);
        self.after_push(shared);
    }

    /// Re-checks the composer's text after it changed (or its mode did).
    pub(crate) fn refresh_message_status(&mut self, shared: &mut Shared) {
        let composed = self.composed();
        let (text, files) = match &composed {
            Composed::Template(text) => (text.as_str(), true),
            Composed::Foreign(foreign) => (foreign.as_str(), false),
        };
        self.json_status = crate::json_check::check(text);
        self.binary_status = (self.send_mode != compose::SendMode::Text)
            .then(|| compose::parse_binary(self.send_mode, text, files, &self.payloads));
        // The file's size shows before anything is sent.
        if let Some(Ok(compose::BinaryInput::File(path))) = &self.binary_status
            && self.file_info.as_ref().is_none_or(|(known, _)| known != path)
        {
            self.file_info = None;
            shared.store_outbox.push(StoreRequest::StatFile { path: path.clone() });
        }
    }

    /// Re-checks the request after the URL, a row or the environment changed.
    pub(crate) fn revalidate_request(&mut self, resolver: &Resolver) {
        // A captured connection's request is its client's, as it was sent.
        if self.capture.is_some() {
            self.url_check = Ok(self.url_text());
            return;
        }
        self.url_check = self.resolved_request(resolver).map(|r| r.url.to_string());
    }

    /// The protocol of the current or last connection.
    pub fn protocol(&self) -> crate::protocol::Protocol {
        self.last_request
            .as_ref()
            .map(|r| r.protocol.clone())
            .unwrap_or_default()
    }

    /// Takes the run's settings: TLS, proxy, reconnecting, pings, acks,
    /// and the command line's protocol and decoder choices over its
    /// request's own.
    pub(super) fn start_from(&mut self, defaults: &crate::settings::TabDefaults, shared: &mut super::Shared) {
        self.insecure = defaults.insecure;
        self.proxy_override = defaults.proxy.clone();
        self.ack_emits = defaults.ack;
        self.reconnect = defaults.reconnects(Some(&self.profile.extras));
        self.ping_interval = defaults.ping_interval;
        defaults.protocol.lay_over(&mut self.profile.extras);
        self.reload_payload_decoder(shared);
    }

    /// A session for a new request (a tab not yet given its id: 1).
    pub fn blank(
        url: TextArea<'static>,
        message: TextArea<'static>,
        params: Vec<crate::record::KvRow>,
        headers: Vec<crate::record::KvRow>,
        ping_interval: Option<Duration>,
    ) -> Self {
        use super::kv_table::TableKind;
        use super::*;
        Session {
            tab: 1,
            unseen: 0,
            recording: None,
            capture: None,
            client_settled: false,
            interception: Default::default(),
            title: None,
            ack_emits: false,
            ack_next: false,
            show_keepalives: false,
            operations: Default::default(),
            payloads: Default::default(),
            payloads_source: None,
            track_operations: false,
            detail_height: 10,
            next_call_id: 1,
            url,
            message,
            params: KvTable::new(TableKind::Params, params),
            headers: KvTable::new(TableKind::Headers, headers),
            frames: FrameLog::default(),
            stats: Default::default(),
            stats_feed: Default::default(),
            frames_view: FramesView::default(),
            connection: ConnectionView {
                state: ConnState::Idle,
                handshake: None,
                rtt: LatencyStats::default(),
                reply: LatencyStats::default(),
                url: None,
                hidden: 0,
            },
            ping_interval,
            reconnect: false,
            insecure: false,
            proxy_override: None,
            url_check: Err(ResolveError::Request(RequestError::Url(UrlProblem::Empty))),
            profile: ProfileState::default(),
            history: HistoryState::default(),
            filter: FilterSpec::default(),
            matches: Matches::default(),
            search: None,
            detail: None,
            opened_at: None,
            last_request: None,
            send_mode: compose::SendMode::Text,
            schedule: None,
            pairing: pairing::Pairing::default(),
            note_width: 64,
            json_status: JsonStatus::Empty,
            binary_status: None,
            loaded: None,
            file_info: None,
            flow: None,
            pending_flow: None,
            last_flow: None,
            sent_templates: Default::default(),
            outbox: Vec::new(),
        }
    }
}
