//! `{{name}}` variables from the active environment and `{{env:VAR}}` from
//! the process environment, resolved at connect and send time so secrets
//! never need to be stored.

use std::collections::BTreeMap;
use std::path::Path;

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
    if let Some(var) = name.strip_prefix("env:") {
        format!(" (set {var} in the environment)")
    } else {
        match environment {
            Some(env) => format!(" (not set in environment {env:?})"),
            None => " (no environment is active; pick one with -e or Ctrl-N)".to_string(),
        }
    }
}

/// Looks variables up: the active environment for `{{name}}`, the process
/// environment for `{{env:VAR}}`.
#[derive(Clone)]
pub struct Resolver {
    pub environment: Option<(String, BTreeMap<String, String>)>,
    process_env: fn(&str) -> Option<String>,
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
        Self {
            environment: None,
            process_env: real_env,
        }
    }
}

impl Resolver {
    /// A resolver with `environment` active, reading the real process environment.
    pub fn new(environment: Option<(String, BTreeMap<String, String>)>) -> Self {
        Self {
            environment,
            process_env: real_env,
        }
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
        match name.strip_prefix("env:") {
            Some(var) => (self.process_env)(var.trim()),
            None => self.environment.as_ref().and_then(|(_, vars)| vars.get(name).cloned()),
        }
    }

    /// Replaces every `{{name}}` in `text`; `place` names the field in errors.
    pub fn resolve(&self, text: &str, place: &str) -> Result<String, Unresolved> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
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

#[cfg(test)]
mod tests {
    use super::*;

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
