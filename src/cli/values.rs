//! The command line's values read from text: sizes, seconds, JSON,
//! headers and query parameters, each refused with a message that says
//! what was expected.

use super::MAX_SECS;
use crate::record::KvRow;

/// Parses a number of seconds, fractions allowed, from 0 to [`MAX_SECS`].
pub fn parse_seconds(text: &str) -> Result<f64, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !secs.is_finite() || !(0.0..=MAX_SECS as f64).contains(&secs) {
        return Err(format!("{text:?} is out of range: give 0 to {MAX_SECS} seconds"));
    }
    Ok(secs)
}

/// Parses a JSON value given on the command line.
pub fn parse_json(text: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))
}

/// Parses a byte count such as `1048576`, `512K` or `64M`.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, ""),
    };
    let number: usize = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size like 65536 or 64M"))?;
    let factor: usize = match unit.to_ascii_uppercase().trim_end_matches("IB").trim_end_matches('B') {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return Err(format!("unknown size unit in {text:?}; use K, M or G")),
    };
    number
        .checked_mul(factor)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{text:?} is out of range"))
}

/// Parses `Name: value` as curl does.
pub fn parse_header(text: &str) -> Result<KvRow, String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("header {text:?} must look like 'Name: value'"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("header {text:?} has no name"));
    }
    Ok(KvRow::new(name, value.trim()))
}

/// Parses `name=value`; a bare `name` gets an empty value.
pub fn parse_param(text: &str) -> Result<KvRow, String> {
    let (name, value) = text.split_once('=').unwrap_or((text, ""));
    if name.trim().is_empty() {
        return Err(format!("param {text:?} has no name"));
    }
    Ok(KvRow::new(name.trim(), value))
}
