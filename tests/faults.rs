//! The fault matrix: every way a connection can fail ends in a named state
//! with a reason, each against a purpose-built misbehaving server on 127.0.0.1.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{events_until, raw_after_handshake, raw_http, serve};
use wscope::conn::request::build;
use wscope::conn::{ABNORMAL_CLOSURE, Closer, ConnCommand, ConnError, ConnEvent, ConnSettings, ConnState};

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

#[test]
fn dns_failure_is_classified_by_phase() {
    // Resolving a real name would leave loopback, so the classification is
    // checked on the error the resolver returns.
    let error = std::io::Error::other("failed to lookup address information: Name or service not known");
    let classified = ConnError::from_io(wscope::conn::Phase::Dns, &error, "nosuch.invalid");
    assert!(matches!(&classified, ConnError::Dns { host, .. } if host == "nosuch.invalid"));
    assert!(
        classified
            .to_string()
            .starts_with("DNS lookup for nosuch.invalid failed")
    );
}
