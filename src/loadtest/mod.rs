//! Flows written out as scripts for the load engines people already run
//! (Artillery, k6): wscope debugs one conversation, the engines run it ten
//! thousand times. Nothing here runs anything.
//!
//! A flow is first read into engine-neutral operations (`plan.rs`); each
//! engine then writes them in its own language. A step no engine can run
//! is refused by its line and reason, or with `lenient` left as a comment.
//!
//! May import: `flow`, `format`, `profile`, `protocol`, `record`, `secrets`.

mod artillery;
mod k6;
mod plan;
mod socketio;
mod template;

use std::path::Path;

use crate::flow::file::Flow;
use crate::profile::Profile;
use crate::record::KvRow;

pub use self::plan::{Op, Segment};
pub use self::template::{Part, Text};

/// A load engine wscope writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    Artillery,
    K6,
}

impl Engine {
    pub fn title(self) -> &'static str {
        match self {
            Self::Artillery => "Artillery",
            Self::K6 => "k6",
        }
    }

    /// How the written file is run on this machine.
    pub fn run_command(self, file: &str) -> String {
        match self {
            Self::Artillery => format!("npx artillery run {file}"),
            Self::K6 => format!("k6 run {file}"),
        }
    }
}

/// How many virtual users, for how long; both unset is one user running
/// the flow once.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Shape {
    pub users: Option<u32>,
    pub duration_secs: Option<u32>,
}

/// What to write, for which engine.
pub struct Export<'a> {
    pub flow: &'a Flow,
    /// The request as saved: `{{variables}}` not yet resolved.
    pub request: &'a Profile,
    pub engine: Engine,
    pub shape: Shape,
    pub lenient: bool,
    /// The file written, for the comment on how to run it.
    pub out_name: Option<String>,
}

/// A written script, and what the user should know about it.
#[derive(Debug)]
pub struct Script {
    pub text: String,
    pub warnings: Vec<String>,
}

/// A step the engine cannot run, by its line.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub line: usize,
    pub step: String,
    pub why: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{file}: {} cannot run {}:\n{}\n(--lenient writes the rest, with these steps as comments)", engine.title(), crate::format::count(problems.len() as u64, "step"), list(problems))]
    Unmapped {
        engine: Engine,
        file: String,
        problems: Vec<Problem>,
    },
    #[error("{0}")]
    Request(String),
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  line {}: {}: {}", p.line, p.step, p.why))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The request as the engines take it: the URL with its query, headers
/// and subprotocols, each text read for variables.
pub(crate) struct Target {
    pub url: Text,
    pub headers: Vec<(String, Text)>,
    pub subprotocols: Vec<String>,
    pub vars: Vec<(String, Text)>,
}

