//! `wscope test` and `wscope pipe`: the request from the command line and
//! any profile, then the headless runners.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};

use super::emit;
use super::setup::{conn_settings, load_config, open_log, storage};
use crate::cli::{ConnOptions, RequestArgs};
use crate::flow::file::{Flow, RequestSource};
use crate::flow::machine::Outcome;
use crate::flow::report::FlowReport;
use crate::headless::Run;
use crate::headless::flow::FlowJob;
use crate::headless::pipe::PipeOptions;
use crate::headless::test::{Expectation, TestReport};
use crate::profile::resolve::resolve_request;
use crate::profile::{Profile, vars};
use crate::request::ResolvedRequest;
use crate::settings::Settings;

/// What `test` checks, as given on the command line.
pub struct TestArgs {
    /// `REGEX` or `jq:EXPR`, in the order given.
    pub expectations: Vec<String>,
    pub count: u32,
    pub repeat: u32,
    pub max_latency: Option<Duration>,
    pub timeout: f64,
    pub json: bool,
    pub junit: Option<PathBuf>,
}

pub async fn test(request: &RequestArgs, options: &ConnOptions, args: TestArgs) -> anyhow::Result<u8> {
    let (resolved, messages, mut run) = headless_request(request, options)?;
    let timeout = Duration::from_secs_f64(args.timeout.max(0.1));
    // The connection may take no longer than the check.
    run.settings.connect_timeout = run.settings.connect_timeout.min(timeout);
    let expectation = Expectation {
        patterns: args.expectations,
        count: args.count,
        max_latency: args.max_latency,
        timeout,
        repeat: args.repeat,
    };
    let steps = expectation.steps(messages).map_err(|e| anyhow::anyhow!(e))?;
    let protocol = resolved.protocol.clone();
    let job = FlowJob {
        name: "test".into(),
        file: "wscope test".into(),
        request: resolved,
        on_connect: Vec::new(),
        steps: steps.into(),
        resolver: vars::Resolver::default(),
    };
    let flow = crate::headless::flow::run(job, run).await;
    let mut report = TestReport::of(&flow);
    let negotiated = flow.handshake.as_ref().and_then(|h| h.protocol.as_deref());
    report.describe_with(&protocol.settle(negotiated));
    if let Some(path) = &args.junit {
        write_junit(path, std::slice::from_ref(&flow))?;
    }
    if args.json {
        say!("{}", report.json())?;
    } else {
        emit(report.text().as_bytes())?;
    }
    Ok(report.exit_code)
}

/// What `run` was given besides the files.
pub struct RunArgs {
    pub url: Option<String>,
    pub headers: Vec<crate::record::KvRow>,
    pub params: Vec<crate::record::KvRow>,
    pub profile: Option<String>,
    pub environment: Option<String>,
    pub json: bool,
    pub junit: Option<PathBuf>,
}

/// `wscope run FILE…`: each flow in turn, each report as it ends.
pub async fn run_flows(files: &[PathBuf], args: RunArgs, options: &ConnOptions) -> anyhow::Result<u8> {
    let mut reports = Vec::new();
    for file in files {
        let shown = file.display().to_string();
        let is_http = file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("http") || e.eq_ignore_ascii_case("rest"));
        let loaded = if is_http {
            crate::flow::http_file::load(file)
        } else {
            crate::flow::file::load(file).map(|flow| vec![flow])
        };
        let flows = match loaded {
            Ok(flows) if flows.is_empty() => {
                let error = format!("{shown}: no WEBSOCKET request in it");
                vec![Err(FlowReport::not_run(
                    shown.clone(),
                    shown.clone(),
                    Outcome::Invalid,
                    error,
                ))]
            }
            Ok(flows) => flows.into_iter().map(Ok).collect(),
            Err(error) => vec![Err(FlowReport::not_run(
                shown.clone(),
                shown.clone(),
                Outcome::Invalid,
                error.to_string(),
            ))],
        };
        for flow in flows {
            let report = match flow {
                Err(report) => report,
                Ok(flow) => match flow_job(&flow, &args, options) {
                    Ok((job, run)) => crate::headless::flow::run(job, run).await,
                    Err(error) => {
                        FlowReport::not_run(flow.name.clone(), shown.clone(), Outcome::Invalid, format!("{error:#}"))
                    }
                },
            };
            if !args.json {
                emit(report.text().as_bytes())?;
            }
            reports.push(report);
        }
    }
    if let Some(path) = &args.junit {
        write_junit(path, &reports)?;
    }
    if args.json {
        say!("{}", crate::flow::report::json(&reports))?;
    }
    Ok(crate::flow::report::exit_code(&reports))
}

