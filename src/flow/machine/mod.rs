//! Running a flow: a state machine fed the connection's frames and the
//! clock, answering with what to send. It never touches a socket, so the
//! headless runner and the inspector drive the same code, and tests drive
//! it with made-up frames and instants.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use super::step::{Action, Expect, Payload, Step};
use crate::conn::Outgoing;
use crate::decode::FrameDecoder;
use crate::profile::vars::Resolver;
use crate::protocol::Protocol;
use crate::record::{Direction, FrameKind, FrameRecord};

mod matching;

/// Frames kept for the next `expect` while no step reads them; past
/// this the oldest go (a flood between two expects).
const BACKLOG_CAP: usize = 10_000;

/// How long a `close` step waits for the connection to end.
pub const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// What the flow asks of its connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowAction {
    Send(Outgoing),
    Ping(Bytes),
    Close { code: u16, reason: String },
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    /// Not run: an earlier step failed.
    Skipped,
}

/// One step's result, for reports.
#[derive(Debug, Clone)]
pub struct StepResult {
    /// `3`, or `4.2 (2/5)` for the second step of a repeat's second round.
    pub path: String,
    pub line: usize,
    pub label: String,
    pub status: Status,
    /// When it started, from the flow's start.
    pub started: Duration,
    pub elapsed: Duration,
    /// For an `expect`, from the previous send to the first match; for a
    /// `ping`, the round trip.
    pub latency: Option<Duration>,
    /// The frame that passed it, failed it, or came closest.
    pub frame: Option<FrameRecord>,
    /// Why it failed, or what it saw.
    pub detail: Option<String>,
    pub captured: Vec<(String, String)>,
}

/// How the whole flow ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// A step's check failed (exit 2).
    AssertionFailed,
    /// The connection failed or ended before the flow did (exit 1).
    ConnectionFailed,
    /// A step could not be built when it ran, e.g. an unresolved
    /// `{{variable}}` (exit 3).
    Invalid,
}

/// Where the run is in a list of steps (the flow, or a repeat's body).
struct Level {
    steps: Arc<[Step]>,
    index: usize,
    /// 1-based round of a repeat; 1 for the flow itself.
    round: u32,
    times: u32,
    /// The path of the repeat step, empty for the flow.
    prefix: String,
}

impl Level {
    /// How the report names step `index` of this level: `3`, or
    /// `4.2 (2/5)` inside a repeat.
    fn path(&self, index: usize) -> String {
        if self.prefix.is_empty() {
            (index + 1).to_string()
        } else {
            format!("{}.{} ({}/{})", self.prefix, index + 1, self.round, self.times)
        }
    }
}

enum State {
    NotStarted,
    Expecting(Expecting),
    Watching {
        deadline: Instant,
        dynamic: Vec<crate::filter::Pattern>,
    },
    Waiting {
        until: Instant,
    },
    Pinging {
        payload: Bytes,
        deadline: Instant,
        sent: SystemTime,
    },
    Closing {
        deadline: Instant,
    },
    Finished,
}

struct Expecting {
    deadline: Instant,
    /// The step's patterns that use variables, compiled when it started.
    dynamic: Vec<crate::filter::Pattern>,
    matched: u32,
    first_latency: Option<Duration>,
    last_match: Option<FrameRecord>,
    /// The last frame that did not match, and why.
    closest: Option<(FrameRecord, String)>,
}

/// A flow in progress.
pub struct FlowRun {
    levels: Vec<Level>,
    state: State,
    step_started: Instant,
    resolver: Resolver,
    protocol: Protocol,
    decoder: FrameDecoder,
    next_call_id: u64,
    last_send: Option<SystemTime>,
    backlog: VecDeque<FrameRecord>,
    results: Vec<StepResult>,
    base: (Instant, SystemTime),
    outcome: Option<Outcome>,
}

