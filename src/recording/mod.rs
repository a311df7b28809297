//! Recordings read back: wscope's NDJSON (`--log` and exports) and HAR
//! files (wscope's, Chrome's and Firefox's `_webSocketMessages`), as a
//! request and its frames, for `wscope open` and the replays.
//!
//! May import: `format`, `profile`, `record`, `sanitize`, `secrets`.

mod har;
pub mod import;
mod ndjson;

use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::record::{FrameRecord, KvRow};

/// One recorded connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// The file it came from, for the screen.
    pub source: String,
    /// The request as recorded (secrets as the file has them: masked
    /// unless it was written with `--export-secrets`).
    pub url: String,
    pub headers: Vec<KvRow>,
    /// The subprotocol the server picked, if the file says.
    pub subprotocol: Option<String>,
    /// The handshake's status, when recorded (101, or a rejection).
    pub status: Option<u16>,
    /// A rejected handshake's body, when recorded.
    pub rejection_body: Option<String>,
    pub frames: Vec<FrameRecord>,
}

impl Recording {
    /// From the first frame to the last.
    pub fn span(&self) -> Duration {
        let first = self.frames.iter().map(|f| f.at).min();
        let last = self.frames.iter().map(|f| f.at).max();
        match (first, last) {
            (Some(first), Some(last)) => last.duration_since(first).unwrap_or_default(),
            _ => Duration::ZERO,
        }
    }

    /// When the recording starts.
    pub fn started(&self) -> Option<SystemTime> {
        self.frames.first().map(|f| f.at)
    }
}

/// A file that is not a recording wscope can read.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    // The source is printed after it, as the cause.
    #[error("cannot read {path}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}:{line}: {message}")]
    Format { path: String, line: usize, message: String },
    #[error("{path}: no WebSocket connection in it (a HAR needs _webSocketMessages, NDJSON frame records)")]
    Empty { path: String },
}

/// Reads every recorded connection in the file at `path`: one for NDJSON,
/// one per WebSocket entry for a HAR or connection of a proxy's log.
pub fn load(path: &Path) -> Result<Vec<Recording>, RecordingError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| RecordingError::Io {
        path: shown.clone(),
        source,
    })?;
    parse(&text, &shown)
}

/// Reads recordings from a file's text; `source` names it in errors.
pub fn parse(text: &str, source: &str) -> Result<Vec<Recording>, RecordingError> {
    let recordings = if looks_like_har(text) {
        har::parse(text, source)?
    } else {
        ndjson::parse(text, source)?
    };
    if recordings.is_empty() || recordings.iter().all(|r| r.frames.is_empty() && r.url.is_empty()) {
        return Err(RecordingError::Empty { path: source.into() });
    }
    Ok(recordings)
}

