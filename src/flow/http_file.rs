//! JetBrains-style `.http` files (IntelliJ's HTTP client, kulala.nvim):
//! each `WEBSOCKET` request becomes a flow that sends its `===`-separated
//! messages in order, waiting for a server message wherever
//! `=== wait-for-server` says so.
//!
//! ```text
//! ### chat
//! WEBSOCKET ws://localhost:8080/ws
//! api-key: {{key}}
//!
//! {"message": "Hello"}
//! === wait-for-server
//! {"message": "After the server answered"}
//! ```

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::file::{DEFAULT_WITHIN, Flow, FlowError, RequestSource};
use super::step::{Action, Expect, Matcher, Payload, Step, summary};
use crate::profile::Profile;
use crate::record::KvRow;

/// How long a flow from a `.http` file keeps listening after its last
/// message, so the answers to it arrive before the close.
pub const LINGER: Duration = Duration::from_secs(1);

/// Reads the `.http` file at `path`: one flow per `WEBSOCKET` request.
pub fn load(path: &Path) -> Result<Vec<Flow>, FlowError> {
    let source = std::fs::read_to_string(path).map_err(|e| FlowError {
        path: path.display().to_string(),
        line: 0,
        column: 0,
        message: format!("cannot read it: {e}"),
    })?;
    parse(&source, path)
}