impl FlowRun {
    /// A run of `steps` over a connection speaking `protocol`; `now` is
    /// when the clock starts.
    pub fn new(
        steps: Arc<[Step]>,
        protocol: Protocol,
        decoder: FrameDecoder,
        resolver: Resolver,
        now: Instant,
    ) -> Self {
        Self {
            levels: vec![Level {
                steps,
                index: 0,
                round: 1,
                times: 1,
                prefix: String::new(),
            }],
            state: State::NotStarted,
            step_started: now,
            resolver,
            protocol,
            decoder,
            next_call_id: 1,
            last_send: None,
            backlog: VecDeque::new(),
            results: Vec::new(),
            base: (now, SystemTime::now()),
            outcome: None,
        }
    }

    /// The wall-clock time at `now`, on the run's own clock (frames are
    /// stamped in wall-clock time).
    pub fn wall(&self, now: Instant) -> SystemTime {
        self.base.1 + now.saturating_duration_since(self.base.0)
    }

    /// Starts the first step: call once the connection is open.
    pub fn start(&mut self, now: Instant) -> Vec<FlowAction> {
        let mut actions = Vec::new();
        if matches!(self.state, State::NotStarted) {
            self.base = (now, self.base.1 + now.saturating_duration_since(self.base.0));
            self.advance(now, &mut actions);
        }
        actions
    }

    pub fn results(&self) -> &[StepResult] {
        &self.results
    }

    /// The values captured so far.
    pub fn captured(&self) -> &std::collections::BTreeMap<String, String> {
        self.resolver.captured()
    }

    /// How it ended, once it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// The step running now, as `(path, label)`.
    pub fn current(&self) -> Option<(String, String)> {
        if self.outcome.is_some() {
            return None;
        }
        let level = self.levels.last()?;
        let step = level.steps.get(level.index)?;
        Some((self.path_of(level.index), step.label.clone()))
    }

    /// When the run next needs [`FlowRun::on_deadline`].
    pub fn deadline(&self) -> Option<Instant> {
        match &self.state {
            State::Expecting(e) => Some(e.deadline),
            State::Watching { deadline, .. } | State::Pinging { deadline, .. } | State::Closing { deadline } => {
                Some(*deadline)
            }
            State::Waiting { until } => Some(*until),
            State::NotStarted | State::Finished => None,
        }
    }

    /// A frame crossed the connection.
    pub fn on_frame(&mut self, frame: &FrameRecord, now: Instant) -> Vec<FlowAction> {
        let mut actions = Vec::new();
        if frame.direction != Direction::Received || matches!(self.state, State::Finished) {
            return actions;
        }
        // A protocol's own frames (Socket.IO's handshake and heartbeats)
        // are not the conversation: expectations see decoded values.
        if frame.kind == FrameKind::Text && self.decoder.text.is_some() && self.decoder.json(frame).is_none() {
            return actions;
        }
        match frame.kind {
            FrameKind::Text | FrameKind::Binary => {
                if matches!(self.state, State::Expecting(_) | State::Watching { .. }) {
                    if self.read(frame.clone(), now) {
                        self.advance(now, &mut actions);
                    }
                } else {
                    if self.backlog.len() == BACKLOG_CAP {
                        self.backlog.pop_front();
                    }
                    self.backlog.push_back(frame.clone());
                }
            }
            FrameKind::Pong => {
                if let State::Pinging { payload, sent, .. } = &self.state
                    && *payload == frame.payload
                {
                    let latency = frame.at.duration_since(*sent).unwrap_or_default();
                    self.pass(now, |r| r.latency = Some(latency));
                    self.next_step();
                    self.advance(now, &mut actions);
                }
            }
            _ => {}
        }
        actions
    }

