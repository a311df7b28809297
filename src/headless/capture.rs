//! `wscope proxy --headless`: one line per captured frame on standard
//! output (or a full NDJSON record with `--ndjson`), the connections'
//! comings and goings on standard error, until Ctrl-C or SIGTERM.

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::capture::{Captured, Notice};
use crate::conn::{ConnCommand, ConnEvent, ConnHandle, ConnState};
use crate::log_sink::LogTarget;
use crate::record::{Direction, FrameKind, FrameRecord};

/// How the captured traffic is printed.
pub struct PrintOptions {
    pub ndjson: bool,
    /// Control characters as pictures (standard output is a terminal).
    pub sanitize: bool,
    /// `--export-secrets`: tokens in URLs printed in clear.
    pub show_secrets: bool,
    pub log: Option<LogTarget>,
    /// `--decode`/`--proto`: how binary payloads read, where a
    /// connection's protocol has no packets of its own.
    pub payloads: crate::decode::PayloadDecoder,
    /// How a captured connection to `url` is read (`--protocol` and its
    /// options, else what the URL implies); settled by the subprotocol the
    /// server picks.
    pub read_as: Box<dyn Fn(&str) -> crate::protocol::Protocol + Send>,
}

/// How one connection's frames are read: its protocol, and the decoders
/// that protocol and `--decode` give, both settled as the connection goes.
struct Reading {
    protocol: crate::protocol::Protocol,
    decode: crate::decode::FrameDecoder,
}

impl Reading {
    fn new(protocol: crate::protocol::Protocol, payloads: &crate::decode::PayloadDecoder) -> Self {
        let decode = protocol.frame_decoder(payloads.clone());
        Self { protocol, decode }
    }

    /// Reads as `event` says from then on: a client's CONNECT names its
    /// MQTT version, the server's subprotocol names the protocol. The
    /// notes say what the client's frames changed.
    fn settle(&mut self, event: &ConnEvent, payloads: &crate::decode::PayloadDecoder) -> Vec<String> {
        let notes = self.protocol.settle_by_client(event.client_binary_payloads());
        let opened = match event {
            ConnEvent::State {
                state: ConnState::Open {
                    protocol: negotiated, ..
                },
                ..
            } => {
                self.protocol = self.protocol.settle(negotiated.as_deref());
                true
            }
            _ => false,
        };
        if opened || !notes.is_empty() {
            self.decode = self.protocol.frame_decoder(payloads.clone());
        }
        notes
    }
}

/// How long stopping waits for both sides of each connection to close.
const STOP_WAIT: Duration = Duration::from_secs(1);

/// Prints until a signal (or the proxy stops); returns the exit status.
pub async fn run(mut notices: mpsc::Receiver<Notice>, options: PrintOptions) -> anyhow::Result<u8> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let (merged_tx, mut merged) = mpsc::channel::<(u64, ConnEvent)>(crate::conn::EVENT_QUEUE * 4);
    let mut live: HashMap<u64, ConnHandle> = HashMap::new();
    let mut readings: HashMap<u64, Reading> = HashMap::new();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    loop {
        tokio::select! {
            notice = notices.recv() => match notice {
                Some(Notice::Captured(captured)) => {
                    let Captured { id, url, client, handle, events, .. } = captured;
                    let shown = if options.show_secrets {
                        url.to_string()
                    } else {
                        crate::secrets::mask_url(url.as_str(), crate::secrets::SCREEN_MASK).into_owned()
                    };
                    eprintln!("#{id} {client} → {}", crate::sanitize::one_line(&shown));
                    readings.insert(id, Reading::new((options.read_as)(url.as_str()), &options.payloads));
                    let events = crate::log_sink::attach(events, options.log.as_ref().map(|log| log.for_connection(id)));
                    live.insert(id, handle);
                    tokio::spawn(tag(id, events, merged_tx.clone()));
                }
                Some(Notice::Note { text, .. }) => eprintln!("{}", crate::sanitize::one_line(&text)),
                None => break,
            },
            Some((id, event)) = merged.recv() => {
                let mut pending = vec![(id, event)];
                while let Ok(more) = merged.try_recv() {
                    pending.push(more);
                }
                for (id, event) in pending {
                    if let Some(reading) = readings.get_mut(&id) {
                        for note in reading.settle(&event, &options.payloads) {
                            eprintln!("#{id} {note}");
                        }
                    }
                    if print(&mut out, id, &event, readings.get(&id), &options).is_err() {
                        return Ok(0);
                    }
                    if let ConnEvent::State { state: ConnState::Closed { .. } | ConnState::Failed(_), .. } = event {
                        live.remove(&id);
                        readings.remove(&id);
                    }
                }
                if out.flush().is_err() {
                    return Ok(0);
                }
            },
            _ = interrupt.recv() => break,
            _ = terminate.recv() => break,
        }
    }
    stop(live, &readings, &mut merged, &mut out, &options).await;
    Ok(0)
}

