//! Opens a WebSocket connection step by step, timing each step.
//!
//! DNS, TCP, TLS and the upgrade are done separately (rather than through
//! `connect_async`) so each phase gets its own timing and its own error.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::{HOST, SEC_WEBSOCKET_PROTOCOL};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{WebSocketStream, client_async_with_config};
use tokio_util::either::Either;
use url::Host;

use super::error::{ConnError, Phase};
use super::metered::Metered;
use super::proxy;
use crate::record::{HandshakeReport, PhaseTimings};
use crate::request::ResolvedRequest;

/// Plain TCP, or TLS over it.
pub type Transport = Either<TcpStream, Box<tokio_rustls::client::TlsStream<TcpStream>>>;

pub type Socket = WebSocketStream<Metered<Transport>>;

/// Runs `future` against the overall deadline, naming the phase on time-out.
async fn within<T>(
    deadline: Instant,
    budget: Duration,
    phase: Phase,
    future: impl Future<Output = T>,
) -> Result<T, ConnError> {
    tokio::time::timeout_at(deadline.into(), future)
        .await
        .map_err(|_| ConnError::Timeout { phase, after: budget })
}

/// What dialing took, phase by phase, before any HTTP was spoken.
#[derive(Debug)]
pub struct Dialed {
    pub stream: Transport,
    /// The proxy gone through, with its credentials hidden.
    pub proxy: Option<String>,
    pub dns: Duration,
    pub tcp: Duration,
    pub tls: Option<Duration>,
}

/// Connects, upgrades and reports what the server answered.
pub async fn open(
    request: &ResolvedRequest,
    timeout: Duration,
    tls: impl FnOnce() -> Result<Arc<ClientConfig>, ConnError>,
    ws_config: WebSocketConfig,
) -> Result<(Socket, HandshakeReport), ConnError> {
    let start = Instant::now();
    let deadline = start + timeout;
    let url = &request.url;
    let port = url.port_or_known_default().unwrap_or(80);
    let target = format!("{}:{port}", url.host_str().unwrap_or_default());
    let dialed = dial(url, &request.proxy, deadline, timeout, tls).await?;
    let stream = dialed.stream;
    let upgrade_start = Instant::now();

    let mut http_request = url
        .as_str()
        .into_client_request()
        .map_err(|e| ConnError::from_handshake(e, &target))?;
    for (name, value) in &request.headers {
        // A user Host replaces the computed one (virtual-host testing);
        // everything else is added, so repeated headers stay repeated.
        if name == HOST {
            http_request.headers_mut().insert(name, value.clone());
        } else {
            http_request.headers_mut().append(name, value.clone());
        }
    }
    if !request.subprotocols.is_empty() {
        let offered = request.subprotocols.join(", ");
        let value = offered
            .parse()
            .map_err(|_| ConnError::Protocol(format!("invalid subprotocol list {offered:?}")))?;
        http_request.headers_mut().insert(SEC_WEBSOCKET_PROTOCOL, value);
    }
    let (socket, response) = within(
        deadline,
        timeout,
        Phase::Upgrade,
        client_async_with_config(http_request, Metered::new(stream), Some(ws_config)),
    )
    .await?
    .map_err(|e| ConnError::from_handshake(e, &target))?;
    let done = Instant::now();

    let report = HandshakeReport {
        status: response.status().as_u16(),
        headers: response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        protocol: response
            .headers()
            .get(SEC_WEBSOCKET_PROTOCOL)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        proxy: dialed.proxy,
        timings: PhaseTimings {
            dns: dialed.dns,
            tcp: dialed.tcp,
            tls: dialed.tls,
            upgrade: done - upgrade_start,
            total: done - start,
        },
    };
    Ok((socket, report))
}

