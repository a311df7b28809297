//! What a flow run reports: a readable step-by-step text, one JSON
//! object, or JUnit XML for CI. Everything a server sent is sanitized
//! before it is shown.

use std::collections::BTreeMap;
use std::time::Duration;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde_json::json;

use super::machine::{Outcome, Status, StepResult};
use crate::format;
use crate::record::{FrameKind, FrameRecord, HandshakeReport};

/// Exit status: the flow passed.
pub const EXIT_PASSED: u8 = 0;
/// Exit status: the connection failed, or ended before the flow did.
pub const EXIT_CONNECTION: u8 = 1;
/// Exit status: a step's check failed.
pub const EXIT_ASSERTION: u8 = 2;
/// Exit status: the flow file is invalid.
pub const EXIT_INVALID: u8 = 3;

/// The round trips of one `expect` that ran more than once (in a
/// `repeat`, or `wscope test --repeat`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatedLatency {
    /// The step's path without its rounds: `2.2`.
    pub path: String,
    pub label: String,
    pub percentiles: crate::stats::latency::Percentiles,
}

/// One flow's run.
#[derive(Debug, Clone)]
pub struct FlowReport {
    pub name: String,
    pub file: String,
    /// The URL, secrets masked.
    pub url: String,
    pub handshake: Option<HandshakeReport>,
    pub results: Vec<StepResult>,
    pub outcome: Outcome,
    /// What ended it before any step could (a refused connection, an
    /// invalid file), in the inspector's words.
    pub error: Option<String>,
    pub captured: BTreeMap<String, String>,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Passed => EXIT_PASSED,
            Self::ConnectionFailed => EXIT_CONNECTION,
            Self::AssertionFailed => EXIT_ASSERTION,
            Self::Invalid => EXIT_INVALID,
        }
    }

    fn word(&self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::ConnectionFailed => "connection failed",
            Self::AssertionFailed => "failed",
            Self::Invalid => "invalid",
        }
    }
}

/// The exit status of several flows: an invalid file first, then a
/// connection failure, then a failed check.
pub fn exit_code(reports: &[FlowReport]) -> u8 {
    let codes: Vec<u8> = reports.iter().map(|r| r.outcome.exit_code()).collect();
    [EXIT_INVALID, EXIT_CONNECTION, EXIT_ASSERTION]
        .into_iter()
        .find(|code| codes.contains(code))
        .unwrap_or(EXIT_PASSED)
}

impl FlowReport {
    /// A flow that never ran: its file is invalid, or its request could
    /// not be built.
    pub fn not_run(name: String, file: String, outcome: Outcome, error: String) -> Self {
        Self {
            name,
            file,
            url: String::new(),
            handshake: None,
            results: Vec::new(),
            outcome,
            error: Some(error),
            captured: BTreeMap::new(),
            elapsed: Duration::ZERO,
        }
    }

    /// The step that failed, if one did.
    /// The percentiles of each `expect` that ran more than once, in the
    /// order they first ran.
    pub fn repeated_latencies(&self) -> Vec<RepeatedLatency> {
        let mut groups: Vec<(String, String, Vec<Duration>)> = Vec::new();
        for result in &self.results {
            let (Some(latency), true) = (result.latency, result.label.starts_with("expect")) else {
                continue;
            };
            // `4.2 (2/5)` and `4.2 (3/5)` are one step in two rounds.
            let path = result.path.split(" (").next().unwrap_or_default().to_string();
            match groups.iter_mut().find(|(p, l, _)| *p == path && *l == result.label) {
                Some((_, _, latencies)) => latencies.push(latency),
                None => groups.push((path, result.label.clone(), vec![latency])),
            }
        }
        groups
            .into_iter()
            .filter(|(_, _, latencies)| latencies.len() > 1)
            .map(|(path, label, latencies)| RepeatedLatency {
                path,
                label,
                percentiles: crate::stats::latency::Percentiles::of(&latencies),
            })
            .collect()
    }

    pub fn failed_step(&self) -> Option<&StepResult> {
        self.results.iter().find(|r| r.status == Status::Failed)
    }

