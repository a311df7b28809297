//! The layering the code promises in its module comments, checked: no
//! import loop between top-level modules, the shared records import
//! nothing, and the layers below the connection task never reach into it.
//!
//! Imports are read from the source text (every `crate::name` outside
//! comments and test modules), which is what a reader sees too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The code of a file without its comments and its `#[cfg(test)]` modules.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => &text,
    };
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where each top-level module's own comment is: `src/NAME.rs` or
/// `src/NAME/mod.rs`.
fn module_file(name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let file = src.join(format!("{name}.rs"));
    if file.exists() {
        file
    } else {
        src.join(name).join("mod.rs")
    }
}

/// What a module's first comment says it may import: the names in
/// backticks of its `May import:` paragraph (none for "nothing").
fn declared_imports(name: &str) -> Option<BTreeSet<String>> {
    let text = std::fs::read_to_string(module_file(name)).ok()?;
    let header: Vec<&str> = text.lines().take_while(|line| line.starts_with("//!")).collect();
    let start = header.iter().position(|line| line.contains("May import:"))?;
    let paragraph: String = header[start..]
        .iter()
        .map(|line| line.trim_start_matches("//!").trim())
        .take_while(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Some(paragraph.split('`').skip(1).step_by(2).map(str::to_string).collect())
}

/// The top-level modules and, for each, the others it names.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(&src).into_iter().flatten().flatten() {
        let path = entry.path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()).map(str::to_string) else {
            continue;
        };
        if stem == "main" || stem == "lib" {
            continue;
        }
        let files = if path.is_dir() {
            rust_files(&path)
        } else {
            vec![path.clone()]
        };
        modules.entry(stem).or_default().extend(files);
    }
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let mut graph = BTreeMap::new();
    for (module, files) in &modules {
        let mut uses = BTreeSet::new();
        for file in files {
            let code = code_of(file);
            for (at, _) in code.match_indices("crate::") {
                let rest = &code[at + "crate::".len()..];
                if let Some(group) = rest.strip_prefix('{') {
                    // `use crate::{a, b::c}`: each item's first segment.
                    let inner = group.split('}').next().unwrap_or_default();
                    for item in inner.split(',') {
                        let first: String = item
                            .trim()
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        uses.insert(first);
                    }
                } else {
                    let first: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    uses.insert(first);
                }
            }
        }
        uses.retain(|used| used != module && names.contains(used));
        graph.insert(module.clone(), uses);
    }
    graph
}

/// A path of imports from `from` back to itself, if there is one.
fn loop_through(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    let mut stack = vec![(from.to_string(), vec![from.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((module, path)) = stack.pop() {
        for next in graph.get(&module).into_iter().flatten() {
            if next == from {
                let mut cycle = path.clone();
                cycle.push(from.to_string());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn no_import_loop_between_top_level_modules() {
    let graph = module_graph();
    assert!(graph.len() > 20, "the source tree was not found: {graph:?}");
    let loops: Vec<String> = graph
        .keys()
        .filter_map(|module| loop_through(&graph, module))
        .map(|cycle| cycle.join(" → "))
        .collect();
    assert!(loops.is_empty(), "import loops:\n{}", loops.join("\n"));
}

#[test]
fn the_shared_records_import_nothing_from_the_crate() {
    let graph = module_graph();
    let record = graph.get("record").expect("src/record.rs exists");
    assert!(record.is_empty(), "record imports {record:?}");
}

#[test]
fn the_layers_below_the_connection_task_do_not_import_it() {
    let graph = module_graph();
    for module in [
        "record",
        "request",
        "decode",
        "profile",
        "export",
        "recording",
        "body",
        "payload",
        "format",
        "protocol",
    ] {
        let uses = graph.get(module).unwrap_or_else(|| panic!("module {module} exists"));
        assert!(!uses.contains("conn"), "{module} imports conn: {uses:?}");
    }
}

#[test]
fn each_module_imports_only_what_its_first_comment_allows() {
    let graph = module_graph();
    let mut problems = Vec::new();
    for (module, uses) in &graph {
        match declared_imports(module) {
            None => problems.push(format!("{module}: its first comment has no `May import:` line")),
            Some(allowed) => {
                let extra: Vec<&String> = uses.difference(&allowed).collect();
                if !extra.is_empty() {
                    problems.push(format!(
                        "{module} imports {extra:?}, which its first comment does not allow"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// No grab-bags: a file that grows past this many lines before its tests
/// holds more than one job and is split along them.
const MOST_LINES_OF_CODE: usize = 600;

/// A test module longer than this moves to a sibling `tests.rs`.
const MOST_LINES_OF_TESTS: usize = 300;

#[test]
fn no_file_is_a_grab_bag() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut problems = Vec::new();
    for file in rust_files(&src) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tests_at = lines.iter().position(|line| line.starts_with("#[cfg(test)]"));
        let code = tests_at.unwrap_or(lines.len());
        let tests = lines.len() - code;
        let name = file.strip_prefix(&src).unwrap_or(&file).display().to_string();
        if code > MOST_LINES_OF_CODE {
            problems.push(format!(
                "{name}: {code} lines before its tests (at most {MOST_LINES_OF_CODE})"
            ));
        }
        if tests > MOST_LINES_OF_TESTS {
            problems.push(format!(
                "{name}: a test module of {tests} lines (move it to a sibling tests.rs)"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
