//! Stamps the commit a binary was built from into `wscope --version`: from
//! git when building a checkout, from the `.cargo_vcs_info.json` that `cargo
//! package` writes when building a published crate, or from
//! `WSCOPE_COMMIT`. Without any of them the version stands alone.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=WSCOPE_COMMIT");
    for watched in [
        ".git/HEAD",
        ".git/refs/heads",
        ".git/packed-refs",
        ".cargo_vcs_info.json",
    ] {
        if Path::new(watched).exists() {
            println!("cargo:rerun-if-changed={watched}");
        }
    }
    let version = env!("CARGO_PKG_VERSION");
    let shown = match commit() {
        Some(commit) => format!("{version} (commit {commit})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=WSCOPE_VERSION={shown}");
}

fn commit() -> Option<String> {
    if let Ok(commit) = std::env::var("WSCOPE_COMMIT") {
        return Some(commit).filter(|c| !c.trim().is_empty());
    }
    if Path::new(".git").exists() {
        let out = Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .output()
            .ok()?;
        let commit = String::from_utf8(out.stdout).ok()?;
        return out.status.success().then(|| commit.trim().to_string());
    }
    // {"git": {"sha1": "…"}, …}, written by `cargo package`.
    let info = std::fs::read_to_string(".cargo_vcs_info.json").ok()?;
    let start = info.find("\"sha1\"")?;
    let rest = &info[start + 6..];
    let open = rest.find('"')? + 1;
    let close = open + rest[open..].find('"')?;
    Some(rest[open..open + 12.min(close - open)].to_string())
}
