//! `wscope serve` and `wscope demo`: the embedded demo server, alone or
//! with the inspector connected to it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anyhow::Context;

use crate::cli::{ConnOptions, RequestArgs};
use crate::server::{DemoServer, Mode};

// An id, so the echo pairs with it and its round trip is measured.
const DEMO_MESSAGE: &str = r#"{"type":"hello","id":1,"message":"Hello world"}"#;

pub async fn serve(host: IpAddr, port: u16, mode: Mode) -> anyhow::Result<u8> {
    let server = DemoServer::start_with(SocketAddr::new(host, port), mode)
        .await
        .with_context(|| format!("cannot listen on {host}:{port}"))?;
    say!("wscope demo server listening on {}", server.url())?;
    match mode {
        Mode::Demo => say!("It greets, echoes, and sends a tick every second. Ctrl-C stops it.")?,
        Mode::Flood {
            count,
            size,
            rate,
            socketio,
        } => say!(
            "Each client gets {count} {} of {size} bytes{}, then a close. Ctrl-C stops it.",
            if socketio { "Socket.IO events" } else { "text frames" },
            rate.map(|r| format!(" at {r}/s")).unwrap_or_default()
        )?,
    }
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    Ok(0)
}

/// `serve --replay FILE` as given.
pub struct ReplayArgs {
    pub file: std::path::PathBuf,
    pub entry: Option<usize>,
    pub match_rule: String,
    pub timing: String,
    pub looping: bool,
    pub gated: bool,
    pub reject_as_recorded: bool,
}

pub async fn replay(host: IpAddr, port: u16, args: ReplayArgs) -> anyhow::Result<u8> {
    use crate::replay::serve::{ReplayOptions, ReplayServer, Route};
    use crate::replay::{MatchRule, Script, Timing};
    let shown = args.file.display().to_string();
    let recordings = crate::recording::load(&args.file)?;
    // Every connection of the file, each at its recorded path, unless
    // --entry picks one (served at any path).
    let recordings = if args.entry.is_some() || recordings.len() == 1 {
        vec![
            crate::recording::choose(recordings, args.entry, &shown)
                .map_err(|list| anyhow::anyhow!("{}", list.trim_end()))?,
        ]
    } else {
        recordings
    };
    let timing = Timing::parse(&args.timing).map_err(|e| anyhow::anyhow!("--timing {e}"))?;
    let mut routes: Vec<Route> = Vec::new();
    let mut summaries = Vec::new();
    for recording in &recordings {
        let path = url::Url::parse(&recording.url)
            .map(|url| url.path().to_string())
            .unwrap_or_else(|_| "/".into());
        if routes.iter().any(|route| route.path == path) {
            summaries.push(format!("{path} again (not served: the first one is)"));
            continue;
        }
        let rejection = match (args.reject_as_recorded, recording.status) {
            (false, _) => None,
            (true, Some(status)) if status != 101 => {
                Some((status, recording.rejection_body.clone().unwrap_or_default()))
            }
            (true, _) if recordings.len() == 1 => {
                anyhow::bail!("--reject-as-recorded: {shown} recorded no rejected upgrade")
            }
            (true, _) => None,
        };
        let script = Script::of(recording);
        summaries.push(format!(
            "{}{} server frames, {} client messages",
            if recordings.len() > 1 {
                format!("{path}: ")
            } else {
                String::new()
            },
            script.server_frames(),
            script.turns.len(),
        ));
        let options = ReplayOptions {
            gated: args.gated,
            rule: MatchRule::parse(&args.match_rule).map_err(|e| anyhow::anyhow!("--match {e}"))?,
            timing,
            looping: args.looping,
            subprotocol: recording.subprotocol.clone(),
            rejection,
        };
        routes.push(Route { path, script, options });
    }
    let pacing = if args.gated {
        "each client message awaited"
    } else {
        "on the recorded timeline"
    };
    let server = ReplayServer::start_routes(SocketAddr::new(host, port), routes, print_line)
        .await
        .with_context(|| format!("cannot listen on {host}:{port}"))?;
    say!("wscope replay server listening on {}", server.url())?;
    say!(
        "{}",
        crate::sanitize::one_line_owned(format!(
            "Replaying {shown} ({}; {pacing}) to every client. Ctrl-C stops it.",
            summaries.join("; ")
        ))
    )?;
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    Ok(0)
}

fn print_line(line: &str) {
    let _ = say!("{line}");
}

pub async fn demo(options: &ConnOptions) -> anyhow::Result<u8> {
    let server = DemoServer::start(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0))
        .await
        .context("cannot start the demo server on 127.0.0.1")?;
    let request = RequestArgs {
        url: Some(server.url()),
        message: Some(DEMO_MESSAGE.to_string()),
        ..RequestArgs::default()
    };
    super::inspector::run(request, options).await.map(|()| 0)
}
