//! Every way a connection can fail, named so the UI can explain it.
//!
//! The network reports most failures as `io::Error`; they are classified here
//! by error kind and by downcasting, never by matching message text.

use std::io;
use std::time::Duration;

use tokio_tungstenite::tungstenite;

/// How much of a rejected upgrade's body is kept for display.
pub const MAX_REJECTION_BODY: usize = 4 * 1024;

/// The handshake step that was under way when something failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Dns,
    Tcp,
    Tls,
    Upgrade,
}

impl Phase {
    /// Lower-case name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dns => "DNS lookup",
            Self::Tcp => "TCP connect",
            Self::Tls => "TLS handshake",
            Self::Upgrade => "WebSocket upgrade",
        }
    }
}

/// A failure to open or keep a WebSocket connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnError {
    #[error("DNS lookup for {host} failed: {detail}")]
    Dns { host: String, detail: String },
    #[error("connection refused by {addr}")]
    Refused { addr: String },
    #[error("timed out after {}s during the {}", .after.as_secs_f32(), .phase.name())]
    Timeout { phase: Phase, after: Duration },
    #[error("TLS: {reason}")]
    Tls { reason: String },
    #[error("upgrade rejected: HTTP {status}{}", reason_suffix(.reason))]
    Upgrade {
        status: u16,
        reason: String,
        headers: Vec<(String, String)>,
        /// The first [`MAX_REJECTION_BODY`] bytes, decoded lossily.
        body: String,
        body_truncated: bool,
    },
    #[error("send timed out after {}: the server stopped reading", crate::format::duration(*.after))]
    SendTimeout { after: Duration },
    #[error("protocol error: {0}")]
    Protocol(String),
    #[error("{0}")]
    Proxy(String),
    /// The proxy wants credentials, or refused ours.
    #[error("{0}")]
    ProxyAuth(String),
    /// Any other I/O failure, with its kind kept for hints.
    #[error("{detail}")]
    Io { kind: io::ErrorKind, detail: String },
}

fn reason_suffix(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(" {reason}")
    }
}

