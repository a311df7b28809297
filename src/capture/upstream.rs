//! The upstream side of a captured connection: where it goes, the upgrade
//! request passed on for the client, and the server's answer.
//!
//! The client's own handshake is relayed, key and all, rather than a new
//! one made: the server's `Sec-WebSocket-Accept`, its chosen subprotocol
//! and every header it sets reach the client as the server wrote them, and
//! a refusal goes back byte for byte.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use url::Url;

use super::head::{self, Headers, RequestHead, ResponseHead};
use crate::conn::{self, ConnError, Dialed, Phase};
use crate::request::ProxyChoice;

/// The most of a refusal's body passed back to the client.
pub const MAX_REFUSAL_BODY: usize = 256 * 1024;

/// How long a refusal's body may take to arrive.
const REFUSAL_BODY_TIMEOUT: Duration = Duration::from_secs(5);

/// A reverse proxy's target for a client at `client_target`: the client's
/// path joined onto the upstream's, and both queries kept (the upstream's
/// first). `ws://up/base` and `/room1?x=1` give `ws://up/base/room1?x=1`.
pub fn reverse_target(upstream: &Url, client_target: &str) -> Url {
    let (path, query) = match client_target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (client_target, None),
    };
    let mut url = upstream.clone();
    let base = upstream.path().trim_end_matches('/');
    let joined = match path {
        "" | "/" if !base.is_empty() => upstream.path().to_string(),
        path if path.starts_with('/') => format!("{base}{path}"),
        path => format!("{base}/{path}"),
    };
    url.set_path(&joined);
    let query = match (
        upstream.query().filter(|q| !q.is_empty()),
        query.filter(|q| !q.is_empty()),
    ) {
        (Some(ours), Some(theirs)) => Some(format!("{ours}&{theirs}")),
        (Some(ours), None) => Some(ours.to_string()),
        (None, theirs) => theirs.map(str::to_string),
    };
    url.set_query(query.as_deref());
    url
}

/// The upgrade request as it goes upstream.
#[derive(Debug, Clone)]
pub struct UpgradeRequest {
    pub head: Vec<u8>,
    /// Its headers, for the inspector and the log.
    pub headers: Headers,
    /// The `Sec-WebSocket-Extensions` the client offered and wscope took out.
    pub removed_extensions: Option<String>,
}

/// The client's upgrade request, readdressed to `url`: hop-by-hop headers
/// out, Host rewritten, extensions removed (wscope cannot inflate
/// permessage-deflate frames), `extra` (the user's -H) in place of any
/// header of the same name.
pub fn upgrade_request(url: &Url, client: &RequestHead, extra: &[(HeaderName, HeaderValue)]) -> UpgradeRequest {
    let mut removed_extensions = None;
    let mut headers: Headers = vec![("Host".into(), host_header(url).into_bytes())];
    for (name, value) in head::without_hop_by_hop(&client.headers) {
        if name.eq_ignore_ascii_case("host") || extra.iter().any(|(n, _)| n.as_str().eq_ignore_ascii_case(&name)) {
            continue;
        }
        if name.eq_ignore_ascii_case("sec-websocket-extensions") {
            removed_extensions = Some(String::from_utf8_lossy(&value).into_owned());
            continue;
        }
        headers.push((name, value));
    }
    headers.push(("Connection".into(), b"Upgrade".to_vec()));
    headers.push(("Upgrade".into(), b"websocket".to_vec()));
    for (name, value) in extra {
        headers.push((name.as_str().to_string(), value.as_bytes().to_vec()));
    }
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let head = head::encode(&format!("GET {target} HTTP/1.1"), &headers);
    UpgradeRequest {
        head,
        headers,
        removed_extensions,
    }
}

/// `host` or `host:port` when the port is not the scheme's own.
pub fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// How to reach upstream servers.
#[derive(Debug, Clone)]
pub struct Dialer {
    pub proxy: ProxyChoice,
    pub connect_timeout: Duration,
    pub tls: Option<Arc<ClientConfig>>,
}

impl Dialer {
    /// Connects to `url`'s host (through the chosen proxy, with TLS for
    /// `wss://` and `https://`), within the connect time-out.
    pub async fn dial(&self, url: &Url) -> Result<Dialed, ConnError> {
        let deadline = Instant::now() + self.connect_timeout;
        let tls = self.tls.clone();
        conn::dial(url, &self.proxy, deadline, self.connect_timeout, move || {
            tls.ok_or_else(|| ConnError::Tls {
                reason: "TLS is not set up".into(),
            })
        })
        .await
    }
}

/// What the server answered.
pub enum Answer {
    /// 101: the socket, the response and what came after it (the first
    /// frames, when the server speaks at once).
    Upgraded {
        stream: conn::Transport,
        response: ResponseHead,
        leftover: Vec<u8>,
        dialed: DialTimes,
    },
    /// Anything else: the response and as much of its body as came, to
    /// pass back to the client as it was.
    Refused { response: ResponseHead, body: Vec<u8> },
}

