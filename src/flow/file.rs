//! Reading `*.flow.toml` files into compiled steps. Every mistake is
//! named with its file, line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::Deserialize;
use toml::Spanned;

use super::step::{Action, Capture, Expect, ExpectNone, Matcher, Payload, Schema, Step, parse_duration, summary};
use crate::filter::{JQ_PREFIX, Pattern};
use crate::jq::JqFilter;
use crate::profile::Profile;
use crate::record::KvRow;

/// How long an `expect` waits when neither it nor the file says.
pub const DEFAULT_WITHIN: Duration = Duration::from_secs(10);
/// How long an `expect_none` watches when it does not say.
pub const DEFAULT_NONE_FOR: Duration = Duration::from_secs(1);
/// How long a `ping` step waits for its pong.
pub const PING_WITHIN: Duration = Duration::from_secs(5);
/// Most rounds of one `repeat`.
pub const MAX_REPEAT: u32 = 1_000_000;

/// A flow, ready to run.
#[derive(Debug)]
pub struct Flow {
    /// The file's name without `.flow.toml`, for reports.
    pub name: String,
    pub path: PathBuf,
    pub request: RequestSource,
    /// `{{name}}` values the file sets before any capture.
    pub vars: BTreeMap<String, String>,
    pub steps: Arc<[Step]>,
}

/// Where a flow's request comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestSource {
    /// Only from the command line.
    CommandLine,
    /// A saved profile, by name.
    Profile(String),
    /// A `[request]` table.
    Inline(Box<Profile>),
}

/// A flow file that cannot be run, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct FlowError {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlow {
    name: Option<String>,
    profile: Option<String>,
    request: Option<RawRequest>,
    /// Default `within` for every `expect`.
    timeout: Option<Spanned<String>>,
    #[serde(default)]
    vars: BTreeMap<String, String>,
    #[serde(default, rename = "step")]
    steps: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    params: BTreeMap<String, String>,
    #[serde(default)]
    subprotocols: Vec<String>,
    protocol: Option<crate::protocol::ProtocolKind>,
    namespace: Option<String>,
    auth: Option<toml::Value>,
    eio: Option<u8>,
    socketio_path: Option<String>,
    vhost: Option<String>,
    heartbeat: Option<String>,
    sockjs: Option<bool>,
    mqtt_version: Option<u8>,
    client_id: Option<String>,
    keepalive_secs: Option<u64>,
    decode: Option<crate::decode::DecodeChoice>,
    #[serde(default)]
    proto: Vec<PathBuf>,
    proto_type: Option<String>,
    proxy: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: Option<String>,
    send: Option<String>,
    binary: Option<String>,
    json: Option<toml::Value>,
    expect: Option<RawExpect>,
    expect_none: Option<RawExpect>,
    capture: Option<BTreeMap<String, String>>,
    wait: Option<String>,
    ping: Option<toml::Value>,
    close: Option<RawClose>,
    repeat: Option<RawRepeat>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    regex: Option<String>,
    jq: Option<String>,
    schema: Option<toml::Value>,
    count: Option<u32>,
    within: Option<String>,
    max_latency: Option<String>,
    #[serde(rename = "for")]
    duration: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawClose {
    Yes(bool),
    With { code: Option<u16>, reason: Option<String> },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRepeat {
    times: u32,
    steps: Vec<Spanned<RawStep>>,
}

/// Reads and compiles the flow file at `path`.
pub fn load(path: &Path) -> Result<Flow, FlowError> {
    let shown = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|e| FlowError {
        path: shown.clone(),
        line: 0,
        column: 0,
        message: format!("cannot read it: {e}"),
    })?;
    parse(&source, path)
}

