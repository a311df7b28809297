//! The F1 help overlay, generated from the key table, so remapped keys
//! show. Descriptions wrap to the width there is, and typing narrows the
//! list to the actions whose description, keys or section mention it, so
//! every action is findable at 80x24.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::{centered, theme};
use crate::app::App;
use crate::keymap::{ActiveBinding, Keymap, Scope};

/// The sections, in the columns a wide terminal shows them in.
const COLUMNS: [&[Scope]; 3] = [
    &[Scope::Global, Scope::Url, Scope::Table, Scope::Headers],
    &[Scope::Frames, Scope::Detail],
    &[
        Scope::RowEditor,
        Scope::Picker,
        Scope::Messages,
        Scope::Operations,
        Scope::Connections,
        Scope::Stats,
        Scope::Prompt,
        Scope::Confirm,
    ],
];

/// The widest the keys column grows (`Ctrl-J / Alt-Enter`).
const MAX_KEYS_WIDTH: usize = 18;

/// Whether a binding mentions `query` (already lowercase).
fn mentions(scope: Scope, binding: &ActiveBinding, query: &str) -> bool {
    query.is_empty()
        || binding.description.to_lowercase().contains(query)
        || binding.keys_label().to_lowercase().contains(query)
        || scope.title().to_lowercase().contains(query)
}

/// `text` in lines of at most `width` columns, broken at spaces where it can.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let wanted = current.width() + usize::from(!current.is_empty()) + word.width();
        if !current.is_empty() && wanted > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
        while current.width() > width {
            let cut: String = current.chars().take(width).collect();
            let rest: String = current.chars().skip(width).collect();
            lines.push(cut);
            current = rest;
        }
    }
    lines.push(current);
    lines
}

/// One section's lines: its title, then each binding with its keys and its
/// description wrapped beside them.
fn section(keymap: &Keymap, scope: Scope, query: &str, keys_width: usize, width: usize) -> Vec<Line<'static>> {
    let bindings: Vec<&ActiveBinding> = keymap
        .bindings_in(scope)
        .filter(|b| mentions(scope, b, query))
        .collect();
    if bindings.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![Line::styled(
        scope.title().to_string(),
        Style::new().fg(theme::accent()).add_modifier(Modifier::BOLD),
    )];
    for binding in bindings {
        let keys = format!("{} ", binding.keys_label());
        // A label longer than the column (Alt-Right / Ctrl-PageDown) takes
        // a line of its own rather than squeezing its description.
        let own_line = keys.width() > keys_width;
        if own_line {
            lines.push(Line::styled(keys.clone(), Style::new().add_modifier(Modifier::BOLD)));
        }
        for (i, part) in wrap(binding.description, width.saturating_sub(keys_width))
            .into_iter()
            .enumerate()
        {
            let lead = if i == 0 && !own_line {
                format!("{keys:<keys_width$}")
            } else {
                " ".repeat(keys_width)
            };
            lines.push(Line::from(vec![
                Span::styled(lead, Style::new().add_modifier(Modifier::BOLD)),
                Span::raw(part),
            ]));
        }
    }
    lines
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let ping = match app.session().ping_interval {
        Some(every) => format!("keepalive ping every {}s", every.as_secs()),
        None => "keepalive ping off".to_string(),
    };
    let query = app.help_query.to_lowercase();
    let title = if query.is_empty() {
        " wscope keys · type to search ".to_string()
    } else {
        format!(" wscope keys · search: {} ", crate::sanitize::one_line(&app.help_query))
    };
    let block = Block::bordered()
        .title(title)
        .title_bottom(Line::styled(
            format!(" ↑↓ PgUp PgDn scroll · Esc closes · {ping} "),
            theme::dim(),
        ))
        .border_style(theme::border(true));
    let wide = area.width >= 120;
    let popup = centered(area, if wide { 126 } else { 84 }, if wide { 40 } else { 30 });
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);

    // The overlay's own keys are in its border. Wide terminals get the
    // sections in three columns; narrow ones, and any search, one list.
    let columns: Vec<Vec<Scope>> = if wide && query.is_empty() {
        COLUMNS.iter().map(|column| column.to_vec()).collect()
    } else {
        vec![COLUMNS.concat()]
    };
    let areas = Layout::horizontal(vec![Constraint::Fill(1); columns.len()])
        .spacing(1)
        .split(inner);
    for (scopes, column_area) in columns.iter().zip(areas.iter()) {
        let keys_width = scopes
            .iter()
            .flat_map(|s| app.keymap.bindings_in(*s))
            .map(|b| b.keys_label().width())
            .max()
            .unwrap_or(0)
            .min(MAX_KEYS_WIDTH)
            + 1;
        let mut lines = Vec::new();
        for scope in scopes {
            let shown = section(&app.keymap, *scope, &query, keys_width, usize::from(column_area.width));
            if !shown.is_empty() && !lines.is_empty() {
                lines.push(Line::default());
            }
            lines.extend(shown);
        }
        if lines.is_empty() {
            lines.push(Line::styled(
                format!("no action mentions {:?}", crate::sanitize::one_line(&app.help_query)),
                theme::dim(),
            ));
        }
        // Scrolled no further than the list's last screen.
        let last_top = lines.len().saturating_sub(usize::from(column_area.height));
        let scroll = usize::from(app.help_scroll).min(last_top);
        frame.render_widget(
            Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
            *column_area,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_wrap_at_spaces_and_long_words_are_cut() {
        assert_eq!(wrap("edit message in $EDITOR", 12), vec!["edit message", "in $EDITOR"]);
        assert_eq!(wrap("abcdefghijkl", 8), vec!["abcdefgh", "ijkl"]);
        assert_eq!(wrap("", 10), vec![""]);
    }
}
