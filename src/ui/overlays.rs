//! The name prompt, the profile picker and yes/no questions.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, List, ListItem, ListState, Paragraph, Wrap};

use super::{centered, theme};
use crate::app::{App, Confirm, Picker, Prompt};
use crate::frames::NoteLevel;
use crate::sanitize::one_line;
use crate::secrets;

pub fn render_prompt(frame: &mut Frame, area: Rect, prompt: &Prompt) {
    let bottom = match prompt.problem() {
        Some(problem) if !prompt.text().is_empty() => {
            Line::styled(format!(" ✗ {problem} "), theme::note(NoteLevel::Error))
        }
        _ => Line::styled(" Enter accepts · Esc cancels ", theme::dim()),
    };
    let block = Block::bordered()
        .title(format!(" {} ", prompt.purpose.title()))
        .title_bottom(bottom)
        .border_style(theme::border(true));
    let popup = centered(area, 76, 3);
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    frame.render_widget(&prompt.input, inner);
}

pub fn render_picker(frame: &mut Frame, area: Rect, picker: &Picker) {
    let block = Block::bordered()
        .title(" Profiles ")
        .title_bottom(Line::styled(
            " Enter open · ^R rename · ^D duplicate · Del delete · ^U import curl · Esc close ",
            theme::dim(),
        ))
        .border_style(theme::border(true));
    let popup = centered(area, 90, 22);
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);

    let [filter_area, body, status] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(1)])
            .spacing(0)
            .areas(inner);
    let [label, input] = Layout::horizontal([Constraint::Length(8), Constraint::Fill(1)]).areas(filter_area);
    frame.render_widget(Paragraph::new(Line::styled("Filter:", theme::dim())), label);
    frame.render_widget(&picker.filter, input);

    let [list_area, preview_area] = Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)])
        .spacing(1)
        .areas(body);
    let visible = picker.visible();
    // Profiles can be imported from anywhere: shown sanitized, secrets masked.
    let items: Vec<ListItem> = visible
        .iter()
        .map(|(name, _)| ListItem::new(one_line(name).into_owned()))
        .collect();
    let list = List::new(items)
        .block(Block::bordered().border_style(theme::dim()))
        .highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = ListState::default().with_selected((!visible.is_empty()).then_some(picker.selected));
    frame.render_stateful_widget(list, list_area, &mut state);

    let preview: Vec<Line> = match visible.get(picker.selected) {
        Some((_, profile)) => {
            let mut lines = vec![
                Line::from(vec![
                    Span::styled("URL      ", theme::dim()),
                    Span::raw(one_line(&secrets::mask_url(&profile.url, secrets::SCREEN_MASK)).into_owned()),
                ]),
                Line::from(vec![
                    Span::styled("params   ", theme::dim()),
                    Span::raw(
                        profile
                            .params
                            .iter()
                            .map(|p| one_line(&p.key).into_owned())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ]),
                Line::from(vec![
                    Span::styled("headers  ", theme::dim()),
                    Span::raw(
                        profile
                            .headers
                            .iter()
                            .map(|h| one_line(&h.key).into_owned())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ]),
                Line::styled("message", theme::dim()),
            ];
            lines.extend(
                profile
                    .message
                    .lines()
                    .take(6)
                    .map(|l| Line::raw(one_line(l).into_owned())),
            );
            lines
        }
        None if picker.loading => vec![Line::styled("loading…", theme::dim())],
        None if picker.profiles.is_empty() => vec![Line::styled(
            "no profiles yet: Ctrl-S saves the current request as one",
            theme::dim(),
        )],
        None => vec![Line::styled("nothing matches the filter", theme::dim())],
    };
    frame.render_widget(
        Paragraph::new(preview)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" Preview ").border_style(theme::dim())),
        preview_area,
    );

    let status_line = if let Some(name) = &picker.confirm_delete {
        Line::styled(
            format!("Delete profile {}? y deletes, n keeps it", one_line(name)),
            theme::note(NoteLevel::Warning),
        )
    } else if let Some((name, error)) = picker.unreadable.first() {
        let more = picker.unreadable.len() - 1;
        let suffix = if more > 0 {
            format!(" (+{more} more)")
        } else {
            String::new()
        };
        Line::styled(
            format!(
                "unreadable {}: {}{suffix}",
                one_line(name),
                one_line(&error.to_string())
            ),
            theme::note(NoteLevel::Error),
        )
    } else {
        Line::styled(
            format!(
                "{} of {}",
                visible.len(),
                crate::format::count(picker.profiles.len() as u64, "profile")
            ),
            theme::dim(),
        )
    };
    frame.render_widget(Paragraph::new(status_line), status);
}

