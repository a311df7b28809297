//! The one place where text that came from the network or from a file is
//! made safe to show a person.
//!
//! A server we do not control can put terminal control sequences into a
//! frame, a close reason or an error body: `ESC ] 52` rewrites the
//! clipboard, `ESC ] 0` the window title, `ESC [ 2 J` clears the screen, and
//! a C1 byte (U+009B) is a one-character CSI to many terminals. Every such
//! character is replaced by a visible picture of itself, the same way on
//! every surface (the frames list, the detail view, notes, reports, error
//! lines), so what one view shows the others show too.
//!
//! ratatui happens to drop control characters inside a cell, which would
//! hide the sequence instead of showing it; `println!` does not drop them
//! at all. Both go through here.
//!
//! May import: nothing from this crate.

use std::borrow::Cow;

/// What a character is shown as, if it cannot be shown as itself.
///
/// - C0 controls become their Unicode control pictures (`␛`, `␍`, `␇`, …),
///   DEL becomes `␡`;
/// - C1 controls (U+0080–U+009F) and the bidirectional overrides that can
///   make text read differently from what it is become `�`.
///
/// Tab and line feed are not decided here: see [`one_line`] and [`text`].
pub fn picture(c: char) -> Option<char> {
    match c {
        '\t' | '\n' => None,
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32),
        '\u{7f}' => Some('␡'),
        '\u{80}'..='\u{9f}' => Some('\u{fffd}'),
        // Bidi embeddings, overrides and isolates, and the marks: a
        // terminal that implements bidi would reorder what follows.
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}' => Some('\u{fffd}'),
        _ => None,
    }
}

/// Whether `c` needs [`picture`] (or, for tab and line feed, a decision).
fn needs_care(c: char) -> bool {
    c.is_control() || picture(c).is_some()
}

/// Text for a multi-line surface (a report, a listing, stderr): line feeds
/// and tabs stay, every other control character becomes its picture.
pub fn text(input: &str) -> Cow<'_, str> {
    map(input, |c| match c {
        '\n' | '\t' => c,
        c => picture(c).unwrap_or(c),
    })
}

/// Text for a single row: as [`text`], and a line feed becomes `↵`, a tab a
/// space, so the row stays one row.
pub fn one_line(input: &str) -> Cow<'_, str> {
    map(input, |c| match c {
        '\n' => '↵',
        '\t' => ' ',
        c => picture(c).unwrap_or(c),
    })
}

/// As [`one_line`], taking and giving an owned string, copied only when
/// something had to change.
pub fn one_line_owned(input: String) -> String {
    match one_line(&input) {
        Cow::Borrowed(_) => input,
        Cow::Owned(clean) => clean,
    }
}

/// Bytes that should be UTF-8 but may not be: invalid sequences become `�`,
/// then as [`text`].
pub fn bytes(input: &[u8]) -> Cow<'_, str> {
    match String::from_utf8_lossy(input) {
        Cow::Borrowed(valid) => text(valid),
        Cow::Owned(owned) => Cow::Owned(text(&owned).into_owned()),
    }
}

/// Whether every byte is printable ASCII (0x20 to 0x7e), eight at a time:
/// the headless proxy asks it of every frame it prints.
fn printable_ascii(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let (words, rest) = bytes.as_chunks::<8>();
    let words_printable = words.iter().all(|word| {
        let word = u64::from_ne_bytes(*word);
        // With no high bit set, these find a byte under 0x20 and a 0x7f
        // exactly (the classic "has a byte less than n" and "has a zero
        // byte" tests).
        let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
        let delete = word ^ (ONES * 0x7f);
        let has_delete = delete.wrapping_sub(ONES) & !delete & HIGH;
        word & HIGH == 0 && below_space == 0 && has_delete == 0
    });
    words_printable && rest.iter().all(|b| (0x20..0x7f).contains(b))
}

fn map(input: &str, replace: impl Fn(char) -> char) -> Cow<'_, str> {
    // Most text is printable ASCII: a byte scan settles it without a copy.
    if printable_ascii(input.as_bytes()) || !input.chars().any(needs_care) {
        return Cow::Borrowed(input);
    }
    Cow::Owned(input.chars().map(replace).collect())
}

/// Escapes the C1 controls and bidi overrides that JSON leaves alone
/// (serde_json escapes only C0), so JSON printed to a terminal is as safe as
/// text. The result is the same JSON value.
pub fn json(input: &str) -> Cow<'_, str> {
    if !input.chars().any(|c| picture(c).is_some() && !c.is_ascii()) {
        return Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len() + 16);
    for c in input.chars() {
        if picture(c).is_some() && !c.is_ascii() {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_ascii_by_words_agrees_with_a_byte_loop() {
        let mut rng = fastrand::Rng::with_seed(11);
        let edges = [0x00u8, 0x1f, 0x20, 0x21, 0x7e, 0x7f, 0x80, 0x9f, 0xff, b'a'];
        for _ in 0..20_000 {
            let length = rng.usize(0..40);
            let bytes: Vec<u8> = (0..length)
                .map(|_| match rng.u8(..4) {
                    0 => edges[rng.usize(..edges.len())],
                    _ => rng.u8(0x20..0x7f),
                })
                .collect();
            let expected = bytes.iter().all(|b| (0x20..0x7f).contains(b));
            assert_eq!(printable_ascii(&bytes), expected, "{bytes:x?}");
        }
        // Each edge byte at each place of a word.
        for edge in edges {
            for place in 0..16 {
                let mut bytes = vec![b'x'; 16];
                bytes[place] = edge;
                assert_eq!(
                    printable_ascii(&bytes),
                    (0x20..0x7f).contains(&edge),
                    "{edge:#x} at {place}"
                );
            }
        }
    }

    const HOSTILE: &str = "a\u{1b}]52;c;aGk=\u{7}b\u{1b}]0;title\u{7}\u{1b}[2J\u{1b}[?1049l\u{9b}31mc\rd\u{202e}e";

    #[test]
    fn every_control_becomes_visible() {
        let shown = text(HOSTILE);
        assert_eq!(shown, "a␛]52;c;aGk=␇b␛]0;title␇␛[2J␛[?1049l�31mc␍d�e");
        assert!(!shown.chars().any(|c| c.is_control()));
    }

    #[test]
    fn one_line_keeps_one_row() {
        assert_eq!(one_line("a\nb\tc\rd"), "a↵b c␍d");
        assert_eq!(text("a\nb\tc"), "a\nb\tc");
    }

    #[test]
    fn printable_text_is_not_copied() {
        assert!(matches!(text("{\"a\": \"é世\"}"), Cow::Borrowed(_)));
        assert!(matches!(one_line("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(bytes(b"ok\xff\x1b"), "ok\u{fffd}␛");
    }

    #[test]
    fn json_stays_json() {
        let raw = serde_json::to_string(&serde_json::json!({ "s": HOSTILE })).unwrap();
        let safe = json(&raw);
        assert!(!safe.chars().any(|c| c.is_control() || picture(c).is_some()));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["s"], HOSTILE);
    }
}
