//! A flow as a k6 script (JavaScript) on `k6/websockets`.
//!
//! k6's WebSocket is event-driven; the steps run in order inside the
//! `open` handler, awaiting each message from a queue the `message`
//! handler fills. An expect waits for the first message that matches, as
//! in wscope, and records a k6 check either way.

use std::fmt::Write;

use super::plan::{Check, Op, Segment, Test};
use super::template::{Dynamic, Part, Text};
use super::{Shape, Target, one_line};

/// What every script carries: the queue of messages and the expect.
const RUNTIME: &str = r#"
// Messages in the order they came, handed to the steps that wait for them.
function inbox(ws) {
  const queue = [];
  const waiting = [];
  ws.addEventListener('message', (event) => {
    const taker = waiting.shift();
    if (taker) taker(event.data);
    else queue.push(event.data);
  });
  return (ms) => new Promise((resolve) => {
    if (queue.length > 0) return resolve(queue.shift());
    let taker = null;
    const timer = setTimeout(() => {
      waiting.splice(waiting.indexOf(taker), 1);
      resolve(undefined);
    }, ms);
    taker = (data) => { clearTimeout(timer); resolve(data); };
    waiting.push(taker);
  });
}

function json(data) {
  try { return JSON.parse(data); } catch (_) { return undefined; }
}

function at(value, path) {
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = value[key];
  }
  return value;
}

// The first message within `ms` that passes `test`; a k6 check either way.
async function expect(next, ms, name, test) {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    const data = left > 0 ? await next(left) : undefined;
    if (data === undefined) {
      check(null, { [name]: () => false });
      throw new Error(`${name}: nothing matched within ${ms} ms`);
    }
    if (test(String(data))) {
      check(data, { [name]: () => true });
      return String(data);
    }
  }
}
"#;

pub fn write(header: &[String], target: &Target, ops: &[Op], shape: Shape) -> Result<String, String> {
    let mut out = String::new();
    for line in header {
        let _ = writeln!(out, "// {line}");
    }
    out.push_str("import { WebSocket } from 'k6/websockets';\n");
    out.push_str("import { setTimeout, clearTimeout } from 'k6/timers';\n");
    out.push_str("import { check } from 'k6';\n");
    if uses(ops, target, Dynamic::Uuid) {
        out.push_str("import { uuidv4 } from 'https://jslib.k6.io/k6-utils/1.4.0/index.js';\n");
    }
    out.push('\n');
    let options = match (shape.users, shape.duration_secs) {
        (None, None) => "{ vus: 1, iterations: 1 }".to_string(),
        (users, None) => {
            let users = users.unwrap_or(1);
            format!("{{ vus: {users}, iterations: {users} }}")
        }
        (users, Some(secs)) => format!("{{ vus: {}, duration: '{secs}s' }}", users.unwrap_or(1)),
    };
    let _ = writeln!(out, "export const options = {options};");
    out.push_str(RUNTIME);
    out.push_str("\nexport default function () {\n");
    out.push_str("  const vars = {};\n  let seq = 0;\n");
    for (name, value) in &target.vars {
        let _ = writeln!(out, "  vars[{}] = {};", js_string(name), template(value));
    }
    let headers: Vec<String> = target
        .headers
        .iter()
        .map(|(key, value)| format!("{}: {}", js_string(key), template(value)))
        .collect();
    let protocols = if target.subprotocols.is_empty() {
        "null".to_string()
    } else {
        let list: Vec<String> = target.subprotocols.iter().map(|s| js_string(s)).collect();
        format!("[{}]", list.join(", "))
    };
    let params = if headers.is_empty() {
        "{}".to_string()
    } else {
        format!("{{ headers: {{ {} }} }}", headers.join(", "))
    };
    let _ = writeln!(
        out,
        "  const ws = new WebSocket({}, {protocols}, {params});",
        template(&target.url)
    );
    out.push_str("  const next = inbox(ws);\n");
    out.push_str("  ws.addEventListener('open', async () => {\n    try {\n");
    let mut counter = 0;
    out.push_str(&steps(ops, 6, &mut counter));
    out.push_str("    } catch (error) {\n      console.error(error.message);\n    } finally {\n      ws.close();\n    }\n  });\n}\n");
    Ok(out)
}

fn steps(ops: &[Op], indent: usize, counter: &mut usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    for op in ops {
        match op {
            Op::Send(text) => {
                let _ = writeln!(out, "{pad}ws.send({});", template(text));
            }
            Op::Expect(check) => out.push_str(&expect(check, &pad)),
            Op::Wait(duration) => {
                let _ = writeln!(
                    out,
                    "{pad}await new Promise((done) => setTimeout(done, {}));",
                    duration.as_millis()
                );
            }
            Op::Repeat { times, ops } => {
                *counter += 1;
                let i = format!("round{counter}");
                let _ = writeln!(out, "{pad}for (let {i} = 0; {i} < {times}; {i}++) {{");
                out.push_str(&steps(ops, indent + 2, counter));
                let _ = writeln!(out, "{pad}}}");
            }
            Op::Close { code, reason } => {
                let _ = writeln!(out, "{pad}ws.close({code}, {});", js_string(reason));
                let _ = writeln!(out, "{pad}return;");
            }
            Op::Omitted(problem) => {
                let _ = writeln!(
                    out,
                    "{pad}// left out, line {}: {}: {}",
                    problem.line,
                    one_line(&problem.step),
                    one_line(&problem.why)
                );
            }
        }
    }
    out
}

