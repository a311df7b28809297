//! `{{name}}` variables from the active environment and `{{env:VAR}}` from
//! the process environment, resolved at connect and send time so secrets
//! never need to be stored; `{{$uuid}}` and the other dynamic variables are
//! made afresh at each use.
//!
//! `\{{` is a `{{` as it is. Text that came from somewhere else (a
//! recording, a server's frame) is escaped so (see [`Foreign`]) before it
//! goes where variables are resolved: a file someone sent must not make
//! wscope read its user's environment and send it away.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::store::{ProfileError, read_json};

/// Named sets of variables, as in `environments.json`:
/// `{"staging": {"host": "…"}, "production": {…}}`.
pub type Environments = BTreeMap<String, BTreeMap<String, String>>;

/// Loads `environments.json`; a missing file is an empty set.
pub fn load_environments(path: &Path) -> Result<Environments, ProfileError> {
    if !path.exists() {
        return Ok(Environments::new());
    }
    read_json(path)
}

/// A `{{variable}}` with no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unresolved variable {{{{{name}}}}} in {place}{}", hint(.name, .environment.as_deref()))]
pub struct Unresolved {
    pub name: String,
    /// Where it is used, e.g. `header api-key`.
    pub place: String,
    pub environment: Option<String>,
}

fn hint(name: &str, environment: Option<&str>) -> String {
    if name.starts_with('$') {
        format!(" (dynamic variables are {})", DYNAMIC.join(", "))
    } else if let Some(var) = name.strip_prefix("env:") {
        format!(" (set {var} in the environment)")
    } else {
        match environment {
            Some(env) => format!(" (not set in environment {env:?})"),
            None => " (no environment is active; pick one with -e or Ctrl-N)".to_string(),
        }
    }
}

/// The dynamic variables, made afresh at each use.
pub const DYNAMIC: [&str; 5] = ["$uuid", "$timestamp", "$isoTimestamp", "$randomInt", "$seq"];

/// Looks variables up: values captured by a flow, then the active
/// environment for `{{name}}`; the process environment for `{{env:VAR}}`;
/// and the dynamic `{{$uuid}}`, `{{$timestamp}}` (Unix seconds),
/// `{{$isoTimestamp}}`, `{{$randomInt}}` (0 to 1000) and `{{$seq}}` (1, 2,
/// 3, … shared by the clones of a resolver).
#[derive(Clone)]
pub struct Resolver {
    pub environment: Option<(String, BTreeMap<String, String>)>,
    /// Values set while running (a flow's captures), over the environment.
    captured: BTreeMap<String, String>,
    process_env: fn(&str) -> Option<String>,
    seq: Arc<AtomicU64>,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("environment", &self.environment.as_ref().map(|(name, _)| name))
            .finish()
    }
}

fn real_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Default for Resolver {
    fn default() -> Self {
        Self::new(None)
    }
}

impl Resolver {
    /// A resolver with `environment` active, reading the real process environment.
    pub fn new(environment: Option<(String, BTreeMap<String, String>)>) -> Self {
        Self {
            environment,
            captured: BTreeMap::new(),
            process_env: real_env,
            seq: Arc::default(),
        }
    }

    /// Sets `{{name}}` to `value`, over the environment's value if any.
    pub fn set(&mut self, name: &str, value: String) {
        self.captured.insert(name.to_string(), value);
    }

    /// The values set with [`Resolver::set`].
    pub fn captured(&self) -> &BTreeMap<String, String> {
        &self.captured
    }

    /// The same, with a stand-in for the process environment (for tests).
    pub fn with_process_env(mut self, lookup: fn(&str) -> Option<String>) -> Self {
        self.process_env = lookup;
        self
    }

    /// Name of the active environment.
    pub fn environment_name(&self) -> Option<&str> {
        self.environment.as_ref().map(|(name, _)| name.as_str())
    }

    fn lookup(&self, name: &str) -> Option<String> {
        if let Some(dynamic) = name.strip_prefix('$') {
            return self.dynamic(dynamic);
        }
        match name.strip_prefix("env:") {
            Some(var) => (self.process_env)(var.trim()),
            None => self
                .captured
                .get(name)
                .or_else(|| self.environment.as_ref().and_then(|(_, vars)| vars.get(name)))
                .cloned(),
        }
    }

    fn dynamic(&self, name: &str) -> Option<String> {
        Some(match name {
            "uuid" => uuid::Uuid::new_v4().to_string(),
            "timestamp" => chrono::Utc::now().timestamp().to_string(),
            "isoTimestamp" => chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "randomInt" => fastrand::u32(0..=1000).to_string(),
            "seq" => (self.seq.fetch_add(1, Ordering::Relaxed) + 1).to_string(),
            _ => return None,
        })
    }

