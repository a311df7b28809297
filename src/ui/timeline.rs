//! The merged timeline (Alt-m): every tab's frames in one view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::frames::{HEADER_MIN_ROWS, line_for, visible_rows};
use super::theme;
use crate::app::App;
use crate::frames::NoteLevel;

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
        Line::styled(
            format!(" paused · {offset} newer below · End follows "),
            theme::note(NoteLevel::Warning),
        )
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
        lines.push(Line::styled(
            format!(
                "{:<3}{:<12} {:<1} {:<5} {:>9} payload",
                "tab", "time", "", "kind", "size"
            ),
            theme::dim().add_modifier(Modifier::UNDERLINED),
        ));
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
