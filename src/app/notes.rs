//! The inline log rows that narrate the connection: connecting, connected,
//! closed, failed, with everything a rejected upgrade said.

use crate::conn::{ConnError, ConnState};
use crate::format;
use crate::frames::NoteLevel;
use crate::record::{ABNORMAL_CLOSURE, Closer, HandshakeReport};

/// Lines of a rejection body shown in the log; the rest is summarised.
const MAX_BODY_LINES: usize = 20;

/// The rows to log when the connection enters `state`.
pub fn for_state(state: &ConnState, handshake: Option<&HandshakeReport>) -> Vec<(NoteLevel, String)> {
    match state {
        ConnState::Idle | ConnState::Closing => Vec::new(),
        ConnState::Reconnecting { attempt, at } => vec![(
            NoteLevel::Warning,
            format!(
                "reconnecting in {} (attempt {attempt}); Ctrl-O stops",
                format::duration(at.saturating_duration_since(std::time::Instant::now()))
            ),
        )],
        ConnState::Connecting { url, .. } => vec![(
            NoteLevel::Info,
            format!(
                "connecting to {}",
                crate::secrets::mask_url(url, crate::secrets::SCREEN_MASK)
            ),
        )],
        ConnState::Open { protocol, .. } => {
            let mut text = match handshake {
                Some(report) => {
                    let via = report
                        .proxy
                        .as_ref()
                        .map(|p| format!(" via proxy {p}"))
                        .unwrap_or_default();
                    format!("connected{via}: HTTP {} in {}", report.status, timing_summary(report))
                }
                None => "connected".to_string(),
            };
            if let Some(protocol) = protocol {
                text.push_str(&format!(", subprotocol {protocol}"));
            }
            let extensions = handshake.and_then(|h| {
                h.headers
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case("sec-websocket-extensions"))
            });
            if let Some((_, extensions)) = extensions {
                text.push_str(&format!(", extensions {extensions}"));
            }
            vec![(NoteLevel::Success, text)]
        }
        ConnState::Closed { code, reason, by } => vec![(closed_level(*code, *by), closed_text(*code, reason, *by))],
        ConnState::Failed(error) => failure_rows(error),
    }
}

fn timing_summary(report: &HandshakeReport) -> String {
    let t = &report.timings;
    let mut parts = vec![
        format!("dns {}", format::duration(t.dns)),
        format!("tcp {}", format::duration(t.tcp)),
    ];
    if let Some(tls) = t.tls {
        parts.push(format!("tls {}", format::duration(tls)));
    }
    parts.push(format!("upgrade {}", format::duration(t.upgrade)));
    format!("{} ({})", format::duration(t.total), parts.join(", "))
}

fn closed_level(code: Option<u16>, by: Closer) -> NoteLevel {
    match (code, by) {
        (_, Closer::Network) | (Some(ABNORMAL_CLOSURE), _) => NoteLevel::Error,
        (Some(1000) | None, _) | (_, Closer::Us) => NoteLevel::Info,
        _ => NoteLevel::Warning,
    }
}

/// "closed by the server: 4000 (application) asked to" and the like.
pub fn closed_text(code: Option<u16>, reason: &str, by: Closer) -> String {
    let who = match by {
        Closer::Us => "closed by us",
        Closer::Server => "closed by the server",
        Closer::Network => "closed abnormally",
    };
    match (code, reason.is_empty()) {
        (None, true) => format!("{who}: no code"),
        (None, false) => format!("{who}: {reason}"),
        (Some(code), empty) => {
            let code = format!("{code} ({})", crate::protocol::close_code_meaning(code));
            if empty {
                format!("{who}: {code}")
            } else {
                format!("{who}: {code} {reason}")
            }
        }
    }
}

fn failure_rows(error: &ConnError) -> Vec<(NoteLevel, String)> {
    let mut rows = vec![(NoteLevel::Error, format!("failed: {error}"))];
    if let Some(location) = error.redirect_location() {
        rows.push((NoteLevel::Warning, format!("  redirects to {location} (not followed)")));
    }
    if let ConnError::Upgrade {
        headers,
        body,
        body_truncated,
        ..
    } = error
    {
        for (name, value) in headers {
            rows.push((NoteLevel::Warning, format!("  {name}: {value}")));
        }
        if body.trim().is_empty() {
            rows.push((NoteLevel::Warning, "  (empty body)".into()));
        } else {
            let lines: Vec<&str> = body.lines().collect();
            for line in lines.iter().take(MAX_BODY_LINES) {
                rows.push((NoteLevel::Warning, format!("  body: {line}")));
            }
            let hidden = lines.len().saturating_sub(MAX_BODY_LINES);
            if hidden > 0 || *body_truncated {
                rows.push((NoteLevel::Warning, "  body: … (truncated)".into()));
            }
        }
    }
    if let Some(hint) = error.hint() {
        rows.push((NoteLevel::Info, format!("hint: {hint}")));
    }
    rows
}

/// One-line description of the state for the status bar, always in words.
/// A close reason or a rejection body is the server's text, so the result
/// is sanitized: it is printed as it is by `test` and `pipe`.
pub fn state_summary(state: &ConnState) -> String {
    crate::sanitize::one_line_owned(state.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_shows_status_headers_and_body() {
        let error = ConnError::Upgrade {
            status: 401,
            reason: "Unauthorized".into(),
            headers: vec![("content-type".into(), "text/plain".into())],
            body: "missing api key\nsee docs".into(),
            body_truncated: false,
        };
        let rows: Vec<String> = for_state(&ConnState::Failed(error.clone()), None)
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        assert_eq!(rows[0], "failed: upgrade rejected: HTTP 401 Unauthorized");
        assert!(rows.contains(&"  content-type: text/plain".to_string()));
        assert!(rows.contains(&"  body: missing api key".to_string()));
        assert!(rows.contains(&"  body: see docs".to_string()));
        assert_eq!(
            state_summary(&ConnState::Failed(error)),
            "Failed (HTTP 401 Unauthorized: missing api key)"
        );
    }

    #[test]
    fn closes_name_code_meaning_and_reason() {
        let state = ConnState::Closed {
            code: Some(4000),
            reason: "asked to".into(),
            by: Closer::Server,
        };
        assert_eq!(state_summary(&state), "Closed (4000 asked to)");
        assert_eq!(
            for_state(&state, None)[0].1,
            "closed by the server: 4000 (application) asked to"
        );
        let dropped = ConnState::Closed {
            code: Some(1006),
            reason: String::new(),
            by: Closer::Network,
        };
        assert_eq!(state_summary(&dropped), "Closed (1006 abnormal)");
    }
}
