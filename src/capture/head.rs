//! HTTP/1.1 heads on the proxy's sockets: read with limits (a peer that
//! sends a head slowly, or one that never ends, is cut off), filtered of
//! hop-by-hop headers, and written back out.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The largest head taken from a peer; browsers send 1–4 KB.
pub const MAX_HEAD: usize = 32 * 1024;

/// How long a peer may take to send a whole head: a slowloris is cut off
/// here rather than holding a socket open for ever.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

const MAX_HEADERS: usize = 128;

/// Why a head could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    #[error("the peer closed the connection before a whole HTTP head")]
    Closed,
    #[error("the HTTP head is larger than {} KB", MAX_HEAD / 1024)]
    TooLarge,
    #[error("no whole HTTP head within {}s", HEAD_TIMEOUT.as_secs())]
    Timeout,
    #[error("not HTTP: {0}")]
    Malformed(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Header names and raw values, in the order they came.
pub type Headers = Vec<(String, Vec<u8>)>;

/// A request's first line and headers.
#[derive(Debug, Clone)]
pub struct RequestHead {
    pub method: String,
    /// As sent: `/path?q` (origin form), `http://host/path` (absolute
    /// form, to a forward proxy) or `host:port` (CONNECT).
    pub target: String,
    pub headers: Headers,
}

/// A response's status line and headers, and the head's bytes as read.
#[derive(Debug, Clone)]
pub struct ResponseHead {
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
    pub raw: Vec<u8>,
}

/// Reads a request head. `buffer` holds what was read past the head
/// afterwards (the start of a body, or of the next layer).
pub async fn read_request<S: AsyncRead + Unpin>(
    stream: &mut S,
    buffer: &mut Vec<u8>,
) -> Result<RequestHead, HeadError> {
    let length = read_until_head(stream, buffer, |bytes| {
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut slots);
        match request.parse(bytes) {
            Ok(httparse::Status::Complete(length)) => Ok(Some(length)),
            Ok(httparse::Status::Partial) => Ok(None),
            Err(error) => Err(HeadError::Malformed(error.to_string())),
        }
    })
    .await?;
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut slots);
    request
        .parse(&buffer[..length])
        .map_err(|e| HeadError::Malformed(e.to_string()))?;
    let head = RequestHead {
        method: request.method.unwrap_or_default().to_string(),
        target: request.path.unwrap_or_default().to_string(),
        headers: owned(request.headers),
    };
    buffer.drain(..length);
    Ok(head)
}

/// Reads a response head; `buffer` keeps what came after it.
pub async fn read_response<S: AsyncRead + Unpin>(
    stream: &mut S,
    buffer: &mut Vec<u8>,
) -> Result<ResponseHead, HeadError> {
    let length = read_until_head(stream, buffer, |bytes| {
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut slots);
        match response.parse(bytes) {
            Ok(httparse::Status::Complete(length)) => Ok(Some(length)),
            Ok(httparse::Status::Partial) => Ok(None),
            Err(error) => Err(HeadError::Malformed(error.to_string())),
        }
    })
    .await?;
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut slots);
    response
        .parse(&buffer[..length])
        .map_err(|e| HeadError::Malformed(e.to_string()))?;
    let head = ResponseHead {
        status: response.code.unwrap_or_default(),
        reason: response.reason.unwrap_or_default().to_string(),
        headers: owned(response.headers),
        raw: buffer[..length].to_vec(),
    };
    buffer.drain(..length);
    Ok(head)
}

fn owned(headers: &[httparse::Header<'_>]) -> Headers {
    headers.iter().map(|h| (h.name.to_string(), h.value.to_vec())).collect()
}

async fn read_until_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    buffer: &mut Vec<u8>,
    complete: impl Fn(&[u8]) -> Result<Option<usize>, HeadError>,
) -> Result<usize, HeadError> {
    let reading = async {
        loop {
            if !buffer.is_empty()
                && let Some(length) = complete(buffer)?
            {
                return Ok(length);
            }
            if buffer.len() >= MAX_HEAD {
                return Err(HeadError::TooLarge);
            }
            let mut chunk = [0u8; 4096];
            let room = (MAX_HEAD - buffer.len()).min(chunk.len());
            let read = stream.read(&mut chunk[..room]).await?;
            if read == 0 {
                return Err(HeadError::Closed);
            }
            buffer.extend_from_slice(&chunk[..read]);
        }
    };
    tokio::time::timeout(HEAD_TIMEOUT, reading)
        .await
        .map_err(|_| HeadError::Timeout)?
}

