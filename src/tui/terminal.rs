//! Entering and leaving the full-screen terminal, so that every way out
//! (normal exit, error, panic, signal) leaves the terminal as it was.

use std::io::{self, Write};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use ratatui::DefaultTerminal;

/// Enters raw mode and the alternate screen, with bracketed paste on, and
/// installs a panic hook that restores the terminal before the message prints.
pub fn enter() -> io::Result<DefaultTerminal> {
    let terminal = ratatui::try_init()?;
    // ratatui::try_init installs its own restoring hook; ours also turns
    // bracketed paste off, then defers to it.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(io::stdout(), DisableBracketedPaste);
        previous(info);
    }));
    execute!(io::stdout(), EnableBracketedPaste)?;
    Ok(terminal)
}

/// Leaves the alternate screen and raw mode. Safe to call more than once.
pub fn leave() {
    let _ = execute!(io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    let _ = io::stdout().flush();
}
