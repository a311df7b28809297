//! The one table of key bindings. It drives input handling, the F1 help
//! overlay, the footer hints and the guide's key map (docs/keys.md), so they cannot drift.
//!
//! Longer than most modules on purpose: the table itself is a third of it,
//! and splitting the table from the lookups, labels and parser that read it
//! would put one job in two places. Its tests are another third.
//!
//! May import: `action`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::action::Action;

/// Where a binding applies. The focused pane's scopes are searched before
/// [`Scope::Global`], so a pane can give a key its own meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Url,
    Message,
    /// Both the Params and Headers tables.
    Table,
    Headers,
    Frames,
    RowEditor,
    Help,
    Prompt,
    Picker,
    Confirm,
    Messages,
    Detail,
    Operations,
    /// The captured connections list (`wscope proxy`).
    Connections,
    /// The stats view.
    Stats,
}

impl Scope {
    /// Section heading in the help overlay and the guide.
    /// Whether keys in this scope can reach a text field (every scope
    /// that is active while the URL, Message, a row editor, a prompt or the
    /// picker's filter takes typing).
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            Self::Global | Self::Url | Self::Message | Self::RowEditor | Self::Prompt | Self::Picker | Self::Help
        )
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Global => "Anywhere",
            Self::Url => "URL pane",
            Self::Message => "Message pane",
            Self::Table => "Params and Headers panes",
            Self::Headers => "Headers pane",
            Self::Frames => "Frames pane",
            Self::RowEditor => "Row editor",
            Self::Help => "Help overlay",
            Self::Prompt => "Name prompt",
            Self::Picker => "Profile picker (Ctrl-P)",
            Self::Confirm => "Questions",
            Self::Messages => "Saved messages (F2)",
            Self::Operations => "GraphQL operations (o)",
            Self::Connections => "Captured connections (Alt-l)",
            Self::Stats => "Stats view (s, F8)",
            Self::Detail => "Frame detail (Enter on a frame)",
        }
    }
}

/// A key with its modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyCombo {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

const fn key(code: KeyCode) -> KeyCombo {
    KeyCombo {
        code,
        modifiers: KeyModifiers::NONE,
    }
}

const fn ctrl(c: char) -> KeyCombo {
    KeyCombo {
        code: KeyCode::Char(c),
        modifiers: KeyModifiers::CONTROL,
    }
}

const fn alt(code: KeyCode) -> KeyCombo {
    KeyCombo {
        code,
        modifiers: KeyModifiers::ALT,
    }
}

const fn ctrl_key(code: KeyCode) -> KeyCombo {
    KeyCombo {
        code,
        modifiers: KeyModifiers::CONTROL,
    }
}

const fn ch(c: char) -> KeyCombo {
    key(KeyCode::Char(c))
}

/// One line of the key table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub scope: Scope,
    pub keys: &'static [KeyCombo],
    pub action: Action,
    /// What the help overlay says.
    pub description: &'static str,
    /// A short word for the footer, for the bindings worth a hint.
    pub hint: Option<&'static str>,
}

const fn bind(
    scope: Scope,
    keys: &'static [KeyCombo],
    action: Action,
    description: &'static str,
    hint: Option<&'static str>,
) -> Binding {
    Binding {
        scope,
        keys,
        action,
        description,
        hint,
    }
}

use Scope::*;

