//! Binary payloads as JSON: gzip and zlib unwrapped by their headers, then
//! MessagePack, CBOR or Protobuf (by `.proto`), chosen by `--decode`.
//! Pure functions of the bytes: the UI, filters, exports and `pipe` all
//! read the same decoded value.
//!
//! May import: `record`.

pub mod lenient;
mod msgpack_json;
pub mod proto;

use std::io::Read as _;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::record::{Direction, FrameKind, FrameRecord};
pub use proto::{ProtoError, ProtoTypes, TypeChoice};

/// Largest payload a compressed frame may inflate to: a small hostile
/// frame must not become gigabytes.
pub const MAX_INFLATED: u64 = 64 << 20;

/// How binary frames are read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DecodeChoice {
    /// Unwrap gzip/zlib, then JSON, MessagePack or CBOR when the whole
    /// payload is one map or array, then Protobuf when `.proto` files are given.
    #[default]
    Auto,
    /// Show binary frames as bytes only.
    None,
    /// MessagePack.
    Msgpack,
    /// CBOR.
    Cbor,
    /// Protobuf, by the `.proto` files given.
    Protobuf,
}

/// A payload's decoded value and how it was reached (`gzip → JSON`).
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub chain: String,
    pub value: Value,
}

/// What decoding a payload gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Decoded(Decoded),
    /// Nothing was recognised (`auto`), or decoding is off.
    Raw,
    /// The chosen decoder (or an unwrapped compression) refused it.
    Failed {
        chain: String,
        error: String,
    },
}

/// A protocol's reading of a text frame as JSON (a Socket.IO event as an
/// object), when it has one.
pub type TextDecoder = fn(&[u8]) -> Option<Vec<u8>>;

/// How frames read as JSON for filters, exports and `pipe`: text frames
/// by their protocol, binary frames by the payload decoder.
#[derive(Debug, Clone, Default)]
pub struct FrameDecoder {
    pub text: Option<TextDecoder>,
    /// A protocol's reading of a binary frame (an MQTT packet), ahead of
    /// the payload decoder.
    pub packet: Option<TextDecoder>,
    pub binary: PayloadDecoder,
}

/// The same text decoder (by address: each protocol has one function) and
/// the same payload decoder.
impl PartialEq for FrameDecoder {
    fn eq(&self, other: &Self) -> bool {
        let same = |a: Option<TextDecoder>, b: Option<TextDecoder>| match (a, b) {
            (Some(a), Some(b)) => std::ptr::fn_addr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        same(self.text, other.text) && same(self.packet, other.packet) && self.binary == other.binary
    }
}

impl Eq for FrameDecoder {}

impl FrameDecoder {
    /// The frame's decoded value as JSON bytes, if it has one.
    pub fn json(&self, frame: &FrameRecord) -> Option<Vec<u8>> {
        match frame.kind {
            FrameKind::Text => self.text.and_then(|decode| decode(&frame.payload)),
            FrameKind::Binary => match self.packet {
                Some(decode) => decode(&frame.payload),
                None => self.binary.json(frame),
            },
            _ => None,
        }
    }
}

/// What a payload decoder is built from: the choice and the schema that
/// name it (a profile's `decode`, `proto` and `proto_type` fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoderSource {
    choice: Option<DecodeChoice>,
    proto: Vec<std::path::PathBuf>,
    types: TypeChoice,
}

impl DecoderSource {
    /// A decoder chosen by name (`--decode`), with `.proto` files and the
    /// message types to read them as, if any.
    pub fn new(choice: Option<DecodeChoice>, proto: Vec<std::path::PathBuf>, types: TypeChoice) -> Self {
        Self { choice, proto, types }
    }

    /// Compiles the `.proto` files (reading them) and builds the decoder.
    pub fn build(&self) -> Result<PayloadDecoder, ProtoError> {
        let proto = if self.proto.is_empty() {
            None
        } else {
            Some(ProtoTypes::load(&self.proto, &self.types)?)
        };
        Ok(PayloadDecoder::new(self.choice.unwrap_or_default(), proto))
    }

    /// The decoder without its schema (after the schema failed to compile).
    pub fn without_schema(&self) -> PayloadDecoder {
        PayloadDecoder::new(self.choice.unwrap_or_default(), None)
    }
}

