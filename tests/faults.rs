//! The fault matrix: every way a connection can fail ends in a named state
//! with a reason, each against a purpose-built misbehaving server on 127.0.0.1.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{events_until, raw_after_handshake, raw_http, serve};
use wscope::conn::{ConnCommand, ConnError, ConnEvent, ConnSettings, ConnState};
use wscope::record::{ABNORMAL_CLOSURE, Closer};
use wscope::request::build;

fn settings() -> ConnSettings {
    ConnSettings {
        ping_interval: None,
        connect_timeout: Duration::from_secs(3),
        ..ConnSettings::default()
    }
}

/// Connects to `url` and returns the state the attempt ends in.
async fn final_state(url: String, settings: ConnSettings) -> ConnState {
    let (conn, mut events) = wscope::conn::spawn(settings);
    conn.send(ConnCommand::Connect(build(&url, &[], &[]).expect("valid URL")));
    let seen = events_until(&mut events, "a final state", |e| {
        matches!(
            e,
            ConnEvent::State {
                state: ConnState::Failed(_) | ConnState::Closed { .. },
                ..
            }
        )
    })
    .await;
    match seen.last() {
        Some(ConnEvent::State { state, .. }) => state.clone(),
        other => panic!("{other:?}"),
    }
}

/// Connects to `server` and waits until the connection is open.
async fn open(
    server: &common::TestServer,
    settings: ConnSettings,
) -> (wscope::conn::ConnHandle, tokio::sync::mpsc::Receiver<ConnEvent>) {
    let (conn, mut events) = wscope::conn::spawn(settings);
    conn.send(ConnCommand::Connect(
        build(&server.url("ws", "/"), &[], &[]).expect("valid URL"),
    ));
    events_until(&mut events, "open", |e| {
        matches!(
            e,
            ConnEvent::State {
                state: ConnState::Open { .. },
                ..
            }
        )
    })
    .await;
    (conn, events)
}

