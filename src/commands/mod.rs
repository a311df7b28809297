//! The subcommands, one module each; `main` only parses and dispatches.
//!
//! May import: `action`, `app`, `capture`, `cli`, `completions`, `config`, `conn`,
//! `decode`, `filter`, `flow`, `format`, `frames`, `headless`, `keymap`, `loadtest`, `log_sink`,
//! `profile`, `protocol`, `record`, `recording`, `replay`, `request`, `sanitize`,
//! `secrets`, `server`, `settings`, `stats`, `tui`, `ui`.

use anyhow::{Context, bail};

use crate::cli::{Cli, Command};
use crate::server::Mode;

/// Writes to standard output. A reader that went away (`wscope profiles |
/// head`) ends the output quietly, as in other Unix tools, instead of the
/// panic `println!` gives on a closed pipe.
pub(crate) fn emit(bytes: &[u8]) -> std::io::Result<()> {
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
        $crate::commands::emit(format!("{}\n", format_args!($($arg)*)).as_bytes())
    };
}

mod config_file;
mod export_flow;
mod headless;
mod inspector;
mod profiles;
mod proxy;
mod serve;
mod setup;
mod stats;

/// Runs the command line; the result is the exit status.
pub async fn run(cli: Cli) -> anyhow::Result<u8> {
    let request = &cli.request;
    let has_request = request.url.is_some()
        || !request.more_urls.is_empty()
        || !request.headers.is_empty()
        || !request.params.is_empty()
        || request.message.is_some()
        || !request.profiles.is_empty()
        || request.environment.is_some();
    if cli.command.is_some() && has_request {
        bail!("a URL, -H, -q, -m, -p and -e go without a subcommand: wscope [URL] [OPTIONS]");
    }
    let options = &cli.options;
    match cli.command {
        Some(Command::Serve {
            host,
            port,
            flood,
            size,
            rate,
            socketio,
            replay,
            entry,
            match_rule,
            timing,
            looping,
            no_gate,
            reject_as_recorded,
        }) => match replay {
            Some(file) => {
                let args = serve::ReplayArgs {
                    file,
                    entry,
                    match_rule,
                    timing,
                    looping,
                    gated: !no_gate,
                    reject_as_recorded,
                };
                serve::replay(host, port, args).await
            }
            None => {
                let mode = match flood {
                    Some(count) => Mode::Flood {
                        count,
                        size,
                        rate,
                        socketio,
                    },
                    None => Mode::Demo,
                };
                serve::serve(host, port, mode).await
            }
        },
        Some(Command::Demo) => serve::demo(options).await,
        Some(Command::Test {
            request,
            expectations,
            count,
            repeat,
            max_latency,
            timeout,
            json,
            junit,
            expect,
            expect_jq,
        }) => {
            // Parsed without `Cli::parse_ordered`, the order across the two
            // options is not known: regexes first.
            let expectations = if expectations.is_empty() {
                let jq = expect_jq
                    .into_iter()
                    .map(|e| format!("{}{e}", crate::filter::JQ_PREFIX));
                expect.into_iter().chain(jq).collect()
            } else {
                expectations
            };
            let args = headless::TestArgs {
                expectations,
                count,
                repeat,
                max_latency,
                timeout,
                json,
                junit,
            };
            headless::test(&request, options, args).await
        }
        Some(Command::Open { file, entry }) => inspector::open(&file, entry, options).await,
        Some(Command::Stats { file, entry, json }) => stats::run(stats::StatsArgs {
            file: &file,
            entry,
            group_by: options.group_by.as_deref(),
            json,
        }),
        Some(Command::Replay {
            file,
            url,
            entry,
            diff,
            ignore,
            unordered,
            no_gate,
            timing,
            wait,
            headers,
        }) => {
            let args = headless::ReplayArgs {
                url,
                entry,
                diff,
                ignore,
                unordered,
                gated: !no_gate,
                timing,
                wait,
                headers,
            };
            headless::replay(&file, args, options).await
        }
        Some(Command::Run {
            files,
            url,
            headers,
            params,
            profile,
            environment,
            json,
            junit,
            to,
            out,
            users,
            duration,
            lenient,
        }) => {
            if let Some(engine) = to {
                let shape = crate::loadtest::Shape {
                    users,
                    duration_secs: duration,
                };
                let export = export_flow::ExportArgs {
                    engine,
                    out,
                    shape,
                    lenient,
                    url,
                    headers,
                    params,
                    profile,
                };
                return export_flow::export_flows(&files, export, options);
            }
            let args = headless::RunArgs {
                url,
                headers,
                params,
                profile,
                environment,
                json,
                junit,
            };
            headless::run_flows(&files, args, options).await
        }
        Some(Command::Pipe {
            request,
            ndjson,
            keep_open,
            linger,
            raw,
        }) => headless::pipe(&request, options, ndjson, keep_open, linger, raw).await,
        Some(Command::Proxy(args)) => proxy::run(args, options).await,
        Some(Command::Profiles { names }) => {
            profiles::list_profiles(&setup::storage(options)?.profiles, names).map(|()| 0)
        }
        Some(Command::Completions { shell }) => {
            emit(crate::completions::script(shell).as_bytes())?;
            Ok(0)
        }
        Some(Command::Config { init, force, keys }) => {
            config_file::config_command(options, init, force, keys).map(|()| 0)
        }
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
            profiles::export(&setup::storage(options)?.profiles, &name, file.as_deref(), force).map(|()| 0)
        }
        Some(Command::Import {
            file,
            entry,
            curl,
            name,
            force,
        }) => profiles::import(
            &setup::storage(options)?.profiles,
            file.as_deref(),
            curl.as_deref(),
            name,
            force,
            entry,
        )
        .map(|()| 0),
        None => inspector::run(cli.request, options).await.map(|()| 0),
    }
}
