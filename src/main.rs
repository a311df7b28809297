use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;

use std::sync::Arc;
use wscope::action::Action;
use wscope::app::{App, InitialRequest};
use wscope::cli::{Cli, Command, ConnOptions, MAX_SECS, RequestArgs, parse_size};

use wscope::config::Config;
use wscope::conn::{self, ClientIdentity, ConnSettings, TlsOptions};
use wscope::filter::Pattern;
use wscope::headless::pipe::PipeOptions;
use wscope::headless::test::Expectation;
use wscope::profile::paths::Paths;
use wscope::profile::resolve::resolve_request;
use wscope::profile::service::{Storage, StoreReply};
use wscope::profile::store::{ProfileStore, parse_profile, to_pretty_json, validate_name, write_atomic};
use wscope::profile::{Profile, curl, draft, vars};
use wscope::server::{DemoServer, Mode};
use wscope::tui::{self, LoopOptions};

const DEMO_MESSAGE: &str = r#"{"message":"Hello world"}"#;

/// Writes to standard output. A reader that went away (`wscope profiles |
/// head`) ends the output quietly, as in other Unix tools, instead of the
/// panic `println!` gives on a closed pipe.
fn emit(bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// `println!` through [`emit`]; yields an `io::Result` for `?`.
macro_rules! say {
    ($($arg:tt)*) => {
        emit(format!("{}\n", format_args!($($arg)*)).as_bytes())
    };
}

/// A panic anywhere ends wscope with the terminal restored, where it
/// happened on standard error, and a non-zero status. On the main thread the
/// unwinding goes on, so the inspector still writes the draft on its way
/// out (Rust then exits with 101); any other thread (the connection task,
/// file work) exits at once, as the UI could not go on without it.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        wscope::tui::restore_if_active();
        default(info);
        eprintln!("wscope: this is a bug; please report it with the lines above");
        if std::thread::current().name() != Some("main") {
            std::process::exit(101);
        }
    }));
}

fn main() -> ExitCode {
    install_panic_hook();
    let cli = Cli::parse();
    // The connection module passes its provider explicitly; this covers any
    // other rustls user in the process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The UI loop runs on the main thread; one worker is enough for the
    // connection task, and a second only steals it back and forth under a
    // flood, costing CPU the UI needs. `serve` keeps a worker per core for
    // its many clients.
    let workers = match cli.command {
        Some(Command::Serve { .. }) => std::thread::available_parallelism().map_or(2, |n| n.get()),
        _ => 1,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("wscope: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli));
    // Dropping the runtime would wait for its blocking threads, and one may
    // sit in a read of an interactive standard input (`pipe` from a
    // terminal) that never returns. Files are written atomically, so
    // nothing is left half-done.
    runtime.shutdown_background();
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            // An error can quote a file or a server: sanitized like the rest.
            eprintln!("wscope: {}", wscope::sanitize::text(&format!("{error:#}")));
            ExitCode::FAILURE
        }
    }
}

fn storage(options: &ConnOptions) -> anyhow::Result<Storage> {
    let paths = Paths::resolve(options.config_dir.as_deref())
        .context("no home directory was found to keep profiles in; pass --config-dir DIR")?;
    Ok(Storage::new(paths))
}

