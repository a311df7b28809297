//! Turns a browser's "Copy as cURL" of a WebSocket request into a profile.
//!
//! Browsers include the handshake's own headers (`Upgrade`,
//! `Sec-WebSocket-Key`, …); those are dropped because the handshake writes
//! them itself. Origin, cookies, auth and the rest are kept.

use super::Profile;
use crate::record::KvRow;

/// Headers the WebSocket handshake sets itself, or that mean nothing to it.
const DROPPED_HEADERS: &[&str] = &[
    "upgrade",
    "connection",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
    "sec-websocket-accept",
    "host",
    "content-length",
    "accept-encoding",
];

/// Whether the handshake sets this header itself (or it means nothing to
/// it); `lower` is the name in lower case.
pub fn is_dropped_header(lower: &str) -> bool {
    DROPPED_HEADERS.contains(&lower)
}

/// curl options that take a value wscope has no use for.
const IGNORED_WITH_VALUE: &[&str] = &[
    "-X",
    "--request",
    "--max-time",
    "-m",
    "--connect-timeout",
    "-o",
    "--output",
    "--retry",
    "-w",
    "--write-out",
];

/// A parsed curl command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurlImport {
    pub profile: Profile,
    /// Things that were dropped or not understood, to show the user.
    pub notes: Vec<String>,
}

/// Why a curl command could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurlError {
    #[error("cannot split the command line: {0}")]
    Quoting(String),
    #[error("the command has no URL")]
    NoUrl,
    #[error("option {0} needs a value")]
    MissingValue(String),
}

/// Parses a curl command line (as a POSIX shell would split it).
pub fn parse(command: &str) -> Result<CurlImport, CurlError> {
    // "Copy as cURL (bash)" continues lines with a backslash.
    let joined = command.replace("\\\r\n", " ").replace("\\\n", " ");
    let words = shell_words::split(&joined).map_err(|e| CurlError::Quoting(e.to_string()))?;
    let mut words = words.into_iter().peekable();
    if words.peek().is_some_and(|w| w == "curl" || w.ends_with("/curl")) {
        words.next();
    }

    let mut url = None;
    let mut headers: Vec<KvRow> = Vec::new();
    let mut cookies: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    let mut dropped = Vec::new();
    while let Some(word) = words.next() {
        let mut value_of = |name: &str| words.next().ok_or_else(|| CurlError::MissingValue(name.to_string()));
        match word.as_str() {
            "-H" | "--header" => {
                let header = value_of(&word)?;
                match header.split_once(':') {
                    Some((name, value)) => {
                        let name = name.trim();
                        if DROPPED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                            dropped.push(name.to_string());
                        } else if name.eq_ignore_ascii_case("cookie") {
                            cookies.push(value.trim().to_string());
                        } else {
                            headers.push(KvRow::new(name, value.trim()));
                        }
                    }
                    None => notes.push(format!("skipped header without a colon: {header}")),
                }
            }
            "-b" | "--cookie" => {
                let cookie = value_of(&word)?;
                if cookie.contains('=') {
                    cookies.push(cookie);
                } else {
                    notes.push(format!(
                        "skipped cookie file {cookie:?} (only inline cookies are imported)"
                    ));
                }
            }
            "-A" | "--user-agent" => headers.push(KvRow::new("User-Agent", value_of(&word)?)),
            "-e" | "--referer" => headers.push(KvRow::new("Referer", value_of(&word)?)),
            "--url" => url = Some(value_of(&word)?),
            "-u" | "--user" => {
                value_of(&word)?;
                notes.push("skipped -u: add an Authorization header instead".to_string());
            }
            "-k" | "--insecure" => notes.push("the command used --insecure".to_string()),
            w if IGNORED_WITH_VALUE.contains(&w) => {
                value_of(w)?;
            }
            w if w.starts_with('-') => {}
            _ if url.is_none() => url = Some(word),
            _ => notes.push(format!("skipped extra argument {word:?}")),
        }
    }
    if !cookies.is_empty() {
        headers.push(KvRow::new("Cookie", cookies.join("; ")));
    }
    if !dropped.is_empty() {
        notes.push(format!("dropped handshake headers: {}", dropped.join(", ")));
    }

    let url = url.ok_or(CurlError::NoUrl)?;
    let (url, params) = split_query(&websocket_scheme(&url));
    Ok(CurlImport {
        profile: Profile {
            url,
            params,
            headers,
            ..Profile::default()
        },
        notes,
    })
}

