//! All UI state and the pure update functions that change it.
//!
//! Nothing here does I/O: keys, pastes and connection events come in,
//! [`ConnCommand`]s queue up in an outbox for the event loop to deliver, and
//! rendering reads the state. That makes the whole app testable by scripting
//! input.
//!
//! May import: `action`, `body`, `conn`, `decode`, `export`, `filter`,
//! `flow`, `format`, `frames`, `jq`, `json_check`, `keymap`, `payload`,
//! `profile`, `protocol`, `record`, `recording`, `request`, `sanitize`,
//! `secrets`, `settings`, `stats`.

mod actions;
pub mod captures;
pub mod compose;
mod confirm;
pub mod connections_list;
mod detail;
mod events;
mod figures;
pub mod file_requests;
mod filtering;
pub mod flows;
pub mod frames_view;
mod inspect;
pub mod intercept;
pub mod kv_table;
pub mod merged;
mod messages;
mod notes;
pub mod overlay;
pub mod pairing;
mod picker;
pub mod profiles;
mod prompts;
mod recording;
pub mod row_editor;
pub mod schedule;
mod scroll;
mod selection;
mod sending;
pub mod session;
mod shared;
pub mod stats_view;
pub mod tab_order;
pub mod tabs;
mod timeline;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::style::{Modifier, Style};
use ratatui_textarea::{CursorMove, TextArea};

pub use crate::profile::resolve::ResolveError;
pub use confirm::{Answer, Confirm};
pub use detail::Detail;
pub use filtering::{Search, matches_search};
pub use messages::{MessageEntry, MessagesList};
pub use notes::{closed_text, state_summary};
pub use overlay::Overlay;
pub use picker::Picker;
pub use prompts::{Prompt, PromptPurpose};
pub use selection::MAX_CLIPBOARD;
pub use session::Session;
pub use shared::Shared;

use crate::action::Action;
use crate::conn::latency::LatencyStats;
use crate::conn::{ConnCommand, ConnEvent, ConnState};
use crate::filter::{FilterSpec, Matches};
use crate::frames::{FrameLog, NoteLevel};
use crate::json_check::JsonStatus;
use crate::keymap::{self, Scope};
use crate::profile::Profile;
use crate::profile::vars::Environments;
use crate::record::{FrameRecord, HandshakeReport, KvRow};
use crate::request::{RequestError, UrlProblem};
use frames_view::FramesView;
use kv_table::KvTable;
use profiles::{HistoryState, ProfileState};
use row_editor::RowEditor;

/// The panes, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Url,
    Message,
    Params,
    Headers,
    Frames,
}

impl Focus {
    const ORDER: [Focus; 5] = [Self::Url, Self::Message, Self::Params, Self::Headers, Self::Frames];

    fn step(self, forward: bool) -> Self {
        let i = Self::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        let n = Self::ORDER.len();
        Self::ORDER[if forward { (i + 1) % n } else { (i + n - 1) % n }]
    }
}

/// What the user typed at start-up, from the command line.
#[derive(Debug, Clone, Default)]
pub struct InitialRequest {
    pub url: String,
    pub message: String,
    pub params: Vec<KvRow>,
    pub headers: Vec<KvRow>,
}

/// A one-line message in the footer until the next key press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: NoteLevel,
    pub text: String,
}

/// What the app knows about the connection, as reported by the connection task.
#[derive(Debug, Clone)]
pub struct ConnectionView {
    pub state: ConnState,
    pub handshake: Option<HandshakeReport>,
    pub rtt: LatencyStats,
    pub reply: LatencyStats,
    /// The URL of the current or last attempt.
    pub url: Option<String>,
    /// Frames the protocol kept out of view on this connection (heartbeats).
    pub hidden: u64,
}

