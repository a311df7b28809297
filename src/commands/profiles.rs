//! `wscope profiles`, `export` and `import`.

use std::path::Path;

use anyhow::{Context, bail};

use super::emit;
use crate::profile::curl;
use crate::profile::store::{ProfileStore, parse_profile, to_pretty_json, validate_name, write_atomic};

pub fn list_profiles(store: &ProfileStore, names_only: bool) -> anyhow::Result<()> {
    if names_only {
        for name in store.names()? {
            say!("{}", crate::sanitize::one_line(&name))?;
        }
        return Ok(());
    }
    let listing = store.load_all()?;
    if listing.profiles.is_empty() && listing.unreadable.is_empty() {
        say!(
            "no profiles yet in {} (Ctrl-S in the inspector saves one)",
            store.dir().display()
        )?;
    }
    use crate::{sanitize, secrets};
    // Profiles can be imported from anywhere: names and URLs are shown
    // sanitized, with their secrets masked.
    let shown: Vec<(String, String)> = listing
        .profiles
        .iter()
        .map(|(name, profile)| {
            let url = secrets::mask_url(&profile.url, secrets::SCREEN_MASK);
            (
                sanitize::one_line(name).into_owned(),
                sanitize::one_line(&url).into_owned(),
            )
        })
        .collect();
    let width = shown.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(0);
    for (name, url) in &shown {
        say!("{name:<width$}  {url}")?;
    }
    for broken in &listing.unreadable {
        eprintln!(
            "wscope: skipped {}: {}",
            sanitize::one_line(&broken.name),
            sanitize::text(&broken.error.to_string())
        );
    }
    Ok(())
}

pub fn export(store: &ProfileStore, name: &str, file: Option<&Path>, force: bool) -> anyhow::Result<()> {
    let profile = store.load(name)?;
    let bytes = to_pretty_json(&profile);
    match file {
        None => {
            emit(&bytes).context("writing to standard output")?;
        }
        Some(path) => {
            if path.exists() && !force {
                bail!("{} exists; pass --force to overwrite it", path.display());
            }
            write_atomic(path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("exported {name} to {}", path.display());
        }
    }
    Ok(())
}

/// The name given, else the file's name without its extension.
fn name_or_stem(name: Option<String>, path: &Path) -> anyhow::Result<String> {
    match name {
        Some(name) => Ok(name),
        None => Ok(path
            .file_stem()
            .and_then(|s| s.to_str())
            .context("cannot take a profile name from the file name; pass --name")?
            .to_string()),
    }
}

/// A HAR file (a browser's "Save all as HAR"), by its extension.
fn is_har(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("har"))
}

pub fn import(
    store: &ProfileStore,
    file: Option<&Path>,
    curl_command: Option<&str>,
    name: Option<String>,
    force: bool,
    entry: Option<usize>,
) -> anyhow::Result<()> {
    let (profile, name, notes) = match (file, curl_command) {
        (_, Some(command)) => {
            let import = curl::parse(command).context("cannot import the curl command")?;
            let name = name.context("--curl needs --name NAME for the new profile")?;
            (import.profile, name, import.notes)
        }
        (Some(path), None) if is_har(path) => {
            let shown = path.display().to_string();
            let recording = crate::recording::choose(crate::recording::load(path)?, entry, &shown)
                .map_err(|list| anyhow::anyhow!("{}", list.trim_end()))?;
            let (profile, notes) = crate::recording::import::profile_of(&recording);
            let name = name_or_stem(name, path)?;
            (profile, name, notes)
        }
        (Some(path), None) => {
            let profile = parse_profile(path)?;
            let name = name_or_stem(name, path)?;
            (profile, name, Vec::new())
        }
        (None, None) => bail!("give a FILE to import, or --curl COMMAND"),
    };
    validate_name(&name)?;
    let path = if force {
        store.save(&name, &profile)?
    } else {
        match store.create(&name, &profile) {
            Err(crate::profile::store::ProfileError::Exists { name }) => {
                bail!("profile {name:?} already exists; pass --force to replace it")
            }
            other => other?,
        }
    };
    for note in notes {
        eprintln!("note: {note}");
    }
    say!("imported profile {name} ({})", path.display())?;
    Ok(())
}