/// Closes both sides of every live connection, printing how each ends.
async fn stop(
    mut live: HashMap<u64, ConnHandle>,
    readings: &HashMap<u64, Reading>,
    merged: &mut mpsc::Receiver<(u64, ConnEvent)>,
    out: &mut impl Write,
    options: &PrintOptions,
) {
    for handle in live.values() {
        handle.send(ConnCommand::Close {
            code: 1001,
            reason: "wscope proxy stopping".into(),
        });
    }
    let _ = tokio::time::timeout(STOP_WAIT, async {
        while !live.is_empty() {
            let Some((id, event)) = merged.recv().await else { return };
            let _ = print(out, id, &event, readings.get(&id), options);
            if let ConnEvent::State {
                state: ConnState::Closed { .. } | ConnState::Failed(_),
                ..
            } = event
            {
                live.remove(&id);
            }
        }
    })
    .await;
    let _ = out.flush();
}

async fn tag(id: u64, mut events: mpsc::Receiver<ConnEvent>, merged: mpsc::Sender<(u64, ConnEvent)>) {
    while let Some(event) = events.recv().await {
        if merged.send((id, event)).await.is_err() {
            return;
        }
    }
}

fn print(
    out: &mut impl Write,
    id: u64,
    event: &ConnEvent,
    reading: Option<&Reading>,
    options: &PrintOptions,
) -> std::io::Result<()> {
    match event {
        ConnEvent::Frame(frame) => print_frame(out, id, frame, reading, options),
        ConnEvent::Frames(frames) => frames
            .iter()
            .try_for_each(|frame| print_frame(out, id, frame, reading, options)),
        ConnEvent::State { state, .. } => {
            let words = match state {
                ConnState::Connecting { .. } | ConnState::Idle | ConnState::Closing => return Ok(()),
                ConnState::Open {
                    protocol: Some(protocol),
                    ..
                } => format!("open (subprotocol {protocol})"),
                other => other.to_string(),
            };
            eprintln!("#{id} {}", crate::sanitize::one_line(&words));
            Ok(())
        }
        ConnEvent::Warning(text) | ConnEvent::Refused(text) | ConnEvent::ProtocolNote { text, .. } => {
            eprintln!("#{id} {}", crate::sanitize::one_line(text));
            Ok(())
        }
        _ => Ok(()),
    }
}