/// Compiles a flow from its text; `path` names it and anchors `@file`s.
pub fn parse(source: &str, path: &Path) -> Result<Flow, FlowError> {
    let compiler = Compiler {
        source,
        path: path.display().to_string(),
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        within: DEFAULT_WITHIN,
    };
    let raw: RawFlow = toml::from_str(source).map_err(|e| {
        let offset = e.span().map_or(0, |span| span.start);
        compiler.error(offset, e.message().trim().to_string())
    })?;
    let mut compiler = compiler;
    if let Some(timeout) = &raw.timeout {
        compiler.within = parse_duration(timeout.get_ref()).map_err(|e| compiler.error(timeout.span().start, e))?;
    }
    let request = match (raw.profile, raw.request) {
        (Some(_), Some(_)) => {
            return Err(compiler.error(0, "name a profile or give a [request], not both".into()));
        }
        (Some(name), None) => RequestSource::Profile(name),
        (None, Some(request)) => {
            RequestSource::Inline(Box::new(request.into_profile().map_err(|e| compiler.error(0, e))?))
        }
        (None, None) => RequestSource::CommandLine,
    };
    let steps = compiler.steps(raw.steps)?;
    let name = raw.name.unwrap_or_else(|| {
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        file.trim_end_matches(".toml").trim_end_matches(".flow").to_string()
    });
    Ok(Flow {
        name,
        path: path.to_path_buf(),
        request,
        vars: raw.vars,
        steps,
    })
}

impl RawRequest {
    fn into_profile(self) -> Result<Profile, String> {
        let rows = |map: BTreeMap<String, String>| {
            map.into_iter()
                .map(|(key, value)| KvRow::new(&key, &value))
                .collect::<Vec<_>>()
        };
        Ok(Profile {
            url: self.url,
            headers: rows(self.headers),
            params: rows(self.params),
            subprotocols: self.subprotocols,
            protocol: self.protocol,
            namespace: self.namespace,
            auth: self
                .auth
                .map(|v| serde_json::to_value(v).map_err(|e| format!("request.auth: {e}")))
                .transpose()?,
            eio: self.eio,
            socketio_path: self.socketio_path,
            vhost: self.vhost,
            heartbeat: self.heartbeat,
            sockjs: self.sockjs,
            mqtt_version: self.mqtt_version,
            client_id: self.client_id,
            keepalive_secs: self.keepalive_secs,
            decode: self.decode,
            proto: self.proto,
            proto_type: self.proto_type,
            proxy: self.proxy,
            ..Profile::default()
        })
    }
}

struct Compiler<'a> {
    source: &'a str,
    path: String,
    dir: PathBuf,
    within: Duration,
}

