//! The connection task against real servers on 127.0.0.1.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::result_large_err)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{closed_port, events_until, feed_server, feed_server_tls, silent_server};
use wscope::conn::{ConnCommand, ConnError, ConnEvent, ConnSettings, ConnState, Outgoing, Phase, TlsOptions};
use wscope::record::{ABNORMAL_CLOSURE, Closer, Direction, FrameKind, KvRow};
use wscope::request::build;

fn quiet() -> ConnSettings {
    ConnSettings {
        ping_interval: None,
        ..ConnSettings::default()
    }
}

/// A connection task with these TLS options and no pings.
fn spawn_tls(tls: TlsOptions) -> (wscope::conn::ConnHandle, tokio::sync::mpsc::Receiver<ConnEvent>) {
    wscope::conn::spawn(ConnSettings { tls, ..quiet() })
}

fn authed(url: &str) -> ConnCommand {
    let request = build(url, &[KvRow::new("room", "blue")], &[KvRow::new("api-key", "s3cret")]).expect("valid request");
    ConnCommand::Connect(request)
}

fn is_state(event: &ConnEvent, predicate: impl Fn(&ConnState) -> bool) -> bool {
    matches!(event, ConnEvent::State { state, .. } if predicate(state))
}

fn received_text(event: &ConnEvent) -> Option<String> {
    match event {
        ConnEvent::Frame(frame) if frame.direction == Direction::Received && frame.kind == FrameKind::Text => {
            Some(String::from_utf8_lossy(&frame.payload).into_owned())
        }
        _ => None,
    }
}