/// Every binding, in help-overlay order. Keys avoid Ctrl-Enter, Shift-Enter
/// and the kitty protocol: they must work in tmux and a plain xterm over SSH.
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    bind(Global, &[ctrl('j'), alt(KeyCode::Enter)], Action::Send, "send the message", Some("send")),
    bind(Global, &[alt(KeyCode::Char('j'))], Action::SendToClient, "captured tab: send the message to the client", Some("send-to-client")),
    bind(Global, &[alt(KeyCode::Char('i'))], Action::Intercept, "captured tab: intercept frames (or stop)", Some("intercept")),
    bind(Global, &[alt(KeyCode::Char('x'))], Action::DropHeld, "captured tab: drop the held frame", None),
    bind(Global, &[alt(KeyCode::Char('f'))], Action::ForwardAllHeld, "captured tab: forward every held frame", None),
    bind(Global, &[alt(KeyCode::Char('l'))], Action::OpenConnections, "captured connections list", None),
    bind(Global, &[alt(KeyCode::Char('a'))], Action::SendAskingAck, "emit with an ack", None),
    bind(Global, &[ctrl('o')], Action::ToggleConnection, "connect / disconnect", Some("connect")),
    bind(Global, &[key(KeyCode::Tab)], Action::FocusNext, "next pane", None),
    bind(Global, &[key(KeyCode::BackTab)], Action::FocusPrevious, "previous pane", None),
    bind(Global, &[alt(KeyCode::Char('1'))], Action::FocusUrl, "focus URL", None),
    bind(Global, &[alt(KeyCode::Char('2'))], Action::FocusMessage, "focus Message", None),
    bind(Global, &[alt(KeyCode::Char('3'))], Action::FocusParams, "focus Params", None),
    bind(Global, &[alt(KeyCode::Char('4'))], Action::FocusHeaders, "focus Headers", None),
    bind(Global, &[alt(KeyCode::Char('5'))], Action::FocusFrames, "focus Frames", None),
    bind(Global, &[key(KeyCode::PageUp)], Action::PageUp, "frames: page up", None),
    bind(Global, &[key(KeyCode::PageDown)], Action::PageDown, "frames: page down", None),
    bind(Global, &[ctrl('l')], Action::ClearFrames, "clear the frames log", None),
    bind(Global, &[ctrl('s')], Action::SaveProfile, "save the profile", Some("save")),
    bind(Global, &[ctrl('p')], Action::OpenProfiles, "open profiles", Some("profiles")),
    bind(Global, &[ctrl('n')], Action::NextEnvironment, "next environment", None),
    bind(Global, &[ctrl('t')], Action::ToggleReconnect, "auto-reconnect", None),
    bind(Global, &[alt(KeyCode::Char('z'))], Action::ToggleZoom, "zoom the pane", None),
    bind(Global, &[key(KeyCode::F(3))], Action::CycleSendMode, "send as text / hex / base64", None),
    bind(Global, &[ctrl('e')], Action::OpenEditor, "edit message in $EDITOR", None),
    bind(Global, &[key(KeyCode::F(4))], Action::ToggleSchedule, "send every N s / stop", None),
    bind(Global, &[key(KeyCode::F(2))], Action::OpenMessages, "messages & history", Some("messages")),
    bind(Global, &[alt(KeyCode::Right), ctrl_key(KeyCode::PageDown)], Action::NextTab, "next tab", None),
    bind(Global, &[alt(KeyCode::Left), ctrl_key(KeyCode::PageUp)], Action::PreviousTab, "previous tab", None),
    bind(Global, &[alt(KeyCode::Char('t'))], Action::NewTab, "new tab", None),
    bind(Global, &[alt(KeyCode::Char('w'))], Action::CloseTab, "close tab (asks if connected)", None),
    bind(Global, &[alt(KeyCode::Char('m'))], Action::ToggleTimeline, "all tabs' frames in one timeline", None),
    bind(Global, &[alt(KeyCode::Char('s'))], Action::ToggleSplit, "next tab's frames beside", None),
    bind(Global, &[key(KeyCode::F(8))], Action::Stats, "stats: rate, types, latency, sizes", None),
    bind(Global, &[key(KeyCode::F(7))], Action::SendToAll, "send from every tab", None),
    bind(Global, &[key(KeyCode::F(5))], Action::ToggleFlow, "run a flow / stop it", None),
    bind(Global, &[key(KeyCode::F(6))], Action::SaveFlow, "save session as a flow", None),
    bind(Global, &[key(KeyCode::F(1))], Action::ToggleHelp, "show / hide help", Some("help")),
    bind(Global, &[ctrl('c'), ctrl('q')], Action::Quit, "quit", Some("quit")),
    bind(Url, &[key(KeyCode::Enter)], Action::Connect, "connect / reconnect", Some("connect")),
    bind(Table, &[key(KeyCode::Up), ch('k')], Action::RowUp, "previous row", None),
    bind(Table, &[key(KeyCode::Down), ch('j')], Action::RowDown, "next row", None),
    bind(Table, &[ch('a'), key(KeyCode::Insert)], Action::RowAdd, "add a row", Some("add")),
    bind(Table, &[key(KeyCode::Enter), ch('e')], Action::RowEdit, "edit the row", Some("edit")),
    bind(Table, &[ch('d'), key(KeyCode::Delete)], Action::RowDelete, "delete the row", Some("delete")),
    bind(Table, &[ch(' ')], Action::RowToggle, "enable / disable row", Some("on/off")),
    bind(Table, &[ch('r')], Action::ToggleSecrets, "reveal / hide secrets", Some("reveal")),
    bind(Frames, &[key(KeyCode::Up), ch('k')], Action::ScrollUp, "select previous", None),
    bind(Frames, &[key(KeyCode::Down), ch('j')], Action::ScrollDown, "select next", None),
    bind(Frames, &[key(KeyCode::Enter)], Action::OpenDetail, "show in full", Some("detail")),
    bind(Frames, &[key(KeyCode::Home), ch('g')], Action::ScrollTop, "oldest frame", None),
    bind(Frames, &[key(KeyCode::End), ch('G')], Action::ScrollBottom, "newest, follow", Some("follow")),
    bind(Frames, &[ch('f')], Action::EditFilter, "filter: regex or jq:", Some("filter")),
    bind(Frames, &[ch('d')], Action::CycleDirection, "filter direction", None),
    bind(Frames, &[ch('t')], Action::CycleKind, "filter kind", None),
    bind(Frames, &[ch('c')], Action::ClearFilter, "clear filters", None),
    bind(Frames, &[ch('/')], Action::Search, "search", Some("search")),
    bind(Frames, &[ch('n')], Action::SearchNext, "next match", None),
    bind(Frames, &[ch('N')], Action::SearchPrevious, "previous match", None),
    bind(Frames, &[ch('y')], Action::Copy, "copy payload", Some("copy")),
    bind(Frames, &[ch('r')], Action::Resend, "resend it", None),
    bind(Frames, &[ch('a')], Action::AckMessage, "ACK the message (STOMP client-ack)", None),
    bind(Frames, &[ch('A')], Action::NackMessage, "NACK the message (STOMP client-ack)", None),
    bind(Frames, &[ch('e')], Action::LoadIntoComposer, "edit in composer", None),
    bind(Frames, &[ch('x')], Action::ExportAll, "export all frames (NDJSON, or HAR for .har)", Some("export")),
    bind(Frames, &[ch('X')], Action::ExportFiltered, "export the frames the filter shows", None),
    bind(Frames, &[ch('p')], Action::SendPing, "ping (composer text)", None),
    bind(Frames, &[ch('C')], Action::SendClose, "close with code", None),
    bind(Frames, &[ch('h')], Action::ToggleKeepalives, "keep-alives on/off", None),
    bind(Frames, &[ch('o')], Action::OpenOperations, "GraphQL operations", None),
    bind(Frames, &[ch('s')], Action::Stats, "stats: rate, types, latency, sizes", Some("stats")),
    bind(Stats, &[key(KeyCode::Tab)], Action::StatsNextTable, "next table: types, sizes, gaps", Some("table")),
    bind(Stats, &[key(KeyCode::BackTab)], Action::StatsPreviousTable, "previous table", None),
    bind(Stats, &[key(KeyCode::Up), ch('k')], Action::StatsUp, "previous row", None),
    bind(Stats, &[key(KeyCode::Down), ch('j')], Action::StatsDown, "next row", None),
    bind(Stats, &[key(KeyCode::Enter)], Action::StatsShowFrames, "show its frames (gap: jump to it)", Some("frames")),
    bind(Stats, &[ch('g')], Action::StatsGroupBy, "group types by jq:EXPR", Some("group by")),
    bind(Stats, &[ch('b')], Action::StatsToggleBytes, "chart frames/s or bytes/s", Some("bytes")),
    bind(Stats, &[ch('+'), ch('=')], Action::StatsZoomIn, "zoom in (recording, closed)", None),
    bind(Stats, &[ch('-')], Action::StatsZoomOut, "zoom out", None),
    bind(Stats, &[key(KeyCode::Left), ch('[')], Action::StatsEarlier, "earlier", None),
    bind(Stats, &[key(KeyCode::Right), ch(']')], Action::StatsLater, "later", None),
    bind(Stats, &[key(KeyCode::Esc), ch('q'), ch('s'), key(KeyCode::F(8))], Action::StatsClose, "close", Some("close")),
    bind(Detail, &[key(KeyCode::Up), ch('k')], Action::DetailUp, "scroll up", None),
    bind(Detail, &[key(KeyCode::Down), ch('j')], Action::DetailDown, "scroll down", None),
    bind(Detail, &[key(KeyCode::PageUp)], Action::DetailPageUp, "page up", None),
    bind(Detail, &[key(KeyCode::PageDown), ch(' ')], Action::DetailPageDown, "page down", None),
    bind(Detail, &[key(KeyCode::Home), ch('g')], Action::DetailTop, "first line", None),
    bind(Detail, &[key(KeyCode::End), ch('G')], Action::DetailBottom, "last line", None),
    bind(Detail, &[ch('/')], Action::DetailSearch, "search the payload", Some("search")),
    bind(Detail, &[ch('n')], Action::DetailSearchNext, "next match", None),
    bind(Detail, &[ch('b')], Action::DetailView, "decoded / hex / base64 / UTF-8", Some("view")),
    bind(Detail, &[key(KeyCode::Left), ch('[')], Action::DetailPrevious, "previous frame", Some("prev")),
    bind(Detail, &[key(KeyCode::Right), ch(']')], Action::DetailNext, "next frame", Some("next")),
    bind(Detail, &[ch('y')], Action::Copy, "copy payload", Some("copy")),
    bind(Detail, &[ch('e')], Action::LoadIntoComposer, "edit in composer", None),
    bind(Detail, &[key(KeyCode::Esc), ch('q'), key(KeyCode::Enter)], Action::DetailClose, "close", Some("close")),
    bind(RowEditor, &[key(KeyCode::Tab)], Action::EditNextField, "next field", Some("field")),
    bind(RowEditor, &[key(KeyCode::BackTab)], Action::EditPreviousField, "previous field", None),
    bind(RowEditor, &[key(KeyCode::Enter)], Action::EditCommit, "keep the row", Some("keep")),
    bind(RowEditor, &[key(KeyCode::Esc)], Action::EditCancel, "cancel", Some("cancel")),
    bind(Picker, &[key(KeyCode::Up)], Action::PickerUp, "previous profile", None),
    bind(Picker, &[key(KeyCode::Down)], Action::PickerDown, "next profile", None),
    bind(Picker, &[key(KeyCode::Enter)], Action::PickerOpen, "open it", Some("open")),
    bind(Picker, &[ctrl('r')], Action::PickerRename, "rename it", Some("rename")),
    bind(Picker, &[ctrl('d')], Action::PickerDuplicate, "duplicate it", Some("duplicate")),
    bind(Picker, &[key(KeyCode::Delete)], Action::PickerDelete, "delete it (asks)", Some("delete")),
    bind(Picker, &[ctrl('u')], Action::PickerImportCurl, "import a curl command", Some("curl")),
    bind(Picker, &[key(KeyCode::Esc)], Action::PickerClose, "close", Some("close")),
    bind(Messages, &[key(KeyCode::Up), ch('k')], Action::MessagesUp, "previous entry", None),
    bind(Messages, &[key(KeyCode::Down), ch('j')], Action::MessagesDown, "next entry", None),
    bind(Messages, &[key(KeyCode::Enter)], Action::MessagesLoad, "put it in the composer", Some("use")),
    bind(Messages, &[ch('s')], Action::MessagesSaveCurrent, "save the composer's text", Some("save current")),
    bind(Messages, &[ch('d'), key(KeyCode::Delete)], Action::MessagesDelete, "remove a saved message", Some("remove")),
    bind(Messages, &[ch('c')], Action::MessagesToggleOnConnect, "send on connect: on / off", Some("on connect")),
    bind(Messages, &[key(KeyCode::Esc), key(KeyCode::F(2))], Action::MessagesClose, "close", Some("close")),
    bind(Operations, &[key(KeyCode::Up), ch('k')], Action::OperationsUp, "previous operation", None),
    bind(Operations, &[key(KeyCode::Down), ch('j')], Action::OperationsDown, "next operation", None),
    bind(Operations, &[ch('s'), key(KeyCode::Delete)], Action::OperationsStop, "stop it", Some("stop")),
    bind(Operations, &[key(KeyCode::Esc), ch('q'), ch('o')], Action::OperationsClose, "close", Some("close")),
    bind(Connections, &[key(KeyCode::Up), ch('k')], Action::ConnectionsUp, "previous connection", None),
    bind(Connections, &[key(KeyCode::Down), ch('j')], Action::ConnectionsDown, "next connection", None),
    bind(Connections, &[key(KeyCode::PageUp)], Action::ConnectionsPageUp, "a page up", None),
    bind(Connections, &[key(KeyCode::PageDown)], Action::ConnectionsPageDown, "a page down", None),
    bind(Connections, &[key(KeyCode::Enter)], Action::ConnectionsShow, "show it as a tab", Some("show")),
    bind(Connections, &[ch('c')], Action::ConnectionsClear, "clear the closed ones", Some("clear closed")),
    bind(Connections, &[key(KeyCode::Esc), ch('q'), alt(KeyCode::Char('l'))], Action::ConnectionsClose, "close", Some("close")),
    bind(Prompt, &[key(KeyCode::Enter)], Action::PromptConfirm, "accept", Some("ok")),
    bind(Prompt, &[key(KeyCode::Esc)], Action::PromptCancel, "cancel", Some("cancel")),
    bind(Confirm, &[ch('y'), key(KeyCode::Enter)], Action::ConfirmYes, "yes", Some("yes")),
    bind(Confirm, &[ch('n'), key(KeyCode::Esc)], Action::ConfirmNo, "no", Some("no")),
    bind(Confirm, &[ch('s')], Action::ConfirmSave, "save first (when offered)", None),
    bind(Help, &[key(KeyCode::Esc)], Action::CloseHelp, "close the help", Some("close")),
    bind(Help, &[key(KeyCode::Up)], Action::HelpUp, "scroll up", None),
    bind(Help, &[key(KeyCode::Down)], Action::HelpDown, "scroll down", None),
    bind(Help, &[key(KeyCode::PageUp)], Action::HelpPageUp, "page up", None),
    bind(Help, &[key(KeyCode::PageDown)], Action::HelpPageDown, "page down", None),
];

