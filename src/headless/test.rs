//! `wscope test`: connect, send, wait for the expected frames, report: a
//! one-step flow with the report it always had.

use std::time::Duration;

use serde_json::json;

use super::EXIT_OK;
use crate::filter::{JQ_PREFIX, Pattern};
use crate::flow::machine::{Status, StepResult};
use crate::flow::report::FlowReport;
use crate::flow::step::{Action, Expect, Matcher, Payload, Step, summary};
use crate::format;
use crate::record::{FrameRecord, HandshakeReport};

/// What `test` checks: a one-step flow.
#[derive(Debug, Default)]
pub struct Expectation {
    /// Regexes or `jq:` expressions, met one after the other; none accepts
    /// the first frame.
    pub patterns: Vec<String>,
    /// How many matching frames each one needs.
    pub count: u32,
    /// The most the first match of each may take after the send.
    pub max_latency: Option<Duration>,
    /// How long each waits, and the connection may take.
    pub timeout: Duration,
    /// Send and expect this many times, one round after the other.
    pub repeat: u32,
}

/// What happened, printed as text or JSON.
#[derive(Debug)]
pub struct TestReport {
    pub url: String,
    pub handshake: Option<HandshakeReport>,
    /// From the send to the first frame that met the first expectation.
    pub reply_latency: Option<Duration>,
    pub matched: Option<FrameRecord>,
    /// The matched frame as its protocol reads it (`PUBLISH t/2 q0 hi`).
    pub matched_described: Option<String>,
    /// The percentiles of each expect's round trips, with `--repeat`.
    pub repeated: Vec<crate::flow::report::RepeatedLatency>,
    /// Why it failed, in the inspector's words.
    pub failure: Option<String>,
    pub exit_code: u8,
    pub elapsed: Duration,
}

impl Expectation {
    /// The steps: send each message, then each expectation in turn. The
    /// messages are already resolved and encoded.
    pub fn steps(&self, messages: Vec<String>) -> Result<Vec<Step>, String> {
        let mut steps: Vec<Step> = messages
            .into_iter()
            .map(|message| Step {
                line: 0,
                label: format!("send {}", summary(&message, 60)),
                action: Action::Send(Payload::Raw(message)),
            })
            .collect();
        let patterns = if self.patterns.is_empty() {
            vec![String::new()]
        } else {
            self.patterns.clone()
        };
        for text in patterns {
            let pattern = Pattern::compile(&text).map_err(|e| format!("--expect {text}: {e}"))?;
            let description = match &pattern {
                None => "any frame".to_string(),
                Some(Pattern::Jq(_)) => format!("jq {}", summary(text.trim_start_matches(JQ_PREFIX), 40)),
                Some(Pattern::Regex(_)) => format!("regex {}", summary(&text, 40)),
            };
            steps.push(Step {
                line: 0,
                label: format!("expect {description}"),
                action: Action::Expect(Expect {
                    matcher: Matcher {
                        patterns: pattern.into_iter().collect(),
                        schema: None,
                        dynamic: Vec::new(),
                        description,
                        written: Default::default(),
                    },
                    count: self.count.max(1),
                    within: self.timeout,
                    max_latency: self.max_latency,
                    captures: Vec::new(),
                }),
            });
        }
        if self.repeat > 1 {
            return Ok(vec![Step {
                line: 0,
                label: format!("repeat {} times", self.repeat),
                action: Action::Repeat {
                    times: self.repeat,
                    steps: steps.into(),
                },
            }]);
        }
        Ok(steps)
    }
}

impl TestReport {
    /// The test's report, read off the flow that ran it.
    pub fn of(flow: &FlowReport) -> Self {
        let expects: Vec<&StepResult> = flow.results.iter().filter(|r| r.label.starts_with("expect")).collect();
        let failure = flow
            .failed_step()
            .and_then(|r| r.detail.clone())
            .or_else(|| flow.error.clone());
        Self {
            url: flow.url.clone(),
            handshake: flow.handshake.clone(),
            reply_latency: expects.first().and_then(|r| r.latency),
            matched: expects
                .iter()
                .rev()
                .find(|r| r.status == Status::Passed)
                .and_then(|r| r.frame.clone()),
            matched_described: None,
            repeated: flow.repeated_latencies(),
            failure,
            exit_code: flow.outcome.exit_code(),
            elapsed: flow.elapsed,
        }
    }

    /// Names the matched frame as `protocol` reads it, when it has a
    /// reading of its own.
    pub fn describe_with(&mut self, protocol: &crate::protocol::Protocol) {
        let Some(frame) = &self.matched else { return };
        self.matched_described = match frame.kind {
            crate::record::FrameKind::Text => protocol.describe_payload(&frame.payload, false),
            crate::record::FrameKind::Binary => protocol.describe_payload(&frame.payload, true),
            _ => None,
        };
    }

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
        for repeated in &self.repeated {
            let p = crate::flow::report::percentiles_text(&repeated.percentiles);
            match self.repeated.len() {
                1 => out.push_str(&format!("  replies     {p}\n")),
                _ => out.push_str(&format!("  replies     {}: {p}\n", repeated.label)),
            }
        }
        if let Some(described) = &self.matched_described {
            out.push_str(&format!("  frame       {described}\n"));
        } else if let Some(frame) = &self.matched {
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
            "reply_latency_percentiles_ms": self.repeated.first().map(|r| crate::flow::report::percentiles_json(&r.percentiles)),
            "frame": self.matched.as_ref().map(|f| serde_json::from_str::<serde_json::Value>(&crate::export::ndjson_line(f)).unwrap_or_default()),
            "error": self.failure,
            "elapsed_ms": ms(self.elapsed),
        })
        .to_string()
    }
}