#[tokio::test]
async fn connects_with_headers_and_params_then_echoes() {
    let server = feed_server().await;
    let (conn, mut events) = wscope::conn::spawn(quiet());
    conn.send(authed(&server.url("ws", "/feed")));

    let opening = events_until(&mut events, "the greeting", |e| received_text(e).is_some()).await;
    assert!(is_state(&opening[0], |s| matches!(s, ConnState::Connecting { .. })));
    let report = opening
        .iter()
        .find_map(|e| match e {
            ConnEvent::Handshake(report) => Some(report.clone()),
            _ => None,
        })
        .expect("a handshake report");
    assert_eq!(report.status, 101);
    assert!(report.timings.tls.is_none());
    assert!(report.timings.total >= report.timings.upgrade);
    assert!(
        opening
            .iter()
            .any(|e| is_state(e, |s| matches!(s, ConnState::Open { .. })))
    );
    assert_eq!(
        received_text(opening.last().expect("events")).as_deref(),
        Some(r#"{"type":"hello","server":"feed"}"#)
    );

    conn.send(ConnCommand::Send(Outgoing::Text(r#"{"message":"Hello world"}"#.into())));
    let echo = events_until(&mut events, "the echo", |e| {
        received_text(e).as_deref() == Some(r#"echo:{"message":"Hello world"}"#)
    })
    .await;
    assert!(
        echo.iter()
            .any(|e| matches!(e, ConnEvent::Frame(f) if f.direction == Direction::Sent && f.kind == FrameKind::Text))
    );
    // The latency comes just ahead of the reply that ends it.
    assert!(matches!(echo[echo.len() - 2], ConnEvent::ReplyLatency(_)), "{echo:?}");
}

#[tokio::test]
async fn measures_ping_round_trip() {
    let server = feed_server().await;
    let (conn, mut events) = wscope::conn::spawn(ConnSettings {
        ping_interval: Some(Duration::from_millis(50)),
        ..ConnSettings::default()
    });
    conn.send(authed(&server.url("ws", "/feed")));
    let seen = events_until(
        &mut events,
        "a pong",
        |e| matches!(e, ConnEvent::Frame(f) if f.kind == FrameKind::Pong),
    )
    .await;
    let ping = seen
        .iter()
        .find_map(|e| match e {
            ConnEvent::Frame(f) if f.kind == FrameKind::Ping => Some(f.clone()),
            _ => None,
        })
        .expect("the ping is logged");
    assert_eq!(ping.direction, Direction::Sent);
    assert!(matches!(seen.last(), Some(ConnEvent::Frame(f)) if f.payload == ping.payload));
    // The round trip comes just ahead of the pong that ends it.
    let ConnEvent::Rtt(rtt) = &seen[seen.len() - 2] else {
        panic!("no RTT ahead of the pong: {seen:?}")
    };
    assert!(*rtt < Duration::from_secs(1), "loopback RTT was {rtt:?}");
}

#[tokio::test]
async fn server_close_reports_code_and_reason() {
    let server = feed_server().await;
    let (conn, mut events) = wscope::conn::spawn(quiet());
    conn.send(authed(&server.url("ws", "/feed")));
    events_until(&mut events, "the greeting", |e| received_text(e).is_some()).await;
    conn.send(ConnCommand::Send(Outgoing::Text("close-me".into())));
    let seen = events_until(&mut events, "closed", |e| {
        is_state(e, |s| matches!(s, ConnState::Closed { .. }))
    })
    .await;
    assert!(seen.iter().any(|e| matches!(e, ConnEvent::Frame(f)
        if f.direction == Direction::Received && f.kind == FrameKind::Close { code: Some(4000) } && f.payload == "asked to")));
    let Some(ConnEvent::State { state, .. }) = seen.last() else {
        unreachable!()
    };
    assert_eq!(
        state,
        &ConnState::Closed {
            code: Some(4000),
            reason: "asked to".into(),
            by: Closer::Server
        }
    );
}

#[tokio::test]
async fn user_close_completes_the_handshake() {
    let server = feed_server().await;
    let (conn, mut events) = wscope::conn::spawn(quiet());
    conn.send(authed(&server.url("ws", "/feed")));
    events_until(&mut events, "the greeting", |e| received_text(e).is_some()).await;
    conn.send(ConnCommand::Close {
        code: 1000,
        reason: "done".into(),
    });
    let seen = events_until(&mut events, "closed", |e| {
        is_state(e, |s| matches!(s, ConnState::Closed { .. }))
    })
    .await;
    assert!(seen.iter().any(|e| is_state(e, |s| *s == ConnState::Closing)));
    let Some(ConnEvent::State { state, .. }) = seen.last() else {
        unreachable!()
    };
    assert!(
        matches!(
            state,
            ConnState::Closed {
                code: Some(1000),
                by: Closer::Us,
                ..
            }
        ),
        "{state:?}"
    );
}

#[tokio::test]
async fn rejected_upgrade_keeps_status_headers_and_body() {
    let server = feed_server().await;
    let (conn, mut events) = wscope::conn::spawn(quiet());
    let request = build(&server.url("ws", "/feed"), &[KvRow::new("room", "blue")], &[]).expect("valid");
    conn.send(ConnCommand::Connect(request));
    let seen = events_until(&mut events, "failure", |e| {
        is_state(e, |s| matches!(s, ConnState::Failed(_)))
    })
    .await;
    let Some(ConnEvent::State {
        state: ConnState::Failed(ConnError::Upgrade {
            status, headers, body, ..
        }),
        ..
    }) = seen.last()
    else {
        panic!("expected an upgrade rejection, got {seen:#?}");
    };
    assert_eq!(*status, 401);
    assert!(
        headers.iter().any(|(n, v)| n == "content-type" && v == "text/plain"),
        "{headers:?}"
    );
    assert_eq!(body, "missing api key or room\n");
}

#[tokio::test]
async fn refused_connection_is_named() {
    let addr = closed_port().await;
    let (conn, mut events) = wscope::conn::spawn(quiet());
    conn.send(ConnCommand::Connect(
        build(&format!("ws://{addr}/"), &[], &[]).expect("valid"),
    ));
    let seen = events_until(&mut events, "failure", |e| {
        is_state(e, |s| matches!(s, ConnState::Failed(_)))
    })
    .await;
    let Some(ConnEvent::State {
        state: ConnState::Failed(error),
        ..
    }) = seen.last()
    else {
        unreachable!()
    };
    assert_eq!(error, &ConnError::Refused { addr: addr.to_string() });
}

#[tokio::test]
async fn dropped_tcp_without_close_frame_is_abnormal_closure() {
    let server = feed_server().await;
    let (conn, mut events) = wscope::conn::spawn(quiet());
    conn.send(authed(&server.url("ws", "/feed")));
    events_until(&mut events, "the greeting", |e| received_text(e).is_some()).await;
    conn.send(ConnCommand::Send(Outgoing::Text("drop-me".into())));
    let seen = events_until(&mut events, "closed", |e| {
        is_state(e, |s| matches!(s, ConnState::Closed { .. }))
    })
    .await;
    let Some(ConnEvent::State { state, .. }) = seen.last() else {
        unreachable!()
    };
    assert!(
        matches!(
            state,
            ConnState::Closed {
                code: Some(ABNORMAL_CLOSURE),
                by: Closer::Network,
                ..
            }
        ),
        "{state:?}"
    );
}

#[tokio::test]
async fn silent_server_times_out_in_the_upgrade() {
    let server = silent_server().await;
    let (conn, mut events) = wscope::conn::spawn(ConnSettings {
        connect_timeout: Duration::from_millis(300),
        ..quiet()
    });
    conn.send(ConnCommand::Connect(
        build(&server.url("ws", "/"), &[], &[]).expect("valid"),
    ));
    let seen = events_until(&mut events, "failure", |e| {
        is_state(e, |s| matches!(s, ConnState::Failed(_)))
    })
    .await;
    let Some(ConnEvent::State {
        state: ConnState::Failed(error),
        ..
    }) = seen.last()
    else {
        unreachable!()
    };
    assert!(
        matches!(
            error,
            ConnError::Timeout {
                phase: Phase::Upgrade,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn sending_while_disconnected_is_refused_not_lost_silently() {
    let (conn, mut events) = wscope::conn::spawn(quiet());
    conn.send(ConnCommand::Send(Outgoing::Text("hello".into())));
    let seen = events_until(&mut events, "a refusal", |e| matches!(e, ConnEvent::Refused(_))).await;
    assert_eq!(seen.len(), 1);
}

/// A CA and a leaf certificate for 127.0.0.1 that it signs; webpki refuses a
/// self-signed CA used directly as the server certificate.
fn test_pki() -> (rustls::pki_types::CertificateDer<'static>, Arc<rustls::ServerConfig>) {
    let pki = Pki::new();
    let config = pki.server_config(None);
    (pki.ca_der(), config)
}

/// A certificate and its private key.
type Leaf = (
    rustls::pki_types::CertificateDer<'static>,
    rustls::pki_types::PrivateKeyDer<'static>,
);

/// A test CA that signs server and client certificates.
struct Pki {
    ca_cert: rcgen::Certificate,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl Pki {
    fn new() -> Self {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate().expect("ca key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).expect("ca cert");
        Self {
            ca_cert,
            issuer: Issuer::new(ca_params, ca_key),
        }
    }

    fn ca_der(&self) -> rustls::pki_types::CertificateDer<'static> {
        self.ca_cert.der().clone()
    }

    /// A certificate for `names` signed by the CA, with its key.
    fn leaf(&self, names: &[&str]) -> Leaf {
        self.leaf_with(names, false)
    }

    /// The same, optionally already expired.
    fn leaf_with(&self, names: &[&str], expired: bool) -> Leaf {
        let key = rcgen::KeyPair::generate().expect("leaf key");
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).expect("leaf");
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let cert = params.signed_by(&key, &self.issuer).expect("leaf cert");
        let key = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).expect("key der");
        (cert.der().clone(), key)
    }

    /// A server config for 127.0.0.1; with `client_ca`, client certificates
    /// signed by it are required.
    fn server_config(
        &self,
        client_ca: Option<rustls::pki_types::CertificateDer<'static>>,
    ) -> Arc<rustls::ServerConfig> {
        self.server_config_with(self.leaf(&["127.0.0.1", "localhost"]), client_ca)
    }

    fn server_config_with(
        &self,
        (cert, key): Leaf,
        client_ca: Option<rustls::pki_types::CertificateDer<'static>>,
    ) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("tls versions");
        let builder = match client_ca {
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                roots.add(ca).expect("client ca");
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .expect("client verifier");
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        Arc::new(builder.with_single_cert(vec![cert], key).expect("server config"))
    }
}

#[tokio::test]
async fn wss_connects_with_a_trusted_private_ca() {
    let (ca, server_config) = test_pki();
    let server = feed_server_tls(server_config).await;
    let (conn, mut events) = spawn_tls(TlsOptions {
        extra_roots: vec![ca],
        ..TlsOptions::default()
    });
    conn.send(authed(&server.url("wss", "/feed")));
    let seen = events_until(&mut events, "the greeting", |e| received_text(e).is_some()).await;
    let tls_time = seen.iter().find_map(|e| match e {
        ConnEvent::Handshake(report) => Some(report.timings.tls),
        _ => None,
    });
    assert!(matches!(tls_time, Some(Some(_))), "TLS phase is timed: {seen:#?}");
}

#[tokio::test]
async fn wss_with_unknown_issuer_fails_with_a_hint() {
    let (_, server_config) = test_pki();
    let server = feed_server_tls(server_config).await;
    let (conn, mut events) = wscope::conn::spawn(quiet());
    conn.send(authed(&server.url("wss", "/feed")));
    let seen = events_until(&mut events, "failure", |e| {
        is_state(e, |s| matches!(s, ConnState::Failed(_)))
    })
    .await;
    let Some(ConnEvent::State {
        state: ConnState::Failed(error),
        ..
    }) = seen.last()
    else {
        unreachable!()
    };
    assert!(
        matches!(error, ConnError::Tls { reason } if reason.contains("unknown issuer")),
        "{error:?}"
    );
    assert!(error.hint().is_some_and(|h| h.contains("--cacert")));
}

#[tokio::test]
async fn insecure_accepts_an_untrusted_certificate() {
    let (_, server_config) = test_pki();
    let server = feed_server_tls(server_config).await;
    let (conn, mut events) = spawn_tls(TlsOptions {
        insecure: true,
        ..TlsOptions::default()
    });
    conn.send(authed(&server.url("wss", "/feed")));
    events_until(&mut events, "the greeting over unverified TLS", |e| {
        received_text(e).is_some()
    })
    .await;
}

#[tokio::test]
async fn mutual_tls_needs_the_client_certificate() {
    let pki = Pki::new();
    let server = feed_server_tls(pki.server_config(Some(pki.ca_der()))).await;

    let (conn, mut events) = spawn_tls(TlsOptions {
        extra_roots: vec![pki.ca_der()],
        ..TlsOptions::default()
    });
    conn.send(authed(&server.url("wss", "/feed")));
    let seen = events_until(&mut events, "a refusal without a client certificate", |e| {
        is_state(e, |s| matches!(s, ConnState::Failed(_) | ConnState::Closed { .. }))
    })
    .await;
    assert!(!seen.iter().any(|e| received_text(e).is_some()), "{seen:#?}");

    let (cert, key) = pki.leaf(&["wscope client"]);
    let (conn, mut events) = spawn_tls(TlsOptions {
        extra_roots: vec![pki.ca_der()],
        identity: Some(wscope::conn::ClientIdentity {
            certs: vec![cert],
            key: Arc::new(key),
        }),
        ..TlsOptions::default()
    });
    conn.send(authed(&server.url("wss", "/feed")));
    events_until(&mut events, "the greeting over mutual TLS", |e| {
        received_text(e).is_some()
    })
    .await;
}

#[tokio::test]
async fn subprotocol_is_offered_and_the_choice_reported() {
    use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
    let server = common::serve(|stream| async move {
        let pick = |request: &Request, response: Response| {
            Ok(common::choose_subprotocol(request, response, "graphql-transport-ws"))
        };
        let _ = tokio_tungstenite::accept_hdr_async(stream, pick).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let (conn, mut events) = wscope::conn::spawn(quiet());
    let mut request = build(&server.url("ws", "/"), &[], &[]).expect("valid");
    request.subprotocols = vec!["mqtt".into(), "graphql-transport-ws".into()];
    conn.send(ConnCommand::Connect(request));
    let seen = events_until(&mut events, "open", |e| {
        is_state(e, |s| matches!(s, ConnState::Open { .. }))
    })
    .await;
    assert!(
        matches!(seen.last(), Some(ConnEvent::State { state: ConnState::Open { protocol: Some(p), .. }, .. }) if p == "graphql-transport-ws"),
        "{seen:#?}"
    );
}

async fn tls_failure(pki: &Pki, server_config: Arc<rustls::ServerConfig>) -> ConnError {
    let server = feed_server_tls(server_config).await;
    let (conn, mut events) = spawn_tls(TlsOptions {
        extra_roots: vec![pki.ca_der()],
        ..TlsOptions::default()
    });
    conn.send(authed(&server.url("wss", "/feed")));
    let seen = events_until(&mut events, "failure", |e| {
        is_state(e, |s| matches!(s, ConnState::Failed(_)))
    })
    .await;
    match seen.last() {
        Some(ConnEvent::State {
            state: ConnState::Failed(error),
            ..
        }) => error.clone(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn wss_hostname_mismatch_is_named() {
    let pki = Pki::new();
    let config = pki.server_config_with(pki.leaf(&["only.example.com"]), None);
    let error = tls_failure(&pki, config).await;
    assert!(
        matches!(&error, ConnError::Tls { reason } if reason.contains("not valid for this host name")),
        "{error:?}"
    );
}

#[tokio::test]
async fn wss_expired_certificate_is_named() {
    let pki = Pki::new();
    let config = pki.server_config_with(pki.leaf_with(&["127.0.0.1"], true), None);
    let error = tls_failure(&pki, config).await;
    assert!(
        matches!(&error, ConnError::Tls { reason } if reason.contains("expired")),
        "{error:?}"
    );
}
