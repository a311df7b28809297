//! STOMP frames as text: a command line, header lines, a blank line, the
//! body and a NUL (STOMP 1.2 §"Frames and Headers"). Heart-beats are bare
//! end-of-lines between frames.
//!
//! Over WebSocket every message carries whole frames (RabbitMQ, Spring and
//! stomp.js all send one frame per message), so a message is read on its
//! own: a frame that runs past the end of its message lacks its NUL and is
//! refused, not waited for.

use std::fmt::Write as _;

/// One frame. Headers keep their order; a repeated header's first value is
/// the one that counts (§"Repeated Header Entries").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub command: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Why a message is not STOMP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("a frame without its NUL terminator")]
    MissingNul,
    #[error("an unterminated header block (no blank line before the body)")]
    UnterminatedHeaders,
    #[error("an empty command line")]
    EmptyCommand,
    #[error("header line {0:?} has no ':'")]
    HeaderWithoutColon(String),
    #[error("undefined escape \\{0} in a header")]
    BadEscape(char),
    #[error("content-length {0:?} is not a number")]
    BadContentLength(String),
    #[error("the body is shorter than its content-length {0}")]
    ShortBody(usize),
}

/// What one WebSocket message held.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    pub frames: Vec<Frame>,
    /// End-of-lines outside frames: heart-beats.
    pub heartbeats: usize,
}

impl Frame {
    pub fn new(command: &str) -> Self {
        Self {
            command: command.to_string(),
            headers: Vec::new(),
            body: String::new(),
        }
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.header(name).is_some()
    }

    /// Adds a header, or replaces the first of that name.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.headers.iter_mut().find(|(k, _)| k == name) {
            Some(header) => header.1 = value,
            None => self.headers.push((name.to_string(), value)),
        }
    }

    pub fn remove(&mut self, name: &str) {
        self.headers.retain(|(k, _)| k != name);
    }

    /// The frame as it goes on the wire, NUL included. Header values are
    /// escaped except in CONNECT and CONNECTED, where 1.0 clients and
    /// servers would not read escapes (§"Value Encoding").
    pub fn to_wire(&self) -> String {
        let escape = escapes(&self.command);
        let mut wire = String::with_capacity(self.command.len() + self.body.len() + 64);
        wire.push_str(&self.command);
        wire.push('\n');
        for (name, value) in &self.headers {
            if escape {
                let _ = writeln!(wire, "{}:{}", escaped(name), escaped(value));
            } else {
                let _ = writeln!(wire, "{name}:{value}");
            }
        }
        wire.push('\n');
        wire.push_str(&self.body);
        wire.push('\0');
        wire
    }
}

/// Whether a frame's headers use the 1.1 escapes.
fn escapes(command: &str) -> bool {
    !matches!(command, "CONNECT" | "CONNECTED" | "STOMP")
}

fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            ':' => out.push_str("\\c"),
            c => out.push(c),
        }
    }
    out
}

fn unescaped(text: &str) -> Result<String, FrameError> {
    if !text.contains('\\') {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('c') => out.push(':'),
            Some(other) => return Err(FrameError::BadEscape(other)),
            None => return Err(FrameError::BadEscape(' ')),
        }
    }
    Ok(out)
}

/// Reads every frame and heart-beat in one message.
pub fn parse(message: &str) -> Result<Parsed, FrameError> {
    let mut parsed = Parsed::default();
    let mut rest = message;
    loop {
        // End-of-lines between frames are heart-beats (§"Heart-beating").
        let trimmed = rest.trim_start_matches(['\r', '\n']);
        parsed.heartbeats += rest[..rest.len() - trimmed.len()].matches('\n').count();
        rest = trimmed;
        if rest.is_empty() {
            return Ok(parsed);
        }
        let (frame, after) = parse_one(rest)?;
        parsed.frames.push(frame);
        rest = after;
    }
}

/// The first frame of a message that may have been cut short (a row reads
/// only the head of a large frame): its body is what there is of it.
pub fn parse_head(message: &str) -> Option<Frame> {
    let (head, body_and_rest) = split_head(message.trim_start_matches(['\r', '\n'])).ok()?;
    let mut frame = read_head(head).ok()?;
    frame.body = body_and_rest.split('\0').next().unwrap_or_default().to_string();
    Some(frame)
}

/// One frame at the start of `text`, and what follows it.
fn parse_one(text: &str) -> Result<(Frame, &str), FrameError> {
    let (head, body_and_rest) = split_head(text)?;
    let mut frame = read_head(head)?;
    let (body, rest) = match frame.header("content-length") {
        Some(length) => {
            let length: usize = length
                .trim()
                .parse()
                .map_err(|_| FrameError::BadContentLength(length.to_string()))?;
            // A body may hold NULs when its length is given; the NUL after
            // it must still be there.
            let body = body_and_rest.get(..length).ok_or(FrameError::ShortBody(length))?;
            let rest = body_and_rest[length..]
                .strip_prefix('\0')
                .ok_or(FrameError::MissingNul)?;
            (body, rest)
        }
        None => {
            let nul = body_and_rest.find('\0').ok_or(FrameError::MissingNul)?;
            (&body_and_rest[..nul], &body_and_rest[nul + 1..])
        }
    };
    frame.body = body.to_string();
    Ok((frame, rest))
}

