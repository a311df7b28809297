//! The README's key map is generated from the key table; this keeps it so.
#![allow(clippy::expect_used, clippy::unwrap_used)]

const BEGIN: &str = "<!-- keymap:begin -->";
const END: &str = "<!-- keymap:end -->";

#[test]
fn readme_key_map_matches_the_key_table() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let start = readme.find(BEGIN).expect("README has the keymap:begin marker") + BEGIN.len();
    let end = readme.find(END).expect("README has the keymap:end marker");
    let expected = wscope::keymap::markdown();
    assert!(
        readme[start..end].trim() == expected.trim(),
        "README key map is stale; replace the text between the markers with:\n{expected}"
    );
}
