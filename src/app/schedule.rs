//! Scheduled sends: the composer's message sent every N seconds until
//! stopped, e.g. an application-level heartbeat.

use std::time::{Duration, Instant};

use super::{App, Prompt, PromptPurpose};
use crate::conn::ConnState;
use crate::frames::NoteLevel;

/// A running schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub every: Duration,
    pub text: String,
    pub next_at: Instant,
    /// How many were sent so far.
    pub sent: u64,
    /// Foreign text loaded from a frame: sent as it is (see `literal_text`).
    pub literal: bool,
}

impl App {
    /// F4: asks for the period, or stops a running schedule.
    pub(super) fn toggle_schedule(&mut self) {
        if let Some(schedule) = self.session.schedule.take() {
            self.notify(
                NoteLevel::Info,
                format!("scheduled sends stopped after {} messages", schedule.sent),
            );
        } else {
            self.prompt = Some(Prompt::with_text(PromptPurpose::Schedule, "5"));
        }
    }

    /// Starts sending the composer's text every `text` seconds.
    pub(super) fn start_schedule(&mut self, text: &str, now: Instant) -> Result<(), String> {
        let seconds: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("{:?} is not a number of seconds", text.trim()))?;
        if !(0.1..=86_400.0).contains(&seconds) {
            return Err("the period must be between 0.1 s and a day".into());
        }
        let every = Duration::from_secs_f64(seconds);
        let text = self.message_text();
        self.session.schedule = Some(Schedule {
            every,
            literal: self.is_literal(&text),
            text,
            next_at: now + every,
            sent: 0,
        });
        self.notify(
            NoteLevel::Success,
            format!("sending the message every {}; F4 stops", crate::format::duration(every)),
        );
        Ok(())
    }

    /// Sends what is due by `now`; called on every tick.
    pub fn on_tick(&mut self, now: Instant) {
        if self.next_flow_deadline().is_some_and(|deadline| deadline <= now) {
            self.flow_tick(now);
        }
        let Some(schedule) = &mut self.session.schedule else {
            return;
        };
        if now < schedule.next_at {
            return;
        }
        // A late tick sends once, not a burst for every period missed.
        schedule.next_at = now + schedule.every;
        if matches!(self.session.connection.state, ConnState::Open { .. }) {
            schedule.sent += 1;
            let text = schedule.text.clone();
            if schedule.literal {
                self.session
                    .outbox
                    .push(crate::conn::ConnCommand::Send(crate::conn::Outgoing::Text(text)));
            } else {
                self.send_text(text, false);
            }
        }
    }

    /// When the next scheduled send is due, for the event loop's timer.
    pub fn next_scheduled(&self) -> Option<Instant> {
        let schedule = self.session.schedule.as_ref().map(|s| s.next_at);
        match (schedule, self.next_flow_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
