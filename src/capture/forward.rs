//! Forward mode: an HTTP proxy that clients are pointed at. WebSocket
//! upgrades are captured, in clear or inside TLS it opens with a minted
//! certificate; everything else passes through untouched.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use super::head::{self, HEAD_TIMEOUT, RequestHead};
use super::prefixed::Prefixed;
use super::relay::Io;
use super::{Proxy, capture, refuse_bad_head, upstream};

/// The first byte of a TLS handshake record.
const TLS_HANDSHAKE: u8 = 0x16;

pub(super) async fn serve(proxy: &Proxy, mut stream: TcpStream, buffer: Vec<u8>, head: RequestHead, peer: SocketAddr) {
    if let Some(expected) = &proxy.options.proxy_auth
        && head::value(&head.headers, "proxy-authorization") != Some(expected.as_bytes())
    {
        proxy.note(
            true,
            format!(
                "{peer}: {} {} without the right Proxy-Authorization: answered 407",
                head.method, head.target
            ),
        );
        head::respond(
            &mut stream,
            407,
            "Proxy Authentication Required",
            &[("Proxy-Authenticate", "Basic realm=\"wscope\"")],
            "this proxy wants --proxy-auth credentials\n",
        )
        .await;
        return;
    }
    if head.method.eq_ignore_ascii_case("CONNECT") {
        return tunnel(proxy, stream, buffer, &head.target, peer).await;
    }
    match Url::parse(&head.target) {
        Ok(mut url) if url.host().is_some() => {
            let secure = matches!(url.scheme(), "https" | "wss");
            if head::is_websocket_upgrade(&head) {
                let _ = url.set_scheme(if secure { "wss" } else { "ws" });
                capture(proxy, Box::new(stream), buffer, head, url, peer).await;
            } else {
                let _ = url.set_scheme(if secure { "https" } else { "http" });
                pass_through(proxy, Box::new(stream), buffer, head, url, peer).await;
            }
        }
        _ => {
            proxy.note(
                false,
                format!(
                    "{peer}: {} {} is not a proxy request: answered 400",
                    head.method, head.target
                ),
            );
            head::respond(
                &mut stream,
                400,
                "Bad Request",
                &[],
                "this is wscope's forward proxy: point a client at it (--proxy-server, HTTP_PROXY, HTTPS_PROXY)\n",
            )
            .await;
        }
    }
}

/// Whether CONNECTs to `host` are opened, or tunnelled blind.
fn intercepts(hosts: Option<&[String]>, host: &str) -> bool {
    let Some(hosts) = hosts else { return true };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    hosts.iter().any(|wanted| {
        let wanted = wanted.trim().trim_start_matches("*.");
        wanted == "*"
            || host.eq_ignore_ascii_case(wanted)
            || host
                .to_ascii_lowercase()
                .ends_with(&format!(".{}", wanted.to_ascii_lowercase()))
    })
}

/// `CONNECT host:port`: a tunnel, opened when the host is intercepted.
async fn tunnel(proxy: &Proxy, mut stream: TcpStream, mut buffer: Vec<u8>, authority: &str, peer: SocketAddr) {
    let Some((host, port)) = authority
        .rsplit_once(':')
        .and_then(|(host, port)| Some((host.to_string(), port.parse::<u16>().ok()?)))
    else {
        proxy.note(
            true,
            format!("{peer}: CONNECT {authority} names no host:port: answered 400"),
        );
        head::respond(&mut stream, 400, "Bad Request", &[], "CONNECT takes host:port\n").await;
        return;
    };
    if stream
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    if !intercepts(proxy.options.intercept_hosts.as_deref(), &host) {
        return blind(proxy, Box::new(stream), buffer, &host, port, peer).await;
    }
    // The client speaks first in HTTP and TLS alike; one that does not
    // within the head time-out is tunnelled blind.
    if buffer.is_empty() {
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout(HEAD_TIMEOUT, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(read)) => buffer.extend_from_slice(&chunk[..read]),
            Err(_) => return blind(proxy, Box::new(stream), buffer, &host, port, peer).await,
        }
    }
    let secure = buffer.first() == Some(&TLS_HANDSHAKE);
    let client: Box<dyn Io> = Box::new(Prefixed::new(buffer, stream));
    let mut client = if secure {
        match open_tls(proxy, client, &host).await {
            Ok(tls) => tls,
            Err(error) => {
                proxy.note(true, format!("{peer}: TLS with the client for {host} failed: {error}"));
                return;
            }
        }
    } else {
        client
    };
    let mut leftover = Vec::new();
    let head = match head::read_request(&mut client, &mut leftover).await {
        Ok(head) => head,
        Err(error) => return refuse_bad_head(proxy, &mut client, peer, error).await,
    };
    let scheme = match (secure, head::is_websocket_upgrade(&head)) {
        (true, true) => "wss",
        (false, true) => "ws",
        (true, false) => "https",
        (false, false) => "http",
    };
    let host_part = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let Ok(url) = Url::parse(&format!("{scheme}://{host_part}:{port}{}", origin_form(&head.target))) else {
        head::respond(
            &mut client,
            400,
            "Bad Request",
            &[],
            "the request target is not a path\n",
        )
        .await;
        return;
    };
    if head::is_websocket_upgrade(&head) {
        capture(proxy, client, leftover, head, url, peer).await;
    } else {
        pass_through(proxy, client, leftover, head, url, peer).await;
    }
}

