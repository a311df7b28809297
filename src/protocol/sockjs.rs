//! SockJS's WebSocket transport: the server opens with `o`, keeps the line
//! alive with `h`, carries messages as a JSON array of strings `a[…]` and
//! closes with `c[code,"reason"]`; the client sends a JSON array of strings.
//! Spring's STOMP endpoints often sit behind it.

use url::Url;

/// One SockJS frame from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SockJsFrame {
    Open,
    Heartbeat,
    Messages(Vec<String>),
    Close { code: u16, reason: String },
}

/// Reads a server's frame; `None` when it is not SockJS.
pub fn read(text: &str) -> Option<SockJsFrame> {
    match text.as_bytes().first()? {
        b'o' if text.len() == 1 => Some(SockJsFrame::Open),
        b'h' if text.len() == 1 => Some(SockJsFrame::Heartbeat),
        // Some servers send a single message as `m"…"`.
        b'm' => serde_json::from_str(&text[1..])
            .ok()
            .map(|m| SockJsFrame::Messages(vec![m])),
        b'a' => serde_json::from_str(&text[1..]).ok().map(SockJsFrame::Messages),
        b'c' => {
            let (code, reason): (u16, String) = serde_json::from_str(&text[1..]).ok()?;
            Some(SockJsFrame::Close { code, reason })
        }
        _ => None,
    }
}

/// A message as the client sends it.
pub fn wrap(message: &str) -> String {
    serde_json::Value::from(vec![message]).to_string()
}

/// The messages a client's frame carried (`["…", …]`), to show them as sent.
pub fn unwrap_sent(text: &str) -> Option<Vec<String>> {
    serde_json::from_str(text).ok()
}

/// The transport URL for a SockJS base URL (`http://host/ws` becomes
/// `ws://host/ws/<server>/<session>/websocket`); a URL that already ends in
/// `/websocket` is kept.
pub fn session_url(mut url: Url) -> Url {
    if url.path().trim_end_matches('/').ends_with("/websocket") {
        return url;
    }
    let base = url.path().trim_end_matches('/').to_string();
    let server = fastrand::u16(0..1000);
    let session: String = std::iter::repeat_with(fastrand::alphanumeric).take(8).collect();
    url.set_path(&format!("{base}/{server:03}/{session}/websocket"));
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_frames_read_as_sockjs_writes_them() {
        assert_eq!(read("o"), Some(SockJsFrame::Open));
        assert_eq!(read("h"), Some(SockJsFrame::Heartbeat));
        assert_eq!(
            read("a[\"MESSAGE\\n\\nhi\\u0000\",\"x\"]"),
            Some(SockJsFrame::Messages(vec!["MESSAGE\n\nhi\0".into(), "x".into()]))
        );
        assert_eq!(
            read("c[3000,\"Go away!\"]"),
            Some(SockJsFrame::Close {
                code: 3000,
                reason: "Go away!".into()
            })
        );
        assert_eq!(read("hello"), None);
        assert_eq!(read("a[broken"), None);
    }

    #[test]
    fn a_sent_message_is_a_json_array_and_reads_back() {
        let wrapped = wrap("SEND\n\n\"quoted\"\0");
        assert_eq!(wrapped, "[\"SEND\\n\\n\\\"quoted\\\"\\u0000\"]");
        assert_eq!(unwrap_sent(&wrapped), Some(vec!["SEND\n\n\"quoted\"\0".to_string()]));
    }

    #[test]
    fn a_base_url_gains_a_server_and_a_session() {
        let url = session_url(Url::parse("ws://host:1/stomp").unwrap());
        let parts: Vec<&str> = url.path().split('/').collect();
        assert_eq!(parts.len(), 5, "{url}");
        assert_eq!(
            (parts[1], parts[2].len(), parts[3].len(), parts[4]),
            ("stomp", 3, 8, "websocket")
        );
        let kept = Url::parse("ws://host/stomp/1/abc/websocket").unwrap();
        assert_eq!(session_url(kept.clone()), kept);
    }
}
