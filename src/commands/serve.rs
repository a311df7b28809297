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
