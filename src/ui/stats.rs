//! The stats view: the rate chart and the latency figures on top, the
//! types, sizes or gaps table below. Everything drawn comes from the
//! figures ([`crate::stats::Stats`]), never from the frames, so a draw
//! costs the same after a million frames as after ten.

use std::time::{Duration, SystemTime};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Clear, Dataset, GraphType, Paragraph, Row, Table, TableState};

use super::theme;
use crate::app::App;
use crate::app::stats_view::{StatsTable, StatsView};
use crate::format;
use crate::sanitize::one_line;
use crate::stats::latency::Percentiles;
use crate::stats::rate::RateBucket;
use crate::stats::{Stats, micros};

/// Seconds the live chart shows.
const LIVE_SECONDS: usize = 60;

pub fn render(frame: &mut Frame, area: Rect, app: &App, view: &StatsView) {
    let stats = app.shown_stats();
    let live = app.stats_live();
    frame.render_widget(Clear, area);
    let scope = if view.merged { "every tab" } else { "this tab" };
    let mut title = format!(
        " Stats · {scope} · {} · {} · over {} ",
        format::count(stats.frames, "frame"),
        format::bytes(stats.bytes),
        format::elapsed(stats.span())
    );
    if let Some(group_by) = &app.shared.group_by {
        title.push_str(&format!("· by {} ", one_line(&group_by.text)));
    }
    if stats.gaps.clock_jumps > 0 {
        title.push_str(&format!(
            "· {} stamped before the one before ",
            format::count(stats.gaps.clock_jumps, "frame")
        ));
    }
    if stats.types.overflowed() {
        title.push_str(&format!(
            "· past {} types the rest count as {} ",
            crate::stats::types::MAX_TYPES,
            crate::stats::types::OTHER
        ));
    }
    let held = held_frames(app, view);
    if held < stats.frames {
        title.push_str(&format!(
            "· {} dropped from the history, still counted ",
            stats.frames - held
        ));
    }
    let block = Block::bordered()
        .title(title)
        .title_bottom(Line::styled(
            " Tab table · ↑↓ row · Enter its frames · g group by · b bytes · +/- zoom · Esc close ",
            theme::dim(),
        ))
        .border_style(theme::border(true));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 6 || inner.width < 30 {
        return;
    }
    let top_height = (inner.height * 9 / 20).max(7);
    let [top, bottom] = Layout::vertical([Constraint::Length(top_height), Constraint::Fill(1)]).areas(inner);
    let latency_width = (inner.width / 3).clamp(28, 44);
    let [chart_area, latency_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(latency_width)]).areas(top);
    render_rate(frame, chart_area, stats, view, live);
    render_latency(frame, latency_area, app, stats);
    render_table(frame, bottom, stats, view);
}

/// Frames the shown logs hold now.
fn held_frames(app: &App, view: &StatsView) -> u64 {
    let frames_of = |session: &crate::app::Session| {
        let counters = session.frames.counters();
        let counted = counters.frames_in + counters.frames_out;
        // Notes are entries too; frames held are at most those counted.
        (session.frames.len() as u64).min(counted)
    };
    if view.merged {
        app.tabs.iter().map(frames_of).sum()
    } else {
        frames_of(app.session())
    }
}

/// The points of the chart: (seconds on the x axis, in, out), and the
/// x axis' bounds and labels.
struct Series {
    points_in: Vec<(f64, f64)>,
    points_out: Vec<(f64, f64)>,
    bounds: [f64; 2],
    labels: [String; 3],
    caption: String,
}

fn value(bucket: &RateBucket, bytes: bool) -> (f64, f64) {
    if bytes {
        (bucket.bytes_in as f64, bucket.bytes_out as f64)
    } else {
        (bucket.frames_in as f64, bucket.frames_out as f64)
    }
}

fn live_series(stats: &Stats, bytes: bool) -> Series {
    let now = micros(SystemTime::now());
    let seconds = stats.rate.last_seconds(now, LIVE_SECONDS);
    let mut series = Series {
        points_in: Vec::new(),
        points_out: Vec::new(),
        bounds: [-(LIVE_SECONDS as f64 - 1.0), 0.0],
        labels: ["-60s".into(), "-30s".into(), "now".into()],
        caption: "last 60 s".into(),
    };
    for (i, bucket) in seconds.iter().enumerate() {
        let x = i as f64 - (seconds.len() as f64 - 1.0);
        let (inbound, outbound) = value(bucket, bytes);
        series.points_in.push((x, inbound));
        series.points_out.push((x, outbound));
    }
    series
}

