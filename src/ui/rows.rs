//! One-line rows drawn straight into the buffer.
//!
//! The frames pane repaints every visible row at up to `--fps` times a
//! second during a flood. `Paragraph` segments each row into graphemes and
//! measures each one, which was a quarter of a 200x60 draw; a row of
//! printable ASCII (most JSON) needs neither, so it is written a cell at a
//! time. Anything else goes through ratatui's own `set_stringn`, so wide
//! and combining characters are laid out exactly as `Paragraph` would. One
//! difference, on purpose: a line's own style (the selection) covers the
//! whole row, not just its text.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Widget;

/// Lines drawn one per row from the top of the area, cut at its right edge.
pub struct Rows<'a> {
    lines: Vec<Line<'a>>,
}

impl<'a> Rows<'a> {
    pub fn new(lines: Vec<Line<'a>>) -> Self {
        Self { lines }
    }
}

impl Widget for Rows<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        for (line, y) in self.lines.iter().zip(area.top()..area.bottom()) {
            // The selection bar runs edge to edge, past short text.
            if line.style != Style::default() {
                buf.set_style(Rect::new(area.x, y, area.width, 1), line.style);
            }
            let mut x = area.left();
            for span in &line.spans {
                let room = area.right().saturating_sub(x);
                if room == 0 {
                    break;
                }
                let text: &str = &span.content;
                // As in `Paragraph`: the line's style under the span's.
                let style = line.style.patch(span.style);
                if text.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
                    for (byte, column) in text.bytes().zip(x..x + room) {
                        buf[(column, y)].set_char(char::from(byte)).set_style(style);
                    }
                    x += room.min(u16::try_from(text.len()).unwrap_or(u16::MAX));
                } else {
                    x = buf.set_stringn(x, y, text, usize::from(room), style).0;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Modifier};
    use ratatui::text::Span;
    use ratatui::widgets::Paragraph;

    /// Both ways of drawing must give the same buffer, cell for cell.
    fn same_as_paragraph(lines: Vec<Line<'static>>, width: u16, height: u16) {
        let area = Rect::new(1, 1, width, height);
        let mut ours = Buffer::empty(Rect::new(0, 0, width + 2, height + 2));
        let mut theirs = ours.clone();
        Rows::new(lines.clone()).render(area, &mut ours);
        Paragraph::new(lines).render(area, &mut theirs);
        assert_eq!(ours, theirs);
    }

    #[test]
    fn draws_like_a_paragraph() {
        let styled = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
        same_as_paragraph(
            vec![
                Line::from(vec![
                    Span::styled("12:00:00.000", styled),
                    Span::raw(" ↓ "),
                    Span::raw("{\"a\":1}"),
                ]),
                Line::from(vec![Span::raw("a row far longer than the area is wide")]),
                Line::from("wide 世界 and e\u{301} combining, cut in the middle of 世界世界"),
                Line::from(vec![Span::raw("plain"), Span::styled(" row", styled)]),
                Line::from(""),
                Line::from("one row more than fits"),
            ],
            21,
            5,
        );
    }

    #[test]
    fn a_selected_row_is_highlighted_edge_to_edge() {
        let reversed = Style::new().add_modifier(Modifier::REVERSED);
        let red = Style::new().fg(Color::Red);
        let line = Line::from(vec![Span::raw("short"), Span::styled(" red", red)]).patch_style(reversed);
        let mut buf = Buffer::empty(Rect::new(0, 0, 12, 1));
        Rows::new(vec![line]).render(buf.area, &mut buf);
        let mut expected = Buffer::with_lines(["short red   "]);
        expected.set_style(Rect::new(0, 0, 12, 1), reversed);
        expected.set_style(Rect::new(5, 0, 4, 1), red);
        assert_eq!(buf, expected);
    }

    #[test]
    fn a_wide_character_at_the_edge_is_left_out() {
        same_as_paragraph(vec![Line::from("abcdefghi世")], 10, 1);
    }
}