impl Compiler<'_> {
    fn error(&self, offset: usize, message: String) -> FlowError {
        let before = &self.source[..offset.min(self.source.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        FlowError {
            path: self.path.clone(),
            line,
            column,
            message,
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.source[..offset.min(self.source.len())].matches('\n').count() + 1
    }

    fn steps(&self, raw: Vec<Spanned<RawStep>>) -> Result<Arc<[Step]>, FlowError> {
        raw.into_iter()
            .enumerate()
            .map(|(index, step)| {
                let offset = step.span().start;
                self.step(step.into_inner())
                    .map(|(label, action)| Step {
                        line: self.line_of(offset),
                        label,
                        action,
                    })
                    .map_err(|e| self.error(offset, format!("step {}: {e}", index + 1)))
            })
            .collect()
    }

    fn step(&self, raw: RawStep) -> Result<(String, Action), String> {
        let kinds = [
            ("send", raw.send.is_some()),
            ("binary", raw.binary.is_some()),
            ("json", raw.json.is_some()),
            ("expect", raw.expect.is_some()),
            ("expect_none", raw.expect_none.is_some()),
            ("wait", raw.wait.is_some()),
            ("ping", raw.ping.is_some()),
            ("close", raw.close.is_some()),
            ("repeat", raw.repeat.is_some()),
        ];
        let named: Vec<&str> = kinds.iter().filter(|(_, on)| *on).map(|(k, _)| *k).collect();
        match named.as_slice() {
            [] => {
                return Err(
                    "a step needs one of send, binary, json, expect, expect_none, wait, ping, close, repeat".into(),
                );
            }
            [_] => {}
            several => {
                return Err(format!(
                    "a step does one thing, but this one has {}",
                    several.join(" and ")
                ));
            }
        }
        if raw.capture.is_some() && raw.expect.is_none() {
            return Err("capture goes with an expect".into());
        }
        let (label, action) = if let Some(text) = raw.send {
            (
                format!("send {}", summary(&text, 60)),
                Action::Send(Payload::Text(text)),
            )
        } else if let Some(spec) = raw.binary {
            let bytes = self.binary(&spec)?;
            (
                format!("send binary {} bytes", bytes.len()),
                Action::Send(Payload::Binary(bytes)),
            )
        } else if let Some(value) = raw.json {
            let json = serde_json::to_value(value).map_err(|e| format!("json: {e}"))?;
            (
                format!("send {}", summary(&json.to_string(), 60)),
                Action::Send(Payload::Json(json)),
            )
        } else if let Some(expect) = raw.expect {
            self.expect(expect, raw.capture.unwrap_or_default())?
        } else if let Some(none) = raw.expect_none {
            if none.count.is_some() || none.within.is_some() || none.max_latency.is_some() {
                return Err("expect_none takes regex, jq, schema and for".into());
            }
            let duration = match &none.duration {
                Some(text) => parse_duration(text)?,
                None => DEFAULT_NONE_FOR,
            };
            let matcher = self.matcher(none.regex, none.jq, none.schema)?;
            (
                format!(
                    "expect_none {} for {}",
                    matcher.description,
                    crate::format::duration(duration)
                ),
                Action::ExpectNone(ExpectNone { matcher, duration }),
            )
        } else if let Some(wait) = raw.wait {
            let duration = parse_duration(&wait)?;
            (
                format!("wait {}", crate::format::duration(duration)),
                Action::Wait(duration),
            )
        } else if let Some(ping) = raw.ping {
            let payload = match ping {
                toml::Value::Boolean(true) => Bytes::from_static(b"wscope-flow"),
                toml::Value::String(text) if text.len() <= 125 => Bytes::from(text),
                toml::Value::String(_) => return Err("a ping's payload is at most 125 bytes".into()),
                _ => return Err("ping is true or a payload string".into()),
            };
            (
                "ping".into(),
                Action::Ping {
                    payload,
                    within: PING_WITHIN,
                },
            )
        } else if let Some(close) = raw.close {
            let (code, reason) = match close {
                RawClose::Yes(true) => (1000, String::new()),
                RawClose::Yes(false) => return Err("close = true, or close = { code = …, reason = … }".into()),
                RawClose::With { code, reason } => (code.unwrap_or(1000), reason.unwrap_or_default()),
            };
            if !(code == 1000 || (3000..=4999).contains(&code) || (1001..=1003).contains(&code)) {
                return Err(format!(
                    "close code {code} cannot be sent (use 1000, 1001–1003 or 3000–4999)"
                ));
            }
            if reason.len() > 123 {
                return Err("a close reason is at most 123 bytes".into());
            }
            (
                format!("close {code} {reason}").trim_end().to_string(),
                Action::Close { code, reason },
            )
        } else if let Some(repeat) = raw.repeat {
            if repeat.times > MAX_REPEAT {
                return Err(format!("repeat at most {MAX_REPEAT} times"));
            }
            let steps = self
                .steps(repeat.steps)
                .map_err(|e| format!("in repeat: {}", e.message))?;
            (
                format!("repeat {}×", repeat.times),
                Action::Repeat {
                    times: repeat.times,
                    steps,
                },
            )
        } else {
            return Err("empty step".into());
        };
        Ok((raw.name.unwrap_or(label), action))
    }

    fn expect(&self, raw: RawExpect, capture: BTreeMap<String, String>) -> Result<(String, Action), String> {
        if raw.duration.is_some() {
            return Err("`for` goes with expect_none; expect waits `within`".into());
        }
        let count = raw.count.unwrap_or(1);
        if count == 0 {
            return Err("count is at least 1 (expect_none checks that nothing comes)".into());
        }
        let within = match &raw.within {
            Some(text) => parse_duration(text)?,
            None => self.within,
        };
        let max_latency = raw.max_latency.as_deref().map(parse_duration).transpose()?;
        let matcher = self.matcher(raw.regex, raw.jq, raw.schema)?;
        let captures = capture
            .into_iter()
            .map(|(name, source)| {
                let expr = JqFilter::compile(source.trim()).map_err(|e| format!("capture {name}: jq: {e}"))?;
                Ok(Capture { name, source, expr })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let mut label = format!("expect {}", matcher.description);
        if count > 1 {
            label.push_str(&format!(" ×{count}"));
        }
        Ok((
            label,
            Action::Expect(Expect {
                matcher,
                count,
                within,
                max_latency,
                captures,
            }),
        ))
    }

    fn matcher(
        &self,
        regex: Option<String>,
        jq: Option<String>,
        schema: Option<toml::Value>,
    ) -> Result<Matcher, String> {
        let mut matcher = Matcher {
            written: super::step::WrittenMatcher {
                regex: regex.clone(),
                jq: jq.clone(),
                schema: schema.is_some(),
            },
            ..Matcher::default()
        };
        let mut parts = Vec::new();
        if let Some(regex) = regex {
            if regex.trim_start().starts_with(JQ_PREFIX) {
                return Err("regex: starts with jq:, so use jq = '…' for a jq expression".into());
            }
            if regex.contains("{{") {
                // Checked now with the variables left in, so a mistake in
                // the rest shows before the flow runs.
                Pattern::compile(&regex.replace("{{", "").replace("}}", ""))?;
                matcher.dynamic.push(regex.clone());
            } else if let Some(pattern) = Pattern::compile(&regex)? {
                matcher.patterns.push(pattern);
            }
            parts.push(format!("regex {}", summary(&regex, 40)));
        }
        if let Some(jq) = jq {
            if jq.contains("{{") {
                matcher.dynamic.push(format!("{JQ_PREFIX}{jq}"));
            } else if let Some(pattern) = Pattern::compile(&format!("{JQ_PREFIX}{jq}"))? {
                matcher.patterns.push(pattern);
            }
            parts.push(format!("jq {}", summary(&jq, 40)));
        }
        if let Some(schema) = schema {
            let (compiled, shown) = match schema {
                toml::Value::String(file) => {
                    let path = self.dir.join(file.strip_prefix('@').unwrap_or(&file));
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("schema: cannot read {}: {e}", path.display()))?;
                    let value: serde_json::Value = serde_json::from_str(&text)
                        .map_err(|e| format!("schema: {} is not JSON: {e}", path.display()))?;
                    (Schema::compile(&path, value), format!("schema {file}"))
                }
                inline => {
                    let value = serde_json::to_value(inline).map_err(|e| format!("schema: {e}"))?;
                    (Schema::inline(&self.dir, value), "schema".to_string())
                }
            };
            matcher.schema = Some(compiled.map_err(|e| format!("schema: {e}"))?);
            parts.push(shown);
        }
        matcher.description = if parts.is_empty() {
            "any frame".into()
        } else {
            parts.join(" and ")
        };
        Ok(matcher)
    }

    /// `hex:…`, `base64:…` or `@file` (next to the flow file).
    fn binary(&self, spec: &str) -> Result<Bytes, String> {
        use base64::Engine;
        let spec = spec.trim();
        if let Some(hex) = spec.strip_prefix("hex:") {
            let digits: String = hex.chars().filter(|c| !c.is_whitespace()).collect();
            hex::decode(digits).map(Bytes::from).map_err(|e| format!("binary: {e}"))
        } else if let Some(b64) = spec.strip_prefix("base64:") {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map(Bytes::from)
                .map_err(|e| format!("binary: {e}"))
        } else if let Some(file) = spec.strip_prefix('@') {
            let path = self.dir.join(file);
            std::fs::read(&path)
                .map(Bytes::from)
                .map_err(|e| format!("binary: cannot read {}: {e}", path.display()))
        } else {
            Err("binary is hex:…, base64:… or @file".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<Flow, FlowError> {
        parse(text, Path::new("t.flow.toml"))
    }

    #[test]
    fn the_issue_example_compiles() {
        let flow = parsed(
            r#"
profile = "feed"
[[step]]
send = '{"op":"auth","token":"{{env:TOKEN}}"}'
[[step]]
expect = { jq = '.op == "auth_ok"', within = "2s" }
capture = { session = ".session" }
[[step]]
send = '{"op":"subscribe","session":"{{session}}","id":"{{$uuid}}"}'
[[step]]
expect = { regex = "tick", count = 5, within = "10s", max_latency = "200ms" }
[[step]]
expect_none = { jq = '.type == "error"', for = "1s" }
[[step]]
close = { code = 1000, reason = "done" }
"#,
        )
        .unwrap();
        assert_eq!(flow.request, RequestSource::Profile("feed".into()));
        assert_eq!(flow.steps.len(), 6);
        assert_eq!(flow.steps[1].line, 5);
        assert_eq!(flow.steps[1].label, r#"expect jq .op == "auth_ok""#);
        assert_eq!(flow.steps[3].label, "expect regex tick ×5");
        let Action::Expect(expect) = &flow.steps[3].action else {
            panic!("not an expect")
        };
        assert_eq!(expect.count, 5);
        assert_eq!(expect.max_latency, Some(Duration::from_millis(200)));
        assert_eq!(flow.name, "t");
    }

    #[test]
    fn mistakes_are_named_with_line_and_column() {
        let error = parsed("[[step]]\nsend = 'a'\nexpect = { regex = 'b' }\n").unwrap_err();
        assert_eq!((error.line, error.column), (1, 1), "{error}");
        assert!(error.message.contains("send and expect"), "{error}");

        let error = parsed("[[step]]\nsend = 'a'\n\n[[step]]\nexpect = { regex = '(' }\n").unwrap_err();
        assert_eq!(error.line, 4, "{error}");
        assert!(error.message.starts_with("step 2: regex"), "{error}");

        let error = parsed("[[step]]\nsned = 'a'\n").unwrap_err();
        assert_eq!(error.line, 2, "{error}");
        assert!(error.message.contains("sned"), "{error}");

        let error = parsed("[[step]]\nexpect = { jq = '.a ==' }\n").unwrap_err();
        assert!(error.message.contains("jq"), "{error}");

        let error = parsed("[[step]]\nwait = 'soon'\n").unwrap_err();
        assert!(error.to_string().starts_with("t.flow.toml:1:1: step 1:"), "{error}");

        let error = parsed("x = [").unwrap_err();
        assert_eq!(error.line, 1);
        assert!(parsed("[[step]]\nclose = { code = 1006 }\n").is_err());
        assert!(parsed("[[step]]\ncapture = { a = '.a' }\nsend = 'x'\n").is_err());
    }

    #[test]
    fn binary_json_repeat_and_requests_compile() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("blob.bin"), [1u8, 2, 3]).unwrap();
        std::fs::write(dir.path().join("s.json"), r#"{"type":"object"}"#).unwrap();
        let path = dir.path().join("x.flow.toml");
        let flow = parse(
            r#"
timeout = "3s"
[request]
url = "ws://127.0.0.1:1/x"
headers = { api-key = "{{env:KEY}}" }
params = { room = "blue" }
[[step]]
binary = "hex:01 ff"
[[step]]
binary = "@blob.bin"
[[step]]
json = { op = "hi", n = [1, 2] }
[[step]]
repeat = { times = 3, steps = [ { send = "x" }, { expect = { schema = "@s.json" } } ] }
"#,
            &path,
        )
        .unwrap();
        let RequestSource::Inline(profile) = &flow.request else {
            panic!("no request")
        };
        assert_eq!(profile.headers[0].key, "api-key");
        assert_eq!(profile.params[0].value, "blue");
        assert!(matches!(&flow.steps[0].action, Action::Send(Payload::Binary(b)) if b.as_ref() == [1, 0xff]));
        assert!(matches!(&flow.steps[1].action, Action::Send(Payload::Binary(b)) if b.len() == 3));
        assert!(matches!(&flow.steps[2].action, Action::Send(Payload::Json(v)) if v["n"] == serde_json::json!([1, 2])));
        let Action::Repeat { times: 3, steps } = &flow.steps[3].action else {
            panic!("no repeat")
        };
        let Action::Expect(expect) = &steps[1].action else {
            panic!("no expect")
        };
        assert_eq!(expect.within, Duration::from_secs(3));
        assert!(expect.matcher.schema.is_some());
    }
}
