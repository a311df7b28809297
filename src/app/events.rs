//! What the connection task reports, applied to the app.

use std::time::{Duration, Instant};

use super::*;

impl App {
    /// Applies one event from the connection task.
    pub fn on_conn_event(&mut self, event: ConnEvent) {
        match event {
            ConnEvent::State { state, at } => {
                if let ConnState::Connecting { url, .. } = &state {
                    self.session.connection.handshake = None;
                    self.session.connection.rtt = LatencyStats::default();
                    self.session.connection.reply = LatencyStats::default();
                    self.session.connection.url = Some(url.clone());
                    self.session.connection.hidden = 0;
                    self.session.operations = Default::default();
                }
                for (level, text) in notes::for_state(&state, self.session.connection.handshake.as_ref()) {
                    self.log_note(at, level, &text);
                }
                let opened = matches!(state, ConnState::Open { .. });
                if let ConnState::Open { protocol, .. } = &state {
                    self.session.opened_at = Some(at);
                    self.settle_protocol(protocol.as_deref());
                    self.session.track_operations = self.protocol().kind == crate::protocol::ProtocolKind::GraphQl;
                }
                if matches!(
                    state,
                    ConnState::Closed { .. } | ConnState::Failed(_) | ConnState::Reconnecting { .. }
                ) {
                    self.flow_connection_end(&state);
                }
                self.session.connection.state = state;
                if opened {
                    self.send_on_connect();
                    self.flow_connection_open();
                }
            }
            ConnEvent::Handshake(report) => self.session.connection.handshake = Some(report),
            ConnEvent::Frame(frame) => {
                // The flow reads frames after the log has them, so its
                // notes follow the frame that caused them.
                let for_flow = self.session.flow.is_some().then(|| frame.clone());
                self.take_frame(frame);
                self.flow_frames(&for_flow);
            }
            ConnEvent::Rtt(rtt) => {
                self.session.connection.rtt.record(rtt);
                self.session.pairing.record_rtt(rtt);
            }
            ConnEvent::ReplyLatency(latency) => self.session.connection.reply.record(latency),
            ConnEvent::Refused(reason) => self.notify(NoteLevel::Warning, reason),
            ConnEvent::ProtocolNote { error, text } => {
                let level = if error { NoteLevel::Error } else { NoteLevel::Info };
                self.log_note(std::time::SystemTime::now(), level, &text);
                if error {
                    self.notify(level, text);
                }
            }
            ConnEvent::Hidden(count) => self.session.connection.hidden = count,
            ConnEvent::Warning(text) => {
                self.log_note(std::time::SystemTime::now(), NoteLevel::Error, &text);
                self.notify(NoteLevel::Error, text);
            }
            // A flood is taken in whole unless a pending request needs to
            // see each frame; a filter matches the batch in one go (a jq
            // filter makes one trip to its worker).
            ConnEvent::Frames(frames) if !self.session.pairing.is_waiting() => {
                let for_flow = self.session.flow.is_some().then(|| frames.clone());
                if self.session.track_operations {
                    frames.iter().for_each(|frame| self.observe_operation(frame));
                }
                let count = frames.len();
                self.session.frames.push_frames(frames);
                self.session.pairing.forget_before(self.session.frames.first_seq());
                if self.session.filter.is_active() {
                    self.session
                        .matches
                        .on_push_many(&self.session.filter, &self.session.frames, count);
                    self.check_filter();
                }
                self.flow_frames(for_flow.iter().flatten());
            }
            ConnEvent::Frames(frames) => {
                let for_flow = self.session.flow.is_some().then(|| frames.clone());
                for frame in frames {
                    self.take_frame(frame);
                }
                self.flow_frames(for_flow.iter().flatten());
            }
        }
    }

    /// A request that named no protocol speaks GraphQL when the server
    /// picked a GraphQL subprotocol; the connection task decided the same.
    fn settle_protocol(&mut self, negotiated: Option<&str>) {
        let Some(request) = &mut self.session.last_request else {
            return;
        };
        let settled = request.protocol.settle(negotiated);
        if settled.kind == request.protocol.kind {
            return;
        }
        let label = settled.kind.label();
        self.session.filter.decode.text = settled.decoder();
        request.protocol = settled;
        self.log_note(
            std::time::SystemTime::now(),
            NoteLevel::Info,
            &format!("speaking {label}: the server picked its subprotocol"),
        );
    }

    fn observe_operation(&mut self, frame: &FrameRecord) {
        if frame.kind == crate::record::FrameKind::Text {
            let sent = frame.direction == crate::record::Direction::Sent;
            self.session.operations.observe(sent, frame.at, &frame.payload);
        }
    }

    fn take_frame(&mut self, frame: FrameRecord) {
        if self.session.track_operations {
            self.observe_operation(&frame);
        }
        let seq = self.session.frames.end_seq();
        self.session
            .pairing
            .observe_decoded(seq, &frame, Some(&self.session.payloads));
        self.session.frames.push_frame(frame);
        self.session.pairing.forget_before(self.session.frames.first_seq());
        self.after_push();
    }

    /// How long the connection has been in its current state, for clocks.
    pub fn state_age(&self, now: Instant) -> Option<Duration> {
        match self.session.connection.state {
            ConnState::Connecting { since, .. } | ConnState::Open { since, .. } => {
                Some(now.saturating_duration_since(since))
            }
            _ => None,
        }
    }
}