fn span_series(stats: &Stats, view: &StatsView) -> Series {
    let (start, width, buckets) = stats.rate.span();
    let total = buckets.len().max(1);
    let shown = (total >> view.zoom).max(2).min(total);
    let back = (shown / 2).max(1) * view.pan as usize;
    let end = total.saturating_sub(back).max(shown.min(total));
    let begin = end - shown.min(end);
    let width_secs = width as f64 / 1e6;
    let origin = stats.first_at.unwrap_or(start);
    let x_of = |index: usize| ((start + index as i64 * width) - origin) as f64 / 1e6;
    let mut series = Series {
        points_in: Vec::new(),
        points_out: Vec::new(),
        bounds: [x_of(begin), x_of(end.max(begin + 1))],
        labels: Default::default(),
        caption: String::new(),
    };
    for index in begin..end {
        let Some(bucket) = buckets.get(index) else { break };
        let (inbound, outbound) = value(bucket, view.bytes);
        // Per second whatever the bucket's width.
        series.points_in.push((x_of(index), inbound / width_secs));
        series.points_out.push((x_of(index), outbound / width_secs));
    }
    let [low, high] = series.bounds;
    let at = |secs: f64| format!("+{}", format::elapsed(Duration::from_secs_f64(secs.max(0.0))));
    series.labels = [at(low), at((low + high) / 2.0), at(high)];
    series.caption = match width {
        1_000_000 => "whole run".into(),
        width => format!(
            "whole run in {} steps",
            format::duration(Duration::from_micros(width as u64))
        ),
    };
    if view.zoom > 0 {
        series.caption.push_str(&format!(" · zoom ×{}", 1u64 << view.zoom));
    }
    series
}

fn render_rate(frame: &mut Frame, area: Rect, stats: &Stats, view: &StatsView, live: bool) {
    let series = if live {
        live_series(stats, view.bytes)
    } else {
        span_series(stats, view)
    };
    let unit = if view.bytes { "bytes/s" } else { "frames/s" };
    let peak = series
        .points_in
        .iter()
        .chain(&series.points_out)
        .map(|(_, y)| *y)
        .fold(0.0, f64::max);
    let top = if peak <= 0.0 { 1.0 } else { peak * 1.1 };
    let y_label = |y: f64| {
        if view.bytes {
            format::bytes(y as u64)
        } else if y < 10.0 {
            format!("{y:.1}")
        } else {
            format!("{y:.0}")
        }
    };
    let datasets = vec![
        Dataset::default()
            .name("↓ in")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::new().fg(theme::received()))
            .data(&series.points_in),
        Dataset::default()
            .name("↑ out")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::new().fg(theme::sent()))
            .data(&series.points_out),
    ];
    let [first, middle, last] = series.labels.clone();
    let chart = Chart::new(datasets)
        .block(Block::new().title(Line::from(vec![
            Span::raw(format!("Rate, {unit}, {} ", series.caption)).bold(),
            Span::styled("↓in ", Style::new().fg(theme::received())),
            Span::styled("↑out", Style::new().fg(theme::sent())),
        ])))
        .x_axis(
            Axis::default()
                .bounds(series.bounds)
                .labels([first, middle, last])
                .style(theme::dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels(["0".to_string(), y_label(top / 2.0), y_label(top)])
                .style(theme::dim()),
        );
    frame.render_widget(chart, area);
}

/// A set of round trips in two or three short lines: how many, then
/// the percentiles.
fn percentiles_lines(label: &str, p: &Percentiles) -> Vec<Line<'static>> {
    if p.count == 0 {
        return vec![Line::from(vec![
            Span::raw(format!("{label} ")),
            Span::styled("none yet", theme::dim()),
        ])];
    }
    let d = |d: Duration| format::duration(d);
    vec![
        Line::from(format!("{label} {}", p.count)),
        Line::from(format!("  p50 {} · p90 {}", d(p.p50), d(p.p90))),
        Line::from(format!("  p99 {} · max {}", d(p.p99), d(p.max))),
    ]
}

