//! A flow's steps as the operations a load engine can run, with each step
//! that no engine can run named by its line and the reason.

use std::time::Duration;

use super::template::{Text, parse_text};
use super::{Engine, Problem};
use crate::flow::step::{Action, Expect, Payload, Step};

/// One thing a virtual user does.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Send(Text),
    Expect(Check),
    Wait(Duration),
    Repeat {
        times: u32,
        ops: Vec<Op>,
    },
    Close {
        code: u16,
        reason: String,
    },
    /// A step left out (`--lenient`), kept as a comment.
    Omitted(Problem),
}

/// What a received message must satisfy, and what is taken from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub tests: Vec<Test>,
    pub captures: Vec<(String, Vec<Segment>)>,
    pub count: u32,
    pub within: Duration,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Regex {
        pattern: String,
        ignore_case: bool,
    },
    Equals {
        path: Vec<Segment>,
        value: serde_json::Value,
    },
}

/// One step of a plain path: `.name`, `["name"]` or `[0]`.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// Turns `steps` into operations; what cannot map is a problem, or with
/// `lenient` an [`Op::Omitted`].
pub fn plan(steps: &[Step], engine: Engine, lenient: bool, known: &mut Vec<String>) -> (Vec<Op>, Vec<Problem>) {
    let mut ops = Vec::new();
    let mut problems = Vec::new();
    for step in steps {
        match op_of(step, engine, lenient, known) {
            Ok(op) => ops.push(op),
            Err(mut found) => {
                if lenient {
                    ops.extend(found.drain(..).map(Op::Omitted));
                } else {
                    problems.append(&mut found);
                }
            }
        }
    }
    (ops, problems)
}

fn op_of(step: &Step, engine: Engine, lenient: bool, known: &mut Vec<String>) -> Result<Op, Vec<Problem>> {
    let problem = |why: String| {
        vec![Problem {
            line: step.line,
            step: step.label.clone(),
            why,
        }]
    };
    match &step.action {
        Action::Send(Payload::Text(text) | Payload::Raw(text)) => {
            parse_text(text, engine, known).map(Op::Send).map_err(problem)
        }
        Action::Send(Payload::Json(value)) => parse_text(&value.to_string(), engine, known)
            .map(Op::Send)
            .map_err(problem),
        Action::Send(Payload::Binary(_)) => Err(problem(
            "binary messages cannot be written in the engine's script".into(),
        )),
        Action::Expect(expect) => check_of(expect, step.line, known).map(Op::Expect).map_err(problem),
        Action::ExpectNone(_) => Err(problem(
            "expect_none (nothing may arrive) has no counterpart in the engine".into(),
        )),
        Action::Ping { .. } => Err(problem("the engine cannot send pings".into())),
        Action::Wait(duration) => Ok(Op::Wait(*duration)),
        Action::Close { code, reason } => Ok(Op::Close {
            code: *code,
            reason: reason.clone(),
        }),
        Action::Repeat { times, steps } => {
            let (ops, problems) = plan(steps, engine, lenient, known);
            if problems.is_empty() {
                Ok(Op::Repeat { times: *times, ops })
            } else {
                Err(problems)
            }
        }
    }
}

fn check_of(expect: &Expect, line: usize, known: &mut Vec<String>) -> Result<Check, String> {
    if expect.max_latency.is_some() {
        return Err("max_latency has no counterpart in the engine".into());
    }
    let written = &expect.matcher.written;
    if written.schema {
        return Err("a JSON Schema check has no counterpart in the engine".into());
    }
    let mut tests = Vec::new();
    if let Some(regex) = &written.regex {
        if regex.contains("{{") {
            return Err("a regex with {{variables}} cannot be exported".into());
        }
        tests.push(regex_test(regex)?);
    }
    if let Some(jq) = &written.jq {
        let (path, value) = comparison(jq)
            .ok_or_else(|| format!("jq `{jq}` is not a plain path compared with a value (like .type == \"tick\")"))?;
        tests.push(Test::Equals { path, value });
    }
    let mut captures = Vec::new();
    for capture in &expect.captures {
        let path = path_of(capture.source.trim()).ok_or_else(|| {
            format!(
                "capture {} = `{}` is not a plain path (like .data.id)",
                capture.name, capture.source
            )
        })?;
        captures.push((capture.name.clone(), path));
    }
    // Later steps may use what this one captures.
    known.extend(captures.iter().map(|(name, _)| name.clone()));
    Ok(Check {
        tests,
        captures,
        count: expect.count,
        within: expect.within,
        line,
    })
}