async fn run(cli: Cli) -> anyhow::Result<u8> {
    let request = &cli.request;
    let has_request = request.url.is_some()
        || !request.headers.is_empty()
        || !request.params.is_empty()
        || request.message.is_some()
        || request.profile.is_some()
        || request.environment.is_some();
    if cli.command.is_some() && has_request {
        bail!("a URL, -H, -q, -m, -p and -e go without a subcommand: wscope [URL] [OPTIONS]");
    }
    match cli.command {
        Some(Command::Serve {
            host,
            port,
            flood,
            size,
            rate,
        }) => {
            let mode = match flood {
                Some(count) => Mode::Flood { count, size, rate },
                None => Mode::Demo,
            };
            let server = DemoServer::start_with(SocketAddr::new(host, port), mode)
                .await
                .with_context(|| format!("cannot listen on {host}:{port}"))?;
            say!("wscope demo server listening on {}", server.url())?;
            match mode {
                Mode::Demo => say!("It greets, echoes, and sends a tick every second. Ctrl-C stops it.")?,
                Mode::Flood { count, size, rate } => say!(
                    "Each client gets {count} text frames of {size} bytes{}, then a close. Ctrl-C stops it.",
                    rate.map(|r| format!(" at {r}/s")).unwrap_or_default()
                )?,
            }
            tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
            Ok(0)
        }
        Some(Command::Demo) => {
            let server = DemoServer::start(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0))
                .await
                .context("cannot start the demo server on 127.0.0.1")?;
            let request = RequestArgs {
                url: Some(server.url()),
                message: Some(DEMO_MESSAGE.to_string()),
                ..RequestArgs::default()
            };
            inspector(request, &cli.options).await.map(|()| 0)
        }
        Some(Command::Test {
            request,
            expect,
            expect_jq,
            timeout,
            json,
        }) => {
            let (resolved, messages, settings) = headless_request(&request, &cli.options)?;
            let pattern = match (expect, expect_jq) {
                (Some(regex), _) => Pattern::compile(&regex).map_err(|e| anyhow::anyhow!("--expect: {e}"))?,
                (None, Some(jq)) => Pattern::compile(&format!("{}{jq}", wscope::filter::JQ_PREFIX))
                    .map_err(|e| anyhow::anyhow!("--expect-jq: {e}"))?,
                (None, None) => None,
            };
            let expectation = Expectation {
                pattern,
                timeout: Duration::from_secs_f64(timeout.max(0.1)),
            };
            let report = wscope::headless::test::run(resolved, messages, settings, expectation).await;
            if json {
                say!("{}", report.json())?;
            } else {
                emit(report.text().as_bytes())?;
            }
            Ok(report.exit_code)
        }
        Some(Command::Pipe {
            request,
            ndjson,
            keep_open,
            raw,
        }) => {
            use std::io::IsTerminal;
            let (resolved, _, settings) = headless_request(&request, &cli.options)?;
            let options = PipeOptions {
                ndjson,
                keep_open,
                sanitize: !raw && std::io::stdout().is_terminal(),
            };
            Ok(wscope::headless::pipe::run(resolved, settings, options).await)
        }
        Some(Command::Profiles { names }) => list_profiles(&storage(&cli.options)?.profiles, names).map(|()| 0),
        Some(Command::Completions { shell }) => {
            emit(wscope::completions::script(shell).as_bytes())?;
            Ok(0)
        }
        Some(Command::Config { init, force, keys }) => config_command(&cli.options, init, force, keys).map(|()| 0),
        Some(Command::Man) => {
            use clap::CommandFactory;
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .context("rendering the man page")?;
            emit(&page).context("writing to standard output")?;
            Ok(0)
        }
        Some(Command::Export { name, file, force }) => {
            export(&storage(&cli.options)?.profiles, &name, file.as_deref(), force).map(|()| 0)
        }
        Some(Command::Import {
            file,
            curl,
            name,
            force,
        }) => import(
            &storage(&cli.options)?.profiles,
            file.as_deref(),
            curl.as_deref(),
            name,
            force,
        )
        .map(|()| 0),
        None => inspector(cli.request, &cli.options).await.map(|()| 0),
    }
}

/// The request, the messages to send once open, and the connection settings
/// for a headless command, from the command line and any profile.
fn headless_request(
    request: &RequestArgs,
    options: &ConnOptions,
) -> anyhow::Result<(wscope::conn::ResolvedRequest, Vec<String>, ConnSettings)> {
    let storage = storage(options).ok();
    let (config, config_error) = load_config(options);
    if let Some(error) = config_error {
        eprintln!("wscope: {error}");
    }
    let effective = Effective::new(options, &config);
    let mut profile = match (&request.profile, &storage) {
        (Some(name), Some(storage)) => storage.profiles.load(name)?,
        (Some(_), None) => bail!("no config directory to load profiles from; pass --config-dir DIR"),
        (None, _) => Profile::default(),
    };
    if let Some(url) = &request.url {
        profile.url = url.clone();
    }
    if let Some(message) = &request.message {
        profile.message = message.clone();
    }
    profile.params.extend(request.params.iter().cloned());
    profile.headers.extend(request.headers.iter().cloned());
    for protocol in &options.subprotocols {
        profile.subprotocols.push(protocol.clone());
    }
    let environment = match (&request.environment, &storage) {
        (Some(name), Some(storage)) => {
            let environments = vars::load_environments(&storage.paths.environments())?;
            let vars = environments
                .get(name)
                .with_context(|| format!("no environment {name:?} in {}", storage.paths.environments().display()))?;
            Some((name.clone(), vars.clone()))
        }
        _ => None,
    };
    let resolver = vars::Resolver::new(environment);
    let resolved = resolve_request(&profile, &resolver, options.proxy.as_deref())?;
    let mut messages = Vec::new();
    for message in profile.on_connect.iter().chain(std::iter::once(&profile.message)) {
        if !message.is_empty() {
            messages.push(resolver.resolve(message, "the message")?);
        }
    }
    let ping_secs = options
        .ping_interval
        .or(profile.ping_interval_secs)
        .unwrap_or(effective.ping_secs)
        .min(MAX_SECS);
    let settings = ConnSettings {
        ping_interval: (ping_secs > 0).then(|| Duration::from_secs(ping_secs)),
        connect_timeout: effective.connect_timeout,
        tls: tls_options(options)?,
        max_message_size: options.max_message_size,
        ping_timeout: options.ping_timeout.filter(|s| *s > 0.0).map(Duration::from_secs_f64),
        send_timeout: options.send_timeout.filter(|s| *s > 0.0).map(Duration::from_secs_f64),
        reconnect: false,
        log: open_log(options)?,
        log_secrets: options.export_secrets,
    };
    Ok((resolved, messages, settings))
}