fn render_latency(frame: &mut Frame, area: Rect, app: &App, stats: &Stats) {
    let mut lines = vec![Line::from("Latency").bold()];
    lines.extend(percentiles_lines("replies", &stats.replies.percentiles()));
    let pings: Vec<Duration> = stats.pings.iter().map(|(_, rtt)| *rtt).collect();
    lines.extend(percentiles_lines("pings", &Percentiles::of(&pings)));
    if !pings.is_empty() {
        lines.push(Line::styled(
            format!("  {}", sparkline(&pings, usize::from(area.width).saturating_sub(2))),
            Style::new().fg(theme::accent()),
        ));
    }
    if let Some(handshake) = &app.session().connection.handshake {
        let timings = &handshake.timings;
        let mut phases = vec![("dns", timings.dns), ("tcp", timings.tcp)];
        if let Some(tls) = timings.tls {
            phases.push(("tls", tls));
        }
        phases.push(("upgrade", timings.upgrade));
        lines.push(Line::from(format!("handshake {}", format::duration(timings.total))));
        lines.push(phase_bar(
            &phases,
            timings.total,
            usize::from(area.width).saturating_sub(2),
        ));
        lines.push(phase_legend(&phases));
    }
    frame.render_widget(Paragraph::new(lines), area.inner(ratatui::layout::Margin::new(1, 0)));
}

/// Colours of the handshake's phases, in order.
fn phase_colours() -> [ratatui::style::Color; 4] {
    [theme::accent(), theme::received(), theme::warn(), theme::sent()]
}

/// The last round trips, one column each, scaled to the largest.
fn sparkline(rtts: &[Duration], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let shown = &rtts[rtts.len().saturating_sub(width.saturating_sub(2))..];
    let max = shown.iter().max().copied().unwrap_or_default().as_secs_f64();
    shown
        .iter()
        .map(|rtt| match max {
            0.0 => BARS[0],
            max => BARS[((rtt.as_secs_f64() / max) * 7.0).round() as usize % 8],
        })
        .collect()
}

/// Handshake phases as one bar, each phase's share of the width.
fn phase_bar(phases: &[(&str, Duration)], total: Duration, width: usize) -> Line<'static> {
    let width = width.max(phases.len());
    let total = total.as_secs_f64().max(f64::EPSILON);
    let colours = phase_colours();
    let spans = phases
        .iter()
        .enumerate()
        .map(|(i, (_, length))| {
            let cells = ((length.as_secs_f64() / total) * width as f64).round().max(1.0) as usize;
            Span::styled("█".repeat(cells), Style::new().fg(colours[i % colours.len()]))
        })
        .collect::<Vec<_>>();
    Line::from(spans)
}

/// Which colour is which phase, and how long each took.
fn phase_legend(phases: &[(&str, Duration)]) -> Line<'static> {
    let colours = phase_colours();
    let spans = phases
        .iter()
        .enumerate()
        .flat_map(|(i, (name, length))| {
            [
                Span::styled("■", Style::new().fg(colours[i % colours.len()])),
                Span::raw(format!("{name} {} ", format::duration(*length))),
            ]
        })
        .collect::<Vec<_>>();
    Line::from(spans)
}

fn render_table(frame: &mut Frame, area: Rect, stats: &Stats, view: &StatsView) {
    let [tabs_area, table_area] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let tabs: Vec<Span> = StatsTable::all()
        .into_iter()
        .flat_map(|table| {
            let style = if table == view.table {
                Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
            } else {
                theme::dim()
            };
            [Span::styled(format!(" {} ", table.title()), style), Span::raw(" ")]
        })
        .collect();
    frame.render_widget(Paragraph::new(Line::from(tabs)), tabs_area);
    let width = usize::from(table_area.width);
    let (header, rows, widths, empty) = match view.table {
        StatsTable::Types => types_table(stats, width),
        StatsTable::Sizes => sizes_table(stats, width),
        StatsTable::Gaps => gaps_table(stats),
    };
    if rows.is_empty() {
        frame.render_widget(Paragraph::new(empty).style(theme::dim()), table_area);
        return;
    }
    let count = rows.len();
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme::dim()))
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default().with_selected(Some(view.selected.min(count - 1)));
    frame.render_stateful_widget(table, table_area, &mut state);
}