/// The whole UI state: what is app-wide (focus, overlays and key routing,
/// the key map, the tabs and their order, the draft), and the sessions,
/// one per tab, each owning its connection's state and behaviour.
pub struct App {
    pub focus: Focus,
    pub row_editor: Option<RowEditor>,
    pub show_help: bool,
    /// Rows the help overlay is scrolled by (the drawing keeps it within
    /// the list).
    pub help_scroll: u16,
    /// What the help overlay's list is narrowed to, as typed.
    pub help_query: String,
    pub reveal_secrets: bool,
    /// What every session may use of the app (the resolver, the notice,
    /// the clipboard, the file worker's queue).
    pub shared: Shared,
    pub environments: Environments,
    pub prompt: Option<Prompt>,
    pub picker: Option<Picker>,
    pub messages: Option<MessagesList>,
    /// The GraphQL operations list, when open: the selected row.
    pub operations_list: Option<usize>,
    /// The stats view, while open.
    pub stats_view: Option<stats_view::StatsView>,
    /// The captured connections list, when open.
    pub connections_list: Option<connections_list::ConnectionsList>,
    /// The focused pane fills the screen.
    pub zoom: bool,
    /// Text to open in `$EDITOR`, taken by the event loop.
    pub edit_request: Option<String>,
    /// The key map in use (defaults plus the config's remapping).
    pub keymap: keymap::Keymap,
    /// The merged timeline of every tab (Alt-m), when shown.
    pub timeline: Option<merged::TimelineView>,
    /// `--workspace NAME`: the open tabs are saved under it on the way out.
    pub workspace_name: Option<String>,
    /// The next tab's frames are shown beside this tab's (Alt-s).
    pub split: bool,
    /// Every session, in tab order, and the one shown.
    pub tabs: tabs::Tabs,
    /// What each tab starts from (the run's TLS, proxy and protocol
    /// choices), settled once by `Settings::resolve`.
    tab_defaults: crate::settings::TabDefaults,
    /// Tabs opened and closed, for the event loop to start and end their
    /// connection tasks.
    tab_changes: Vec<tabs::TabChange>,
    /// `wscope proxy`: the listener's tab and the interception rule new
    /// captures start with.
    pub proxy: Option<captures::ProxyState>,
    pub confirm: Option<Confirm>,
    /// The request as last written to the draft file.
    last_draft: Option<Profile>,
    /// A restored draft waiting for its profile's saved state.
    restoring_draft: Option<Profile>,
    /// Why the last draft write failed, if it did: the quit dialog must
    /// not promise a draft that is not there.
    pub draft_error: Option<String>,
    quit: bool,
}

/// Shows or hides an editor's cursor; only the focused editor shows one.
pub(crate) fn show_cursor(area: &mut TextArea<'_>, visible: bool) {
    let style = if visible {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new()
    };
    area.set_cursor_style(style);
}

fn editor(text: &str) -> TextArea<'static> {
    let mut area = TextArea::new(text.lines().map(str::to_string).collect());
    area.set_cursor_line_style(Style::new());
    area.move_cursor(CursorMove::Bottom);
    area.move_cursor(CursorMove::End);
    area
}

