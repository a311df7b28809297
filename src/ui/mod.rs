//! Rendering: a function of [`App`] state (and the clock) to a frame.
//!
//! ```text
//! ┌ URL ───────────────────────────────────────────────┐
//! │ ws://host/feed                                     │
//! └ → ws://host/feed?room=blue ────────────────────────┘
//! ┌ Message ──────────────┐┌ Params ────────────────────┐   wide terminals put
//! │ {"message":"Hello"}   │└────────────────────────────┘   Params and Headers
//! │                       │┌ Headers ───────────────────┐   side by side
//! └ ✓ JSON ───────────────┘└────────────────────────────┘
//! ┌ Frames ↑3 120 B ↓15 2.1 KiB ───────────────────────┐
//! │ 14:03:07.251 ↓ text   42 B {"type":"tick",...      │
//! └────────────────────────────────────────────────────┘
//!  Connected 0:12 │ handshake 1.2ms │ ping 95µs │ reply 402µs
//!  Enter connect │ ^J send │ ^O connect/close │ F1 help
//! ```
//!
//! May import: `action`, `app`, `conn`, `decode`, `flow`, `format`, `frames`,
//! `json_check`, `keymap`, `palette`, `payload`, `protocol`, `record`,
//! `request`, `sanitize`, `secrets`, `stats`.

mod frames;
pub use frames::preview as frame_preview;
mod connections;
mod detail;
mod help;
mod kv_table;
mod message;
mod overlays;
mod row_editor;
mod rows;
mod stats;
mod status;
pub mod tab_bar;
pub mod theme;
mod timeline;
mod url;

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};

use crate::app::{App, Focus, Overlay};

/// Where each pane goes on a screen of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub url: Rect,
    pub message: Rect,
    pub params: Rect,
    pub headers: Rect,
    pub frames: Rect,
    pub status: Rect,
    pub footer: Rect,
}

/// Splits the screen. Pure, so the app can size its paging from it too.
pub fn layout(area: Rect) -> Areas {
    let request_height = (area.height * 35 / 100).clamp(6, 16);
    let [url, request, frames, status, footer] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(request_height),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let (message, params, headers) = if area.width >= 120 {
        let [message, params, headers] = Layout::horizontal([
            Constraint::Percentage(40),
            Constraint::Percentage(30),
            Constraint::Percentage(30),
        ])
        .areas(request);
        (message, params, headers)
    } else {
        let [message, tables] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(request);
        let [params, headers] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(tables);
        (message, params, headers)
    };
    Areas {
        url,
        message,
        params,
        headers,
        frames,
        status,
        footer,
    }
}

/// The focused pane fills the screen above the status bar; the others are
/// not drawn.
fn zoomed(area: Rect, focus: Focus) -> Areas {
    let [main, status, footer] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let hidden = Rect::default();
    let pick = |pane: Focus| if pane == focus { main } else { hidden };
    Areas {
        url: pick(Focus::Url),
        message: pick(Focus::Message),
        params: pick(Focus::Params),
        headers: pick(Focus::Headers),
        frames: pick(Focus::Frames),
        status,
        footer,
    }
}

/// The tab bar's row, when more than one tab is open, and the rest.
pub fn split_tab_bar(app: &App, area: Rect) -> (Option<Rect>, Rect) {
    if app.tab_count() < 2 || area.height < 2 {
        return (None, area);
    }
    let [bar, rest] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    (Some(bar), rest)
}

/// Tells `app` the frames view's size on a screen of this size.
pub fn fit_app(app: &mut App, area: Rect) {
    let (_, area) = split_tab_bar(app, area);
    let frames = if app.zoom && app.focus == Focus::Frames {
        zoomed(area, Focus::Frames).frames
    } else {
        layout(area).frames
    };
    // In the split view the tab's own frames have half the area.
    let frames = if app.timeline.is_none() && app.split_partner().is_some() {
        timeline::split(frames).0
    } else {
        frames
    };
    app.set_frames_size(frames::visible_rows(frames), frames::note_width(frames));
    // The detail view covers all but the status and footer rows; its
    // border and timing row take three more (a heading, one more).
    app.set_detail_height(usize::from(area.height.saturating_sub(5)));
}

