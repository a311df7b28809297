//! Turns what the user typed (URL, params, headers) into a handshake request.
//!
//! Pure: no I/O, so every rule here is unit-tested and the UI can call it on
//! each keystroke to validate as the user types.
//!
//! May import: `record`, `protocol` (the protocol a request speaks) and
//! `secrets` (which names are sensitive); never the connection task.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use url::Url;

use crate::record::KvRow;

/// Which proxy a request should use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProxyChoice {
    /// Follow HTTPS_PROXY / HTTP_PROXY / ALL_PROXY and NO_PROXY.
    #[default]
    FromEnvironment,
    /// Connect directly, whatever the environment says.
    Direct,
    /// Use this proxy (`http://`, `socks5://` or `socks5h://`).
    Url(String),
}

impl ProxyChoice {
    /// Reads a `--proxy` value or a profile's `proxy` field: `none` or
    /// `direct` means no proxy, anything else is a proxy URL.
    pub fn parse(text: &str) -> Self {
        match text.trim() {
            "" => Self::FromEnvironment,
            t if t.eq_ignore_ascii_case("none") || t.eq_ignore_ascii_case("direct") => Self::Direct,
            t => Self::Url(t.to_string()),
        }
    }
}

/// Why a URL cannot be connected to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    #[error("enter a ws:// or wss:// URL")]
    Empty,
    #[error("start the URL with ws:// or wss://")]
    MissingScheme,
    #[error("scheme must be ws:// or wss://, not {scheme}:// (try {suggestion}://)")]
    HttpScheme { scheme: String, suggestion: &'static str },
    #[error("scheme must be ws:// or wss://, not {0}://")]
    BadScheme(String),
    #[error("the URL has no host")]
    MissingHost,
    #[error("WebSocket URLs cannot have a #fragment")]
    Fragment,
    #[error("not a valid URL: {0}")]
    Invalid(String),
}

/// Why a params or headers row cannot be sent. Rows are numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    #[error("row {row} has a value but no name")]
    MissingName { row: usize },
    #[error("header name {name:?} is not a valid HTTP token (letters, digits and !#$%&'*+-.^_`|~ only)")]
    BadHeaderName { row: usize, name: String },
    #[error("value of header {name:?} holds a newline or control character")]
    BadHeaderValue { row: usize, name: String },
    #[error("header {name:?} is set by the WebSocket handshake itself and cannot be overridden")]
    ReservedHeader { row: usize, name: String },
}

impl RowProblem {
    /// The 1-based row the problem is in, so the UI can point at it.
    pub fn row(&self) -> usize {
        match self {
            Self::MissingName { row }
            | Self::BadHeaderName { row, .. }
            | Self::BadHeaderValue { row, .. }
            | Self::ReservedHeader { row, .. } => *row,
        }
    }
}

/// Anything that stops a request from being built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("URL: {0}")]
    Url(#[from] UrlProblem),
    #[error("params: {0}")]
    Param(RowProblem),
    #[error("headers: {0}")]
    Header(RowProblem),
}

/// A request that passed every check and can be handed to the connection task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRequest {
    /// The URL with enabled params appended to its query.
    pub url: Url,
    /// Validated extra handshake headers, in the order the user gave them.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Subprotocols to offer, in preference order.
    pub subprotocols: Vec<String>,
    /// Which proxy to go through.
    pub proxy: ProxyChoice,
    /// The protocol spoken over the socket (raw WebSocket by default).
    pub protocol: crate::protocol::Protocol,
}

/// Headers the handshake writes itself; a user value would break the upgrade.
const RESERVED_HEADERS: &[&str] = &[
    "connection",
    "upgrade",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-accept",
];

/// Like JavaScript's encodeURIComponent: spaces become %20, not `+`, which
/// every server decodes the same way.
const QUERY_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Parses and checks the URL the user typed.
pub fn parse_url(text: &str) -> Result<Url, UrlProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(UrlProblem::Empty);
    }
    if !text.contains("://") {
        return Err(UrlProblem::MissingScheme);
    }
    let url = Url::parse(text).map_err(|e| UrlProblem::Invalid(e.to_string()))?;
    match url.scheme() {
        "ws" | "wss" => {}
        "http" => {
            return Err(UrlProblem::HttpScheme {
                scheme: "http".into(),
                suggestion: "ws",
            });
        }
        "https" => {
            return Err(UrlProblem::HttpScheme {
                scheme: "https".into(),
                suggestion: "wss",
            });
        }
        other => return Err(UrlProblem::BadScheme(other.to_string())),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlProblem::MissingHost);
    }
    if url.fragment().is_some() {
        return Err(UrlProblem::Fragment);
    }
    Ok(url)
}

/// Appends the enabled params to the URL's query, keeping any query it had.
pub fn with_params(mut url: Url, params: &[KvRow]) -> Result<Url, RowProblem> {
    let mut extra = String::new();
    for (index, row) in params.iter().enumerate() {
        if !row.enabled || row.is_blank() {
            continue;
        }
        let key = row.key.trim();
        if key.is_empty() {
            return Err(RowProblem::MissingName { row: index + 1 });
        }
        if !extra.is_empty() {
            extra.push('&');
        }
        extra.extend(utf8_percent_encode(key, QUERY_COMPONENT));
        extra.push('=');
        extra.extend(utf8_percent_encode(&row.value, QUERY_COMPONENT));
    }
    if !extra.is_empty() {
        let query = match url.query() {
            Some(existing) if !existing.is_empty() => format!("{existing}&{extra}"),
            _ => extra,
        };
        url.set_query(Some(&query));
    }
    Ok(url)
}

