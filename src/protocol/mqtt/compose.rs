//! What the Message pane takes for MQTT: `sub TOPIC [qos=N]`,
//! `unsub TOPIC`, and `pub TOPIC [qos=N] [retain] PAYLOAD`, the payload
//! running on over the next lines, `hex:` or `base64:` for bytes; a topic
//! with spaces in double quotes. Packet ids are the connection's to
//! assign.

use base64::Engine as _;

/// One thing to do, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Subscribe {
        filter: String,
        qos: u8,
    },
    Unsubscribe {
        filter: String,
    },
    Publish {
        topic: String,
        qos: u8,
        retain: bool,
        payload: Vec<u8>,
    },
}

/// The composer's text as a command.
pub fn compose(text: &str) -> Result<Command, String> {
    let text = text.trim_start();
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let first = first.strip_suffix('\r').unwrap_or(first);
    let (verb, args) = first.split_once(' ').unwrap_or((first, ""));
    match verb {
        "sub" | "subscribe" => {
            let (filter, after) = split_topic(args)?.ok_or("sub: which topic filter? (sub sensors/# qos=1)")?;
            check_filter(&filter)?;
            let mut qos = 0;
            for option in after.split(' ').filter(|w| !w.is_empty()) {
                qos = qos_option(option).ok_or_else(|| format!("sub: {option:?} is not qos=0, qos=1 or qos=2"))?;
            }
            Ok(Command::Subscribe { filter, qos })
        }
        "unsub" | "unsubscribe" => {
            let (filter, _) = split_topic(args)?.ok_or("unsub: which topic filter?")?;
            Ok(Command::Unsubscribe { filter })
        }
        "pub" | "publish" => {
            let (topic, mut after) = split_topic(args)?.ok_or("pub: which topic? (pub sensors/t1 qos=1 {\"t\":21})")?;
            if topic.contains(['+', '#']) {
                return Err(format!("pub: {topic:?} has a wildcard; a message goes to one topic"));
            }
            // Options come first; the payload is the rest of the line as
            // typed (spaces kept), then the lines after it.
            let (mut qos, mut retain) = (0, false);
            loop {
                let trimmed = after.trim_start_matches(' ');
                let word = trimmed.split(' ').next().unwrap_or_default();
                if let Some(q) = qos_option(word) {
                    qos = q;
                } else if word == "retain" {
                    retain = true;
                } else {
                    after = trimmed;
                    break;
                }
                after = &trimmed[word.len()..];
            }
            let payload = match (after.is_empty(), rest.is_empty()) {
                (_, true) => after.to_string(),
                (true, false) => rest.to_string(),
                (false, false) => format!("{after}\n{rest}"),
            };
            Ok(Command::Publish {
                topic,
                qos,
                retain,
                payload: payload_bytes(&payload)?,
            })
        }
        _ => Err("mqtt: start with sub TOPIC, unsub TOPIC or pub TOPIC PAYLOAD".into()),
    }
}

/// The topic at the start of `line` and what follows it. MQTT topics may
/// hold spaces: such a topic is written in double quotes
/// (`pub "living room/t" 21`), with `\"` and `\\` inside.
fn split_topic(line: &str) -> Result<Option<(String, &str)>, String> {
    let line = line.trim_start_matches(' ');
    let Some(quoted) = line.strip_prefix('"') else {
        return Ok(line
            .split(' ')
            .next()
            .filter(|word| !word.is_empty())
            .map(|word| (word.to_string(), &line[word.len()..])));
    };
    let mut topic = String::new();
    let mut chars = quoted.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => {
                let after = &quoted[at + 1..];
                if !(after.is_empty() || after.starts_with(' ')) {
                    return Err(format!("a space must follow the quoted topic {topic:?}"));
                }
                if topic.is_empty() {
                    return Err("an empty topic (\"\") is not allowed".into());
                }
                return Ok(Some((topic, after)));
            }
            '\\' => match chars.next() {
                Some((_, escaped @ ('"' | '\\'))) => topic.push(escaped),
                _ => return Err("in a quoted topic, \\ goes before \" or \\ only".into()),
            },
            c => topic.push(c),
        }
    }
    Err(format!("the quoted topic {topic:?} has no closing quote"))
}

/// A topic as the composer takes it: quoted when it holds a space or a
/// quote, so that a row can be typed back.
pub fn typed_topic(topic: &str) -> std::borrow::Cow<'_, str> {
    if topic.contains(' ') || topic.starts_with('"') {
        let escaped = topic.replace('\\', "\\\\").replace('"', "\\\"");
        std::borrow::Cow::Owned(format!("\"{escaped}\""))
    } else {
        std::borrow::Cow::Borrowed(topic)
    }
}

