//! `wscope import FILE.har`: a profile from a recorded connection.

use crate::profile::{Profile, SavedMessage};
use crate::record::{Direction, FrameKind};

use super::Recording;

/// The profile a recording describes: its URL (the query as param rows),
/// its headers minus the handshake's own, its subprotocol, and the text
/// messages the client sent as saved messages (the first also in the
/// composer). The notes say what was left out.
pub fn profile_of(recording: &Recording) -> (Profile, Vec<String>) {
    let mut notes = Vec::new();
    // The reader has left out the handshake's own headers already.
    let (url, params, headers) = super::request_text(recording);
    let mut saved_messages: Vec<SavedMessage> = Vec::new();
    for frame in &recording.frames {
        if frame.direction != Direction::Sent {
            continue;
        }
        if frame.kind != FrameKind::Text {
            notes.push("left out a binary message (saved messages are text)".into());
            continue;
        }
        // Sent as recorded: a `{{` in it names no variable of this user's.
        let body = crate::profile::vars::Foreign::escape(&String::from_utf8_lossy(&frame.payload)).into_owned();
        if saved_messages.iter().any(|m| m.body == body) {
            continue;
        }
        saved_messages.push(SavedMessage {
            name: format!("message {}", saved_messages.len() + 1),
            body,
        });
    }
    let profile = Profile {
        url,
        params,
        headers,
        message: saved_messages.first().map(|m| m.body.clone()).unwrap_or_default(),
        subprotocols: recording.subprotocol.iter().cloned().collect(),
        saved_messages,
        ..Profile::default()
    };
    (profile, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::KvRow;

    #[test]
    fn a_chrome_har_becomes_a_profile() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/chrome.har");
        let recording = crate::recording::load(std::path::Path::new(path)).unwrap().remove(0);
        let (profile, notes) = profile_of(&recording);
        assert_eq!(profile.url, "wss://stream.example.com/v1/feed");
        assert_eq!(profile.params, [KvRow::new("room", "blue")]);
        let names: Vec<&str> = profile.headers.iter().map(|h| h.key.as_str()).collect();
        assert_eq!(names, ["Origin", "api-key"]);
        assert_eq!(profile.subprotocols, ["feed.v1"]);
        assert_eq!(profile.saved_messages.len(), 1);
        assert_eq!(profile.saved_messages[0].body, r#"{"op":"subscribe","symbol":"WSC"}"#);
        assert_eq!(profile.message, profile.saved_messages[0].body);
        assert!(notes.is_empty(), "{notes:?}");
    }
}
