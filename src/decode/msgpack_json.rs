//! MessagePack straight to JSON text, for filters and exports that read a
//! flood of binary frames: no `Value` tree, no string copies. It covers
//! the common shapes (maps with string or integer keys, arrays, strings,
//! numbers, booleans, nil, binary) and gives up on anything else (ext
//! types, invalid UTF-8, non-finite floats, other keys, deep nesting, a
//! truncated or over-long payload), so that the full decoder in
//! [`super::lenient`] reads those and what comes out is always the same.

use base64::Engine as _;

use super::lenient::MAX_DEPTH;

/// The JSON text of the one MessagePack value that is all of `bytes`, or
/// `None` when the full decoder must read it.
pub fn transcode(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut reader = Reader { bytes, at: 0 };
    let mut out = Vec::with_capacity(bytes.len() * 2);
    reader.value(&mut out, 0)?;
    (reader.at == bytes.len()).then_some(out)
}

/// Maps with at most this many keys are checked for a repeated key
/// without allocating.
const SMALL_MAP: usize = 16;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(count)?;
        let taken = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(taken)
    }

    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn be<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    /// A length of 1, 2 or 4 big-endian bytes.
    fn length(&mut self, width: usize) -> Option<usize> {
        Some(match width {
            1 => usize::from(self.byte()?),
            2 => usize::from(u16::from_be_bytes(self.be()?)),
            _ => usize::try_from(u32::from_be_bytes(self.be()?)).ok()?,
        })
    }

    fn value(&mut self, out: &mut Vec<u8>, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let marker = self.byte()?;
        match marker {
            0x00..=0x7f => integer(out, u64::from(marker)),
            0xe0..=0xff => signed(out, i64::from(marker as i8)),
            0x80..=0x8f => self.map(out, usize::from(marker & 0x0f), depth)?,
            0x90..=0x9f => self.array(out, usize::from(marker & 0x0f), depth)?,
            0xa0..=0xbf => self.string(out, usize::from(marker & 0x1f))?,
            0xc0 => out.extend_from_slice(b"null"),
            0xc2 => out.extend_from_slice(b"false"),
            0xc3 => out.extend_from_slice(b"true"),
            0xc4..=0xc6 => {
                let length = self.length(1 << (marker - 0xc4))?;
                let data = self.take(length)?;
                out.push(b'"');
                let start = out.len();
                out.resize(start + base64::encoded_len(data.len(), true)?, 0);
                base64::engine::general_purpose::STANDARD
                    .encode_slice(data, &mut out[start..])
                    .ok()?;
                out.push(b'"');
            }
            0xca => float(out, f64::from(f32::from_be_bytes(self.be()?)))?,
            0xcb => float(out, f64::from_be_bytes(self.be()?))?,
            0xcc => integer(out, u64::from(self.byte()?)),
            0xcd => integer(out, u64::from(u16::from_be_bytes(self.be()?))),
            0xce => integer(out, u64::from(u32::from_be_bytes(self.be()?))),
            0xcf => integer(out, u64::from_be_bytes(self.be()?)),
            0xd0 => signed(out, i64::from(i8::from_be_bytes(self.be()?))),
            0xd1 => signed(out, i64::from(i16::from_be_bytes(self.be()?))),
            0xd2 => signed(out, i64::from(i32::from_be_bytes(self.be()?))),
            0xd3 => signed(out, i64::from_be_bytes(self.be()?)),
            0xd9..=0xdb => {
                let length = self.length(1 << (marker - 0xd9))?;
                self.string(out, length)?;
            }
            0xdc | 0xdd => {
                let length = self.length(2 << (marker - 0xdc))?;
                self.array(out, length, depth)?;
            }
            0xde | 0xdf => {
                let length = self.length(2 << (marker - 0xde))?;
                self.map(out, length, depth)?;
            }
            // Ext types (0xc7-0xc9, 0xd4-0xd8) and the unused 0xc1.
            _ => return None,
        }
        Some(())
    }

    fn string(&mut self, out: &mut Vec<u8>, length: usize) -> Option<()> {
        let text = std::str::from_utf8(self.take(length)?).ok()?;
        if text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
            return serde_json::to_writer(&mut *out, text).ok();
        }
        // Nothing to escape, the usual case: copied as it is.
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
        Some(())
    }

    fn array(&mut self, out: &mut Vec<u8>, length: usize, depth: usize) -> Option<()> {
        out.push(b'[');
        for index in 0..length {
            if index > 0 {
                out.push(b',');
            }
            self.value(out, depth + 1)?;
        }
        out.push(b']');
        Some(())
    }

    fn map(&mut self, out: &mut Vec<u8>, length: usize, depth: usize) -> Option<()> {
        out.push(b'{');
        // Where each key was written: a key given twice is left to the
        // full decoder, whose map keeps one of them. Small maps, the
        // usual case, are checked without allocating.
        let mut few = [(0usize, 0usize); SMALL_MAP];
        let mut many: Vec<(usize, usize)> = Vec::new();
        for index in 0..length {
            if index > 0 {
                out.push(b',');
            }
            let start = out.len();
            self.key(out)?;
            match few.get_mut(index) {
                Some(slot) => *slot = (start, out.len()),
                None => many.push((start, out.len())),
            }
            out.push(b':');
            self.value(out, depth + 1)?;
        }
        out.push(b'}');
        let written = |&(start, end): &(usize, usize)| &out[start..end];
        if length <= SMALL_MAP {
            let keys = &few[..length];
            let repeated = keys
                .iter()
                .enumerate()
                .any(|(i, key)| keys[..i].iter().any(|earlier| written(earlier) == written(key)));
            return (!repeated).then_some(());
        }
        let mut keys: Vec<&[u8]> = few.iter().chain(&many).map(written).collect();
        keys.sort_unstable();
        (!keys.windows(2).any(|pair| pair[0] == pair[1])).then_some(())
    }

    /// A map key: a string as it is, an integer as its digits in quotes
    /// (as the full decoder writes a key that is not a string).
    fn key(&mut self, out: &mut Vec<u8>) -> Option<()> {
        let marker = *self.bytes.get(self.at)?;
        match marker {
            0xa0..=0xbf | 0xd9..=0xdb => self.value(out, 0),
            0x00..=0x7f | 0xcc..=0xd3 | 0xe0..=0xff => {
                out.push(b'"');
                self.value(out, 0)?;
                out.push(b'"');
                Some(())
            }
            _ => None,
        }
    }
}

