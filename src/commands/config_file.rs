//! `wscope config`: where the file is, the shipped defaults, the actions.

use anyhow::{Context, bail};

use super::setup::config_path;
use crate::cli::ConnOptions;
use crate::profile::store::write_atomic;

pub fn config_command(options: &ConnOptions, init: bool, force: bool, keys: bool) -> anyhow::Result<()> {
    let path = config_path(options).context("no config directory; pass --config FILE")?;
    if keys {
        let keymap = crate::keymap::Keymap::default();
        let mut seen = std::collections::BTreeSet::new();
        for scope in crate::keymap::SCOPE_ORDER {
            for binding in keymap.bindings_in(*scope) {
                let name = crate::keymap::action_name(binding.action);
                if seen.insert(name.clone()) {
                    say!("{name:<28} {:<24} {}", binding.keys_label(), binding.description)?;
                }
            }
        }
        return Ok(());
    }
    if init {
        if path.exists() && !force {
            bail!("{} exists; pass --force to replace it", path.display());
        }
        write_atomic(&path, crate::config::SHIPPED.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        say!("wrote {}", path.display())?;
        return Ok(());
    }
    say!("{}", path.display())?;
    Ok(())
}
