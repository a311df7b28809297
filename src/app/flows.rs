//! Flows in the inspector: F6 saves the session as a flow file, F5 runs a
//! flow on the open connection, with its step in the status bar and its
//! failures in the log.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use super::{App, Prompt, PromptPurpose, Session, Shared};
use crate::app::file_requests::{LoadedFlow, StoreRequest};
use crate::conn::{ConnCommand, ConnState};
use crate::flow::machine::{FlowAction, FlowRun, Outcome, Status};
use crate::flow::record::{RecordedRequest, flow_text};
use crate::frames::{LogEntry, NoteLevel};
use crate::record::FrameRecord;

/// Sent texts remembered with the composer text they came from, so a
/// recorded flow keeps `{{variables}}` (and no secrets they resolve to).
const TEMPLATES_KEPT: usize = 1024;

/// Sent messages and their templates, newest last.
#[derive(Debug, Default)]
pub struct SentTemplates(VecDeque<(String, String)>);

impl SentTemplates {
    /// Remembers that `template` went out as `sent`, when they differ.
    pub fn remember(&mut self, sent: &str, template: &str) {
        if sent == template {
            return;
        }
        if self.0.len() == TEMPLATES_KEPT {
            self.0.pop_front();
        }
        self.0.push_back((sent.to_string(), template.to_string()));
    }

    fn map(&self) -> HashMap<String, String> {
        self.0.iter().cloned().collect()
    }
}

/// A flow running on the session's connection.
pub struct ActiveFlow {
    pub name: String,
    pub run: FlowRun,
    /// Results already written to the log.
    logged: usize,
}

impl ActiveFlow {
    /// What the status bar says: the step running now.
    pub fn status(&self) -> String {
        match self.run.current() {
            Some((path, label)) => format!("flow {}: {path} {label}", self.name),
            None => format!("flow {}", self.name),
        }
    }
}

impl App {
    /// F6: asks for a name to save the session as a flow.
    pub(super) fn ask_save_flow(&mut self) {
        let sent = self
            .session()
            .held_frames()
            .iter()
            .any(|f| f.direction == crate::record::Direction::Sent);
        if !sent {
            self.notify(
                NoteLevel::Warning,
                "nothing sent yet: a flow is made of the messages you send",
            );
            return;
        }
        let name = self
            .tabs
            .active_mut()
            .profile
            .name
            .clone()
            .unwrap_or_else(|| "session".into());
        self.prompt = Some(Prompt::with_text(PromptPurpose::SaveFlow, &name));
    }

    /// F5: asks which flow to run, or stops the one running.
    pub(super) fn toggle_flow(&mut self) {
        if let Some(flow) = self.tabs.active_mut().flow.take() {
            self.notify(NoteLevel::Info, format!("flow {} stopped", flow.name));
            return;
        }
        if self.tabs.active_mut().pending_flow.take().is_some() {
            self.notify(NoteLevel::Info, "flow not run");
            return;
        }
        let name = (self.tabs.active_mut().last_flow.clone())
            .or_else(|| self.tabs.active_mut().profile.name.clone())
            .unwrap_or_default();
        self.prompt = Some(Prompt::with_text(PromptPurpose::RunFlow, &name));
    }

    /// Starts a loaded flow on the open connection; without one, connects
    /// with the request in the panes and starts it once open, so that the
    /// flow sees the server's first frames.
    pub(super) fn start_flow(&mut self, loaded: Result<LoadedFlow, String>, now: Instant) {
        let flow = match loaded {
            Ok(LoadedFlow(flow)) => flow,
            Err(error) => {
                self.notify(NoteLevel::Error, format!("flow not run: {error}"));
                return;
            }
        };
        if !matches!(self.tabs.active_mut().connection.state, ConnState::Open { .. }) {
            self.notify(
                NoteLevel::Info,
                format!("flow {}: connecting; it starts once open (F5 cancels)", flow.name),
            );
            self.tabs.active_mut().pending_flow = Some(LoadedFlow(flow));
            self.connect();
            return;
        }
        if begins_by_listening(&flow.steps) {
            self.confirm = Some(super::Confirm::FlowOnOpenConnection(LoadedFlow(flow)));
            return;
        }
        self.tabs.active_mut().run_flow(LoadedFlow(flow), now, &mut self.shared);
    }
}

