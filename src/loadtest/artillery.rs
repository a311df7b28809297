//! A flow as an Artillery script (YAML) for its `ws` engine.
//!
//! Artillery's `send` with `match` or `capture` checks the next message to
//! arrive, and `wait` the next one after that: a send followed by an
//! expect is written as one step, so the reply cannot slip in between.

use std::fmt::Write;

use super::plan::{Check, Op, Segment, Test};
use super::template::{Dynamic, Part, Text};
use super::{Shape, Target, one_line};

/// Artillery's own wait for a reply, when no expect says longer.
const DEFAULT_TIMEOUT_SECS: u64 = 10;

pub fn write(header: &[String], name: &str, target: &Target, ops: &[Op], shape: Shape) -> Result<String, String> {
    let mut out = String::new();
    for line in header {
        let _ = writeln!(out, "# {line}");
    }
    out.push_str("# Artillery checks the next message after a send (or a wait), where wscope waits for the first that matches.\n");
    out.push_str("config:\n");
    let _ = writeln!(out, "  target: {}", quoted(&text(&target.url)));
    let users = shape.users.unwrap_or(1);
    let duration = shape.duration_secs.unwrap_or(1);
    let _ = writeln!(
        out,
        "  phases:\n    - duration: {duration}\n      arrivalCount: {users}"
    );
    out.push_str("  ws:\n");
    let timeout = longest_within(ops).max(DEFAULT_TIMEOUT_SECS);
    let _ = writeln!(out, "    timeout: {timeout}");
    if !target.subprotocols.is_empty() {
        let list: Vec<String> = target.subprotocols.iter().map(|s| quoted(s)).collect();
        let _ = writeln!(out, "    subprotocols: [{}]", list.join(", "));
    }
    if !target.headers.is_empty() {
        out.push_str("    headers:\n");
        for (key, value) in &target.headers {
            let _ = writeln!(out, "      {}: {}", quoted(key), quoted(&text(value)));
        }
    }
    if !target.vars.is_empty() {
        out.push_str("  variables:\n");
        for (key, value) in &target.vars {
            let _ = writeln!(out, "    {}: {}", quoted(key), quoted(&text(value)));
        }
    }
    out.push_str("scenarios:\n");
    let _ = writeln!(out, "  - name: {}\n    engine: ws\n    flow:", quoted(name));
    let mut next_match = 0;
    let steps = flow(ops, 6, true, &mut next_match)?;
    if steps.is_empty() {
        out.push_str("      - think: 0\n");
    }
    out.push_str(&steps);
    Ok(out)
}

/// The steps at `indent`; `last` says these end the scenario.
fn flow(ops: &[Op], indent: usize, last: bool, next_match: &mut usize) -> Result<String, String> {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    let mut index = 0;
    while index < ops.len() {
        match &ops[index] {
            Op::Send(payload) => match ops.get(index + 1) {
                Some(Op::Expect(check)) => {
                    let _ = writeln!(out, "{pad}- send:\n{pad}    payload: {}", quoted(&text(payload)));
                    out.push_str(&specs(check, indent + 4, next_match));
                    for _ in 1..check.count {
                        out.push_str(&wait(check, &pad, indent, next_match));
                    }
                    index += 1;
                }
                _ => {
                    let _ = writeln!(out, "{pad}- send: {}", quoted(&text(payload)));
                }
            },
            Op::Expect(check) => {
                for _ in 0..check.count {
                    out.push_str(&wait(check, &pad, indent, next_match));
                }
            }
            Op::Wait(duration) => {
                let _ = writeln!(out, "{pad}- think: {}", duration.as_secs_f64());
            }
            Op::Repeat { times, ops } => {
                let _ = writeln!(out, "{pad}- loop:");
                let inner = flow(ops, indent + 4, false, next_match)?;
                if inner.is_empty() {
                    let _ = writeln!(out, "{pad}    - think: 0");
                }
                out.push_str(&inner);
                let _ = writeln!(out, "{pad}  count: {times}");
            }
            Op::Close { code, reason } => {
                if !(last && index == ops.len() - 1) {
                    return Err(format!(
                        "close {code} comes before the end: Artillery's ws engine closes only when the scenario ends"
                    ));
                }
                let _ = writeln!(
                    out,
                    "{pad}# close {code} {reason}: the scenario's end closes the connection"
                );
            }
            Op::Omitted(problem) => {
                let _ = writeln!(
                    out,
                    "{pad}# left out, line {}: {}: {}",
                    problem.line,
                    one_line(&problem.step),
                    one_line(&problem.why)
                );
            }
        }
        index += 1;
    }
    Ok(out)
}

