//! The detail view: one frame in full, with its timing.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::frames::kind_name;
use super::theme;
use crate::app::{App, Detail};
use crate::format;
use crate::frames::LogEntry;
use crate::payload::BodyKind;
use crate::record::{Direction, FrameKind};

pub fn render(frame: &mut Frame, area: Rect, app: &App, detail: &Detail) {
    let Some(LogEntry::Frame(record)) = app.session().visible().entry(detail.seq) else {
        return;
    };
    let direction = match record.direction {
        Direction::Sent => "sent",
        Direction::Received => "received",
    };
    let binary = matches!(record.kind, FrameKind::Binary | FrameKind::Ping | FrameKind::Pong);
    let lines_known = match (detail.body.is_complete(), detail.body.len()) {
        (true, 1) => " · 1 line".to_string(),
        (true, n) => format!(" · {n} lines"),
        (false, _) => String::new(),
    };
    let view = if binary {
        format!(" · {} (b switches)", detail.view.name())
    } else {
        String::new()
    };
    // With several tabs, which connection the frame came over.
    let tabs = app.tab_infos();
    let tab = tabs
        .iter()
        .position(|tab| tab.active)
        .filter(|_| tabs.len() > 1)
        .map(|place| format!(" · tab {} {}", place + 1, crate::sanitize::one_line(&tabs[place].name)))
        .unwrap_or_default();
    let title = format!(
        " {direction} {} · {}{view}{lines_known}{tab} ",
        kind_name(record.kind),
        format::bytes(record.wire_len())
    );
    let block = Block::bordered()
        .title(title)
        .title_bottom(Line::styled(
            " ↑↓ PgUp/PgDn Home/End · / search · ←/→ other frames · y copy · e edit · Esc ",
            theme::dim(),
        ))
        .border_style(theme::border(true));
    frame.render_widget(Clear, area);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let [timing_area, body_area] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    let figure = |label: &str, value: Option<std::time::Duration>| {
        value.map(|v| {
            vec![
                Span::styled(format!(" · {label} "), theme::dim()),
                Span::raw(format!("+{}", format::duration(v))),
            ]
        })
    };
    let mut timing = vec![Span::styled("at ", theme::dim()), Span::raw(format::clock(record.at))];
    if let Some((request, rtt)) = app.session().pairing.by_response.get(&detail.seq) {
        timing.push(Span::styled(" · pair ", theme::dim()));
        timing.push(Span::raw(format!("⇄ {} (request #{request})", format::duration(*rtt))));
    } else if let Some(response) = app.session().pairing.by_request.get(&detail.seq) {
        timing.push(Span::styled(" · pair ", theme::dim()));
        timing.push(Span::raw(format!("⇄ answered by #{response}")));
    }
    for part in [
        figure("connect", detail.since_connect),
        figure("prev", detail.since_previous),
        figure("reply", detail.reply_latency),
    ]
    .into_iter()
    .flatten()
    {
        timing.extend(part);
    }
    frame.render_widget(Paragraph::new(Line::from(timing)), timing_area);

    // A heading says how the payload was decoded, or why it was not.
    let body_area = match &detail.heading {
        Some((error, heading)) => {
            let [heading_area, rest] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(body_area);
            let style = if *error {
                theme::note(crate::frames::NoteLevel::Error)
            } else {
                theme::dim()
            };
            frame.render_widget(Paragraph::new(Line::styled(heading.clone(), style)), heading_area);
            rest
        }
        None => body_area,
    };
    // Only the visible lines are formatted and styled, whatever the
    // payload's size.
    let height = usize::from(body_area.height);
    let lines: Vec<Line> = detail
        .body
        .lines(detail.scroll, height)
        .iter()
        .map(|text| style_line(detail.kind, text))
        .collect();
    let lines = if lines.is_empty() {
        vec![Line::styled("(empty payload)", theme::dim())]
    } else {
        lines
    };
    frame.render_widget(Paragraph::new(lines), body_area);
}

fn style_line(kind: BodyKind, text: &str) -> Line<'static> {
    match kind {
        BodyKind::Json => json_line(text),
        BodyKind::Hex => {
            // offset, bytes, ascii
            let (offset, rest) = text.split_at(text.len().min(8));
            let (bytes, ascii) = rest.split_at(rest.find('|').unwrap_or(rest.len()));
            Line::from(vec![
                Span::styled(offset.to_string(), theme::dim()),
                Span::raw(bytes.to_string()),
                Span::styled(ascii.to_string(), Style::new().fg(theme::accent())),
            ])
        }
        BodyKind::Close => Line::styled(text.to_string(), Style::new().fg(theme::warn())),
        BodyKind::Text | BodyKind::Base64 | BodyKind::Utf8 => Line::raw(text.to_string()),
    }
}

/// Colours one line of pretty-printed JSON: keys, strings, numbers,
/// literals and punctuation.
fn json_line(text: &str) -> Line<'static> {
    let [key, string, number, literal] = theme::json();
    let mut spans = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            let token: String = chars[start..i].iter().collect();
            let is_key = chars[i..].iter().find(|c| !c.is_whitespace()) == Some(&':');
            spans.push(Span::styled(token, if is_key { key } else { string }));
        } else if c == '-' || c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || "+-.eE".contains(chars[i])) {
                i += 1;
            }
            spans.push(Span::styled(chars[start..i].iter().collect::<String>(), number));
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                i += 1;
            }
            spans.push(Span::styled(chars[start..i].iter().collect::<String>(), literal));
        } else {
            let start = i;
            while i < chars.len() && !(chars[i] == '"' || chars[i] == '-' || chars[i].is_ascii_alphanumeric()) {
                i += 1;
            }
            spans.push(Span::styled(chars[start..i].iter().collect::<String>(), theme::dim()));
        }
    }
    Line::from(spans)
}