    /// The report for people, sanitized for a terminal.
    pub fn text(&self) -> String {
        crate::sanitize::text(&self.unsanitized_text()).into_owned()
    }

    fn unsanitized_text(&self) -> String {
        let mut out = String::new();
        let mark = if self.outcome == Outcome::Passed { "✓" } else { "✗" };
        out.push_str(&format!("{mark} {} {}", self.file, self.url));
        if let Some(h) = &self.handshake {
            out.push_str(&format!(
                " (HTTP {} in {})",
                h.status,
                format::duration(h.timings.total)
            ));
        }
        out.push('\n');
        let label_width = self
            .results
            .iter()
            .map(|r| r.label.chars().count())
            .max()
            .unwrap_or(0)
            .min(48);
        let path_width = self.results.iter().map(|r| r.path.chars().count()).max().unwrap_or(0);
        for result in &self.results {
            let mark = match result.status {
                Status::Passed => "✓",
                Status::Failed => "✗",
                Status::Skipped => "-",
            };
            let label = super::step::summary(&result.label, label_width);
            let time = match result.status {
                Status::Skipped => "skipped".to_string(),
                _ => format::duration(result.elapsed),
            };
            out.push_str(&format!(
                "  {mark} {:<path_width$}  {label:<label_width$}  {time}",
                result.path
            ));
            if let Some(latency) = result.latency {
                out.push_str(&format!("  latency {}", format::duration(latency)));
            }
            for (name, value) in &result.captured {
                out.push_str(&format!("  {name}={}", super::step::summary(value, 40)));
            }
            out.push('\n');
            if result.status == Status::Passed
                && let Some(frame) = &result.frame
            {
                out.push_str(&format!("      ← {}\n", frame_preview(frame, 100)));
            }
            if result.status == Status::Failed {
                if let Some(detail) = &result.detail {
                    out.push_str(&format!("      {detail}\n"));
                }
                if let Some(frame) = &result.frame {
                    out.push_str(&format!("      frame {}\n", frame_preview(frame, 200)));
                }
                if result.line > 0 {
                    out.push_str(&format!("      at {}:{}\n", self.file, result.line));
                }
            }
        }
        if let Some(error) = &self.error {
            out.push_str(&format!("  {error}\n"));
        }
        for repeated in self.repeated_latencies() {
            out.push_str(&format!(
                "  latency {} {}: {}\n",
                repeated.path,
                super::step::summary(&repeated.label, 40),
                percentiles_text(&repeated.percentiles)
            ));
        }
        let passed = self.results.iter().filter(|r| r.status == Status::Passed).count();
        out.push_str(&format!(
            "  {}: {passed} of {} passed in {}\n",
            self.outcome.word(),
            format::count(self.results.len() as u64, "step"),
            format::duration(self.elapsed)
        ));
        out
    }

    fn json_value(&self) -> serde_json::Value {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let steps: Vec<serde_json::Value> = self
            .results
            .iter()
            .map(|r| {
                json!({
                    "path": r.path,
                    "line": r.line,
                    "name": r.label,
                    "status": status_word(r.status),
                    "started_ms": ms(r.started),
                    "elapsed_ms": ms(r.elapsed),
                    "latency_ms": r.latency.map(ms),
                    "detail": r.detail,
                    "frame": r.frame.as_ref().map(frame_json),
                    "captured": r.captured.iter().cloned().collect::<BTreeMap<_, _>>(),
                })
            })
            .collect();
        json!({
            "name": self.name,
            "file": self.file,
            "url": self.url,
            "ok": self.outcome == Outcome::Passed,
            "outcome": self.outcome.word(),
            "exit_code": self.outcome.exit_code(),
            "status": self.handshake.as_ref().map(|h| h.status),
            "subprotocol": self.handshake.as_ref().and_then(|h| h.protocol.clone()),
            "error": self.error,
            "captured": self.captured,
            "elapsed_ms": ms(self.elapsed),
            "steps": steps,
            "latency_percentiles": self.repeated_latencies().iter().map(|r| json!({
                "path": r.path,
                "name": r.label,
                "ms": percentiles_json(&r.percentiles),
            })).collect::<Vec<_>>(),
        })
    }
}

