use std::time::{Duration, Instant};

use super::*;
use crate::protocol::stomp::compose;

fn options(auth: Option<&str>) -> Protocol {
    Protocol {
        kind: crate::protocol::ProtocolKind::named("stomp").unwrap(),
        auth: auth.map(str::to_string),
        host: Some("broker".into()),
        heartbeat: Some((Duration::from_millis(1000), Duration::from_millis(2000))),
        connect_timeout: Some(Duration::from_secs(5)),
        ..Protocol::default()
    }
}

fn frame_of(text: &str) -> Frame {
    frame::parse(text).unwrap().frames.remove(0)
}

#[test]
fn connect_offers_every_version_the_host_and_heart_beats_with_the_passcode_masked() {
    let mut client = Client::new(&options(Some(
        r#"{"login":"guest","passcode":"s3cret","client-id":"x"}"#,
    )));
    let reaction = client.on_open(Instant::now());
    let sent = &reaction.replies[0];
    let connect = frame_of(&sent.text);
    assert_eq!(connect.command, "CONNECT");
    assert_eq!(connect.header("accept-version"), Some("1.2,1.1,1.0"));
    assert_eq!(connect.header("host"), Some("broker"));
    assert_eq!(connect.header("heart-beat"), Some("1000,2000"));
    assert_eq!(connect.header("passcode"), Some("s3cret"));
    assert_eq!(connect.header("client-id"), Some("x"));
    let shown = sent.shown.as_deref().unwrap();
    assert!(!shown.contains("s3cret") && shown.contains("login:guest"), "{shown}");
    assert!(
        shown.contains("client-id:[masked]"),
        "every --auth value but the login is masked: {shown}"
    );
}

#[test]
fn frames_wait_for_connected_then_go_with_ids_and_receipts() {
    let mut client = Client::new(&options(None));
    let now = Instant::now();
    client.on_open(now);
    let sub = compose::compose("sub /queue/q ack=client").unwrap().to_wire();
    assert!(client.gate(sub).is_none(), "held until CONNECTED");
    let reaction = client.on_text(
        "CONNECTED\nversion:1.2\nheart-beat:4000,500\nserver:RabbitMQ\n\n\0",
        now,
    );
    assert!(reaction.fail.is_none());
    assert!(
        reaction.notes[0].1.contains("stomp 1.2 connected to RabbitMQ"),
        "{:?}",
        reaction.notes
    );
    let released = frame_of(&reaction.replies[0].text);
    assert_eq!(released.header("id"), Some("sub-0"));
    assert_eq!(released.header("receipt"), Some("0"));
    // Heart-beats: we send at max(1000, 500), expect at max(4000, 2000).
    assert_eq!(client.send_every, Some(Duration::from_millis(1000)));
    assert_eq!(client.expect_every, Some(Duration::from_millis(4000)));
    let unsub = client
        .gate(compose::compose("unsub /queue/q").unwrap().to_wire())
        .unwrap();
    let unsub = frame_of(&unsub.text);
    assert_eq!(
        (unsub.header("id"), unsub.header("receipt")),
        (Some("sub-0"), Some("1"))
    );
    let disconnect = client.on_close();
    assert_eq!(frame_of(&disconnect[0].text).command, "DISCONNECT");
}

#[test]
fn heart_beats_go_out_on_time_and_a_quiet_server_fails_the_connection() {
    let mut client = Client::new(&options(None));
    let start = Instant::now();
    client.on_open(start);
    client.on_text("CONNECTED\nversion:1.2\nheart-beat:1000,1000\n\n\0", start);
    assert_eq!(client.deadline(), Some(start + Duration::from_millis(1000)));
    let reaction = client.on_deadline(start + Duration::from_millis(1000));
    assert_eq!(reaction.answers, vec!["\n".to_string()]);
    assert!(reaction.fail.is_none());
    let beat = client.on_text("\n", start + Duration::from_millis(1500));
    assert!(beat.hide, "a heart-beat is hidden");
    // Expected every 2 s (max of 1000 and our 2000); twice that is allowed.
    let late = start + Duration::from_millis(1500 + 4000);
    let reaction = client.on_deadline(late);
    assert!(
        reaction.fail.as_deref().is_some_and(|f| f.contains("presumed gone")),
        "{reaction:?}"
    );
}

#[test]
fn no_connected_in_time_or_a_refused_connect_fails_with_the_reason() {
    let mut client = Client::new(&options(None));
    let start = Instant::now();
    client.on_open(start);
    let reaction = client.on_deadline(start + Duration::from_secs(5));
    assert!(reaction.fail.unwrap().contains("no CONNECTED within 5"));

    let mut client = Client::new(&options(None));
    client.on_open(start);
    let reaction = client.on_text("ERROR\nmessage:Bad CONNECT\n\nAccess refused for user 'x'\0", start);
    assert_eq!(
        reaction.fail.as_deref(),
        Some("stomp ERROR: Bad CONNECT: Access refused for user 'x'")
    );
    let reaction = client.on_text("MESSAGE\n\nno nul", start);
    assert!(reaction.notes[0].1.contains("without its NUL"), "{reaction:?}");
}