/// Compiles the `WEBSOCKET` requests of a `.http` file's text; other
/// requests (GET, POST, …) are left out.
pub fn parse(source: &str, path: &Path) -> Result<Vec<Flow>, FlowError> {
    let shown = path.display().to_string();
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let error = |line: usize, message: String| FlowError {
        path: shown.clone(),
        line,
        column: 1,
        message,
    };
    let lines: Vec<(usize, &str)> = source.lines().enumerate().map(|(i, l)| (i + 1, l)).collect();
    type Lines<'a> = &'a [(usize, &'a str)];
    let mut blocks: Vec<(Option<String>, Lines)> = Vec::new();
    let mut start = 0;
    let mut name = None;
    for (index, (_, line)) in lines.iter().enumerate() {
        if let Some(rest) = line.strip_prefix("###") {
            blocks.push((name.take(), &lines[start..index]));
            let rest = rest.trim();
            name = (!rest.is_empty()).then(|| rest.to_string());
            start = index + 1;
        }
    }
    blocks.push((name, &lines[start..]));

    let mut flows = Vec::new();
    for (name, block) in blocks {
        let mut rows = block.iter().copied().peekable();
        let mut name = name;
        // Comments and blank lines before the request line; `# @name x` names it.
        let request_line = loop {
            let Some((number, line)) = rows.next() else { break None };
            let trimmed = line.trim();
            if let Some(tag) = trimmed
                .strip_prefix('#')
                .or_else(|| trimmed.strip_prefix("//"))
                .map(str::trim)
            {
                if let Some(named) = tag.strip_prefix("@name") {
                    name = Some(named.trim().to_string());
                }
                continue;
            }
            if !trimmed.is_empty() {
                break Some((number, trimmed));
            }
        };
        let Some((request_number, request_line)) = request_line else {
            continue;
        };
        let mut words = request_line.split_whitespace();
        let method = words.next().unwrap_or_default();
        if !matches!(method.to_ascii_uppercase().as_str(), "WEBSOCKET" | "WS") {
            continue;
        }
        let Some(url) = words.next() else {
            return Err(error(request_number, "WEBSOCKET needs a URL".into()));
        };
        let mut profile = Profile {
            url: url.to_string(),
            ..Profile::default()
        };
        // Headers, up to the first blank line.
        while let Some((number, line)) = rows.peek().copied() {
            if line.trim().is_empty() {
                rows.next();
                break;
            }
            rows.next();
            if line.trim_start().starts_with('#') || line.trim_start().starts_with("//") {
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                return Err(error(
                    number,
                    format!("{:?} is not a header (NAME: value)", summary(line, 40)),
                ));
            };
            profile.headers.push(KvRow::new(key.trim(), value.trim()));
        }
        // Messages, split at `===` lines.
        let mut steps = Vec::new();
        let mut message: Vec<&str> = Vec::new();
        let mut message_line = 0;
        let mut waits_before = 0;
        let finish_message =
            |message: &mut Vec<&str>, line: usize, waits: &mut usize, steps: &mut Vec<Step>| -> Result<(), FlowError> {
                let text = message.join("\n").trim().to_string();
                message.clear();
                if text.is_empty() {
                    return Ok(());
                }
                for _ in 0..std::mem::take(waits) {
                    steps.push(wait_for_server(line));
                }
                let body = match text.strip_prefix('<') {
                    Some(file) if !file.contains('\n') => {
                        let file = dir.join(file.trim());
                        std::fs::read_to_string(&file)
                            .map_err(|e| error(line, format!("cannot read {}: {e}", file.display())))?
                    }
                    _ => text,
                };
                steps.push(Step {
                    line,
                    label: format!("send {}", summary(&body, 60)),
                    action: Action::Send(Payload::Text(body)),
                });
                Ok(())
            };
        for (number, line) in rows {
            if let Some(rest) = line.strip_prefix("===") {
                finish_message(&mut message, message_line, &mut waits_before, &mut steps)?;
                match rest.trim() {
                    "" => {}
                    "wait-for-server" => waits_before += 1,
                    other => {
                        return Err(error(
                            number,
                            format!("unknown separator \"=== {other}\" (=== or === wait-for-server)"),
                        ));
                    }
                }
                continue;
            }
            if message.is_empty() {
                if line.trim().is_empty() {
                    continue;
                }
                message_line = number;
            }
            message.push(line);
        }
        finish_message(&mut message, message_line, &mut waits_before, &mut steps)?;
        for _ in 0..waits_before {
            steps.push(wait_for_server(lines.len()));
        }
        if !matches!(
            steps.last(),
            Some(Step {
                action: Action::Expect(_),
                ..
            })
        ) {
            steps.push(Step {
                line: 0,
                label: format!("listen {}", crate::format::duration(LINGER)),
                action: Action::Wait(LINGER),
            });
        }
        flows.push(Flow {
            name: name.unwrap_or_else(|| format!("{stem}:{request_number}")),
            path: path.to_path_buf(),
            request: RequestSource::Inline(Box::new(profile)),
            vars: Default::default(),
            steps: Arc::from(steps),
        });
    }
    Ok(flows)
}

fn wait_for_server(line: usize) -> Step {
    Step {
        line,
        label: "wait-for-server".into(),
        action: Action::Expect(Expect {
            matcher: Matcher {
                description: "any frame".into(),
                ..Matcher::default()
            },
            count: 1,
            within: DEFAULT_WITHIN,
            max_latency: None,
            captures: Vec::new(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(flow: &Flow) -> Vec<String> {
        flow.steps.iter().map(|s| s.label.clone()).collect()
    }

    #[test]
    fn websocket_requests_become_flows() {
        let flows = parse(
            r#"### plain http is left out
GET https://example.com/

### chat
# a comment
WEBSOCKET ws://localhost:8080/ws
api-key: {{key}}

{"message": "Hello",
 "n": 1}
===
{"message": "World"}
=== wait-for-server
=== wait-for-server
{"message": "After two answers"}
=== wait-for-server
"#,
            Path::new("chat.http"),
        )
        .unwrap();
        assert_eq!(flows.len(), 1);
        let flow = &flows[0];
        assert_eq!(flow.name, "chat");
        let RequestSource::Inline(profile) = &flow.request else {
            panic!("no request")
        };
        assert_eq!(profile.url, "ws://localhost:8080/ws");
        assert_eq!(profile.headers[0].key, "api-key");
        assert_eq!(profile.headers[0].value, "{{key}}");
        assert_eq!(
            labels(flow),
            [
                r#"send {"message": "Hello", "n": 1}"#,
                r#"send {"message": "World"}"#,
                "wait-for-server",
                "wait-for-server",
                r#"send {"message": "After two answers"}"#,
                "wait-for-server",
            ]
        );
        assert_eq!(flow.steps[0].line, 9);
        let Action::Send(Payload::Text(first)) = &flow.steps[0].action else {
            panic!("not a send")
        };
        assert_eq!(first, "{\"message\": \"Hello\",\n \"n\": 1}");
    }

    #[test]
    fn a_flow_without_a_final_wait_listens_a_moment() {
        let flows = parse("WEBSOCKET ws://h/x\n\nhi\n", Path::new("a.http")).unwrap();
        assert_eq!(labels(&flows[0]), ["send hi", "listen 1.00s"]);
        assert_eq!(flows[0].name, "a:1");
    }

    #[test]
    fn mistakes_name_the_line() {
        let error = parse("WEBSOCKET ws://h/x\nnot a header\n", Path::new("b.http")).unwrap_err();
        assert_eq!(error.line, 2, "{error}");
        let error = parse("WEBSOCKET ws://h/x\n\na\n=== wait-for-godot\n", Path::new("b.http")).unwrap_err();
        assert_eq!(error.line, 4, "{error}");
    }
}