impl KeyCombo {
    /// Whether the key types a character (no Ctrl or Alt).
    pub fn is_printable(&self) -> bool {
        matches!(self.code, KeyCode::Char(_)) && !self.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    }

    fn matches(&self, event: &KeyEvent) -> bool {
        // Terminals report Shift with upper-case letters and Shift-Tab;
        // the character itself already says it.
        let ignore_shift = matches!(event.code, KeyCode::Char(_) | KeyCode::BackTab);
        let mut modifiers = event.modifiers;
        if ignore_shift {
            modifiers.remove(KeyModifiers::SHIFT);
        }
        self.code == event.code && self.modifiers == modifiers
    }

    /// How the key is written in help and docs, e.g. `Ctrl-J`.
    pub fn label(&self) -> String {
        let mut label = String::new();
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            label.push_str("Ctrl-");
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            label.push_str("Alt-");
        }
        let name = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) if self.modifiers.contains(KeyModifiers::CONTROL) => c.to_ascii_uppercase().to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Up => "Up".into(),
            KeyCode::Down => "Down".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::PageUp => "PageUp".into(),
            KeyCode::PageDown => "PageDown".into(),
            KeyCode::Insert => "Insert".into(),
            KeyCode::Delete => "Delete".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        label.push_str(&name);
        label
    }

    /// A compact form for the footer, e.g. `^J`.
    pub fn short_label(&self) -> String {
        match self.code {
            KeyCode::Char(c) if self.modifiers == KeyModifiers::CONTROL => format!("^{}", c.to_ascii_uppercase()),
            _ => self.label(),
        }
    }
}

