//! The captured connections list (Alt-l): one row per connection, its
//! state, traffic each way and where it stands (a tab, or only listed).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, List, ListItem, ListState, Paragraph, Wrap};

use super::{centered, theme};
use crate::app::App;
use crate::app::connections_list::ConnectionRow;
use crate::format;
use crate::sanitize::one_line;

pub fn render(frame: &mut Frame, area: Rect, app: &App, selected: usize) {
    let rows = app.connection_rows();
    let live = rows.iter().filter(|row| !row.is_closed()).count();
    let listed = rows.iter().filter(|row| !row.tab.in_bar).count();
    let block = Block::bordered()
        .title(format!(
            " Captured connections: {}, {live} live, {listed} not in the tab bar ",
            rows.len()
        ))
        .title_bottom(Line::styled(
            " Enter show as a tab · c clear closed · Esc close ",
            theme::dim(),
        ))
        .border_style(theme::border(true));
    let popup = centered(area, 120, area.height.saturating_sub(2).max(8));
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new("No connection captured yet: point a client at the proxy's address.")
                .wrap(Wrap { trim: true })
                .style(theme::dim()),
            inner,
        );
        return;
    }
    let width = usize::from(inner.width);
    let selected = selected.min(rows.len() - 1);
    // Only the rows that show are laid out (a proxy may list thousands), from
    // where a list scrolled just far enough to show the selection starts.
    let height = usize::from(inner.height).max(1);
    let first = selected.saturating_sub(height - 1);
    let items: Vec<ListItem> = rows[first..]
        .iter()
        .take(height)
        .map(|row| ListItem::new(line(row, width)))
        .collect();
    let list = List::new(items).highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = ListState::default().with_selected(Some(selected - first));
    frame.render_stateful_widget(list, inner, &mut state);
}

/// One connection in `width` columns: the counts and state in fixed
/// columns, then the name, cut to what is left, then the client if it fits.
fn line(row: &ConnectionRow, width: usize) -> Line<'static> {
    let word = row.state_word();
    let colour = theme::state_colour(word == "open", word == "opening" || word == "closing", word == "failed");
    let counters = &row.counters;
    let mut place = if row.tab.in_bar {
        // The bar's tabs come first, so a place there is its number.
        format!("tab {}", row.place + 1)
    } else {
        "listed".to_string()
    };
    if row.tab.unseen > 0 && !row.tab.active {
        place.push_str(&format!(" +{}", row.tab.unseen));
    }
    let fixed = vec![
        Span::raw(format!("#{:<5} ", row.id)),
        Span::styled(format!("{word:<8}"), Style::new().fg(colour)),
        Span::styled(
            format!("↑{:>6} {:>9} ", counters.frames_out, format::bytes(counters.bytes_out)),
            Style::new().fg(theme::sent()),
        ),
        Span::styled(
            format!("↓{:>6} {:>9} ", counters.frames_in, format::bytes(counters.bytes_in)),
            Style::new().fg(theme::received()),
        ),
        Span::raw(format!("{place:<12} ")),
    ];
    let used: usize = fixed.iter().map(|span| span.content.chars().count()).sum();
    let room = width.saturating_sub(used);
    let name = keep_the_end(&one_line(&row.tab.name), room.max(1));
    let client = format!("  from {}", one_line(&row.client));
    let mut spans = fixed;
    let name_len = name.chars().count();
    spans.push(Span::raw(name));
    if name_len + client.chars().count() <= room {
        spans.push(Span::styled(client, theme::dim()));
    }
    Line::from(spans)
}

/// `text` cut to `width` characters from the front: connections to one
/// server differ at the end of their paths, not in their host.
fn keep_the_end(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_string();
    }
    let tail: String = text.chars().skip(count - width + 1).collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_name_keeps_its_end() {
        assert_eq!(keep_the_end("⇄ 127.0.0.1/room12", 30), "⇄ 127.0.0.1/room12");
        assert_eq!(keep_the_end("⇄ 127.0.0.1/room12", 8), "…/room12");
        assert_eq!(keep_the_end("abc", 1), "…");
    }
}
