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

/// Parses the composer's text for a binary mode.
pub fn parse_binary(mode: SendMode, text: &str) -> Result<BinaryInput, String> {
    let trimmed = text.trim();
    if let Some(path) = trimmed.strip_prefix('@') {
        return Ok(BinaryInput::File(path.trim().to_string()));
    }
    match mode {
        SendMode::Text => Ok(BinaryInput::Bytes(Bytes::copy_from_slice(text.as_bytes()))),
        SendMode::Hex => {
            let digits: String = trimmed
                .split_whitespace()
                .map(|word| word.trim_start_matches("0x").trim_start_matches("0X"))
                .collect();
            if !digits.len().is_multiple_of(2) {
                return Err(format!("hex needs an even number of digits, got {}", digits.len()));
            }
            (0..digits.len())
                .step_by(2)
                .map(|i| {
                    u8::from_str_radix(&digits[i..i + 2], 16)
                        .map_err(|_| format!("{:?} is not a hex byte", &digits[i..i + 2]))
                })
                .collect::<Result<Vec<u8>, _>>()
                .map(|bytes| BinaryInput::Bytes(bytes.into()))
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
        match parse_binary(mode, text).unwrap() {
            BinaryInput::Bytes(b) => b.to_vec(),
            BinaryInput::File(f) => panic!("file {f}"),
        }
    }

    #[test]
    fn hex_and_base64() {
        assert_eq!(bytes(SendMode::Hex, "de ad\nbe ef"), vec![0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(bytes(SendMode::Hex, "0x01 0x02"), vec![1, 2]);
        assert!(parse_binary(SendMode::Hex, "abc").unwrap_err().contains("even"));
        assert!(
            parse_binary(SendMode::Hex, "zz")
                .unwrap_err()
                .contains("not a hex byte")
        );
        assert_eq!(bytes(SendMode::Base64, "aGVs\nbG8="), b"hello".to_vec());
        assert!(parse_binary(SendMode::Base64, "!!!").is_err());
    }

    #[test]
    fn at_path_reads_a_file() {
        assert_eq!(
            parse_binary(SendMode::Hex, " @/tmp/payload.bin "),
            Ok(BinaryInput::File("/tmp/payload.bin".into()))
        );
    }
}