/// Command-line values over `config.toml` over the built-in defaults.
struct Effective {
    ping_secs: u64,
    connect_timeout: Duration,
    fps: u32,
    history: usize,
    history_bytes: usize,
    reconnect: bool,
}

impl Effective {
    fn new(options: &ConnOptions, config: &Config) -> Self {
        let defaults = &config.defaults;
        Self {
            ping_secs: options.ping_interval.unwrap_or(defaults.ping_interval),
            // config.toml and profiles are not checked by clap: a huge
            // value is brought into range here, before any clock sees it.
            connect_timeout: Duration::from_secs(
                options
                    .connect_timeout
                    .unwrap_or(defaults.connect_timeout)
                    .clamp(1, MAX_SECS),
            ),
            fps: options.fps.unwrap_or(defaults.fps),
            history: usize::try_from(options.history.unwrap_or(defaults.history)).unwrap_or(usize::MAX),
            history_bytes: options
                .history_bytes
                .unwrap_or_else(|| parse_size(&defaults.history_bytes).unwrap_or(64 << 20)),
            reconnect: options.reconnect || defaults.reconnect,
        }
    }
}

/// Where config.toml is: `--config`, else the config directory.
fn config_path(options: &ConnOptions) -> Option<std::path::PathBuf> {
    options
        .config
        .clone()
        .or_else(|| Paths::resolve(options.config_dir.as_deref()).map(|p| p.config.join("config.toml")))
}

/// The configuration, or the defaults with the reason it could not be used.
fn load_config(options: &ConnOptions) -> (Config, Option<String>) {
    match config_path(options).map(|path| Config::load(&path)) {
        Some(Ok(config)) => (config, None),
        Some(Err(error)) => (Config::default(), Some(error.to_string())),
        None => (Config::default(), None),
    }
}

