//! JSON-RPC 2.0 against jsonrpsee, a real server no one on the team wrote:
//! calls composed as `method {params}` get ids and pair with their
//! responses, errors and subscription notifications read as such.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;

use common::events_until;
use jsonrpsee::server::{RpcModule, Server, ServerHandle, SubscriptionMessage};
use jsonrpsee::types::ErrorObjectOwned;
use serde_json::{Value, json};
use wscope::conn::{ConnCommand, ConnEvent, Outgoing};
use wscope::protocol::{Protocol, ProtocolKind};

/// `say_hello {name}` answers `hello NAME`, `fail` answers error -32000,
/// and `subscribe_ticks` sends three `tick` notifications.
async fn jsonrpc_server() -> (SocketAddr, ServerHandle) {
    let server = Server::builder().build("127.0.0.1:0").await.unwrap();
    let mut module = RpcModule::new(());
    module
        .register_method("say_hello", |params, _, _| {
            let name = params
                .parse::<Value>()
                .ok()
                .and_then(|p| p["name"].as_str().map(str::to_string))
                .unwrap_or_default();
            format!("hello {name}")
        })
        .unwrap();
    module
        .register_method("fail", |_, _, _| {
            Err::<(), _>(ErrorObjectOwned::owned(-32000, "boom", None::<()>))
        })
        .unwrap();
    module
        .register_subscription(
            "subscribe_ticks",
            "tick",
            "unsubscribe_ticks",
            |_, pending, _, _| async move {
                let sink = pending.accept().await?;
                for n in 1..=3 {
                    let message = serde_json::value::to_raw_value(&json!({ "n": n })).unwrap();
                    sink.send(SubscriptionMessage::from(message)).await?;
                }
                jsonrpsee::core::SubscriptionResult::Ok(())
            },
        )
        .unwrap();
    let addr = server.local_addr().unwrap();
    (addr, server.start(module))
}

fn protocol() -> Protocol {
    Protocol {
        kind: ProtocolKind::named("jsonrpc").unwrap(),
        ..Protocol::default()
    }
}

fn described(event: &ConnEvent) -> Option<String> {
    match event {
        ConnEvent::Frame(frame) => protocol().describe(&String::from_utf8_lossy(&frame.payload)),
        _ => None,
    }
}

#[tokio::test]
async fn calls_results_errors_and_notifications() {
    let (addr, _server) = jsonrpc_server().await;
    let (conn, mut events) = common::spawn_quiet();
    let mut request = wscope::request::build(&format!("ws://{addr}/"), &[], &[]).unwrap();
    request.protocol = protocol();
    conn.send(ConnCommand::Connect(request));
    common::until_open(&mut events).await;
    let mut ids = 1;
    let mut call = |text: &str| ConnCommand::Send(Outgoing::Text(protocol().encode(text, &mut ids).unwrap()));
    conn.send(call(r#"say_hello {"name":"x"}"#));
    let seen = events_until(&mut events, "the result", |e| {
        described(e).is_some_and(|d| d.starts_with("result"))
    })
    .await;
    let rows: Vec<String> = seen.iter().filter_map(described).collect();
    assert!(
        rows.contains(&r#"call #1 say_hello {"name":"x"}"#.to_string()),
        "{rows:?}"
    );
    assert_eq!(rows.last().map(String::as_str), Some(r#"result #1 "hello x""#));

    conn.send(call("fail"));
    let seen = events_until(&mut events, "the error", |e| {
        described(e).is_some_and(|d| d.starts_with("error"))
    })
    .await;
    assert_eq!(
        seen.iter().rev().find_map(described).as_deref(),
        Some("error #2 -32000 boom")
    );

    conn.send(call("subscribe_ticks"));
    let seen = events_until(&mut events, "three notifications", |e| {
        described(e).is_some_and(|d| d.starts_with("notify tick") && d.contains(r#""n":3"#))
    })
    .await;
    let notes = seen
        .iter()
        .filter_map(described)
        .filter(|d| d.starts_with("notify tick"))
        .count();
    assert_eq!(notes, 3);
}

#[test]
fn test_exits_0_on_a_matching_result() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (addr, server) = runtime.block_on(jsonrpc_server());
    let url = format!("ws://{addr}/");
    let jq = r#".result == "hello cli" and .id == 1"#;
    common::wscope_ok(&[
        "test",
        "--protocol",
        "jsonrpc",
        &url,
        "-m",
        r#"say_hello {"name":"cli"}"#,
        "--expect-jq",
        jq,
        "--timeout",
        "5",
    ]);
    drop(server);
}
