//! How the composer's text becomes a frame: as text, as binary typed in
//! hex or base64 or read from a file with `@path`, or as JSON encoded into
//! MessagePack, CBOR or Protobuf.

use base64::Engine as _;
use bytes::Bytes;

/// What the composer's text means when sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SendMode {
    #[default]
    Text,
    /// Binary, typed as hex digits (spaces, newlines and `0x` allowed).
    Hex,
    /// Binary, typed as base64.
    Base64,
    /// JSON, sent encoded as MessagePack.
    MsgPack,
    /// JSON, sent encoded as CBOR.
    Cbor,
    /// JSON, sent encoded as the sent Protobuf type (`--proto`).
    Protobuf,
}

impl SendMode {
    /// The next mode in the cycle.
    pub fn next(self) -> Self {
        match self {
            Self::Text => Self::Hex,
            Self::Hex => Self::Base64,
            Self::Base64 => Self::MsgPack,
            Self::MsgPack => Self::Cbor,
            Self::Cbor => Self::Protobuf,
            Self::Protobuf => Self::Text,
        }
    }

    /// Its name for the Message pane's title.
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Hex => "binary · hex",
            Self::Base64 => "binary · base64",
            Self::MsgPack => "JSON → MessagePack",
            Self::Cbor => "JSON → CBOR",
            Self::Protobuf => "JSON → Protobuf",
        }
    }
}

/// The composer's text read in a binary mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BinaryInput {
    Bytes(Bytes),
    /// `@path`: send the file's contents.
    File(String),
}

/// Parses the composer's text for a binary mode. `@path` names a file to
/// send only when `files` allows it: never for text the user did not write.
/// Whatever is typed, this returns an error rather than panicking.
pub fn parse_binary(
    mode: SendMode,
    text: &str,
    files: bool,
    payloads: &crate::decode::PayloadDecoder,
) -> Result<BinaryInput, String> {
    let trimmed = text.trim();
    if files
        && matches!(mode, SendMode::Hex | SendMode::Base64)
        && let Some(path) = trimmed.strip_prefix('@')
    {
        return Ok(BinaryInput::File(path.trim().to_string()));
    }
    match mode {
        SendMode::Text => Ok(BinaryInput::Bytes(Bytes::copy_from_slice(text.as_bytes()))),
        SendMode::Hex => {
            let digits: String = trimmed
                .split_whitespace()
                .map(|word| {
                    word.strip_prefix("0x")
                        .or_else(|| word.strip_prefix("0X"))
                        .unwrap_or(word)
                })
                .collect();
            // Named by character, not byte: the crate would show a byte of
            // `é` as `Ã`.
            if let Some(bad) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
                return Err(format!("{bad:?} is not a hex digit"));
            }
            hex::decode(&digits)
                .map(|bytes| BinaryInput::Bytes(bytes.into()))
                .map_err(|error| match error {
                    hex::FromHexError::OddLength => {
                        format!("hex needs an even number of digits, got {}", digits.len())
                    }
                    other => other.to_string(),
                })
        }
        SendMode::Base64 => {
            let compact: String = trimmed.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map(|bytes| BinaryInput::Bytes(bytes.into()))
                .map_err(|e| format!("not base64: {e}"))
        }
        SendMode::MsgPack => crate::decode::encode_msgpack(trimmed).map(|b| BinaryInput::Bytes(b.into())),
        SendMode::Cbor => crate::decode::encode_cbor(trimmed).map(|b| BinaryInput::Bytes(b.into())),
        SendMode::Protobuf => match payloads.proto() {
            Some(types) => types.encode(trimmed).map(|b| BinaryInput::Bytes(b.into())),
            None => Err("JSON → Protobuf needs a schema: start with --proto FILE".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(mode: SendMode, text: &str) -> Vec<u8> {
        match parse_binary(mode, text, true, &Default::default()).unwrap() {
            BinaryInput::Bytes(b) => b.to_vec(),
            BinaryInput::File(f) => panic!("file {f}"),
        }
    }

    #[test]
    fn hex_and_base64() {
        assert_eq!(bytes(SendMode::Hex, "de ad\nbe ef"), vec![0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(bytes(SendMode::Hex, "0x01 0x02"), vec![1, 2]);
        assert!(
            parse_binary(SendMode::Hex, "abc", true, &Default::default())
                .unwrap_err()
                .contains("even")
        );
        assert_eq!(
            parse_binary(SendMode::Hex, "zz", true, &Default::default()).unwrap_err(),
            "'z' is not a hex digit"
        );
        // Multi-byte characters used to be sliced by byte offset, and panicked.
        assert_eq!(
            parse_binary(SendMode::Hex, "aé€", true, &Default::default()).unwrap_err(),
            "'é' is not a hex digit"
        );
        assert_eq!(bytes(SendMode::Base64, "aGVs\nbG8="), b"hello".to_vec());
        assert!(parse_binary(SendMode::Base64, "!!!", true, &Default::default()).is_err());
    }

    #[test]
    fn at_path_reads_a_file_only_in_binary_modes_and_when_allowed() {
        assert_eq!(
            parse_binary(SendMode::Hex, " @/tmp/payload.bin ", true, &Default::default()),
            Ok(BinaryInput::File("/tmp/payload.bin".into()))
        );
        assert_eq!(
            parse_binary(SendMode::Text, "@/etc/passwd", true, &Default::default()),
            Ok(BinaryInput::Bytes(Bytes::from_static(b"@/etc/passwd")))
        );
        assert!(parse_binary(SendMode::Base64, "@/etc/passwd", false, &Default::default()).is_err());
    }

    #[test]
    fn json_is_encoded_for_the_wire() {
        let text = r#"{"sym":"ENC","px":1.5}"#;
        let decoder = crate::decode::PayloadDecoder::default();
        let decoded = |mode| match parse_binary(mode, text, true, &decoder).unwrap() {
            BinaryInput::Bytes(bytes) => match decoder.decode(crate::record::Direction::Sent, &bytes) {
                crate::decode::Outcome::Decoded(d) => (d.chain, d.value["sym"].clone()),
                other => panic!("{other:?}"),
            },
            BinaryInput::File(_) => panic!("no file"),
        };
        assert_eq!(decoded(SendMode::MsgPack), ("msgpack".into(), "ENC".into()));
        assert_eq!(decoded(SendMode::Cbor), ("cbor".into(), "ENC".into()));
        assert!(
            parse_binary(SendMode::Protobuf, text, true, &decoder)
                .unwrap_err()
                .contains("--proto")
        );
        assert!(
            parse_binary(SendMode::MsgPack, "{oops", true, &decoder)
                .unwrap_err()
                .contains("not JSON")
        );
        assert!(
            parse_binary(SendMode::Cbor, "@/etc/passwd", true, &decoder).is_err(),
            "a file is read only in hex and base64 modes"
        );
    }

    proptest::proptest! {
        #[test]
        fn binary_parsers_never_panic(text in "\\PC*", mode in 0..6u8) {
            let modes = [SendMode::Text, SendMode::Hex, SendMode::Base64, SendMode::MsgPack, SendMode::Cbor, SendMode::Protobuf];
            let mode = modes[mode as usize];
            let _ = parse_binary(mode, &text, true, &Default::default());
            let _ = parse_binary(mode, &text, false, &Default::default());
        }

        #[test]
        fn hex_round_trips(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let typed = bytes.iter().map(|b| format!("0x{b:02X} ")).collect::<String>();
            proptest::prop_assert_eq!(parse_binary(SendMode::Hex, &typed, true, &Default::default()), Ok(BinaryInput::Bytes(bytes.into())));
        }
    }
}