impl Binding {
    /// All keys of the binding, e.g. `Ctrl-C / Ctrl-Q`.
    pub fn keys_label(&self) -> String {
        keys_label(self.keys)
    }
}

fn keys_label(keys: &[KeyCombo]) -> String {
    keys.iter().map(KeyCombo::label).collect::<Vec<_>>().join(" / ")
}

/// One binding of the key map in use (the defaults with the user's
/// remapping applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveBinding {
    pub scope: Scope,
    pub keys: Vec<KeyCombo>,
    pub action: Action,
    pub description: &'static str,
    pub hint: Option<&'static str>,
}

impl ActiveBinding {
    /// All keys of the binding, e.g. `Ctrl-C / Ctrl-Q`.
    pub fn keys_label(&self) -> String {
        keys_label(&self.keys)
    }
}

/// The key map in use: one table for input, help, footer hints and docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<ActiveBinding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Self {
            bindings: BINDINGS
                .iter()
                .map(|b| ActiveBinding {
                    scope: b.scope,
                    keys: b.keys.to_vec(),
                    action: b.action,
                    description: b.description,
                    hint: b.hint,
                })
                .collect(),
        }
    }
}

/// The name of an action in `config.toml`, e.g. `toggle_connection`.
pub fn action_name(action: Action) -> String {
    let debug = format!("{action:?}");
    let mut name = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                name.push('_');
            }
            name.push(c.to_ascii_lowercase());
        } else {
            name.push(c);
        }
    }
    name
}