/// Several flows' reports as one JSON object, safe on a terminal.
pub fn json(reports: &[FlowReport]) -> String {
    let code = exit_code(reports);
    let value = json!({
        "ok": code == EXIT_PASSED,
        "exit_code": code,
        "flows": reports.iter().map(FlowReport::json_value).collect::<Vec<_>>(),
    });
    crate::sanitize::json(&value.to_string()).into_owned()
}

/// `20 runs · p50 50.1ms · p90 … · p99 … · max …`.
pub fn percentiles_text(p: &crate::stats::latency::Percentiles) -> String {
    format!(
        "{} · p50 {} · p90 {} · p99 {} · max {}",
        format::count(p.count, "run"),
        format::duration(p.p50),
        format::duration(p.p90),
        format::duration(p.p99),
        format::duration(p.max)
    )
}

/// The percentiles in milliseconds, as `reply_latency_ms` is.
pub fn percentiles_json(p: &crate::stats::latency::Percentiles) -> serde_json::Value {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    json!({
        "count": p.count,
        "p50": ms(p.p50),
        "p90": ms(p.p90),
        "p99": ms(p.p99),
        "max": ms(p.max),
    })
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
    }
}

fn frame_json(frame: &FrameRecord) -> serde_json::Value {
    serde_json::from_str(&crate::export::ndjson_line(frame)).unwrap_or_default()
}

/// A frame in one line: its text, or its first bytes in hex.
pub fn frame_preview(frame: &FrameRecord, max: usize) -> String {
    match frame.kind {
        FrameKind::Binary => {
            let head: Vec<String> = frame.payload.iter().take(16).map(|b| format!("{b:02x}")).collect();
            let more = if frame.payload.len() > 16 { " …" } else { "" };
            format!("<binary {} bytes: {}{more}>", frame.payload.len(), head.join(" "))
        }
        _ => super::step::summary(&String::from_utf8_lossy(&frame.payload), max),
    }
}

/// The reports as JUnit XML: a testsuite per flow, a testcase per step.
/// A failed check is a `<failure>`; a connection that failed, or a
/// file that could not run, is an `<error>`.
pub fn junit(reports: &[FlowReport]) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing to a Vec cannot fail.
    let _ = write_junit(&mut writer, reports);
    let mut xml = String::from_utf8_lossy(&writer.into_inner()).into_owned();
    xml.push('\n');
    xml
}