type TableParts = (Vec<&'static str>, Vec<Row<'static>>, Vec<Constraint>, &'static str);

/// A bar of `share` (0 to 1) in `width` cells, in eighths.
fn bar(share: f64, width: usize) -> String {
    const EIGHTHS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
    let eighths = (share.clamp(0.0, 1.0) * width as f64 * 8.0).round() as usize;
    let mut text = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        text.push(EIGHTHS[eighths % 8 - 1]);
    }
    text
}

fn types_table(stats: &Stats, width: usize) -> TableParts {
    let rows = stats.types.by_count();
    let total = rows.iter().map(|t| t.frames()).sum::<u64>().max(1);
    let most = rows.first().map_or(1, |t| t.frames()).max(1);
    let name_width = 18usize.min(width / 4).max(8);
    let fixed = name_width + 7 + 5 + 8 + 8 + 8 + 8 + 8 + 9;
    let bar_width = width.saturating_sub(fixed).max(1);
    let table_rows = rows
        .iter()
        .map(|row| {
            let latency = row.latency.as_ref().map(|l| l.percentiles()).unwrap_or_default();
            let figure = |d: Duration| {
                if latency.count == 0 {
                    "".to_string()
                } else {
                    format::duration(d)
                }
            };
            Row::new(vec![
                one_line(&row.name).into_owned(),
                format::compact(row.frames()),
                format!("{:.0}%", row.frames() as f64 * 100.0 / total as f64),
                format::rate(stats.per_second(row.frames())),
                format!(
                    "↓{} ↑{}",
                    format::compact(row.frames_in),
                    format::compact(row.frames_out)
                ),
                format::bytes(row.mean_size()),
                format::bytes(row.max_size),
                figure(latency.p50),
                figure(latency.p99),
                bar(row.frames() as f64 / most as f64, bar_width),
            ])
        })
        .collect();
    let widths = vec![
        Constraint::Length(name_width as u16),
        Constraint::Length(6),
        Constraint::Length(5),
        Constraint::Length(7),
        Constraint::Length(11),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Fill(1),
    ];
    let header = vec![
        "type", "frames", "share", "rate", "in/out", "mean", "max", "p50", "p99", "",
    ];
    (header, table_rows, widths, "No frames yet.")
}

fn sizes_table(stats: &Stats, width: usize) -> TableParts {
    let used = stats.sizes.used();
    let most = used.iter().map(|(_, count)| *count).max().unwrap_or(1).max(1);
    let bar_width = width.saturating_sub(32).max(1);
    let rows = used
        .iter()
        .map(|(bucket, count)| {
            let (low, high) = crate::stats::sizes::bucket_range(*bucket);
            let range = if low == high {
                format::bytes(low)
            } else {
                format!("{}–{}", format::bytes(low), format::bytes(high))
            };
            Row::new(vec![
                range,
                count.to_string(),
                bar(*count as f64 / most as f64, bar_width),
            ])
        })
        .collect();
    let widths = vec![Constraint::Length(22), Constraint::Length(8), Constraint::Fill(1)];
    (vec!["size", "frames", ""], rows, widths, "No frames yet.")
}

fn gaps_table(stats: &Stats) -> TableParts {
    let first = stats.first_at.unwrap_or(0);
    let rows = stats
        .gaps
        .longest()
        .iter()
        .map(|gap| {
            let ended = Duration::from_micros(u64::try_from(gap.ended_at - first).unwrap_or(0));
            let began = ended.saturating_sub(Duration::from_micros(u64::try_from(gap.length).unwrap_or(0)));
            Row::new(vec![
                format::duration(Duration::from_micros(u64::try_from(gap.length).unwrap_or(0))),
                format!("+{}", format::duration(began)),
                format!("+{}", format::duration(ended)),
            ])
        })
        .collect();
    let mut empty = "No silence yet: fewer than two frames, or all in the same instant.";
    if stats.gaps.clock_jumps > 0 {
        empty = "No silence measured; some frames were stamped before the one before them.";
    }
    let widths = vec![Constraint::Length(10), Constraint::Length(12), Constraint::Fill(1)];
    (vec!["silence", "from", "to"], rows, widths, empty)
}