fn wait(check: &Check, pad: &str, indent: usize, next_match: &mut usize) -> String {
    format!("{pad}- wait:\n{}", specs(check, indent + 4, next_match))
}

/// A check's `match` and `capture` lists under a send or wait.
fn specs(check: &Check, indent: usize, next_match: &mut usize) -> String {
    let pad = " ".repeat(indent);
    let mut matches = String::new();
    let mut captures = String::new();
    for test in &check.tests {
        match test {
            Test::Equals { path, value } => {
                let _ = writeln!(
                    matches,
                    "{pad}  - json: {}\n{pad}    value: {}",
                    quoted(&json_path(path)),
                    value
                );
            }
            // Artillery matches a regex only against a known value; captured
            // (strictly: nothing found fails the user), it is a test.
            Test::Regex { pattern, ignore_case } => {
                *next_match += 1;
                let _ = writeln!(
                    captures,
                    "{pad}  - regexp: {}\n{pad}    as: \"wscope_match_{next_match}\"",
                    quoted(pattern)
                );
                if *ignore_case {
                    let _ = writeln!(captures, "{pad}    flags: \"i\"");
                }
            }
        }
    }
    for (name, path) in &check.captures {
        let _ = writeln!(
            captures,
            "{pad}  - json: {}\n{pad}    as: {}",
            quoted(&json_path(path)),
            quoted(name)
        );
    }
    if matches.is_empty() && captures.is_empty() {
        // Any message at all: one character of it.
        *next_match += 1;
        let _ = writeln!(
            captures,
            "{pad}  - regexp: \"[\\\\s\\\\S]\"\n{pad}    as: \"wscope_match_{next_match}\""
        );
    }
    let mut out = String::new();
    if !matches.is_empty() {
        let _ = writeln!(out, "{pad}match:\n{matches}");
        out.pop();
    }
    if !captures.is_empty() {
        let _ = writeln!(out, "{pad}capture:\n{captures}");
        out.pop();
    }
    out
}

/// `$.a[0]["b c"]`.
pub(super) fn json_path(path: &[Segment]) -> String {
    let mut out = String::from("$");
    for segment in path {
        match segment {
            Segment::Index(index) => {
                let _ = write!(out, "[{index}]");
            }
            Segment::Key(key) if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                let _ = write!(out, ".{key}");
            }
            Segment::Key(key) => {
                let _ = write!(out, "['{}']", key.replace('\\', "\\\\").replace('\'', "\\'"));
            }
        }
    }
    out
}

/// The text in Artillery's `{{ }}` templates.
pub(super) fn text(text: &Text) -> String {
    text.iter()
        .map(|part| match part {
            Part::Literal(literal) => literal.clone(),
            Part::Env(name) => format!("{{{{ $env.{name} }}}}"),
            Part::Variable(name) => format!("{{{{ {name} }}}}"),
            Part::Dynamic(Dynamic::Uuid) => "{{ $uuid }}".into(),
            Part::Dynamic(Dynamic::RandomInt) => "{{ $randomNumber(0, 1000) }}".into(),
            // Refused when the flow was read.
            Part::Dynamic(other) => format!("{other:?}"),
        })
        .collect()
}

/// A YAML double-quoted scalar: JSON's escapes are YAML's too.
pub(super) fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

fn longest_within(ops: &[Op]) -> u64 {
    ops.iter()
        .map(|op| match op {
            Op::Expect(check) => check.within.as_secs_f64().ceil() as u64,
            Op::Repeat { ops, .. } => longest_within(ops),
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}
