//! Reading a field or two of a JSON text without parsing the rest: the
//! name of a message (`.type`, a Socket.IO event) from the head of a frame
//! of any size, with no allocation but the string kept.
//!
//! May import: nothing from this crate.

use std::borrow::Cow;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Characters of a string kept: the text read is a server's.
pub const MAX_CHARS: usize = 80;

/// `text` cut to [`MAX_CHARS`] characters.
pub fn bounded(text: &str) -> &str {
    // Every character takes at least a byte.
    if text.len() <= MAX_CHARS {
        return text;
    }
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}

/// The first of `fields` (in their order) that is a string in a JSON
/// object, read from as much of `json` as is given (a cut-off object
/// still tells the fields before the cut).
///
/// Keys are scanned, not parsed: values not wanted are skipped by their
/// brackets and quotes, and a wanted string is borrowed from `json` unless
/// it holds an escape. The type of every frame of a flood is read this
/// way, so it allocates nothing and stops at the first field when that is
/// the one found (serde_json's early stop raised an error, built and
/// dropped for every frame: two thirds of the figures' cost of a JSON frame).
pub fn first_string_field<'a, const N: usize>(json: &'a [u8], fields: &[&str; N]) -> Option<Cow<'a, str>> {
    let mut scan = Scan { json, at: 0 };
    scan.skip_space();
    if !scan.eat(b'{') {
        return None;
    }
    let mut found: [Option<Cow<'a, str>>; N] = [const { None }; N];
    // Each step returns None at the cut or at what is not JSON, keeping
    // what was found.
    let _ = (|| -> Option<()> {
        loop {
            scan.skip_space();
            if scan.eat(b'}') {
                return None;
            }
            let key = scan.string()?;
            scan.skip_space();
            scan.eat(b':').then_some(())?;
            scan.skip_space();
            let wanted = fields.iter().position(|field| key.is(field));
            match wanted {
                Some(index) if found[index].is_none() && scan.peek() == Some(b'"') => {
                    found[index] = Some(scan.string()?.text()?);
                    if index == 0 {
                        return None;
                    }
                }
                _ => scan.skip_value()?,
            }
            scan.skip_space();
            scan.eat(b',').then_some(())?;
        }
    })();
    found.into_iter().flatten().next().map(|text| match text {
        Cow::Borrowed(text) => Cow::Borrowed(bounded(text)),
        Cow::Owned(text) => Cow::Owned(bounded(&text).to_string()),
    })
}

/// A JSON string as it stands in the text, quotes excluded.
struct RawString<'a> {
    body: &'a [u8],
    escaped: bool,
}

impl<'a> RawString<'a> {
    fn is(&self, field: &str) -> bool {
        if self.escaped {
            self.text().is_some_and(|text| text == field)
        } else {
            self.body == field.as_bytes()
        }
    }

    /// Its text, unescaped; None when it is not UTF-8 or a bad escape.
    fn text(&self) -> Option<Cow<'a, str>> {
        if !self.escaped {
            return std::str::from_utf8(self.body).ok().map(Cow::Borrowed);
        }
        let mut quoted = Vec::with_capacity(self.body.len() + 2);
        quoted.push(b'"');
        quoted.extend_from_slice(self.body);
        quoted.push(b'"');
        serde_json::from_slice::<String>(&quoted).ok().map(Cow::Owned)
    }
}

struct Scan<'a> {
    json: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    fn peek(&self) -> Option<u8> {
        self.json.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let matched = self.peek() == Some(byte);
        self.at += usize::from(matched);
        matched
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    /// A string starting at the cursor; None when none starts there or it
    /// is cut.
    fn string(&mut self) -> Option<RawString<'a>> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.at;
        let mut escaped = false;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    self.at += 2;
                }
                _ => self.at += 1,
            }
        }
        let body = self.json.get(start..self.at)?;
        self.at += 1;
        Some(RawString { body, escaped })
    }

    /// Passes over one value of any kind, nested ones by counting their
    /// brackets (without recursion, so no depth can exhaust the stack).
    fn skip_value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                b'"' => {
                    self.string()?;
                }
                b'{' | b'[' => {
                    depth += 1;
                    self.at += 1;
                }
                b'}' | b']' if depth > 0 => {
                    depth -= 1;
                    self.at += 1;
                }
                // The end of a scalar, or of the object holding it.
                b',' | b'}' | b']' if depth == 0 => return Some(()),
                _ => self.at += 1,
            }
            if depth == 0 && matches!(self.json.get(self.at.wrapping_sub(1)), Some(b'"' | b'}' | b']')) {
                return Some(());
            }
        }
    }
}

/// The longest prefix of `head` that is UTF-8: a payload's head can be
/// cut inside a character.
pub fn utf8_prefix(head: &[u8]) -> &str {
    match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(error) => std::str::from_utf8(&head[..error.valid_up_to()]).unwrap_or_default(),
    }
}

/// The first element of a JSON array when it is a string (a Socket.IO
/// event's name), read without parsing the rest.
pub fn first_string_of_array(json: &[u8]) -> Option<String> {
    let mut found = None;
    let mut reader = serde_json::Deserializer::from_slice(json);
    let _ = reader.deserialize_seq(FirstString { found: &mut found });
    found
}

struct FirstString<'a> {
    found: &'a mut Option<String>,
}

impl<'de> Visitor<'de> for FirstString<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        *self.found = seq.next_element::<StringOrNot>()?.and_then(|s| s.0);
        Ok(())
    }
}

/// A value kept when it is a string and skipped otherwise.
struct StringOrNot(Option<String>);