fn config_command(options: &ConnOptions, init: bool, force: bool, keys: bool) -> anyhow::Result<()> {
    let path = config_path(options).context("no config directory; pass --config FILE")?;
    if keys {
        let keymap = wscope::keymap::Keymap::default();
        let mut seen = std::collections::BTreeSet::new();
        for scope in wscope::keymap::SCOPE_ORDER {
            for binding in keymap.bindings_in(*scope) {
                let name = wscope::keymap::action_name(binding.action);
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
        write_atomic(&path, wscope::config::SHIPPED.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        say!("wrote {}", path.display())?;
        return Ok(());
    }
    say!("{}", path.display())?;
    Ok(())
}

fn list_profiles(store: &ProfileStore, names_only: bool) -> anyhow::Result<()> {
    if names_only {
        for name in store.names()? {
            say!("{}", wscope::sanitize::one_line(&name))?;
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
    use wscope::{sanitize, secrets};
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

fn export(store: &ProfileStore, name: &str, file: Option<&Path>, force: bool) -> anyhow::Result<()> {
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

fn import(
    store: &ProfileStore,
    file: Option<&Path>,
    curl_command: Option<&str>,
    name: Option<String>,
    force: bool,
) -> anyhow::Result<()> {
    let (profile, name, notes) = match (file, curl_command) {
        (_, Some(command)) => {
            let import = curl::parse(command).context("cannot import the curl command")?;
            let name = name.context("--curl needs --name NAME for the new profile")?;
            (import.profile, name, import.notes)
        }
        (Some(path), None) => {
            let profile = parse_profile(path)?;
            let name = match name {
                Some(name) => name,
                None => path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .context("cannot take a profile name from the file name; pass --name")?
                    .to_string(),
            };
            (profile, name, Vec::new())
        }
        (None, None) => bail!("give a FILE to import, or --curl COMMAND"),
    };
    validate_name(&name)?;
    let path = if force {
        store.save(&name, &profile)?
    } else {
        match store.create(&name, &profile) {
            Err(wscope::profile::store::ProfileError::Exists { name }) => {
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

/// Opens the `--log` file for appending. A new file is readable by its
/// owner only: frames carry tokens and personal data.
fn open_log(options: &ConnOptions) -> anyhow::Result<Option<Arc<std::fs::File>>> {
    use std::os::unix::fs::OpenOptionsExt;
    let Some(path) = &options.log else { return Ok(None) };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot open --log {}", path.display()))?;
    Ok(Some(Arc::new(file)))
}

fn tls_options(options: &ConnOptions) -> anyhow::Result<TlsOptions> {
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

async fn inspector(request: RequestArgs, options: &ConnOptions) -> anyhow::Result<()> {
    let tls = tls_options(options)?;
    let storage = storage(options).ok();
    let (config, config_error) = load_config(options);
    let effective = Effective::new(options, &config);
    let palette = config.theme.palette().unwrap_or_else(|_| config.theme.preset.palette());
    wscope::ui::theme::set(config.theme.preset, palette);
    let mut app = App::new(InitialRequest::default(), None);
    // Sized before anything is logged, so start-up errors stay on screen.
    app.frames = wscope::frames::FrameLog::new(effective.history, effective.history_bytes);
    match config.keymap() {
        Ok(keymap) => app.keymap = keymap,
        Err(error) => app.report_profile_error(&error),
    }
    if let Some(error) = config_error {
        app.report_profile_error(&error);
    }
    let mut connect_now = request.url.is_some();
    let mut profile_ping = None;

    if let Some(storage) = &storage {
        match vars::load_environments(&storage.paths.environments()) {
            Ok(environments) => {
                if let Some(wanted) = &request.environment
                    && !environments.contains_key(wanted)
                {
                    let known: Vec<&str> = environments.keys().map(String::as_str).collect();
                    app.report_profile_error(&format!(
                        "no environment {wanted:?} in {} (known: {})",
                        storage.paths.environments().display(),
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ));
                }
                app.set_environments(environments, request.environment.as_deref());
            }
            Err(error) => app.report_profile_error(&error.to_string()),
        }
        if let Some(name) = &request.profile {
            match storage.open(name) {
                StoreReply::Opened { name, profile, history } => {
                    profile_ping = profile.ping_interval_secs;
                    app.open_profile(&name, profile, history);
                    connect_now = true;
                }
                StoreReply::Failed { action, error } => {
                    app.report_profile_error(&format!("cannot {action}: {error}"));
                    connect_now = false;
                }
                _ => {}
            }
        } else if request.url.is_none() && request.message.is_none() {
            match draft::load(&storage.paths.data) {
                Some(Ok(found)) => app.offer_draft(found),
                Some(Err(error)) => app.report_profile_error(&format!("the draft could not be read: {error}")),
                None => {}
            }
        }
    } else if request.profile.is_some() {
        app.report_profile_error("no config directory: pass --config-dir DIR to use profiles");
        connect_now = false;
    }
    app.insecure = options.insecure;
    app.proxy_override = options.proxy.clone();
    for protocol in &options.subprotocols {
        if !app.profile.extras.subprotocols.contains(protocol) {
            app.profile.extras.subprotocols.push(protocol.clone());
        }
    }
    app.apply_command_line(InitialRequest {
        url: request.url.unwrap_or_default(),
        message: request.message.unwrap_or_default(),
        params: request.params,
        headers: request.headers,
    });

    let ping_secs = options
        .ping_interval
        .or(profile_ping)
        .unwrap_or(effective.ping_secs)
        .min(MAX_SECS);
    let ping_interval = (ping_secs > 0).then(|| Duration::from_secs(ping_secs));
    app.ping_interval = ping_interval;
    let log = open_log(options)?;
    app.export_secrets = options.export_secrets;
    let reconnect = effective.reconnect || app.reconnect;
    app.reconnect = reconnect;
    let settings = ConnSettings {
        ping_interval,
        connect_timeout: effective.connect_timeout,
        tls,
        max_message_size: options.max_message_size,
        ping_timeout: options.ping_timeout.filter(|s| *s > 0.0).map(Duration::from_secs_f64),
        send_timeout: options.send_timeout.filter(|s| *s > 0.0).map(Duration::from_secs_f64),
        reconnect,
        log,
        log_secrets: options.export_secrets,
    };
    if connect_now {
        app.update(Action::Connect);
    }
    let (handle, events) = conn::spawn(settings);
    let loop_options = LoopOptions {
        fps: effective.fps,
        mouse: options.mouse,
    };
    tui::run(app, handle, events, storage, loop_options)
        .await
        .context("terminal error")
}
