//! The row editor popup.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{centered, theme};
use crate::app::App;
use crate::app::kv_table::TableKind;
use crate::app::row_editor::{FIELD_NAMES, RowEditor};
use crate::frames::NoteLevel;

const LABEL_WIDTH: u16 = 13;

pub fn render(frame: &mut Frame, area: Rect, editor: &RowEditor, _app: &App) {
    let noun = match editor.table {
        TableKind::Params => "param",
        TableKind::Headers => "header",
    };
    let title = match editor.index {
        Some(i) => format!(" Edit {noun} {} ", i + 1),
        None => format!(" New {noun} "),
    };
    let bottom = match editor.problem() {
        Some(problem) => Line::styled(format!(" ✗ {problem} "), theme::note(NoteLevel::Error)),
        None => Line::styled(" Enter keeps · Esc cancels · Tab next field ", theme::dim()),
    };
    let block = Block::bordered()
        .title(title)
        .title_bottom(bottom)
        .border_style(theme::border(true));
    let popup = centered(area, 72, 5 + 2);
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);

    let rows = Layout::vertical([Constraint::Length(1); 3]).spacing(1).split(inner);
    for (index, (field, row)) in editor.fields.iter().zip(rows.iter()).enumerate() {
        let [label, input] = Layout::horizontal([Constraint::Length(LABEL_WIDTH), Constraint::Fill(1)]).areas(*row);
        let style = if index == editor.active {
            Style::new().fg(theme::accent()).add_modifier(Modifier::BOLD)
        } else {
            theme::dim()
        };
        frame.render_widget(Paragraph::new(Line::styled(FIELD_NAMES[index], style)), label);
        frame.render_widget(field, input);
    }
}
