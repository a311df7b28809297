//! Tunnelling through an HTTP CONNECT or SOCKS5 proxy, and choosing the
//! proxy from `--proxy`, the profile or the environment.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

pub use crate::request::ProxyChoice;

/// Why a proxy could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("proxy {proxy}: {reason}")]
pub struct ProxyError {
    pub proxy: String,
    pub reason: String,
}

/// The proxy to use for `target`, if any. `env` looks variables up, so the
/// rules can be tested without touching the process environment.
pub fn proxy_for(
    target: &Url,
    choice: &ProxyChoice,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Url>, ProxyError> {
    let text = match choice {
        ProxyChoice::Direct => return Ok(None),
        ProxyChoice::Url(url) => url.clone(),
        ProxyChoice::FromEnvironment => {
            let var = |name: &str| {
                env(name)
                    .or_else(|| env(&name.to_ascii_lowercase()))
                    .filter(|v| !v.trim().is_empty())
            };
            let host = target.host_str().unwrap_or_default();
            // As Go's net/http does, loopback never goes through a proxy
            // from the environment: it could not reach this machine anyway.
            if is_loopback(target) || var("NO_PROXY").is_some_and(|list| bypasses(&list, host)) {
                return Ok(None);
            }
            let specific = if target.scheme() == "wss" {
                "HTTPS_PROXY"
            } else {
                "HTTP_PROXY"
            };
            match var(specific).or_else(|| var("ALL_PROXY")) {
                Some(url) => url,
                None => return Ok(None),
            }
        }
    };
    // A bare host:port means an HTTP proxy, as curl reads it.
    let text = if text.contains("://") {
        text
    } else {
        format!("http://{text}")
    };
    // A proxy that does not parse may still hold a password: it is masked
    // as text before it goes into any message.
    let shown = crate::secrets::mask_url(&text, crate::secrets::SCREEN_MASK).into_owned();
    let url = Url::parse(&text).map_err(|e| ProxyError {
        proxy: shown.clone(),
        reason: format!("not a valid proxy URL: {e}"),
    })?;
    match url.scheme() {
        "http" | "socks5" | "socks5h" => Ok(Some(url)),
        other => Err(ProxyError {
            proxy: shown,
            reason: format!("unsupported proxy scheme {other}:// (use http://, socks5:// or socks5h://)"),
        }),
    }
}

fn is_loopback(target: &Url) -> bool {
    match target.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether NO_PROXY's comma-separated list covers `host`: `*`, an exact
/// name or address, or a domain suffix (`example.com` and `.example.com`
/// both cover `api.example.com`).
pub fn bypasses(no_proxy: &str, host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    no_proxy
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            let entry = entry.to_ascii_lowercase();
            let entry = entry.split(':').next().unwrap_or_default().trim_start_matches('.');
            entry == "*" || host == entry || host.ends_with(&format!(".{entry}"))
        })
}

/// Why a tunnel could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TunnelError {
    /// The proxy wants credentials, or refused the ones given.
    #[error("{0}")]
    Auth(String),
    /// The proxy answered, and said no.
    #[error("{0}")]
    Refused(String),
    /// The connection to the proxy failed, or it did not speak the protocol.
    #[error("{reason}")]
    Broken { kind: std::io::ErrorKind, reason: String },
}

impl TunnelError {
    fn io(error: &std::io::Error) -> Self {
        Self::Broken {
            kind: error.kind(),
            reason: error.to_string(),
        }
    }

    fn protocol(reason: impl Into<String>) -> Self {
        Self::Broken {
            kind: std::io::ErrorKind::InvalidData,
            reason: reason.into(),
        }
    }
}

/// Opens a tunnel to `host:port` through `proxy` over the already
/// connected `stream`, and returns the stream, now carrying the tunnel.
pub async fn tunnel(stream: TcpStream, proxy: &Url, host: &str, port: u16) -> Result<TcpStream, TunnelError> {
    match proxy.scheme() {
        "http" => http_connect(stream, proxy, host, port).await,
        _ => socks5_connect(stream, proxy, host, port).await,
    }
}

/// The proxy URL without its password, for messages.
pub fn redacted(proxy: &Url) -> String {
    crate::secrets::mask_url(proxy.as_str(), crate::secrets::SCREEN_MASK).into_owned()
}

fn decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// The longest CONNECT answer accepted.
const MAX_CONNECT_ANSWER: usize = 16 * 1024;

async fn http_connect(mut stream: TcpStream, proxy: &Url, host: &str, port: u16) -> Result<TcpStream, TunnelError> {
    use base64::Engine as _;
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if !proxy.username().is_empty() {
        let credentials = format!(
            "{}:{}",
            decoded(proxy.username()),
            decoded(proxy.password().unwrap_or_default())
        );
        let token = base64::engine::general_purpose::STANDARD.encode(credentials);
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| TunnelError::io(&e))?;

    // Nothing comes through the tunnel before we speak (TLS and the upgrade
    // both start with the client), so whatever follows the answer's head
    // would be the proxy misbehaving, and is refused rather than lost.
    let mut answer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|e| TunnelError::io(&e))?;
        if n == 0 {
            return Err(TunnelError::Broken {
                kind: std::io::ErrorKind::UnexpectedEof,
                reason: "the proxy closed the connection".into(),
            });
        }
        answer.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&answer) {
            Ok(httparse::Status::Complete(head_len)) => {
                let code = response.code.unwrap_or_default();
                let line = format!(
                    "HTTP/1.{} {code} {}",
                    response.version.unwrap_or(1),
                    response.reason.unwrap_or_default()
                );
                return match code {
                    200..=299 if head_len == answer.len() => Ok(stream),
                    200..=299 => Err(TunnelError::protocol("the proxy sent data before the tunnel was used")),
                    407 => Err(TunnelError::Auth(format!(
                        "CONNECT refused: {line} (the proxy wants a user name and password)"
                    ))),
                    _ => Err(TunnelError::Refused(format!("CONNECT refused: {line}"))),
                };
            }
            Ok(httparse::Status::Partial) if answer.len() > MAX_CONNECT_ANSWER => {
                return Err(TunnelError::protocol("the proxy's answer is too long"));
            }
            Ok(httparse::Status::Partial) => {}
            Err(error) => {
                return Err(TunnelError::protocol(format!(
                    "the proxy's answer is not HTTP ({error})"
                )));
            }
        }
    }
}