impl App {
    /// A new app with panes pre-filled from `initial`.
    pub fn new(initial: InitialRequest, ping_interval: Option<Duration>) -> Self {
        let mut url = editor(initial.url.lines().next().unwrap_or_default());
        url.set_placeholder_text("ws://host:port/path");
        let mut message = editor(&initial.message);
        message.set_placeholder_text(r#"{"message":"Hello world"}"#);
        let mut app = Self {
            focus: Focus::Url,
            row_editor: None,
            show_help: false,
            help_scroll: 0,
            help_query: String::new(),
            reveal_secrets: false,
            shared: Shared::default(),
            environments: Environments::new(),
            prompt: None,
            picker: None,
            messages: None,
            operations_list: None,
            stats_view: None,
            connections_list: None,
            zoom: false,
            edit_request: None,
            keymap: keymap::Keymap::default(),
            confirm: None,
            restoring_draft: None,
            last_draft: None,
            draft_error: None,
            quit: false,
            tab_defaults: crate::settings::TabDefaults {
                ping_interval,
                ..Default::default()
            },
            tabs: tabs::Tabs::new(Session::blank(
                url,
                message,
                initial.params,
                initial.headers,
                ping_interval,
            )),
            timeline: None,
            workspace_name: None,
            split: false,
            tab_changes: Vec::new(),
            proxy: None,
        };
        app.revalidate_request();
        app.refresh_message_status();
        app.sync_cursors();
        app
    }

    /// Takes the result of editing the message in `$EDITOR`.
    pub fn finish_edit(&mut self, result: Result<String, String>) {
        match result {
            Ok(text) => {
                self.tabs.active_mut().message = editor(&text);
                self.refresh_message_status();
                self.focus = Focus::Message;
                self.sync_cursors();
            }
            Err(error) => self.notify(NoteLevel::Error, error),
        }
    }

    /// Puts the cursor in the focused editor only, so it is clear where typing goes.
    fn sync_cursors(&mut self) {
        let in_panes = !self.overlay_open();
        show_cursor(&mut self.tabs.active_mut().url, in_panes && self.focus == Focus::Url);
        show_cursor(
            &mut self.tabs.active_mut().message,
            in_panes && self.focus == Focus::Message,
        );
        if let Some(editor) = &mut self.row_editor {
            editor.sync_cursors();
        }
    }

    /// Whether the user asked to quit.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// How often the screen must refresh on its own (for running clocks), if at all.
    pub fn tick_interval(&self) -> Option<Duration> {
        match self.tabs.active().connection.state {
            ConnState::Connecting { .. } => Some(Duration::from_millis(100)),
            ConnState::Reconnecting { .. } => Some(Duration::from_millis(250)),
            ConnState::Open { .. } => Some(Duration::from_secs(1)),
            _ => None,
        }
    }

    /// Whether something covers the panes and takes the keys.
    pub fn overlay_open(&self) -> bool {
        self.top_overlay().is_some()
    }

    /// The key scopes active now, most specific first: the top overlay's,
    /// else the focused pane's; then the global keys.
    pub fn scopes(&self) -> Vec<Scope> {
        if let Some(overlay) = self.top_overlay() {
            return vec![overlay.scope(), Scope::Global];
        }
        match self.focus {
            Focus::Url => vec![Scope::Url, Scope::Global],
            Focus::Message => vec![Scope::Message, Scope::Global],
            Focus::Params => vec![Scope::Table, Scope::Global],
            Focus::Headers => vec![Scope::Headers, Scope::Table, Scope::Global],
            Focus::Frames => vec![Scope::Frames, Scope::Global],
        }
    }

    /// Handles one key press: a bound key becomes an action; anything else
    /// goes to the focused text editor, if there is one.
    pub fn handle_key(&mut self, key: KeyEvent) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        self.shared.notice = None;
        let scopes = self.scopes();
        // A text field gets the characters typed into it before the key
        // map is asked, so no binding can take a character away from it.
        let typing = is_printable(&key)
            && scopes
                .first()
                .is_some_and(|scope| scope.takes_text() && *scope != Scope::Global);
        if !typing && let Some(action) = self.keymap.lookup(&scopes, &key) {
            self.update(action);
            self.sync_cursors();
            return;
        }
        // Not a bound key: it is text, for whatever takes text on top.
        match self.top_overlay() {
            Some(Overlay::Prompt) => {
                if let Some(prompt) = &mut self.prompt
                    && !inserts_newline(&key)
                {
                    prompt.input.input(key);
                }
                return;
            }
            Some(Overlay::Picker) => {
                if let Some(picker) = &mut self.picker
                    && !inserts_newline(&key)
                    && picker.filter.input(key)
                {
                    picker.selected = 0;
                }
                return;
            }
            Some(Overlay::RowEditor) => {
                if let Some(editor) = &mut self.row_editor
                    && !inserts_newline(&key)
                {
                    editor.active_field().input(key);
                }
                return;
            }
            Some(Overlay::Help) => {
                // Typing narrows the list to the actions that mention it.
                match key.code {
                    KeyCode::Char(c) if is_printable(&key) => self.help_query.push(c),
                    KeyCode::Backspace => {
                        self.help_query.pop();
                    }
                    _ => return,
                }
                self.help_scroll = 0;
                return;
            }
            Some(
                Overlay::Confirm
                | Overlay::Messages
                | Overlay::Operations
                | Overlay::Connections
                | Overlay::Stats
                | Overlay::Detail,
            ) => {
                return;
            }
            None => {}
        }
        if self.focus == Focus::Message && key.modifiers.is_empty() {
            let row = self.tabs.active_mut().message.cursor().0;
            let last_row = self.tabs.active_mut().message.lines().len().saturating_sub(1);
            let browsed = match key.code {
                KeyCode::Up if row == 0 => self.tabs.active_mut().browse_history(true, &mut self.shared),
                KeyCode::Down if row == last_row && self.tabs.active_mut().history.position.is_some() => {
                    self.tabs.active_mut().browse_history(false, &mut self.shared)
                }
                _ => false,
            };
            if browsed {
                return;
            }
        }
        match self.focus {
            Focus::Url if !inserts_newline(&key) && self.tabs.active_mut().url.input(key) => self.revalidate_request(),
            Focus::Message if self.tabs.active_mut().message.input(key) => {
                self.refresh_message_status();
            }
            _ => {}
        }
    }

