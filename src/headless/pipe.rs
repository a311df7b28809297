//! `wscope pipe`: standard input lines become text frames; received frames
//! become standard output lines.

use std::io::Write;

use base64::Engine as _;
use tokio::io::AsyncBufReadExt;

use super::{EXIT_CONNECTION, EXIT_OK, Run, is_final};
use crate::conn::{ConnCommand, ConnEvent, ConnState, Outgoing};
use crate::record::{ABNORMAL_CLOSURE, Direction, FrameKind, FrameRecord};
use crate::request::ResolvedRequest;

/// How `pipe` behaves.
#[derive(Debug, Clone, Default)]
pub struct PipeOptions {
    /// Full NDJSON records instead of bare payloads.
    pub ndjson: bool,
    /// After standard input ends, wait for the server to close.
    pub keep_open: bool,
    /// After standard input ends, keep printing until nothing has arrived
    /// for this long, then close; zero closes at once.
    pub linger: std::time::Duration,
    /// Show control characters as pictures: set when standard output is a
    /// terminal (and `--raw` was not given), so a frame cannot drive it.
    pub sanitize: bool,
    /// Frames as JSON: a protocol's reading of text frames (a Socket.IO
    /// event as `{"event","args","ns","ack"}`; such protocols write only
    /// the frames that decode, leaving out their handshake and
    /// heartbeats), and binary payloads decoded (MessagePack and the like).
    pub decode: crate::decode::FrameDecoder,
}

/// Runs the pipe until the server closes or input ends; returns the exit
/// status. Output is buffered and flushed when no more events are queued,
/// not once per frame.
pub async fn run(request: ResolvedRequest, run: Run, options: PipeOptions) -> u8 {
    let (conn, mut events) = run.start();
    // Each line is encoded for the protocol (a Socket.IO emit, say).
    let protocol = request.protocol.clone();
    let mut next_call_id = 1;
    conn.send(ConnCommand::Connect(request));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let (lines_tx, mut lines) = tokio::sync::mpsc::channel::<Option<String>>(1024);
    let mut input_started = false;
    let mut input_done = false;
    // Set once input has ended: replies still on their way are printed
    // until the server falls quiet for `linger`.
    let mut linger_until: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { return EXIT_CONNECTION };
                let mut pending = vec![event];
                // Take whatever else is queued before flushing.
                while let Ok(more) = events.try_recv() {
                    pending.push(more);
                }
                // Only received frames keep a lingering pipe open: a
                // heartbeat answered in the background is not a reply.
                if let Some(until) = &mut linger_until
                    && pending.iter().any(|event| match event {
                        ConnEvent::Frame(frame) => frame.direction == Direction::Received,
                        ConnEvent::Frames(frames) => frames.iter().any(|f| f.direction == Direction::Received),
                        _ => false,
                    })
                {
                    *until = tokio::time::Instant::now() + options.linger;
                }
                for event in pending {
                    let mut written = Ok(());
                    match event {
                        ConnEvent::State { state: ConnState::Open { .. }, .. } if !input_started => {
                            input_started = true;
                            tokio::spawn(read_lines(lines_tx.clone()));
                        }
                        ConnEvent::State { state, .. } if is_final(&state) => {
                            let _ = out.flush();
                            return match &state {
                                ConnState::Closed { code, .. } if *code != Some(ABNORMAL_CLOSURE) => EXIT_OK,
                                _ => {
                                    super::warn(&state.to_string());
                                    EXIT_CONNECTION
                                }
                            };
                        }
                        ConnEvent::Frame(frame) => written = write_frame(&mut out, &frame, &options),
                        ConnEvent::Frames(frames) => {
                            written = frames.iter().try_for_each(|frame| write_frame(&mut out, frame, &options));
                        }
                        ConnEvent::Warning(text) => super::warn(&text),
                        _ => {}
                    }
                    if written.is_err() {
                        // Standard output went away (e.g. `| head`): stop.
                        return EXIT_OK;
                    }
                }
                if out.flush().is_err() {
                    return EXIT_OK;
                }
            }
            line = lines.recv(), if input_started && !input_done => {
                // Every line already read goes out in one go.
                let mut ready = vec![line.flatten()];
                while ready.len() < 1024
                    && ready.last().is_some_and(Option::is_some)
                    && let Ok(next) = lines.try_recv()
                {
                    ready.push(next);
                }
                for line in ready {
                    match line {
                        Some(text) => match protocol.encode(&text, &mut next_call_id) {
                            Ok(encoded) => {
                                conn.send(ConnCommand::Send(Outgoing::Text(encoded)));
                            }
                            Err(error) => super::warn(&format!("not sent: {error}")),
                        },
                        None => {
                            input_done = true;
                            if options.keep_open {
                                // Wait for the server to close.
                            } else if options.linger.is_zero() {
                                conn.send(ConnCommand::Close { code: 1000, reason: "end of input".into() });
                            } else {
                                linger_until = Some(tokio::time::Instant::now() + options.linger);
                            }
                        }
                    }
                }
            }
            _ = tokio::time::sleep_until(linger_until.unwrap_or_else(tokio::time::Instant::now)), if linger_until.is_some() => {
                linger_until = None;
                conn.send(ConnCommand::Close { code: 1000, reason: "end of input".into() });
            }
        }
    }
}

/// Writes a received data frame as one line: the text as it came (the
/// protocol guarantees UTF-8) or as its protocol decodes it, binary as
/// base64, or the full NDJSON record.
/// To a terminal, control characters are shown as pictures instead.
fn write_frame(out: &mut impl Write, frame: &FrameRecord, options: &PipeOptions) -> std::io::Result<()> {
    if frame.direction != Direction::Received {
        return Ok(());
    }
    if options.ndjson {
        let line = crate::export::ndjson_line_decoded(frame, &options.decode);
        let line = if options.sanitize {
            crate::sanitize::json(&line)
        } else {
            line.as_str().into()
        };
        return writeln!(out, "{line}");
    }
    let decoded = options.decode.json(frame);
    if frame.kind == FrameKind::Text && options.decode.text.is_some() && decoded.is_none() {
        return Ok(());
    }
    let text = decoded.as_deref().unwrap_or(&frame.payload);
    match frame.kind {
        // A decoded binary frame is JSON text like any other line.
        FrameKind::Text | FrameKind::Binary if decoded.is_some() || frame.kind == FrameKind::Text => {
            if options.sanitize {
                out.write_all(crate::sanitize::bytes(text).as_bytes())?;
            } else {
                out.write_all(text)?;
            }
        }
        FrameKind::Binary => out.write_all(
            base64::engine::general_purpose::STANDARD
                .encode(&frame.payload)
                .as_bytes(),
        )?,
        _ => return Ok(()),
    }
    out.write_all(b"\n")
}

/// Reads standard input line by line; `None` marks its end.
async fn read_lines(lines: tokio::sync::mpsc::Sender<Option<String>>) {
    let mut reader = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = reader.next_line().await {
        if lines.send(Some(line)).await.is_err() {
            return;
        }
    }
    let _ = lines.send(None).await;
}
