//! The F1 help overlay, generated from the key table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{centered, theme};
use crate::app::App;
use crate::keymap::{Keymap, Scope};

/// The widest the keys column grows (`Ctrl-J / Alt-Enter`).
const MAX_KEYS_WIDTH: usize = 18;

fn section(keymap: &Keymap, scope: Scope, keys_width: usize) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        scope.title().to_string(),
        Style::new().fg(theme::accent()).add_modifier(Modifier::BOLD),
    )];
    for binding in keymap.bindings_in(scope) {
        lines.push(Line::from(vec![
            Span::styled(
                // A label longer than the column (Alt-Right / Ctrl-PageDown)
                // pushes its own description along rather than every row's.
                format!("{:<keys_width$}", format!("{} ", binding.keys_label())),
                Style::new().add_modifier(Modifier::BOLD),
            ),
            Span::raw(binding.description),
        ]));
    }
    lines
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let ping = match app.session().ping_interval {
        Some(every) => format!("keepalive ping every {}s", every.as_secs()),
        None => "keepalive ping off".to_string(),
    };
    let block = Block::bordered()
        .title(" wscope keys ")
        .title_bottom(Line::styled(format!(" ↑↓ scroll · Esc closes · {ping} "), theme::dim()))
        .border_style(theme::border(true));
    let wide = area.width >= 120;
    let popup = centered(area, if wide { 126 } else { 84 }, if wide { 40 } else { 30 });
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);

    // The overlay's own keys are in its border. Two columns fit 80x24; the
    // dialogs' keys get a third on wide terminals (they also show their keys
    // in their own borders).
    let columns: Vec<Vec<Scope>> = if wide {
        vec![
            vec![Scope::Global, Scope::Url, Scope::Table, Scope::Headers],
            vec![Scope::Frames, Scope::Detail],
            vec![
                Scope::RowEditor,
                Scope::Picker,
                Scope::Messages,
                Scope::Operations,
                Scope::Prompt,
                Scope::Confirm,
            ],
        ]
    } else {
        vec![
            vec![Scope::Global, Scope::Url, Scope::Table, Scope::Headers],
            vec![
                Scope::Frames,
                Scope::Detail,
                Scope::RowEditor,
                Scope::Picker,
                Scope::Messages,
                Scope::Operations,
                Scope::Prompt,
                Scope::Confirm,
            ],
        ]
    };
    let shown = columns.len();
    let column = |scopes: &[Scope]| {
        let keys_width = scopes
            .iter()
            .flat_map(|s| app.keymap.bindings_in(*s))
            .map(|b| b.keys_label().chars().count())
            .max()
            .unwrap_or(0)
            .min(MAX_KEYS_WIDTH)
            + 1;
        let mut lines = Vec::new();
        for scope in scopes {
            if !lines.is_empty() {
                lines.push(Line::default());
            }
            lines.extend(section(&app.keymap, *scope, keys_width));
        }
        lines
    };
    let areas = Layout::horizontal(vec![Constraint::Fill(1); shown])
        .spacing(1)
        .split(inner);
    for (scopes, column_area) in columns.iter().zip(areas.iter()) {
        frame.render_widget(
            Paragraph::new(column(scopes)).scroll((app.help_scroll, 0)),
            *column_area,
        );
    }
}
