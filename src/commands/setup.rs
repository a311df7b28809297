//! What every command needs before it starts: the config directory, the
//! configuration, TLS options and the `--log` file.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use crate::cli::ConnOptions;
use crate::config::Config;
use crate::conn::{self, ClientIdentity, ConnSettings, TlsOptions};
use crate::log_sink::LogTarget;
use crate::profile::paths::Paths;
use crate::settings::Settings;
use crate::tui::file_worker::Storage;

pub fn storage(options: &ConnOptions) -> anyhow::Result<Storage> {
    let paths = Paths::resolve(options.config_dir.as_deref())
        .context("no home directory was found to keep profiles in; pass --config-dir DIR")?;
    Ok(Storage::new(paths))
}

/// Where config.toml is: `--config`, else the config directory.
pub fn config_path(options: &ConnOptions) -> Option<PathBuf> {
    options
        .config
        .clone()
        .or_else(|| Paths::resolve(options.config_dir.as_deref()).map(|p| p.config.join("config.toml")))
}

/// The configuration, or the defaults with the reason it could not be used.
pub fn load_config(options: &ConnOptions) -> (Config, Option<String>) {
    match config_path(options).map(|path| Config::load(&path)) {
        Some(Ok(config)) => (config, None),
        Some(Err(error)) => (Config::default(), Some(error.to_string())),
        None => (Config::default(), None),
    }
}

/// Opens the `--log` file for appending. A new file is readable by its
/// owner only: frames carry tokens and personal data.
pub fn open_log(options: &ConnOptions) -> anyhow::Result<Option<LogTarget>> {
    use std::os::unix::fs::OpenOptionsExt;
    let Some(path) = &options.log else { return Ok(None) };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot open --log {}", path.display()))?;
    let target = LogTarget::new(file, options.export_secrets)
        .with_context(|| format!("cannot start the writer of --log {}", path.display()))?;
    Ok(Some(target))
}

pub fn tls_options(options: &ConnOptions) -> anyhow::Result<TlsOptions> {
    let extra_roots = match &options.cacert {
        Some(path) => conn::load_pem_certs(path).with_context(|| format!("cannot read --cacert {}", path.display()))?,
        None => Vec::new(),
    };
    let identity = match (&options.cert, &options.key) {
        (Some(cert), Some(key)) => Some(ClientIdentity {
            certs: conn::load_pem_certs(cert).with_context(|| format!("cannot read --cert {}", cert.display()))?,
            key: Arc::new(conn::load_pem_key(key).with_context(|| format!("cannot read --key {}", key.display()))?),
        }),
        _ => None,
    };
    Ok(TlsOptions {
        extra_roots,
        insecure: options.insecure,
        identity,
    })
}

/// The connection task's settings for a run with `settings`.
pub fn conn_settings(settings: &Settings, options: &ConnOptions) -> anyhow::Result<ConnSettings> {
    Ok(ConnSettings {
        ping_interval: settings.ping_interval,
        connect_timeout: settings.connect_timeout,
        tls: tls_options(options)?,
        max_message_size: settings.max_message_size,
        ping_timeout: settings.ping_timeout,
        send_timeout: settings.send_timeout,
        reconnect: settings.reconnect,
    })
}
