//! The merged timeline (Alt-m): every tab's frames in one view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::frames::{HEADER_MIN_ROWS, header_line, line_for, paused_line, visible_rows};
use super::theme;
use crate::app::App;

/// Every tab's frames in arrival order, each row behind its tab's number.
pub fn render(frame: &mut Frame, area: Rect, app: &App, focused: bool, offset: usize) {
    let tabs = app.tabs();
    let title = Line::from(vec![
        Span::raw(" Timeline "),
        Span::styled(
            format!("every tab ({}) · Alt-m for this tab's ", tabs.len()),
            theme::dim(),
        ),
    ]);
    let bottom = if offset == 0 {
        Line::default()
    } else {
        paused_line(offset)
    };
    let block = Block::bordered()
        .title(title)
        .title_bottom(bottom)
        .border_style(theme::border(focused));
    let rows_shown = visible_rows(area);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let mut lines: Vec<Line> = Vec::with_capacity(rows_shown + 1);
    if inner.height >= HEADER_MIN_ROWS {
        lines.push(header_line("tab"));
    }
    for (place, entry) in app.timeline_rows(rows_shown, offset) {
        let mut line = line_for(entry, width.saturating_sub(3));
        let style = if tabs.get(place).is_some_and(|t| t.active) {
            Style::new().fg(theme::accent())
        } else {
            theme::dim()
        };
        line.spans.insert(0, Span::styled(format!("{:<3}", place + 1), style));
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Another tab's frames, newest at the bottom, beside the active tab's
/// (the split view, Alt-s).
pub fn render_partner(frame: &mut Frame, area: Rect, place: usize, name: &str, log: &crate::frames::FrameLog) {
    let title = Line::from(vec![
        Span::raw(format!(" Tab {} ", place + 1)),
        Span::styled(
            format!("{} · {} held ", crate::sanitize::one_line(name), log.len()),
            theme::dim(),
        ),
    ]);
    let block = Block::bordered().title(title).border_style(theme::border(false));
    let rows = visible_rows(area);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let take = rows.min(log.len());
    let from = log.end_seq().saturating_sub(take as u64);
    let lines: Vec<Line> = log.window(from, take).map(|entry| line_for(entry, width)).collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The frames area split for the split view: side by side when wide,
/// one above the other at 80 columns.
pub fn split(area: Rect) -> (Rect, Rect) {
    use ratatui::layout::{Constraint, Layout};
    if area.width >= 120 {
        let [left, right] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
        (left, right)
    } else {
        let [top, bottom] = Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
        (top, bottom)
    }
}