#[test]
fn inside_sockjs_frames_are_wrapped_and_unwrapped() {
    let mut sockjs = options(None);
    sockjs.sockjs = true;
    let mut client = Client::new(&sockjs);
    let start = Instant::now();
    assert!(
        client.on_open(start).replies.is_empty(),
        "CONNECT waits for the open frame"
    );
    let open = client.on_text("o", start);
    assert!(open.replies[0].text.starts_with("[\"CONNECT\\n"), "{open:?}");
    assert_eq!(open.frames, Some(vec![]));
    let connected = client.on_text(r#"a["CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\u0000","\n"]"#, start);
    assert_eq!(
        connected.frames.as_ref().map(Vec::len),
        Some(1),
        "the heart-beat is not logged"
    );
    let send = client
        .gate(compose::compose("send /queue/q hi").unwrap().to_wire())
        .unwrap();
    assert!(send.text.starts_with("[\"SEND\\n"));
    assert!(send.shown.unwrap().starts_with("SEND\n"));
    assert!(client.on_text("h", start).hide);
}

#[test]
fn a_transport_url_speaks_sockjs_only_when_the_server_opens_with_o() {
    let mut maybe = options(None);
    maybe.sockjs_if_opened = true;
    let start = Instant::now();
    let mut client = Client::new(&maybe);
    assert!(client.on_open(start).replies.is_empty(), "waits for the first frame");
    let open = client.on_text("o", start);
    assert!(open.replies[0].text.starts_with("[\"CONNECT"), "{open:?}");

    let mut client = Client::new(&maybe);
    client.on_open(start);
    let deadline = client.deadline().unwrap();
    assert!(deadline < start + Duration::from_secs(1));
    let connect = client.on_deadline(deadline);
    assert!(
        connect.replies[0].text.starts_with("CONNECT\n"),
        "plain STOMP: {connect:?}"
    );
}

/// A client connected in `version` with one subscription of each mode.
fn connected(version: &str) -> Client {
    let mut client = Client::new(&options(None));
    let now = Instant::now();
    client.on_open(now);
    client.on_text(&format!("CONNECTED\nversion:{version}\n\n\0"), now);
    for line in ["sub /queue/waits ack=client", "sub /queue/auto"] {
        client.gate(compose::compose(line).unwrap().to_wire()).unwrap();
    }
    client
}

#[test]
fn ack_message_id_becomes_the_ack_each_version_wants_and_auto_ones_are_refused() {
    let ack = |client: &mut Client, id: &str| {
        let text = compose::compose(&format!("ack {id}")).unwrap().to_wire();
        let refused = client.refuse(&text);
        (refused, client.gate(text).map(|sent| frame_of(&sent.text)))
    };
    let now = Instant::now();
    for version in ["1.0", "1.1"] {
        let mut client = connected(version);
        client.on_text(
            "MESSAGE\nmessage-id:m-1\nsubscription:sub-0\ndestination:/queue/waits\n\nhi\0",
            now,
        );
        client.on_text(
            "MESSAGE\nmessage-id:m-2\nsubscription:sub-1\ndestination:/queue/auto\n\nhi\0",
            now,
        );
        let (refused, sent) = ack(&mut client, "m-1");
        let sent = sent.unwrap();
        assert_eq!(refused, None);
        assert_eq!(
            (sent.header("message-id"), sent.header("subscription")),
            (Some("m-1"), Some("sub-0")),
            "STOMP {version}"
        );
        let (refused, _) = ack(&mut client, "m-2");
        assert!(refused.unwrap().contains("ack:auto"), "STOMP {version}");
    }
    let mut client = connected("1.2");
    client.on_text(
        "MESSAGE\nmessage-id:m-1\nsubscription:sub-0\nack:a-1\ndestination:/queue/waits\n\nhi\0",
        now,
    );
    client.on_text(
        "MESSAGE\nmessage-id:m-2\nsubscription:sub-1\ndestination:/queue/auto\n\nhi\0",
        now,
    );
    // By its message id (the `a` key on a row) or by its ack id (typed).
    for id in ["m-1", "a-1"] {
        let (refused, sent) = ack(&mut client, id);
        assert_eq!(refused, None);
        let sent = sent.unwrap();
        assert_eq!((sent.header("id"), sent.header("subscription")), (Some("a-1"), None));
    }
    assert!(ack(&mut client, "m-2").0.unwrap().contains("ack:auto"));
}
