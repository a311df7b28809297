//! jq expressions over JSON payloads, through the `jaq` crates.
//!
//! May import: nothing from this crate.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, ValT, Vars, data, unwrap_valr};
use jaq_json::{Val, read};

pub mod sandbox;

type Program = jaq_core::compile::Filter<jaq_core::Native<data::JustLut<Val>>>;

/// A compiled jq expression, used as a predicate: a payload matches when it
/// is JSON and the expression yields a truthy value for it (like `select`).
///
/// An expression can loop forever (`def f: f; f`) or recurse until the
/// stack runs out, and jq has no way to stop it. So once the binary has
/// named itself with [`set_worker`], expressions run in a process of their
/// own ([`crate::jq::sandbox`]), which is killed when it takes too long or
/// dies on its own; the filter then reports why and matches nothing.
pub struct JqFilter {
    source: String,
    engine: Engine,
}

enum Engine {
    InProcess(Evaluator),
    Sandboxed(crate::jq::sandbox::Sandbox),
}

impl std::fmt::Debug for JqFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JqFilter({:?})", self.source)
    }
}

static WORKER: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Names the executable that evaluates expressions in a process of its
/// own (`EXE __jq-worker EXPR`); the `wscope` binary names itself.
pub fn set_worker(executable: std::path::PathBuf) {
    let _ = WORKER.set(executable);
}

impl JqFilter {
    /// Compiles `code`, or says what is wrong with it.
    pub fn compile(code: &str) -> Result<Self, String> {
        let evaluator = Evaluator::compile(code)?;
        let engine = match WORKER.get() {
            Some(executable) => match crate::jq::sandbox::Sandbox::start(executable, code) {
                Ok(sandbox) => Engine::Sandboxed(sandbox),
                Err(error) => return Err(format!("cannot start the jq worker: {error}")),
            },
            None => Engine::InProcess(evaluator),
        };
        Ok(Self {
            source: code.to_string(),
            engine,
        })
    }

    /// Whether the payload is JSON and the expression holds for it.
    pub fn matches(&self, payload: &[u8]) -> bool {
        self.matches_many(&[payload]).first().copied().unwrap_or(false)
    }

    /// [`JqFilter::matches`] for several payloads at once (one trip to
    /// the worker).
    pub fn matches_many(&self, payloads: &[&[u8]]) -> Vec<bool> {
        match &self.engine {
            Engine::InProcess(evaluator) => payloads.iter().map(|p| evaluator.matches(p)).collect(),
            Engine::Sandboxed(sandbox) => sandbox.matches(payloads),
        }
    }

    /// The first value the expression yields for the payload, as JSON text.
    pub fn first_value(&self, payload: &[u8]) -> Option<String> {
        match &self.engine {
            Engine::InProcess(evaluator) => evaluator.first_value(payload),
            Engine::Sandboxed(sandbox) => sandbox.first_value(payload),
        }
    }

    /// Why the expression was stopped, once it has been: it then matches
    /// nothing.
    pub fn failure(&self) -> Option<String> {
        match &self.engine {
            Engine::InProcess(_) => None,
            Engine::Sandboxed(sandbox) => sandbox.failure(),
        }
    }
}

/// A compiled expression, evaluated on the calling thread.
pub struct Evaluator {
    program: Program,
}

impl Evaluator {
    /// Compiles `code`, or says what is wrong with it.
    pub fn compile(code: &str) -> Result<Self, String> {
        let defs = jaq_core::defs().chain(jaq_std::defs()).chain(jaq_json::defs());
        let funs = jaq_core::funs().chain(jaq_std::funs()).chain(jaq_json::funs());
        let arena = Arena::default();
        let modules = Loader::new(defs)
            .load(&arena, File { code, path: () })
            .map_err(|errors| {
                let mut messages = Vec::new();
                for (_, error) in errors {
                    match error {
                        jaq_core::load::Error::Io(items) => {
                            messages.extend(items.into_iter().map(|(_, m)| m));
                        }
                        jaq_core::load::Error::Lex(items) => {
                            messages.extend(items.into_iter().map(|(expect, rest)| at(expect.as_str(), rest, code)))
                        }
                        jaq_core::load::Error::Parse(items) => {
                            messages.extend(items.into_iter().map(|(expect, rest)| at(expect.as_str(), rest, code)))
                        }
                    }
                }
                messages.join("; ")
            })?;
        let program = Compiler::default().with_funs(funs).compile(modules).map_err(|errors| {
            errors
                .into_iter()
                .flat_map(|(_, undefined)| undefined.into_iter().map(|(name, _)| format!("undefined {name}")))
                .collect::<Vec<_>>()
                .join("; ")
        })?;
        Ok(Self { program })
    }

    /// The first value the expression yields for the payload, as JSON text.
    pub fn first_value(&self, payload: &[u8]) -> Option<String> {
        let input = read::parse_single(payload).ok()?;
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.program.lut, Vars::new([]));
        let value = self.program.id.run((ctx, input)).map(unwrap_valr).next()?.ok()?;
        // null means "no id here", as a missing key does.
        let text = value.to_string();
        (text != "null").then_some(text)
    }

    /// Whether the payload is JSON and the expression holds for it.
    pub fn matches(&self, payload: &[u8]) -> bool {
        let Ok(input) = read::parse_single(payload) else {
            return false;
        };
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.program.lut, Vars::new([]));
        self.program
            .id
            .run((ctx, input))
            .map(unwrap_valr)
            .any(|value| value.is_ok_and(|v| v.as_bool()))
    }
}

/// "expected X at column N".
fn at(expected: &str, rest: &str, code: &str) -> String {
    let column = code.len().saturating_sub(rest.len()) + 1;
    if rest.is_empty() {
        format!("expected {expected} at the end")
    } else {
        format!("expected {expected} at column {column}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_matching_json() {
        let jq = JqFilter::compile(r#".type == "trade" and .price > 100"#).unwrap();
        assert!(jq.matches(br#"{"type":"trade","price":150}"#));
        assert!(!jq.matches(br#"{"type":"trade","price":50}"#));
        assert!(!jq.matches(br#"{"type":"quote","price":150}"#));
        assert!(!jq.matches(b"not json"));
        let any = JqFilter::compile(".items[] | select(.id == 2)").unwrap();
        assert!(any.matches(br#"{"items":[{"id":1},{"id":2}]}"#));
    }

    #[test]
    fn errors_are_explained() {
        assert!(JqFilter::compile(".type ==").unwrap_err().contains("expected"));
        assert!(
            JqFilter::compile("nosuchfn(1)")
                .unwrap_err()
                .contains("undefined nosuchfn")
        );
        assert!(JqFilter::compile("(.a").is_err());
    }
}
