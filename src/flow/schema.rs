//! JSON Schema checks for `expect = { schema = … }`, by `boon` (drafts 4
//! to 2020-12; a schema without `$schema` is read as 2020-12). `boon`
//! replaced `jsonschema`, which with its regex engine, big-number and
//! date crates was a seventh of the shipped binary.

use std::path::Path;

use boon::{Compiler, SchemaIndex, Schemas, ValidationError};

/// A compiled schema. Relative `$ref`s resolve next to where it lives:
/// its file, or the flow file for one written inline.
pub struct Schema {
    schemas: Schemas,
    root: SchemaIndex,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Schema")
    }
}

impl Schema {
    /// Compiles `value` as though read from `location` (a file path, made
    /// absolute here); a `$ref` to another file is read from disk.
    pub fn compile(location: &Path, value: serde_json::Value) -> Result<Self, String> {
        let location = std::path::absolute(location).map_err(|e| format!("{}: {e}", location.display()))?;
        let location = location.to_string_lossy();
        let mut compiler = Compiler::new();
        let mut schemas = Schemas::new();
        compiler.add_resource(&location, value).map_err(|e| e.to_string())?;
        let root = compiler
            .compile(&location, &mut schemas)
            .map_err(|e| format!("{e:#}"))?;
        Ok(Schema { schemas, root })
    }

    /// Compiles a schema that has no file, placed beside `dir` for `$ref`s.
    pub fn inline(dir: &Path, value: serde_json::Value) -> Result<Self, String> {
        Self::compile(&dir.join("(inline schema).json"), value)
    }

    /// `Err` names the first failure and where in `value` it is, as
    /// `want string, but got number at /op`.
    pub fn check(&self, value: &serde_json::Value) -> Result<(), String> {
        match self.schemas.validate(value, self.root) {
            Ok(()) => Ok(()),
            Err(error) => {
                let leaf = first_leaf(&error);
                let at = leaf.instance_location.to_string();
                let at = if at.is_empty() { "/" } else { &at };
                Err(format!("{} at {at}", leaf.kind))
            }
        }
    }
}

/// The failure `boon` reports is a tree (one node per `$ref`, `allOf`,
/// …); its first leaf is the one a user can act on.
fn first_leaf<'e, 's, 'v>(mut error: &'e ValidationError<'s, 'v>) -> &'e ValidationError<'s, 'v> {
    while let Some(cause) = error.causes.first() {
        error = cause;
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inline(schema: serde_json::Value) -> Schema {
        Schema::inline(Path::new("."), schema).unwrap()
    }

    #[test]
    fn failures_name_what_and_where() {
        let schema = inline(json!({
            "type": "object", "required": ["op"], "properties": {"op": {"type": "string"}}
        }));
        assert!(schema.check(&json!({"op": "x"})).is_ok());
        assert_eq!(
            schema.check(&json!({"op": 5})).unwrap_err(),
            "want string, but got number at /op"
        );
        let missing = schema.check(&json!({})).unwrap_err();
        assert!(missing.contains("'op'") && missing.ends_with("at /"), "{missing}");
    }

    #[test]
    fn nested_failures_reach_the_leaf() {
        let schema = inline(json!({
            "$defs": {"tick": {"type": "object", "properties": {"n": {"minimum": 0}}}},
            "allOf": [{"$ref": "#/$defs/tick"}]
        }));
        let error = schema.check(&json!({"n": -1})).unwrap_err();
        assert!(error.ends_with("at /n"), "{error}");
        assert!(error.contains("-1") && error.contains('0'), "{error}");
    }

    #[test]
    fn older_drafts_are_read_by_their_schema_keyword() {
        // Draft 4's exclusiveMaximum is a boolean; 2020-12 would refuse it.
        let schema = inline(json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "maximum": 10, "exclusiveMaximum": true
        }));
        assert!(schema.check(&json!(9)).is_ok());
        assert!(schema.check(&json!(10)).is_err());
    }

    #[test]
    fn refs_to_other_files_resolve_beside_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("id.json"), r#"{"type": "integer"}"#).unwrap();
        let schema = Schema::compile(
            &dir.path().join("message.json"),
            json!({"properties": {"id": {"$ref": "id.json"}}}),
        )
        .unwrap();
        assert!(schema.check(&json!({"id": 1})).is_ok());
        assert!(schema.check(&json!({"id": "1"})).unwrap_err().ends_with("at /id"));
    }

    #[test]
    fn broken_schemas_are_refused_with_a_reason() {
        let error = Schema::inline(Path::new("."), json!({"type": 5})).err().unwrap();
        assert!(!error.is_empty());
        let error = Schema::inline(Path::new("."), json!({"$ref": "missing.json"}))
            .err()
            .unwrap();
        assert!(error.contains("missing.json"), "{error}");
    }
}
