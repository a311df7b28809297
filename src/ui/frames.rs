//! The frames log: one row per frame or connection event, newest at the
//! bottom. Only the visible window is formatted, so a draw costs the same
//! with ten frames held as with a million.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::rows::Rows;
use super::theme;
use crate::app::{Search, Session, matches_search};
use crate::format;
use crate::frames::{LogEntry, NoteLevel};
use crate::record::{Direction, FrameKind, FrameRecord};

/// Below this many inner rows the column header is dropped to save a line.
pub(super) const HEADER_MIN_ROWS: u16 = 10;

/// Columns left for a connection event's text in the pane at `area`.
pub fn note_width(area: Rect) -> usize {
    usize::from(area.width.saturating_sub(2)).saturating_sub(NOTE_PREFIX)
}

/// Data rows that fit in the pane at `area`.
pub fn visible_rows(area: Rect) -> usize {
    let inner = area.height.saturating_sub(2);
    usize::from(if inner >= HEADER_MIN_ROWS { inner - 1 } else { inner })
}

/// Draws `session`'s frames pane: any session, shown or not.
pub fn render(frame: &mut Frame, area: Rect, session: &Session, focused: bool) {
    let log = &session.frames;
    let view = &session.frames_view;
    let visible = session.visible();
    let mut title = vec![Span::raw(" Frames ")];
    if session.filter.is_active() {
        title.push(Span::styled(
            format!("showing {} of {} ", visible.len(), log.len()),
            Style::new().fg(theme::warn()),
        ));
        title.push(Span::styled(format!("[{}] ", session.filter.describe()), theme::dim()));
    } else {
        // A count, not "held": on a proxied tab, held frames are the ones
        // interception stopped.
        title.push(Span::styled(format!("{} ", log.len()), theme::dim()));
    }
    if log.dropped() > 0 {
        title.push(Span::styled(
            format!("· {} older dropped ", log.dropped()),
            theme::dim(),
        ));
    }
    let below = (!view.is_following()).then(|| view.below(&visible));
    let block = pane_block(title, session.search.as_ref(), below, focused);

    let rows_shown = visible_rows(area);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let mut lines: Vec<Line> = Vec::with_capacity(rows_shown + 1);
    if inner.height >= HEADER_MIN_ROWS {
        lines.push(header_line(""));
    }
    let selected = view.selected();
    let context = RowContext::of(session);
    let rows = crate::app::frames_view::pane_rows(&visible, view, rows_shown, session.note_width());
    for row in rows {
        let (seq, entry) = (row.seq, row.entry);
        let mut line = match (&row.note_piece, entry) {
            (Some(piece), LogEntry::Note { at, level, .. }) => note_line(*at, *level, piece, width),
            _ => line_for(entry, width),
        };
        decorate(&mut line, seq, entry, width, &context);
        lines.push(highlight(line, Some(seq) == selected, session.search.as_ref(), entry));
    }
    if visible.is_empty() {
        let hint = if session.filter.is_active() {
            "nothing matches the filter (c clears it)"
        } else {
            match session.connection.state {
                crate::conn::ConnState::Idle => "no frames yet: Enter in the URL pane or Ctrl-O connects",
                _ => "no frames yet",
            }
        };
        lines.push(Line::styled(hint, theme::dim()));
    }
    frame.render_widget(Rows::new(lines), inner);
}

/// The frames pane's border (the timeline's too): `title`, then the search
/// being stepped, and at the bottom how many rows wait below a paused view.
pub(super) fn pane_block<'a>(
    mut title: Vec<Span<'a>>,
    search: Option<&Search>,
    below: Option<usize>,
    focused: bool,
) -> Block<'a> {
    if let Some(search) = search {
        // Typed, or pasted: shown as a picture like any foreign text.
        title.push(Span::styled(
            format!("· /{} ", crate::sanitize::one_line(&search.text)),
            Style::new().fg(theme::accent()),
        ));
    }
    Block::bordered()
        .title(Line::from(title))
        .title_bottom(below.map(paused_line).unwrap_or_default())
        .border_style(theme::border(focused))
}

/// A row as the view marks it: reversed when selected, else bold when the
/// search finds it.
pub(super) fn highlight<'a>(line: Line<'a>, selected: bool, search: Option<&Search>, entry: &LogEntry) -> Line<'a> {
    if selected {
        line.patch_style(Style::new().add_modifier(Modifier::REVERSED))
    } else if search.is_some_and(|s| matches_search(entry, &s.regex)) {
        line.patch_style(Style::new().add_modifier(Modifier::BOLD).fg(theme::warn()))
    } else {
        line
    }
}

/// What a row's tab knows that its rows are drawn with.
pub(super) struct RowContext<'a> {
    protocol: crate::protocol::Protocol,
    /// Raw frames have nothing to decode: spare them the UTF-8 check a row.
    describes: bool,
    payloads: &'a crate::decode::PayloadDecoder,
    pairing: &'a crate::app::pairing::Pairing,
}