/// Writes the flow as a script for the engine.
pub fn export(export: &Export) -> Result<Script, ExportError> {
    let mut warnings = Vec::new();
    let file = export.flow.path.display().to_string();
    let speaks_socketio = check_protocol(export)?;
    let mut known: Vec<String> = export.flow.vars.keys().cloned().collect();
    let vars = export
        .flow
        .vars
        .iter()
        .map(|(name, value)| {
            template::parse_text(value, export.engine, &[])
                .map(|text| (name.clone(), text))
                .map_err(|why| ExportError::Request(format!("{file}: vars.{name}: {why}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let target = target_of(export.request, export.engine, &mut warnings)
        .map_err(|why| ExportError::Request(format!("{file}: the request: {why}")))?;
    // The profile's on-connect messages go first, as when wscope runs it.
    let mut ops: Vec<Op> = Vec::new();
    for message in &export.request.on_connect {
        let text = template::parse_text(message, export.engine, &known)
            .map_err(|why| ExportError::Request(format!("{file}: the profile's on-connect message: {why}")))?;
        ops.push(Op::Send(text));
    }
    let (steps, problems) = plan::plan(&export.flow.steps, export.engine, export.lenient, &mut known);
    if !problems.is_empty() {
        return Err(ExportError::Unmapped {
            engine: export.engine,
            file,
            problems,
        });
    }
    ops.extend(steps);
    let omitted = count_omitted(&ops);
    if omitted > 0 {
        warnings.push(format!(
            "{} left out as comments (--lenient)",
            crate::format::count(omitted as u64, "step")
        ));
    }
    let target = Target { vars, ..target };
    let source = Path::new(&file)
        .file_name()
        .map_or(file.clone(), |name| name.to_string_lossy().into_owned());
    let run_as = export.out_name.clone().unwrap_or_else(|| match export.engine {
        Engine::Artillery => "FILE.yml".into(),
        Engine::K6 => "FILE.js".into(),
    });
    let header = vec![
        format!("Written by wscope {} from {source}.", env!("CARGO_PKG_VERSION")),
        format!("Run it on this machine: {}", export.engine.run_command(&run_as)),
    ];
    let text = match export.engine {
        Engine::Artillery if speaks_socketio => socketio_target(export.request)
            .and_then(|socketio| socketio::write(&header, &export.flow.name, &target, &socketio, &ops, export.shape)),
        Engine::Artillery => artillery::write(&header, &export.flow.name, &target, &ops, export.shape),
        Engine::K6 => k6::write(&header, &target, &ops, export.shape),
    }
    .map_err(|why| ExportError::Request(format!("{file}: {why}")))?;
    Ok(Script { text, warnings })
}

/// Where socket.io-client connects, from the request's URL, path,
/// namespace and auth.
fn socketio_target(request: &Profile) -> Result<socketio::SocketIoTarget, String> {
    if request.url.contains("{{") {
        return Err("a Socket.IO URL with {{variables}} cannot be exported".into());
    }
    let mut target = socketio::target_of(
        &request.url,
        request.socketio_path.as_deref(),
        request.namespace.as_deref(),
    )?;
    if let Some(auth) = &request.auth {
        if auth.to_string().contains("{{") {
            return Err("Socket.IO auth with {{variables}} cannot be exported".into());
        }
        target.auth = Some(auth.clone());
    }
    Ok(target)
}

/// Whether the flow speaks Socket.IO (which only Artillery takes); any
/// protocol but plain WebSocket and that is refused by name.
fn check_protocol(export: &Export) -> Result<bool, ExportError> {
    let url = url::Url::parse(export.request.url.trim()).ok();
    let named = export.request.protocol;
    let protocol = match (&url, named) {
        (_, Some(named)) => named,
        (Some(url), None) => {
            crate::protocol::ProtocolKind::implied_by(url).unwrap_or_else(crate::protocol::ProtocolKind::raw)
        }
        (None, None) => crate::protocol::ProtocolKind::raw(),
    };
    if protocol.is_raw() {
        return Ok(false);
    }
    let why = match (protocol.name(), export.engine) {
        ("socketio", Engine::Artillery) => return Ok(true),
        ("socketio", Engine::K6) => "k6 has no Socket.IO engine".to_string(),
        (name, engine) => format!("{} has no engine for {name}", engine.title()),
    };
    Err(ExportError::Request(format!(
        "{}: the flow speaks {}: {why}; plain WebSocket flows go to Artillery and k6, Socket.IO flows to Artillery",
        export.flow.path.display(),
        protocol.label()
    )))
}

fn count_omitted(ops: &[Op]) -> usize {
    ops.iter()
        .map(|op| match op {
            Op::Omitted(_) => 1,
            Op::Repeat { ops, .. } => count_omitted(ops),
            _ => 0,
        })
        .sum()
}

/// The URL with the enabled params as its query, the enabled headers; a
/// secret held in clear becomes an environment reference, with a warning.
fn target_of(request: &Profile, engine: Engine, warnings: &mut Vec<String>) -> Result<Target, String> {
    let mut url = request.url.trim().to_string();
    if url.is_empty() {
        return Err("it has no URL: give the flow a [request] with a url, a profile, or pass --url".into());
    }
    let enabled = |rows: &[KvRow]| -> Vec<(String, String)> {
        rows.iter()
            .filter(|row| row.enabled && !row.key.trim().is_empty())
            .map(|row| (row.key.trim().to_string(), row.value.clone()))
            .collect()
    };
    let mut secret = |kind: &str, name: &str, value: String| {
        if !crate::secrets::hides(name, &value) {
            return value;
        }
        let var = env_name(name);
        warnings.push(format!(
            "the {kind} {name} holds a secret in clear: written as {{{{env:{var}}}}}; set {var} when you run it"
        ));
        format!("{{{{env:{var}}}}}")
    };
    let params: Vec<(String, String)> = enabled(&request.params)
        .into_iter()
        .map(|(key, value)| {
            let value = secret("param", &key, value);
            (key, value)
        })
        .collect();
    if !params.is_empty() {
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&query.join("&"));
    }
    let headers = enabled(&request.headers)
        .into_iter()
        .map(|(key, value)| {
            let value = secret("header", &key, value);
            let text = template::parse_text(&value, engine, &[]).map_err(|why| format!("header {key}: {why}"))?;
            Ok((key, text))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Target {
        url: template::parse_text(&url, engine, &[])?,
        headers,
        subprotocols: request.subprotocols.clone(),
        vars: Vec::new(),
    })
}

/// A query value percent-encoded, its `{{variables}}` left for the engine.
fn encode(text: &str) -> String {
    const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'{')
        .remove(b'}')
        .remove(b':')
        .remove(b'$');
    percent_encoding::utf8_percent_encode(text, QUERY).to_string()
}

/// A text fit for a comment line: whitespace runs and control characters
/// made single spaces.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `api-key` → `API_KEY`.
fn env_name(header: &str) -> String {
    header
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

#[cfg(test)]
mod tests;