/// Decodes binary payloads; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct PayloadDecoder {
    choice: DecodeChoice,
    proto: Option<Arc<ProtoTypes>>,
}

/// The same choice and the same compiled schema.
impl PartialEq for PayloadDecoder {
    fn eq(&self, other: &Self) -> bool {
        self.choice == other.choice
            && match (&self.proto, &other.proto) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            }
    }
}

impl Eq for PayloadDecoder {}

impl PayloadDecoder {
    pub fn new(choice: DecodeChoice, proto: Option<ProtoTypes>) -> Self {
        Self {
            choice,
            proto: proto.map(Arc::new),
        }
    }

    pub fn choice(&self) -> DecodeChoice {
        self.choice
    }

    pub fn proto(&self) -> Option<&ProtoTypes> {
        self.proto.as_deref()
    }

    /// Whether binary frames are decoded at all.
    pub fn is_on(&self) -> bool {
        self.choice != DecodeChoice::None
    }

    /// Decodes a binary frame's payload.
    pub fn decode(&self, direction: Direction, payload: &[u8]) -> Outcome {
        if !self.is_on() {
            return Outcome::Raw;
        }
        let mut chain = Vec::new();
        let inflated = match inflate(payload) {
            Inflated::Yes(name, bytes) => {
                chain.push(name);
                Some(bytes)
            }
            // A header can be a coincidence: read the bytes as they are.
            Inflated::No => None,
            Inflated::Bomb(name) => {
                return Outcome::Failed {
                    chain: name.into(),
                    error: format!("inflates past {} MiB", MAX_INFLATED >> 20),
                };
            }
        };
        let bytes = inflated.as_deref().unwrap_or(payload);
        let joined = |chain: &[&str], last: &str| {
            let mut all = chain.to_vec();
            all.push(last);
            all.join(" → ")
        };
        let attempt = match self.choice {
            DecodeChoice::None => return Outcome::Raw,
            DecodeChoice::Msgpack => Some(("msgpack", msgpack(bytes, false))),
            DecodeChoice::Cbor => Some(("cbor", cbor(bytes, false))),
            DecodeChoice::Protobuf => Some(match &self.proto {
                Some(types) => ("protobuf", types.decode(direction, bytes)),
                None => ("protobuf", Err("no .proto files given (--proto FILE)".to_string())),
            }),
            DecodeChoice::Auto => auto(bytes, direction, self.proto.as_deref()),
        };
        match attempt {
            Some((name, Ok(value))) => Outcome::Decoded(Decoded {
                chain: joined(&chain, name),
                value,
            }),
            Some((name, Err(error))) => Outcome::Failed {
                chain: joined(&chain, name),
                error,
            },
            // Inflated but not recognised: the text inside is still worth showing.
            None if !chain.is_empty() => match std::str::from_utf8(bytes) {
                Ok(text) => Outcome::Decoded(Decoded {
                    chain: joined(&chain, "text"),
                    value: Value::String(text.to_string()),
                }),
                Err(_) => Outcome::Failed {
                    chain: chain.join(" → "),
                    error: "inflated to bytes in no known format".into(),
                },
            },
            None => Outcome::Raw,
        }
    }

    /// A frame's decoded value as JSON bytes, for jq and exports: binary
    /// frames only (text frames are read by their protocol).
    pub fn json(&self, frame: &FrameRecord) -> Option<Vec<u8>> {
        if frame.kind != FrameKind::Binary {
            return None;
        }
        if let Some(json) = self.fast_json(&frame.payload) {
            return Some(json);
        }
        match self.decode(frame.direction, &frame.payload) {
            Outcome::Decoded(decoded) => serde_json::to_vec(&decoded.value).ok(),
            Outcome::Raw | Outcome::Failed { .. } => None,
        }
    }
}

impl PayloadDecoder {
    /// MessagePack straight to JSON text, when the payload is what `decode`
    /// would read as MessagePack and nothing unusual (see
    /// [`msgpack_json`]): a filter on a flood of it then costs a fraction.
    fn fast_json(&self, payload: &[u8]) -> Option<Vec<u8>> {
        let container = matches!(payload.first(), Some(0x80..=0x9f | 0xdc..=0xdf));
        let wanted = match self.choice {
            DecodeChoice::Msgpack => true,
            DecodeChoice::Auto => container,
            _ => false,
        };
        if !wanted || inflate_header(payload).is_some() {
            return None;
        }
        msgpack_json::transcode(payload)
    }
}