fn qos_option(word: &str) -> Option<u8> {
    match word {
        "qos=0" | "q0" => Some(0),
        "qos=1" | "q1" => Some(1),
        "qos=2" | "q2" => Some(2),
        _ => None,
    }
}

/// A filter's wildcards where the spec allows them: `+` alone in a level,
/// `#` alone in the last.
fn check_filter(filter: &str) -> Result<(), String> {
    let levels: Vec<&str> = filter.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        let misplaced_hash = level.contains('#') && (*level != "#" || i + 1 != levels.len());
        let misplaced_plus = level.contains('+') && *level != "+";
        if misplaced_hash || misplaced_plus {
            return Err(format!(
                "sub: {filter:?}: + must fill a level and # must be the last level"
            ));
        }
    }
    Ok(())
}

/// `hex:…` and `base64:…` are bytes; anything else is its UTF-8.
fn payload_bytes(payload: &str) -> Result<Vec<u8>, String> {
    if let Some(digits) = payload.strip_prefix("hex:") {
        let digits: String = digits.chars().filter(|c| !c.is_whitespace()).collect();
        return hex::decode(digits).map_err(|e| format!("pub: hex: {e}"));
    }
    if let Some(encoded) = payload.strip_prefix("base64:") {
        return base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|e| format!("pub: base64: {e}"));
    }
    Ok(payload.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_unsub_and_pub_read_their_topic_and_options() {
        assert_eq!(
            compose("sub sensors/+/t qos=2"),
            Ok(Command::Subscribe {
                filter: "sensors/+/t".into(),
                qos: 2
            })
        );
        assert!(compose("sub a/#/b").unwrap_err().contains("# must be the last"));
        assert!(compose("sub a/b+").is_err());
        assert_eq!(
            compose("pub t/1 qos=1 retain {\"t\": 21}"),
            Ok(Command::Publish {
                topic: "t/1".into(),
                qos: 1,
                retain: true,
                payload: b"{\"t\": 21}".to_vec()
            })
        );
        assert!(compose("pub t/# x").unwrap_err().contains("wildcard"));
        assert_eq!(compose("unsub t/1"), Ok(Command::Unsubscribe { filter: "t/1".into() }));
    }

    #[test]
    fn a_payload_runs_on_over_lines_and_may_be_bytes() {
        let Ok(Command::Publish { payload, .. }) = compose("pub t\n{\"a\": 1,\n \"b\": 2}") else {
            panic!("a publish")
        };
        assert_eq!(payload, b"{\"a\": 1,\n \"b\": 2}");
        let Ok(Command::Publish { payload, .. }) = compose("pub t hex:00 ff 10") else {
            panic!("a publish")
        };
        assert_eq!(payload, [0, 255, 16]);
        let Ok(Command::Publish { payload, .. }) = compose("pub t base64:AAE=") else {
            panic!("a publish")
        };
        assert_eq!(payload, [0, 1]);
        assert!(compose("pub t hex:0").is_err());
        assert!(compose("hello").unwrap_err().contains("sub TOPIC"));
    }

    #[test]
    fn a_topic_with_spaces_is_written_in_quotes() {
        assert_eq!(
            compose(r#"pub "living room/t" qos=1 {"t": 21}"#),
            Ok(Command::Publish {
                topic: "living room/t".into(),
                qos: 1,
                retain: false,
                payload: br#"{"t": 21}"#.to_vec(),
            })
        );
        assert_eq!(
            compose(r#"sub "a \"b\"\\c/+" q2"#),
            Ok(Command::Subscribe {
                filter: r#"a "b"\c/+"#.into(),
                qos: 2,
            })
        );
        assert_eq!(
            compose(r#"unsub "x y""#),
            Ok(Command::Unsubscribe { filter: "x y".into() })
        );
        assert!(compose(r#"pub "open topic"#).unwrap_err().contains("no closing quote"));
        assert!(compose(r#"pub "a"b c"#).unwrap_err().contains("space must follow"));
        assert!(compose(r#"sub "" "#).unwrap_err().contains("empty topic"));
        assert!(compose(r#"pub "a\x" 1"#).is_err());
        for topic in ["plain/t", "living room/t", r#""quoted" \ room"#] {
            let typed = format!("pub {} x", typed_topic(topic));
            assert!(
                matches!(compose(&typed), Ok(Command::Publish { topic: read, .. }) if read == topic),
                "{typed}"
            );
        }
    }
}
