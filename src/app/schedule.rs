//! Scheduled sends: the composer's message sent every N seconds until
//! stopped, e.g. an application-level heartbeat.

use std::time::{Duration, Instant};

use super::session::Composed;
use super::{App, Prompt, PromptPurpose, Session, Shared};
use crate::conn::ConnState;
use crate::frames::NoteLevel;

/// A running schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub every: Duration,
    /// The composer's text when the schedule started.
    pub text: Composed,
    pub next_at: Instant,
    /// How many were sent so far.
    pub sent: u64,
}

impl App {
    /// F4: asks for the period, or stops a running schedule.
    pub(super) fn toggle_schedule(&mut self) {
        if let Some(schedule) = self.tabs.active_mut().schedule.take() {
            self.notify(
                NoteLevel::Info,
                format!(
                    "scheduled sends stopped after {}",
                    crate::format::count(schedule.sent, "message")
                ),
            );
        } else {
            self.prompt = Some(Prompt::with_text(PromptPurpose::Schedule, "5"));
        }
    }

    /// Sends what is due by `now` in every tab; called on every tick.
    pub fn on_tick(&mut self, now: Instant) {
        let shown = self.tabs.active().tab;
        let shared = &mut self.shared;
        for session in self.tabs.iter_mut() {
            if session.tab == shown {
                session.on_tick(now, shared);
            } else {
                shared.quietly(|shared| session.on_tick(now, shared));
            }
        }
    }

    /// When the next scheduled send or flow deadline of any tab is due,
    /// for the event loop's timer.
    pub fn next_scheduled(&self) -> Option<Instant> {
        self.tabs.iter().filter_map(Session::next_scheduled).min()
    }
}

impl Session {
    /// Starts sending the composer's text every `text` seconds.
    pub(super) fn start_schedule(&mut self, text: &str, now: Instant, shared: &mut Shared) -> Result<(), String> {
        let seconds: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("{:?} is not a number of seconds", text.trim()))?;
        if !(0.1..=86_400.0).contains(&seconds) {
            return Err("the period must be between 0.1 s and a day".into());
        }
        let every = Duration::from_secs_f64(seconds);
        self.schedule = Some(Schedule {
            every,
            text: self.composed(),
            next_at: now + every,
            sent: 0,
        });
        shared.notify(
            NoteLevel::Success,
            format!("sending the message every {}; F4 stops", crate::format::duration(every)),
        );
        Ok(())
    }

    /// Sends what is due by `now`.
    pub fn on_tick(&mut self, now: Instant, shared: &mut Shared) {
        if self.next_flow_deadline().is_some_and(|deadline| deadline <= now) {
            self.flow_tick(now, shared);
        }
        let Some(schedule) = &mut self.schedule else {
            return;
        };
        if now < schedule.next_at {
            return;
        }
        // A late tick sends once, not a burst for every period missed.
        schedule.next_at = now + schedule.every;
        if matches!(self.connection.state, ConnState::Open { .. }) {
            schedule.sent += 1;
            match schedule.text.clone() {
                Composed::Foreign(foreign) => {
                    self.outbox
                        .push(crate::conn::ConnCommand::Send(crate::conn::Outgoing::Text(
                            foreign.as_str().to_string(),
                        )))
                }
                Composed::Template(text) => self.send_text(text, false, shared),
            }
        }
    }

    /// When the next scheduled send or flow deadline is due.
    pub fn next_scheduled(&self) -> Option<Instant> {
        let schedule = self.schedule.as_ref().map(|s| s.next_at);
        match (schedule, self.next_flow_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
