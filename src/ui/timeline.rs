//! The merged timeline (Alt-m): every tab's frames in one view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::frames::{
    HEADER_MIN_ROWS, RowContext, decorate, header_line, highlight, line_for, pane_block, visible_rows,
};
use super::rows::Rows;
use super::theme;
use crate::app::App;
use crate::app::merged::TimelineView;

/// Every tab's frames in arrival order, each row behind its tab's number,
/// read through each tab's filter and decorated as its own tab would.
pub fn render(frame: &mut Frame, area: Rect, app: &App, focused: bool, view: &TimelineView) {
    let tabs = app.tab_infos();
    let merged = app.merged(true);
    let contexts: Vec<Option<RowContext>> = (0..tabs.len())
        .map(|place| app.tab_at(place).map(RowContext::of))
        .collect();
    let filtered = (0..tabs.len()).any(|place| app.tab_at(place).is_some_and(|s| s.filter.is_active()));
    let mut title = vec![
        Span::raw(" Timeline "),
        Span::styled(format!("every tab ({}) ", tabs.len()), theme::dim()),
    ];
    if filtered {
        let held: usize = (0..tabs.len())
            .filter_map(|place| app.tab_at(place))
            .map(|s| s.frames.len())
            .sum();
        title.push(Span::styled(
            format!("showing {} of {held} ", merged.len()),
            Style::new().fg(theme::warn()),
        ));
        // Set in the timeline, the filters are alike; set in the tabs, they
        // may differ.
        let mut filters: Vec<String> = (0..tabs.len())
            .filter_map(|place| app.tab_at(place))
            .map(|s| {
                if s.filter.is_active() {
                    s.filter.describe()
                } else {
                    "none".into()
                }
            })
            .collect();
        filters.dedup();
        let described = match filters.as_slice() {
            [one] => crate::sanitize::one_line(one).into_owned(),
            _ => "each tab's own filter".to_string(),
        };
        title.push(Span::styled(format!("[{described}] "), theme::dim()));
    }
    title.push(Span::styled("· Alt-m for this tab's ", theme::dim()));
    let below = (!view.scroll.is_following()).then(|| view.scroll.below(&merged));
    let block = pane_block(title, view.search.as_ref(), below, focused);
    let rows_shown = visible_rows(area);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width).saturating_sub(TAB_COLUMN);
    let mut lines: Vec<Line> = Vec::with_capacity(rows_shown + 1);
    if inner.height >= HEADER_MIN_ROWS {
        lines.push(header_line("tab "));
    }
    let selected = view.scroll.selected();
    for row in view.rows(&merged).into_iter().take(rows_shown) {
        let place = row.key.place;
        let mut line = line_for(row.entry, width);
        if let Some(Some(context)) = contexts.get(place) {
            decorate(&mut line, row.key.seq, row.entry, width, context);
        }
        let tab_style = if tabs.get(place).is_some_and(|t| t.active) {
            Style::new().fg(theme::accent())
        } else {
            theme::dim()
        };
        line.spans
            .insert(0, Span::styled(format!("{:<4}", place + 1), tab_style));
        lines.push(highlight(
            line,
            Some(row.key) == selected,
            view.search.as_ref(),
            row.entry,
        ));
    }
    if merged.is_empty() {
        let hint = if filtered {
            "nothing matches the filter in any tab (c clears it)"
        } else {
            "no frames in any tab yet"
        };
        lines.push(Line::styled(hint, theme::dim()));
    }
    frame.render_widget(Rows::new(lines), inner);
}

/// Columns of the tab number before each row.
const TAB_COLUMN: usize = 4;

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
