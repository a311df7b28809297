//! The Message pane's JSON indicator.
//!
//! May import: nothing from this crate.

/// Whether the composed message is JSON, and if not, where it stops being so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonStatus {
    Empty,
    Valid,
    /// Not JSON; the message is still sent as a plain string.
    Invalid {
        line: usize,
        column: usize,
        message: String,
    },
    /// Too large to check at every keystroke; it is sent as it is.
    Unchecked {
        bytes: usize,
    },
}

/// Messages past this are not checked as they are typed: a keystroke in a
/// 10 MB composer must not cost a parse of 10 MB.
pub const LIVE_CHECK_MAX: usize = 1 << 20;

/// Checks `text` without building a value, so large messages stay cheap.
pub fn check(text: &str) -> JsonStatus {
    if text.len() > LIVE_CHECK_MAX {
        return JsonStatus::Unchecked { bytes: text.len() };
    }
    if text.trim().is_empty() {
        return JsonStatus::Empty;
    }
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => JsonStatus::Valid,
        Err(error) => {
            let (line, column, message) = error_parts(&error);
            JsonStatus::Invalid { line, column, message }
        }
    }
}

/// A serde_json error as line, column and the message without its
/// " at line L column C" tail, for messages that place the position themselves.
pub fn error_parts(error: &serde_json::Error) -> (usize, usize, String) {
    let (line, column) = (error.line(), error.column());
    let full = error.to_string();
    let message = full
        .strip_suffix(&format!(" at line {line} column {column}"))
        .unwrap_or(&full)
        .to_string();
    (line, column, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_empty() {
        assert_eq!(check(r#"{"message":"Hello world"}"#), JsonStatus::Valid);
        assert_eq!(check("[1, 2]\n"), JsonStatus::Valid);
        assert_eq!(check("  \n "), JsonStatus::Empty);
    }

    #[test]
    fn invalid_reports_line_and_column() {
        assert_eq!(
            check("{\n  \"a\": 1,\n  \"b\" 2\n}"),
            JsonStatus::Invalid {
                line: 3,
                column: 7,
                message: "expected `:`".into()
            }
        );
        assert!(matches!(
            check("close-me"),
            JsonStatus::Invalid { line: 1, column: 1, .. }
        ));
    }
}
