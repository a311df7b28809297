//! `wscope replay FILE URL`: the client's side of a recording sent to a
//! live server, each message after the server has answered the one before
//! as often as it did when recorded; what comes back is printed, or with
//! `--diff` compared with what was recorded.

use std::time::Duration;

use super::{EXIT_CONNECTION, EXIT_EXPECTATION, EXIT_OK, Run, flatten, is_final};
use crate::conn::{ConnCommand, ConnEvent, ConnState, Outgoing};
use crate::record::{Direction, FrameKind, FrameRecord};
use crate::replay::{Cue, MatchRule, Script, Timing, preview};
use crate::request::ResolvedRequest;

/// How the recording is replayed.
pub struct ReplayClient {
    /// Send each message once the recorded answers to the one before have
    /// arrived (or `wait` has passed), instead of on the recorded timeline.
    pub gated: bool,
    pub timing: Timing,
    /// The longest wait for the server's answers before going on (after
    /// the last message: since the last frame that arrived).
    pub wait: Duration,
    /// Compare what arrives with what was recorded.
    pub diff: bool,
    /// Compare as sets: the same frames, in any order.
    pub unordered: bool,
    /// Applied to both sides before comparing (`jq:del(.ts)`); `Exact`
    /// compares as they are.
    pub ignore: MatchRule,
    pub sanitize: bool,
}

/// The outcome: an exit status and the report to print.
pub struct ReplayOutcome {
    pub exit_code: u8,
    pub report: String,
}

pub async fn run(request: ResolvedRequest, run: Run, script: Script, options: ReplayClient) -> ReplayOutcome {
    let (conn, mut events) = run.start();
    conn.send(ConnCommand::Connect(request));
    let recorded: Vec<&Cue> = script
        .greeting
        .iter()
        .chain(script.turns.iter().flat_map(|t| t.answers.iter()))
        .collect();
    // How many server frames came before each client message.
    let mut before = Vec::with_capacity(script.turns.len());
    let mut count = script.greeting.len();
    for turn in &script.turns {
        before.push(count);
        count += turn.answers.len();
    }
    let mut received: Vec<FrameRecord> = Vec::new();
    let mut printed = String::new();
    let mut next_turn = 0;
    let mut opened_at: Option<tokio::time::Instant> = None;
    let mut deadline = tokio::time::Instant::now() + options.wait + Duration::from_secs(10);
    let mut failure: Option<String> = None;
    let mut open = false;
    loop {
        let done = next_turn == script.turns.len() && received.len() >= recorded.len();
        if done && open {
            break;
        }
        let event = tokio::select! {
            event = events.recv() => event,
            () = tokio::time::sleep_until(deadline) => {
                if !open {
                    failure = Some("not connected in time".into());
                    break;
                }
                if next_turn < script.turns.len() {
                    // The server said less than it did: go on regardless.
                    send(&conn, &script.turns[next_turn].awaited);
                    next_turn += 1;
                    deadline = next_deadline(&options, &script, next_turn, opened_at);
                    continue;
                }
                break;
            }
        };
        let Some(event) = event else { break };
        for event in flatten(event) {
            match event {
                ConnEvent::State {
                    state: ConnState::Open { .. },
                    ..
                } => {
                    open = true;
                    opened_at = Some(tokio::time::Instant::now());
                    deadline = next_deadline(&options, &script, next_turn, opened_at);
                }
                ConnEvent::State { state, .. } if is_final(&state) => {
                    let clean = matches!(state, ConnState::Closed { code: Some(code), .. } if code != crate::record::ABNORMAL_CLOSURE);
                    if !open || !clean {
                        failure = Some(crate::sanitize::one_line_owned(state.to_string()));
                    }
                    open = false;
                }
                ConnEvent::Warning(text) => super::warn(&text),
                ConnEvent::Frame(frame)
                    if frame.direction == Direction::Received
                        && matches!(frame.kind, FrameKind::Text | FrameKind::Binary) =>
                {
                    if !options.diff {
                        let line = preview_line(&frame, options.sanitize);
                        printed.push_str(&line);
                        printed.push('\n');
                    }
                    received.push(frame);
                    // Past the last message, the answers may take their
                    // time: each one resets the wait.
                    if next_turn == script.turns.len() {
                        deadline = tokio::time::Instant::now() + options.wait;
                    }
                }
                _ => {}
            }
        }
        if !open && opened_at.is_some() {
            break;
        }
        if failure.is_some() {
            break;
        }
        // Gated: each message once the answers before it are in.
        while open && options.gated && next_turn < script.turns.len() && received.len() >= before[next_turn] {
            send(&conn, &script.turns[next_turn].awaited);
            next_turn += 1;
            deadline = next_deadline(&options, &script, next_turn, opened_at);
        }
    }
    if open {
        super::close_and_wait(&conn, &mut events, "wscope replay done").await;
    }
    if let Some(failure) = failure
        && (opened_at.is_none() || received.is_empty())
    {
        return ReplayOutcome {
            exit_code: EXIT_CONNECTION,
            report: format!("{printed}wscope: {failure}\n"),
        };
    }
    if !options.diff {
        return ReplayOutcome {
            exit_code: EXIT_OK,
            report: printed,
        };
    }
    let report = if options.unordered {
        diff_unordered(&recorded, &received, &options.ignore)
    } else {
        diff(&recorded, &received, &options.ignore)
    };
    ReplayOutcome {
        exit_code: if report.is_none() { EXIT_OK } else { EXIT_EXPECTATION },
        report: report.unwrap_or_else(|| {
            format!(
                "✓ the {} that arrived match the recording\n",
                crate::format::count(received.len() as u64, "frame")
            )
        }),
    }
}

