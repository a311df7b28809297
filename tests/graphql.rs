//! GraphQL over WebSocket against async-graphql's own protocol handling,
//! in both subprotocols: a subscription runs to `complete`, an error
//! arrives as such, and a refused `connection_init` closes the connection.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::result_large_err)]

mod common;

use std::net::SocketAddr;

use async_graphql::http::{WebSocket, WebSocketProtocols as Protocols, WsMessage};
use async_graphql::{Data, EmptyMutation, Object, Schema, Subscription};
use common::events_until;
use futures_util::{SinkExt, Stream, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use wscope::conn::{ConnCommand, ConnEvent, ConnState, Outgoing};
use wscope::protocol::{Protocol, ProtocolKind};
use wscope::record::Closer;

struct Query;

#[Object]
impl Query {
    async fn hello(&self) -> &str {
        "hi"
    }
}

struct Subscriptions;

#[Subscription]
impl Subscriptions {
    async fn countdown(&self, from: i32) -> impl Stream<Item = i32> {
        futures_util::stream::iter((1..=from).rev())
    }

    /// A tick every 20 ms, forever: only a stop ends it.
    async fn ticks(&self) -> impl Stream<Item = i32> {
        futures_util::stream::unfold(0, |n| async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            Some((n, n + 1))
        })
    }

    async fn broken(&self) -> async_graphql::Result<impl Stream<Item = i32>> {
        Err::<futures_util::stream::Empty<i32>, _>("this subscription is broken".into())
    }
}

