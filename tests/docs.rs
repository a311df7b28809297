//! The README and the guide in `docs/` say what exists: the key map is
//! generated from the key table, every flag they name is one of wscope's,
//! every key the README names is bound, and every link between them
//! leads to a page and a heading that exist.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const BEGIN: &str = "<!-- keymap:begin -->";
const END: &str = "<!-- keymap:end -->";

/// Flags of other tools the pages quote: cargo's, and Chromium's that the
/// capture page points at wscope with.
const FOREIGN_FLAGS: &[&str] = &[
    "--bench",
    "--crates",
    "--ignored",
    "--locked",
    "--path",
    "--release",
    "--test",
    "--proxy-server",
    "--proxy-bypass-list",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every page of the guide, with their paths.
fn pages() -> Vec<(PathBuf, String)> {
    let mut pages = vec![root().join("README.md")];
    let mut guide: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    guide.sort();
    pages.extend(guide);
    pages
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("a readable page");
            (path, text)
        })
        .collect()
}

#[test]
fn the_key_map_in_the_guide_matches_the_key_table() {
    let keys = std::fs::read_to_string(root().join("docs/keys.md")).expect("docs/keys.md");
    let start = keys.find(BEGIN).expect("docs/keys.md has the keymap:begin marker") + BEGIN.len();
    let end = keys.find(END).expect("docs/keys.md has the keymap:end marker");
    let expected = wscope::keymap::markdown();
    assert!(
        keys[start..end].trim() == expected.trim(),
        "docs/keys.md's key map is stale; replace the text between the markers with:\n{expected}"
    );
}

/// Every long flag of wscope and of its subcommands.
fn known_flags() -> BTreeSet<String> {
    fn walk(command: &clap::Command, flags: &mut BTreeSet<String>) {
        for arg in command.get_arguments() {
            flags.extend(arg.get_long().map(|long| format!("--{long}")));
            flags.extend(
                arg.get_all_aliases()
                    .into_iter()
                    .flatten()
                    .map(|alias| format!("--{alias}")),
            );
        }
        for sub in command.get_subcommands() {
            walk(sub, flags);
        }
    }
    let mut flags: BTreeSet<String> = ["--help", "--version"].map(String::from).into();
    walk(&<wscope::cli::Cli as clap::CommandFactory>::command(), &mut flags);
    flags
}

#[test]
fn every_flag_the_pages_name_exists() {
    let known = known_flags();
    let mut unknown = Vec::new();
    for (path, text) in pages() {
        let bytes = text.as_bytes();
        for (at, _) in text.match_indices("--") {
            // A flag starts a word: `--proxy`, not `a--b` or `---`.
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'-' || bytes[at - 1] == b'_') {
                continue;
            }
            let flag: String = text[at..]
                .chars()
                .enumerate()
                .take_while(|(i, c)| *i < 2 || c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
                .map(|(_, c)| c)
                .collect();
            let flag = flag.trim_end_matches('-');
            if flag.len() < 3 || !flag.as_bytes()[2].is_ascii_lowercase() {
                continue;
            }
            if !known.contains(flag) && !FOREIGN_FLAGS.contains(&flag) {
                unknown.push(format!("{}: {flag}", path.display()));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "flags the docs name that wscope lacks:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn the_keys_the_readme_names_are_bound() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let table = wscope::keymap::markdown();
    let start = readme
        .find("## The ten keys that matter")
        .expect("the README names its ten keys");
    let rows: Vec<&str> = readme[start..]
        .lines()
        .skip_while(|line| !line.starts_with("|---"))
        .skip(1)
        .take_while(|line| line.starts_with('|'))
        .collect();
    assert_eq!(rows.len(), 10, "ten keys: {rows:?}");
    for row in rows {
        let keys = row.split('|').nth(1).unwrap_or_default();
        let keys = keys.split('(').next().unwrap_or_default();
        for key in keys.trim().split(" / ").map(str::trim) {
            assert!(
                table.contains(&format!("| {key} "))
                    || table.contains(&format!(" {key} |"))
                    || table.contains(&format!(" {key} /")),
                "the README names {key}, which no action is bound to"
            );
        }
    }
}

/// A heading's anchor as GitHub and mdBook make it.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == ' ' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    let mut fenced = false;
    text.lines()
        .filter(|line| {
            if line.starts_with("```") {
                fenced = !fenced;
            }
            !fenced
        })
        .filter_map(|line| line.strip_prefix('#'))
        .map(|heading| slug(heading.trim_start_matches('#')))
        .collect()
}

#[test]
fn every_link_between_the_pages_leads_somewhere() {
    let mut broken = Vec::new();
    for (path, text) in pages() {
        let dir = path.parent().unwrap_or(Path::new("."));
        for (at, _) in text.match_indices("](") {
            let target: String = text[at + 2..].chars().take_while(|c| *c != ')').collect();
            if target.starts_with("http") || target.is_empty() {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let file_path = if file.is_empty() { path.clone() } else { dir.join(file) };
            let Ok(linked) = std::fs::read_to_string(&file_path) else {
                if !file_path.exists() {
                    broken.push(format!("{}: {target} (no such file)", path.display()));
                }
                continue;
            };
            if !anchor.is_empty() && !anchors(&linked).contains(anchor) {
                broken.push(format!("{}: {target} (no such heading)", path.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_is_an_overview() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let lines = readme.lines().count();
    assert!(lines <= 300, "README.md has {lines} lines: the detail belongs in docs/");
    let summary = std::fs::read_to_string(root().join("docs/SUMMARY.md")).expect("docs/SUMMARY.md");
    for (path, _) in pages().into_iter().skip(1) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        assert!(
            name == "SUMMARY.md" || summary.contains(&format!("({name})")),
            "docs/SUMMARY.md does not list {name}"
        );
    }
}