impl Keymap {
    /// The defaults with `overrides` (action name → keys) applied: the
    /// action gets exactly those keys, and they leave any other action of
    /// the same scope. Unknown actions or keys are errors naming them.
    pub fn with_overrides(overrides: &std::collections::BTreeMap<String, Vec<String>>) -> Result<Self, String> {
        let mut keymap = Self::default();
        for (name, keys) in overrides {
            let combos = keys
                .iter()
                .map(|k| parse_key(k).ok_or_else(|| format!("keys.{name}: unknown key {k:?}")))
                .collect::<Result<Vec<_>, _>>()?;
            let scopes: Vec<Scope> = keymap
                .bindings
                .iter()
                .filter(|b| action_name(b.action) == *name)
                .map(|b| b.scope)
                .collect();
            if scopes.is_empty() {
                return Err(format!("keys.{name}: no such action (see wscope config --init)"));
            }
            // Where text is typed, a printable key types; bound there, it
            // could never be typed again (`quit = ["q"]`).
            if let Some((combo, scope)) = combos
                .iter()
                .filter(|c| c.is_printable())
                .find_map(|c| scopes.iter().find(|s| s.takes_text()).map(|s| (c, s)))
            {
                return Err(format!(
                    "keys.{name}: {:?} is a key you type, and {name} is bound where text is typed \
                     ({}), so {:?} could no longer be typed; use a Ctrl-, Alt- or F key",
                    combo.label(),
                    scope.title(),
                    combo.label(),
                ));
            }
            for binding in &mut keymap.bindings {
                if action_name(binding.action) == *name {
                    binding.keys = combos.clone();
                } else if scopes.contains(&binding.scope) {
                    binding.keys.retain(|k| !combos.contains(k));
                }
            }
        }
        Ok(keymap)
    }

