//! `wscope test` and `wscope pipe`: the request from the command line and
//! any profile, then the headless runners.

use std::time::Duration;

use anyhow::{Context, bail};

use super::emit;
use super::setup::{conn_settings, load_config, open_log, storage};
use crate::cli::{ConnOptions, RequestArgs};
use crate::conn::ResolvedRequest;
use crate::filter::Pattern;
use crate::headless::Run;
use crate::headless::pipe::PipeOptions;
use crate::headless::test::Expectation;
use crate::profile::resolve::resolve_request;
use crate::profile::{Profile, vars};
use crate::settings::Settings;

/// What `test` checks, as given on the command line.
pub struct TestArgs {
    pub expect: Option<String>,
    pub expect_jq: Option<String>,
    pub timeout: f64,
    pub json: bool,
}

pub async fn test(request: &RequestArgs, options: &ConnOptions, args: TestArgs) -> anyhow::Result<u8> {
    let (resolved, messages, run) = headless_request(request, options)?;
    let pattern = match (args.expect, args.expect_jq) {
        (Some(regex), _) => Pattern::compile(&regex).map_err(|e| anyhow::anyhow!("--expect: {e}"))?,
        (None, Some(jq)) => Pattern::compile(&format!("{}{jq}", crate::filter::JQ_PREFIX))
            .map_err(|e| anyhow::anyhow!("--expect-jq: {e}"))?,
        (None, None) => None,
    };
    let expectation = Expectation {
        pattern,
        timeout: Duration::from_secs_f64(args.timeout.max(0.1)),
    };
    let report = crate::headless::test::run(resolved, messages, run, expectation).await;
    if args.json {
        say!("{}", report.json())?;
    } else {
        emit(report.text().as_bytes())?;
    }
    Ok(report.exit_code)
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
        decode: crate::decode::FrameDecoder {
            text: resolved.protocol.decoder(),
            binary: run.payloads.clone(),
        },
    };
    Ok(crate::headless::pipe::run(resolved, run, pipe_options).await)
}

/// The request, the messages to send once open, and the connection settings
/// for a headless command, from the command line and any profile.
fn headless_request(
    request: &RequestArgs,
    options: &ConnOptions,
) -> anyhow::Result<(ResolvedRequest, Vec<String>, Run)> {
    let storage = storage(options).ok();
    let (config, config_error) = load_config(options);
    if let Some(error) = config_error {
        eprintln!("wscope: {error}");
    }
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
    options.apply_protocol(&mut profile);
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
    let mut resolved = resolve_request(&profile, &resolver, options.proxy.as_deref())?;
    resolved.protocol.ack = options.ack;
    let mut messages = Vec::new();
    let mut next_call_id = 1;
    for message in profile.on_connect.iter().chain(std::iter::once(&profile.message)) {
        if !message.is_empty() {
            let text = resolver.resolve(message, "the message")?;
            messages.push(
                resolved
                    .protocol
                    .encode(&text, &mut next_call_id)
                    .map_err(|e| anyhow::anyhow!("the message: {e}"))?,
            );
        }
    }
    let settings = Settings::resolve(options, &config.defaults, request.profile.as_ref().map(|_| &profile));
    // A headless run ends with its connection: it never reconnects.
    let settings = Settings {
        reconnect: false,
        ..settings
    };
    let run = Run {
        settings: conn_settings(&settings, options)?,
        log: open_log(options)?,
        show_secrets: options.export_secrets,
        payloads: crate::decode::PayloadDecoder::for_profile(&profile)?,
    };
    Ok((resolved, messages, run))
}