fn integer(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

fn signed(out: &mut Vec<u8>, value: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// A finite float as serde_json writes it; the full decoder spells out
/// the others.
fn float(out: &mut Vec<u8>, value: f64) -> Option<()> {
    let number = serde_json::Number::from_f64(value)?;
    serde_json::to_writer(&mut *out, &number).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the full decoder makes of `bytes`, as JSON text.
    fn full(bytes: &[u8]) -> Option<Vec<u8>> {
        super::super::msgpack(bytes, false)
            .ok()
            .map(|value| serde_json::to_vec(&value).unwrap())
    }

    #[test]
    fn common_shapes_read_as_the_full_decoder_reads_them() {
        let values = [
            serde_json::json!({"sym": "MSG", "seq": 7, "px": 101.25, "qty": 3}),
            serde_json::json!([
                1,
                -1,
                -33,
                255,
                65_535,
                4_294_967_296u64,
                -2_147_483_649i64,
                u64::MAX,
                i64::MIN
            ]),
            serde_json::json!({"nested": {"a": [true, false, null, "é \"q\" \n \u{1}"]}, "f": 0.1, "big": 1e300}),
            serde_json::json!({"long": "x".repeat(70_000), "empty": "", "list": []}),
            serde_json::json!([]),
        ];
        for value in values {
            let bytes = rmp_serde::to_vec_named(&value).unwrap();
            let fast = transcode(&bytes).expect("read fast");
            assert_eq!(Some(fast.clone()), full(&bytes), "{value}");
            assert_eq!(serde_json::from_slice::<serde_json::Value>(&fast).unwrap(), value);
        }
        // f32, binary and integer keys, hand-made.
        let mut map = vec![0x83, 0x01, 0xca];
        map.extend_from_slice(&1.5f32.to_be_bytes());
        map.extend_from_slice(&[0xd0, 0x85, 0xc4, 0x03, 1, 2, 3, 0xa1, b'k', 0xc3]);
        assert_eq!(
            transcode(&map).as_deref(),
            Some(br#"{"1":1.5,"-123":"AQID","k":true}"#.as_slice())
        );
        assert_eq!(transcode(&map), full(&map));
    }

    #[test]
    fn anything_unusual_is_left_to_the_full_decoder() {
        let cases: [&[u8]; 8] = [
            &[0xd4, 0x01, 0x00],                   // fixext 1
            &[0xa2, 0xff, 0xfe],                   // a string that is not UTF-8
            &[0x81, 0x90, 0x01],                   // a key that is an array
            &[0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0], // infinity
            &[0x92, 0x01],                         // truncated
            &[0x01, 0x02],                         // bytes left over
            &[0xdd, 0xff, 0xff, 0xff, 0xff],       // a hostile length, no items
            &[0xc1],                               // never used
        ];
        for bytes in cases {
            assert_eq!(transcode(bytes), None, "{bytes:02x?}");
        }
        let deep: Vec<u8> = std::iter::repeat_n(0x91, 500).chain([0x01]).collect();
        assert_eq!(transcode(&deep), None);
    }

    #[test]
    fn random_bytes_never_disagree_with_the_full_decoder() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut read = 0;
        for _ in 0..200_000 {
            let length = (next() % 24) as usize;
            let bytes: Vec<u8> = (0..length).map(|_| next() as u8).collect();
            if let Some(fast) = transcode(&bytes) {
                read += 1;
                assert_eq!(Some(fast), full(&bytes), "{bytes:02x?}");
            }
        }
        assert!(read > 1_000, "only {read} random payloads were read");
    }
}