fn failure(state: &ConnState) -> &ConnError {
    match state {
        ConnState::Failed(error) => error,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn reset_during_the_handshake() {
    let server = serve(|stream| async move {
        // Linger 0 turns the close into a TCP reset.
        let _ = stream.set_zero_linger();
        drop(stream);
    })
    .await;
    let state = final_state(server.url("ws", "/"), settings()).await;
    let text = failure(&state).to_string();
    assert!(
        text.contains("reset") || text.contains("closed the connection"),
        "{text}"
    );
}

#[tokio::test]
async fn garbage_instead_of_http() {
    let server = raw_http("\u{1}\u{2}garbage that is not HTTP\r\n\r\n").await;
    let state = final_state(server.url("ws", "/"), settings()).await;
    let error = failure(&state);
    assert!(
        matches!(error, ConnError::Protocol(m) if m.contains("not valid HTTP")),
        "{error:?}"
    );
}

#[tokio::test]
async fn server_error_500_shows_body() {
    let server = raw_http(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\ndatabase down",
    )
    .await;
    let state = final_state(server.url("ws", "/"), settings()).await;
    let error = failure(&state);
    assert!(
        matches!(error, ConnError::Upgrade { status: 500, body, .. } if body == "database down"),
        "{error:?}"
    );
    assert_eq!(
        wscope::app::state_summary(&state),
        "Failed (HTTP 500 Internal Server Error: database down)"
    );
}

#[tokio::test]
async fn redirect_shows_the_target_and_is_not_followed() {
    let server =
        raw_http("HTTP/1.1 302 Found\r\nLocation: wss://elsewhere.example/feed\r\nContent-Length: 0\r\n\r\n").await;
    let state = final_state(server.url("ws", "/"), settings()).await;
    let error = failure(&state);
    assert_eq!(error.redirect_location(), Some("wss://elsewhere.example/feed"));
    assert_eq!(
        wscope::app::state_summary(&state),
        "Failed (HTTP 302 Found → wss://elsewhere.example/feed)"
    );
}

#[tokio::test]
async fn invalid_utf8_in_a_text_frame() {
    // FIN + text opcode, unmasked, 2 bytes that are not UTF-8.
    let server = raw_after_handshake(&[0x81, 0x02, 0xff, 0xfe]).await;
    let state = final_state(server.url("ws", "/"), settings()).await;
    let error = failure(&state);
    assert!(
        matches!(error, ConnError::Protocol(m) if m.contains("UTF-8")),
        "{error:?}"
    );
}

#[tokio::test]
async fn invalid_frame_with_reserved_bits() {
    let server = raw_after_handshake(&[0xf1, 0x01, b'x']).await;
    let state = final_state(server.url("ws", "/"), settings()).await;
    let error = failure(&state);
    assert!(
        matches!(error, ConnError::Protocol(m) if m.contains("Reserved bits")),
        "{error:?}"
    );
}

#[tokio::test]
async fn frame_over_the_size_limit() {
    // A binary frame announcing 2,000 bytes against a 1 KiB limit.
    static FRAME: [u8; 4] = [0x82, 126, 0x07, 0xd0];
    let server = raw_after_handshake(&FRAME).await;
    let state = final_state(
        server.url("ws", "/"),
        ConnSettings {
            max_message_size: 1024,
            ..settings()
        },
    )
    .await;
    let error = failure(&state);
    assert!(
        matches!(error, ConnError::Protocol(m) if m.contains("size limit")),
        "{error:?}"
    );
}

#[tokio::test]
async fn eof_without_a_close_frame_is_abnormal() {
    let server = serve(|stream| async move {
        let _ = tokio_tungstenite::accept_async(stream).await;
        // Dropping the socket ends TCP without a close frame.
    })
    .await;
    let state = final_state(server.url("ws", "/"), settings()).await;
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
async fn half_open_connection_is_detected_by_missing_pongs() {
    // The handshake completes, then the server never reads, so never pongs.
    let server = raw_after_handshake(&[]).await;
    let state = final_state(
        server.url("ws", "/"),
        ConnSettings {
            ping_interval: Some(Duration::from_millis(100)),
            ping_timeout: Some(Duration::from_millis(300)),
            ..settings()
        },
    )
    .await;
    match state {
        ConnState::Closed {
            code: Some(ABNORMAL_CLOSURE),
            reason,
            by: Closer::Network,
        } => assert!(reason.contains("no pong"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_send_to_a_deaf_server_fails_by_name_and_never_stalls_reads() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    // Completes the upgrade, never reads again, and sends one frame later:
    // that frame must arrive while our 48 MiB send is stuck.
    let server = serve(|stream| async move {
        let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
            return;
        };
        tokio::time::sleep(Duration::from_millis(400)).await;
        let _ = socket.send(Message::text("still here")).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let (conn, mut events) = open(
        &server,
        ConnSettings {
            ping_interval: Some(Duration::from_millis(500)),
            ping_timeout: Some(Duration::from_secs(2)),
            ..settings()
        },
    )
    .await;
    let started = std::time::Instant::now();
    conn.send(ConnCommand::Send(wscope::conn::Outgoing::Binary(
        vec![7u8; 48 << 20].into(),
    )));
    let seen = events_until(
        &mut events,
        "the frame sent during the stall",
        |e| matches!(e, ConnEvent::Frame(f) if &f.payload[..] == b"still here"),
    )
    .await;
    assert!(!seen.iter().any(|e| matches!(e, ConnEvent::State { .. })), "{seen:?}");
    let seen = events_until(&mut events, "a final state", |e| {
        matches!(
            e,
            ConnEvent::State {
                state: ConnState::Failed(_) | ConnState::Closed { .. },
                ..
            }
        )
    })
    .await;
    let waited = started.elapsed();
    match seen.last() {
        Some(ConnEvent::State {
            state: ConnState::Failed(ConnError::SendTimeout { after }),
            ..
        }) => {
            assert_eq!(*after, Duration::from_secs(2));
        }
        // The ping queued behind the stuck send is never answered either;
        // whichever deadline comes first names the state.
        Some(ConnEvent::State {
            state:
                ConnState::Closed {
                    code: Some(ABNORMAL_CLOSURE),
                    reason,
                    ..
                },
            ..
        }) => {
            assert!(reason.contains("no pong"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(waited < Duration::from_secs(4), "took {waited:?}");
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, ConnEvent::Frame(f) if f.payload.len() == 48 << 20))
    );
}

#[tokio::test]
async fn a_slow_reader_is_not_a_stalled_one() {
    use futures_util::StreamExt;
    // Reads 64 KiB every 20 ms: 4 MiB takes over a second, longer than the
    // send timeout, but it keeps moving, so it must not fail.
    let server = serve(|stream| async move {
        let Ok(mut socket) = tokio_tungstenite::accept_async_with_config(
            stream,
            Some(tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(64 << 10)),
        )
        .await
        else {
            return;
        };
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            match tokio::time::timeout(Duration::from_millis(1), socket.next()).await {
                Ok(Some(Ok(_))) | Err(_) => {}
                _ => return,
            }
        }
    })
    .await;
    let (conn, mut events) = open(
        &server,
        ConnSettings {
            send_timeout: Some(Duration::from_millis(500)),
            ..settings()
        },
    )
    .await;
    conn.send(ConnCommand::Send(wscope::conn::Outgoing::Binary(
        vec![1u8; 16 << 20].into(),
    )));
    let seen = events_until(&mut events, "the send to finish", |e| {
        matches!(e, ConnEvent::Frame(f) if f.payload.len() == 16 << 20) || matches!(e, ConnEvent::State { .. })
    })
    .await;
    assert!(matches!(seen.last(), Some(ConnEvent::Frame(_))), "{seen:?}");
}

#[tokio::test]
async fn a_bad_close_reason_is_named_as_such() {
    // A close frame with code 1000 and a reason that is not UTF-8.
    let server = raw_after_handshake(&[0x88, 0x04, 0x03, 0xe8, 0xff, 0xfe]).await;
    let state = final_state(server.url("ws", "/"), settings()).await;
    let text = match &state {
        ConnState::Failed(error) => error.to_string(),
        other => panic!("{other:?}"),
    };
    assert!(text.contains("close reason"), "{text}");
}