    /// The action bound to `event` in the first of `scopes` that binds it.
    pub fn lookup(&self, scopes: &[Scope], event: &KeyEvent) -> Option<Action> {
        scopes.iter().find_map(|scope| {
            self.bindings
                .iter()
                .filter(|b| b.scope == *scope)
                .find(|b| b.keys.iter().any(|k| k.matches(event)))
                .map(|b| b.action)
        })
    }

    /// Bindings of one scope, in table order (unbound ones left out).
    pub fn bindings_in(&self, scope: Scope) -> impl Iterator<Item = &ActiveBinding> {
        self.bindings
            .iter()
            .filter(move |b| b.scope == scope && !b.keys.is_empty())
    }

    /// The key map as Markdown, as it appears in docs/keys.md.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        for scope in SCOPE_ORDER {
            let mut bindings = self.bindings_in(*scope).peekable();
            if bindings.peek().is_none() {
                continue;
            }
            out.push_str(&format!("\n**{}**\n\n| Keys | Action |\n|---|---|\n", scope.title()));
            for binding in bindings {
                out.push_str(&format!("| {} | {} |\n", binding.keys_label(), binding.description));
            }
        }
        out
    }
}

/// Scopes in help and guide order.
pub const SCOPE_ORDER: &[Scope] = &[
    Global,
    Url,
    Table,
    Headers,
    Frames,
    Detail,
    RowEditor,
    Picker,
    Messages,
    Operations,
    Connections,
    Stats,
    Prompt,
    Confirm,
    Help,
];

