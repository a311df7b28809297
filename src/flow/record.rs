//! "Save as flow": a session's sent messages written as `send` steps, each
//! followed by an `expect` built from the reply that came next, for the
//! user to edit into a check. Secrets are not written: a secret header or
//! parameter becomes an `{{env:…}}` reference, a secret in the URL is
//! masked.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::decode::FrameDecoder;
use crate::profile::Profile;
use crate::record::{Direction, FrameKind, FrameRecord, KvRow};
use crate::secrets;

/// Fields of a JSON reply that name its kind, in the order tried.
const KIND_FIELDS: [&str; 6] = ["type", "op", "event", "action", "method", "cmd"];

/// Where the recorded flow's request comes from.
pub enum RecordedRequest<'a> {
    /// A saved profile: the flow names it and holds nothing of it.
    Profile(&'a str),
    /// The panes as they are.
    Panes(&'a Profile),
}

/// The flow file's text and how many steps it has.
pub fn flow_text(
    request: RecordedRequest,
    frames: &[&FrameRecord],
    templates: &HashMap<String, String>,
    decoder: &FrameDecoder,
) -> (String, usize) {
    let mut out = String::from(
        "# Recorded by wscope from a live session. Edit the expectations into checks;\n\
         # run it with: wscope run FILE\n",
    );
    match request {
        RecordedRequest::Profile(name) => {
            let _ = writeln!(out, "profile = {}", quote(name));
        }
        RecordedRequest::Panes(profile) => write_request(&mut out, profile),
    }
    let mut steps = 0;
    // An expect for the first frame after each send (and for a greeting
    // before the first send).
    let mut want_reply = true;
    for frame in frames {
        match (frame.direction, frame.kind) {
            (Direction::Sent, FrameKind::Text) => {
                let text = String::from_utf8_lossy(&frame.payload);
                // Sent text with no template of its own went out as it is
                // (a frame loaded with `e`): a `{{` in it names no variable.
                let template = match templates.get(text.as_ref()) {
                    Some(template) => template.clone(),
                    None => crate::profile::vars::Foreign::escape(&text).into_owned(),
                };
                let _ = writeln!(out, "\n[[step]]\nsend = {}", quote(&template));
                steps += 1;
                want_reply = true;
            }
            (Direction::Sent, FrameKind::Binary) => {
                let _ = writeln!(out, "\n[[step]]\nbinary = \"hex:{}\"", hex::encode(&frame.payload));
                steps += 1;
                want_reply = true;
            }
            (Direction::Received, FrameKind::Text | FrameKind::Binary) if want_reply => {
                let _ = writeln!(out, "\n[[step]]\n{}", expect_for(frame, decoder));
                steps += 1;
                want_reply = false;
            }
            _ => {}
        }
    }
    (out, steps)
}

fn write_request(out: &mut String, profile: &Profile) {
    let masked = secrets::mask_url(&profile.url, secrets::FILE_MASK);
    out.push_str("\n[request]\n");
    if masked != profile.url {
        out.push_str("# A secret in the URL was masked: put an {{env:NAME}} reference in its place.\n");
    }
    let _ = writeln!(out, "url = {}", quote(&masked));
    let mut needs = Vec::new();
    for (table, rows) in [("headers", &profile.headers), ("params", &profile.params)] {
        let rows: Vec<&KvRow> = rows.iter().filter(|r| r.enabled && !r.key.trim().is_empty()).collect();
        if rows.is_empty() {
            continue;
        }
        let mut pairs = Vec::new();
        for row in rows {
            let value = if secrets::hides(&row.key, &row.value) {
                let var = env_name(&row.key);
                needs.push(var.clone());
                format!("{{{{env:{var}}}}}")
            } else {
                row.value.clone()
            };
            pairs.push(format!("{} = {}", quote(row.key.trim()), quote(&value)));
        }
        let _ = writeln!(out, "{table} = {{ {} }}", pairs.join(", "));
    }
    if let Some(protocol) = profile.protocol {
        let _ = writeln!(out, "protocol = {}", quote(protocol.label()));
    }
    if !profile.subprotocols.is_empty() {
        let list: Vec<String> = profile.subprotocols.iter().map(|s| quote(s)).collect();
        let _ = writeln!(out, "subprotocols = [{}]", list.join(", "));
    }
    if !needs.is_empty() {
        let _ = writeln!(
            out,
            "# Secrets were not written: set {} in the environment.",
            needs.join(", ")
        );
    }
}

/// An `expect` that the reply would pass: on its kind field when it is
/// JSON with one, else on the start of its text.
fn expect_for(frame: &FrameRecord, decoder: &FrameDecoder) -> String {
    let json = decoder.json(frame);
    let bytes = json.as_deref().unwrap_or(&frame.payload);
    if let Ok(serde_json::Value::Object(object)) = serde_json::from_slice::<serde_json::Value>(bytes) {
        for field in KIND_FIELDS {
            if let Some(serde_json::Value::String(kind)) = object.get(field) {
                let expression = format!(".{field} == {}", serde_json::Value::String(kind.clone()));
                // The server's words: a `{{` in them names no variable.
                return format!(
                    "expect = {{ jq = {} }}",
                    quote(&crate::profile::vars::Foreign::escape(&expression))
                );
            }
        }
        if let Some(id) = object.get("id").filter(|id| id.is_number() || id.is_string()) {
            let expression = format!(".id == {id}");
            return format!(
                "expect = {{ jq = {} }}",
                quote(&crate::profile::vars::Foreign::escape(&expression))
            );
        }
    }
    match frame.kind {
        FrameKind::Text => {
            let text = String::from_utf8_lossy(&frame.payload);
            let head: String = text.lines().next().unwrap_or_default().chars().take(30).collect();
            if head.is_empty() {
                "expect = {}".into()
            } else {
                format!(
                    "expect = {{ regex = {} }}",
                    quote(&format!("^{}", regex::escape(&head)))
                )
            }
        }
        _ => "# a binary reply: any frame will do\nexpect = {}".into(),
    }
}

/// `API_KEY` for `api-key`.
fn env_name(key: &str) -> String {
    key.trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// A TOML string: literal when it can be, so JSON reads as written.
fn quote(text: &str) -> String {
    if !text.contains('\'') && !text.chars().any(char::is_control) {
        format!("'{text}'")
    } else {
        toml::Value::String(text.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    fn frame(direction: Direction, kind: FrameKind, payload: &[u8]) -> FrameRecord {
        FrameRecord {
            at: SystemTime::UNIX_EPOCH,
            direction,
            kind,
            payload: bytes::Bytes::copy_from_slice(payload),
        }
    }

    /// A frame loaded with `e` was sent as it is, and a server's reply is
    /// the server's words: neither names a variable in the saved flow.
    #[test]
    fn foreign_text_is_saved_as_it_is() {
        let frames = [
            frame(Direction::Sent, FrameKind::Text, b"{{env:PATH}}"),
            frame(Direction::Received, FrameKind::Text, br#"{"type":"{{env:PATH}}"}"#),
        ];
        let refs: Vec<&FrameRecord> = frames.iter().collect();
        let (text, _) = flow_text(
            RecordedRequest::Profile("feed"),
            &refs,
            &HashMap::new(),
            &FrameDecoder::default(),
        );
        assert!(text.contains(r"send = '\{{env:PATH}}'"), "{text}");
        assert!(text.contains(r#"jq = '.type == "\{{env:PATH}}"'"#), "{text}");
    }

    #[test]
    fn sends_and_replies_become_steps_that_compile() {
        let frames = [
            frame(Direction::Received, FrameKind::Text, br#"{"type":"hello"}"#),
            frame(Direction::Sent, FrameKind::Text, br#"{"op":"auth","token":"abc"}"#),
            frame(
                Direction::Received,
                FrameKind::Text,
                br#"{"op":"auth_ok","session":"s"}"#,
            ),
            frame(Direction::Received, FrameKind::Text, b"not the reply"),
            frame(Direction::Sent, FrameKind::Text, b"it's plain"),
            frame(Direction::Received, FrameKind::Text, b"echo: it's plain (1+1)"),
            frame(Direction::Sent, FrameKind::Binary, &[1, 2]),
            frame(Direction::Received, FrameKind::Text, br#"{"id":7}"#),
        ];
        let refs: Vec<&FrameRecord> = frames.iter().collect();
        let templates = HashMap::from([(
            r#"{"op":"auth","token":"abc"}"#.to_string(),
            r#"{"op":"auth","token":"{{env:TOKEN}}"}"#.to_string(),
        )]);
        let profile = Profile {
            url: "ws://127.0.0.1:1/x?access_token=t0p&room=blue".into(),
            headers: vec![KvRow::new("api-key", "s3cret"), KvRow::new("x-trace", "1")],
            ..Profile::default()
        };
        let (text, steps) = flow_text(
            RecordedRequest::Panes(&profile),
            &refs,
            &templates,
            &FrameDecoder::default(),
        );
        assert_eq!(steps, 7, "{text}");
        assert!(
            !text.contains("s3cret") && !text.contains("t0p") && !text.contains("abc"),
            "{text}"
        );
        assert!(text.contains("{{env:API_KEY}}"), "{text}");
        assert!(text.contains(r#"jq = '.op == "auth_ok"'"#), "{text}");
        assert!(text.contains(r#"jq = '.type == "hello"'"#), "{text}");
        assert!(text.contains(r"regex = '''^echo: it's plain \(1\+1\)'''"), "{text}");
        assert!(text.contains("binary = \"hex:0102\""), "{text}");
        assert!(text.contains("jq = '.id == 7'"), "{text}");
        let flow = crate::flow::file::parse(&text, std::path::Path::new("r.flow.toml")).unwrap();
        assert_eq!(flow.steps.len(), 7);

        let (named, _) = flow_text(
            RecordedRequest::Profile("feed"),
            &refs,
            &templates,
            &FrameDecoder::default(),
        );
        assert!(named.contains("profile = 'feed'"), "{named}");
        assert!(!named.contains("[request]"));
    }
}