impl ConnError {
    /// Where a redirecting server points, if it does.
    pub fn redirect_location(&self) -> Option<&str> {
        match self {
            Self::Upgrade {
                status: 300..=399,
                headers,
                ..
            } => headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("location"))
                .map(|(_, value)| value.as_str()),
            _ => None,
        }
    }

    /// A short hint on what to try, where one helps.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Refused { .. } => Some("is the server running and listening on that port?"),
            Self::ProxyAuth(_) => Some("give the proxy's user name and password: --proxy http://user:pass@host:port"),
            Self::Proxy(_) => {
                Some("check --proxy, HTTPS_PROXY / HTTP_PROXY / ALL_PROXY; --proxy none connects directly")
            }
            Self::Dns { .. } => Some("check the host name"),
            Self::Io {
                kind:
                    io::ErrorKind::NetworkUnreachable | io::ErrorKind::HostUnreachable | io::ErrorKind::AddrNotAvailable,
                ..
            } => Some("this machine has no route there; check its network and any VPN"),
            Self::Io {
                kind: io::ErrorKind::PermissionDenied,
                ..
            } => Some("a firewall or the system refused the connection"),
            Self::SendTimeout { .. } => {
                Some("nothing could be written for that long; --send-timeout (or --ping-timeout) sets the limit")
            }
            Self::Timeout { .. } => Some("the server accepted nothing in time; check the address and any firewall"),
            Self::Tls { .. } => {
                Some("for a private CA pass --cacert FILE; --insecure skips the check (debugging only)")
            }
            Self::Upgrade { status: 300..=399, .. } => {
                Some("redirects are not followed; put the location in the URL pane to go there")
            }
            Self::Upgrade { status: 401 | 403, .. } => Some("check the auth headers and params"),
            _ => None,
        }
    }

    /// Classifies a failed proxy tunnel; `proxy` is the proxy's URL with
    /// its password hidden.
    pub fn from_tunnel(proxy: &str, error: super::proxy::TunnelError) -> Self {
        use super::proxy::TunnelError;
        match error {
            TunnelError::Auth(reason) => Self::ProxyAuth(format!("proxy {proxy}: {reason}")),
            TunnelError::Refused(reason) => Self::Proxy(format!("proxy {proxy}: {reason}")),
            TunnelError::Broken {
                kind: io::ErrorKind::ConnectionRefused,
                reason,
            } => Self::Proxy(format!("proxy {proxy}: connection refused ({reason})")),
            TunnelError::Broken { reason, .. } => Self::Proxy(format!("proxy {proxy}: {reason}")),
        }
    }

    /// Classifies an I/O error from the given phase.
    pub fn from_io(phase: Phase, error: &io::Error, target: &str) -> Self {
        if let Some(tls) = find_rustls_error(error) {
            return Self::Tls {
                reason: describe_rustls(tls),
            };
        }
        match (phase, error.kind()) {
            (_, io::ErrorKind::ConnectionRefused) => Self::Refused {
                addr: target.to_string(),
            },
            (Phase::Dns, _) => Self::Dns {
                host: target.to_string(),
                detail: error.to_string(),
            },
            (Phase::Tls, _) => Self::Tls {
                reason: error.to_string(),
            },
            (_, io::ErrorKind::UnexpectedEof) => Self::Io {
                kind: io::ErrorKind::UnexpectedEof,
                detail: format!("the server closed the connection during the {}", phase.name()),
            },
            _ => Self::Io {
                kind: error.kind(),
                detail: format!("{} failed: {error}", phase.name()),
            },
        }
    }

    /// Classifies an error returned by tungstenite during the upgrade.
    pub fn from_handshake(error: tungstenite::Error, target: &str) -> Self {
        match error {
            tungstenite::Error::Http(response) => {
                let status = response.status();
                let headers = response
                    .headers()
                    .iter()
                    .map(|(name, value)| {
                        (
                            name.as_str().to_string(),
                            String::from_utf8_lossy(value.as_bytes()).into_owned(),
                        )
                    })
                    .collect();
                let body = response.body().as_deref().unwrap_or_default();
                let shown = &body[..body.len().min(MAX_REJECTION_BODY)];
                Self::Upgrade {
                    status: status.as_u16(),
                    reason: status.canonical_reason().unwrap_or_default().to_string(),
                    headers,
                    body: String::from_utf8_lossy(shown).into_owned(),
                    body_truncated: body.len() > MAX_REJECTION_BODY,
                }
            }
            other => Self::from_stream(other, Phase::Upgrade, target),
        }
    }

    /// Classifies an error from an open stream (or the upgrade, via `phase`).
    pub fn from_stream(error: tungstenite::Error, phase: Phase, target: &str) -> Self {
        match error {
            tungstenite::Error::Io(io) => Self::from_io(phase, &io, target),
            tungstenite::Error::Protocol(tungstenite::error::ProtocolError::HttparseError(e)) => {
                Self::Protocol(format!("the server's answer is not valid HTTP ({e})"))
            }
            tungstenite::Error::Protocol(p) => Self::Protocol(p.to_string()),
            tungstenite::Error::Capacity(tungstenite::error::CapacityError::TooManyHeaders) => {
                Self::Protocol("the server's answer has too many headers (tungstenite takes at most 124)".into())
            }
            tungstenite::Error::Capacity(c) => {
                Self::Protocol(format!("over the size limit: {c} (see --max-message-size)"))
            }
            // tungstenite reports both the same way, so both are named.
            tungstenite::Error::Utf8(detail) => {
                Self::Protocol(format!("invalid UTF-8 in a text frame or a close reason: {detail}"))
            }
            tungstenite::Error::Tls(tls) => Self::Tls {
                reason: tls.to_string(),
            },
            other => Self::Io {
                kind: io::ErrorKind::Other,
                detail: other.to_string(),
            },
        }
    }
}

fn find_rustls_error(error: &io::Error) -> Option<&rustls::Error> {
    error.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>())
}

fn describe_rustls(error: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match error {
        rustls::Error::InvalidCertificate(cert) => match cert {
            C::UnknownIssuer => "certificate signed by an unknown issuer (self-signed or private CA)".into(),
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "certificate is not valid for this host name".into()
            }
            C::Expired | C::ExpiredContext { .. } => "certificate has expired".into(),
            C::NotValidYet | C::NotValidYetContext { .. } => "certificate is not valid yet".into(),
            C::Revoked => "certificate has been revoked".into(),
            other => format!("invalid certificate: {other:?}"),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_is_classified_by_kind() {
        let e = io::Error::new(io::ErrorKind::ConnectionRefused, "whatever the OS says");
        assert_eq!(
            ConnError::from_io(Phase::Tcp, &e, "127.0.0.1:1"),
            ConnError::Refused {
                addr: "127.0.0.1:1".into()
            }
        );
    }

    #[test]
    fn tls_errors_are_found_by_downcast() {
        let inner = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let e = io::Error::new(io::ErrorKind::InvalidData, inner);
        let classified = ConnError::from_io(Phase::Tls, &e, "h:443");
        assert!(matches!(&classified, ConnError::Tls { reason } if reason.contains("unknown issuer")));
        assert!(classified.hint().is_some_and(|h| h.contains("--cacert")));
    }

    #[test]
    fn timeout_names_the_phase() {
        let e = ConnError::Timeout {
            phase: Phase::Upgrade,
            after: Duration::from_secs(10),
        };
        assert_eq!(e.to_string(), "timed out after 10s during the WebSocket upgrade");
    }
}
