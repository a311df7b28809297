use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use wscope::action::Action;
use wscope::app::{App, InitialRequest};
use wscope::cli::{Cli, Command, ConnOptions, RequestArgs};
use wscope::conn::{self, ConnSettings};
use wscope::server::DemoServer;
use wscope::tui::{self, LoopOptions};

const DEMO_MESSAGE: &str = r#"{"message":"Hello world"}"#;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The connection module passes its provider explicitly; this covers any
    // other rustls user in the process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("wscope: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("wscope: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Serve { host, port }) => {
            let server = DemoServer::start(SocketAddr::new(host, port))
                .await
                .with_context(|| format!("cannot listen on {host}:{port}"))?;
            println!("wscope demo server listening on {}", server.url());
            println!("It greets, echoes, and sends a tick every second. Ctrl-C stops it.");
            tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
            Ok(())
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
            inspector(request, &cli.options).await
        }
        None => inspector(cli.request, &cli.options).await,
    }
}

async fn inspector(request: RequestArgs, options: &ConnOptions) -> anyhow::Result<()> {
    let extra_roots = match &options.cacert {
        Some(path) => conn::load_pem_certs(path).with_context(|| format!("cannot read --cacert {}", path.display()))?,
        None => Vec::new(),
    };
    let ping_interval = (options.ping_interval > 0).then(|| Duration::from_secs(options.ping_interval));
    let settings = ConnSettings {
        ping_interval,
        connect_timeout: Duration::from_secs(options.connect_timeout.max(1)),
        extra_roots,
        ..ConnSettings::default()
    };
    let connect_now = request.url.is_some();
    let mut app = App::new(
        InitialRequest {
            url: request.url.unwrap_or_default(),
            message: request.message.unwrap_or_default(),
            params: request.params,
            headers: request.headers,
        },
        ping_interval,
    );
    if connect_now {
        app.update(Action::Connect);
    }
    let (handle, events) = conn::spawn(settings);
    tui::run(app, handle, events, LoopOptions { fps: options.fps })
        .await
        .context("terminal error")
}