/// The connection a flow runs on: its profile or `[request]`, with the
/// command line over it.
fn flow_job(flow: &Flow, args: &RunArgs, options: &ConnOptions) -> anyhow::Result<(FlowJob, Run)> {
    let base = match (&args.profile, &flow.request) {
        (Some(name), _) | (None, RequestSource::Profile(name)) => Some(load_profile(name, options)?),
        (None, RequestSource::Inline(profile)) => Some((**profile).clone()),
        (None, RequestSource::CommandLine) => None,
    };
    let overrides = Overrides {
        url: args.url.as_deref(),
        message: None,
        params: &args.params,
        headers: &args.headers,
        environment: args.environment.as_deref(),
    };
    if args.url.is_none() && base.as_ref().is_none_or(|p| p.url.trim().is_empty()) {
        bail!("the flow names no URL: give it a [request] with a url, a profile, or pass --url");
    }
    let mut prepared = prepare(base, &overrides, options)?;
    for (name, value) in &flow.vars {
        let value = prepared
            .resolver
            .resolve(value, &format!("vars.{name}"))
            .map_err(|e| anyhow::anyhow!(e))?;
        prepared.resolver.set(name, value);
    }
    Ok((
        FlowJob {
            name: flow.name.clone(),
            file: flow.path.display().to_string(),
            request: prepared.resolved,
            // The profile's on-connect messages go first, as whenever it
            // connects; its composer message is not sent: the steps say what is.
            on_connect: prepared.on_connect,
            steps: flow.steps.clone(),
            resolver: prepared.resolver,
        },
        prepared.run,
    ))
}

/// What `replay` was given besides the file.
pub struct ReplayArgs {
    pub url: String,
    pub entry: Option<usize>,
    pub diff: bool,
    pub ignore: Option<String>,
    pub unordered: bool,
    pub gated: bool,
    pub timing: String,
    pub wait: f64,
    pub headers: Vec<crate::record::KvRow>,
}

/// `wscope replay FILE URL`.
pub async fn replay(file: &std::path::Path, args: ReplayArgs, options: &ConnOptions) -> anyhow::Result<u8> {
    use std::io::IsTerminal;
    let shown = file.display().to_string();
    let mut recordings = crate::recording::load(file)?;
    // Of a HAR's several connections, the one recorded at the path replayed
    // to, unless --entry names one.
    let path_of = |url: &str| url::Url::parse(url).ok().map(|url| url.path().to_string());
    let wanted = path_of(&args.url);
    if args.entry.is_none()
        && recordings.len() > 1
        && let Some(at) = recordings
            .iter()
            .position(|recording| wanted.is_some() && path_of(&recording.url) == wanted)
    {
        recordings = vec![recordings.swap_remove(at)];
    }
    let recording = crate::recording::choose(recordings, args.entry, &shown)
        .map_err(|list| anyhow::anyhow!("{}", list.trim_end()))?;
    let ignore = match &args.ignore {
        Some(text) => crate::replay::MatchRule::parse(text).map_err(|e| anyhow::anyhow!("--ignore {e}"))?,
        None => crate::replay::MatchRule::Exact,
    };
    let timing = crate::replay::Timing::parse(&args.timing).map_err(|e| anyhow::anyhow!("--timing {e}"))?;
    // A header the recording masked has no value to send; the others are
    // sent as recorded, a `{{` in them naming no variable of this user's.
    let (_, _, recorded_headers) = crate::recording::request_text(&recording);
    let recorded_headers: Vec<_> = recorded_headers
        .into_iter()
        .filter(|h| h.value != crate::secrets::FILE_MASK)
        .collect();
    let base = Profile {
        url: args.url.clone(),
        headers: recorded_headers,
        subprotocols: recording.subprotocol.iter().cloned().collect(),
        ..Profile::default()
    };
    let overrides = Overrides {
        headers: &args.headers,
        ..Overrides::default()
    };
    let prepared = prepare(Some(base), &overrides, options)?;
    let script = crate::replay::Script::of(&recording);
    let client = crate::headless::replay::ReplayClient {
        gated: args.gated,
        timing,
        wait: Duration::from_secs_f64(args.wait),
        diff: args.diff,
        unordered: args.unordered,
        ignore,
        sanitize: std::io::stdout().is_terminal(),
    };
    let outcome = crate::headless::replay::run(prepared.resolved, prepared.run, script, client).await;
    // Frames went through `sanitize` already; the rest is ours or sanitized previews.
    emit(outcome.report.as_bytes())?;
    Ok(outcome.exit_code)
}

/// Writes JUnit XML for `reports` to `path`.
/// Created owner-only, like exports: failed steps quote the frames that
/// failed them, which may carry tokens.
fn write_junit(path: &std::path::Path, reports: &[FlowReport]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut file| file.write_all(crate::flow::report::junit(reports).as_bytes()))
        .with_context(|| format!("cannot write --junit {}", path.display()))
}