    /// Handles pasted text (bracketed paste) into the focused editor.
    pub fn handle_paste(&mut self, text: &str) {
        self.shared.notice = None;
        match self.top_overlay() {
            Some(Overlay::Prompt) => {
                if let Some(prompt) = &mut self.prompt {
                    // A pasted multi-line curl command is one command.
                    let joined = text
                        .replace("\\\r\n", " ")
                        .replace("\\\n", " ")
                        .replace(['\r', '\n'], " ");
                    prompt.input.insert_str(joined);
                }
                return;
            }
            Some(Overlay::Picker) => {
                if let Some(picker) = &mut self.picker {
                    picker.filter.insert_str(one_line(text));
                }
                return;
            }
            Some(Overlay::RowEditor) => {
                if let Some(editor) = &mut self.row_editor {
                    editor.active_field().insert_str(one_line(text));
                }
                return;
            }
            Some(Overlay::Help) => {
                self.help_query.push_str(&one_line(text));
                self.help_scroll = 0;
                return;
            }
            Some(_) => return,
            None => {}
        }
        match self.focus {
            Focus::Url => {
                self.tabs.active_mut().url.insert_str(one_line(text));
                self.revalidate_request();
            }
            Focus::Message => {
                self.tabs
                    .active_mut()
                    .message
                    .insert_str(text.replace("\r\n", "\n").replace('\r', "\n"));
                self.refresh_message_status();
            }
            _ => self.notify(NoteLevel::Warning, "paste into the URL, Message or a row editor"),
        }
    }

    /// Tells the app how large the frames view is: `rows` for paging, and
    /// `note_width` columns, at which connection events wrap when drawn.
    pub fn set_frames_size(&mut self, rows: usize, note_width: usize) {
        self.tabs.active_mut().frames_view.height = rows.max(1);
        if let Some(timeline) = &mut self.timeline {
            timeline.scroll.height = rows.max(1);
        }
        self.tabs.active_mut().note_width = note_width.max(20);
    }

    /// Tells the app how many body lines the detail view shows, for paging.
    pub fn set_detail_height(&mut self, rows: usize) {
        self.tabs.active_mut().detail_height = rows.max(1);
    }

    /// Says `text` in the footer until the next key press.
    fn notify(&mut self, level: NoteLevel, text: impl Into<String>) {
        self.shared.notify(level, text);
    }

    /// The footer's notice, if any.
    pub fn notice(&self) -> Option<&Notice> {
        self.shared.notice.as_ref()
    }

    /// Re-checks the shown tab's request after it changed.
    fn revalidate_request(&mut self) {
        self.tabs.active_mut().revalidate_request(&self.shared.resolver);
    }

    /// Re-checks the shown tab's composer after it changed.
    pub(crate) fn refresh_message_status(&mut self) {
        self.tabs.active_mut().refresh_message_status(&mut self.shared);
    }
}

/// A key that types a character.
fn is_printable(key: &KeyEvent) -> bool {
    matches!(key.code, KeyCode::Char(_)) && !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
}

/// Single-line editors must never gain a second line.
fn inserts_newline(key: &KeyEvent) -> bool {
    key.code == KeyCode::Enter || (key.code == KeyCode::Char('m') && key.modifiers.contains(KeyModifiers::CONTROL))
}

fn one_line(text: &str) -> String {
    text.lines().map(str::trim).collect::<Vec<_>>().join("")
}