/// Checks one header row against HTTP's rules.
pub fn validate_header(row_number: usize, row: &KvRow) -> Result<(HeaderName, HeaderValue), RowProblem> {
    let name = row.key.trim();
    if name.is_empty() {
        return Err(RowProblem::MissingName { row: row_number });
    }
    let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| RowProblem::BadHeaderName {
        row: row_number,
        name: name.to_string(),
    })?;
    if RESERVED_HEADERS.contains(&header_name.as_str()) {
        return Err(RowProblem::ReservedHeader {
            row: row_number,
            name: name.to_string(),
        });
    }
    let value = HeaderValue::from_str(&row.value).map_err(|_| RowProblem::BadHeaderValue {
        row: row_number,
        name: name.to_string(),
    })?;
    Ok((header_name, value))
}

/// The first problem among the enabled header rows, if any.
pub fn first_header_problem(headers: &[KvRow]) -> Option<RowProblem> {
    enabled_headers(headers).find_map(Result::err)
}

fn enabled_headers(headers: &[KvRow]) -> impl Iterator<Item = Result<(HeaderName, HeaderValue), RowProblem>> + '_ {
    headers
        .iter()
        .enumerate()
        .filter(|(_, row)| row.enabled && !row.is_blank())
        .map(|(index, row)| validate_header(index + 1, row))
}

/// Builds the full request, or says what is wrong with the first bad part.
pub fn build(url_text: &str, params: &[KvRow], headers: &[KvRow]) -> Result<ResolvedRequest, RequestError> {
    let url = parse_url(url_text)?;
    let url = with_params(url, params).map_err(RequestError::Param)?;
    let headers = enabled_headers(headers)
        .collect::<Result<Vec<_>, _>>()
        .map_err(RequestError::Header)?;
    Ok(ResolvedRequest {
        url,
        headers,
        subprotocols: Vec::new(),
        proxy: ProxyChoice::default(),
        protocol: crate::protocol::Protocol::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_of(text: &str, params: &[KvRow]) -> String {
        build(text, params, &[])
            .map(|r| r.url.to_string())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn accepts_ws_and_wss() {
        assert!(parse_url("ws://example.com/feed").is_ok());
        assert!(parse_url("  wss://example.com:8443  ").is_ok());
        assert!(parse_url("ws://[::1]:9001/").is_ok());
    }

    #[test]
    fn explains_bad_urls() {
        assert_eq!(parse_url(""), Err(UrlProblem::Empty));
        assert_eq!(parse_url("example.com/feed"), Err(UrlProblem::MissingScheme));
        assert_eq!(
            parse_url("https://example.com").map_err(|e| e.to_string()),
            Err("scheme must be ws:// or wss://, not https:// (try wss://)".to_string())
        );
        assert_eq!(parse_url("ftp://example.com"), Err(UrlProblem::BadScheme("ftp".into())));
        assert!(matches!(
            parse_url("ws://"),
            Err(UrlProblem::Invalid(_) | UrlProblem::MissingHost)
        ));
        assert_eq!(parse_url("ws://example.com/#top"), Err(UrlProblem::Fragment));
        assert!(matches!(parse_url("ws://exa mple.com"), Err(UrlProblem::Invalid(_))));
    }

    #[test]
    fn appends_params_percent_encoded_and_keeps_existing_query() {
        let params = [
            KvRow::new("room", "blue"),
            KvRow::new("q", "a b&c=d/é"),
            KvRow {
                enabled: false,
                ..KvRow::new("skipped", "x")
            },
            KvRow::new("", ""),
            KvRow::new("empty", ""),
        ];
        assert_eq!(
            url_of("ws://h/feed?token=1", &params),
            "ws://h/feed?token=1&room=blue&q=a%20b%26c%3Dd%2F%C3%A9&empty="
        );
        assert_eq!(
            url_of("ws://h/feed", &[KvRow::new("room", "blue")]),
            "ws://h/feed?room=blue"
        );
        assert_eq!(url_of("ws://h/feed?", &[KvRow::new("a", "1")]), "ws://h/feed?a=1");
        assert_eq!(url_of("ws://h/feed", &[]), "ws://h/feed");
    }

    #[test]
    fn param_without_name_is_refused() {
        assert_eq!(
            url_of("ws://h/", &[KvRow::new("a", "1"), KvRow::new(" ", "2")]),
            "params: row 2 has a value but no name"
        );
    }

    #[test]
    fn validates_headers() {
        let ok = build(
            "ws://h/",
            &[],
            &[KvRow::new("api-key", "s3cret"), KvRow::new("Origin", "http://x")],
        )
        .expect("valid headers");
        assert_eq!(ok.headers.len(), 2);
        assert_eq!(ok.headers[0].0.as_str(), "api-key");

        let bad_name = build("ws://h/", &[], &[KvRow::new("bad name", "v")]);
        assert!(matches!(
            bad_name,
            Err(RequestError::Header(RowProblem::BadHeaderName { row: 1, .. }))
        ));

        let bad_value = build("ws://h/", &[], &[KvRow::new("x", "ok"), KvRow::new("y", "a\nb")]);
        assert!(matches!(
            bad_value,
            Err(RequestError::Header(RowProblem::BadHeaderValue { row: 2, .. }))
        ));

        let reserved = build("ws://h/", &[], &[KvRow::new("Sec-WebSocket-Key", "x")]);
        assert!(matches!(
            reserved,
            Err(RequestError::Header(RowProblem::ReservedHeader { .. }))
        ));

        let disabled_bad = KvRow {
            enabled: false,
            ..KvRow::new("bad name", "v")
        };
        assert!(build("ws://h/", &[], &[disabled_bad]).is_ok());
    }
}