/// A request target as a path: an absolute URI sent inside a tunnel
/// keeps only its path and query.
fn origin_form(target: &str) -> String {
    match Url::parse(target) {
        Ok(url) if url.host().is_some() => match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        },
        _ if target.starts_with('/') => target.to_string(),
        _ => format!("/{target}"),
    }
}

/// Opens TLS with the client, presenting a certificate minted for the
/// name it asks for (SNI), else the CONNECT host.
async fn open_tls(proxy: &Proxy, client: Box<dyn Io>, host: &str) -> Result<Box<dyn Io>, String> {
    let Some(authority) = &proxy.options.authority else {
        return Err("TLS interception is off (no certificate authority)".into());
    };
    let acceptor = tokio_rustls::LazyConfigAcceptor::new(rustls::server::Acceptor::default(), client);
    let start = tokio::time::timeout(HEAD_TIMEOUT, acceptor)
        .await
        .map_err(|_| "no TLS hello in time".to_string())?
        .map_err(|e| e.to_string())?;
    let name = start.client_hello().server_name().unwrap_or(host).to_string();
    let config = authority.server_config(&name).map_err(|e| e.to_string())?;
    let tls = tokio::time::timeout(HEAD_TIMEOUT, start.into_stream(config))
        .await
        .map_err(|_| "the TLS handshake took too long".to_string())?
        .map_err(|e| e.to_string())?;
    Ok(Box::new(tls))
}

/// A tunnel that is not opened: bytes each way, untouched.
async fn blind(proxy: &Proxy, mut client: Box<dyn Io>, buffer: Vec<u8>, host: &str, port: u16, peer: SocketAddr) {
    let Ok(url) = Url::parse(&format!("http://{host}:{port}/")) else {
        return;
    };
    match proxy.options.dialer.dial(&url).await {
        Ok(dialed) => {
            proxy.note(
                false,
                format!("{peer}: CONNECT {host}:{port} tunnelled blind (not in --intercept)"),
            );
            let mut server = dialed.stream;
            if server.write_all(&buffer).await.is_ok() {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        }
        Err(error) => proxy.note(true, format!("{peer}: CONNECT {host}:{port}: {error}")),
    }
}

/// A request that is not a WebSocket upgrade, sent on as it came (one
/// request per connection) and its answer streamed back.
async fn pass_through(
    proxy: &Proxy,
    mut client: Box<dyn Io>,
    leftover: Vec<u8>,
    head: RequestHead,
    url: Url,
    peer: SocketAddr,
) {
    let dialed = proxy.options.dialer.dial(&url).await;
    let mut server = match dialed {
        Ok(dialed) => dialed.stream,
        Err(error) => {
            proxy.note(true, format!("{peer}: {} {}: {error}", head.method, url));
            head::respond(
                &mut client,
                502,
                "Bad Gateway",
                &[],
                &format!("wscope proxy could not reach {url}: {error}\n"),
            )
            .await;
            return;
        }
    };
    let mut headers = head::without_hop_by_hop(&head.headers);
    if head::value(&headers, "host").is_none() {
        headers.insert(0, ("Host".into(), upstream::host_header(&url).into_bytes()));
    }
    headers.push(("Connection".into(), b"close".to_vec()));
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let request = head::encode(&format!("{} {target} HTTP/1.1", head.method), &headers);
    proxy.note(false, format!("{peer}: {} {url} passed through", head.method));
    if server.write_all(&request).await.is_err() || server.write_all(&leftover).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intercept_lists_match_hosts_and_their_subdomains() {
        let hosts = vec!["example.com".to_string(), "*.api.test".to_string()];
        assert!(intercepts(None, "anything"));
        assert!(intercepts(Some(&hosts), "example.com"));
        assert!(intercepts(Some(&hosts), "ws.example.com"));
        assert!(intercepts(Some(&hosts), "eu.api.test"));
        assert!(!intercepts(Some(&hosts), "notexample.com"));
        assert!(!intercepts(Some(&hosts), "other.org"));
    }

    #[test]
    fn a_target_inside_a_tunnel_becomes_a_path() {
        assert_eq!(origin_form("/room?x=1"), "/room?x=1");
        assert_eq!(origin_form("http://h:1/room?x=1"), "/room?x=1");
        assert_eq!(origin_form("*"), "/*");
    }
}