/// The first value of header `name`, if any.
pub fn value<'a>(headers: &'a Headers, name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

/// Whether comma-separated header `name` lists `token` (`Connection: keep-alive, Upgrade`).
pub fn lists(headers: &Headers, name: &str, token: &str) -> bool {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .flat_map(|(_, v)| v.split(|b| *b == b','))
        .any(|t| String::from_utf8_lossy(t).trim().eq_ignore_ascii_case(token))
}

/// Whether the request asks for a WebSocket upgrade.
pub fn is_websocket_upgrade(head: &RequestHead) -> bool {
    head.method.eq_ignore_ascii_case("GET")
        && lists(&head.headers, "connection", "upgrade")
        && lists(&head.headers, "upgrade", "websocket")
}

/// Headers that belong to one hop and are never passed on (RFC 9110
/// §7.6.1), with those the Connection header names.
pub fn without_hop_by_hop(headers: &Headers) -> Headers {
    const HOP_BY_HOP: &[&str] = &[
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ];
    let named: Vec<String> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, v)| v.split(|b| *b == b','))
        .map(|t| String::from_utf8_lossy(t).trim().to_ascii_lowercase())
        .collect();
    headers
        .iter()
        .filter(|(name, _)| {
            let lower = name.to_ascii_lowercase();
            !HOP_BY_HOP.contains(&lower.as_str()) && !named.contains(&lower)
        })
        .cloned()
        .collect()
}

/// A head as bytes: the first line, each header, the blank line.
pub fn encode(first_line: &str, headers: &Headers) -> Vec<u8> {
    let mut out = Vec::with_capacity(first_line.len() + 32 * headers.len() + 4);
    out.extend_from_slice(first_line.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Answers a client with a short plain-text response and closes.
pub async fn respond<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: u16,
    reason: &str,
    extra: &[(&str, &str)],
    body: &str,
) {
    let mut headers: Headers = vec![
        ("Content-Type".into(), b"text/plain; charset=utf-8".to_vec()),
        ("Content-Length".into(), body.len().to_string().into_bytes()),
        ("Connection".into(), b"close".to_vec()),
    ];
    headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())));
    let mut out = encode(&format!("HTTP/1.1 {status} {reason}"), &headers);
    out.extend_from_slice(body.as_bytes());
    // The peer may be gone already; there is nobody to tell.
    let _ = stream.write_all(&out).await;
    let _ = stream.shutdown().await;
}

/// Headers as text, for the inspector and the log (values lossy UTF-8).
pub fn as_text(headers: &Headers) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    #[tokio::test]
    async fn a_head_is_read_and_what_follows_is_kept() {
        let mut input: &[u8] = b"GET /room1?x=1 HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x00";
        let mut buffer = Vec::new();
        let head = read_request(&mut input, &mut buffer).await.expect("a head");
        assert_eq!(head.method, "GET");
        assert_eq!(head.target, "/room1?x=1");
        assert!(is_websocket_upgrade(&head));
        assert_eq!(buffer, b"\x81\x00");
    }

    #[tokio::test]
    async fn garbage_oversized_and_cut_heads_are_refused() {
        let mut buffer = Vec::new();
        let mut garbage: &[u8] = b"\x16\x03\x01garbage\r\n\r\n";
        assert!(matches!(
            read_request(&mut garbage, &mut buffer).await,
            Err(HeadError::Malformed(_))
        ));
        let endless = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(MAX_HEAD));
        let mut endless = endless.as_bytes();
        buffer.clear();
        assert!(matches!(
            read_request(&mut endless, &mut buffer).await,
            Err(HeadError::TooLarge)
        ));
        let mut half: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n";
        buffer.clear();
        assert!(matches!(
            read_request(&mut half, &mut buffer).await,
            Err(HeadError::Closed)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_head_times_out() {
        let (mut client, mut server) = tokio::io::duplex(64);
        client.write_all(b"GET / HTTP/1.1\r\n").await.expect("written");
        let mut buffer = Vec::new();
        assert!(matches!(
            read_request(&mut server, &mut buffer).await,
            Err(HeadError::Timeout)
        ));
    }

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_dropped() {
        let kept = without_hop_by_hop(&headers(&[
            ("Host", "a"),
            ("Connection", "Upgrade, X-Private"),
            ("Upgrade", "websocket"),
            ("X-Private", "1"),
            ("Proxy-Authorization", "Basic eA=="),
            ("Sec-WebSocket-Key", "k"),
        ]));
        let names: Vec<&str> = kept.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Host", "Sec-WebSocket-Key"]);
    }
}
