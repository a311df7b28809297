//! Interception on a captured tab: a held frame opens in the composer,
//! Ctrl-J forwards it as edited, Alt-x drops it, Alt-f forwards every
//! held frame; the user's own draft comes back when none is held.

use std::collections::VecDeque;

use base64::Engine as _;

use super::{App, Session, Shared, editor};
use crate::conn::{CaptureCommand, ConnCommand, HoldOutcome, InterceptRule, Outgoing};
use crate::frames::NoteLevel;
use crate::record::{Direction, FrameKind, FrameRecord};

/// Where a binary frame's text starts in the composer.
const BASE64_PREFIX: &str = "base64:";

/// A frame the relay holds for this tab.
#[derive(Debug, Clone)]
pub struct HeldFrame {
    pub id: u64,
    pub frame: FrameRecord,
}

/// What a captured tab intercepts and holds.
#[derive(Debug, Default)]
pub struct Interception {
    /// The rule as the user typed it, while on.
    pub rule: Option<String>,
    pub held: VecDeque<HeldFrame>,
    /// The held frame in the composer, its text as it came, and the
    /// user's draft it stands in for.
    pub editing: Option<Editing>,
}

#[derive(Debug, Clone)]
pub struct Editing {
    pub id: u64,
    pub original: String,
    pub draft: String,
}

fn arrow(direction: Direction) -> &'static str {
    match direction {
        Direction::Sent => "↑",
        Direction::Received => "↓",
    }
}

/// A held frame as composer text: text as it is, binary as base64.
fn as_text(frame: &FrameRecord) -> String {
    match frame.kind {
        FrameKind::Binary => format!(
            "{BASE64_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(&frame.payload)
        ),
        _ => String::from_utf8_lossy(&frame.payload).into_owned(),
    }
}

/// Reads the intercept prompt: `up`, `down` or `both`, then an optional
/// regex or `jq:EXPR`; empty or `off` turns interception off.
pub fn parse_rule(text: &str) -> Result<Option<InterceptRule>, String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let (which, filter) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let (up, down) = match which.to_ascii_lowercase().as_str() {
        "up" | "↑" | "client" => (true, false),
        "down" | "↓" | "server" => (false, true),
        "both" | "all" => (true, true),
        other => return Err(format!("{other:?}: start with up, down or both")),
    };
    let filter = filter.trim().to_string();
    crate::filter::Pattern::compile(&filter)?;
    Ok(Some(InterceptRule { up, down, filter }))
}

impl Session {
    /// The relay holds `frame`; the first one held opens in the composer.
    pub(super) fn on_held(&mut self, id: u64, frame: FrameRecord, shared: &mut Shared) {
        self.log_note(
            frame.at,
            NoteLevel::Warning,
            &format!(
                "{} held #{id}: Ctrl-J forwards it (as edited), Alt-x drops it, Alt-f forwards all",
                arrow(frame.direction)
            ),
            shared,
        );
        self.interception.held.push_back(HeldFrame { id, frame });
        self.edit_next_held(shared);
    }

    /// The relay let held frame `id` go.
    pub(super) fn on_released(&mut self, id: u64, outcome: HoldOutcome, shared: &mut Shared) {
        let Some(place) = self.interception.held.iter().position(|h| h.id == id) else {
            return;
        };
        let held = self.interception.held.remove(place);
        let arrow = held.as_ref().map_or("", |h| arrow(h.frame.direction));
        let (level, what) = match &outcome {
            HoldOutcome::Forwarded => (NoteLevel::Info, "forwarded as it was".to_string()),
            HoldOutcome::Edited(text) => (
                NoteLevel::Success,
                format!("forwarded as edited: {}", crate::sanitize::one_line(text)),
            ),
            HoldOutcome::Dropped => (NoteLevel::Warning, "dropped".to_string()),
            HoldOutcome::TimedOut => (
                NoteLevel::Warning,
                "not acted on within --hold-timeout: forwarded as it was".to_string(),
            ),
        };
        self.log_note(
            std::time::SystemTime::now(),
            level,
            &format!("{arrow} held #{id} {what}"),
            shared,
        );
        if self.interception.editing.as_ref().is_some_and(|e| e.id == id) {
            let draft = self.interception.editing.take().map(|e| e.draft).unwrap_or_default();
            self.message = editor(&draft);
            self.refresh_message_status(shared);
            self.edit_next_held(shared);
        }
    }

    /// Lends the composer to the oldest held frame, keeping the draft.
    fn edit_next_held(&mut self, shared: &mut Shared) {
        if self.interception.editing.is_some() {
            return;
        }
        let Some(next) = self.interception.held.front() else {
            return;
        };
        let original = as_text(&next.frame);
        self.interception.editing = Some(Editing {
            id: next.id,
            original: original.clone(),
            draft: self.message_text(),
        });
        self.message = editor(&original);
        self.refresh_message_status(shared);
    }