/// How long each phase took, for the inspector's handshake view.
#[derive(Debug, Clone, Copy)]
pub struct DialTimes {
    pub dns: Duration,
    pub tcp: Duration,
    pub tls: Option<Duration>,
    pub upgrade: Duration,
    pub total: Duration,
}

/// Connects to `url` (through the chosen proxy, with TLS for `wss://`)
/// and sends `request`.
pub async fn open(url: &Url, request: &UpgradeRequest, dialer: &Dialer) -> Result<(Answer, Option<String>), ConnError> {
    let start = Instant::now();
    let deadline = start + dialer.connect_timeout;
    let Dialed {
        mut stream,
        proxy,
        dns,
        tcp,
        tls: tls_time,
    } = dialer.dial(url).await?;
    let upgrade_start = Instant::now();
    let io_error = |e: std::io::Error| ConnError::from_io(Phase::Upgrade, &e, url.as_str());
    let exchange = async {
        stream.write_all(&request.head).await.map_err(io_error)?;
        let mut buffer = Vec::new();
        let response = head::read_response(&mut stream, &mut buffer)
            .await
            .map_err(|e| ConnError::Protocol(format!("the server's answer: {e}")))?;
        Ok::<_, ConnError>((response, buffer))
    };
    let (response, leftover) =
        tokio::time::timeout_at(deadline.into(), exchange)
            .await
            .map_err(|_| ConnError::Timeout {
                phase: Phase::Upgrade,
                after: dialer.connect_timeout,
            })??;
    if response.status != 101 {
        let body = refusal_body(&mut stream, &response, leftover).await;
        return Ok((Answer::Refused { response, body }, proxy));
    }
    let done = Instant::now();
    let dialed = DialTimes {
        dns,
        tcp,
        tls: tls_time,
        upgrade: done - upgrade_start,
        total: done - start,
    };
    Ok((
        Answer::Upgraded {
            stream,
            response,
            leftover,
            dialed,
        },
        proxy,
    ))
}

/// The body of a refusal: Content-Length's worth, or what comes until the
/// server closes, bounded in size and time.
async fn refusal_body(stream: &mut conn::Transport, response: &ResponseHead, mut body: Vec<u8>) -> Vec<u8> {
    let wanted = head::value(&response.headers, "content-length")
        .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse::<usize>().ok())
        .unwrap_or(MAX_REFUSAL_BODY)
        .min(MAX_REFUSAL_BODY);
    let reading = async {
        let mut chunk = [0u8; 8192];
        while body.len() < wanted {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(read) => body.extend_from_slice(&chunk[..read]),
            }
        }
    };
    let _ = tokio::time::timeout(REFUSAL_BODY_TIMEOUT, reading).await;
    body.truncate(wanted);
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("a URL")
    }

    #[test]
    fn the_clients_path_and_query_join_the_upstreams() {
        let up = url("ws://up:9/");
        assert_eq!(reverse_target(&up, "/room1?x=1").as_str(), "ws://up:9/room1?x=1");
        assert_eq!(reverse_target(&up, "/").as_str(), "ws://up:9/");
        let based = url("wss://up/base/?k=v");
        assert_eq!(
            reverse_target(&based, "/room1?x=1").as_str(),
            "wss://up/base/room1?k=v&x=1"
        );
        assert_eq!(reverse_target(&based, "/").as_str(), "wss://up/base/?k=v");
    }

    #[test]
    fn the_upgrade_goes_up_readdressed_without_extensions_and_with_the_users_headers() {
        let client = RequestHead {
            method: "GET".into(),
            target: "/room1".into(),
            headers: [
                ("Host", "127.0.0.1:8899"),
                ("Connection", "Upgrade"),
                ("Upgrade", "websocket"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                ("Sec-WebSocket-Extensions", "permessage-deflate"),
                ("Sec-WebSocket-Protocol", "chat, superchat"),
                ("Api-Key", "from-client"),
            ]
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
            .collect(),
        };
        let extra = [(
            HeaderName::from_static("api-key"),
            HeaderValue::from_static("from-user"),
        )];
        let request = upgrade_request(&url("ws://up:9/room1"), &client, &extra);
        let text = String::from_utf8(request.head).expect("text");
        assert!(text.starts_with("GET /room1 HTTP/1.1\r\nHost: up:9\r\n"), "{text}");
        assert!(text.contains("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
        assert!(text.contains("Sec-WebSocket-Protocol: chat, superchat\r\n"));
        assert!(text.contains("api-key: from-user\r\n"));
        assert!(!text.contains("from-client"));
        assert!(!text.contains("deflate"));
        assert_eq!(request.removed_extensions.as_deref(), Some("permessage-deflate"));
    }
}
