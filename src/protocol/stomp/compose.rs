//! What the Message pane takes for STOMP: `sub DEST [ack=…]`, `unsub DEST`,
//! `send DEST BODY` (the body may run on over the next lines), `ack ID`,
//! `nack ID`, or a whole frame written as text (`COMMAND`, header lines, a
//! blank line, the body). The NUL is added; subscription ids and receipts
//! are left to the connection, which knows what was sent before.

use super::frame::Frame;

/// Commands a client may send (STOMP 1.2 §"Client Frames").
pub const CLIENT_COMMANDS: [&str; 11] = [
    "SEND",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "BEGIN",
    "COMMIT",
    "ABORT",
    "ACK",
    "NACK",
    "DISCONNECT",
    "CONNECT",
    "STOMP",
];

/// The acknowledgement modes of SUBSCRIBE.
const ACK_MODES: [&str; 3] = ["auto", "client", "client-individual"];

/// The composer's text as a frame.
pub fn compose(text: &str) -> Result<Frame, String> {
    let text = text.trim_start_matches(['\r', '\n']);
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let first = first.strip_suffix('\r').unwrap_or(first);
    let mut words = first.split_whitespace();
    let verb = words.next().unwrap_or_default();
    match verb {
        "sub" | "subscribe" => {
            let destination = words.next().ok_or("sub: which destination? (sub /queue/name)")?;
            let mut frame = Frame::new("SUBSCRIBE");
            frame.set("destination", destination);
            for option in words {
                let (name, value) = option
                    .split_once('=')
                    .ok_or_else(|| format!("sub: {option:?} is not name=value (ack=client)"))?;
                if name == "ack" && !ACK_MODES.contains(&value) {
                    return Err(format!("sub: ack={value} is not one of {}", ACK_MODES.join(", ")));
                }
                frame.set(name, value);
            }
            Ok(frame)
        }
        "unsub" | "unsubscribe" => {
            let target = words.next().ok_or("unsub: which destination or subscription id?")?;
            let mut frame = Frame::new("UNSUBSCRIBE");
            // The connection swaps a destination for the id it subscribed
            // with; anything else is taken as an id.
            frame.set("id", target);
            Ok(frame)
        }
        "send" => {
            let destination = words.next().ok_or("send: which destination? (send /queue/name BODY)")?;
            let inline = first
                .trim_start()
                .strip_prefix(verb)
                .map(str::trim_start)
                .and_then(|r| r.strip_prefix(destination))
                .map(|r| r.strip_prefix(' ').unwrap_or(r))
                .unwrap_or_default();
            let body = match (inline.is_empty(), rest.is_empty()) {
                (_, true) => inline.to_string(),
                (true, false) => rest.to_string(),
                (false, false) => format!("{inline}\n{rest}"),
            };
            let mut frame = Frame::new("SEND");
            frame.set("destination", destination);
            frame.set("content-type", content_type(&body));
            frame.body = body;
            Ok(frame)
        }
        "ack" | "nack" => {
            let id = words
                .next()
                .ok_or_else(|| format!("{verb}: which message? ({verb} ACK-ID)"))?;
            let mut frame = Frame::new(&verb.to_uppercase());
            frame.set("id", id);
            Ok(frame)
        }
        command if CLIENT_COMMANDS.contains(&command) && words.next().is_none() => written_frame(command, rest),
        _ => Err(format!(
            "stomp: start with sub, unsub, send, ack or nack, or write a frame ({} …)",
            CLIENT_COMMANDS[..4].join(", ")
        )),
    }
}

/// A frame typed out: header lines, then a blank line and the body.
fn written_frame(command: &str, rest: &str) -> Result<Frame, String> {
    let mut frame = Frame::new(command);
    let mut lines = rest.split('\n');
    for line in lines.by_ref() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("{command}: header line {line:?} has no ':'"))?;
        frame.headers.push((name.to_string(), value.to_string()));
    }
    frame.body = lines.collect::<Vec<_>>().join("\n");
    // A NUL typed at the end is the terminator, not part of the body.
    if frame.body.ends_with('\0') {
        frame.body.pop();
    }
    if command == "SEND" && !frame.body.is_empty() && !frame.has("content-type") {
        frame.set("content-type", content_type(&frame.body));
    }
    Ok(frame)
}

/// JSON bodies say so; anything else is text.
fn content_type(body: &str) -> &'static str {
    if serde_json::from_str::<serde::de::IgnoredAny>(body).is_ok() && body.trim_start().starts_with(['{', '[']) {
        "application/json"
    } else {
        "text/plain"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_and_unsub_name_their_destination_and_options() {
        let frame = compose("sub /queue/q ack=client-individual").unwrap();
        assert_eq!(frame.command, "SUBSCRIBE");
        assert_eq!(frame.header("destination"), Some("/queue/q"));
        assert_eq!(frame.header("ack"), Some("client-individual"));
        assert!(
            compose("sub /queue/q ack=sometimes")
                .unwrap_err()
                .contains("ack=sometimes")
        );
        assert!(compose("sub").is_err());
        assert_eq!(compose("unsub /queue/q").unwrap().header("id"), Some("/queue/q"));
    }

    #[test]
    fn send_takes_its_body_from_the_line_and_the_lines_after() {
        let frame = compose("send /queue/q hello world").unwrap();
        assert_eq!(
            (frame.body.as_str(), frame.header("content-type")),
            ("hello world", Some("text/plain"))
        );
        let frame = compose("send /topic/t\n{\"a\": 1,\n \"b\": 2}").unwrap();
        assert_eq!(frame.body, "{\"a\": 1,\n \"b\": 2}");
        assert_eq!(frame.header("content-type"), Some("application/json"));
        assert_eq!(compose("send /q  two spaces").unwrap().body, " two spaces");
        assert_eq!(compose("send /q").unwrap().body, "");
    }

    #[test]
    fn a_written_frame_keeps_its_headers_and_body() {
        let frame = compose("SEND\ndestination:/queue/q\nx-a:1\n\nbody\nline\0").unwrap();
        assert_eq!(
            frame.headers[..2],
            [("destination".into(), "/queue/q".into()), ("x-a".into(), "1".into())]
        );
        assert_eq!(frame.body, "body\nline");
        assert_eq!(
            compose("BEGIN\ntransaction:t1").unwrap().header("transaction"),
            Some("t1")
        );
        assert!(compose("SEND\nno colon\n\n").unwrap_err().contains("no ':'"));
    }

    #[test]
    fn anything_else_is_refused_with_what_is_taken() {
        let error = compose("{\"hello\": 1}").unwrap_err();
        assert!(error.contains("sub, unsub, send"), "{error}");
        assert!(
            compose("MESSAGE\n\n").is_err(),
            "a server's command is not the client's"
        );
        assert_eq!(compose("ack 42").unwrap().to_wire(), "ACK\nid:42\n\n\0");
    }
}