    /// The connection ended, as `why` says: `clean` when with a close
    /// handshake (the server closed before the flow was done: its checks
    /// are not met), else it failed or dropped (a connection failure).
    pub fn on_connection_end(&mut self, why: &str, clean: bool, now: Instant) {
        let outcome = if clean {
            Outcome::AssertionFailed
        } else {
            Outcome::ConnectionFailed
        };
        match self.state {
            State::Finished => {}
            State::Closing { .. } => {
                self.pass(now, |r| r.detail = Some(why.to_string()));
                self.next_step();
                if self.levels.is_empty() {
                    self.finish(Outcome::Passed);
                } else {
                    self.fail(now, outcome, format!("the connection is closed: {why}"), None);
                }
            }
            _ => {
                self.fail(now, outcome, format!("the connection ended: {why}"), None);
            }
        }
    }

    /// Time passed: ends a step whose time is up.
    pub fn on_deadline(&mut self, now: Instant) -> Vec<FlowAction> {
        let mut actions = Vec::new();
        if self.deadline().is_none_or(|deadline| now < deadline) {
            return actions;
        }
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Expecting(expecting) => {
                let Some(steps) = self.levels.last().map(|level| level.steps.clone()) else {
                    return actions;
                };
                let Action::Expect(expect) = &steps[self.levels[self.levels.len() - 1].index].action else {
                    return actions;
                };
                let got = if expect.count > 1 {
                    format!("{} of {} matching frames", expecting.matched, expect.count)
                } else {
                    "no matching frame".to_string()
                };
                let (frame, why) = match expecting.closest {
                    Some((frame, why)) => (Some(frame), format!("; the last frame seen {why}")),
                    None if expecting.matched == 0 => (None, "; no frame arrived".to_string()),
                    None => (expecting.last_match, String::new()),
                };
                let detail = format!("{got} within {}{why}", crate::format::duration(expect.within));
                self.fail(now, Outcome::AssertionFailed, detail, frame);
            }
            State::Watching { .. } | State::Waiting { .. } => {
                self.pass(now, |_| {});
                self.next_step();
                self.advance(now, &mut actions);
            }
            State::Pinging { .. } => {
                self.fail(now, Outcome::AssertionFailed, "no pong to the ping".into(), None);
            }
            State::Closing { .. } => {
                self.fail(
                    now,
                    Outcome::ConnectionFailed,
                    format!(
                        "the connection was still open {} after the close frame",
                        crate::format::duration(CLOSE_WAIT)
                    ),
                    None,
                );
            }
            State::NotStarted | State::Finished => {}
        }
        actions
    }

    fn path_of(&self, index: usize) -> String {
        self.levels.last().map_or_else(String::new, |level| level.path(index))
    }

    /// Runs steps from the current one until one has to wait.
    fn advance(&mut self, now: Instant, actions: &mut Vec<FlowAction>) {
        loop {
            if self.outcome.is_some() {
                return;
            }
            let Some(level) = self.levels.last() else {
                self.finish(Outcome::Passed);
                return;
            };
            let steps = level.steps.clone();
            let step = &steps[level.index];
            self.step_started = now;
            match &step.action {
                Action::Send(payload) => {
                    let outgoing = match self.outgoing(payload) {
                        Ok(outgoing) => outgoing,
                        Err(error) => return self.fail(now, Outcome::Invalid, error, None),
                    };
                    actions.push(FlowAction::Send(outgoing));
                    self.last_send = Some(self.wall(now));
                    self.pass(now, |_| {});
                    self.next_step();
                }
                Action::Expect(expect) => {
                    let dynamic = match expect.matcher.compile_dynamic(&self.resolver) {
                        Ok(dynamic) => dynamic,
                        Err(error) => return self.fail(now, Outcome::Invalid, error, None),
                    };
                    self.state = State::Expecting(Expecting {
                        deadline: now + expect.within,
                        dynamic,
                        matched: 0,
                        first_latency: None,
                        last_match: None,
                        closest: None,
                    });
                    if !self.read_backlog(now) {
                        return;
                    }
                }
                Action::ExpectNone(none) => {
                    let dynamic = match none.matcher.compile_dynamic(&self.resolver) {
                        Ok(dynamic) => dynamic,
                        Err(error) => return self.fail(now, Outcome::Invalid, error, None),
                    };
                    self.state = State::Watching {
                        deadline: now + none.duration,
                        dynamic,
                    };
                    if !self.read_backlog(now) {
                        return;
                    }
                }
                Action::Wait(duration) => {
                    self.state = State::Waiting { until: now + *duration };
                    return;
                }
                Action::Ping { payload, within } => {
                    actions.push(FlowAction::Ping(payload.clone()));
                    self.state = State::Pinging {
                        payload: payload.clone(),
                        deadline: now + *within,
                        sent: self.wall(now),
                    };
                    return;
                }
                Action::Close { code, reason } => {
                    actions.push(FlowAction::Close {
                        code: *code,
                        reason: reason.clone(),
                    });
                    self.state = State::Closing {
                        deadline: now + CLOSE_WAIT,
                    };
                    return;
                }
                Action::Repeat { times, steps: body } => {
                    if *times == 0 || body.is_empty() {
                        self.pass(now, |r| r.detail = Some("nothing to repeat".into()));
                        self.next_step();
                    } else {
                        let prefix = self.path_of(self.levels[self.levels.len() - 1].index);
                        self.levels.push(Level {
                            steps: body.clone(),
                            index: 0,
                            round: 1,
                            times: *times,
                            prefix,
                        });
                    }
                }
            }
        }
    }

    fn outgoing(&mut self, payload: &Payload) -> Result<Outgoing, String> {
        match payload {
            Payload::Binary(bytes) => return Ok(Outgoing::Binary(bytes.clone())),
            Payload::Raw(text) => return Ok(Outgoing::Text(text.clone())),
            Payload::Text(_) | Payload::Json(_) => {}
        }
        let text = payload.text(&self.resolver)?.unwrap_or_default();
        Ok(Outgoing::Text(self.protocol.encode(&text, &mut self.next_call_id)?))
    }

    /// Moves the cursor past the current step, through the ends of
    /// repeats; leaves no levels when the flow is done.
    fn next_step(&mut self) {
        self.state = State::Finished;
        while let Some(level) = self.levels.last_mut() {
            level.index += 1;
            if level.index < level.steps.len() {
                return;
            }
            if level.round < level.times {
                level.round += 1;
                level.index = 0;
                return;
            }
            self.levels.pop();
        }
    }

    fn result(&self, status: Status, now: Instant) -> StepResult {
        let (path, line, label) = match self.levels.last() {
            Some(level) => {
                let step = &level.steps[level.index];
                (self.path_of(level.index), step.line, step.label.clone())
            }
            None => (String::new(), 0, String::new()),
        };
        StepResult {
            path,
            line,
            label,
            status,
            started: self.step_started.saturating_duration_since(self.base.0),
            elapsed: now.saturating_duration_since(self.step_started),
            latency: None,
            frame: None,
            detail: None,
            captured: Vec::new(),
        }
    }

    fn pass(&mut self, now: Instant, fill: impl FnOnce(&mut StepResult)) {
        let mut result = self.result(Status::Passed, now);
        fill(&mut result);
        self.results.push(result);
    }

    /// Fails the current step and ends the run, listing what was not run.
    fn fail(&mut self, now: Instant, outcome: Outcome, detail: String, frame: Option<FrameRecord>) {
        if !self.levels.is_empty() {
            let mut result = self.result(Status::Failed, now);
            result.detail = Some(detail);
            result.frame = frame;
            self.results.push(result);
        } else {
            // Nothing left to blame (the connection dropped after the last
            // step): the report still says so.
            self.results.push(StepResult {
                path: "end".into(),
                line: 0,
                label: "the connection".into(),
                status: Status::Failed,
                started: now.saturating_duration_since(self.base.0),
                elapsed: Duration::ZERO,
                latency: None,
                frame,
                detail: Some(detail),
                captured: Vec::new(),
            });
        }
        // What was not run: the rest of each level, innermost first.
        while let Some(level) = self.levels.pop() {
            for index in level.index + 1..level.steps.len() {
                let step = &level.steps[index];
                self.results.push(StepResult {
                    path: level.path(index),
                    line: step.line,
                    label: step.label.clone(),
                    status: Status::Skipped,
                    started: now.saturating_duration_since(self.base.0),
                    elapsed: Duration::ZERO,
                    latency: None,
                    frame: None,
                    detail: None,
                    captured: Vec::new(),
                });
            }
        }
        self.finish(outcome);
    }

    fn finish(&mut self, outcome: Outcome) {
        self.levels.clear();
        self.state = State::Finished;
        if self.outcome.is_none() {
            self.outcome = Some(outcome);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::file::parse;

    fn run_of(text: &str) -> (FlowRun, Instant) {
        let flow = parse(text, std::path::Path::new("t.flow.toml")).unwrap();
        let now = Instant::now();
        let run = FlowRun::new(
            flow.steps,
            Protocol::default(),
            FrameDecoder::default(),
            Resolver::default(),
            now,
        );
        (run, now)
    }

    fn received(run: &FlowRun, at: Instant, text: &str) -> FrameRecord {
        FrameRecord {
            at: run.wall(at),
            ..FrameRecord::received(FrameKind::Text, text.as_bytes())
        }
    }

    fn sent_text(actions: &[FlowAction]) -> Vec<String> {
        actions
            .iter()
            .filter_map(|a| match a {
                FlowAction::Send(Outgoing::Text(t)) => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    const AUTH: &str = r#"
[[step]]
send = '{"op":"auth"}'
[[step]]
expect = { jq = '.op == "auth_ok"', within = "2s", max_latency = "100ms" }
capture = { session = ".session" }
[[step]]
send = '{"op":"sub","session":"{{session}}"}'
[[step]]
expect = { regex = "tick", count = 2 }
"#;

    #[test]
    fn captures_flow_into_later_sends_and_latency_counts_from_the_send() {
        let (mut run, t0) = run_of(AUTH);
        assert_eq!(sent_text(&run.start(t0)), [r#"{"op":"auth"}"#]);
        assert_eq!(run.current().unwrap().0, "2");
        // A frame that does not match is passed over.
        let t1 = t0 + Duration::from_millis(5);
        assert!(run.on_frame(&received(&run, t1, r#"{"op":"hello"}"#), t1).is_empty());
        let t2 = t0 + Duration::from_millis(30);
        let actions = run.on_frame(&received(&run, t2, r#"{"op":"auth_ok","session":"s-1"}"#), t2);
        assert_eq!(sent_text(&actions), [r#"{"op":"sub","session":"s-1"}"#]);
        let expect = &run.results()[1];
        assert_eq!(expect.status, Status::Passed);
        assert_eq!(expect.latency, Some(Duration::from_millis(30)));
        assert_eq!(expect.captured, [("session".to_string(), "s-1".to_string())]);
        for n in 0..2 {
            let t = t2 + Duration::from_millis(10 * (n + 1));
            run.on_frame(&received(&run, t, "tick"), t);
        }
        assert_eq!(run.outcome(), Some(&Outcome::Passed));
        assert_eq!(run.results().len(), 4);
    }

    #[test]
    fn a_late_reply_fails_max_latency_and_skips_the_rest() {
        let (mut run, t0) = run_of(AUTH);
        run.start(t0);
        let late = t0 + Duration::from_millis(150);
        run.on_frame(&received(&run, late, r#"{"op":"auth_ok","session":"x"}"#), late);
        assert_eq!(run.outcome(), Some(&Outcome::AssertionFailed));
        let statuses: Vec<Status> = run.results().iter().map(|r| r.status).collect();
        assert_eq!(
            statuses,
            [Status::Passed, Status::Failed, Status::Skipped, Status::Skipped]
        );
        let failed = &run.results()[1];
        assert!(failed.detail.as_deref().unwrap().contains("max_latency"), "{failed:?}");
        assert_eq!(failed.latency, Some(Duration::from_millis(150)));
    }

    #[test]
    fn an_expect_times_out_naming_the_closest_frame() {
        let (mut run, t0) = run_of(AUTH);
        run.start(t0);
        let t1 = t0 + Duration::from_millis(10);
        run.on_frame(&received(&run, t1, r#"{"op":"denied"}"#), t1);
        assert_eq!(run.deadline(), Some(t0 + Duration::from_secs(2)));
        run.on_deadline(t0 + Duration::from_secs(1));
        assert!(run.outcome().is_none(), "not yet");
        run.on_deadline(t0 + Duration::from_secs(2));
        assert_eq!(run.outcome(), Some(&Outcome::AssertionFailed));
        let failed = &run.results()[1];
        assert!(
            failed
                .detail
                .as_deref()
                .unwrap()
                .starts_with("no matching frame within 2.00s")
        );
        assert_eq!(failed.frame.as_ref().unwrap().payload.as_ref(), br#"{"op":"denied"}"#);
    }

    #[test]
    fn expect_none_wait_repeat_ping_and_close() {
        let (mut run, t0) = run_of(
            r#"
[[step]]
wait = "100ms"
[[step]]
expect_none = { regex = "error", for = "1s" }
[[step]]
repeat = { times = 2, steps = [ { send = "n{{$seq}}" }, { expect = { regex = "^n" } } ] }
[[step]]
ping = "p"
[[step]]
close = { code = 1000, reason = "done" }
"#,
        );
        assert!(run.start(t0).is_empty());
        // Frames during the wait are kept for the steps that read.
        let t1 = t0 + Duration::from_millis(50);
        run.on_frame(&received(&run, t1, "fine"), t1);
        let t2 = t0 + Duration::from_millis(100);
        assert!(run.on_deadline(t2).is_empty());
        assert_eq!(run.current().unwrap().0, "2");
        let t3 = t2 + Duration::from_secs(1);
        assert_eq!(sent_text(&run.on_deadline(t3)), ["n1"]);
        assert_eq!(run.current().unwrap().0, "3.2 (1/2)");
        assert_eq!(sent_text(&run.on_frame(&received(&run, t3, "n1"), t3)), ["n2"]);
        let actions = run.on_frame(&received(&run, t3, "n2"), t3);
        assert_eq!(actions, [FlowAction::Ping(Bytes::from_static(b"p"))]);
        let pong = FrameRecord {
            at: run.wall(t3 + Duration::from_millis(4)),
            ..FrameRecord::received(FrameKind::Pong, b"p")
        };
        let actions = run.on_frame(&pong, t3);
        assert_eq!(
            actions,
            [FlowAction::Close {
                code: 1000,
                reason: "done".into()
            }]
        );
        assert_eq!(run.results().last().unwrap().latency, Some(Duration::from_millis(4)));
        run.on_connection_end("closed by us (1000)", true, t3);
        assert_eq!(run.outcome(), Some(&Outcome::Passed));
        let paths: Vec<&str> = run.results().iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            ["1", "2", "3.1 (1/2)", "3.2 (1/2)", "3.1 (2/2)", "3.2 (2/2)", "4", "5"]
        );
    }

    #[test]
    fn expect_none_fails_on_a_match_seen_during_a_wait() {
        let (mut run, t0) = run_of("[[step]]\nwait = '1s'\n[[step]]\nexpect_none = { regex = 'error' }\n");
        run.start(t0);
        run.on_frame(&received(&run, t0, "an error"), t0);
        run.on_deadline(t0 + Duration::from_secs(1));
        assert_eq!(run.outcome(), Some(&Outcome::AssertionFailed));
        assert_eq!(run.results()[1].frame.as_ref().unwrap().payload.as_ref(), b"an error");
    }

    #[test]
    fn a_dropped_connection_fails_the_flow_as_a_connection_failure() {
        let (mut run, t0) = run_of(AUTH);
        run.start(t0);
        run.on_connection_end("connection lost", false, t0);
        assert_eq!(run.outcome(), Some(&Outcome::ConnectionFailed));
        assert!(run.results()[1].detail.as_deref().unwrap().contains("lost"));
        // A server that closes cleanly before the reply fails the check.
        let (mut run, t0) = run_of(AUTH);
        run.start(t0);
        run.on_connection_end("Closed (4000 bye)", true, t0);
        assert_eq!(run.outcome(), Some(&Outcome::AssertionFailed));
    }

    #[test]
    fn expectations_may_use_captured_values() {
        let (mut run, t0) = run_of(
            r#"
[[step]]
expect = { jq = '.token' }
capture = { token = ".token" }
[[step]]
send = 'use {{token}}'
[[step]]
expect = { regex = '^echo: use {{token}}$' }
[[step]]
expect_none = { regex = 'reject {{token}}', for = "1s" }
"#,
        );
        run.start(t0);
        let actions = run.on_frame(&received(&run, t0, r#"{"token":"t-1"}"#), t0);
        assert_eq!(sent_text(&actions), ["use t-1"]);
        // The other token does not pass; this one does.
        run.on_frame(&received(&run, t0, "echo: use t-2"), t0);
        assert_eq!(run.current().unwrap().0, "3");
        run.on_frame(&received(&run, t0, "echo: use t-1"), t0);
        assert_eq!(run.current().unwrap().0, "4");
        run.on_frame(&received(&run, t0, "reject t-1"), t0);
        assert_eq!(run.outcome(), Some(&Outcome::AssertionFailed));
    }

    #[test]
    fn an_unanswered_ping_and_an_unanswered_close_fail() {
        let (mut run, t0) = run_of("[[step]]\nping = true\n");
        assert_eq!(run.start(t0), [FlowAction::Ping(Bytes::from_static(b"wscope-flow"))]);
        // Another pong (a keepalive's) is not ours.
        let other = FrameRecord::received(FrameKind::Pong, b"12345678");
        run.on_frame(&other, t0);
        run.on_deadline(t0 + crate::flow::file::PING_WITHIN);
        assert_eq!(run.outcome(), Some(&Outcome::AssertionFailed));

        let (mut run, t0) = run_of("[[step]]\nclose = true\n");
        run.start(t0);
        run.on_deadline(t0 + CLOSE_WAIT);
        assert_eq!(run.outcome(), Some(&Outcome::ConnectionFailed));
    }

    #[test]
    fn a_protocols_own_frames_are_not_read() {
        let flow = parse("[[step]]\nexpect = {}\n", std::path::Path::new("t.flow.toml")).unwrap();
        let protocol = Protocol {
            kind: crate::protocol::ProtocolKind::named("socketio").unwrap(),
            ..Protocol::default()
        };
        let decoder = protocol.frame_decoder(Default::default());
        let t0 = Instant::now();
        let mut run = FlowRun::new(flow.steps, protocol, decoder, Resolver::default(), t0);
        run.start(t0);
        run.on_frame(&received(&run, t0, r#"0{"sid":"x","pingInterval":25000}"#), t0);
        run.on_frame(&received(&run, t0, "2"), t0);
        assert!(run.outcome().is_none());
        run.on_frame(&received(&run, t0, r#"42["hello",1]"#), t0);
        assert_eq!(run.outcome(), Some(&Outcome::Passed));
    }

    #[test]
    fn an_unresolved_variable_makes_the_flow_invalid() {
        let (mut run, t0) = run_of("[[step]]\nsend = '{{nothing}}'\n");
        run.start(t0);
        assert_eq!(run.outcome(), Some(&Outcome::Invalid));
        assert!(run.results()[0].detail.as_deref().unwrap().contains("{{nothing}}"));
    }
}
