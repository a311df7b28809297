//! jq expressions over JSON payloads, through the `jaq` crates.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, ValT, Vars, data, unwrap_valr};
use jaq_json::{Val, read};

type Program = jaq_core::compile::Filter<jaq_core::Native<data::JustLut<Val>>>;

/// A compiled jq expression, used as a predicate: a payload matches when it
/// is JSON and the expression yields a truthy value for it (like `select`).
pub struct JqFilter {
    program: Program,
    source: String,
}

impl std::fmt::Debug for JqFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JqFilter({:?})", self.source)
    }
}

impl JqFilter {
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
        Ok(Self {
            program,
            source: code.to_string(),
        })
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