/// Looks up, connects (through the chosen proxy) and, for `wss://` and
/// `https://`, sets up TLS: everything before the first HTTP byte, each
/// phase against the one `deadline`.
pub async fn dial(
    url: &url::Url,
    proxy_choice: &crate::request::ProxyChoice,
    deadline: Instant,
    timeout: Duration,
    tls: impl FnOnce() -> Result<Arc<ClientConfig>, ConnError>,
) -> Result<Dialed, ConnError> {
    let start = Instant::now();
    let port = url.port_or_known_default().unwrap_or(80);
    let host = url.host().ok_or_else(|| ConnError::Io {
        kind: std::io::ErrorKind::InvalidInput,
        detail: "the URL has no host".into(),
    })?;
    let target = format!("{host}:{port}");

    let proxy = proxy::proxy_for(url, proxy_choice, |name| std::env::var(name).ok())
        .map_err(|e| ConnError::Proxy(e.to_string()))?;
    // Through a proxy, the proxy's address is looked up and connected to;
    // the proxy reaches the target.
    let (dial_host, dial_port) = match &proxy {
        Some(proxy_url) => {
            let proxy_host = proxy_url
                .host()
                .map(|h| h.to_owned())
                .ok_or_else(|| ConnError::Proxy(format!("proxy {} has no host", proxy::redacted(proxy_url))))?;
            let default_port = if proxy_url.scheme() == "http" { 8080 } else { 1080 };
            (proxy_host, proxy_url.port().unwrap_or(default_port))
        }
        None => (host.to_owned(), port),
    };
    let dial_target = format!("{dial_host}:{dial_port}");
    let addrs: Vec<SocketAddr> = match &dial_host {
        Host::Ipv4(ip) => vec![SocketAddr::new((*ip).into(), dial_port)],
        Host::Ipv6(ip) => vec![SocketAddr::new((*ip).into(), dial_port)],
        Host::Domain(name) => {
            let name = name.to_string();
            within(
                deadline,
                timeout,
                Phase::Dns,
                tokio::net::lookup_host((name.as_str(), dial_port)),
            )
            .await?
            .map_err(|e| ConnError::from_io(Phase::Dns, &e, &name))?
            .collect()
        }
    };
    let resolved = Instant::now();

    let mut tcp = within(deadline, timeout, Phase::Tcp, connect_any(&addrs))
        .await?
        .map_err(|e| ConnError::from_io(Phase::Tcp, &e, &dial_target))?;
    if let Some(proxy_url) = &proxy {
        let target_host = match &host {
            Host::Domain(name) => name.to_string(),
            Host::Ipv4(ip) => ip.to_string(),
            Host::Ipv6(ip) => ip.to_string(),
        };
        tcp = within(
            deadline,
            timeout,
            Phase::Tcp,
            proxy::tunnel(tcp, proxy_url, &target_host, port),
        )
        .await?
        .map_err(|error| ConnError::from_tunnel(&proxy::redacted(proxy_url), error))?;
    }
    // Interactive traffic: small frames should leave at once.
    let _ = tcp.set_nodelay(true);
    let connected = Instant::now();

    let (stream, tls_time) = if matches!(url.scheme(), "wss" | "https") {
        let server_name = match &host {
            Host::Domain(name) => ServerName::try_from(name.to_string()),
            Host::Ipv4(ip) => Ok(ServerName::IpAddress((*ip).into())),
            Host::Ipv6(ip) => Ok(ServerName::IpAddress((*ip).into())),
        }
        .map_err(|e| ConnError::Tls {
            reason: format!("invalid server name: {e}"),
        })?;
        let connector = tokio_rustls::TlsConnector::from(tls()?);
        let tls_stream = within(deadline, timeout, Phase::Tls, connector.connect(server_name, tcp))
            .await?
            .map_err(|e| ConnError::from_io(Phase::Tls, &e, &target))?;
        (Either::Right(Box::new(tls_stream)), Some(connected.elapsed()))
    } else {
        (Either::Left(tcp), None)
    };
    Ok(Dialed {
        stream,
        proxy: proxy.as_ref().map(super::proxy::redacted),
        dns: resolved - start,
        tcp: connected - resolved,
        tls: tls_time,
    })
}

/// Tries each resolved address in turn, as browsers do, keeping the last error.
async fn connect_any(addrs: &[SocketAddr]) -> std::io::Result<TcpStream> {
    let mut last_error = std::io::Error::new(std::io::ErrorKind::NotFound, "the host resolved to no address");
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last_error = e,
        }
    }
    Err(last_error)
}
