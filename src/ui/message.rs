//! The Message pane and its JSON indicator.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Block;

use super::theme;
use crate::app::Session;
use crate::frames::NoteLevel;
use crate::json_check::JsonStatus;

/// Draws `session`'s composer.
pub fn render(frame: &mut Frame, area: Rect, session: &Session, focused: bool) {
    use crate::app::compose::BinaryInput;
    let indicator = match &session.binary_status {
        Some(Ok(BinaryInput::Bytes(bytes))) => Line::styled(
            format!(" {} to send ", crate::format::bytes(bytes.len() as u64)),
            theme::note(NoteLevel::Success),
        ),
        Some(Ok(BinaryInput::File(path))) => {
            let path_shown = crate::sanitize::one_line(path);
            match &session.file_info {
                // The size first: a narrow pane cuts the path, not the size.
                Some((known, Ok(size))) if known == path => Line::styled(
                    format!(" sends ({}) the file {path_shown} ", crate::format::bytes(*size)),
                    theme::note(NoteLevel::Info),
                ),
                Some((known, Err(error))) if known == path => Line::styled(
                    format!(" ✗ cannot read {path_shown}: {error} "),
                    theme::note(NoteLevel::Error),
                ),
                _ => Line::styled(format!(" sends the file {path_shown} "), theme::note(NoteLevel::Info)),
            }
        }
        Some(Err(error)) => Line::styled(format!(" ✗ {error} "), theme::note(NoteLevel::Error)),
        None => match &session.json_status {
            JsonStatus::Empty => Line::styled(" empty ", theme::dim()),
            JsonStatus::Valid => Line::styled(" ✓ JSON ", theme::note(NoteLevel::Success)),
            JsonStatus::Invalid { line, column, message } => Line::styled(
                format!(" text, not JSON: {line}:{column} {message} "),
                theme::note(NoteLevel::Warning),
            ),
            JsonStatus::Unchecked { bytes } => Line::styled(
                format!(
                    " large message, {}: not checked as you type · Ctrl-E edits ",
                    crate::format::bytes(*bytes as u64)
                ),
                theme::note(NoteLevel::Info),
            ),
        },
    };
    let title = match &session.interception.editing {
        // The composer holds an intercepted frame, not the user's draft.
        Some(editing) => {
            let arrow = session.interception.held.front().map_or("", |h| {
                if h.frame.direction == crate::record::Direction::Sent {
                    "↑"
                } else {
                    "↓"
                }
            });
            Line::styled(
                format!(
                    " HELD {arrow} #{} ({} held) · ^J forward · Alt-x drop · Alt-f all ",
                    editing.id,
                    session.interception.held.len()
                ),
                theme::note(NoteLevel::Warning),
            )
        }
        None => Line::raw(format!(" Message · {} ", session.send_mode.name())),
    };
    let block = Block::bordered()
        .title(title)
        .title_bottom(indicator)
        .border_style(theme::border(focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if let JsonStatus::Unchecked { bytes } = session.json_status {
        // The text area lays out a whole line to draw it: a line of
        // megabytes would cost that at every keystroke. The head of the
        // message stands in for it, and typing still edits the end.
        let width = usize::from(inner.width);
        let mut lines = vec![Line::styled(
            format!(
                "{} message: Ctrl-E edits it in $EDITOR, Ctrl-J sends it",
                crate::format::bytes(bytes as u64)
            ),
            theme::note(NoteLevel::Info),
        )];
        let row = session.message.cursor().0;
        let shown = session
            .message
            .lines()
            .iter()
            .take(usize::from(inner.height).saturating_sub(2))
            .map(|line| {
                let head: String = line.chars().take(width).collect();
                Line::raw(crate::sanitize::one_line(&head).into_owned())
            });
        lines.extend(shown);
        lines.push(Line::styled(
            format!("… typing goes to line {} of {}", row + 1, session.message.lines().len()),
            theme::dim(),
        ));
        frame.render_widget(ratatui::widgets::Paragraph::new(lines), inner);
        return;
    }
    frame.render_widget(&session.message, inner);
}