fn write_junit(writer: &mut Writer<Vec<u8>>, reports: &[FlowReport]) -> std::io::Result<()> {
    let seconds = |d: Duration| format!("{:.3}", d.as_secs_f64());
    let tally = |report: &FlowReport| Tally::of(report);
    let sum = |field: fn(&Tally) -> usize| reports.iter().map(|r| field(&tally(r))).sum::<usize>();
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer
        .create_element("testsuites")
        .with_attribute(("name", "wscope run"))
        .with_attribute(("tests", sum(|t| t.tests).to_string().as_str()))
        .with_attribute(("failures", sum(|t| t.failures).to_string().as_str()))
        .with_attribute(("errors", sum(|t| t.errors).to_string().as_str()))
        .with_attribute(("skipped", sum(|t| t.skipped).to_string().as_str()))
        .with_attribute(("time", seconds(reports.iter().map(|r| r.elapsed).sum()).as_str()))
        .write_inner_content(|writer| {
            for report in reports {
                let counts = tally(report);
                writer
                    .create_element("testsuite")
                    .with_attribute(("name", xml_safe(&report.name).as_str()))
                    .with_attribute(("file", xml_safe(&report.file).as_str()))
                    .with_attribute(("tests", counts.tests.to_string().as_str()))
                    .with_attribute(("failures", counts.failures.to_string().as_str()))
                    .with_attribute(("errors", counts.errors.to_string().as_str()))
                    .with_attribute(("skipped", counts.skipped.to_string().as_str()))
                    .with_attribute(("time", seconds(report.elapsed).as_str()))
                    .write_inner_content(|writer| {
                        write_properties(writer, report)?;
                        if report.results.is_empty() {
                            let message = report.error.clone().unwrap_or_default();
                            writer
                                .create_element("testcase")
                                .with_attribute(("name", "connect"))
                                .with_attribute(("classname", xml_safe(&report.name).as_str()))
                                .with_attribute(("time", "0.000"))
                                .write_inner_content(|writer| {
                                    writer
                                        .create_element("error")
                                        .with_attribute(("message", xml_safe(&message).as_str()))
                                        .with_attribute(("type", report.outcome.word()))
                                        .write_empty()?;
                                    Ok(())
                                })?;
                        }
                        for result in &report.results {
                            write_case(writer, report, result, counts.errors > 0)?;
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    Ok(())
}

/// The latency percentiles of repeated expects as testsuite properties:
/// `latency.2.2.p50_ms` and so on.
fn write_properties(writer: &mut Writer<Vec<u8>>, report: &FlowReport) -> std::io::Result<()> {
    let repeated = report.repeated_latencies();
    if repeated.is_empty() {
        return Ok(());
    }
    writer.create_element("properties").write_inner_content(|writer| {
        for r in &repeated {
            let p = &r.percentiles;
            let ms = |d: Duration| format!("{:.3}", d.as_secs_f64() * 1000.0);
            let figures = [
                ("count", p.count.to_string()),
                ("p50_ms", ms(p.p50)),
                ("p90_ms", ms(p.p90)),
                ("p99_ms", ms(p.p99)),
                ("max_ms", ms(p.max)),
            ];
            for (name, value) in figures {
                writer
                    .create_element("property")
                    .with_attribute(("name", format!("latency.{}.{name}", r.path).as_str()))
                    .with_attribute(("value", value.as_str()))
                    .write_empty()?;
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// A testsuite's counts. A connection failure, or a flow that could not
/// run, is one error instead of a failure.
struct Tally {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Tally {
    fn of(report: &FlowReport) -> Self {
        let is_error = matches!(report.outcome, Outcome::ConnectionFailed | Outcome::Invalid);
        let failed = report.results.iter().filter(|r| r.status == Status::Failed).count();
        Self {
            // A flow that never ran still gets one testcase, for its error.
            tests: report.results.len().max(1),
            failures: if is_error { 0 } else { failed },
            errors: usize::from(is_error),
            skipped: report.results.iter().filter(|r| r.status == Status::Skipped).count(),
        }
    }
}

fn write_case(
    writer: &mut Writer<Vec<u8>>,
    report: &FlowReport,
    result: &StepResult,
    is_error: bool,
) -> std::io::Result<()> {
    let name = format!("{} {}", result.path, result.label);
    let element = writer
        .create_element("testcase")
        .with_attribute(("name", xml_safe(&name).as_str()))
        .with_attribute(("classname", xml_safe(&report.name).as_str()))
        .with_attribute(("file", xml_safe(&report.file).as_str()))
        .with_attribute(("line", result.line.to_string().as_str()))
        .with_attribute(("time", format!("{:.3}", result.elapsed.as_secs_f64()).as_str()));
    match result.status {
        Status::Passed => {
            element.write_empty()?;
        }
        Status::Skipped => {
            element.write_inner_content(|writer| {
                writer
                    .create_element("skipped")
                    .with_attribute(("message", "an earlier step failed"))
                    .write_empty()?;
                Ok(())
            })?;
        }
        Status::Failed => {
            let message = result.detail.clone().unwrap_or_default();
            let body = result
                .frame
                .as_ref()
                .map(|frame| format!("frame {}", frame_preview(frame, 2000)))
                .unwrap_or_default();
            element.write_inner_content(|writer| {
                writer
                    .create_element(if is_error { "error" } else { "failure" })
                    .with_attribute(("message", xml_safe(&message).as_str()))
                    .with_attribute(("type", report.outcome.word()))
                    .write_text_content(BytesText::new(&xml_safe(&body)))?;
                Ok(())
            })?;
        }
    }
    Ok(())
}

/// Text XML 1.0 can hold: control characters other than tab and
/// newlines become U+FFFD (quick-xml escapes the markup characters).
fn xml_safe(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}
