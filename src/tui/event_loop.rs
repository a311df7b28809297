//! The UI task's loop.
//!
//! It wakes on terminal input, connection events, signals and (only while a
//! clock is on screen) a tick. After waking it drains whatever else is already
//! queued, then draws once if anything changed, no more often than the frame
//! cap. A flood of frames therefore costs a bounded number of draws.

use std::io::{self, Write};
use std::time::Duration;

use crossterm::event::{Event, EventStream, MouseEventKind};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use crossterm::{execute, queue};
use futures_util::{FutureExt, StreamExt};
use ratatui::DefaultTerminal;
use ratatui::layout::Rect;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::Connections;
use super::input::WokenInput;
use super::terminal;
use crate::app::App;
use crate::app::file_requests::{StoreReply, StoreRequest};
use crate::app::tabs::TabChange;
use crate::conn::{ConnCommand, ConnEvent, ConnState};
use crate::tui::file_worker::Storage;
use crate::ui;

/// Events taken per wake-up before input gets another look, so typing stays
/// responsive under a flood.
const DRAIN_BATCH: usize = 32;

/// How often unsaved work is written to the draft file.
const AUTOSAVE_EVERY: Duration = Duration::from_secs(10);

/// How long quitting waits for the server to acknowledge our close frame.
const QUIT_CLOSE_WAIT: Duration = Duration::from_millis(500);

/// Knobs for the loop.
#[derive(Debug, Clone, Copy)]
pub struct LoopOptions {
    /// Most draws per second.
    pub fps: u32,
    /// Capture the mouse (clicks and the wheel), at the cost of the
    /// terminal's own text selection.
    pub mouse: bool,
}

impl Default for LoopOptions {
    fn default() -> Self {
        Self { fps: 30, mouse: false }
    }
}

/// Runs the TUI until the user quits or a signal arrives, always restoring
/// the terminal.
pub async fn run(
    mut app: App,
    mut conns: Connections,
    storage: Option<Storage>,
    options: LoopOptions,
) -> io::Result<()> {
    use std::io::IsTerminal;
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        return Err(io::Error::other(
            "the inspector needs an interactive terminal (stdin and stdout must be a tty)",
        ));
    }
    let mut terminal = terminal::enter(options.mouse)?;
    let mut files = Files::new(storage);
    // A panic in the loop still leaves the terminal usable (the panic hook
    // restores it) and still writes the draft before it carries on.
    let outcome = std::panic::AssertUnwindSafe(drive(&mut terminal, &mut app, &mut conns, &mut files, options))
        .catch_unwind()
        .await;
    terminal::leave();
    // Whatever ended the session (quit, error, signal), unsaved work is kept.
    for request in app.exit_requests() {
        if let Some(Err(error)) = files.run_now(request) {
            eprintln!("wscope: {error}");
        }
    }
    let result = match outcome {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    if result.is_ok() {
        say_goodbye(&mut app, &mut conns).await;
    }
    result
}

/// Runs store requests on the blocking pool so file I/O never stalls input,
/// and hands their replies back to the loop.
struct Files {
    storage: Option<Storage>,
    replies_tx: mpsc::UnboundedSender<StoreReply>,
    replies: mpsc::UnboundedReceiver<StoreReply>,
}

impl Files {
    fn new(storage: Option<Storage>) -> Self {
        let (replies_tx, replies) = mpsc::unbounded_channel();
        Self {
            storage,
            replies_tx,
            replies,
        }
    }

    fn spawn(&self, request: StoreRequest) {
        let Some(storage) = self.storage.clone() else {
            let _ = self.replies_tx.send(no_storage());
            return;
        };
        let replies = self.replies_tx.clone();
        tokio::task::spawn_blocking(move || {
            let _ = replies.send(storage.handle(request));
        });
    }

    /// Runs a request to completion on this thread (used on the way out).
    fn run_now(&self, request: StoreRequest) -> Option<Result<(), String>> {
        let reply = self.storage.as_ref()?.handle(request);
        Some(match reply {
            StoreReply::Failed { action, error } => Err(format!("cannot {action}: {error}")),
            StoreReply::DraftSaved(Err(error)) => Err(format!("cannot save the draft: {error}")),
            _ => Ok(()),
        })
    }
}

fn no_storage() -> StoreReply {
    StoreReply::Failed {
        action: "use the config directory".into(),
        error: "no home directory was found; pass --config-dir".into(),
    }
}

