//! Reconnecting with backoff, replaying the profile's on-connect messages,
//! and stopping when the user disconnects.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use wscope::app::{App, InitialRequest};
use wscope::conn::{ConnSettings, ConnState};
use wscope::profile::Profile;

/// A server whose first connection dies a moment after the client
/// subscribes (as in a restart); later connections stay up. It records
/// every text it receives, tagged with the connection number.
async fn flaky_server(received: Arc<Mutex<Vec<(usize, String)>>>) -> common::TestServer {
    let connections = Arc::new(Mutex::new(0usize));
    common::serve(move |stream| {
        let received = received.clone();
        let connections = connections.clone();
        async move {
            let number = {
                let mut n = connections.lock().unwrap();
                *n += 1;
                *n
            };
            let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            while let Some(Ok(message)) = socket.next().await {
                if let Message::Text(text) = message {
                    received.lock().unwrap().push((number, text.to_string()));
                    if number == 1 {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        return; // dropped without a close frame
                    }
                    let _ = socket.send(Message::text(format!("ack:{text}"))).await;
                }
            }
        }
    })
    .await
}

async fn pump_until(
    app: &mut App,
    conn: &wscope::conn::ConnHandle,
    events: &mut tokio::sync::mpsc::Receiver<wscope::conn::ConnEvent>,
    what: &str,
    done: impl Fn(&App) -> bool,
) {
    let result = tokio::time::timeout(common::WAIT, async {
        loop {
            for command in app.take_commands() {
                conn.send(command);
            }
            if done(app) {
                return;
            }
            let event = events.recv().await.expect("connection task alive");
            app.on_conn_event(event);
        }
    })
    .await;
    assert!(
        result.is_ok(),
        "waited for {what}; state is {:?}",
        app.session().connection.state
    );
}

#[tokio::test]
async fn reconnects_after_a_drop_and_resubscribes() {
    let received = Arc::new(Mutex::new(Vec::new()));
    let server = flaky_server(received.clone()).await;
    let (conn, mut events) = wscope::conn::spawn(ConnSettings {
        ping_interval: None,
        ..ConnSettings::default()
    });
    let mut app = App::new(InitialRequest::default(), None);
    app.open_profile(
        "feed",
        Profile {
            url: server.url("ws", "/"),
            on_connect: vec!["subscribe".into()],
            reconnect: Some(true),
            ..Profile::default()
        },
        Vec::new(),
    );
    assert!(app.session().reconnect);
    app.update(wscope::action::Action::Connect);

    pump_until(&mut app, &conn, &mut events, "the drop", |a| {
        matches!(a.session().connection.state, ConnState::Reconnecting { attempt: 1, .. })
    })
    .await;
    pump_until(&mut app, &conn, &mut events, "the second subscription's ack", |a| {
        a.session().frames.counters().frames_in >= 1
    })
    .await;
    assert!(matches!(app.session().connection.state, ConnState::Open { .. }));
    assert_eq!(
        *received.lock().unwrap(),
        vec![(1, "subscribe".to_string()), (2, "subscribe".to_string())],
        "the on-connect message is replayed on the new connection"
    );

    // A manual disconnect ends it for good: no reconnecting afterwards.
    app.handle_key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('o'),
        crossterm::event::KeyModifiers::CONTROL,
    ));
    pump_until(&mut app, &conn, &mut events, "closed", |a| {
        matches!(a.session().connection.state, ConnState::Closed { .. })
    })
    .await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    while let Ok(event) = events.try_recv() {
        app.on_conn_event(event);
    }
    assert!(
        matches!(app.session().connection.state, ConnState::Closed { .. }),
        "{:?}",
        app.session().connection.state
    );
}

#[tokio::test]
async fn ctrl_o_stops_a_pending_reconnect() {
    let server = common::serve(|stream| async move {
        let _ = tokio_tungstenite::accept_async(stream).await;
    })
    .await;
    let (conn, mut events) = wscope::conn::spawn(ConnSettings {
        ping_interval: None,
        reconnect: true,
        ..ConnSettings::default()
    });
    let mut app = App::new(
        InitialRequest {
            url: server.url("ws", "/"),
            ..InitialRequest::default()
        },
        None,
    );
    app.update(wscope::action::Action::Connect);
    pump_until(&mut app, &conn, &mut events, "reconnecting", |a| {
        matches!(a.session().connection.state, ConnState::Reconnecting { .. })
    })
    .await;
    app.update(wscope::action::Action::ToggleConnection);
    pump_until(
        &mut app,
        &conn,
        &mut events,
        "stopped",
        |a| matches!(&a.session().connection.state, ConnState::Closed { reason, .. } if reason == "reconnecting stopped"),
    )
    .await;
}

#[tokio::test]
async fn a_server_that_accepts_and_drops_at_once_sees_the_gaps_grow() {
    // Each connection completes the upgrade and is dropped at once: it was
    // "open", but never for long, so the backoff must not start over.
    let accepted = Arc::new(Mutex::new(Vec::<std::time::Instant>::new()));
    let seen = accepted.clone();
    let server = common::serve(move |stream| {
        let seen = seen.clone();
        async move {
            if tokio_tungstenite::accept_async(stream).await.is_ok() {
                seen.lock().unwrap().push(std::time::Instant::now());
            }
        }
    })
    .await;
    let (conn, mut events) = wscope::conn::spawn(ConnSettings {
        ping_interval: None,
        reconnect: true,
        ..ConnSettings::default()
    });
    conn.send(wscope::conn::ConnCommand::Connect(
        wscope::request::build(&server.url("ws", "/"), &[], &[]).unwrap(),
    ));
    let watch = tokio::time::sleep(Duration::from_millis(4_200));
    tokio::pin!(watch);
    loop {
        tokio::select! {
            _ = &mut watch => break,
            event = events.recv() => if event.is_none() { break },
        }
    }
    let times = accepted.lock().unwrap().clone();
    // Delays drawn from [0.25, 0.5], [0.5, 1], [1, 2], [2, 4] s: at most 5
    // connections in 4.2 s (the old reset gave one every 0.25-0.5 s).
    assert!((3..=5).contains(&times.len()), "{} connections", times.len());
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    for (i, gap) in gaps.iter().enumerate() {
        let step = wscope::conn::backoff::BASE * (1 << i);
        assert!(
            *gap >= step / 2,
            "gap {i} was {gap:?}, below half of {step:?}: {gaps:?}"
        );
    }
}
