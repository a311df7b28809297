//! How the composer's text becomes a frame: as text, or as binary typed in
//! hex or base64, or read from a file with `@path`.

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
}

impl SendMode {
    /// The next mode in the cycle.
    pub fn next(self) -> Self {
        match self {
            Self::Text => Self::Hex,
            Self::Hex => Self::Base64,
            Self::Base64 => Self::Text,
        }
    }

    /// Its name for the Message pane's title.
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Hex => "binary · hex",
            Self::Base64 => "binary · base64",
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
pub fn parse_binary(mode: SendMode, text: &str, files: bool) -> Result<BinaryInput, String> {
    let trimmed = text.trim();
    if files
        && mode != SendMode::Text
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(mode: SendMode, text: &str) -> Vec<u8> {
        match parse_binary(mode, text, true).unwrap() {
            BinaryInput::Bytes(b) => b.to_vec(),
            BinaryInput::File(f) => panic!("file {f}"),
        }
    }

    #[test]
    fn hex_and_base64() {
        assert_eq!(bytes(SendMode::Hex, "de ad\nbe ef"), vec![0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(bytes(SendMode::Hex, "0x01 0x02"), vec![1, 2]);
        assert!(parse_binary(SendMode::Hex, "abc", true).unwrap_err().contains("even"));
        assert_eq!(
            parse_binary(SendMode::Hex, "zz", true).unwrap_err(),
            "'z' is not a hex digit"
        );
        // Multi-byte characters used to be sliced by byte offset, and panicked.
        assert_eq!(
            parse_binary(SendMode::Hex, "aé€", true).unwrap_err(),
            "'é' is not a hex digit"
        );
        assert_eq!(bytes(SendMode::Base64, "aGVs\nbG8="), b"hello".to_vec());
        assert!(parse_binary(SendMode::Base64, "!!!", true).is_err());
    }

    #[test]
    fn at_path_reads_a_file_only_in_binary_modes_and_when_allowed() {
        assert_eq!(
            parse_binary(SendMode::Hex, " @/tmp/payload.bin ", true),
            Ok(BinaryInput::File("/tmp/payload.bin".into()))
        );
        assert_eq!(
            parse_binary(SendMode::Text, "@/etc/passwd", true),
            Ok(BinaryInput::Bytes(Bytes::from_static(b"@/etc/passwd")))
        );
        assert!(parse_binary(SendMode::Base64, "@/etc/passwd", false).is_err());
    }

    proptest::proptest! {
        #[test]
        fn binary_parsers_never_panic(text in "\\PC*", mode in 0..3u8) {
            let mode = [SendMode::Text, SendMode::Hex, SendMode::Base64][mode as usize];
            let _ = parse_binary(mode, &text, true);
            let _ = parse_binary(mode, &text, false);
        }

        #[test]
        fn hex_round_trips(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let typed = bytes.iter().map(|b| format!("0x{b:02X} ")).collect::<String>();
            proptest::prop_assert_eq!(parse_binary(SendMode::Hex, &typed, true), Ok(BinaryInput::Bytes(bytes.into())));
        }
    }
}
