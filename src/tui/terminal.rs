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

/// Restores the terminal if the inspector had taken it; for panic hooks,
/// which may run on any thread.
pub fn restore_if_active() {
    if ACTIVE.load(Ordering::SeqCst) {
        leave();
    }
}

/// Enters raw mode and the alternate screen, with bracketed paste on, and
/// installs a panic hook that restores the terminal before the message prints.
pub fn enter(mouse: bool) -> io::Result<DefaultTerminal> {
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

/// Leaves the alternate screen and raw mode. Safe to call more than once.
pub fn leave() {
    ACTIVE.store(false, Ordering::SeqCst);
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        crossterm::event::DisableMouseCapture
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
