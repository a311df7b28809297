//! Interception: the frames one direction holds, in order, until the user
//! forwards, edits or drops them.
//!
//! A data frame that matches the rule is held; any frame after it waits
//! behind it, so the other side sees frames in the order they were sent.
//! What waits is bounded in count and bytes: past the bound the pump stops
//! reading that side until frames are let go.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio_tungstenite::tungstenite::Message;

use crate::conn::HoldOutcome;
use crate::filter::Pattern;

/// The most frames one direction keeps waiting.
pub const MAX_WAITING: usize = 1_000;
/// The most bytes one direction keeps waiting.
pub const MAX_WAITING_BYTES: usize = 64 << 20;

/// What to hold: data frames matching the pattern (all without one).
pub struct HoldRule {
    pub pattern: Option<Pattern>,
}

impl HoldRule {
    fn holds(&self, message: &Message) -> bool {
        let payload: &[u8] = match message {
            Message::Text(text) => text.as_bytes(),
            Message::Binary(data) => data,
            _ => return false,
        };
        self.pattern.as_ref().is_none_or(|p| p.matches(payload))
    }
}

struct Waiting {
    message: Message,
    /// Its id and when it goes on by itself, while held.
    held: Option<(u64, Instant)>,
}

/// One direction's waiting frames.
pub struct Hold {
    rule: Option<HoldRule>,
    queue: VecDeque<Waiting>,
    bytes: usize,
    timeout: Duration,
    /// Held frames are numbered across both directions of a connection.
    ids: Arc<AtomicU64>,
}

/// What became of a frame offered to the hold.
#[derive(Debug, PartialEq)]
pub enum Offer {
    /// Nothing waits: send it now.
    Pass(Message),
    /// Held, with this id.
    Held(u64),
    /// Waiting behind a held frame.
    Queued,
}

fn size(message: &Message) -> usize {
    match message {
        Message::Text(text) => text.len(),
        Message::Binary(data) | Message::Ping(data) | Message::Pong(data) => data.len(),
        Message::Close(frame) => frame.as_ref().map_or(0, |f| f.reason.len()),
        Message::Frame(frame) => frame.payload().len(),
    }
}

impl Hold {
    pub fn new(timeout: Duration, ids: Arc<AtomicU64>) -> Self {
        Self {
            rule: None,
            queue: VecDeque::new(),
            bytes: 0,
            timeout,
            ids,
        }
    }

    /// Starts holding by `rule`, or (with `None`) stops, forwarding
    /// whatever is held as it is; returns the ids let go.
    pub fn set_rule(&mut self, rule: Option<HoldRule>) -> Vec<u64> {
        let stopping = rule.is_none();
        self.rule = rule;
        if stopping { self.release_all() } else { Vec::new() }
    }

    /// Whether no rule is set and nothing waits: a frame would pass as it is.
    pub fn is_idle(&self) -> bool {
        self.rule.is_none() && self.queue.is_empty()
    }

    /// Whether the bound is reached: read no more from this side.
    pub fn is_full(&self) -> bool {
        self.queue.len() >= MAX_WAITING || self.bytes >= MAX_WAITING_BYTES
    }

    /// Takes a frame that arrived: held, queued behind a held one, or
    /// handed back to be sent at once.
    pub fn offer(&mut self, message: Message, now: Instant) -> Offer {
        let hold = self.rule.as_ref().is_some_and(|rule| rule.holds(&message));
        if !hold && self.queue.is_empty() {
            return Offer::Pass(message);
        }
        self.bytes += size(&message);
        if hold {
            let id = self.ids.fetch_add(1, Ordering::Relaxed);
            self.queue.push_back(Waiting {
                message,
                held: Some((id, now + self.timeout)),
            });
            Offer::Held(id)
        } else {
            self.queue.push_back(Waiting { message, held: None });
            Offer::Queued
        }
    }

    /// Lets held frame `id` go, as it was or as `edited`; false if no
    /// frame of that id is held here.
    pub fn release(&mut self, id: u64, edited: Option<Message>) -> bool {
        let Some(waiting) = self.queue.iter_mut().find(|w| w.held.is_some_and(|(i, _)| i == id)) else {
            return false;
        };
        waiting.held = None;
        if let Some(edited) = edited {
            self.bytes = self.bytes - size(&waiting.message) + size(&edited);
            waiting.message = edited;
        }
        true
    }

