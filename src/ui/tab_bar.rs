//! The tab bar: one row above the panes when more than one tab is open,
//! each tab's name, a state badge and its count of unseen frames, shortened
//! to fit the width.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::app::App;
use crate::app::tabs::TabInfo;
use crate::conn::ConnState;

/// The shortest a name is cut to; below it, names are left out.
const MIN_NAME: usize = 3;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let line = bar(&app.tab_infos(), usize::from(area.width));
    frame.render_widget(Paragraph::new(line), area);
}

/// The bar's text for `sessions` in `width` columns: the tabs in the bar,
/// then how many more only the connections list shows.
pub fn bar(sessions: &[TabInfo], width: usize) -> Line<'static> {
    let listed = sessions.iter().filter(|tab| !tab.in_bar).count();
    let more = if listed > 0 {
        format!(" +{listed} more: Alt-l ")
    } else {
        String::new()
    };
    let tabs: Vec<&TabInfo> = sessions.iter().filter(|tab| tab.in_bar).collect();
    let mut line = tabs_line(&tabs, width.saturating_sub(more.chars().count()));
    if !more.is_empty() {
        line.spans.push(Span::styled(more, theme::dim()));
    }
    line
}

fn tabs_line(tabs: &[&TabInfo], width: usize) -> Line<'static> {
    let labels: Vec<(String, String)> = tabs
        .iter()
        .enumerate()
        .map(|(n, tab)| {
            let badge = badge(&tab.state);
            let unseen = if tab.unseen > 0 && !tab.active {
                format!(" +{}", short_count(tab.unseen))
            } else {
                String::new()
            };
            (format!("{} ", n + 1), format!("{badge}{unseen}"))
        })
        .collect();
    // Each tab: " N name● +5 " and a separator; names share what is left.
    let fixed: usize = labels
        .iter()
        .map(|(prefix, suffix)| prefix.chars().count() + suffix.chars().count() + 3)
        .sum();
    // Too many tabs for even short names: numbers and badges only.
    let per_name = width.saturating_sub(fixed) / tabs.len().max(1);
    let per_name = if per_name < MIN_NAME { 0 } else { per_name };
    let mut spans = Vec::new();
    let mut used = 0;
    let count = tabs.len();
    for (index, (tab, (prefix, suffix))) in tabs.iter().zip(labels).enumerate() {
        let text = if per_name == 0 {
            format!(" {}{} ", prefix.trim_end(), suffix.replace(' ', ""))
        } else {
            let name = crate::flow::step::summary(&crate::sanitize::one_line(&tab.name), per_name);
            format!(" {prefix}{name}{suffix} ")
        };
        let len = text.chars().count() + 1;
        // A tab that is not the last leaves room for the "…" after it.
        let room = if index + 1 == count {
            width
        } else {
            width.saturating_sub(1)
        };
        if used + len > room {
            spans.push(Span::raw("…"));
            break;
        }
        used += len;
        let style = if tab.active {
            theme::badge(theme::accent()).add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        spans.push(Span::styled(text, style));
        spans.push(Span::raw("│"));
    }
    Line::from(spans)
}

/// A state in one character: ● open, ◌ connecting, ✕ failed, ○ otherwise.
fn badge(state: &ConnState) -> &'static str {
    match state {
        ConnState::Open { .. } => "●",
        ConnState::Connecting { .. } | ConnState::Reconnecting { .. } | ConnState::Closing => "◌",
        ConnState::Failed(_) => "✕",
        _ => "○",
    }
}

fn short_count(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1_000..=999_999 => format!("{}k", n / 1_000),
        _ => format!("{}M", n / 1_000_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tabs(n: usize) -> Vec<TabInfo> {
        (0..n)
            .map(|i| TabInfo {
                id: i as u64 + 1,
                name: format!("stream.example.com/v1/feed-{i}"),
                state: if i % 2 == 0 {
                    ConnState::Open {
                        since: std::time::Instant::now(),
                        protocol: None,
                    }
                } else {
                    ConnState::Idle
                },
                unseen: (i as u64) * 1_500,
                active: i == 0,
                in_bar: true,
            })
            .collect()
    }

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn the_bar_fits_80_columns() {
        for n in [1, 3, 9] {
            let line = text(&bar(&tabs(n), 80));
            let width = unicode_width::UnicodeWidthStr::width(line.as_str());
            assert!(width <= 80, "{n} tabs: {width} columns: {line}");
            insta::assert_snapshot!(format!("tab_bar_{n}"), line);
        }
    }

    #[test]
    fn listed_connections_are_counted_after_the_tabs() {
        let mut sessions = tabs(309);
        for tab in &mut sessions[9..] {
            tab.in_bar = false;
        }
        let line = text(&bar(&sessions, 80));
        assert!(line.ends_with(" +300 more: Alt-l "), "{line}");
        assert!(unicode_width::UnicodeWidthStr::width(line.as_str()) <= 80, "{line}");
        assert!(line.starts_with(" 1●"), "{line}");
    }
}
