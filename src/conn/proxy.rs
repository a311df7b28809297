//! Tunnelling through an HTTP CONNECT or SOCKS5 proxy, and choosing the
//! proxy from `--proxy`, the profile or the environment.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

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
    let shown = crate::secrets::mask_url(&text, "***").into_owned();
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

/// Opens a tunnel to `host:port` through `proxy` over the already
/// connected `stream`.
pub async fn tunnel(stream: &mut TcpStream, proxy: &Url, host: &str, port: u16) -> Result<(), ProxyError> {
    let fail = |reason: String| ProxyError {
        proxy: redacted(proxy),
        reason,
    };
    let result = match proxy.scheme() {
        "http" => http_connect(stream, proxy, host, port).await,
        _ => socks5_connect(stream, proxy, host, port).await,
    };
    result.map_err(fail)
}

/// The proxy URL without its password, for messages.
pub fn redacted(proxy: &Url) -> String {
    crate::secrets::mask_url(proxy.as_str(), "***").into_owned()
}

fn decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

async fn http_connect(stream: &mut TcpStream, proxy: &Url, host: &str, port: u16) -> Result<(), String> {
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
    stream.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;

    // Read the response head byte by byte, so no tunnelled byte is consumed.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Err("the proxy's answer is too long".into());
        }
        match stream.read(&mut byte).await {
            Ok(0) => return Err("the proxy closed the connection".into()),
            Ok(_) => head.push(byte[0]),
            Err(e) => return Err(e.to_string()),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let status_line = head.lines().next().unwrap_or_default();
    let status = status_line.split_whitespace().nth(1).unwrap_or_default();
    if status.starts_with('2') {
        Ok(())
    } else {
        Err(format!("CONNECT refused: {}", status_line.trim()))
    }
}

async fn socks5_connect(stream: &mut TcpStream, proxy: &Url, host: &str, port: u16) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    let with_password = !proxy.username().is_empty();
    let methods: &[u8] = if with_password { &[0x00, 0x02] } else { &[0x00] };
    let mut greeting = vec![0x05, methods.len() as u8];
    greeting.extend_from_slice(methods);
    stream.write_all(&greeting).await.map_err(io)?;
    let mut choice = [0u8; 2];
    stream.read_exact(&mut choice).await.map_err(io)?;
    match choice {
        [0x05, 0x00] => {}
        [0x05, 0x02] if with_password => {
            let user = decoded(proxy.username());
            let pass = decoded(proxy.password().unwrap_or_default());
            if user.len() > 255 || pass.len() > 255 {
                return Err("user name or password longer than 255 bytes".into());
            }
            let mut auth = vec![0x01, user.len() as u8];
            auth.extend_from_slice(user.as_bytes());
            auth.push(pass.len() as u8);
            auth.extend_from_slice(pass.as_bytes());
            stream.write_all(&auth).await.map_err(io)?;
            let mut status = [0u8; 2];
            stream.read_exact(&mut status).await.map_err(io)?;
            if status[1] != 0 {
                return Err("the SOCKS5 proxy refused the user name or password".into());
            }
        }
        [0x05, 0xff] => return Err("the SOCKS5 proxy accepts none of our authentication methods".into()),
        _ => return Err("not a SOCKS5 proxy".into()),
    }

    let mut request = vec![0x05, 0x01, 0x00];
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            request.push(0x01);
            request.extend_from_slice(&ip.octets());
        }
        Ok(std::net::IpAddr::V6(ip)) => {
            request.push(0x04);
            request.extend_from_slice(&ip.octets());
        }
        Err(_) => {
            // The proxy resolves the name (socks5h behaviour), so DNS also
            // goes through the proxy.
            if host.len() > 255 {
                return Err("host name longer than 255 bytes".into());
            }
            request.push(0x03);
            request.push(host.len() as u8);
            request.extend_from_slice(host.as_bytes());
        }
    }
    request.extend_from_slice(&port.to_be_bytes());
    stream.write_all(&request).await.map_err(io)?;

    let mut reply = [0u8; 4];
    stream.read_exact(&mut reply).await.map_err(io)?;
    if reply[1] != 0x00 {
        return Err(format!("SOCKS5 connect failed: {}", socks5_reply(reply[1])));
    }
    let skip = match reply[3] {
        0x01 => 4,
        0x04 => 16,
        0x03 => {
            let mut len = [0u8; 1];
            stream.read_exact(&mut len).await.map_err(io)?;
            usize::from(len[0])
        }
        _ => return Err("malformed SOCKS5 reply".into()),
    };
    let mut bound = vec![0u8; skip + 2];
    stream.read_exact(&mut bound).await.map_err(io)?;
    Ok(())
}

fn socks5_reply(code: u8) -> &'static str {
    match code {
        0x01 => "general failure",
        0x02 => "not allowed by the proxy's rules",
        0x03 => "network unreachable",
        0x04 => "host unreachable",
        0x05 => "connection refused",
        0x06 => "TTL expired",
        0x07 => "command not supported",
        0x08 => "address type not supported",
        _ => "unknown error",
    }
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