impl<'a> RowContext<'a> {
    pub(super) fn of(session: &'a crate::app::Session) -> Self {
        let protocol = session.protocol();
        Self {
            describes: !protocol.kind.is_raw(),
            protocol,
            payloads: &session.payloads,
            pairing: &session.pairing,
        }
    }
}

/// A frame row as its tab reads it: a decoded binary payload in place of
/// its hex, a protocol's reading in place of the raw text, and the mark of
/// a request and its response.
pub(super) fn decorate(line: &mut Line<'static>, seq: u64, entry: &LogEntry, width: usize, context: &RowContext) {
    let LogEntry::Frame(record) = entry else {
        return;
    };
    // A protocol's packet (MQTT's) reads before the payload decoders, which
    // it asks about the payload it carries.
    // Packets are read whole: a large one is left to the detail view, as
    // payloads are, so a draw never copies megabytes.
    let packet = (context.describes && record.kind == FrameKind::Binary && record.payload.len() <= PREVIEW_DECODE_MAX)
        .then(|| {
            let payload = |bytes: &[u8]| {
                let carried = crate::record::FrameRecord {
                    payload: bytes.to_vec().into(),
                    ..record.clone()
                };
                binary_preview(context.payloads, &carried)
            };
            context.protocol.describe_binary(&record.payload, &payload)
        })
        .flatten();
    if record.kind == FrameKind::Binary
        && let Some(preview) = packet.or_else(|| binary_preview(context.payloads, record))
        && let Some(last) = line.spans.last_mut()
    {
        last.content = truncate(&preview, width.saturating_sub(FRAME_PREFIX)).into();
    }
    if context.describes
        && record.kind == FrameKind::Text
        && let Some(described) = context.protocol.describe(text_head(&record.payload))
        && let Some(last) = line.spans.last_mut()
    {
        last.content = truncate(&described, width.saturating_sub(FRAME_PREFIX)).into();
    }
    let pair = match context.pairing.by_response.get(&seq) {
        Some((_, rtt)) => Some(format!("⇄ {} ", format::duration(*rtt))),
        None => context.pairing.by_request.contains_key(&seq).then(|| "⇄ ".to_string()),
    };
    if let Some(mark) = pair {
        // The mark goes before the preview, which gives up its tail to
        // keep the row's width.
        if let Some(last) = line.spans.last_mut() {
            let room = width.saturating_sub(FRAME_PREFIX).saturating_sub(mark.chars().count());
            let mut kept: String = last.content.chars().take(room).collect();
            if room < last.content.chars().count() && room > 0 {
                kept.pop();
                kept.push('…');
            }
            last.content = format!("{mark}{kept}").into();
        }
    }
}

/// Columns before the payload: time, direction, kind and size with gaps.
const FRAME_PREFIX: usize = 12 + 1 + 1 + 1 + 5 + 1 + 9 + 1;
/// Columns before a connection event's text: time and the event marker.
const NOTE_PREFIX: usize = 12 + 1 + 1 + 1;

/// One row of a connection event: its time, its marker and a piece of its
/// text (see `pane_rows`, which wraps it).
fn note_line(at: std::time::SystemTime, level: NoteLevel, piece: &str, width: usize) -> Line<'static> {
    Line::from(vec![
        Span::styled(format::clock(at), theme::dim()),
        Span::styled(" • ", theme::note(level)),
        Span::styled(truncate(piece, width.saturating_sub(NOTE_PREFIX)), theme::note(level)),
    ])
}

/// The bottom border of a view scrolled away from the newest rows.
pub(super) fn paused_line(newer: usize) -> Line<'static> {
    Line::styled(
        format!(" paused · {newer} newer below · End follows "),
        theme::note(NoteLevel::Warning),
    )
}

/// The column heads, after `first` (the timeline's tab column).
pub(super) fn header_line(first: &str) -> Line<'static> {
    Line::styled(
        format!("{first}{:<12} {:<1} {:<5} {:>9} payload", "time", "", "kind", "size"),
        theme::dim().add_modifier(Modifier::UNDERLINED),
    )
}

pub(super) fn line_for(entry: &LogEntry, width: usize) -> Line<'static> {
    match entry {
        LogEntry::Note { at, level, text } => note_line(*at, *level, text, width),
        LogEntry::Frame(record) => {
            let (glyph, colour) = match record.direction {
                Direction::Sent => ("↑", theme::sent()),
                Direction::Received => ("↓", theme::received()),
            };
            let control = !matches!(record.kind, FrameKind::Text | FrameKind::Binary);
            let body_style = if control { theme::dim() } else { Style::new() };
            Line::from(vec![
                Span::styled(format::clock(record.at), theme::dim()),
                Span::styled(format!(" {glyph} "), Style::new().fg(colour)),
                Span::styled(format!("{:<5}", kind_name(record.kind)), Style::new().fg(colour)),
                Span::raw(format!(" {:>9} ", format::bytes(record.wire_len()))),
                Span::styled(preview(record, width.saturating_sub(FRAME_PREFIX)), body_style),
            ])
        }
    }
}