/// Browsers sometimes copy a WebSocket URL as http(s)://.
fn websocket_scheme(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        url.to_string()
    }
}

/// Moves the query string into param rows, which are easier to edit.
fn split_query(text: &str) -> (String, Vec<KvRow>) {
    match url::Url::parse(text) {
        Ok(mut url) if url.query().is_some_and(|q| !q.is_empty()) => {
            let params = url
                .query_pairs()
                .map(|(k, v)| KvRow::new(k.into_owned(), v.into_owned()))
                .collect();
            url.set_query(None);
            (url.to_string(), params)
        }
        _ => (text.to_string(), Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chrome's "Copy as cURL (bash)" on a WebSocket request.
    const CHROME: &str = r#"curl 'wss://stream.example.com/v1/feed?room=blue&token=a%20b' \
  -H 'Upgrade: websocket' \
  -H 'Origin: https://app.example.com' \
  -H 'Cache-Control: no-cache' \
  -H 'Accept-Language: en-GB,en;q=0.9' \
  -H 'Pragma: no-cache' \
  -H 'Connection: Upgrade' \
  -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
  -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' \
  -H 'Sec-WebSocket-Version: 13' \
  -H 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits' \
  -b 'session=abc123; theme=dark'"#;

    /// Firefox's "Copy as cURL" on the same request (one line, https scheme,
    /// cookies as a header).
    const FIREFOX: &str = r#"curl 'https://stream.example.com/v1/feed?room=blue' -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' -H 'Accept: */*' -H 'Accept-Language: en-US,en;q=0.5' -H 'Accept-Encoding: gzip, deflate, br, zstd' -H 'Sec-WebSocket-Version: 13' -H 'Origin: https://app.example.com' -H 'Sec-WebSocket-Extensions: permessage-deflate' -H 'Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==' -H 'Connection: keep-alive, Upgrade' -H 'Cookie: session=abc123' -H 'Sec-Fetch-Dest: empty' -H 'Sec-Fetch-Mode: websocket' -H 'Sec-Fetch-Site: same-site' -H 'Pragma: no-cache' -H 'Cache-Control: no-cache' -H 'Upgrade: websocket'"#;

    fn header<'a>(import: &'a CurlImport, name: &str) -> Option<&'a str> {
        import
            .profile
            .headers
            .iter()
            .find(|h| h.key.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    #[test]
    fn chrome_copy_as_curl() {
        let import = parse(CHROME).unwrap();
        assert_eq!(import.profile.url, "wss://stream.example.com/v1/feed");
        assert_eq!(
            import.profile.params,
            vec![KvRow::new("room", "blue"), KvRow::new("token", "a b")]
        );
        assert_eq!(header(&import, "Origin"), Some("https://app.example.com"));
        assert_eq!(header(&import, "Cookie"), Some("session=abc123; theme=dark"));
        for dropped in [
            "Upgrade",
            "Connection",
            "Sec-WebSocket-Key",
            "Sec-WebSocket-Version",
            "Sec-WebSocket-Extensions",
        ] {
            assert_eq!(header(&import, dropped), None, "{dropped} is dropped");
        }
        assert!(header(&import, "User-Agent").is_some_and(|ua| ua.contains("Chrome")));
        assert!(import.notes.iter().any(|n| n.contains("Sec-WebSocket-Key")));
    }

    #[test]
    fn firefox_copy_as_curl() {
        let import = parse(FIREFOX).unwrap();
        assert_eq!(import.profile.url, "wss://stream.example.com/v1/feed");
        assert_eq!(import.profile.params, vec![KvRow::new("room", "blue")]);
        assert_eq!(header(&import, "Cookie"), Some("session=abc123"));
        assert_eq!(header(&import, "Sec-Fetch-Mode"), Some("websocket"));
        assert_eq!(header(&import, "Accept-Encoding"), None);
        assert_eq!(header(&import, "Upgrade"), None);
        // Everything kept passes the handshake's header checks.
        let built = crate::request::build(&import.profile.url, &import.profile.params, &import.profile.headers);
        assert!(built.is_ok(), "{built:?}");
    }

    #[test]
    fn bad_commands_are_explained() {
        assert_eq!(parse("curl -H 'Origin: x'"), Err(CurlError::NoUrl));
        assert!(matches!(parse("curl 'wss://x"), Err(CurlError::Quoting(_))));
        assert_eq!(parse("curl wss://x -H"), Err(CurlError::MissingValue("-H".into())));
    }
}
