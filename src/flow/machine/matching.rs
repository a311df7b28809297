//! Reading frames against the running `expect`: which frames a step may
//! see (not the protocol's own), whether one matches, what it captures,
//! and the frames that came while another step ran.

use std::time::Instant;

use super::*;

impl FlowRun {
    /// Feeds the frames kept since the last reading step; true when the
    /// step ended with them.
    pub(super) fn read_backlog(&mut self, now: Instant) -> bool {
        while let Some(frame) = self.backlog.pop_front() {
            if self.read(frame, now) {
                return true;
            }
        }
        false
    }

    /// A received data frame for the reading step; true when it ended the
    /// step (passed or failed).
    pub(super) fn read(&mut self, frame: FrameRecord, now: Instant) -> bool {
        let Some(level) = self.levels.last() else {
            return false;
        };
        let steps = level.steps.clone();
        let step = &steps[level.index];
        match (&mut self.state, &step.action) {
            (State::Expecting(expecting), Action::Expect(expect)) => {
                match expect.matcher.test_with(&frame, &self.decoder, &expecting.dynamic) {
                    Ok(()) => {
                        expecting.matched += 1;
                        if expecting.first_latency.is_none() {
                            let since = self.last_send.unwrap_or(self.base.1);
                            expecting.first_latency = Some(frame.at.duration_since(since).unwrap_or_default());
                        }
                        expecting.last_match = Some(frame);
                        if expecting.matched >= expect.count {
                            self.complete_expect(expect, now);
                            return true;
                        }
                        false
                    }
                    Err(why) => {
                        if let Some(stopped) = expect.matcher.stopped(&expecting.dynamic) {
                            self.fail(now, Outcome::AssertionFailed, stopped, Some(frame));
                            return true;
                        }
                        expecting.closest = Some((frame, why));
                        false
                    }
                }
            }
            (State::Watching { dynamic, .. }, Action::ExpectNone(none)) => {
                if none.matcher.test_with(&frame, &self.decoder, dynamic).is_ok() {
                    self.fail(
                        now,
                        Outcome::AssertionFailed,
                        format!("a frame matched {}", none.matcher.description),
                        Some(frame),
                    );
                    return true;
                }
                false
            }
            _ => false,
        }
    }

    fn complete_expect(&mut self, expect: &Expect, now: Instant) {
        let State::Expecting(expecting) = std::mem::replace(&mut self.state, State::Finished) else {
            return;
        };
        let latency = expecting.first_latency;
        let frame = expecting.last_match;
        if let (Some(max), Some(latency)) = (expect.max_latency, latency)
            && latency > max
        {
            let detail = format!(
                "the first match came {} after the send, over max_latency {}",
                crate::format::duration(latency),
                crate::format::duration(max)
            );
            self.fail(now, Outcome::AssertionFailed, detail, frame);
            if let Some(failed) = self.results.iter_mut().rev().find(|r| r.status == Status::Failed) {
                failed.latency = Some(latency);
            }
            return;
        }
        let mut captured = Vec::new();
        if let Some(frame) = &frame {
            for capture in &expect.captures {
                match capture.read(frame, &self.decoder) {
                    Some(value) => {
                        self.resolver.set(&capture.name, value.clone());
                        captured.push((capture.name.clone(), value));
                    }
                    None => {
                        let detail = format!("capture {}: {} yields nothing here", capture.name, capture.source);
                        self.fail(now, Outcome::AssertionFailed, detail, Some(frame.clone()));
                        return;
                    }
                }
            }
        }
        self.pass(now, |r| {
            r.latency = latency;
            r.frame = frame;
            r.captured = captured;
        });
        self.next_step();
    }
}