/// A HAR is one JSON object with a `log`; NDJSON is one object a line.
fn looks_like_har(text: &str) -> bool {
    let trimmed = text.trim_start();
    trimmed.starts_with('{') && {
        let first_line = trimmed.lines().next().unwrap_or_default().trim();
        // `{"log": …` on one line, or a pretty-printed `{` alone.
        first_line == "{" || first_line.starts_with(r#"{"log""#) || first_line.starts_with(r#"{ "log""#)
    }
}

/// Request headers a replayed or imported request must not send: the
/// handshake's own, and HTTP/2's pseudo-headers.
pub fn is_handshake_header(name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    lower.starts_with(':') || lower == "sec-websocket-protocol" || crate::profile::curl::is_dropped_header(&lower)
}

/// The connection `entry` names (1 is the first), or the only one. With
/// several and no entry, or a wrong one, the error lists them.
pub fn choose(mut recordings: Vec<Recording>, entry: Option<usize>, path: &str) -> Result<Recording, String> {
    let count = recordings.len();
    match entry {
        None if count == 1 => return Ok(recordings.remove(0)),
        Some(n) if (1..=count).contains(&n) => return Ok(recordings.swap_remove(n - 1)),
        _ => {}
    }
    let mut list = match entry {
        Some(n) => format!("--entry {n}: {path} holds {count} WebSocket connections:\n"),
        None => format!("{path} holds {count} WebSocket connections; pick one with --entry N:\n"),
    };
    for (n, recording) in recordings.iter().enumerate() {
        list.push_str(&format!(
            "  {:>2}  {}  ({}, {})\n",
            n + 1,
            crate::secrets::mask_url(&recording.url, crate::secrets::SCREEN_MASK),
            crate::format::count(recording.frames.len() as u64, "frame"),
            crate::format::duration(recording.span())
        ));
    }
    Err(crate::sanitize::text(&list).into_owned())
}

/// The recorded request as text wscope may resolve variables in: the URL
/// without its query, the query as param rows, and the headers, with every
/// `{{` escaped. A recording is someone else's file: a header of
/// `{{env:AWS_SECRET_ACCESS_KEY}}` in it must be sent as it is written, not
/// filled in from the user's environment.
pub fn request_text(recording: &Recording) -> (String, Vec<crate::record::KvRow>, Vec<crate::record::KvRow>) {
    let foreign = crate::profile::vars::Foreign::escape;
    let row = |key: &str, value: &str| KvRow::new(foreign(key), foreign(value));
    let (url, params) = match url::Url::parse(&recording.url) {
        Ok(mut parsed) if parsed.query().is_some() => {
            let rows = parsed.query_pairs().map(|(k, v)| row(&k, &v)).collect();
            parsed.set_query(None);
            (parsed.to_string(), rows)
        }
        _ => (recording.url.clone(), Vec::new()),
    };
    let headers = recording.headers.iter().map(|h| row(&h.key, &h.value)).collect();
    (foreign(&url).into_owned(), params, headers)
}

/// A one-line description for the screen: `file, N frames, span`.
pub fn describe(recording: &Recording) -> String {
    format!(
        "{}, {}, {}",
        recording.source,
        crate::format::count(recording.frames.len() as u64, "frame"),
        crate::format::duration(recording.span())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorded_request_becomes_pane_text_that_names_no_variable() {
        let recording = |url: &str| Recording {
            source: "r".into(),
            url: url.into(),
            headers: vec![KvRow::new("x-leak", "{{env:HOME}}")],
            subprotocol: None,
            status: None,
            rejection_body: None,
            frames: Vec::new(),
        };
        let (url, params, headers) = request_text(&recording(
            "wss://h.example/feed?room=blue&token=%5Bmasked%5D&t={{env:HOME}}",
        ));
        assert_eq!(url, "wss://h.example/feed");
        assert_eq!(
            params,
            [
                KvRow::new("room", "blue"),
                KvRow::new("token", "[masked]"),
                KvRow::new("t", r"\{{env:HOME}}")
            ]
        );
        assert_eq!(headers, [KvRow::new("x-leak", r"\{{env:HOME}}")]);
        assert_eq!(request_text(&recording("not a url {{x}}")).0, r"not a url \{{x}}");
    }
    use crate::decode::FrameDecoder;
    use crate::record::{Direction, FrameKind};
    use bytes::Bytes;

    fn frames() -> Vec<FrameRecord> {
        let at = |ms: u64| std::time::UNIX_EPOCH + Duration::from_millis(1_795_899_852_000 + ms);
        let frame = |ms, direction, kind, payload: &[u8]| FrameRecord {
            at: at(ms),
            direction,
            kind,
            payload: Bytes::copy_from_slice(payload),
        };
        vec![
            frame(0, Direction::Received, FrameKind::Text, br#"{"type":"hello"}"#),
            frame(5, Direction::Sent, FrameKind::Text, "héllo \u{1b}[31m".as_bytes()),
            frame(9, Direction::Received, FrameKind::Binary, &[0, 1, 2, 255, 0x80]),
            frame(12, Direction::Sent, FrameKind::Binary, b"not utf8 \xff"),
        ]
    }

    #[test]
    fn ndjson_round_trips_every_frame() {
        let mut text = String::from(
            r#"{"time":"2026-11-28T10:00:00.000000Z","event":"connecting","detail":"ws://127.0.0.1:9001/feed?room=blue"}"#,
        );
        text.push('\n');
        text.push_str(
            r#"{"event":"handshake","status":101,"headers":[{"name":"sec-websocket-protocol","value":"feed.v1"}]}"#,
        );
        text.push('\n');
        let mut all = frames();
        all.push(FrameRecord {
            at: all[0].at,
            direction: Direction::Received,
            kind: FrameKind::Close { code: Some(4000) },
            payload: Bytes::from_static(b"bye"),
        });
        text.push_str(&crate::export::ndjson(all.iter(), &FrameDecoder::default()));
        let recordings = parse(&text, "x.ndjson").unwrap();
        let recording = &recordings[0];
        assert_eq!(recording.frames, all);
        assert_eq!(recording.url, "ws://127.0.0.1:9001/feed?room=blue");
        assert_eq!(recording.subprotocol.as_deref(), Some("feed.v1"));
        assert_eq!(recording.status, Some(101));
        assert_eq!(describe(recording), "x.ndjson, 5 frames, 12.0ms");
    }

    #[test]
    fn wscope_har_round_trips_data_frames() {
        let request = crate::request::build(
            "ws://127.0.0.1:9001/feed",
            &[KvRow::new("room", "blue")],
            &[KvRow::new("x-trace", "1")],
        )
        .unwrap();
        let har = crate::export::har(
            Some(&request),
            None,
            None,
            frames().iter(),
            false,
            &FrameDecoder::default(),
        );
        let recordings = parse(&har, "x.har").unwrap();
        assert_eq!(recordings.len(), 1);
        let recording = &recordings[0];
        assert_eq!(recording.url, "ws://127.0.0.1:9001/feed?room=blue");
        assert_eq!(recording.headers, [KvRow::new("x-trace", "1")]);
        // HAR keeps times as float seconds: equal to the microsecond.
        assert_eq!(recording.frames.len(), 4);
        for (read, written) in recording.frames.iter().zip(frames()) {
            assert_eq!(
                (read.direction, read.kind, &read.payload),
                (written.direction, written.kind, &written.payload)
            );
            let drift = read.at.duration_since(written.at).unwrap_or_else(|e| e.duration());
            assert!(drift < Duration::from_micros(2), "{drift:?}");
        }
    }

    #[test]
    fn browser_hars_read_with_seconds_or_milliseconds() {
        let chrome = parse(
            &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/chrome.har")).unwrap(),
            "chrome.har",
        )
        .unwrap();
        assert_eq!(chrome.len(), 1, "the fetch entry is not a WebSocket");
        let feed = &chrome[0];
        assert_eq!(feed.url, "wss://stream.example.com/v1/feed?room=blue");
        let names: Vec<&str> = feed.headers.iter().map(|h| h.key.as_str()).collect();
        assert_eq!(names, ["Origin", "api-key"]);
        assert_eq!(feed.subprotocol.as_deref(), Some("feed.v1"));
        assert_eq!(feed.frames.len(), 4);
        assert_eq!(feed.frames[1].direction, Direction::Sent);
        assert_eq!(feed.frames[3].kind, FrameKind::Binary);
        assert_eq!(feed.frames[3].payload[0], 0x82, "MessagePack map of 2");
        let firefox = parse(
            &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/firefox.har")).unwrap(),
            "firefox.har",
        )
        .unwrap();
        let chat = &firefox[0];
        let gap = chat.frames[1].at.duration_since(chat.frames[0].at).unwrap();
        assert_eq!(gap, Duration::from_micros(43_500), "milliseconds read as such");
        let year = chrono::DateTime::<chrono::Utc>::from(chat.frames[0].at)
            .format("%Y")
            .to_string();
        assert_eq!(year, "2026");
    }

    #[test]
    fn what_is_not_a_recording_says_why() {
        let error = parse("{\"time\": 5}\nnot json\n", "bad.ndjson")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("bad.ndjson:1:"), "{error}");
        let error = parse("{\"log\": {\"entries\": []}}", "empty.har")
            .unwrap_err()
            .to_string();
        assert!(error.contains("no WebSocket connection"), "{error}");
        assert!(parse("", "nothing.ndjson").is_err());
    }
}
