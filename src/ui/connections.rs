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
    let open = rows.iter().filter(|row| !row.is_closed()).count();
    let listed = rows.iter().filter(|row| !row.tab.in_bar).count();
    let block = Block::bordered()
        .title(format!(
            " Captured connections: {}, {open} open, {listed} not in the tab bar ",
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
    let items: Vec<ListItem> = rows.iter().map(|row| ListItem::new(line(row))).collect();
    let list = List::new(items).highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = ListState::default().with_selected(Some(selected.min(rows.len() - 1)));
    frame.render_stateful_widget(list, inner, &mut state);
}

fn line(row: &ConnectionRow) -> Line<'static> {
    let word = row.state_word();
    let colour = theme::state_colour(word == "open", word == "opening" || word == "closing", word == "failed");
    let counters = &row.counters;
    let place = if row.tab.in_bar {
        // The bar's tabs come first, so a place there is its number.
        format!("tab {}", row.place + 1)
    } else {
        "listed".to_string()
    };
    let unseen = if row.tab.unseen > 0 && !row.tab.active {
        format!(" +{}", row.tab.unseen)
    } else {
        String::new()
    };
    Line::from(vec![
        Span::raw(format!("#{:<5} ", row.id)),
        Span::styled(format!("{word:<8}"), Style::new().fg(colour)),
        Span::styled(
            format!(
                "↑{:>7} {:>10}  ",
                counters.frames_out,
                format::bytes(counters.bytes_out)
            ),
            Style::new().fg(theme::sent()),
        ),
        Span::styled(
            format!("↓{:>7} {:>10}  ", counters.frames_in, format::bytes(counters.bytes_in)),
            Style::new().fg(theme::received()),
        ),
        Span::raw(format!("{place:<7}{unseen:<8} ")),
        Span::raw(one_line(&row.tab.name).into_owned()),
        Span::styled(format!("  from {}", one_line(&row.client)), theme::dim()),
    ])
}