pub fn render_confirm(frame: &mut Frame, area: Rect, confirm: &Confirm, app: &App) {
    let (title, text, keys) = match confirm {
        Confirm::Quit => (
            " Unsaved changes ",
            match &app.draft_error {
                None => format!(
                    "Profile {} has changes that are not saved.",
                    app.session().profile.name.as_deref().unwrap_or("(unnamed)")
                ),
                Some(error) => format!(
                    "Profile {} has changes that are not saved, and the draft could not be written ({error}): quitting loses them.",
                    app.session().profile.name.as_deref().unwrap_or("(unnamed)")
                ),
            },
            if app.draft_error.is_some() {
                "s saves and quits · y quits (nothing is kept) · n stays"
            } else {
                "s saves and quits · y quits (a draft is kept) · n stays"
            },
        ),
        Confirm::FlowOnOpenConnection(flow) => (
            " Run the flow from the start? ",
            format!(
                "Flow {} begins by waiting for a frame, and this connection is already open: \
                 its first frames (a greeting) have gone by.",
                crate::sanitize::one_line(&flow.0.name)
            ),
            "y reconnects and runs it · s runs it on this connection · n doesn't",
        ),
        Confirm::CloseTab => (
            " Close this tab? ",
            "Its connection is open: closing the tab closes it, and its frames go.".to_string(),
            "y closes the tab · n keeps it",
        ),
        Confirm::RestoreDraft(draft) => (
            " Restore unsaved work? ",
            format!(
                "The last session left an unsaved request{}: {}",
                draft
                    .profile
                    .as_ref()
                    .map(|p| format!(" (profile {p})"))
                    .unwrap_or_default(),
                if draft.request.url.is_empty() {
                    "(no URL)"
                } else {
                    draft.request.url.as_str()
                }
            ),
            "y restores it · n discards it",
        ),
    };
    let block = Block::bordered()
        .title(title)
        .title_bottom(Line::styled(format!(" {keys} "), theme::dim()))
        .border_style(Style::new().fg(theme::warn()).add_modifier(Modifier::BOLD));
    let popup = centered(area, 72, 5);
    frame.render_widget(Clear, popup);
    // Names and URLs here come from files: sanitized like everything else.
    let text = one_line(&text).into_owned();
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }).block(block), popup);
}

pub fn render_messages(frame: &mut Frame, area: Rect, app: &App, selected: usize) {
    let block = Block::bordered()
        .title(" Saved messages and history ")
        .title_bottom(Line::styled(
            " Enter use · s save current · d remove · c on connect · Esc close ",
            theme::dim(),
        ))
        .border_style(theme::border(true));
    let popup = centered(area, 90, 20);
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [list_area, preview_area] = Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
        .spacing(1)
        .areas(inner);

    let entries = app.message_entries();
    let items: Vec<ListItem> = entries
        .iter()
        .map(|entry| match entry {
            crate::app::MessageEntry::Saved(i) => {
                let message = &app.session().profile.extras.saved_messages[*i];
                let marker = if app.is_on_connect(*i) { "⚡ " } else { "★ " };
                ListItem::new(Line::from(vec![
                    Span::styled(marker, Style::new().fg(theme::warn())),
                    Span::raw(one_line(&message.name).into_owned()),
                ]))
            }
            crate::app::MessageEntry::History(i) => {
                let text = one_line(&app.session().history.entries[*i]).into_owned();
                ListItem::new(Line::from(vec![Span::styled("↺ ", theme::dim()), Span::raw(text)]))
            }
        })
        .collect();
    if items.is_empty() {
        frame.render_widget(
            Paragraph::new("Nothing yet: sent messages appear here, and s keeps the composer's text under a name.")
                .wrap(Wrap { trim: true })
                .style(theme::dim()),
            list_area,
        );
        return;
    }
    let list = List::new(items)
        .block(Block::bordered().border_style(theme::dim()))
        .highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = ListState::default().with_selected(Some(selected.min(entries.len() - 1)));
    frame.render_stateful_widget(list, list_area, &mut state);
    let preview = entries
        .get(selected)
        .map(|entry| app.message_entry_text(entry).to_string())
        .unwrap_or_default();
    let legend = "★ saved · ⚡ sent on every connect · ↺ history";
    frame.render_widget(
        Paragraph::new(preview).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(" Preview ")
                .title_bottom(Line::styled(legend, theme::dim()))
                .border_style(theme::dim()),
        ),
        preview_area,
    );
}

/// The GraphQL operations of this connection: state, results, and the
/// times to the first and the latest result.
pub fn render_operations(frame: &mut Frame, area: Rect, app: &App, selected: usize) {
    use crate::protocol::graphql::OperationState;
    let block = Block::bordered()
        .title(" GraphQL operations ")
        .title_bottom(Line::styled(" s stop · Esc close ", theme::dim()))
        .border_style(theme::border(true));
    let popup = centered(area, 100, 16);
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let operations = &app.session().operations;
    if operations.is_empty() {
        frame.render_widget(
            Paragraph::new("No operations yet: a GraphQL document in the composer and Ctrl-J start one.")
                .wrap(Wrap { trim: true })
                .style(theme::dim()),
            inner,
        );
        return;
    }
    let items: Vec<ListItem> = operations
        .iter()
        .map(|operation| {
            let color = match operation.state {
                OperationState::Running => theme::accent(),
                OperationState::Completed => theme::state_colour(true, false, false),
                OperationState::Failed => theme::state_colour(false, false, true),
                OperationState::Stopped => theme::warn(),
            };
            let since =
                |result: Option<std::time::Duration>| result.map_or_else(|| "-".to_string(), crate::format::duration);
            let (first, last) = (since(operation.first_result), since(operation.last_result));
            ListItem::new(Line::from(vec![
                Span::raw(format!("#{:<4} ", one_line(&operation.id))),
                Span::styled(format!("{:<9}", operation.state.label()), Style::new().fg(color)),
                Span::raw(format!(
                    "{:>6} results  first {:>8}  last {:>8}  ",
                    operation.results, first, last
                )),
                Span::styled(one_line(&operation.label).into_owned(), theme::dim()),
            ]))
        })
        .collect();
    let list = List::new(items).highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = ListState::default().with_selected(Some(selected.min(operations.len() - 1)));
    frame.render_stateful_widget(list, inner, &mut state);
}
