//! Copying to the clipboard with OSC 52, which works over SSH and inside
//! tmux (with `set -g set-clipboard on`), where no clipboard tool can reach.

use base64::Engine as _;

/// The escape sequence that asks the terminal to put `text` on the
/// system clipboard.
pub fn osc52(text: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{encoded}\x07")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_sequence_for_a_known_payload() {
        assert_eq!(osc52("hello"), "\x1b]52;c;aGVsbG8=\x07");
        assert_eq!(osc52(""), "\x1b]52;c;\x07");
    }
}