/// The default key map as Markdown, as it appears in docs/keys.md.
pub fn markdown() -> String {
    Keymap::default().markdown()
}

/// Reads a key as written in help and config, e.g. `Ctrl-J`, `Alt-Enter`,
/// `Shift-Tab`, `F5`, `PageUp`, `Space`, `g`.
pub fn parse_key(text: &str) -> Option<KeyCombo> {
    let mut modifiers = KeyModifiers::NONE;
    // Prefixes are compared in place: lower-casing the whole text first
    // can change its byte length (`İ`), and slicing by the old offsets panics.
    let strip = |text: &str, prefix: &str| {
        text.get(..prefix.len())
            .filter(|head| head.eq_ignore_ascii_case(prefix))
            .map(|_| text[prefix.len()..].to_string())
    };
    let mut rest = text.trim().to_string();
    loop {
        if let Some(r) = strip(&rest, "ctrl-") {
            modifiers |= KeyModifiers::CONTROL;
            rest = r;
        } else if let Some(r) = strip(&rest, "alt-") {
            modifiers |= KeyModifiers::ALT;
            rest = r;
        } else {
            break;
        }
    }
    let code = match rest.to_ascii_lowercase().as_str() {
        "shift-tab" | "backtab" => KeyCode::BackTab,
        "enter" => KeyCode::Enter,
        "tab" => KeyCode::Tab,
        "esc" | "escape" => KeyCode::Esc,
        "space" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" => KeyCode::PageUp,
        "pagedown" => KeyCode::PageDown,
        "insert" => KeyCode::Insert,
        "delete" => KeyCode::Delete,
        "backspace" => KeyCode::Backspace,
        f if f.starts_with('f') && f.len() > 1 && f[1..].chars().all(|c| c.is_ascii_digit()) => {
            KeyCode::F(f[1..].parse().ok()?)
        }
        _ => {
            let mut chars = rest.chars();
            let c = chars.next()?;
            if chars.next().is_some() {
                return None;
            }
            // Ctrl letters arrive in lower case.
            KeyCode::Char(if modifiers.contains(KeyModifiers::CONTROL) {
                c.to_ascii_lowercase()
            } else {
                c
            })
        }
    };
    Some(KeyCombo { code, modifiers })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(scopes: &[Scope], event: &KeyEvent) -> Option<Action> {
        Keymap::default().lookup(scopes, event)
    }

    fn bindings_in(scope: Scope) -> impl Iterator<Item = &'static Binding> {
        BINDINGS.iter().filter(move |b| b.scope == scope)
    }

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn raw_mode_keys_resolve() {
        // In raw mode Ctrl-J arrives as 'j' with CONTROL, Alt-Enter as Enter with ALT.
        let send = Some(Action::Send);
        assert_eq!(
            lookup(&[Global], &press(KeyCode::Char('j'), KeyModifiers::CONTROL)),
            send
        );
        assert_eq!(lookup(&[Global], &press(KeyCode::Enter, KeyModifiers::ALT)), send);
        assert_eq!(
            lookup(&[Global], &press(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            lookup(&[Global], &press(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::FocusPrevious)
        );
        assert_eq!(
            lookup(&[Frames, Global], &press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::ScrollBottom)
        );
    }

    #[test]
    fn focused_scope_wins_over_global() {
        let tab = press(KeyCode::Tab, KeyModifiers::NONE);
        assert_eq!(lookup(&[RowEditor, Global], &tab), Some(Action::EditNextField));
        assert_eq!(lookup(&[Url, Global], &tab), Some(Action::FocusNext));
    }

    #[test]
    fn plain_typing_is_left_to_editors() {
        for c in ['a', 'j', 'k', ' ', 'G'] {
            assert_eq!(
                lookup(&[Message, Global], &press(KeyCode::Char(c), KeyModifiers::NONE)),
                None
            );
            assert_eq!(
                lookup(&[Url, Global], &press(KeyCode::Char(c), KeyModifiers::NONE)),
                None
            );
        }
        assert_eq!(
            lookup(&[Message, Global], &press(KeyCode::Enter, KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn no_key_is_bound_twice_in_one_scope() {
        for scope in SCOPE_ORDER {
            let keys: Vec<_> = bindings_in(*scope).flat_map(|b| b.keys.iter()).collect();
            for (i, a) in keys.iter().enumerate() {
                assert!(!keys[i + 1..].contains(a), "{a:?} bound twice in {scope:?}");
            }
        }
    }

    #[test]
    fn every_label_parses_back() {
        for binding in BINDINGS {
            for combo in binding.keys {
                assert_eq!(parse_key(&combo.label()), Some(*combo), "{}", combo.label());
            }
        }
        assert_eq!(parse_key("nonsense"), None);
    }

    #[test]
    fn overrides_move_keys_and_free_them_elsewhere() {
        let overrides = std::collections::BTreeMap::from([(
            "toggle_connection".to_string(),
            vec!["F5".to_string(), "Ctrl-L".to_string()],
        )]);
        let keymap = Keymap::with_overrides(&overrides).unwrap();
        let f5 = press(KeyCode::F(5), KeyModifiers::NONE);
        assert_eq!(keymap.lookup(&[Global], &f5), Some(Action::ToggleConnection));
        assert_eq!(
            keymap.lookup(&[Global], &press(KeyCode::Char('o'), KeyModifiers::CONTROL)),
            None
        );
        // Ctrl-L was "clear the frames log"; now it connects, and the help says so.
        assert_eq!(
            keymap.lookup(&[Global], &press(KeyCode::Char('l'), KeyModifiers::CONTROL)),
            Some(Action::ToggleConnection)
        );
        assert!(keymap.markdown().contains("| F5 / Ctrl-L | connect / disconnect |"));
        assert!(!keymap.markdown().contains("clear the frames log"));
        let bad = std::collections::BTreeMap::from([("no_such".to_string(), vec!["F5".to_string()])]);
        assert!(Keymap::with_overrides(&bad).unwrap_err().contains("no such action"));
        let bad_key = std::collections::BTreeMap::from([("send".to_string(), vec!["Hyper-X".to_string()])]);
        assert!(Keymap::with_overrides(&bad_key).unwrap_err().contains("unknown key"));
    }

    #[test]
    fn a_printable_key_is_refused_where_text_is_typed() {
        let quit_on_q = std::collections::BTreeMap::from([("quit".to_string(), vec!["q".to_string()])]);
        let error = Keymap::with_overrides(&quit_on_q).unwrap_err();
        assert!(error.starts_with("keys.quit: \"q\" is a key you type"), "{error}");
        assert!(error.contains("Anywhere"), "{error}");
        // The frames pane takes no text: a bare key is fine there.
        let copy_on_c = std::collections::BTreeMap::from([("copy".to_string(), vec!["c".to_string()])]);
        assert!(Keymap::with_overrides(&copy_on_c).is_ok());
        // Shift makes it no less printable; Ctrl and Alt do.
        let shifted = std::collections::BTreeMap::from([("send".to_string(), vec!["S".to_string()])]);
        assert!(Keymap::with_overrides(&shifted).is_err());
        let ctrl_q = std::collections::BTreeMap::from([("quit".to_string(), vec!["Ctrl-q".to_string()])]);
        assert!(Keymap::with_overrides(&ctrl_q).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn key_parser_never_panics(text in "\\PC{0,12}") {
            if let Some(combo) = parse_key(&text) {
                // Whatever parses has a label that parses back to it.
                proptest::prop_assert_eq!(parse_key(&combo.label()), Some(combo));
            }
        }

        #[test]
        fn key_parser_takes_any_prefix_case(prefix in "(?i:ctrl-|alt-){0,2}", rest in "\\PC{0,4}") {
            let _ = parse_key(&format!("{prefix}{rest}"));
        }
    }

    #[test]
    fn action_names_are_snake_case() {
        assert_eq!(action_name(Action::ToggleConnection), "toggle_connection");
        assert_eq!(action_name(Action::Send), "send");
    }

    #[test]
    fn labels_read_well() {
        assert_eq!(ctrl('j').label(), "Ctrl-J");
        assert_eq!(ctrl('j').short_label(), "^J");
        assert_eq!(alt(KeyCode::Enter).label(), "Alt-Enter");
        assert_eq!(key(KeyCode::BackTab).label(), "Shift-Tab");
        assert_eq!(ch(' ').label(), "Space");
    }
}