/// A GraphQL server speaking `subprotocol`; a `connection_init` payload
/// with `"token": "bad"` is refused.
async fn graphql_server(subprotocol: &'static str) -> SocketAddr {
    let schema = Schema::new(Query, EmptyMutation, Subscriptions);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let schema = schema.clone();
            tokio::spawn(async move {
                let pick = |request: &Request, response: Response| {
                    Ok(common::choose_subprotocol(request, response, subprotocol))
                };
                let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, pick).await else {
                    return;
                };
                let (mut sink, input) = socket.split();
                let input = input.filter_map(|message| {
                    futures_util::future::ready(match message {
                        Ok(Message::Text(text)) => Some(text.as_bytes().to_vec()),
                        _ => None,
                    })
                });
                let protocol: Protocols = subprotocol.parse().unwrap();
                let mut output = WebSocket::new(schema, Box::pin(input), protocol).on_connection_init(
                    |payload: serde_json::Value| async move {
                        if payload["token"] == "bad" {
                            Err("forbidden".into())
                        } else {
                            Ok(Data::default())
                        }
                    },
                );
                while let Some(message) = output.next().await {
                    let message = match message {
                        WsMessage::Text(text) => Message::text(text),
                        WsMessage::Close(code, reason) => Message::Close(Some(CloseFrame {
                            code: code.into(),
                            reason: reason.into(),
                        })),
                    };
                    if sink.send(message).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

fn request(addr: SocketAddr, auth: Option<&str>) -> wscope::request::ResolvedRequest {
    let mut request = wscope::request::build(&format!("ws://{addr}/graphql"), &[], &[]).unwrap();
    request.protocol = Protocol {
        kind: ProtocolKind::named("graphql").unwrap(),
        auth: auth.map(str::to_string),
        ..Protocol::default()
    };
    request.subprotocols = wscope::protocol::graphql::SUBPROTOCOLS.map(str::to_string).to_vec();
    request
}

fn described(event: &ConnEvent) -> Option<String> {
    match event {
        ConnEvent::Frame(frame) => wscope::protocol::graphql::describe(&String::from_utf8_lossy(&frame.payload)),
        _ => None,
    }
}

#[tokio::test]
async fn a_subscription_counts_down_to_complete_in_both_subprotocols() {
    for (subprotocol, result) in [("graphql-transport-ws", "next"), ("graphql-ws", "data")] {
        let addr = graphql_server(subprotocol).await;
        let (conn, mut events) = common::spawn_quiet();
        conn.send(ConnCommand::Connect(request(addr, None)));
        assert_eq!(common::until_open(&mut events).await.as_deref(), Some(subprotocol));
        // Sent as soon as the socket is open: held until connection_ack,
        // then wrapped with an id.
        conn.send(ConnCommand::Send(Outgoing::Text(
            "subscription { countdown(from: 3) }".into(),
        )));
        let seen = events_until(&mut events, "complete", |e| {
            described(e).is_some_and(|d| d.starts_with("complete"))
        })
        .await;
        let rows: Vec<String> = seen.iter().filter_map(described).collect();
        let counts: Vec<&String> = rows.iter().filter(|r| r.starts_with(result)).collect();
        assert_eq!(counts.len(), 3, "{subprotocol}: {rows:#?}");
        assert!(
            counts[0].contains(r#""countdown":3"#) && counts[2].contains(r#""countdown":1"#),
            "{rows:#?}"
        );
        assert!(rows.iter().any(|r| r.starts_with("connection_init")), "{rows:#?}");
    }
}

#[tokio::test]
async fn a_stop_ends_an_endless_subscription_in_both_subprotocols() {
    use wscope::protocol::graphql::{OperationState, Operations, stop_message};
    for subprotocol in ["graphql-transport-ws", "graphql-ws"] {
        let addr = graphql_server(subprotocol).await;
        let (conn, mut events) = common::spawn_quiet();
        conn.send(ConnCommand::Connect(request(addr, None)));
        let negotiated = common::until_open(&mut events).await;
        conn.send(ConnCommand::Send(Outgoing::Text("subscription { ticks }".into())));
        let mut operations = Operations::default();
        let observe = |operations: &mut Operations, seen: &[ConnEvent]| {
            for event in seen {
                if let ConnEvent::Frame(f) = event {
                    operations.observe(f.direction == wscope::record::Direction::Sent, f.at, &f.payload);
                }
            }
        };
        let seen = events_until(&mut events, "two ticks", |e| {
            described(e).is_some_and(|d| d.contains(r#""ticks":1"#))
        })
        .await;
        observe(&mut operations, &seen);
        let running = operations.get(0).unwrap().clone();
        assert_eq!(
            (running.state, running.results),
            (OperationState::Running, 2),
            "{seen:#?}"
        );
        assert!(running.first_result.is_some());
        // What the operations list sends for `s`.
        conn.send(ConnCommand::Send(Outgoing::Text(stop_message(
            &running.id,
            negotiated.as_deref(),
        ))));
        let seen = events_until(&mut events, "the stop", |e| {
            described(e).is_some_and(|d| d.starts_with("complete #1") || d.starts_with("stop #1"))
        })
        .await;
        observe(&mut operations, &seen);
        assert_eq!(
            operations.get(0).unwrap().state,
            OperationState::Stopped,
            "{subprotocol}"
        );
        // A tick may have been on its way; after that, silence.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        while events.try_recv().is_ok() {}
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let late: Vec<String> = std::iter::from_fn(|| events.try_recv().ok())
            .filter_map(|e| described(&e))
            .collect();
        assert!(late.is_empty(), "{subprotocol}: results after the stop: {late:#?}");
    }
}

#[tokio::test]
async fn an_error_arrives_as_such() {
    let addr = graphql_server("graphql-transport-ws").await;
    let (conn, mut events) = common::spawn_quiet();
    conn.send(ConnCommand::Connect(request(addr, None)));
    common::until_open(&mut events).await;
    conn.send(ConnCommand::Send(Outgoing::Text("subscription { broken }".into())));
    let seen = events_until(&mut events, "the error", |e| {
        described(e).is_some_and(|d| d.starts_with("error") || d.starts_with("next"))
    })
    .await;
    let row = seen.iter().rev().find_map(described).unwrap();
    assert!(row.contains("this subscription is broken"), "{row}");
}

#[tokio::test]
async fn a_refused_init_closes_the_connection() {
    let addr = graphql_server("graphql-transport-ws").await;
    let (conn, mut events) = common::spawn_quiet();
    conn.send(ConnCommand::Connect(request(addr, Some(r#"{"token":"bad"}"#))));
    let seen = events_until(&mut events, "the close", |e| {
        matches!(
            e,
            ConnEvent::State {
                state: ConnState::Closed { .. } | ConnState::Failed(_),
                ..
            }
        )
    })
    .await;
    // The init payload is a secret: sent, but shown masked.
    assert!(
        seen.iter().any(
            |e| matches!(e, ConnEvent::Frame(f) if f.payload == r#"{"type":"connection_init","payload":"[masked]"}"#)
        ),
        "{seen:#?}"
    );
    assert!(!format!("{seen:?}").contains("bad"), "{seen:#?}");
    let Some(ConnEvent::State { state, .. }) = seen.last() else {
        panic!()
    };
    // async-graphql closes a refused init itself, with its own code.
    assert!(
        matches!(state, ConnState::Closed { reason, by: Closer::Server, .. } if reason == "forbidden"),
        "{state:?}"
    );
    assert_eq!(wscope::protocol::close_code_meaning(4403), "graphql: forbidden");
}

/// A reference GraphQL server to try the inspector against by hand:
/// `cargo test --test graphql serve_by_hand -- --ignored --nocapture`.
#[test]
#[ignore = "serves for ten minutes, for trying the inspector by hand"]
fn serve_by_hand() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let addr = runtime.block_on(graphql_server("graphql-transport-ws"));
    println!("graphql server on ws://{addr}/graphql (graphql-transport-ws)");
    std::thread::sleep(std::time::Duration::from_secs(600));
}