/// When to give up waiting before message `turn`: its recorded time when
/// not gated, else `wait` from now.
fn next_deadline(
    options: &ReplayClient,
    script: &Script,
    turn: usize,
    opened_at: Option<tokio::time::Instant>,
) -> tokio::time::Instant {
    let now = tokio::time::Instant::now();
    match (options.gated, script.turns.get(turn), opened_at) {
        (false, Some(next), Some(opened)) => opened + options.timing.gap(next.awaited.offset),
        _ => now + options.wait,
    }
}

fn send(conn: &crate::conn::ConnHandle, cue: &Cue) {
    let outgoing = match cue.kind {
        FrameKind::Text => Outgoing::Text(String::from_utf8_lossy(&cue.payload).into_owned()),
        _ => Outgoing::Binary(cue.payload.clone()),
    };
    conn.send(ConnCommand::Send(outgoing));
}

fn preview_line(frame: &FrameRecord, sanitize: bool) -> String {
    let text = match frame.kind {
        FrameKind::Text => String::from_utf8_lossy(&frame.payload).into_owned(),
        _ => {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(&frame.payload)
        }
    };
    if sanitize {
        crate::sanitize::text(&text).into_owned()
    } else {
        text
    }
}

/// The first difference between what was recorded and what arrived, side
/// by side, or `None` when they are the same.
fn diff(recorded: &[&Cue], received: &[FrameRecord], ignore: &MatchRule) -> Option<String> {
    for (index, cue) in recorded.iter().enumerate() {
        let Some(frame) = received.get(index) else {
            return Some(not_arrived(index, cue, "", received.len(), recorded.len()));
        };
        if frame.kind != cue.kind || !ignore.matches(&cue.payload, &frame.payload) {
            return Some(format!(
                "✗ frame {} differs\n  recorded │ {}\n  received │ {}\n",
                index + 1,
                preview(cue.kind, &cue.payload),
                preview(frame.kind, &frame.payload)
            ));
        }
    }
    (received.len() > recorded.len()).then(|| more_arrived(&received[recorded.len()], received.len() - recorded.len()))
}

