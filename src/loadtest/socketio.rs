//! A Socket.IO flow as an Artillery script for its `socketio` engine: each
//! send (`["event", args…]`) an `emit`, and the expect that follows it the
//! event that emit waits for (`jq = '.event == "name"'`), its captures read
//! from the event's arguments (`.args[0].id` is `$[0].id`).

use std::fmt::Write;

use super::artillery::{json_path, quoted, text};
use super::plan::{Check, Op, Segment, Test};
use super::{Shape, Target, one_line};

/// Where the Socket.IO server is, as socket.io-client takes it.
pub struct SocketIoTarget {
    /// `http(s)://host:port` and any query of the user's own.
    pub base: String,
    /// The server's path when it is not `/socket.io/`.
    pub path: Option<String>,
    /// `""` for the main namespace.
    pub namespace: String,
    pub auth: Option<serde_json::Value>,
}

/// The `ws://…/socket.io/?EIO=4&transport=websocket` or `http://host` a
/// flow names, as socket.io-client's target.
pub fn target_of(url: &str, path: Option<&str>, namespace: Option<&str>) -> Result<SocketIoTarget, String> {
    let mut parsed = url::Url::parse(url.trim()).map_err(|e| format!("the URL {url:?} does not parse: {e}"))?;
    let scheme = match parsed.scheme() {
        "ws" | "http" => "http",
        "wss" | "https" => "https",
        other => return Err(format!("a Socket.IO URL is ws(s) or http(s), not {other}")),
    };
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(key, _)| key != "EIO" && key != "transport")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let url_path = parsed.path().to_string();
    let path = path
        .map(str::to_string)
        .or_else(|| (!matches!(url_path.as_str(), "" | "/" | "/socket.io" | "/socket.io/")).then_some(url_path));
    parsed.set_query(None);
    parsed.set_path("");
    let mut base = format!("{scheme}://{}", parsed.host_str().unwrap_or("localhost"));
    if let Some(port) = parsed.port() {
        let _ = write!(base, ":{port}");
    }
    if !kept.is_empty() {
        let query: Vec<String> = kept.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = write!(base, "?{}", query.join("&"));
    }
    let namespace = namespace.filter(|ns| *ns != "/").unwrap_or("").to_string();
    Ok(SocketIoTarget {
        base,
        path,
        namespace,
        auth: None,
    })
}

