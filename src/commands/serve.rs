//! `wscope serve` and `wscope demo`: the embedded demo server, alone or
//! with the inspector connected to it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anyhow::Context;

use crate::cli::{ConnOptions, RequestArgs};
use crate::server::{DemoServer, Mode};

const DEMO_MESSAGE: &str = r#"{"message":"Hello world"}"#;

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
    use crate::replay::serve::{ReplayOptions, ReplayServer};
    use crate::replay::{MatchRule, Script, Timing};
    let shown = args.file.display().to_string();
    let recording = crate::recording::choose(crate::recording::load(&args.file)?, args.entry, &shown)
        .map_err(|list| anyhow::anyhow!("{}", list.trim_end()))?;
    let rule = MatchRule::parse(&args.match_rule).map_err(|e| anyhow::anyhow!("--match {e}"))?;
    let timing = Timing::parse(&args.timing).map_err(|e| anyhow::anyhow!("--timing {e}"))?;
    let rejection = match (args.reject_as_recorded, recording.status) {
        (false, _) => None,
        (true, Some(status)) if status != 101 => Some((status, recording.rejection_body.clone().unwrap_or_default())),
        (true, _) => anyhow::bail!("--reject-as-recorded: {shown} recorded no rejected upgrade"),
    };
    let script = Script::of(&recording);
    let summary = format!(
        "{} server frames, {} client messages{}",
        script.server_frames(),
        script.turns.len(),
        if args.gated {
            ", each awaited"
        } else {
            ", on the recorded timeline"
        }
    );
    let options = ReplayOptions {
        gated: args.gated,
        rule,
        timing,
        looping: args.looping,
        subprotocol: recording.subprotocol.clone(),
        rejection,
    };
    let server = ReplayServer::start(SocketAddr::new(host, port), script, options, print_line)
        .await
        .with_context(|| format!("cannot listen on {host}:{port}"))?;
    say!("wscope replay server listening on {}", server.url())?;
    say!(
        "{}",
        crate::sanitize::one_line_owned(format!(
            "Replaying {shown} ({summary}) to every client. Ctrl-C stops it."
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