    /// Ctrl-J while a held frame is in the composer: forwards it, edited
    /// if the text changed. False when nothing is being edited.
    pub(super) fn forward_held(&mut self, shared: &mut Shared) -> bool {
        let Some(editing) = &self.interception.editing else {
            return false;
        };
        let text = self.message_text();
        let edited = if text == editing.original {
            None
        } else {
            match text.strip_prefix(BASE64_PREFIX) {
                Some(encoded) => match base64::engine::general_purpose::STANDARD.decode(encoded.trim()) {
                    Ok(bytes) => Some(Outgoing::Binary(bytes.into())),
                    Err(error) => {
                        shared.notify(NoteLevel::Error, format!("not forwarded: base64: {error}"));
                        return true;
                    }
                },
                None => Some(Outgoing::Text(text)),
            }
        };
        let id = editing.id;
        self.outbox
            .push(ConnCommand::Capture(CaptureCommand::Release { id, edited }));
        true
    }
}

/// The rule in words, for the log.
fn rule_words(rule: Option<&InterceptRule>) -> String {
    let Some(rule) = rule else {
        return "interception off: held frames go on as they were".to_string();
    };
    let which = match (rule.up, rule.down) {
        (true, true) => "both ways",
        (true, false) => "client to server (↑)",
        _ => "server to client (↓)",
    };
    let what = if rule.filter.is_empty() {
        "every data frame".to_string()
    } else {
        format!("frames matching {}", rule.filter)
    };
    format!("intercepting {what}, {which}")
}

impl App {
    /// Alt-i: asks which frames to hold, on a captured tab for its
    /// connection, on the proxy's listener tab for every connection.
    pub(super) fn ask_intercept(&mut self) {
        let listener = self.proxy.is_some() && self.session().capture.is_none();
        if self.session().capture.is_none() && !listener {
            self.notify(
                NoteLevel::Warning,
                "interception is for captured connections (wscope proxy)",
            );
            return;
        }
        let current = if listener {
            self.proxy.as_ref().and_then(|p| p.rule.clone())
        } else {
            self.session().interception.rule.clone()
        };
        let current = current.unwrap_or_else(|| "both".into());
        self.prompt = Some(super::prompts::Prompt::with_text(
            super::prompts::PromptPurpose::Intercept,
            &current,
        ));
    }

    /// The intercept prompt's answer: for the shown captured tab, or on
    /// the listener's tab for every live capture and those to come.
    pub(super) fn set_intercept(&mut self, text: &str) -> Result<(), String> {
        let rule = parse_rule(text)?;
        let words = rule_words(rule.as_ref());
        let typed = rule.as_ref().map(|_| text.trim().to_string());
        if self.session().capture.is_none() {
            let Some(proxy) = &mut self.proxy else { return Ok(()) };
            proxy.rule = typed.clone();
            proxy.rule_changes.push(rule.clone());
            for session in self.tabs.iter_mut().filter(|s| s.capture.is_some() && s.is_live()) {
                session.interception.rule = typed.clone();
                session
                    .outbox
                    .push(ConnCommand::Capture(CaptureCommand::Intercept(rule.clone())));
            }
            let words = format!("{words}, on every connection");
            let (listener, shared) = self.session_and_shared();
            listener.log_note(std::time::SystemTime::now(), NoteLevel::Info, &words, shared);
            shared.notify(NoteLevel::Info, words);
            return Ok(());
        }
        let (session, shared) = self.session_and_shared();
        if !session.is_live() {
            return Err("this connection has ended".into());
        }
        session.interception.rule = typed;
        session
            .outbox
            .push(ConnCommand::Capture(CaptureCommand::Intercept(rule)));
        session.log_note(std::time::SystemTime::now(), NoteLevel::Info, &words, shared);
        shared.notify(NoteLevel::Info, words);
        Ok(())
    }

    /// Alt-x: drops the held frame in the composer.
    pub(super) fn drop_held(&mut self) {
        let (session, shared) = self.session_and_shared();
        match &session.interception.editing {
            Some(editing) => {
                let id = editing.id;
                session.outbox.push(ConnCommand::Capture(CaptureCommand::Drop { id }));
            }
            None => shared.notify(NoteLevel::Warning, "no frame is held"),
        }
    }

    /// Alt-f: forwards every held frame as it is.
    pub(super) fn release_all_held(&mut self) {
        let (session, shared) = self.session_and_shared();
        if session.interception.held.is_empty() {
            shared.notify(NoteLevel::Warning, "no frame is held");
            return;
        }
        session.outbox.push(ConnCommand::Capture(CaptureCommand::ReleaseAll));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_names_directions_then_a_filter() {
        assert_eq!(parse_rule(""), Ok(None));
        assert_eq!(parse_rule("off"), Ok(None));
        let rule = parse_rule("up jq:.type == \"chat\"").expect("valid").expect("on");
        assert!(rule.up && !rule.down);
        assert_eq!(rule.filter, "jq:.type == \"chat\"");
        let rule = parse_rule("both").expect("valid").expect("on");
        assert!(rule.up && rule.down && rule.filter.is_empty());
        assert!(parse_rule("sideways").is_err());
        assert!(parse_rule("down (").is_err());
    }
}
