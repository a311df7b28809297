//! Connecting through HTTP CONNECT and SOCKS5 proxies started in the test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{TestServer, events_until, feed_server, read_request_head, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wscope::conn::{ConnCommand, ConnError, ConnEvent, ConnSettings, ConnState};
use wscope::record::KvRow;
use wscope::request::ProxyChoice;
use wscope::request::build;

/// An HTTP CONNECT proxy that counts the tunnels it opens.
async fn http_proxy(tunnels: Arc<AtomicUsize>) -> TestServer {
    serve(move |mut client| {
        let tunnels = tunnels.clone();
        async move {
            let head = read_request_head(&mut client).await;
            let target = head.split_whitespace().nth(1).unwrap_or_default().to_string();
            let Ok(mut upstream) = TcpStream::connect(&target).await else {
                let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                return;
            };
            tunnels.fetch_add(1, Ordering::SeqCst);
            let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await;
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        }
    })
    .await
}

/// A SOCKS5 proxy (no authentication) that counts the tunnels it opens.
async fn socks5_proxy(tunnels: Arc<AtomicUsize>) -> TestServer {
    serve(move |mut client| {
        let tunnels = tunnels.clone();
        async move {
            let mut greeting = [0u8; 2];
            client.read_exact(&mut greeting).await.unwrap();
            let mut methods = vec![0u8; usize::from(greeting[1])];
            client.read_exact(&mut methods).await.unwrap();
            client.write_all(&[0x05, 0x00]).await.unwrap();
            let mut request = [0u8; 4];
            client.read_exact(&mut request).await.unwrap();
            let host = match request[3] {
                0x01 => {
                    let mut ip = [0u8; 4];
                    client.read_exact(&mut ip).await.unwrap();
                    std::net::Ipv4Addr::from(ip).to_string()
                }
                0x03 => {
                    let mut len = [0u8; 1];
                    client.read_exact(&mut len).await.unwrap();
                    let mut name = vec![0u8; usize::from(len[0])];
                    client.read_exact(&mut name).await.unwrap();
                    String::from_utf8(name).unwrap()
                }
                other => panic!("address type {other}"),
            };
            let mut port = [0u8; 2];
            client.read_exact(&mut port).await.unwrap();
            let mut upstream = TcpStream::connect((host.as_str(), u16::from_be_bytes(port)))
                .await
                .unwrap();
            tunnels.fetch_add(1, Ordering::SeqCst);
            client
                .write_all(&[0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0])
                .await
                .unwrap();
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        }
    })
    .await
}

async fn connect_via(target: &TestServer, proxy: ProxyChoice) -> Vec<ConnEvent> {
    let (conn, mut events) = wscope::conn::spawn(ConnSettings {
        ping_interval: None,
        ..ConnSettings::default()
    });
    let mut request = build(
        &target.url("ws", "/feed"),
        &[KvRow::new("room", "blue")],
        &[KvRow::new("api-key", "s3cret")],
    )
    .unwrap();
    request.proxy = proxy;
    conn.send(ConnCommand::Connect(request));
    events_until(&mut events, "open or failed", |e| {
        matches!(
            e,
            ConnEvent::State {
                state: ConnState::Open { .. } | ConnState::Failed(_),
                ..
            }
        )
    })
    .await
}

fn proxy_of(events: &[ConnEvent]) -> Option<String> {
    events.iter().find_map(|e| match e {
        ConnEvent::Handshake(report) => report.proxy.clone(),
        _ => None,
    })
}

#[tokio::test]
async fn through_an_http_connect_proxy() {
    let target = feed_server().await;
    let tunnels = Arc::new(AtomicUsize::new(0));
    let proxy = http_proxy(tunnels.clone()).await;
    let events = connect_via(&target, ProxyChoice::Url(proxy.url("http", ""))).await;
    assert!(
        matches!(
            events.last(),
            Some(ConnEvent::State {
                state: ConnState::Open { .. },
                ..
            })
        ),
        "{events:#?}"
    );
    assert_eq!(tunnels.load(Ordering::SeqCst), 1);
    assert_eq!(proxy_of(&events), Some(format!("{}/", proxy.url("http", ""))));
}

#[tokio::test]
async fn through_a_socks5_proxy() {
    let target = feed_server().await;
    let tunnels = Arc::new(AtomicUsize::new(0));
    let proxy = socks5_proxy(tunnels.clone()).await;
    let events = connect_via(&target, ProxyChoice::Url(proxy.url("socks5", ""))).await;
    assert!(
        matches!(
            events.last(),
            Some(ConnEvent::State {
                state: ConnState::Open { .. },
                ..
            })
        ),
        "{events:#?}"
    );
    assert_eq!(tunnels.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refusing_proxy_is_named_with_its_answer() {
    let target = feed_server().await;
    let proxy = serve(|mut client| async move {
        read_request_head(&mut client).await;
        let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n").await;
    })
    .await;
    let events = connect_via(&target, ProxyChoice::Url(proxy.url("http", ""))).await;
    let Some(ConnEvent::State {
        state: ConnState::Failed(ConnError::Proxy(reason)),
        ..
    }) = events.last()
    else {
        panic!("{events:#?}")
    };
    assert!(reason.contains("403 Forbidden"), "{reason}");
}

#[tokio::test]
async fn direct_ignores_the_proxy() {
    let target = feed_server().await;
    let events = connect_via(&target, ProxyChoice::Direct).await;
    assert!(matches!(
        events.last(),
        Some(ConnEvent::State {
            state: ConnState::Open { .. },
            ..
        })
    ));
    assert_eq!(proxy_of(&events), None);
}

#[tokio::test]
async fn a_proxy_that_wants_credentials_is_told_apart_from_a_refusal() {
    let target = feed_server().await;
    let proxy = serve(|mut client| async move {
        read_request_head(&mut client).await;
        let _ = client
            .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\n\r\n")
            .await;
    })
    .await;
    let url = proxy.url("http", "").replace("http://", "http://user:hunter2@");
    let events = connect_via(&target, ProxyChoice::Url(url)).await;
    let Some(ConnEvent::State {
        state: ConnState::Failed(error @ ConnError::ProxyAuth(reason)),
        ..
    }) = events.last()
    else {
        panic!("{events:#?}")
    };
    assert!(reason.contains("407"), "{reason}");
    assert!(!reason.contains("hunter2"), "{reason}");
    assert!(error.hint().is_some_and(|h| h.contains("user:pass")));
}
