//! `wscope run`: a flow's steps over one connection, without the UI.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Run, flatten, is_final};
use crate::conn::{ConnCommand, ConnEvent, ConnHandle, ConnState};
use crate::flow::machine::{FlowAction, FlowRun, Outcome};
use crate::flow::report::FlowReport;
use crate::flow::step::Step;
use crate::profile::vars::Resolver;
use crate::request::ResolvedRequest;

/// What to run, and what to call it in the report.
pub struct FlowJob {
    pub name: String,
    pub file: String,
    pub request: ResolvedRequest,
    /// Sent as they are once open, before the first step.
    pub on_connect: Vec<String>,
    pub steps: Arc<[Step]>,
    /// Resolves `{{variables}}` in sends; holds the file's `vars`.
    pub resolver: Resolver,
}

/// Connects, runs the steps once the connection is open, and closes.
pub async fn run(job: FlowJob, run: Run) -> FlowReport {
    let start = Instant::now();
    let url = if run.show_secrets {
        job.request.url.to_string()
    } else {
        crate::secrets::mask_url(job.request.url.as_str(), crate::secrets::SCREEN_MASK).into_owned()
    };
    let protocol = job.request.protocol.clone();
    let binary = run.payloads.clone();
    let (conn, mut events) = run.start();
    conn.send(ConnCommand::Connect(job.request));
    let mut report = FlowReport {
        name: job.name,
        file: job.file,
        url,
        handshake: None,
        results: Vec::new(),
        outcome: Outcome::ConnectionFailed,
        error: None,
        captured: Default::default(),
        elapsed: Duration::ZERO,
    };
    let mut flow: Option<FlowRun> = None;
    let mut open = false;
    loop {
        let deadline = flow.as_ref().and_then(FlowRun::deadline);
        let event = tokio::select! {
            event = events.recv() => event,
            () = sleep_until(deadline) => {
                if let Some(flow) = flow.as_mut() {
                    let actions = flow.on_deadline(Instant::now());
                    perform(&conn, actions);
                }
                if flow.as_ref().is_some_and(|f| f.outcome().is_some()) {
                    break;
                }
                continue;
            }
        };
        let Some(event) = event else { break };
        for event in flatten(event) {
            let now = Instant::now();
            match event {
                ConnEvent::Handshake(handshake) => report.handshake = Some(handshake),
                ConnEvent::State {
                    state: ConnState::Open {
                        protocol: negotiated, ..
                    },
                    ..
                } => {
                    open = true;
                    let settled = protocol.settle(negotiated.as_deref());
                    let decoder = settled.frame_decoder(binary.clone());
                    for message in &job.on_connect {
                        conn.send(ConnCommand::Send(crate::conn::Outgoing::Text(message.clone())));
                    }
                    let mut machine = FlowRun::new(job.steps.clone(), settled, decoder, job.resolver.clone(), now);
                    perform(&conn, machine.start(now));
                    flow = Some(machine);
                }
                ConnEvent::State { state, .. } if is_final(&state) => {
                    open = false;
                    let why = crate::sanitize::one_line_owned(state.to_string());
                    let clean = matches!(state, ConnState::Closed { code: Some(code), .. } if code != crate::record::ABNORMAL_CLOSURE);
                    match flow.as_mut() {
                        Some(flow) => flow.on_connection_end(&why, clean, now),
                        None => report.error = Some(why),
                    }
                }
                ConnEvent::Warning(text) => super::warn(&text),
                ConnEvent::Frame(frame) => {
                    if let Some(flow) = flow.as_mut() {
                        perform(&conn, flow.on_frame(&frame, now));
                    }
                }
                _ => {}
            }
        }
        let finished = flow.as_ref().is_some_and(|f| f.outcome().is_some());
        if finished || (flow.is_none() && report.error.is_some()) {
            break;
        }
    }
    if open {
        super::close_and_wait(&conn, &mut events, "wscope run done").await;
    }
    if let Some(flow) = flow {
        report.outcome = flow.outcome().cloned().unwrap_or(Outcome::ConnectionFailed);
        report.results = flow.results().to_vec();
        report.captured = flow.captured().clone();
    } else if report.error.is_none() {
        report.error = Some("the connection task stopped".into());
    }
    report.elapsed = start.elapsed();
    report
}

fn perform(conn: &ConnHandle, actions: Vec<FlowAction>) {
    for action in actions {
        conn.send(match action {
            FlowAction::Send(outgoing) => ConnCommand::Send(outgoing),
            FlowAction::Ping(payload) => ConnCommand::Ping(payload),
            FlowAction::Close { code, reason } => ConnCommand::Close { code, reason },
        });
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}