fn print_frame(
    out: &mut impl Write,
    id: u64,
    frame: &FrameRecord,
    reading: Option<&Reading>,
    options: &PrintOptions,
) -> std::io::Result<()> {
    let raw;
    let reading = match reading {
        Some(reading) => reading,
        None => {
            raw = Reading::new(crate::protocol::Protocol::default(), &options.payloads);
            &raw
        }
    };
    if options.ndjson {
        let line = crate::export::ndjson_line_decoded(frame, &reading.decode);
        let line = format!("{{\"conn\":{id},{}", line.strip_prefix('{').unwrap_or(&line));
        let line = if options.sanitize {
            crate::sanitize::json(&line).into_owned()
        } else {
            line
        };
        return writeln!(out, "{line}");
    }
    let arrow = match frame.direction {
        Direction::Sent => " ↑ ",
        Direction::Received => " ↓ ",
    };
    // As the protocol reads it (an MQTT packet, a STOMP frame), like the
    // inspector's rows; else as it came.
    let described = match frame.kind {
        FrameKind::Text => reading.protocol.describe_payload(&frame.payload, false),
        FrameKind::Binary => reading.protocol.describe_payload(&frame.payload, true),
        _ => None,
    };
    let body: std::borrow::Cow<str> = match (described, frame.kind) {
        (Some(described), _) => described.into(),
        (None, FrameKind::Binary) => match reading.decode.json(frame) {
            Some(json) => String::from_utf8_lossy(&json).into_owned().into(),
            None => format!("hex:{}", hex::encode(&frame.payload[..frame.payload.len().min(64)])).into(),
        },
        // Borrowed when it is UTF-8, as text frames are: no copy a line.
        (None, _) => match std::str::from_utf8(&frame.payload) {
            Ok(text) => text.into(),
            Err(_) => String::from_utf8_lossy(&frame.payload),
        },
    };
    // One line a frame, whatever it holds, and never a raw control byte.
    // Put together in one reused buffer, field by field: formatting each
    // field into a string of its own and the line through `writeln!` was
    // most of a headless proxy's time during a flood.
    thread_local! {
        static LINE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    LINE.with_borrow_mut(|line| {
        line.clear();
        crate::format::clock_into(frame.at, line);
        line.push_str(" #");
        line.push_str(itoa::Buffer::new().format(id));
        line.push_str(arrow);
        line.push_str(crate::export::opcode(frame.kind));
        if let FrameKind::Close { code: Some(code) } = frame.kind {
            line.push(' ');
            line.push_str(itoa::Buffer::new().format(code));
        }
        line.push(' ');
        crate::format::bytes_into(frame.wire_len(), line);
        line.push(' ');
        line.push_str(&crate::sanitize::one_line(&body));
        line.push('\n');
        out.write_all(line.as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::time::{Duration, SystemTime};

    fn options() -> PrintOptions {
        PrintOptions {
            ndjson: false,
            sanitize: true,
            show_secrets: false,
            log: None,
            payloads: crate::decode::PayloadDecoder::default(),
            read_as: Box::new(|_| crate::protocol::Protocol::default()),
        }
    }

    #[test]
    fn a_line_a_frame_as_plain_formatting_writes_it() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_899_852_007);
        let frame = |direction, kind, payload: &[u8]| FrameRecord {
            at,
            direction,
            kind,
            payload: Bytes::copy_from_slice(payload),
        };
        let frames = [
            frame(Direction::Sent, FrameKind::Text, b"{\"n\":1}"),
            frame(
                Direction::Received,
                FrameKind::Text,
                b"evil \x1b[2J\x1b]0;pwned\x07 line\nnext",
            ),
            frame(Direction::Received, FrameKind::Close { code: Some(1001) }, b"going"),
            frame(Direction::Sent, FrameKind::Close { code: None }, b""),
            frame(Direction::Received, FrameKind::Binary, &[0, 1, 0xFF]),
            frame(Direction::Sent, FrameKind::Ping, b""),
            frame(Direction::Received, FrameKind::Text, "ünïcode".repeat(200).as_bytes()),
        ];
        let options = options();
        for (id, frame) in (1u64..).zip(&frames) {
            let mut out = Vec::new();
            print_frame(&mut out, id, frame, None, &options).unwrap();
            let body: String = match frame.kind {
                FrameKind::Binary => format!("hex:{}", hex::encode(&frame.payload)),
                _ => String::from_utf8_lossy(&frame.payload).into_owned(),
            };
            let kind = match frame.kind {
                FrameKind::Close { code: Some(code) } => format!("close {code}"),
                kind => crate::export::opcode(kind).to_string(),
            };
            let arrow = if frame.direction == Direction::Sent {
                "↑"
            } else {
                "↓"
            };
            let expected = format!(
                "{} #{id} {arrow} {kind} {} {}\n",
                crate::format::clock(frame.at),
                crate::format::bytes(frame.wire_len()),
                crate::sanitize::one_line(&body)
            );
            let line = String::from_utf8(out).unwrap();
            assert_eq!(line, expected);
            assert!(!line.contains('\x1b'), "{line}");
        }
    }
}