pub fn write(
    header: &[String],
    name: &str,
    target: &Target,
    socketio: &SocketIoTarget,
    ops: &[Op],
    shape: Shape,
) -> Result<String, String> {
    let mut out = String::new();
    for line in header {
        let _ = writeln!(out, "# {line}");
    }
    out.push_str("# Artillery's socketio engine waits for an event only as the answer to an emit.\n");
    out.push_str("config:\n");
    let _ = writeln!(out, "  target: {}", quoted(&socketio.base));
    let users = shape.users.unwrap_or(1);
    let duration = shape.duration_secs.unwrap_or(1);
    let _ = writeln!(
        out,
        "  phases:\n    - duration: {duration}\n      arrivalCount: {users}"
    );
    out.push_str("  socketio:\n    transports: [\"websocket\"]\n");
    if let Some(path) = &socketio.path {
        let _ = writeln!(out, "    path: {}", quoted(path));
    }
    if let Some(auth) = &socketio.auth {
        let _ = writeln!(out, "    auth: {auth}");
    }
    if !target.headers.is_empty() {
        out.push_str("    extraHeaders:\n");
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
    let _ = writeln!(out, "  - name: {}\n    engine: socketio\n    flow:", quoted(name));
    let steps = flow(ops, 6, true, &socketio.namespace)?;
    if steps.is_empty() {
        out.push_str("      - think: 0\n");
    }
    out.push_str(&steps);
    Ok(out)
}

fn flow(ops: &[Op], indent: usize, last: bool, namespace: &str) -> Result<String, String> {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    let mut index = 0;
    while index < ops.len() {
        match &ops[index] {
            Op::Send(payload) => {
                let _ = writeln!(out, "{pad}- emit: {}", emit_of(&text(payload))?);
                if !namespace.is_empty() {
                    let _ = writeln!(out, "{pad}  namespace: {}", quoted(namespace));
                }
                if let Some(Op::Expect(check)) = ops.get(index + 1) {
                    out.push_str(&response(check, indent + 2)?);
                    index += 1;
                }
            }
            Op::Expect(check) => {
                return Err(format!(
                    "line {}: an expect with no send before it: Artillery's socketio engine waits for an event only as the answer to an emit",
                    check.line
                ));
            }
            Op::Wait(duration) => {
                let _ = writeln!(out, "{pad}- think: {}", duration.as_secs_f64());
            }
            Op::Repeat { times, ops } => {
                let _ = writeln!(out, "{pad}- loop:");
                let inner = flow(ops, indent + 4, false, namespace)?;
                if inner.is_empty() {
                    let _ = writeln!(out, "{pad}    - think: 0");
                }
                out.push_str(&inner);
                let _ = writeln!(out, "{pad}  count: {times}");
            }
            Op::Close { code, reason } => {
                if !(last && index == ops.len() - 1) {
                    return Err(format!(
                        "close {code} comes before the end: Artillery closes only when the scenario ends"
                    ));
                }
                let _ = writeln!(out, "{pad}# close {code} {reason}: the scenario's end disconnects");
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

/// `["event", args…]` as Artillery's emit: `{channel, data}` for one
/// argument (any JSON), the list itself for several strings (its schema
/// takes nothing else in a list).
fn emit_of(text: &str) -> Result<String, String> {
    let refused = || format!("a Socket.IO send is a JSON array [\"event\", args…]; {text:?} is not one");
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| refused())?;
    let Some([serde_json::Value::String(event), args @ ..]) = value.as_array().map(Vec::as_slice) else {
        return Err(refused());
    };
    match args {
        [] => Ok(format!("{{ channel: {} }}", quoted(event))),
        [data] => Ok(format!("{{ channel: {}, data: {data} }}", quoted(event))),
        several if several.iter().all(serde_json::Value::is_string) => Ok(value.to_string()),
        _ => Err(format!(
            "Artillery's socketio engine emits one argument, or several strings: {text:?} has {} arguments",
            args.len()
        )),
    }
}

/// The event an emit waits for, and what it checks and captures of it.
fn response(check: &Check, indent: usize) -> Result<String, String> {
    let pad = " ".repeat(indent);
    let line = check.line;
    if check.count > 1 {
        return Err(format!(
            "line {line}: an expect with count above 1 waits for one event in Artillery"
        ));
    }
    let mut channel = None;
    let mut matches = String::new();
    for test in &check.tests {
        match test {
            Test::Equals {
                path,
                value: serde_json::Value::String(event),
            } if path.as_slice() == [Segment::Key("event".into())] => channel = Some(event.clone()),
            Test::Equals { path, value } => {
                let _ = writeln!(
                    matches,
                    "{pad}    - json: {}\n{pad}      value: {value}",
                    quoted(&json_path(args_path(path, line)?))
                );
            }
            Test::Regex { .. } => {
                return Err(format!(
                    "line {line}: a Socket.IO expect maps by its event: use jq = '.event == \"NAME\"'"
                ));
            }
        }
    }
    let channel = channel.ok_or_else(|| {
        format!("line {line}: a Socket.IO expect names its event for Artillery: jq = '.event == \"NAME\"'")
    })?;
    let mut out = format!("{pad}response:\n{pad}  on: {}\n", quoted(&channel));
    if !matches.is_empty() {
        let _ = write!(out, "{pad}  match:\n{matches}");
    }
    if !check.captures.is_empty() {
        let _ = writeln!(out, "{pad}  capture:");
        for (name, path) in &check.captures {
            let _ = writeln!(
                out,
                "{pad}    - json: {}\n{pad}      as: {}",
                quoted(&json_path(args_path(path, line)?)),
                quoted(name)
            );
        }
    }
    Ok(out)
}

/// `.args[0].id` as the path into the event's arguments: `[0].id`.
fn args_path(path: &[Segment], line: usize) -> Result<&[Segment], String> {
    match path {
        [Segment::Key(args), rest @ ..] if args == "args" && matches!(rest.first(), Some(Segment::Index(_))) => {
            Ok(rest)
        }
        _ => Err(format!(
            "line {line}: Artillery reads a Socket.IO event's arguments only: a path like .args[0].id"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socketio_urls_become_socketio_client_targets() {
        let target = target_of(
            "ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket&room=a",
            None,
            Some("/admin"),
        )
        .unwrap();
        assert_eq!(target.base, "http://127.0.0.1:3000?room=a");
        assert_eq!((target.path, target.namespace.as_str()), (None, "/admin"));
        let custom = target_of("wss://h/io", None, Some("/")).unwrap();
        assert_eq!(
            (custom.base.as_str(), custom.path.as_deref(), custom.namespace.as_str()),
            ("https://h", Some("/io"), "")
        );
        assert!(target_of("ftp://h/", None, None).is_err());
    }

    #[test]
    fn emits_are_json_arrays_led_by_the_event() {
        assert_eq!(
            emit_of(r#"["chat", {"text": "hi"}]"#),
            Ok(r#"{ channel: "chat", data: {"text":"hi"} }"#.into())
        );
        assert_eq!(emit_of(r#"["a", "b", "c"]"#), Ok(r#"["a","b","c"]"#.into()));
        assert!(emit_of(r#"["a", 1, {}]"#).unwrap_err().contains("2 arguments"));
        assert!(emit_of("40").unwrap_err().contains("JSON array"));
        assert!(emit_of("[1, 2]").is_err());
    }
}