impl<'de> de::Deserialize<'de> for StringOrNot {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StringOrNotVisitor)
    }
}

struct StringOrNotVisitor;

impl<'de> Visitor<'de> for StringOrNotVisitor {
    type Value = StringOrNot;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(StringOrNot(Some(bounded(text).to_string())))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(StringOrNot(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(StringOrNot(None))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(StringOrNot(None))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(StringOrNot(None))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(StringOrNot(None))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(StringOrNot(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(StringOrNot(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: [&str; 6] = ["type", "event", "op", "method", "action", "channel"];

    #[test]
    fn the_first_type_field_that_is_a_string_names_it() {
        assert_eq!(
            first_string_field(br#"{"type":"tick","seq":1}"#, &FIELDS).as_deref(),
            Some("tick")
        );
        assert_eq!(
            first_string_field(br#"{"seq":1,"event":"trade","type":"t"}"#, &FIELDS).as_deref(),
            Some("t")
        );
        assert_eq!(
            first_string_field(br#"{"type":7,"op":"sub"}"#, &FIELDS).as_deref(),
            Some("sub")
        );
        assert_eq!(
            first_string_field(br#"{"type":{"a":"b"},"channel":"c"}"#, &FIELDS).as_deref(),
            Some("c")
        );
        assert_eq!(first_string_field(br#"{"a":{"type":"nested"}}"#, &FIELDS), None);
        assert_eq!(
            first_string_field(br#"{"ty\u0070e":"escaped"}"#, &FIELDS).as_deref(),
            Some("escaped")
        );
        assert_eq!(first_string_field(br#"[{"type":"x"}]"#, &FIELDS), None);
        assert_eq!(first_string_field(b"not json", &FIELDS), None);
        // Cut short: the fields before the cut still count.
        assert_eq!(
            first_string_field(br#"{"action":"go","data":"abc"#, &FIELDS).as_deref(),
            Some("go")
        );
    }

    /// What a full parse says the type is: the first of `FIELDS` whose
    /// value is a string.
    fn by_full_parse(json: &str) -> Option<String> {
        let value: serde_json::Value = serde_json::from_str(json).ok()?;
        FIELDS
            .iter()
            .find_map(|field| value.get(field)?.as_str().map(|text| bounded(text).to_string()))
    }

    fn json_value(rng: &mut fastrand::Rng, depth: u32) -> serde_json::Value {
        use serde_json::Value;
        let text = |rng: &mut fastrand::Rng| {
            let pool = ["tick", "a\"b", "é\u{1b}[2J", "}]{[,:", "", "x\\y", "\u{7f}\n\t"];
            pool[rng.usize(..pool.len())].to_string()
        };
        match rng.u8(..if depth > 3 { 4 } else { 6 }) {
            0 => Value::Null,
            1 => Value::Bool(rng.bool()),
            2 => Value::from(rng.i64(..) as f64 / 7.0),
            3 => Value::String(text(rng)),
            4 => Value::Array((0..rng.usize(..4)).map(|_| json_value(rng, depth + 1)).collect()),
            _ => Value::Object(
                (0..rng.usize(..5))
                    .map(|_| {
                        let key = if rng.bool() {
                            FIELDS[rng.usize(..FIELDS.len())].to_string()
                        } else {
                            text(rng)
                        };
                        (key, json_value(rng, depth + 1))
                    })
                    .collect(),
            ),
        }
    }

    #[test]
    fn scanning_agrees_with_a_full_parse_on_random_objects() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..20_000 {
            let object = serde_json::Value::Object(
                (0..rng.usize(..7))
                    .map(|_| {
                        let key = FIELDS[rng.usize(..FIELDS.len())].to_string();
                        (key, json_value(&mut rng, 0))
                    })
                    .collect(),
            );
            let json = if rng.bool() {
                serde_json::to_string(&object)
            } else {
                serde_json::to_string_pretty(&object)
            }
            .unwrap();
            assert_eq!(
                first_string_field(json.as_bytes(), &FIELDS).map(Cow::into_owned),
                by_full_parse(&json),
                "{json}"
            );
            // Any cut of it reads without a panic.
            let cut = rng.usize(..=json.len());
            let _ = first_string_field(&json.as_bytes()[..cut], &FIELDS);
        }
    }

    #[test]
    fn hostile_heads_are_read_without_a_panic_or_a_deep_stack() {
        let deep = format!(
            r#"{{"a":{}1{},"type":"deep"}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(first_string_field(deep.as_bytes(), &FIELDS).as_deref(), Some("deep"));
        for head in [
            &b"{"[..],
            b"{\"",
            b"{\"type",
            b"{\"type\":",
            b"{\"type\":\"ab\\",
            b"{\"type\":\"\xff\xfe\"}",
        ] {
            assert_eq!(first_string_field(head, &FIELDS), None, "{head:?}");
        }
        let long = format!(r#"{{"type":"{}"}}"#, "é".repeat(500));
        assert_eq!(
            first_string_field(long.as_bytes(), &FIELDS).map(|t| t.chars().count()),
            Some(MAX_CHARS)
        );
    }

    #[test]
    fn the_first_string_of_an_array_is_read_without_the_rest() {
        assert_eq!(first_string_of_array(br#"["chat",{"a":1}]"#).as_deref(), Some("chat"));
        assert_eq!(first_string_of_array(br#"[1,"x"]"#), None);
        assert_eq!(first_string_of_array(br#"["cut"#), None);
        assert_eq!(first_string_of_array(br#"["ok","#).as_deref(), Some("ok"));
    }
}