/// `auto`: JSON text, then a MessagePack or CBOR map or array that is the
/// whole payload, then Protobuf when there is a schema.
fn auto(
    bytes: &[u8],
    direction: Direction,
    proto: Option<&ProtoTypes>,
) -> Option<(&'static str, Result<Value, String>)> {
    let first = bytes.iter().copied().find(|b| !b.is_ascii_whitespace());
    if matches!(first, Some(b'{' | b'['))
        && let Ok(value) = serde_json::from_slice::<Value>(bytes)
    {
        return Some(("JSON", Ok(value)));
    }
    if let Ok(value) = msgpack(bytes, true) {
        return Some(("msgpack", Ok(value)));
    }
    if let Ok(value) = cbor(bytes, true) {
        return Some(("cbor", Ok(value)));
    }
    let proto = proto?;
    proto.decode(direction, bytes).ok().map(|value| ("protobuf", Ok(value)))
}

/// Which compression the payload's header names, if any.
fn inflate_header(payload: &[u8]) -> Option<&'static str> {
    match payload {
        [0x1f, 0x8b, ..] => Some("gzip"),
        // zlib: deflate (method 8), and a header that checks.
        [cmf, flg, ..] if cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0 => Some("zlib"),
        _ => None,
    }
}

enum Inflated {
    Yes(&'static str, Vec<u8>),
    No,
    /// It inflates past [`MAX_INFLATED`].
    Bomb(&'static str),
}

/// The payload inside gzip or zlib, recognised by its header.
fn inflate(payload: &[u8]) -> Inflated {
    let (name, mut reader): (&'static str, Box<dyn std::io::Read + '_>) = match inflate_header(payload) {
        Some("gzip") => ("gzip", Box::new(flate2::read::GzDecoder::new(payload))),
        Some(_) => ("zlib", Box::new(flate2::read::ZlibDecoder::new(payload))),
        None => return Inflated::No,
    };
    let mut out = Vec::new();
    match (&mut reader).take(MAX_INFLATED + 1).read_to_end(&mut out) {
        Ok(read) if read as u64 > MAX_INFLATED => Inflated::Bomb(name),
        Ok(_) => Inflated::Yes(name, out),
        Err(_) => Inflated::No,
    }
}

/// MessagePack that is exactly one value; with `container_only`, only a
/// map or an array (a lone number is too easy to mistake).
fn msgpack(bytes: &[u8], container_only: bool) -> Result<Value, String> {
    let starts_container = matches!(bytes.first(), Some(0x80..=0x9f | 0xdc..=0xdf));
    if container_only && !starts_container {
        return Err("not a MessagePack map or array".into());
    }
    let mut cursor = std::io::Cursor::new(bytes);
    let lenient::Lenient(value) = lenient::Lenient::deserialize(&mut rmp_serde::Deserializer::new(&mut cursor))
        .map_err(|e| format!("not MessagePack: {e}"))?;
    if cursor.position() as usize != bytes.len() {
        return Err(format!(
            "not MessagePack: {} bytes left over after one value",
            bytes.len() - cursor.position() as usize
        ));
    }
    Ok(value)
}

/// CBOR that is exactly one value (see [`msgpack`]).
fn cbor(bytes: &[u8], container_only: bool) -> Result<Value, String> {
    // Major types 4 (array) and 5 (map), possibly behind tags (6).
    let starts_container = matches!(bytes.first().map(|b| b >> 5), Some(4..=6));
    if container_only && !starts_container {
        return Err("not a CBOR map or array".into());
    }
    let mut rest = bytes;
    let lenient::Lenient(value) = ciborium::de::from_reader(&mut rest).map_err(|e| format!("not CBOR: {e}"))?;
    if !rest.is_empty() {
        return Err(format!("not CBOR: {} bytes left over after one value", rest.len()));
    }
    Ok(value)
}

/// JSON text encoded for sending, by a composer's send mode.
pub fn encode_msgpack(json: &str) -> Result<Vec<u8>, String> {
    let value: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    rmp_serde::to_vec_named(&value).map_err(|e| e.to_string())
}

/// See [`encode_msgpack`].
pub fn encode_cbor(json: &str) -> Result<Vec<u8>, String> {
    let value: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let mut out = Vec::new();
    ciborium::ser::into_writer(&value, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::io::Write as _;

    fn decoded(decoder: &PayloadDecoder, bytes: &[u8]) -> (String, Value) {
        match decoder.decode(Direction::Received, bytes) {
            Outcome::Decoded(d) => (d.chain, d.value),
            other => panic!("{other:?}"),
        }
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn auto_reads_what_reference_encoders_wrote() {
        let auto = PayloadDecoder::default();
        let value = json!({"sym": "MSG", "px": 1.5, "qty": 3, "tags": ["a"], "ok": true, "none": null});
        let msgpack = rmp_serde::to_vec_named(&value).unwrap();
        assert_eq!(decoded(&auto, &msgpack), ("msgpack".into(), value.clone()));
        let mut cbor = Vec::new();
        ciborium::ser::into_writer(&value, &mut cbor).unwrap();
        assert_eq!(decoded(&auto, &cbor), ("cbor".into(), value.clone()));
        let text = serde_json::to_vec(&value).unwrap();
        assert_eq!(decoded(&auto, &gzip(&text)), ("gzip → JSON".into(), value.clone()));
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(&msgpack).unwrap();
        assert_eq!(
            decoded(&auto, &zlib.finish().unwrap()),
            ("zlib → msgpack".into(), value)
        );
        assert_eq!(decoded(&auto, &gzip(b"plain words")).0, "gzip → text");
        // Bytes in no known format stay bytes.
        assert_eq!(auto.decode(Direction::Received, &[0xc1, 0, 1]), Outcome::Raw);
        assert_eq!(
            auto.decode(Direction::Received, &[7]),
            Outcome::Raw,
            "a lone number is not taken"
        );
        assert_eq!(
            PayloadDecoder::new(DecodeChoice::None, None).decode(Direction::Received, &msgpack_of_one()),
            Outcome::Raw
        );
    }

    fn msgpack_of_one() -> Vec<u8> {
        rmp_serde::to_vec(&json!([1])).unwrap()
    }

    #[test]
    fn what_json_cannot_hold_is_kept_readable() {
        // A byte string and a map with an integer key (both legal MessagePack).
        let mut bytes = vec![0x82, 0xa1, b'b', 0xc4, 3, 1, 2, 3, 0x07, 0xa1, b'x'];
        let (_, value) = decoded(&PayloadDecoder::default(), &bytes);
        assert_eq!(value, json!({"b": "AQID", "7": "x"}));
        bytes.push(0x00);
        let chosen = PayloadDecoder::new(DecodeChoice::Msgpack, None);
        match chosen.decode(Direction::Received, &bytes) {
            Outcome::Failed { chain, error } => {
                assert_eq!(chain, "msgpack");
                assert!(error.contains("1 bytes left over"), "{error}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hostile_payloads_are_refused_not_obeyed() {
        // 100 MiB of zeros in a few hundred kilobytes.
        let bomb = gzip(&vec![0u8; 100 << 20]);
        assert!(bomb.len() < 200_000);
        assert_eq!(
            PayloadDecoder::default().decode(Direction::Received, &bomb),
            Outcome::Failed {
                chain: "gzip".into(),
                error: "inflates past 64 MiB".into()
            }
        );
        // A length prefix claiming four billion items, and deep nesting.
        let huge = [0xdd, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            PayloadDecoder::new(DecodeChoice::Msgpack, None).decode(Direction::Received, &huge),
            Outcome::Failed { .. }
        ));
        let deep = vec![0x91; 100_000];
        let _ = PayloadDecoder::default().decode(Direction::Received, &deep);
        let deep_cbor = vec![0x81; 100_000];
        let _ = PayloadDecoder::default().decode(Direction::Received, &deep_cbor);
    }

    #[test]
    fn encoders_round_trip() {
        let text = r#"{"sym":"ENC","n":[1,2]}"#;
        let auto = PayloadDecoder::default();
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(decoded(&auto, &encode_msgpack(text).unwrap()).1, value);
        assert_eq!(decoded(&auto, &encode_cbor(text).unwrap()).1, value);
        assert!(encode_cbor("{nope").unwrap_err().contains("not JSON"));
    }

    proptest::proptest! {
        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let _ = PayloadDecoder::default().decode(Direction::Received, &bytes);
            let _ = PayloadDecoder::new(DecodeChoice::Cbor, None).decode(Direction::Sent, &bytes);
        }
    }
}
