//! The Params and Headers tables.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Row, Table, TableState};

use super::theme;
use crate::app::App;
use crate::app::kv_table::{KvTable, TableKind};
use crate::frames::NoteLevel;
use crate::{sanitize, secrets};

pub fn render(frame: &mut Frame, area: Rect, app: &App, table: &KvTable, focused: bool) {
    let title = format!(
        " {} ({}/{}) ",
        table.kind.title(),
        table.enabled_count(),
        table.rows.len()
    );
    let bottom = match table.problem(table.selected) {
        Some(problem) => Line::styled(format!(" ✗ {problem} "), theme::note(NoteLevel::Error)),
        None => Line::default(),
    };
    let block = Block::bordered()
        .title(title)
        .title_bottom(bottom)
        .border_style(theme::border(focused));

    if table.rows.is_empty() {
        let hint = match table.kind {
            TableKind::Params => "no params: a adds one (appended to the URL query)",
            TableKind::Headers => "no headers: a adds one (e.g. api-key)",
        };
        frame.render_widget(
            ratatui::widgets::Paragraph::new(Line::styled(hint, theme::dim()))
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(block),
            area,
        );
        return;
    }

    let rows = table.rows.iter().enumerate().map(|(index, row)| {
        let problem = table.problem(index).is_some();
        let mark = match (row.enabled, problem) {
            (_, true) => Cell::from("[!]").style(theme::note(NoteLevel::Error)),
            (true, false) => Cell::from("[x]"),
            (false, false) => Cell::from("[ ]").style(theme::dim()),
        };
        // Params carry tokens as often as headers do (`?access_token=`).
        let value = if app.reveal_secrets {
            sanitize::one_line(&row.value)
        } else {
            sanitize::one_line(&secrets::shown_value(&row.key, &row.value, secrets::Shown::Screen))
                .into_owned()
                .into()
        };
        let style = if row.enabled { Style::new() } else { theme::dim() };
        Row::new(vec![
            mark,
            Cell::from(sanitize::one_line(&row.key)),
            Cell::from(value),
            Cell::from(sanitize::one_line(&row.description)).style(theme::dim()),
        ])
        .style(style)
    });
    let widget = Table::new(
        rows,
        [
            Constraint::Length(3),
            Constraint::Percentage(30),
            Constraint::Percentage(40),
            Constraint::Fill(1),
        ],
    )
    .block(block)
    .row_highlight_style(if focused {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new().add_modifier(Modifier::BOLD)
    });
    let mut state = TableState::new().with_selected(Some(table.selected));
    frame.render_stateful_widget(widget, area, &mut state);
}
