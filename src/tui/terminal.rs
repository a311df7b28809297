//! Entering and leaving the full-screen terminal, so that every way out
//! (normal exit, error, panic, signal) leaves the terminal as it was.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use ratatui::DefaultTerminal;

/// Whether the full-screen terminal is in use, so a panic on any thread
/// knows to restore it (see [`restore_if_active`]).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Set once the process is dying: the terminal is not taken again.
static EXITING: AtomicBool = AtomicBool::new(false);

/// Held while the terminal is being taken or drawn on, so that a thread
/// dying at that moment waits for it and then gives the terminal back: a
/// draw finishing after the restore would hide the cursor again.
static TAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Restores the terminal if the inspector had taken it; for panic hooks,
/// which may run on any thread. A thread that panics while the UI thread
/// is still taking the terminal waits for that (briefly), so the process
/// never exits with the terminal left in the alternate screen.
pub fn restore_if_active() {
    EXITING.store(true, Ordering::SeqCst);
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(500);
    let _taken = loop {
        match TAKING.try_lock() {
            Ok(guard) => break Some(guard),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => break Some(poisoned.into_inner()),
            // This very thread panicked while taking it, or it is stuck.
            Err(std::sync::TryLockError::WouldBlock) if std::time::Instant::now() >= deadline => break None,
            Err(std::sync::TryLockError::WouldBlock) => std::thread::sleep(std::time::Duration::from_millis(5)),
        }
    };
    if ACTIVE.load(Ordering::SeqCst) {
        leave();
    }
}

/// Enters raw mode and the alternate screen, with bracketed paste on, and
/// installs a panic hook that restores the terminal before the message prints.
pub fn enter(mouse: bool) -> io::Result<DefaultTerminal> {
    let _taking = TAKING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if EXITING.load(Ordering::SeqCst) {
        return Err(io::Error::other("exiting"));
    }
    let terminal = ratatui::try_init()?;
    ACTIVE.store(true, Ordering::SeqCst);
    // ratatui::try_init installs its own restoring hook; ours also turns
    // bracketed paste off, then defers to it.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(
            io::stdout(),
            DisableBracketedPaste,
            crossterm::event::DisableMouseCapture
        );
        previous(info);
    }));
    execute!(io::stdout(), EnableBracketedPaste)?;
    if mouse {
        execute!(io::stdout(), crossterm::event::EnableMouseCapture)?;
    }
    Ok(terminal)
}

/// Runs `draw` while the terminal is ours; once it has been given back (a
/// panic on another thread, `$EDITOR`), nothing is drawn.
pub fn while_active(draw: impl FnOnce() -> io::Result<()>) -> io::Result<()> {
    let _drawing = TAKING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if EXITING.load(Ordering::SeqCst) || !ACTIVE.load(Ordering::SeqCst) {
        return Ok(());
    }
    draw()
}

/// Leaves the alternate screen and raw mode. Safe to call more than once.
pub fn leave() {
    ACTIVE.store(false, Ordering::SeqCst);
    // ratatui::restore leaves the cursor as the last draw left it, hidden:
    // shown here, whoever is leaving (a panic on another thread too).
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        crossterm::event::DisableMouseCapture,
        crossterm::cursor::Show
    );
    ratatui::restore();
    let _ = io::stdout().flush();
}

/// Hands the terminal to another program (an editor): leaves the alternate
/// screen and raw mode, as on exit.
pub fn suspend() {
    leave();
}

/// Takes the terminal back after [`suspend`] and forces a full redraw.
pub fn resume(terminal: &mut DefaultTerminal) -> io::Result<()> {
    let _taking = TAKING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if EXITING.load(Ordering::SeqCst) {
        return Err(io::Error::other("exiting"));
    }
    crossterm::terminal::enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    execute!(
        io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        EnableBracketedPaste,
        crossterm::cursor::Hide,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )?;
    // `Terminal::clear` would query the cursor position, a round trip that
    // is slow over SSH; an empty "previous" buffer forces the same full redraw.
    terminal.swap_buffers();
    Ok(())
}