async fn drive(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    conns: &mut Connections,
    files: &mut Files,
    options: LoopOptions,
) -> io::Result<()> {
    let mut input = WokenInput::new(EventStream::new());
    let mut notices = conns.take_notices();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    // Its default action would dump core with the terminal still raw.
    let mut sigquit = signal(SignalKind::quit())?;
    let min_frame = Duration::from_secs(1) / options.fps.max(1);

    let size = terminal.size()?;
    let mut screen = Rect::new(0, 0, size.width, size.height);
    ui::fit_app(app, screen);
    forward(app, conns, files);

    let mut autosave = tokio::time::interval_at(Instant::now() + AUTOSAVE_EVERY, AUTOSAVE_EVERY);
    autosave.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut dirty = true;
    // A key the user typed, or a change of connection state, is drawn at
    // once, past the frame cap: both are rare next to frames, so this costs
    // no bandwidth, but "Connected" or "Closed" shows the moment it happens.
    let mut urgent = false;
    let mut last_draw: Option<Instant> = None;
    loop {
        if dirty {
            let due = last_draw.map_or(Instant::now(), |t| t + min_frame);
            if urgent || Instant::now() >= due {
                // Zoom and overlays change the frames pane's size.
                ui::fit_app(app, screen);
                draw(terminal, app)?;
                last_draw = Some(Instant::now());
                dirty = false;
                urgent = false;
            }
        }
        let next_draw = if dirty { last_draw.map(|t| t + min_frame) } else { None };
        let tick = app.tick_interval();

        tokio::select! {
            biased;
            maybe_event = input.next() => match maybe_event {
                Some(Ok(event)) => {
                    if let Event::Resize(width, height) = event {
                        screen = Rect::new(0, 0, width, height);
                    }
                    if let Event::Mouse(mouse) = &event {
                        // Motion changes nothing on screen; dragging and
                        // hovering must not cost a draw each.
                        if matches!(mouse.kind, MouseEventKind::Moved | MouseEventKind::Drag(_)) {
                            continue;
                        }
                        handle_mouse(app, screen, mouse);
                    }
                    urgent = true;
                    handle_terminal_event(app, event);
                    dirty = true;
                }
                Some(Err(error)) => return Err(error),
                None => return Ok(()),
            },
            maybe_conn = conns.recv() => {
                let Some((tab, event)) = maybe_conn else { return Ok(()) };
                // A background tab's events change nothing on screen but
                // its badge: they need no urgent draw.
                let shown = tab == app.active_tab_id();
                urgent |= shown && is_state_change(&event);
                app.take_in_tab_event(tab, event);
                let mut drained = 1;
                while drained < DRAIN_BATCH {
                    match conns.try_recv() {
                        Some((tab, event)) => {
                            urgent |= tab == app.active_tab_id() && is_state_change(&event);
                            app.take_in_tab_event(tab, event);
                        }
                        None => break,
                    }
                    drained += 1;
                }
                app.share_history_caps();
                dirty = true;
            }
            notice = super::connections::next_notice(&mut notices) => {
                take_notice(app, conns, notice);
                dirty = true;
            }
            Some(reply) = files.replies.recv() => {
                app.on_store_reply(reply);
                dirty = true;
            }
            _ = autosave.tick() => {
                if let Some(request) = app.autosave_request() {
                    files.spawn(request);
                }
            }
            _ = sigterm.recv() => return Ok(()),
            _ = sighup.recv() => return Ok(()),
            _ = sigint.recv() => return Ok(()),
            _ = sigquit.recv() => return Ok(()),
            _ = sleep_until(next_draw) => {}
            _ = sleep_for(tick), if !dirty => dirty = true,
            _ = sleep_until(app.next_scheduled().map(Instant::from_std)) => {
                app.on_tick(std::time::Instant::now());
                dirty = true;
            }
        }
        forward(app, conns, files);
        if let Some(text) = app.edit_request.take() {
            // The editor reads the keyboard itself: stop reading it here.
            drop(input);
            let result = edit_externally(terminal, &text);
            input = WokenInput::new(EventStream::new());
            app.finish_edit(result);
            dirty = true;
        }
        if let Some(text) = app.shared.clipboard.take() {
            // OSC 52 works over SSH and in tmux (`set-clipboard on`), where
            // no clipboard tool can reach.
            execute!(
                terminal.backend_mut(),
                crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
            )?;
        }
        if app.should_quit() {
            return Ok(());
        }
    }
}

