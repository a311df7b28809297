//! `wscope serve --flood`: what a client of the flood receives.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::{Ipv4Addr, SocketAddr};

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use wscope::server::{DemoServer, Mode};

#[tokio::test]
async fn a_flood_sends_every_frame_in_order_then_closes() {
    let server = DemoServer::start_with(
        SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0),
        Mode::Flood {
            count: 3_000,
            size: 64,
            rate: None,
            socketio: false,
        },
    )
    .await
    .unwrap();
    let (mut socket, _) = tokio_tungstenite::connect_async(server.url()).await.unwrap();
    let mut expected = 0u64;
    let close = loop {
        match socket.next().await.expect("the flood ends with a close").unwrap() {
            Message::Text(text) => {
                assert_eq!(text.len(), 64);
                assert_eq!(&text[..11], format!("{expected:010} "));
                expected += 1;
            }
            Message::Close(close) => break close.expect("a close code"),
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(expected, 3_000);
    assert_eq!(close.code, CloseCode::Normal);
    assert_eq!(close.reason, "flood done");
}

#[tokio::test]
async fn a_socketio_flood_is_events_of_the_same_size_after_a_handshake() {
    let server = DemoServer::start_with(
        SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0),
        Mode::Flood {
            count: 500,
            size: 100,
            rate: None,
            socketio: true,
        },
    )
    .await
    .unwrap();
    let (mut socket, _) = tokio_tungstenite::connect_async(server.url()).await.unwrap();
    let mut texts = Vec::new();
    while let Some(Ok(message)) = socket.next().await {
        match message {
            Message::Text(text) => texts.push(text.to_string()),
            Message::Close(_) => break,
            _ => {}
        }
    }
    assert!(texts[0].starts_with(r#"0{"sid":"flood""#), "{:?}", texts[0]);
    assert_eq!(texts[1], r#"40{"sid":"flood"}"#);
    let events = &texts[2..];
    assert_eq!(events.len(), 500);
    assert!(events.iter().all(|t| t.len() == 100));
    assert_eq!(
        wscope::protocol::socketio::describe(&events[7]).unwrap()[..27],
        *r#"event tick "0000000007 xxxx"#
    );
}
