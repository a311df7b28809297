use std::path::Path;

use super::*;

fn flow(text: &str) -> Flow {
    crate::flow::file::parse(text, Path::new("chat.flow.toml")).unwrap()
}

fn request(url: &str) -> Profile {
    Profile {
        url: url.into(),
        ..Profile::default()
    }
}

fn export_with(flow: &Flow, request: &Profile, engine: Engine, lenient: bool) -> Result<Script, ExportError> {
    super::export(&Export {
        flow,
        request,
        engine,
        shape: Shape::default(),
        lenient,
        out_name: Some("chat.out".into()),
    })
}

const EVERY_STEP: &str = r#"
[vars]
room = "lobby"

[[step]]
send = 'join {{room}} {{env:USER_NAME}}'
[[step]]
expect = { jq = '.type == "joined"', within = "3s" }
capture = { id = ".data.id" }
[[step]]
json = { op = "say", id = "{{id}}" }
[[step]]
expect = { regex = "(?i)said", count = 2 }
[[step]]
wait = "1.5s"
[[step]]
repeat = { times = 3, steps = [ { send = "tick {{$randomInt}}" }, { expect = {} } ] }
[[step]]
close = { code = 1000, reason = "done" }
"#;

#[test]
fn every_step_kind_maps_to_artillery() {
    let flow = flow(EVERY_STEP);
    let mut request = request("ws://127.0.0.1:9/chat");
    request.headers.push(KvRow::new("api-key", "s3cret"));
    request.params.push(KvRow::new("v", "1 2"));
    request.subprotocols.push("chat.v1".into());
    let script = export_with(&flow, &request, Engine::Artillery, false).unwrap();
    insta::assert_snapshot!("artillery_every_step", script.text);
    assert!(!script.text.contains("s3cret"), "a secret is never written");
    assert!(script.warnings[0].contains("{{env:API_KEY}}"), "{:?}", script.warnings);
}

#[test]
fn every_step_kind_maps_to_k6() {
    let flow = flow(EVERY_STEP);
    let script = export_with(&flow, &request("wss://example.test/chat"), Engine::K6, false).unwrap();
    insta::assert_snapshot!("k6_every_step", script.text);
}

#[test]
fn each_step_that_cannot_map_is_refused_with_its_line() {
    let flow = flow(
        r#"
[[step]]
send = "hi"
[[step]]
expect = { jq = ".items | length > 2" }
[[step]]
expect = { schema = { type = "object" } }
[[step]]
expect_none = { regex = "error", for = "1s" }
[[step]]
expect = { regex = "ok", max_latency = "50ms" }
[[step]]
binary = "hex:00ff"
[[step]]
ping = true
[[step]]
expect = { regex = "x" }
capture = { n = ".a | first" }
"#,
    );
    let error = export_with(&flow, &request("ws://h/"), Engine::K6, false).unwrap_err();
    let ExportError::Unmapped { problems, .. } = &error else {
        panic!("{error}")
    };
    let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [4, 6, 8, 10, 12, 14, 16]);
    let text = error.to_string();
    for why in [
        "not a plain path compared",
        "JSON Schema",
        "expect_none",
        "max_latency",
        "binary",
        "pings",
        "capture n",
    ] {
        assert!(text.contains(why), "{why} in:\n{text}");
    }
    // Lenient: the rest is written, each refused step a comment.
    let script = export_with(&flow, &request("ws://h/"), Engine::K6, true).unwrap();
    assert_eq!(script.text.matches("// left out, line").count(), 7, "{}", script.text);
    assert!(script.warnings[0].contains("7 steps"), "{:?}", script.warnings);
}

#[test]
fn protocols_and_variables_the_engine_lacks_are_named() {
    let flow = flow("[[step]]\nsend = '[\"chat\", 1]'\n");
    let mut socketio = request("ws://h/socket.io/?EIO=4");
    let error = export_with(&flow, &socketio, Engine::K6, false)
        .unwrap_err()
        .to_string();
    assert!(error.contains("k6 has no Socket.IO engine"), "{error}");
    socketio.protocol = crate::protocol::ProtocolKind::named("graphql");
    let error = export_with(&flow, &socketio, Engine::Artillery, false)
        .unwrap_err()
        .to_string();
    assert!(error.contains("GraphQL") || error.contains("graphql"), "{error}");
    let seq = self::flow("[[step]]\nsend = 'n {{$seq}}'\n");
    let error = export_with(&seq, &request("ws://h/"), Engine::Artillery, false)
        .unwrap_err()
        .to_string();
    assert!(error.contains("{{$seq}}") && error.contains("line 1"), "{error}");
    let close_early = self::flow("[[step]]\nclose = true\n[[step]]\nsend = 'x'\n");
    let error = export_with(&close_early, &request("ws://h/"), Engine::Artillery, false)
        .unwrap_err()
        .to_string();
    assert!(error.contains("closes only when the scenario ends"), "{error}");
}

#[test]
fn a_socketio_flow_goes_to_artillerys_socketio_engine() {
    let flow = flow(
        r#"
[[step]]
send = '["hello", {"name": "{{env:USER_NAME}}"}]'
[[step]]
expect = { jq = '.event == "welcome"' }
capture = { id = ".args[0].id" }
[[step]]
send = '["ack", "{{id}}"]'
[[step]]
wait = "100ms"
"#,
    );
    let mut request = request("ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket");
    request.namespace = Some("/chat".into());
    let script = export_with(&flow, &request, Engine::Artillery, false).unwrap();
    insta::assert_snapshot!("artillery_socketio", script.text);
    // An expect must name its event; a regex cannot say which.
    let by_regex = self::flow("[[step]]\nsend = '[\"a\"]'\n[[step]]\nexpect = { regex = \"x\" }\n");
    let error = export_with(&by_regex, &request, Engine::Artillery, false)
        .unwrap_err()
        .to_string();
    assert!(error.contains(".event == "), "{error}");
}