    /// Drops held frame `id`; false if no frame of that id is held here.
    pub fn drop_held(&mut self, id: u64) -> bool {
        let Some(place) = self.queue.iter().position(|w| w.held.is_some_and(|(i, _)| i == id)) else {
            return false;
        };
        if let Some(waiting) = self.queue.remove(place) {
            self.bytes -= size(&waiting.message);
        }
        true
    }

    /// Lets every held frame go as it is; returns their ids.
    pub fn release_all(&mut self) -> Vec<u64> {
        self.queue
            .iter_mut()
            .filter_map(|w| w.held.take().map(|(id, _)| id))
            .collect()
    }

    /// Lets go the held frames whose time is up at `now`.
    pub fn expire(&mut self, now: Instant) -> Vec<u64> {
        self.queue
            .iter_mut()
            .filter(|w| w.held.is_some_and(|(_, deadline)| deadline <= now))
            .filter_map(|w| w.held.take().map(|(id, _)| id))
            .collect()
    }

    /// When the next held frame goes on by itself.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.queue.iter().filter_map(|w| w.held.map(|(_, d)| d)).min()
    }

    /// The next frame free to go: the front, unless it is held.
    pub fn next_ready(&mut self) -> Option<Message> {
        if self.queue.front().is_some_and(|w| w.held.is_none()) {
            let waiting = self.queue.pop_front()?;
            self.bytes -= size(&waiting.message);
            return Some(waiting.message);
        }
        None
    }
}

/// The outcome of letting a frame go, for the inspector.
pub fn outcome_of(edited: Option<&str>) -> HoldOutcome {
    match edited {
        Some(text) => HoldOutcome::Edited(text.to_string()),
        None => HoldOutcome::Forwarded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hold_all() -> Hold {
        let mut hold = Hold::new(Duration::from_secs(60), Arc::new(AtomicU64::new(1)));
        hold.set_rule(Some(HoldRule { pattern: None }));
        hold
    }

    #[test]
    fn later_frames_wait_behind_a_held_one_in_order() {
        let mut hold = Hold::new(Duration::from_secs(60), Arc::new(AtomicU64::new(1)));
        let pattern = Pattern::compile("secret").expect("compiles");
        hold.set_rule(Some(HoldRule { pattern }));
        let now = Instant::now();
        assert_eq!(hold.offer(Message::text("a"), now), Offer::Pass(Message::text("a")));
        assert_eq!(hold.offer(Message::text("secret 1"), now), Offer::Held(1));
        assert_eq!(hold.offer(Message::text("b"), now), Offer::Queued);
        assert_eq!(hold.next_ready(), None);
        assert!(hold.release(1, Some(Message::text("edited"))));
        assert_eq!(hold.next_ready(), Some(Message::text("edited")));
        assert_eq!(hold.next_ready(), Some(Message::text("b")));
        assert_eq!(hold.next_ready(), None);
        assert_eq!(hold.bytes, 0);
    }

    #[test]
    fn dropped_frames_never_go_and_control_frames_are_not_held() {
        let mut hold = hold_all();
        let now = Instant::now();
        assert_eq!(
            hold.offer(Message::Ping(vec![1].into()), now),
            Offer::Pass(Message::Ping(vec![1].into()))
        );
        assert_eq!(hold.offer(Message::text("x"), now), Offer::Held(1));
        assert_eq!(hold.offer(Message::text("y"), now), Offer::Held(2));
        assert!(hold.drop_held(1));
        assert!(!hold.drop_held(1));
        assert_eq!(hold.next_ready(), None);
        assert_eq!(hold.release_all(), vec![2]);
        assert_eq!(hold.next_ready(), Some(Message::text("y")));
    }

    #[test]
    fn held_frames_go_on_by_themselves_when_their_time_is_up() {
        let mut hold = hold_all();
        let now = Instant::now();
        hold.offer(Message::text("x"), now);
        assert_eq!(hold.next_deadline(), Some(now + Duration::from_secs(60)));
        assert!(hold.expire(now).is_empty());
        assert_eq!(hold.expire(now + Duration::from_secs(60)), vec![1]);
        assert_eq!(hold.next_ready(), Some(Message::text("x")));
        assert_eq!(hold.next_deadline(), None);
    }

    #[test]
    fn the_bound_is_reached_by_count() {
        let mut hold = hold_all();
        let now = Instant::now();
        for _ in 0..MAX_WAITING {
            assert!(!hold.is_full());
            hold.offer(Message::text("x"), now);
        }
        assert!(hold.is_full());
        assert_eq!(hold.set_rule(None).len(), MAX_WAITING);
        while hold.next_ready().is_some() {}
        assert!(!hold.is_full());
    }
}
