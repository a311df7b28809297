//! A payload's lines for the detail view, produced as they are needed: a
//! 32 MB message opens at once, and memory grows by a small index, not by a
//! formatted copy. Pretty JSON is printed straight from the bytes; text and
//! UTF-8 views split at line feeds; hex and base64 lines are computed from
//! their offset.
//!
//! The index keeps the state at every [`CHECKPOINT`]-th line; a line is
//! made by walking from the checkpoint before it.
//!
//! May import: `sanitize`.

use base64::Engine as _;
use bytes::Bytes;

use crate::sanitize;

/// Lines between two saved states of the walk.
const CHECKPOINT: usize = 64;

/// Longest line shown: the rest of a long string or line is cut with `…`.
pub const MAX_LINE: usize = 4096;

/// Bytes a hex line shows.
const HEX_WIDTH: usize = 16;

/// Bytes a base64 line encodes (76 characters, as MIME wraps it).
const BASE64_WIDTH: usize = 57;

/// The lines of a body, some known, the rest found on demand.
#[derive(Debug, Clone)]
pub enum Body {
    /// Computed in full when opened (small payloads, close frames).
    Lines(Vec<String>),
    /// Pretty-printed JSON (two-space indent, as serde_json writes it).
    Json(Walk<JsonState>),
    /// Lines split at `\n`, lossy UTF-8.
    Text(Walk<usize>),
    Hex(Bytes),
    Base64(Bytes),
}

