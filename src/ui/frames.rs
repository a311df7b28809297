//! The frames log: one row per frame or connection event, newest at the
//! bottom. Only the visible window is formatted, so a draw costs the same
//! with ten frames held as with a million.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};

use super::theme;
use crate::app::App;
use crate::conn::{Direction, FrameKind, FrameRecord};
use crate::format;
use crate::frames::{LogEntry, NoteLevel};

/// Below this many inner rows the column header is dropped to save a line.
const HEADER_MIN_ROWS: u16 = 10;

/// Data rows that fit in the pane at `area`.
pub fn visible_rows(area: Rect) -> usize {
    let inner = area.height.saturating_sub(2);
    usize::from(if inner >= HEADER_MIN_ROWS { inner - 1 } else { inner })
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, focused: bool) {
    let log = &app.frames;
    let view = &app.frames_view;
    let counters = log.counters();
    let mut title = vec![
        Span::raw(" Frames "),
        Span::styled(
            format!("↑{} {} ", counters.frames_out, format::bytes(counters.bytes_out)),
            Style::new().fg(theme::SENT),
        ),
        Span::styled(
            format!("↓{} {} ", counters.frames_in, format::bytes(counters.bytes_in)),
            Style::new().fg(theme::RECEIVED),
        ),
    ];
    if log.dropped() > 0 {
        title.push(Span::styled(
            format!("· {} older dropped ", log.dropped()),
            theme::dim(),
        ));
    }
    let bottom = if view.is_following() {
        Line::default()
    } else {
        Line::styled(
            format!(" paused · {} newer below · End follows ", view.below(log)),
            theme::note(NoteLevel::Warning),
        )
    };
    let block = Block::bordered()
        .title(Line::from(title))
        .title_bottom(bottom)
        .border_style(theme::border(focused));

    let rows_shown = visible_rows(area);
    let inner_width = area.width.saturating_sub(2) as usize;
    // time 12 + dir 1 + kind 5 + size 9 + four column gaps
    let preview_width = inner_width.saturating_sub(12 + 1 + 5 + 9 + 4);
    let rows = log
        .window(view.top(log), rows_shown)
        .map(|entry| row_for(entry, preview_width));
    let mut table = Table::new(
        rows,
        [
            Constraint::Length(12),
            Constraint::Length(1),
            Constraint::Length(5),
            Constraint::Length(9),
            Constraint::Fill(1),
        ],
    )
    .block(block);
    if area.height.saturating_sub(2) >= HEADER_MIN_ROWS {
        table = table.header(
            Row::new(["time", "", "kind", "size", "payload"]).style(theme::dim().add_modifier(Modifier::UNDERLINED)),
        );
    }
    if log.is_empty() {
        let hint = match app.connection.state {
            crate::conn::ConnState::Idle => "no frames yet: Enter in the URL pane or Ctrl-O connects",
            _ => "no frames yet",
        };
        table = table.footer(Row::new([Cell::from(Line::styled(hint, theme::dim()))]));
    }
    frame.render_widget(table, area);
}

fn row_for(entry: &LogEntry, preview_width: usize) -> Row<'static> {
    match entry {
        LogEntry::Note { at, level, text } => Row::new(vec![
            Cell::from(format::clock(*at)).style(theme::dim()),
            Cell::from("•").style(theme::note(*level)),
            Cell::from("conn").style(theme::dim()),
            Cell::from(""),
            Cell::from(truncate(text, preview_width)).style(theme::note(*level)),
        ]),
        LogEntry::Frame(record) => {
            let (glyph, colour) = match record.direction {
                Direction::Sent => ("↑", theme::SENT),
                Direction::Received => ("↓", theme::RECEIVED),
            };
            let control = !matches!(record.kind, FrameKind::Text | FrameKind::Binary);
            let body_style = if control { theme::dim() } else { Style::new() };
            Row::new(vec![
                Cell::from(format::clock(record.at)).style(theme::dim()),
                Cell::from(glyph).style(Style::new().fg(colour)),
                Cell::from(kind_name(record.kind)).style(Style::new().fg(colour)),
                Cell::from(Line::from(format::bytes(record.wire_len())).right_aligned()),
                Cell::from(preview(record, preview_width)).style(body_style),
            ])
        }
    }
}

/// The short name of a frame's opcode.
pub fn kind_name(kind: FrameKind) -> &'static str {
    match kind {
        FrameKind::Text => "text",
        FrameKind::Binary => "bin",
        FrameKind::Ping => "ping",
        FrameKind::Pong => "pong",
        FrameKind::Close { .. } => "close",
    }
}

/// A one-line preview of at most `width` columns.
pub fn preview(record: &FrameRecord, width: usize) -> String {
    let payload = &record.payload;
    match record.kind {
        FrameKind::Text => {
            // Only the head of a large message is decoded.
            let head = &payload[..payload.len().min(width.saturating_mul(4) + 4)];
            let valid = match std::str::from_utf8(head) {
                Ok(text) => text,
                Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
            };
            truncate(valid, width)
        }
        FrameKind::Binary | FrameKind::Ping | FrameKind::Pong if payload.is_empty() => "(empty)".into(),
        FrameKind::Binary | FrameKind::Ping | FrameKind::Pong => {
            let hex: Vec<String> = payload.iter().take(width / 3 + 1).map(|b| format!("{b:02x}")).collect();
            truncate(&hex.join(" "), width)
        }
        FrameKind::Close { code } => {
            let reason = String::from_utf8_lossy(payload);
            let text = match code {
                Some(code) => format!("{code} ({}) {reason}", format::close_code_meaning(code)),
                None => "(no code)".to_string(),
            };
            truncate(text.trim_end(), width)
        }
    }
}

/// Cuts `text` to `width` columns on one line, marking cuts with `…`.
fn truncate(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let c = match c {
            '\n' | '\r' => '↵',
            '\t' => ' ',
            c if c.is_control() => '·',
            c => c,
        };
        let w = c.width().unwrap_or(0);
        let reserve = usize::from(chars.peek().is_some());
        if used + w + reserve > width {
            if used < width {
                out.push('…');
            }
            return out;
        }
        out.push(c);
        used += w;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::time::SystemTime;

    fn record(kind: FrameKind, payload: &[u8]) -> FrameRecord {
        FrameRecord {
            at: SystemTime::UNIX_EPOCH,
            direction: Direction::Received,
            kind,
            payload: Bytes::copy_from_slice(payload),
        }
    }

    #[test]
    fn previews_fit_one_line() {
        assert_eq!(preview(&record(FrameKind::Text, b"a\nb"), 10), "a↵b");
        assert_eq!(preview(&record(FrameKind::Text, b"abcdefghij"), 5), "abcd…");
        assert_eq!(preview(&record(FrameKind::Text, b"abcde"), 5), "abcde");
        assert_eq!(preview(&record(FrameKind::Binary, &[0, 1, 255]), 20), "00 01 ff");
        assert_eq!(preview(&record(FrameKind::Ping, b""), 20), "(empty)");
        assert_eq!(
            preview(&record(FrameKind::Close { code: Some(4000) }, b"asked to"), 40),
            "4000 (application) asked to"
        );
    }

    #[test]
    fn cut_multibyte_text_stays_valid() {
        let text = "é".repeat(100);
        let shown = preview(&record(FrameKind::Text, text.as_bytes()), 7);
        assert_eq!(shown, "éééééé…");
    }
}