/// Recorded frame `index` did not arrive (`how`: ", in any order").
fn not_arrived(index: usize, cue: &Cue, how: &str, arrived: usize, recorded: usize) -> String {
    format!(
        "✗ frame {} was recorded but did not arrive{how} ({arrived} of {recorded} arrived)\n  recorded │ {}\n",
        index + 1,
        preview(cue.kind, &cue.payload)
    )
}

/// `count` more frames arrived than were recorded, `first` the first.
fn more_arrived(first: &FrameRecord, count: usize) -> String {
    format!(
        "✗ {count} more frames arrived than were recorded, the first:\n  received │ {}\n",
        preview(first.kind, &first.payload)
    )
}

/// As [`diff`], with the frames compared as sets: each recorded frame must
/// arrive once, in any order (a server that answers concurrent requests as
/// they finish). Names the first recorded frame that did not arrive, or the
/// first frame that arrived and was not recorded.
fn diff_unordered(recorded: &[&Cue], received: &[FrameRecord], ignore: &MatchRule) -> Option<String> {
    let mut waiting: std::collections::HashMap<(bool, Vec<u8>), usize> = std::collections::HashMap::new();
    let is_text = |kind: FrameKind| kind == FrameKind::Text;
    for frame in received {
        *waiting
            .entry((is_text(frame.kind), ignore.key(&frame.payload)))
            .or_default() += 1;
    }
    for (index, cue) in recorded.iter().enumerate() {
        match waiting.get_mut(&(is_text(cue.kind), ignore.key(&cue.payload))) {
            Some(count) if *count > 0 => *count -= 1,
            _ => {
                return Some(not_arrived(
                    index,
                    cue,
                    ", in any order",
                    received.len(),
                    recorded.len(),
                ));
            }
        }
    }
    received
        .iter()
        .find(|frame| {
            waiting
                .get_mut(&(is_text(frame.kind), ignore.key(&frame.payload)))
                .is_some_and(|count| {
                    let extra = *count > 0;
                    *count = count.saturating_sub(1);
                    extra
                })
        })
        .map(|extra| more_arrived(extra, received.len() - recorded.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(text: &str) -> Cue {
        Cue {
            delay: Duration::ZERO,
            offset: Duration::ZERO,
            kind: FrameKind::Text,
            payload: bytes::Bytes::copy_from_slice(text.as_bytes()),
        }
    }

    fn frame(text: &str) -> FrameRecord {
        FrameRecord {
            at: std::time::UNIX_EPOCH,
            direction: crate::record::Direction::Received,
            kind: FrameKind::Text,
            payload: bytes::Bytes::copy_from_slice(text.as_bytes()),
        }
    }

    #[test]
    fn unordered_frames_match_in_any_order_but_each_once() {
        let recorded = [cue("a"), cue("b"), cue("a")];
        let recorded: Vec<&Cue> = recorded.iter().collect();
        let exact = MatchRule::Exact;
        let received = |texts: &[&str]| texts.iter().map(|t| frame(t)).collect::<Vec<_>>();
        assert_eq!(diff_unordered(&recorded, &received(&["b", "a", "a"]), &exact), None);
        assert!(
            diff(&recorded, &received(&["b", "a", "a"]), &exact).is_some(),
            "in order, they differ"
        );
        let missing = diff_unordered(&recorded, &received(&["a", "b", "b"]), &exact).unwrap();
        assert!(missing.contains("frame 3 was recorded but did not arrive"), "{missing}");
        let extra = diff_unordered(&recorded, &received(&["a", "c", "b", "a"]), &exact).unwrap();
        assert!(
            extra.contains("1 more frames arrived") && extra.contains("received │ c"),
            "{extra}"
        );
        let ignore = MatchRule::parse("jq:del(.ts)").unwrap();
        let recorded = [cue(r#"{"op":"x","ts":1}"#), cue(r#"{"op":"y","ts":2}"#)];
        let recorded: Vec<&Cue> = recorded.iter().collect();
        let later = received(&[r#"{"op":"y","ts":9}"#, r#"{"op":"x","ts":8}"#]);
        assert_eq!(diff_unordered(&recorded, &later, &ignore), None);
    }
}