/// Whether a flow's first step listens for a frame (the server's
/// greeting, typically) rather than sending one.
fn begins_by_listening(steps: &[crate::flow::step::Step]) -> bool {
    use crate::flow::step::Action;
    match steps.first().map(|step| &step.action) {
        Some(Action::Expect(_)) => true,
        Some(Action::Repeat { steps, .. }) => begins_by_listening(steps),
        _ => false,
    }
}

impl Session {
    /// Writes the session's sent messages and the replies after them as
    /// `flows/NAME.flow.toml`.
    pub(super) fn save_flow(&mut self, name: &str, shared: &mut Shared) {
        let frames = self.held_frames();
        let profile = self.current_profile();
        let saved_unchanged = self.profile.name.is_some() && !self.has_unsaved_changes();
        let request = match &self.profile.name {
            Some(name) if saved_unchanged => RecordedRequest::Profile(name),
            _ => RecordedRequest::Panes(&profile),
        };
        let (text, steps) = flow_text(request, &frames, &self.sent_templates.map(), &self.filter.decode);
        self.last_flow = Some(name.trim().to_string());
        shared.store_outbox.push(StoreRequest::SaveFlow {
            name: name.trim().to_string(),
            text,
            what: format!(
                "flow {} ({}; F5 runs it)",
                name.trim(),
                crate::format::count(steps as u64, "step")
            ),
        });
    }

    fn held_frames(&self) -> Vec<&FrameRecord> {
        let frames = &self.frames;
        frames
            .window(frames.first_seq(), frames.len())
            .filter_map(|entry| match entry {
                LogEntry::Frame(frame) => Some(frame),
                LogEntry::Note { .. } => None,
            })
            .collect()
    }

    /// Asks the file thread for the flow named (in `flows/`) or at a path.
    pub(super) fn load_flow(&mut self, name_or_path: &str, shared: &mut Shared) {
        self.last_flow = Some(name_or_path.trim().to_string());
        shared.store_outbox.push(StoreRequest::LoadFlow {
            name_or_path: name_or_path.trim().to_string(),
        });
    }

    /// Runs a flow on the open connection from its first step.
    pub(super) fn run_flow(&mut self, LoadedFlow(flow): LoadedFlow, now: Instant, shared: &mut Shared) {
        let mut resolver = shared.resolver.clone();
        for (name, value) in &flow.vars {
            match resolver.resolve(value, &format!("vars.{name}")) {
                Ok(value) => resolver.set(name, value),
                Err(error) => {
                    shared.notify(NoteLevel::Error, format!("flow not run: {error}"));
                    return;
                }
            }
        }
        let mut run = FlowRun::new(
            flow.steps.clone(),
            self.protocol(),
            self.filter.decode.clone(),
            resolver,
            now,
        );
        let actions = run.start(now);
        self.log_note(
            std::time::SystemTime::now(),
            NoteLevel::Info,
            &format!(
                "flow {} started ({})",
                flow.name,
                crate::format::count(flow.steps.len() as u64, "step")
            ),
            shared,
        );
        self.flow = Some(ActiveFlow {
            name: flow.name.clone(),
            run,
            logged: 0,
        });
        self.flow_did(actions, shared);
    }

