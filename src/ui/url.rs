//! The URL pane: the editor, and below it the effective URL or why it is wrong.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::theme;
use crate::app::App;

pub fn render(frame: &mut Frame, area: Rect, app: &App, focused: bool) {
    let verdict = match &app.url_check {
        Ok(url) => Line::from(vec![
            Span::styled(" → ", theme::dim()),
            Span::styled(format!("{url} "), theme::dim()),
        ]),
        Err(error) => Line::styled(format!(" ✗ {error} "), theme::note(crate::frames::NoteLevel::Error)),
    };
    let block = Block::bordered()
        .title(" URL ")
        .title_bottom(verdict)
        .border_style(theme::border(focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(&app.url, inner);
}
