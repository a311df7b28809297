//! The URL pane: the editor, and below it the effective URL or why it is wrong.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::theme;
use crate::app::App;

pub fn render(frame: &mut Frame, area: Rect, app: &App, focused: bool) {
    let verdict = match &app.session().url_check {
        Ok(url) => {
            let shown = if app.reveal_secrets {
                url.into()
            } else {
                crate::secrets::mask_url(url, crate::secrets::SCREEN_MASK)
            };
            Line::from(vec![
                Span::styled(" → ", theme::dim()),
                Span::styled(format!("{} ", crate::sanitize::one_line(&shown)), theme::dim()),
            ])
        }
        Err(error) => Line::styled(format!(" ✗ {error} "), theme::note(crate::frames::NoteLevel::Error)),
    };
    let mut title = vec![Span::raw(" URL ")];
    if let Some(name) = &app.session().profile.name {
        title.push(Span::styled(
            format!("· {} ", crate::sanitize::one_line(name)),
            theme::dim(),
        ));
    }
    if app.session().has_unsaved_changes() {
        title.push(Span::styled(
            "● unsaved ",
            theme::note(crate::frames::NoteLevel::Warning),
        ));
    }
    let block = Block::bordered()
        .title(Line::from(title))
        .title_bottom(verdict)
        .border_style(theme::border(focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(&app.session().url, inner);
}
