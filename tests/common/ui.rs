//! Driving the app with keys and reading its screen as text.

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use wscope::app::App;

/// A plain key press.
pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Ctrl plus a letter, as raw mode reports it.
pub fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// Types `text` one key at a time.
pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle_key(key(KeyCode::Char(c)));
    }
}

/// Renders at `width` x `height` as plain text, with clock times redacted
/// (they depend on the machine's time zone).
pub fn screen(app: &mut App, width: u16, height: u16, now: Instant) -> String {
    wscope::ui::fit_app(app, ratatui::layout::Rect::new(0, 0, width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal.draw(|f| wscope::ui::render(f, app, now)).expect("draw");
    terminal
        .backend()
        .buffer()
        .content
        .chunks(usize::from(width))
        .map(|row| redact_clock(&row_text(row)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A row's text; a wide character covers the cells after it.
fn row_text(cells: &[ratatui::buffer::Cell]) -> String {
    let mut text = String::new();
    let mut covered = 0;
    for cell in cells {
        if covered > 0 {
            covered -= 1;
            continue;
        }
        let symbol = cell.symbol();
        covered = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
        text.push_str(symbol);
    }
    text.trim_end().to_string()
}

/// Replaces `HH:MM:SS.mmm` with a marker of the same width.
fn redact_clock(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let shape: String = chars[i..chars.len().min(i + 12)]
            .iter()
            .map(|c| if c.is_ascii_digit() { '9' } else { *c })
            .collect();
        if shape == "99:99:99.999" {
            out.push_str("hh:mm:ss.mmm");
            i += 12;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}