/// Draws the whole screen.
pub fn render(frame: &mut Frame, app: &App, now: Instant) {
    let (bar, screen) = split_tab_bar(app, frame.area());
    if let Some(bar) = bar {
        tab_bar::render(frame, bar, app);
    }
    let areas = if app.zoom {
        zoomed(screen, app.focus)
    } else {
        layout(screen)
    };
    let editing = app.overlay_open();
    let focused = |pane: Focus| !editing && app.focus == pane;
    url::render(frame, areas.url, app, focused(Focus::Url));
    message::render(frame, areas.message, app.session(), focused(Focus::Message));
    kv_table::render(frame, areas.params, app, &app.session().params, focused(Focus::Params));
    kv_table::render(
        frame,
        areas.headers,
        app,
        &app.session().headers,
        focused(Focus::Headers),
    );
    match (&app.timeline, app.split_partner()) {
        (Some(view), _) => timeline::render(frame, areas.frames, app, focused(Focus::Frames), view),
        (None, Some((place, name, log))) => {
            let (own, partner) = timeline::split(areas.frames);
            frames::render(frame, own, app.session(), focused(Focus::Frames));
            timeline::render_partner(frame, partner, place, &name, log);
        }
        (None, None) => frames::render(frame, areas.frames, app.session(), focused(Focus::Frames)),
    }
    status::render_status(frame, areas.status, app, now);
    status::render_footer(frame, areas.footer, app);
    // Bottom first, so the overlay that takes the keys is the one on top.
    for overlay in app.overlays_to_draw() {
        match overlay {
            Overlay::RowEditor => {
                if let Some(editor) = &app.row_editor {
                    row_editor::render(frame, frame.area(), editor, app);
                }
            }
            Overlay::Detail => {
                if let Some(detail) = &app.session().detail {
                    let [main, _, _] =
                        Layout::vertical([Constraint::Fill(1), Constraint::Length(1), Constraint::Length(1)])
                            .areas(frame.area());
                    detail::render(frame, main, app, detail);
                }
            }
            Overlay::Messages => {
                if let Some(list) = &app.messages {
                    overlays::render_messages(frame, frame.area(), app, list.selected);
                }
            }
            Overlay::Operations => {
                if let Some(selected) = app.operations_list {
                    overlays::render_operations(frame, frame.area(), app, selected);
                }
            }
            Overlay::Stats => {
                if let Some(view) = &app.stats_view {
                    let [main, _, _] =
                        Layout::vertical([Constraint::Fill(1), Constraint::Length(1), Constraint::Length(1)])
                            .areas(frame.area());
                    stats::render(frame, main, app, view);
                }
            }
            Overlay::Connections => {
                if let Some(list) = app.connections_list {
                    connections::render(frame, frame.area(), app, list.selected);
                }
            }
            Overlay::Picker => {
                if let Some(picker) = &app.picker {
                    overlays::render_picker(frame, frame.area(), picker);
                }
            }
            Overlay::Prompt => {
                if let Some(prompt) = &app.prompt {
                    overlays::render_prompt(frame, frame.area(), prompt);
                }
            }
            Overlay::Help => help::render(frame, frame.area(), app),
            Overlay::Confirm => {
                if let Some(confirm) = &app.confirm {
                    overlays::render_confirm(frame, frame.area(), confirm, app);
                }
            }
        }
    }
}

/// Which pane the cell at (`column`, `row`) belongs to, and for the frames
/// pane, which data row (0 is the first row under the header).
pub fn hit_test(app: &App, screen: Rect, column: u16, row: u16) -> Option<(Focus, Option<usize>)> {
    let (_, screen) = split_tab_bar(app, screen);
    let areas = if app.zoom {
        zoomed(screen, app.focus)
    } else {
        layout(screen)
    };
    let position = ratatui::layout::Position::new(column, row);
    let panes = [
        (Focus::Url, areas.url),
        (Focus::Message, areas.message),
        (Focus::Params, areas.params),
        (Focus::Headers, areas.headers),
        (Focus::Frames, areas.frames),
    ];
    let (focus, area) = panes.into_iter().find(|(_, area)| area.contains(position))?;
    if focus != Focus::Frames {
        return Some((focus, None));
    }
    let header = usize::from(area.height.saturating_sub(2) >= frames::HEADER_MIN_ROWS);
    let first_data_row = area.y + 1 + header as u16;
    let data_row =
        (row >= first_data_row && row < area.bottom().saturating_sub(1)).then(|| usize::from(row - first_data_row));
    Some((focus, data_row))
}

/// A rectangle of at most `width` x `height`, centred in `area`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}
