//! `wscope test`: connect, send, wait for an expected frame, report.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{EXIT_CONNECTION, EXIT_EXPECTATION, EXIT_OK, Run, flatten, is_final};
use crate::conn::{
    ConnCommand, ConnEvent, ConnState, Direction, FrameKind, FrameRecord, HandshakeReport, Outgoing, ResolvedRequest,
};
use crate::filter::Pattern;
use crate::format;

/// What `test` checks.
#[derive(Debug, Default)]
pub struct Expectation {
    /// A regex, or `jq:` expression; `None` accepts the first frame.
    pub pattern: Option<Pattern>,
    /// How long to wait for the connection and the frame together.
    pub timeout: Duration,
}

/// What happened, printed as text or JSON.
#[derive(Debug)]
pub struct TestReport {
    pub url: String,
    pub handshake: Option<HandshakeReport>,
    pub reply_latency: Option<Duration>,
    pub matched: Option<FrameRecord>,
    /// Why it failed, in the inspector's words.
    pub failure: Option<String>,
    pub exit_code: u8,
    pub elapsed: Duration,
}

/// Connects with `request`, sends `messages` once open, and waits for the
/// first received data frame that meets `expect`.
pub async fn run(request: ResolvedRequest, messages: Vec<String>, run: Run, expect: Expectation) -> TestReport {
    let start = Instant::now();
    let url = if run.show_secrets {
        request.url.to_string()
    } else {
        crate::secrets::mask_url(request.url.as_str(), crate::secrets::SCREEN_MASK).into_owned()
    };
    let decode = crate::decode::FrameDecoder {
        text: request.protocol.decoder(),
        binary: run.payloads.clone(),
    };
    let (conn, mut events) = run.start();
    conn.send(ConnCommand::Connect(request));
    let mut report = TestReport {
        url,
        handshake: None,
        reply_latency: None,
        matched: None,
        failure: None,
        exit_code: EXIT_EXPECTATION,
        elapsed: Duration::ZERO,
    };
    let mut opened = false;
    let deadline = tokio::time::Instant::now() + expect.timeout;
    'outer: loop {
        let event = match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(event)) => event,
            Ok(None) => break,
            Err(_) => {
                report.failure = Some(if opened {
                    format!("no matching frame within {}", format::duration(expect.timeout))
                } else {
                    format!("not connected within {}", format::duration(expect.timeout))
                });
                report.exit_code = if opened { EXIT_EXPECTATION } else { EXIT_CONNECTION };
                break;
            }
        };
        for event in flatten(event) {
            match event {
                ConnEvent::Handshake(handshake) => report.handshake = Some(handshake),
                ConnEvent::State {
                    state: ConnState::Open { .. },
                    ..
                } => {
                    opened = true;
                    for message in &messages {
                        conn.send(ConnCommand::Send(Outgoing::Text(message.clone())));
                    }
                }
                ConnEvent::State { state, .. } if is_final(&state) => {
                    report.failure = Some(crate::sanitize::one_line_owned(state.to_string()));
                    report.exit_code = if opened { EXIT_EXPECTATION } else { EXIT_CONNECTION };
                    break 'outer;
                }
                ConnEvent::ReplyLatency(latency) => report.reply_latency = Some(latency),
                ConnEvent::Warning(text) => super::warn(&text),
                ConnEvent::Frame(frame)
                    if frame.direction == Direction::Received
                        && matches!(frame.kind, FrameKind::Text | FrameKind::Binary)
                        && expect.pattern.as_ref().is_none_or(|p| p.matches_frame(&frame, &decode)) =>
                {
                    // Its reply latency, if any, came just ahead of it.
                    report.matched = Some(frame);
                    report.exit_code = EXIT_OK;
                    break 'outer;
                }
                ConnEvent::Frame(_) if let Some(failure) = expect.pattern.as_ref().and_then(|p| p.failure()) => {
                    report.failure = Some(format!("stopped the expression: {failure}"));
                    report.exit_code = EXIT_EXPECTATION;
                    break 'outer;
                }
                _ => {}
            }
        }
    }
    if report.exit_code == EXIT_OK {
        conn.send(ConnCommand::Close {
            code: 1000,
            reason: "wscope test done".into(),
        });
        // Give the close frame a moment to leave; the result stands anyway.
        let _ = tokio::time::timeout(Duration::from_millis(300), async {
            while let Some(event) = events.recv().await {
                if flatten(event)
                    .iter()
                    .any(|e| matches!(e, ConnEvent::State { state, .. } if is_final(state)))
                {
                    break;
                }
            }
        })
        .await;
    }
    report.elapsed = start.elapsed();
    report
}

impl TestReport {
    /// The report for people. Everything the server said in it is
    /// sanitized: it goes to a terminal as it is.
    pub fn text(&self) -> String {
        crate::sanitize::text(&self.unsanitized_text()).into_owned()
    }

    fn unsanitized_text(&self) -> String {
        let mut out = String::new();
        let mark = if self.exit_code == EXIT_OK { "✓" } else { "✗" };
        out.push_str(&format!("{mark} {}\n", self.url));
        if let Some(h) = &self.handshake {
            let t = &h.timings;
            let tls = t
                .tls
                .map(|d| format!(", tls {}", format::duration(d)))
                .unwrap_or_default();
            out.push_str(&format!(
                "  handshake   HTTP {} in {} (dns {}, tcp {}{tls}, upgrade {})\n",
                h.status,
                format::duration(t.total),
                format::duration(t.dns),
                format::duration(t.tcp),
                format::duration(t.upgrade)
            ));
            if let Some(protocol) = &h.protocol {
                out.push_str(&format!("  subprotocol {protocol}\n"));
            }
        }
        if let Some(latency) = self.reply_latency {
            out.push_str(&format!("  reply       {}\n", format::duration(latency)));
        }
        if let Some(frame) = &self.matched {
            out.push_str(&format!("  frame       {}\n", String::from_utf8_lossy(&frame.payload)));
        }
        if let Some(failure) = &self.failure {
            out.push_str(&format!("  failed      {failure}\n"));
        }
        out
    }

    /// The report as one JSON object, with C1 controls escaped as well
    /// (JSON itself escapes only C0), so it is safe on a terminal too.
    pub fn json(&self) -> String {
        crate::sanitize::json(&self.unsanitized_json()).into_owned()
    }

    fn unsanitized_json(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        json!({
            "ok": self.exit_code == EXIT_OK,
            "url": self.url,
            "status": self.handshake.as_ref().map(|h| h.status),
            "subprotocol": self.handshake.as_ref().and_then(|h| h.protocol.clone()),
            "timings_ms": self.handshake.as_ref().map(|h| json!({
                "dns": ms(h.timings.dns),
                "tcp": ms(h.timings.tcp),
                "tls": h.timings.tls.map(ms),
                "upgrade": ms(h.timings.upgrade),
                "total": ms(h.timings.total),
            })),
            "reply_latency_ms": self.reply_latency.map(ms),
            "frame": self.matched.as_ref().map(|f| serde_json::from_str::<serde_json::Value>(&crate::export::ndjson_line(f)).unwrap_or_default()),
            "error": self.failure,
            "elapsed_ms": ms(self.elapsed),
        })
        .to_string()
    }
}
