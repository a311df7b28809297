//! Arbitrary bytes never panic the frame formatter or the profile parser,
//! and what they show carries no control character.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::SystemTime;

use bytes::Bytes;
use proptest::prelude::*;
use wscope::record::{Direction, FrameKind, FrameRecord};

const KINDS: [FrameKind; 6] = [
    FrameKind::Text,
    FrameKind::Binary,
    FrameKind::Ping,
    FrameKind::Pong,
    FrameKind::Close { code: Some(4000) },
    FrameKind::Close { code: None },
];

/// Bytes biased towards text-like input, where the interesting bugs are,
/// with control characters and C1 bytes mixed in.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        "(\\PC|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{202e}]|[{}\\[\\]\":,é世]){0,120}".prop_map(String::into_bytes),
    ]
}

const VALID: &str =
    r#"{"version":1,"url":"ws://x/","params":[{"key":"a","value":"b"}],"headers":[],"on_connect":["x"]}"#;

/// A valid profile with a few bytes changed: finds edge cases faster than
/// noise alone.
fn profile_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..400),
        proptest::collection::vec((0..VALID.len(), any::<u8>()), 1..5).prop_map(|changes| {
            let mut bytes = VALID.as_bytes().to_vec();
            for (at, byte) in changes {
                bytes[at] = byte;
            }
            bytes
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn frame_previews_never_panic(kind in 0..KINDS.len(), payload in payload(), width in 0usize..200) {
        let record = FrameRecord {
            at: SystemTime::UNIX_EPOCH,
            direction: Direction::Received,
            kind: KINDS[kind],
            payload: Bytes::from(payload),
        };
        let shown = wscope::ui::frame_preview(&record, width);
        let shown_width = unicode_width::UnicodeWidthStr::width(shown.as_str());
        prop_assert!(shown_width <= width, "{:?} is {} columns, wider than {}", shown, shown_width, width);
        prop_assert!(!shown.chars().any(|c| c.is_control()), "{:?}", shown);
        for view in [wscope::payload::BinaryView::Hex, wscope::payload::BinaryView::Base64, wscope::payload::BinaryView::Utf8] {
            let (_, lines) = wscope::payload::body_lines(&record, view);
            for line in lines {
                prop_assert!(!line.chars().any(|c| c.is_control()), "{:?}", line);
            }
        }
    }

    #[test]
    fn profile_parser_never_panics(bytes in profile_bytes()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        std::fs::write(&path, &bytes).unwrap();
        match wscope::profile::store::parse_profile(&path) {
            // What parses is a profile that saves and reads back the same.
            Ok(profile) => {
                std::fs::write(&path, wscope::profile::store::to_pretty_json(&profile)).unwrap();
                prop_assert_eq!(wscope::profile::store::parse_profile(&path).unwrap(), profile);
            }
            // What does not names the file, so the user can find it.
            Err(error) => prop_assert!(error.to_string().contains("p.json"), "{}", error),
        }
    }
}

#[test]
fn the_unmutated_profile_parses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.json");
    std::fs::write(&path, VALID).unwrap();
    let profile = wscope::profile::store::parse_profile(&path).unwrap();
    assert_eq!(profile.url, "ws://x/");
    assert_eq!(profile.on_connect, vec!["x"]);
}
