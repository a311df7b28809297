//! The proxy's headless rules: `--rewrite 'jq:EXPR'` (client to server),
//! `--rewrite-in 'jq:EXPR'` (server to client) and `--drop REGEX|jq:EXPR`
//! (either way), applied to data frames as they pass.

use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::filter::{JQ_PREFIX, Pattern};
use crate::jq::JqFilter;
use crate::record::Direction;

/// The rules a relay applies; none by default.
#[derive(Default)]
pub struct Rules {
    rewrite_out: Option<JqFilter>,
    rewrite_in: Option<JqFilter>,
    drop: Vec<Pattern>,
}

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rules")
            .field("rewrite_out", &self.rewrite_out.is_some())
            .field("rewrite_in", &self.rewrite_in.is_some())
            .field("drop", &self.drop.len())
            .finish()
    }
}

/// What becomes of a frame: passed on as it is or rewritten (`Some`), or
/// dropped (`None`), with a note for the log when a rule acted.
pub struct Verdict {
    pub message: Option<Message>,
    pub note: Option<String>,
}

impl Rules {
    /// Compiles the rules; the error names the flag at fault.
    pub fn compile(rewrite_out: Option<&str>, rewrite_in: Option<&str>, drop: &[String]) -> Result<Self, String> {
        let rewrite = |flag: &str, text: Option<&str>| -> Result<Option<JqFilter>, String> {
            let Some(text) = text else { return Ok(None) };
            let expr = text
                .trim()
                .strip_prefix(JQ_PREFIX)
                .ok_or_else(|| format!("{flag} takes jq:EXPR, e.g. {flag} 'jq:.user = \"test\"'"))?;
            JqFilter::compile(expr.trim())
                .map(Some)
                .map_err(|e| format!("{flag}: jq: {e}"))
        };
        let drop = drop
            .iter()
            .map(|text| match Pattern::compile(text) {
                Ok(Some(pattern)) => Ok(pattern),
                Ok(None) => Err("--drop needs a REGEX or jq:EXPR".to_string()),
                Err(error) => Err(format!("--drop: {error}")),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            rewrite_out: rewrite("--rewrite", rewrite_out)?,
            rewrite_in: rewrite("--rewrite-in", rewrite_in)?,
            drop,
        })
    }

    /// Whether any rule is set (frames pass untouched otherwise).
    pub fn is_empty(&self) -> bool {
        self.rewrite_out.is_none() && self.rewrite_in.is_none() && self.drop.is_empty()
    }

    /// What happens to a data frame going `direction`. Control frames are
    /// never touched.
    pub fn judge(&self, direction: Direction, message: Message) -> Verdict {
        let pass = |message| Verdict {
            message: Some(message),
            note: None,
        };
        if self.is_empty() {
            return pass(message);
        }
        let payload: &[u8] = match &message {
            Message::Text(text) => text.as_bytes(),
            Message::Binary(data) => data,
            _ => return pass(message),
        };
        let arrow = arrow(direction);
        if let Some(pattern) = self.drop.iter().find(|p| p.matches(payload)) {
            let rule = match pattern {
                Pattern::Regex(re) => re.as_str().to_string(),
                Pattern::Jq(_) => "the jq rule".into(),
            };
            return Verdict {
                message: None,
                note: Some(format!("{arrow} dropped by --drop ({rule}): {}", preview(payload))),
            };
        }
        let rewrite = match direction {
            Direction::Sent => &self.rewrite_out,
            Direction::Received => &self.rewrite_in,
        };
        let Some(rewrite) = rewrite else { return pass(message) };
        let flag = match direction {
            Direction::Sent => "--rewrite",
            Direction::Received => "--rewrite-in",
        };
        // Frames that are not JSON, or that the expression yields nothing
        // for, pass as they came.
        match rewrite.first_value(payload) {
            Some(new_text) if new_text.as_bytes() != payload => {
                let note = format!("{arrow} rewritten by {flag}: {}", preview(new_text.as_bytes()));
                Verdict {
                    message: Some(Message::Text(Utf8Bytes::from(new_text))),
                    note: Some(note),
                }
            }
            _ => pass(message),
        }
    }
}

fn arrow(direction: Direction) -> &'static str {
    match direction {
        Direction::Sent => "↑",
        Direction::Received => "↓",
    }
}

/// The start of a payload for a note, one line (the log sanitizes it again
/// when it shows it).
fn preview(payload: &[u8]) -> String {
    const MOST: usize = 120;
    let text = String::from_utf8_lossy(&payload[..payload.len().min(MOST)]);
    let mut line = crate::sanitize::one_line(&text).into_owned();
    if payload.len() > MOST {
        line.push('…');
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(verdict: &Verdict) -> Option<String> {
        match &verdict.message {
            Some(Message::Text(t)) => Some(t.to_string()),
            Some(other) => Some(format!("{other:?}")),
            None => None,
        }
    }

    #[test]
    fn rewrites_apply_each_way_and_only_to_json() {
        let rules = Rules::compile(Some("jq:.user = \"test\""), Some("jq:del(.secret)"), &[]).expect("rules");
        let up = rules.judge(Direction::Sent, Message::text(r#"{"user":"ann","n":1}"#));
        assert_eq!(text(&up).as_deref(), Some(r#"{"user":"test","n":1}"#));
        assert!(up.note.is_some_and(|n| n.starts_with("↑ rewritten by --rewrite")));
        let down = rules.judge(Direction::Received, Message::text(r#"{"secret":1,"ok":true}"#));
        assert_eq!(text(&down).as_deref(), Some(r#"{"ok":true}"#));
        let plain = rules.judge(Direction::Sent, Message::text("not json"));
        assert_eq!(text(&plain).as_deref(), Some("not json"));
        assert!(plain.note.is_none());
    }

    #[test]
    fn drops_by_regex_or_jq_either_way() {
        let rules = Rules::compile(None, None, &["^heartbeat$".into(), "jq:.type == \"noise\"".into()]).expect("rules");
        let dropped = rules.judge(Direction::Received, Message::text("heartbeat"));
        assert!(dropped.message.is_none());
        assert!(
            dropped
                .note
                .is_some_and(|n| n.contains("dropped by --drop (^heartbeat$)"))
        );
        assert!(
            rules
                .judge(Direction::Sent, Message::text(r#"{"type":"noise"}"#))
                .message
                .is_none()
        );
        assert!(
            rules
                .judge(Direction::Sent, Message::text(r#"{"type":"real"}"#))
                .message
                .is_some()
        );
    }

    #[test]
    fn a_rewrite_must_be_jq() {
        let error = Rules::compile(Some(".user"), None, &[]).expect_err("not jq:");
        assert!(error.contains("--rewrite takes jq:EXPR"), "{error}");
    }
}