pub async fn pipe(
    request: &RequestArgs,
    options: &ConnOptions,
    ndjson: bool,
    keep_open: bool,
    linger: f64,
    raw: bool,
) -> anyhow::Result<u8> {
    use std::io::IsTerminal;
    let (resolved, _, run) = headless_request(request, options)?;
    let pipe_options = PipeOptions {
        ndjson,
        keep_open,
        linger: std::time::Duration::from_secs_f64(linger),
        sanitize: !raw && std::io::stdout().is_terminal(),
        decode: resolved.protocol.frame_decoder(run.payloads.clone()),
    };
    Ok(crate::headless::pipe::run(resolved, run, pipe_options).await)
}

/// A request ready for a headless command: resolved, with the messages
/// to send once open, the connection settings and the variables.
pub(super) struct Prepared {
    pub resolved: ResolvedRequest,
    /// The profile's on-connect messages, then its message; encoded.
    pub on_connect: Vec<String>,
    pub message: Option<String>,
    pub run: Run,
    pub resolver: vars::Resolver,
}

/// What the command line adds to a profile's request.
#[derive(Default)]
pub(super) struct Overrides<'a> {
    pub url: Option<&'a str>,
    pub message: Option<&'a str>,
    pub params: &'a [crate::record::KvRow],
    pub headers: &'a [crate::record::KvRow],
    pub environment: Option<&'a str>,
}

/// The request, the messages to send once open, and the connection settings
/// for a headless command, from the command line and any profile.
fn headless_request(
    request: &RequestArgs,
    options: &ConnOptions,
) -> anyhow::Result<(ResolvedRequest, Vec<String>, Run)> {
    if let Some(extra) = request.more_urls.first() {
        bail!("one URL at a time here ({extra:?} is a second one); tabs are the inspector's");
    }
    if request.profiles.len() > 1 {
        bail!("one profile at a time here; several -p open tabs in the inspector");
    }
    let base = match request.profile() {
        Some(name) => Some(load_profile(name, options)?),
        None => None,
    };
    let overrides = Overrides {
        url: request.url.as_deref(),
        message: request.message.as_deref(),
        params: &request.params,
        headers: &request.headers,
        environment: request.environment.as_deref(),
    };
    let prepared = prepare(base, &overrides, options)?;
    let messages = prepared.on_connect.into_iter().chain(prepared.message).collect();
    Ok((prepared.resolved, messages, prepared.run))
}

/// Loads a saved profile by name.
pub(super) fn load_profile(name: &str, options: &ConnOptions) -> anyhow::Result<Profile> {
    let storage = storage(options).context("no config directory to load profiles from; pass --config-dir DIR")?;
    Ok(storage.profiles.load(name)?)
}

/// Builds the request from `base` (a saved profile's, when it is one) and
/// the command line.
pub(super) fn prepare(base: Option<Profile>, overrides: &Overrides, options: &ConnOptions) -> anyhow::Result<Prepared> {
    let (config, config_error) = load_config(options);
    if let Some(error) = config_error {
        eprintln!("wscope: {error}");
    }
    let from_profile = base.is_some();
    let mut profile = base.unwrap_or_default();
    if let Some(url) = overrides.url {
        profile.url = url.to_string();
    }
    if let Some(message) = overrides.message {
        profile.message = message.to_string();
    }
    profile.params.extend(overrides.params.iter().cloned());
    profile.headers.extend(overrides.headers.iter().cloned());
    // The run's settings are read off the request before the command
    // line's protocol choices are laid over it (they weigh on no setting).
    let settings = Settings::resolve(options, &config.defaults, from_profile.then_some(&profile));
    settings.tab.protocol.lay_over(&mut profile);
    let environment = match overrides.environment {
        Some(name) => {
            let storage = storage(options)?;
            let environments = vars::load_environments(&storage.paths.environments())?;
            let vars = environments
                .get(name)
                .with_context(|| format!("no environment {name:?} in {}", storage.paths.environments().display()))?;
            Some((name.to_string(), vars.clone()))
        }
        None => None,
    };
    let resolver = vars::Resolver::new(environment);
    let mut resolved = resolve_request(&profile, &resolver, options.proxy.as_deref())?;
    resolved.protocol.ack = options.ack;
    let mut next_call_id = 1;
    let mut encode = |message: &String| -> anyhow::Result<String> {
        let text = resolver.resolve(message, "the message")?;
        resolved
            .protocol
            .encode(&text, &mut next_call_id)
            .map_err(|e| anyhow::anyhow!("the message: {e}"))
    };
    let on_connect = profile
        .on_connect
        .iter()
        .filter(|m| !m.is_empty())
        .map(&mut encode)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let message = (!profile.message.is_empty())
        .then(|| encode(&profile.message))
        .transpose()?;
    // A headless run ends with its connection: it never reconnects.
    let settings = Settings {
        reconnect: false,
        ..settings
    };
    let run = Run {
        settings: conn_settings(&settings, options)?,
        log: open_log(options)?,
        show_secrets: options.export_secrets,
        payloads: profile.decoder_source().build()?,
    };
    Ok(Prepared {
        resolved,
        on_connect,
        message,
        run,
        resolver,
    })
}