    /// Replaces every `{{name}}` in `text`; `place` names the field in errors.
    pub fn resolve(&self, text: &str, place: &str) -> Result<String, Unresolved> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if let Some(before) = rest[..start].strip_suffix('\\') {
                out.push_str(before);
                out.push_str("{{");
                rest = &rest[start + 2..];
                continue;
            }
            let Some(len) = rest[start + 2..].find("}}") else { break };
            out.push_str(&rest[..start]);
            let name = rest[start + 2..start + 2 + len].trim();
            match self.lookup(name) {
                Some(value) => out.push_str(&value),
                None => {
                    return Err(Unresolved {
                        name: name.to_string(),
                        place: place.to_string(),
                        environment: self.environment_name().map(str::to_string),
                    });
                }
            }
            rest = &rest[start + 2 + len + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// Foreign text: from a server's frame or a recording, not typed by the
/// user. It names no variable and no file: its `{{` never expands and an
/// `@path` in it is not read, so a hostile peer cannot make wscope read
/// the user's environment or files and send them back. The one mark for
/// such text, wherever it goes (the composer, a pane, a flow file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign(String);

impl Foreign {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text as a template for the resolver: every `{{` escaped, so
    /// resolving it gives the text back.
    pub fn template(&self) -> std::borrow::Cow<'_, str> {
        Self::escape(&self.0)
    }

    /// `text`, taken as foreign, as a template (see [`Foreign::template`]),
    /// without a copy when it holds no `{{`.
    pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
        if text.contains("{{") {
            text.replace("{{", "\\{{").into()
        } else {
            text.into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_text_resolves_to_itself() {
        let resolver = Resolver::default().with_process_env(fake_env);
        for text in [
            "{{env:API_KEY}}",
            "a {{name}} b",
            r"a\{{b}}",
            "{{{{x}}",
            "{{{",
            "}}{{",
            "plain",
            r"\",
            "{{$uuid}} {{$seq}}",
        ] {
            assert_eq!(resolver.resolve(&Foreign::escape(text), "t").unwrap(), text, "{text}");
        }
        // Written by hand, `\{{` is a `{{` as it is, next to a variable.
        assert_eq!(
            resolver.resolve(r"\{{env:API_KEY}} is {{env:API_KEY}}", "t").unwrap(),
            "{{env:API_KEY}} is s3cret"
        );
    }

    fn fake_env(name: &str) -> Option<String> {
        (name == "API_KEY").then(|| "s3cret".to_string())
    }

    fn staging() -> Resolver {
        let vars = BTreeMap::from([("host".to_string(), "staging.example.com".to_string())]);
        Resolver::new(Some(("staging".into(), vars))).with_process_env(fake_env)
    }

    #[test]
    fn substitutes_environment_and_process_variables() {
        let r = staging();
        assert_eq!(
            r.resolve("wss://{{host}}/feed", "URL").unwrap(),
            "wss://staging.example.com/feed"
        );
        assert_eq!(r.resolve("{{ env:API_KEY }}", "header api-key").unwrap(), "s3cret");
        assert_eq!(r.resolve("no vars {here}", "URL").unwrap(), "no vars {here}");
        assert_eq!(r.resolve("dangling {{host", "URL").unwrap(), "dangling {{host");
    }

    #[test]
    fn unresolved_names_the_variable_and_the_place() {
        let error = staging().resolve("{{missing}}", "param room").unwrap_err();
        assert_eq!(
            error.to_string(),
            "unresolved variable {{missing}} in param room (not set in environment \"staging\")"
        );
        let error = staging().resolve("{{env:NOPE}}", "header x").unwrap_err();
        assert_eq!(
            error.to_string(),
            "unresolved variable {{env:NOPE}} in header x (set NOPE in the environment)"
        );
        let none = Resolver::default().with_process_env(fake_env);
        assert!(
            none.resolve("{{host}}", "URL")
                .unwrap_err()
                .to_string()
                .contains("no environment is active")
        );
    }

    #[test]
    fn environments_file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("environments.json");
        assert!(load_environments(&path).unwrap().is_empty());
        std::fs::write(&path, r#"{"staging": {"host": 1}}"#).unwrap();
        let error = load_environments(&path).unwrap_err();
        assert!(error.to_string().contains("environments.json"), "{error}");
    }

    #[test]
    fn dynamic_variables_are_fresh_at_each_use() {
        let r = Resolver::default();
        let a = r.resolve("{{$uuid}}", "the message").unwrap();
        let b = r.resolve("{{$uuid}}", "the message").unwrap();
        assert_eq!(a.len(), 36);
        assert_ne!(a, b);
        // Clones share the sequence, so a session's numbers never repeat.
        let clone = r.clone();
        assert_eq!(r.resolve("{{$seq}} {{$seq}}", "m").unwrap(), "1 2");
        assert_eq!(clone.resolve("{{$seq}}", "m").unwrap(), "3");
        let stamp: i64 = r.resolve("{{$timestamp}}", "m").unwrap().parse().unwrap();
        assert!(stamp > 1_700_000_000);
        assert!(r.resolve("{{$isoTimestamp}}", "m").unwrap().ends_with('Z'));
        let n: u32 = r.resolve("{{$randomInt}}", "m").unwrap().parse().unwrap();
        assert!(n <= 1000);
        let error = r.resolve("{{$nope}}", "m").unwrap_err().to_string();
        assert!(error.contains("dynamic variables are $uuid"), "{error}");
    }

    #[test]
    fn captured_values_come_before_the_environment() {
        let mut r = staging();
        r.set("host", "captured.example".into());
        r.set("session", "abc".into());
        assert_eq!(r.resolve("{{host}}/{{session}}", "m").unwrap(), "captured.example/abc");
    }

    proptest::proptest! {
        #[test]
        fn resolving_never_panics(text in "(\\PC|\\{\\{|\\}\\}|env:| )*") {
            let resolver = staging();
            if let Ok(resolved) = resolver.resolve(&text, "the message") {
                // Text without a complete reference comes back as it was.
                if !text.contains("{{") {
                    proptest::prop_assert_eq!(resolved, text);
                }
            }
        }
    }
}