#[cfg(any(test, debug_assertions))]
thread_local! {
    /// How many lines test builds have formatted on this thread, to check
    /// that only what is on screen is. Per thread, so tests running beside
    /// one another do not count each other's lines.
    pub static FORMATTED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn counted(line: String) -> String {
    #[cfg(any(test, debug_assertions))]
    FORMATTED.with(|count| count.set(count.get() + 1));
    line
}

impl Body {
    pub fn json(bytes: Bytes) -> Self {
        Self::Json(Walk::new(bytes, JsonState::default()))
    }

    pub fn text(bytes: Bytes) -> Self {
        Self::Text(Walk::new(bytes, 0))
    }

    /// Lines known so far (all of them once [`Body::is_complete`]).
    pub fn len(&self) -> usize {
        match self {
            Self::Lines(lines) => lines.len(),
            Self::Json(walk) => walk.lines,
            Self::Text(walk) => walk.lines,
            Self::Hex(bytes) => bytes.len().div_ceil(HEX_WIDTH),
            Self::Base64(bytes) => bytes.len().div_ceil(BASE64_WIDTH),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every line is known.
    pub fn is_complete(&self) -> bool {
        match self {
            Self::Json(walk) => walk.done,
            Self::Text(walk) => walk.done,
            Self::Lines(_) | Self::Hex(_) | Self::Base64(_) => true,
        }
    }

    /// Finds lines up to `line` (or the end, if sooner).
    pub fn index_to(&mut self, line: usize) {
        match self {
            Self::Json(walk) => walk.index_to(line, json_step),
            Self::Text(walk) => walk.index_to(line, text_step),
            Self::Lines(_) | Self::Hex(_) | Self::Base64(_) => {}
        }
    }

    /// Finds every line.
    pub fn index_all(&mut self) {
        self.index_to(usize::MAX);
    }

    /// Lines `from..from + count` of those known, formatted.
    pub fn lines(&self, from: usize, count: usize) -> Vec<String> {
        let end = from.saturating_add(count).min(self.len());
        if from >= end {
            return Vec::new();
        }
        match self {
            Self::Lines(lines) => lines[from..end].to_vec(),
            Self::Json(walk) => walk.lines(from, end, json_step),
            Self::Text(walk) => walk.lines(from, end, text_step),
            Self::Hex(bytes) => (from..end)
                .map(|row| {
                    let start = row * HEX_WIDTH;
                    let chunk = &bytes[start..(start + HEX_WIDTH).min(bytes.len())];
                    counted(hex_row(start, chunk))
                })
                .collect(),
            Self::Base64(bytes) => (from..end)
                .map(|row| {
                    let start = row * BASE64_WIDTH;
                    let chunk = &bytes[start..(start + BASE64_WIDTH).min(bytes.len())];
                    counted(base64::engine::general_purpose::STANDARD.encode(chunk))
                })
                .collect(),
        }
    }

    /// The first line at or after `from` whose text matches, searching
    /// every line (the index is completed as it goes).
    pub fn find(&mut self, regex: &regex::Regex, from: usize) -> Option<usize> {
        const BLOCK: usize = 4096;
        let mut start = from;
        loop {
            self.index_to(start + BLOCK);
            let lines = self.lines(start, BLOCK);
            if lines.is_empty() {
                return None;
            }
            if let Some(i) = lines.iter().position(|l| regex.is_match(l)) {
                return Some(start + i);
            }
            start += lines.len();
        }
    }
}

/// One step of a walk: from a state, the next line's state, writing the
/// line into `out` when given. `None` when the bytes are used up.
type Step<S> = fn(&[u8], S, Option<&mut String>) -> Option<S>;

/// A walk over bytes that yields lines, with a checkpoint every
/// [`CHECKPOINT`] lines.
#[derive(Debug, Clone)]
pub struct Walk<S> {
    bytes: Bytes,
    /// The state at the start of lines 0, 64, 128, …
    checkpoints: Vec<S>,
    /// The state at the start of line `lines` (the first not yet known).
    cursor: S,
    lines: usize,
    done: bool,
}

impl<S: Copy> Walk<S> {
    fn new(bytes: Bytes, start: S) -> Self {
        Self {
            bytes,
            checkpoints: Vec::new(),
            cursor: start,
            lines: 0,
            done: false,
        }
    }

    fn index_to(&mut self, line: usize, step: Step<S>) {
        while !self.done && self.lines <= line {
            if self.lines.is_multiple_of(CHECKPOINT) {
                self.checkpoints.push(self.cursor);
            }
            match step(&self.bytes, self.cursor, None) {
                Some(next) => {
                    self.cursor = next;
                    self.lines += 1;
                }
                None => {
                    // The checkpoint pushed for a line that is not there.
                    if self.lines.is_multiple_of(CHECKPOINT) {
                        self.checkpoints.pop();
                    }
                    self.done = true;
                }
            }
        }
    }

    fn lines(&self, from: usize, end: usize, step: Step<S>) -> Vec<String> {
        let Some(mut state) = self.checkpoints.get(from / CHECKPOINT).copied() else {
            return Vec::new();
        };
        for _ in (from / CHECKPOINT * CHECKPOINT)..from {
            match step(&self.bytes, state, None) {
                Some(next) => state = next,
                None => return Vec::new(),
            }
        }
        let mut out = Vec::with_capacity(end - from);
        for _ in from..end {
            let mut line = String::new();
            match step(&self.bytes, state, Some(&mut line)) {
                Some(next) => state = next,
                None => break,
            }
            out.push(counted(sanitize::one_line(&line).into_owned()));
        }
        out
    }
}

/// Where a line of pretty JSON starts: a byte offset and its depth.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JsonState {
    pos: usize,
    depth: u32,
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len() && matches!(bytes[pos], b' ' | b'\n' | b'\r' | b'\t') {
        pos += 1;
    }
    pos
}

/// The offset just past the string starting at `pos` (a `"`).
fn string_end(bytes: &[u8], pos: usize) -> usize {
    let mut at = pos + 1;
    while let Some(found) = memchr::memchr2(b'"', b'\\', &bytes[at.min(bytes.len())..]) {
        let hit = at + found;
        if bytes[hit] == b'\\' {
            at = hit + 2;
        } else {
            return hit + 1;
        }
    }
    bytes.len()
}

fn push(out: &mut Option<&mut String>, bytes: &[u8]) {
    if let Some(out) = out {
        let room = MAX_LINE.saturating_sub(out.len());
        if room == 0 {
            return;
        }
        if bytes.len() > room {
            out.push_str(&String::from_utf8_lossy(&bytes[..room]));
            out.push('…');
        } else {
            out.push_str(&String::from_utf8_lossy(bytes));
        }
    }
}

fn indent(out: &mut Option<&mut String>, depth: u32) {
    if let Some(out) = out {
        for _ in 0..depth.min(64) {
            out.push_str("  ");
        }
    }
}

/// A `,` after a value, on the same line.
fn comma(bytes: &[u8], pos: usize, out: &mut Option<&mut String>) -> usize {
    let next = skip_ws(bytes, pos);
    if bytes.get(next) == Some(&b',') {
        push(out, b",");
        next + 1
    } else {
        pos
    }
}

/// One line of pretty JSON. Malformed input never stops the walk: what
/// does not parse is shown a token at a time.
fn json_step(bytes: &[u8], state: JsonState, mut out: Option<&mut String>) -> Option<JsonState> {
    let mut pos = skip_ws(bytes, state.pos);
    let mut depth = state.depth;
    let at = |pos: usize| bytes.get(pos).copied();
    let close = at(pos)?;
    if matches!(close, b'}' | b']') {
        depth = depth.saturating_sub(1);
        indent(&mut out, depth);
        push(&mut out, &[close]);
        pos = comma(bytes, pos + 1, &mut out);
        return Some(JsonState { pos, depth });
    }
    indent(&mut out, depth);
    if at(pos) == Some(b'"') {
        let end = string_end(bytes, pos);
        let after = skip_ws(bytes, end);
        if at(after) == Some(b':') {
            push(&mut out, &bytes[pos..end]);
            push(&mut out, b": ");
            pos = skip_ws(bytes, after + 1);
        }
    }
    match at(pos) {
        None => {}
        Some(open @ (b'{' | b'[')) => {
            let close = if open == b'{' { b'}' } else { b']' };
            let next = skip_ws(bytes, pos + 1);
            if at(next) == Some(close) {
                push(&mut out, &[open, close]);
                pos = comma(bytes, next + 1, &mut out);
            } else {
                push(&mut out, &[open]);
                pos += 1;
                depth = depth.saturating_add(1);
            }
        }
        Some(b'"') => {
            let end = string_end(bytes, pos);
            push(&mut out, &bytes[pos..end]);
            pos = comma(bytes, end, &mut out);
        }
        Some(_) => {
            let len = bytes[pos..]
                .iter()
                .position(|b| matches!(b, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t' | b':'))
                .unwrap_or(bytes.len() - pos)
                // Whatever it is, the walk moves on.
                .max(1);
            push(&mut out, &bytes[pos..pos + len]);
            pos = comma(bytes, pos + len, &mut out);
        }
    }
    Some(JsonState { pos, depth })
}

/// One line of text: up to the next line feed.
fn text_step(bytes: &[u8], pos: usize, mut out: Option<&mut String>) -> Option<usize> {
    if pos >= bytes.len() {
        return None;
    }
    let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
    push(&mut out, &bytes[pos..end]);
    Some(end + 1)
}

/// One `hexdump -C` line: the chunk's offset, its bytes and their ASCII.
pub fn hex_row(offset: usize, chunk: &[u8]) -> String {
    let mut hex = String::with_capacity(49);
    for (i, b) in chunk.iter().enumerate() {
        if i == 8 {
            hex.push(' ');
        }
        hex.push_str(&format!("{b:02x} "));
    }
    let ascii: String = chunk
        .iter()
        .map(|b| {
            if b.is_ascii_graphic() || *b == b' ' {
                *b as char
            } else {
                '.'
            }
        })
        .collect();
    format!("{offset:08x}  {hex:<49} |{ascii}|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn all(body: &mut Body) -> Vec<String> {
        body.index_all();
        body.lines(0, body.len())
    }

    #[test]
    fn json_lines_match_serde_pretty() {
        let value = json!({"a": [1, 2, {"b": null, "c": []}], "d": {}, "e": "x,\"y\"]", "f": {"g": [true]}});
        let compact = serde_json::to_vec(&value).unwrap();
        let expected: Vec<String> = serde_json::to_string_pretty(&value)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(all(&mut Body::json(Bytes::from(compact))), expected);
        // Whitespace in the input changes nothing.
        let spaced = Bytes::from_static(b" { \"a\" :\n [ 1 , 2 ] }\n");
        assert_eq!(
            all(&mut Body::json(spaced)),
            vec!["{", "  \"a\": [", "    1,", "    2", "  ]", "}"]
        );
    }

    #[test]
    fn lines_come_from_any_checkpoint() {
        let items: Vec<Value> = (0..1000).map(|i| json!([i, i * 2])).collect();
        let value = Value::Array(items);
        let expected: Vec<String> = serde_json::to_string_pretty(&value)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        let mut body = Body::json(Bytes::from(serde_json::to_vec(&value).unwrap()));
        body.index_to(10);
        assert!(!body.is_complete() && body.len() <= 11 + CHECKPOINT);
        body.index_all();
        assert_eq!(body.len(), expected.len());
        for from in [0, 63, 64, 65, 1000, expected.len() - 3] {
            assert_eq!(body.lines(from, 3), expected[from..(from + 3).min(expected.len())]);
        }
    }

    #[test]
    fn only_the_lines_asked_for_are_formatted() {
        let text = "line\n".repeat(100_000);
        let mut body = Body::text(Bytes::from(text));
        body.index_all();
        assert_eq!(body.len(), 100_000);
        let before = FORMATTED.with(std::cell::Cell::get);
        let shown = body.lines(50_000, 30);
        let formatted = FORMATTED.with(std::cell::Cell::get) - before;
        assert_eq!(shown.len(), 30);
        assert_eq!(formatted, 30);
    }

    #[test]
    fn malformed_json_and_long_lines_never_stop_the_walk() {
        for bad in [
            &b"{\"a\": tru"[..],
            b"]]]]",
            b"{\"unterminated",
            b",,,:",
            b"{\"k\" 1}",
            b"\xff\xfe",
        ] {
            let mut body = Body::json(Bytes::copy_from_slice(bad));
            body.index_all();
            assert!(body.is_complete());
            assert!(body.len() <= bad.len() + 1);
        }
        let long = format!("[\"{}\"]", "x".repeat(10_000));
        let lines = all(&mut Body::json(Bytes::from(long)));
        assert!(lines[1].ends_with('…') && lines[1].len() < MAX_LINE + 10);
        // Control characters show as pictures.
        let text = all(&mut Body::text(Bytes::from_static(b"a\x1b[2Jb\r\nc")));
        assert_eq!(text, vec!["a␛[2Jb␍", "c"]);
    }

    #[test]
    fn hex_and_base64_lines_are_computed_from_their_offset() {
        let bytes = Bytes::from((0..=255u8).collect::<Vec<u8>>());
        let hex = Body::Hex(bytes.clone());
        assert_eq!(hex.len(), 16);
        assert!(hex.lines(15, 5)[0].starts_with("000000f0  f0 f1"));
        let b64 = Body::Base64(bytes);
        assert_eq!(b64.len(), 5);
        assert_eq!(b64.lines(0, 1)[0].len(), 76);
    }

    #[test]
    fn search_finds_lines_past_the_index() {
        let text: String = (0..20_000).map(|i| format!("row {i}\n")).collect();
        let mut body = Body::text(Bytes::from(text));
        let regex = regex::Regex::new("row 19999").unwrap();
        assert_eq!(body.find(&regex, 0), Some(19_999));
        assert_eq!(body.find(&regex, 20_000), None);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_walk_to_an_end(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let mut json = Body::json(Bytes::from(bytes.clone()));
            json.index_all();
            let _ = json.lines(0, json.len());
            let mut text = Body::text(Bytes::from(bytes));
            text.index_all();
            let _ = text.lines(0, text.len());
        }
    }
}