/// Opens `text` in `$VISUAL` or `$EDITOR` (else `vi`), as `git commit`
/// does, and returns what was saved.
fn edit_externally(terminal: &mut DefaultTerminal, text: &str) -> Result<String, String> {
    let set = |name| std::env::var(name).ok().filter(|v: &String| !v.trim().is_empty());
    let editor = set("VISUAL")
        .or_else(|| set("EDITOR"))
        .unwrap_or_else(|| "vi".to_string());
    let mut file = tempfile::Builder::new()
        .prefix("wscope-message-")
        .suffix(".txt")
        .tempfile()
        .map_err(|e| format!("cannot create a temporary file: {e}"))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| format!("cannot write the temporary file: {e}"))?;
    terminal::suspend();
    // Through the shell, so an EDITOR with arguments ("code --wait") works.
    let status = tokio::task::block_in_place(|| {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(file.path())
            .status()
    });
    let resumed = terminal::resume(terminal);
    let status = status.map_err(|e| format!("cannot run {editor}: {e}"))?;
    resumed.map_err(|e| format!("cannot take the terminal back: {e}"))?;
    if !status.success() {
        return Err(format!("{editor} exited with {status}; the message is unchanged"));
    }
    let edited = std::fs::read_to_string(file.path()).map_err(|e| format!("cannot read the edited file: {e}"))?;
    // Editors add a final newline; a message rarely wants one.
    Ok(edited.strip_suffix('\n').unwrap_or(&edited).to_string())
}

fn is_state_change(event: &ConnEvent) -> bool {
    matches!(event, ConnEvent::State { .. })
}

fn handle_mouse(app: &mut App, screen: Rect, mouse: &crossterm::event::MouseEvent) {
    use crossterm::event::MouseButton;
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            if let Some((focus, row)) = ui::hit_test(app, screen, mouse.column, mouse.row) {
                app.on_click(focus, row);
            }
        }
        MouseEventKind::ScrollDown => app.on_wheel(true),
        MouseEventKind::ScrollUp => app.on_wheel(false),
        _ => {}
    }
}

fn handle_terminal_event(app: &mut App, event: Event) {
    match event {
        Event::Key(key) => app.handle_key(key),
        Event::Paste(text) => app.handle_paste(&text),
        Event::Resize(width, height) => ui::fit_app(app, Rect::new(0, 0, width, height)),
        _ => {}
    }
}

/// A captured connection becomes a tab; a note goes in the listener's log.
fn take_notice(app: &mut App, conns: &mut Connections, notice: crate::capture::Notice) {
    match notice {
        crate::capture::Notice::Captured(captured) => {
            let tab = app.open_captured(crate::app::captures::CapturedTab {
                id: captured.id,
                url: captured.url.to_string(),
                client: captured.client.to_string(),
                request_headers: captured.request_headers,
            });
            conns.adopt(tab, captured.id, captured.handle, captured.events);
        }
        crate::capture::Notice::Note { error, text } => app.on_proxy_note(error, &text),
    }
}

/// Delivers queued commands and file work; a vanished connection task is
/// reported, not fatal.
fn forward(app: &mut App, conns: &mut Connections, files: &Files) {
    for rule in app.take_proxy_rules() {
        conns.set_hold_rule(rule);
    }
    for request in app.take_store_requests() {
        files.spawn(request);
    }
    for change in app.take_tab_changes() {
        match change {
            TabChange::Opened(tab) => conns.open(tab),
            TabChange::Closed(tab) => conns.close(tab),
        }
    }
    for (tab, command) in app.take_tab_commands() {
        if !conns.send(tab, command) {
            app.on_tab_event(tab, ConnEvent::Refused("the connection task has stopped".into()));
        }
    }
}

fn draw(terminal: &mut DefaultTerminal, app: &App) -> io::Result<()> {
    terminal::while_active(|| {
        // Synchronized updates make the terminal show the frame at once,
        // which keeps redraws clean over SSH.
        queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
        let now = std::time::Instant::now();
        terminal.draw(|frame| ui::render(frame, app, now))?;
        execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
        terminal.backend_mut().flush()
    })
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

async fn sleep_for(period: Option<Duration>) {
    match period {
        Some(period) => tokio::time::sleep(period).await,
        None => std::future::pending().await,
    }
}

/// Sends a close frame on the way out so the server sees a clean 1001,
/// waiting briefly for its answer.
async fn say_goodbye(app: &mut App, conns: &mut Connections) {
    let open: Vec<_> = app
        .tab_infos()
        .into_iter()
        .filter(|tab| matches!(tab.state, ConnState::Open { .. }))
        .map(|tab| tab.id)
        .collect();
    if open.is_empty() {
        return;
    }
    for tab in &open {
        conns.send(
            *tab,
            ConnCommand::Close {
                code: 1001,
                reason: "wscope exiting".into(),
            },
        );
    }
    let _ = tokio::time::timeout(QUIT_CLOSE_WAIT, async {
        while let Some((tab, event)) = conns.recv().await {
            app.on_tab_event(tab, event);
            let still_open = app
                .tab_infos()
                .iter()
                .any(|t| open.contains(&t.id) && !matches!(t.state, ConnState::Closed { .. } | ConnState::Failed(_)));
            if !still_open {
                break;
            }
        }
    })
    .await;
}