    /// Frames for the running flow, in arrival order.
    pub(super) fn flow_frames<'a>(&mut self, frames: impl IntoIterator<Item = &'a FrameRecord>, shared: &mut Shared) {
        let Some(flow) = self.flow.as_mut() else { return };
        let now = Instant::now();
        let mut actions = Vec::new();
        for frame in frames {
            actions.extend(flow.run.on_frame(frame, now));
        }
        self.flow_did(actions, shared);
    }

    /// The connection opened: a flow waiting for it starts.
    pub(super) fn flow_connection_open(&mut self, shared: &mut Shared) {
        if let Some(flow) = self.pending_flow.take() {
            // Fresh: nothing has arrived yet that the flow could miss.
            self.run_flow(flow, Instant::now(), shared);
        }
    }

    /// The connection ended under the running flow.
    pub(super) fn flow_connection_end(&mut self, state: &ConnState, shared: &mut Shared) {
        if matches!(state, ConnState::Failed(_)) && self.pending_flow.take().is_some() {
            shared.notify(NoteLevel::Error, "flow not run: the connection failed");
        }
        let Some(flow) = self.flow.as_mut() else { return };
        let clean =
            matches!(state, ConnState::Closed { code: Some(code), .. } if *code != crate::record::ABNORMAL_CLOSURE);
        let why = crate::sanitize::one_line_owned(state.to_string());
        flow.run.on_connection_end(&why, clean, Instant::now());
        self.flow_did(Vec::new(), shared);
    }

    /// When the running flow next needs the clock.
    pub fn next_flow_deadline(&self) -> Option<Instant> {
        self.flow.as_ref().and_then(|f| f.run.deadline())
    }

    /// The clock reached the running flow's deadline.
    pub(super) fn flow_tick(&mut self, now: Instant, shared: &mut Shared) {
        let Some(flow) = self.flow.as_mut() else { return };
        let actions = flow.run.on_deadline(now);
        self.flow_did(actions, shared);
    }

    /// Carries out what the flow asked for, logs its new results, and
    /// reports its end.
    fn flow_did(&mut self, actions: Vec<FlowAction>, shared: &mut Shared) {
        for action in actions {
            self.outbox.push(match action {
                FlowAction::Send(outgoing) => ConnCommand::Send(outgoing),
                FlowAction::Ping(payload) => ConnCommand::Ping(payload),
                FlowAction::Close { code, reason } => ConnCommand::Close { code, reason },
            });
        }
        let Some(flow) = self.flow.as_mut() else { return };
        let fresh: Vec<_> = flow.run.results()[flow.logged..].to_vec();
        flow.logged = flow.run.results().len();
        let name = flow.name.clone();
        let outcome = flow.run.outcome().cloned();
        let total = flow.run.results().len();
        let passed = flow.run.results().iter().filter(|r| r.status == Status::Passed).count();
        for result in fresh.iter().filter(|r| r.status == Status::Failed) {
            let mut text = format!("flow {name}: step {} {} failed", result.path, result.label);
            if let Some(detail) = &result.detail {
                text.push_str(&format!(": {detail}"));
            }
            if result.line > 0 {
                text.push_str(&format!(" (line {})", result.line));
            }
            self.log_note(std::time::SystemTime::now(), NoteLevel::Error, &text, shared);
        }
        for result in fresh.iter().filter(|r| !r.captured.is_empty()) {
            let values: Vec<String> = result.captured.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let text = format!("flow {name}: captured {}", values.join(" "));
            self.log_note(std::time::SystemTime::now(), NoteLevel::Info, &text, shared);
        }
        let Some(outcome) = outcome else { return };
        self.flow = None;
        let (level, text) = match outcome {
            Outcome::Passed => (
                NoteLevel::Success,
                format!(
                    "flow {name} passed: {passed} of {}",
                    crate::format::count(total as u64, "step")
                ),
            ),
            _ => (
                NoteLevel::Error,
                format!(
                    "flow {name} failed: {passed} of {} passed; the log says why",
                    crate::format::count(total as u64, "step")
                ),
            ),
        };
        self.log_note(std::time::SystemTime::now(), level, &text, shared);
        shared.notify(level, text);
    }
}