fn expect(check: &Check, pad: &str) -> String {
    let mut tests = Vec::new();
    let mut names = Vec::new();
    for test in &check.tests {
        match test {
            Test::Regex { pattern, ignore_case } => {
                let flags = if *ignore_case { "i" } else { "" };
                tests.push(format!("new RegExp({}, '{flags}').test(data)", js_string(pattern)));
                names.push(format!("regex {pattern}"));
            }
            Test::Equals { path, value } => {
                tests.push(format!("at(json(data), {}) === {value}", js_path(path)));
                names.push(format!("{} == {value}", dotted(path)));
            }
        }
    }
    for (_, path) in &check.captures {
        tests.push(format!("at(json(data), {}) !== undefined", js_path(path)));
    }
    let test = if tests.is_empty() {
        "true".to_string()
    } else {
        tests.join(" && ")
    };
    let name = if names.is_empty() {
        "any message".to_string()
    } else {
        names.join(" and ")
    };
    let name = format!("line {}: {}", check.line, one_line(&name));
    let within = check.within.as_millis();
    let mut out = String::new();
    let take = if check.captures.is_empty() { "" } else { "const got = " };
    // A block of its own, so each expect's `got` is its own.
    if check.count > 1 {
        let _ = writeln!(out, "{pad}for (let n = 0; n < {}; n++) {{", check.count);
    } else if !check.captures.is_empty() {
        let _ = writeln!(out, "{pad}{{");
    }
    let inner = if check.count > 1 || !check.captures.is_empty() {
        format!("{pad}  ")
    } else {
        pad.to_string()
    };
    let _ = writeln!(
        out,
        "{inner}{take}await expect(next, {within}, {}, (data) => {test});",
        js_string(&name)
    );
    for (variable, path) in &check.captures {
        let _ = writeln!(
            out,
            "{inner}vars[{}] = String(at(json(got), {}));",
            js_string(variable),
            js_path(path)
        );
    }
    if check.count > 1 || !check.captures.is_empty() {
        let _ = writeln!(out, "{pad}}}");
    }
    out
}

/// A JavaScript template literal with the variables in `${…}`.
fn template(text: &Text) -> String {
    let mut out = String::from("`");
    for part in text {
        match part {
            Part::Literal(literal) => {
                for c in literal.chars() {
                    match c {
                        '`' | '\\' | '$' => {
                            out.push('\\');
                            out.push(c);
                        }
                        c if c.is_control() => {
                            let _ = write!(out, "\\u{{{:x}}}", c as u32);
                        }
                        c => out.push(c),
                    }
                }
            }
            Part::Env(name) => {
                let _ = write!(out, "${{__ENV[{}]}}", js_string(name));
            }
            Part::Variable(name) => {
                let _ = write!(out, "${{vars[{}]}}", js_string(name));
            }
            Part::Dynamic(dynamic) => out.push_str(match dynamic {
                Dynamic::Uuid => "${uuidv4()}",
                Dynamic::Timestamp => "${Math.floor(Date.now() / 1000)}",
                Dynamic::IsoTimestamp => "${new Date().toISOString()}",
                Dynamic::RandomInt => "${Math.floor(Math.random() * 1001)}",
                Dynamic::Seq => "${++seq}",
            }),
        }
    }
    out.push('`');
    out
}

fn js_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

fn js_path(path: &[Segment]) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|segment| match segment {
            Segment::Key(key) => js_string(key),
            Segment::Index(index) => index.to_string(),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

fn dotted(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) => {
                let _ = write!(out, ".{key}");
            }
            Segment::Index(index) => {
                let _ = write!(out, "[{index}]");
            }
        }
    }
    if out.is_empty() { ".".into() } else { out }
}

fn uses(ops: &[Op], target: &Target, wanted: Dynamic) -> bool {
    let in_text = |text: &Text| text.contains(&Part::Dynamic(wanted));
    let in_ops = |ops: &[Op]| -> bool { ops_use(ops, &in_text) };
    in_text(&target.url)
        || target.headers.iter().any(|(_, v)| in_text(v))
        || target.vars.iter().any(|(_, v)| in_text(v))
        || in_ops(ops)
}

fn ops_use(ops: &[Op], in_text: &dyn Fn(&Text) -> bool) -> bool {
    ops.iter().any(|op| match op {
        Op::Send(text) => in_text(text),
        Op::Repeat { ops, .. } => ops_use(ops, in_text),
        _ => false,
    })
}
