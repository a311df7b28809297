//! Reading a field or two of a JSON text without parsing the rest: the
//! name of a message (`.type`, a Socket.IO event) from the head of a frame
//! of any size, with no allocation but the string kept.
//!
//! May import: nothing from this crate.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Characters of a string kept: the text read is a server's.
pub const MAX_CHARS: usize = 80;

/// `text` cut to [`MAX_CHARS`] characters.
pub fn bounded(text: &str) -> &str {
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}

/// The first of `fields` (in their order) that is a string in a JSON object, read
/// from as much of `json` as is given (a cut-off object still tells the
/// fields before the cut).
pub fn first_string_field(json: &[u8], fields: &[&str]) -> Option<String> {
    if json.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    let mut found: Vec<Option<String>> = vec![None; fields.len()];
    let mut reader = serde_json::Deserializer::from_slice(json);
    // An error past the fields wanted (a cut, or the early stop once the
    // first field is found) leaves what was found.
    let _ = reader.deserialize_map(Fields {
        fields,
        found: &mut found,
    });
    found.into_iter().flatten().next()
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

struct Fields<'a> {
    fields: &'a [&'a str],
    found: &'a mut [Option<String>],
}

impl<'de> Visitor<'de> for Fields<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(field) = map.next_key_seed(FieldIndex(self.fields))? {
            match field {
                Some(index) if self.found[index].is_none() => {
                    self.found[index] = map.next_value::<StringOrNot>()?.0;
                    if self.found[0].is_some() {
                        return Ok(());
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
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

/// Which of the fields wanted a key is, read without allocating.
struct FieldIndex<'a>(&'a [&'a str]);

impl<'de> DeserializeSeed<'de> for FieldIndex<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for FieldIndex<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|field| *field == key))
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

    #[test]
    fn the_first_string_of_an_array_is_read_without_the_rest() {
        assert_eq!(first_string_of_array(br#"["chat",{"a":1}]"#).as_deref(), Some("chat"));
        assert_eq!(first_string_of_array(br#"[1,"x"]"#), None);
        assert_eq!(first_string_of_array(br#"["cut"#), None);
        assert_eq!(first_string_of_array(br#"["ok","#).as_deref(), Some("ok"));
    }
}