/// The first few kilobytes of a text payload: a preview needs no more.
/// Binary payloads past this are not decoded for their row (Enter does):
/// rows are decoded at every draw, so a screen of them must stay cheap.
const PREVIEW_DECODE_MAX: usize = 64 << 10;

/// `msgpack {"sym":"MSG",…}`, or `✗msgpack` and the hex, for a
/// binary frame whose payload decodes (or should have).
fn binary_preview(decoder: &crate::decode::PayloadDecoder, record: &crate::record::FrameRecord) -> Option<String> {
    use crate::decode::Outcome;
    if !decoder.is_on() || record.payload.len() > PREVIEW_DECODE_MAX {
        return None;
    }
    match decoder.decode(record.direction, &record.payload) {
        Outcome::Decoded(decoded) => {
            Some(crate::sanitize::one_line(&format!("{} {}", decoded.chain, decoded.value)).into_owned())
        }
        Outcome::Failed { chain, .. } => {
            let hex: Vec<String> = record.payload.iter().take(40).map(|b| format!("{b:02x}")).collect();
            Some(format!("✗{chain} {}", hex.join(" ")))
        }
        Outcome::Raw => None,
    }
}

fn text_head(payload: &[u8]) -> &str {
    let head = &payload[..payload.len().min(4096)];
    match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
    }
}

/// The short name of a frame's opcode.
pub fn kind_name(kind: FrameKind) -> &'static str {
    match kind {
        FrameKind::Text => "text",
        FrameKind::Binary => "bin",
        FrameKind::Ping => "ping",
        FrameKind::Pong => "pong",
        FrameKind::Close { .. } => "close",
    }
}

/// A one-line preview of at most `width` columns.
pub fn preview(record: &FrameRecord, width: usize) -> String {
    let payload = &record.payload;
    match record.kind {
        FrameKind::Text => {
            // Only the head of a large message is decoded.
            let head = &payload[..payload.len().min(width.saturating_mul(4) + 4)];
            let valid = match std::str::from_utf8(head) {
                Ok(text) => text,
                Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
            };
            truncate(valid, width)
        }
        FrameKind::Binary | FrameKind::Ping | FrameKind::Pong if payload.is_empty() => truncate("(empty)", width),
        FrameKind::Binary | FrameKind::Ping | FrameKind::Pong => {
            let hex: Vec<String> = payload.iter().take(width / 3 + 1).map(|b| format!("{b:02x}")).collect();
            truncate(&hex.join(" "), width)
        }
        FrameKind::Close { code } => {
            let reason = String::from_utf8_lossy(payload);
            let text = match code {
                Some(code) => format!("{code} ({}) {reason}", crate::protocol::close_code_meaning(code)),
                None => "(no code)".to_string(),
            };
            truncate(text.trim_end(), width)
        }
    }
}

/// Cuts `text` to `width` columns on one line, marking cuts with `…`.
fn truncate(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        // The same pictures as every other view (see `sanitize`).
        let c = match c {
            '\n' => '↵',
            '\t' => ' ',
            c => crate::sanitize::picture(c).unwrap_or(c),
        };
        let w = c.width().unwrap_or(0);
        let reserve = usize::from(chars.peek().is_some());
        if used + w + reserve > width {
            if used < width {
                out.push('…');
            }
            return out;
        }
        out.push(c);
        used += w;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_fit_one_line() {
        assert_eq!(preview(&FrameRecord::received(FrameKind::Text, b"a\nb"), 10), "a↵b");
        assert_eq!(
            preview(&FrameRecord::received(FrameKind::Text, b"abcdefghij"), 5),
            "abcd…"
        );
        assert_eq!(preview(&FrameRecord::received(FrameKind::Text, b"abcde"), 5), "abcde");
        assert_eq!(
            preview(&FrameRecord::received(FrameKind::Binary, &[0, 1, 255]), 20),
            "00 01 ff"
        );
        assert_eq!(preview(&FrameRecord::received(FrameKind::Ping, b""), 20), "(empty)");
        assert_eq!(
            preview(
                &FrameRecord::received(FrameKind::Close { code: Some(4000) }, b"asked to"),
                40
            ),
            "4000 (application) asked to"
        );
    }

    #[test]
    fn cut_multibyte_text_stays_valid() {
        let text = "é".repeat(100);
        let shown = preview(&FrameRecord::received(FrameKind::Text, text.as_bytes()), 7);
        assert_eq!(shown, "éééééé…");
    }
}
