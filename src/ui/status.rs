//! The status bar (state and latency) and the footer (notice or key hints).

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::action::Action;
use crate::app::{App, state_summary};
use crate::conn::ConnState;
use crate::format;
use crate::keymap;

const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

pub fn render_status(frame: &mut Frame, area: Rect, app: &App, now: Instant) {
    let state = &app.session().connection.state;
    let badge_colour = match state {
        ConnState::Open { .. } => theme::state_colour(true, false, false),
        ConnState::Connecting { .. } | ConnState::Closing | ConnState::Reconnecting { .. } => {
            theme::state_colour(false, true, false)
        }
        ConnState::Failed(_) => theme::state_colour(false, false, true),
        ConnState::Closed { code, .. } if *code != Some(1000) && code.is_some() => {
            theme::state_colour(false, true, false)
        }
        _ => theme::state_colour(false, false, false),
    };
    // An opened recording names itself until a connection is made.
    let summary = match (&app.session().recording, state) {
        (Some(recording), ConnState::Idle) => {
            format!("Recording ({})", crate::sanitize::one_line(recording))
        }
        _ => state_summary(state),
    };
    let mut left = vec![Span::styled(format!(" {summary} "), theme::badge(badge_colour))];
    if let Some(age) = app.session().state_age(now) {
        let spinner = match state {
            ConnState::Connecting { .. } => format!("{} ", SPINNER[(age.as_millis() / 100) as usize % SPINNER.len()]),
            _ => String::new(),
        };
        left.push(Span::raw(format!(" {spinner}{}", format::elapsed(age))));
    }
    if let ConnState::Reconnecting { at, .. } = state {
        let wait = at.saturating_duration_since(now);
        left.push(Span::raw(format!(" in {:.1}s", wait.as_secs_f32())));
    }
    if app.session().insecure
        && matches!(state, ConnState::Open { .. })
        && app
            .session()
            .connection
            .url
            .as_deref()
            .is_some_and(|u| u.starts_with("wss:"))
    {
        left.push(Span::styled(
            " ⚠ INSECURE TLS ",
            theme::badge(theme::state_colour(false, false, true)),
        ));
    }
    let sparkline = app.session().pairing.sparkline();
    if !sparkline.is_empty() {
        left.push(Span::styled(format!(" {sparkline}"), Style::new().fg(theme::accent())));
    }
    if let Some(schedule) = &app.session().schedule {
        left.push(Span::styled(
            format!(" ⏱ every {} ({})", format::duration(schedule.every), schedule.sent),
            Style::new().fg(theme::accent()),
        ));
    }
    if let Some(flow) = &app.session().flow {
        // The step's label is the flow file's text: sanitized, and short.
        let status = crate::flow::step::summary(&crate::sanitize::one_line(&flow.status()), 48);
        left.push(Span::styled(format!(" ▶ {status}"), Style::new().fg(theme::accent())));
    }
    let protocol = app.session().protocol().kind;
    if !protocol.is_raw() {
        // Heartbeats are answered and hidden; their count says they flow.
        let hidden = app.session().connection.hidden;
        let beats = if hidden > 0 {
            format!(" ♥{hidden}")
        } else {
            String::new()
        };
        left.push(Span::styled(
            format!(" {}{beats}", protocol.label()),
            Style::new().fg(theme::accent()),
        ));
    }
    if app.session().reconnect {
        left.push(Span::styled(" ⟳auto", Style::new().fg(theme::accent())));
    }
    if let Some(env) = app.shared.resolver.environment_name() {
        left.push(Span::styled(
            format!(" env {}", crate::sanitize::one_line(env)),
            Style::new().fg(theme::accent()),
        ));
    }
    if let ConnState::Open {
        protocol: Some(protocol),
        ..
    } = state
    {
        // The server's own header value.
        left.push(Span::styled(
            format!(" [{}]", crate::sanitize::one_line(protocol)),
            theme::dim(),
        ));
    }

    // The state always shows in full; the figures on the right shrink to
    // short labels, then drop the latency, when the line is too narrow.
    let left = Line::from(left);
    let room = usize::from(area.width).saturating_sub(left.width() + 1);
    let right = [Labels::Long, Labels::Short]
        .into_iter()
        .map(|labels| figures_line(app, labels, true))
        .chain(std::iter::once(figures_line(app, Labels::Short, false)))
        .find(|line| line.width() <= room)
        .unwrap_or_default();
    let width = right.width() as u16;
    let [left_area, right_area] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(width)]).areas(area);
    frame.render_widget(Paragraph::new(left), left_area);
    frame.render_widget(Paragraph::new(right), right_area);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Labels {
    Long,
    Short,
}

/// Traffic counters, then (if `with_latency`) the three latency figures.
fn figures_line(app: &App, labels: Labels, with_latency: bool) -> Line<'static> {
    let counters = app.session().frames.counters();
    let mut spans = vec![
        Span::styled(
            format!(" ↑{} {}", counters.frames_out, format::bytes(counters.bytes_out)),
            Style::new().fg(theme::sent()),
        ),
        Span::styled(
            format!(" ↓{} {}", counters.frames_in, format::bytes(counters.bytes_in)),
            Style::new().fg(theme::received()),
        ),
    ];
    if with_latency {
        let conn = &app.session().connection;
        let ping = if labels == Labels::Long { "ping" } else { "rtt" };
        let handshake = if labels == Labels::Long { "handshake" } else { "hs" };
        for (label, value) in [
            (handshake, conn.handshake.as_ref().map(|h| h.timings.total)),
            (ping, conn.rtt.last),
            ("reply", conn.reply.last),
        ] {
            spans.push(Span::styled(format!(" │ {label} "), theme::dim()));
            let shown = match value {
                Some(value) => format::duration(value),
                None if label == ping && app.session().ping_interval.is_none() => "off".to_string(),
                None => "—".to_string(),
            };
            spans.push(Span::raw(shown));
        }
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}

pub fn render_footer(frame: &mut Frame, area: Rect, app: &App) {
    let line = match &app.shared.notice {
        Some(notice) => Line::styled(format!(" {}", notice.text), theme::note(notice.level)),
        None => hints(app, usize::from(area.width)),
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// Hints for the focused scope first, then the global ones worth a hint,
/// help and quit leading so a narrow terminal cuts the others.
fn hints(app: &App, width: usize) -> Line<'static> {
    let mut spans = Vec::new();
    let mut used = 0;
    for scope in app.scopes() {
        let mut bindings: Vec<_> = app.keymap.bindings_in(scope).collect();
        if scope == keymap::Scope::Global {
            bindings.sort_by_key(|b| !matches!(b.action, Action::ToggleHelp | Action::Quit));
        }
        for binding in bindings {
            let (Some(hint), Some(key)) = (binding.hint, binding.keys.first()) else {
                continue;
            };
            // Only a captured connection has a client to send to.
            if matches!(binding.action, Action::SendToClient | Action::Intercept) && app.session().capture.is_none() {
                continue;
            }
            let key = format!(" {}", key.short_label());
            let hint = format!(" {hint} ");
            // Whole hints only: a cut one reads as a different key.
            used += key.chars().count() + hint.chars().count();
            if used > width {
                return Line::from(spans);
            }
            spans.push(Span::styled(key, Style::new().fg(theme::accent())));
            spans.push(Span::raw(hint));
        }
    }
    Line::from(spans)
}