/// The command line and header lines of a frame.
fn read_head(head: &str) -> Result<Frame, FrameError> {
    let mut lines = head.split('\n').map(|line| line.strip_suffix('\r').unwrap_or(line));
    let command = lines.next().unwrap_or_default().to_string();
    if command.is_empty() {
        return Err(FrameError::EmptyCommand);
    }
    let escape = escapes(&command);
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| FrameError::HeaderWithoutColon(line.to_string()))?;
        let (name, value) = if escape {
            (unescaped(name)?, unescaped(value)?)
        } else {
            (name.to_string(), value.to_string())
        };
        headers.push((name, value));
    }
    Ok(Frame {
        command,
        headers,
        body: String::new(),
    })
}

/// The header block (command and header lines) and what follows the blank
/// line after it.
fn split_head(text: &str) -> Result<(&str, &str), FrameError> {
    let mut start = 0;
    loop {
        let Some(newline) = text[start..].find('\n').map(|i| start + i) else {
            // A frame with no body may end its headers at the NUL.
            return match text.find('\0') {
                Some(_) => Err(FrameError::UnterminatedHeaders),
                None => Err(FrameError::MissingNul),
            };
        };
        let line = &text[start..newline];
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.contains('\0') {
            return Err(FrameError::UnterminatedHeaders);
        }
        if line.is_empty() && start > 0 {
            let head = text[..start].trim_end_matches('\n');
            let head = head.strip_suffix('\r').unwrap_or(head);
            return Ok((head, &text[newline + 1..]));
        }
        start = newline + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_reads_back_as_written_with_escapes() {
        let mut frame = Frame::new("SEND");
        frame.set("destination", "/queue/a:b");
        frame.set("note", "two\nlines\\");
        frame.body = "{\"x\":1}".into();
        let wire = frame.to_wire();
        assert_eq!(
            wire,
            "SEND\ndestination:/queue/a\\cb\nnote:two\\nlines\\\\\n\n{\"x\":1}\0"
        );
        assert_eq!(parse(&wire).unwrap().frames, vec![frame]);
    }

    #[test]
    fn connect_frames_are_not_escaped() {
        let mut frame = Frame::new("CONNECTED");
        frame.set("server", "a\\b");
        assert_eq!(frame.to_wire(), "CONNECTED\nserver:a\\b\n\n\0");
        assert_eq!(
            parse(&frame.to_wire()).unwrap().frames[0].header("server"),
            Some("a\\b")
        );
    }

    #[test]
    fn heart_beats_and_several_frames_share_a_message() {
        let parsed = parse("\n\r\nRECEIPT\r\nreceipt-id:1\r\n\r\n\0\nMESSAGE\ndestination:/q\n\nhi\0\n").unwrap();
        assert_eq!(parsed.heartbeats, 4);
        assert_eq!(parsed.frames.len(), 2);
        assert_eq!(parsed.frames[0].header("receipt-id"), Some("1"));
        assert_eq!(parsed.frames[1].body, "hi");
        assert_eq!(
            parse("\n").unwrap(),
            Parsed {
                frames: vec![],
                heartbeats: 1
            }
        );
    }

    #[test]
    fn content_length_lets_a_body_hold_nul() {
        let parsed = parse("MESSAGE\ncontent-length:3\n\na\0b\0").unwrap();
        assert_eq!(parsed.frames[0].body, "a\0b");
        assert_eq!(
            parse("MESSAGE\ncontent-length:9\n\nab\0"),
            Err(FrameError::ShortBody(9))
        );
        assert_eq!(parse("MESSAGE\ncontent-length:2\n\nabc\0"), Err(FrameError::MissingNul));
    }

    #[test]
    fn the_first_of_a_repeated_header_counts() {
        let frame = &parse("MESSAGE\nfoo:1\nfoo:2\n\n\0").unwrap().frames[0];
        assert_eq!(frame.header("foo"), Some("1"));
    }

    #[test]
    fn malformed_frames_are_refused_by_name() {
        assert_eq!(parse("MESSAGE\ndestination:/q\n\nno nul"), Err(FrameError::MissingNul));
        assert_eq!(parse("MESSAGE\ndestination:/q"), Err(FrameError::MissingNul));
        assert_eq!(parse("MESSAGE\ndestination:/q\0"), Err(FrameError::UnterminatedHeaders));
        assert_eq!(
            parse("MESSAGE\nnocolon\n\n\0"),
            Err(FrameError::HeaderWithoutColon("nocolon".into()))
        );
        assert_eq!(parse("MESSAGE\na:b\\t\n\n\0"), Err(FrameError::BadEscape('t')));
        assert_eq!(
            parse("MESSAGE\ncontent-length:x\n\n\0"),
            Err(FrameError::BadContentLength("x".into()))
        );
    }
}