/// A regex as JavaScript reads it: wscope's Rust syntax is taken when it
/// means the same there.
fn regex_test(regex: &str) -> Result<Test, String> {
    let (pattern, ignore_case) = match regex.strip_prefix("(?i)") {
        Some(rest) => (rest, true),
        None => (regex, false),
    };
    // Groups JavaScript shares: (?:…), lookahead, named groups; inline
    // flags it does not have.
    let mut rest = pattern;
    while let Some(at) = rest.find("(?") {
        rest = &rest[at + 2..];
        if !rest.starts_with([':', '=', '!', '<']) {
            return Err("the regex sets flags inside it ((?…)), which JavaScript does not read".into());
        }
    }
    for rust_only in ["\\A", "\\z", "\\Z", "[[:", "\\p{"] {
        if pattern.contains(rust_only) {
            return Err(format!(
                "the regex uses {rust_only}, which JavaScript reads differently"
            ));
        }
    }
    Ok(Test::Regex {
        pattern: pattern.to_string(),
        ignore_case,
    })
}

/// `PATH == VALUE` with a JSON scalar value.
pub fn comparison(jq: &str) -> Option<(Vec<Segment>, serde_json::Value)> {
    let (left, right) = jq.split_once("==")?;
    let (path, value) = match (path_of(left.trim()), path_of(right.trim())) {
        (Some(path), None) => (path, right.trim()),
        (None, Some(path)) => (path, left.trim()),
        _ => return None,
    };
    let value: serde_json::Value = serde_json::from_str(value).ok()?;
    (!value.is_array() && !value.is_object()).then_some((path, value))
}

/// A plain path: `.`, `.a.b`, `.a[0]`, `.["a b"]`, `.a."b c"`.
pub fn path_of(text: &str) -> Option<Vec<Segment>> {
    let mut rest = text.strip_prefix('.')?;
    let mut path = Vec::new();
    let identifier = |s: &str| {
        let end = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        (end > 0 && !s.starts_with(|c: char| c.is_ascii_digit())).then_some(end)
    };
    let mut first = true;
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']')?;
            let key = &inner[..close];
            path.push(match key.parse::<usize>() {
                Ok(index) => Segment::Index(index),
                Err(_) => Segment::Key(serde_json::from_str::<String>(key).ok()?),
            });
            rest = &inner[close + 1..];
        } else {
            let after_dot = if first { rest } else { rest.strip_prefix('.')? };
            if let Some(quoted) = after_dot.strip_prefix('"') {
                let close = quoted.find('"')? + 2;
                path.push(Segment::Key(serde_json::from_str(&after_dot[..close]).ok()?));
                rest = &after_dot[close..];
            } else {
                let end = identifier(after_dot)?;
                path.push(Segment::Key(after_dot[..end].to_string()));
                rest = &after_dot[end..];
            }
        }
        first = false;
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(k: &str) -> Segment {
        Segment::Key(k.into())
    }

    #[test]
    fn plain_paths_are_read_and_others_are_not() {
        assert_eq!(path_of("."), Some(vec![]));
        assert_eq!(path_of(".a.b"), Some(vec![key("a"), key("b")]));
        assert_eq!(path_of(".a[0].b"), Some(vec![key("a"), Segment::Index(0), key("b")]));
        assert_eq!(path_of(".[\"a b\"]"), Some(vec![key("a b")]));
        assert_eq!(path_of(".a.\"b c\""), Some(vec![key("a"), key("b c")]));
        for not_plain in ["a", ".a | length", ".a[]", "select(.a)", ".a + 1", ".1a", ""] {
            assert_eq!(path_of(not_plain), None, "{not_plain}");
        }
    }

    #[test]
    fn comparisons_with_a_scalar_on_either_side() {
        assert_eq!(
            comparison(".type == \"tick\""),
            Some((vec![key("type")], json!("tick")))
        );
        assert_eq!(comparison("3 == .a.n"), Some((vec![key("a"), key("n")], json!(3))));
        assert_eq!(comparison(".ok == true"), Some((vec![key("ok")], json!(true))));
        assert_eq!(comparison(".a == [1]"), None);
        assert_eq!(comparison(".a == .b"), None);
        assert_eq!(comparison(".a != 1"), None);
        assert_eq!(comparison(".a | length == 1"), None);
    }

    #[test]
    fn regexes_javascript_reads_alike_pass_and_others_are_named() {
        assert_eq!(
            regex_test("(?i)hello"),
            Ok(Test::Regex {
                pattern: "hello".into(),
                ignore_case: true
            })
        );
        assert!(regex_test("^\\d+ (?:a|b)$").is_ok());
        assert!(regex_test("\\Ahello").unwrap_err().contains("\\A"));
        assert!(regex_test("(?s)a.b").unwrap_err().contains("(?"));
    }
}
