//! Arbitrary bytes never panic the frame formatter or the profile parser.
//! A fixed-seed generator keeps failures reproducible.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::SystemTime;

use bytes::Bytes;
use wscope::conn::{Direction, FrameKind, FrameRecord};

/// xorshift64*: deterministic, so a failing case can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = (self.next() as usize) % (max + 1);
        let mut out: Vec<u8> = (0..len).map(|_| self.next() as u8).collect();
        // Bias towards text-like input, where the interesting bugs are.
        if self.next().is_multiple_of(2) {
            const ALPHABET: &[u8] = b" {}[]\":,\\\n\t\r0123456789abc\xc3\xa9";
            for b in &mut out {
                *b = ALPHABET[(*b as usize) % ALPHABET.len()];
            }
        }
        out
    }
}

#[test]
fn frame_previews_never_panic() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let kinds = [
        FrameKind::Text,
        FrameKind::Binary,
        FrameKind::Ping,
        FrameKind::Pong,
        FrameKind::Close { code: Some(4000) },
        FrameKind::Close { code: None },
    ];
    for i in 0..20_000 {
        let record = FrameRecord {
            at: SystemTime::UNIX_EPOCH,
            direction: Direction::Received,
            kind: kinds[i % kinds.len()],
            payload: Bytes::from(rng.bytes(300)),
        };
        let width = (rng.next() % 200) as usize;
        let shown = wscope::ui::frame_preview(&record, width);
        let shown_width = unicode_width::UnicodeWidthStr::width(shown.as_str());
        assert!(
            shown_width <= width,
            "{shown:?} is {shown_width} columns, wider than {width}"
        );
        assert!(!shown.contains('\n'));
    }
}

#[test]
fn profile_parser_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.json");
    let mut rng = Rng(0x5eed_1234_abcd_0002);
    let valid = br#"{"version":1,"url":"ws://x/","params":[{"key":"a","value":"b"}],"headers":[],"on_connect":["x"]}"#;
    for i in 0..5_000u32 {
        let bytes = if i.is_multiple_of(3) {
            // Mutations of a valid file find the edge cases faster.
            let mut mutated = valid.to_vec();
            for _ in 0..(rng.next() % 4 + 1) {
                let at = (rng.next() as usize) % mutated.len();
                mutated[at] = rng.next() as u8;
            }
            mutated
        } else {
            rng.bytes(400)
        };
        std::fs::write(&path, &bytes).unwrap();
        let _ = wscope::profile::store::parse_profile(&path);
    }
}