async fn socks5_connect(stream: TcpStream, proxy: &Url, host: &str, port: u16) -> Result<TcpStream, TunnelError> {
    use tokio_socks::tcp::Socks5Stream;
    // A name goes to the proxy to resolve (socks5h behaviour), so DNS also
    // goes through the proxy; an address goes as it is.
    let target = (host, port);
    let connected = if proxy.username().is_empty() {
        Socks5Stream::connect_with_socket(stream, target).await
    } else {
        let user = decoded(proxy.username());
        let password = decoded(proxy.password().unwrap_or_default());
        Socks5Stream::connect_with_password_and_socket(stream, target, &user, &password).await
    };
    connected.map(Socks5Stream::into_inner).map_err(|error| {
        use tokio_socks::Error as E;
        match error {
            E::Io(io) => TunnelError::io(&io),
            E::NoAcceptableAuthMethods | E::PasswordAuthFailure(_) | E::AuthorizationRequired => {
                TunnelError::Auth(format!("the SOCKS5 proxy refused us: {error}"))
            }
            E::InvalidAuthValues(why) => TunnelError::Auth(format!("the SOCKS5 user name or password: {why}")),
            E::GeneralSocksServerFailure
            | E::ConnectionNotAllowedByRuleset
            | E::NetworkUnreachable
            | E::HostUnreachable
            | E::ConnectionRefused
            | E::TtlExpired => {
                TunnelError::Refused(format!("SOCKS5 connect failed: {}", error.to_string().to_lowercase()))
            }
            other => TunnelError::protocol(format!("not a SOCKS5 proxy, or a broken one: {other}")),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn environment_picks_the_scheme_specific_proxy_then_all_proxy() {
        let vars = [
            ("HTTPS_PROXY", "http://secure:3128"),
            ("http_proxy", "plain:3128"),
            ("ALL_PROXY", "socks5://all:1080"),
        ];
        let pick = |target: &str| {
            proxy_for(&url(target), &ProxyChoice::FromEnvironment, env(&vars))
                .unwrap()
                .map(|u| u.to_string())
        };
        assert_eq!(pick("wss://a.example/").as_deref(), Some("http://secure:3128/"));
        assert_eq!(pick("ws://a.example/").as_deref(), Some("http://plain:3128/"));
        let only_all = [("ALL_PROXY", "socks5h://all:1080")];
        let found = proxy_for(&url("ws://x/"), &ProxyChoice::FromEnvironment, env(&only_all)).unwrap();
        assert_eq!(found.map(|u| u.scheme().to_string()).as_deref(), Some("socks5h"));
        assert_eq!(
            proxy_for(&url("ws://x/"), &ProxyChoice::FromEnvironment, env(&[])).unwrap(),
            None
        );
    }

    #[test]
    fn loopback_skips_environment_proxies_but_not_explicit_ones() {
        let vars = [("ALL_PROXY", "http://p:1")];
        for target in ["ws://127.0.0.1:9/", "ws://localhost/", "ws://[::1]:9/"] {
            assert_eq!(
                proxy_for(&url(target), &ProxyChoice::FromEnvironment, env(&vars)).unwrap(),
                None,
                "{target}"
            );
        }
        let explicit = ProxyChoice::Url("http://p:1".into());
        assert!(
            proxy_for(&url("ws://127.0.0.1:9/"), &explicit, env(&[]))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn no_proxy_and_direct_win() {
        let vars = [
            ("HTTPS_PROXY", "http://p:1"),
            ("NO_PROXY", "localhost, .internal.example ,10.0.0.1"),
        ];
        let check = |target: &str| {
            proxy_for(&url(target), &ProxyChoice::FromEnvironment, env(&vars))
                .unwrap()
                .is_some()
        };
        assert!(!check("wss://localhost/"));
        assert!(!check("wss://api.internal.example/"));
        assert!(!check("wss://internal.example/"));
        assert!(!check("wss://10.0.0.1/"));
        assert!(check("wss://example.com/"));
        assert!(check("wss://notinternal.example/"));
        assert!(bypasses("*", "anything"));
        assert_eq!(
            proxy_for(&url("wss://example.com/"), &ProxyChoice::Direct, env(&vars)).unwrap(),
            None
        );
    }

    #[test]
    fn choices_parse_and_bad_schemes_are_refused() {
        assert_eq!(ProxyChoice::parse("none"), ProxyChoice::Direct);
        assert_eq!(ProxyChoice::parse(""), ProxyChoice::FromEnvironment);
        let bad = proxy_for(&url("ws://x/"), &ProxyChoice::parse("ftp://p:1"), env(&[])).unwrap_err();
        assert!(bad.reason.contains("unsupported proxy scheme"), "{bad}");
        let password = Url::parse("http://user:secret@p:1").unwrap();
        assert!(!redacted(&password).contains("secret"));
    }
}
