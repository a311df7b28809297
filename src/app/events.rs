//! What the connection task reports, applied to the session it is for,
//! shown or not.

use std::time::{Duration, Instant};

use super::*;

impl Session {
    /// Applies one event from the connection task.
    pub fn on_conn_event(&mut self, event: ConnEvent, shared: &mut Shared) {
        self.settle_by_client(&event, shared);
        match event {
            ConnEvent::State { state, at } => {
                if let ConnState::Connecting { url, .. } = &state {
                    self.connection.handshake = None;
                    self.connection.rtt = LatencyStats::default();
                    self.connection.reply = LatencyStats::default();
                    self.connection.url = Some(url.clone());
                    self.connection.hidden = 0;
                    self.operations = Default::default();
                }
                for (level, text) in notes::for_state(&state, self.connection.handshake.as_ref()) {
                    // A captured connection's "us" is its client.
                    let text = match self.capture {
                        Some(_) => text.replacen("closed by us", "closed by the client", 1),
                        None => text,
                    };
                    self.log_note(at, level, &text, shared);
                }
                let opened = matches!(state, ConnState::Open { .. });
                if let ConnState::Open { protocol, .. } = &state {
                    self.opened_at = Some(at);
                    self.settle_protocol(protocol.as_deref(), shared);
                    self.track_operations = self.protocol().kind.has_operations();
                    self.refresh_classifier(shared);
                }
                if matches!(
                    state,
                    ConnState::Closed { .. } | ConnState::Failed(_) | ConnState::Reconnecting { .. }
                ) {
                    self.flow_connection_end(&state, shared);
                }
                self.connection.state = state;
                if opened {
                    self.send_on_connect(shared);
                    self.flow_connection_open(shared);
                }
            }
            ConnEvent::Handshake(report) => self.connection.handshake = Some(report),
            ConnEvent::Frame(frame) => {
                // The flow reads frames after the log has them, so its
                // notes follow the frame that caused them.
                let for_flow = self.flow.is_some().then(|| frame.clone());
                self.take_frame(frame, shared);
                self.flow_frames(&for_flow, shared);
            }
            ConnEvent::Rtt(rtt) => {
                self.connection.rtt.record(rtt);
                self.pairing.record_rtt(rtt);
                self.count_ping(rtt, shared);
            }
            ConnEvent::ReplyLatency(latency) => self.connection.reply.record(latency),
            ConnEvent::Refused(reason) => shared.notify(NoteLevel::Warning, reason),
            ConnEvent::ProtocolNote { error, text } => {
                let level = if error { NoteLevel::Error } else { NoteLevel::Info };
                self.log_note(std::time::SystemTime::now(), level, &text, shared);
                if error {
                    shared.notify(level, text);
                }
            }
            ConnEvent::Hidden(count) => self.connection.hidden = count,
            ConnEvent::Warning(text) => {
                self.log_note(std::time::SystemTime::now(), NoteLevel::Error, &text, shared);
                shared.notify(NoteLevel::Error, text);
            }
            // A flood is taken in whole unless a pending request needs to
            // see each frame; a filter matches the batch in one go (a jq
            // filter makes one trip to its worker).
            ConnEvent::Frames(frames) if !self.pairing.is_waiting() => {
                let for_flow = self.flow.is_some().then(|| frames.clone());
                if self.track_operations {
                    frames.iter().for_each(|frame| self.observe_operation(frame));
                }
                let count = frames.len();
                let first = self.frames.end_seq();
                self.count_frames(first, &frames, shared);
                self.frames.push_frames(frames);
                self.pairing.forget_before(self.frames.first_seq());
                if self.filter.is_active() {
                    self.matches.on_push_many(&self.filter, &self.frames, count);
                    self.check_filter(shared);
                }
                self.flow_frames(for_flow.iter().flatten(), shared);
            }
            ConnEvent::Held { id, frame } => self.on_held(id, frame, shared),
            ConnEvent::Released { id, outcome } => self.on_released(id, outcome, shared),
            ConnEvent::Frames(frames) => {
                let for_flow = self.flow.is_some().then(|| frames.clone());
                for frame in frames {
                    self.take_frame(frame, shared);
                }
                self.flow_frames(for_flow.iter().flatten(), shared);
            }
        }
    }

    /// A captured client's first frames may tell its protocol's version
    /// (MQTT's CONNECT): read as they say from then on.
    fn settle_by_client(&mut self, event: &ConnEvent, shared: &mut Shared) {
        if self.capture.is_none() || self.client_settled {
            return;
        }
        let Some(request) = &mut self.last_request else { return };
        let notes = request.protocol.settle_by_client(event.client_binary_payloads());
        if !notes.is_empty() {
            self.filter.decode = request.protocol.frame_decoder(self.filter.decode.binary.clone());
        }
        if event
            .frames()
            .iter()
            .any(|f| f.direction == crate::record::Direction::Sent)
        {
            self.client_settled = true;
        }
        if notes.is_empty() {
            return;
        }
        for note in notes {
            self.log_note(std::time::SystemTime::now(), NoteLevel::Info, &note, shared);
        }
        self.refresh_classifier(shared);
    }

    /// A request that named no protocol speaks GraphQL when the server
    /// picked a GraphQL subprotocol; the connection task decided the same.
    fn settle_protocol(&mut self, negotiated: Option<&str>, shared: &mut Shared) {
        let Some(request) = &mut self.last_request else {
            return;
        };
        let settled = request.protocol.settle(negotiated);
        if settled.kind == request.protocol.kind {
            return;
        }
        let label = settled.kind.label();
        self.filter.decode = settled.frame_decoder(self.filter.decode.binary.clone());
        request.protocol = settled;
        self.log_note(
            std::time::SystemTime::now(),
            NoteLevel::Info,
            &format!("speaking {label}: the server picked its subprotocol"),
            shared,
        );
    }

    fn observe_operation(&mut self, frame: &FrameRecord) {
        if frame.kind == crate::record::FrameKind::Text {
            let sent = frame.direction == crate::record::Direction::Sent;
            self.operations.observe(sent, frame.at, &frame.payload);
        }
    }

    fn take_frame(&mut self, frame: FrameRecord, shared: &mut Shared) {
        if self.track_operations {
            self.observe_operation(&frame);
        }
        let seq = self.frames.end_seq();
        self.pairing.observe_decoded(seq, &frame, Some(&self.payloads));
        self.count_frame(seq, &frame, shared);
        self.frames.push_frame(frame);
        self.pairing.forget_before(self.frames.first_seq());
        self.after_push(shared);
    }

    /// How long the connection has been in its current state, for clocks.
    pub fn state_age(&self, now: Instant) -> Option<Duration> {
        match self.connection.state {
            ConnState::Connecting { since, .. } | ConnState::Open { since, .. } => {
                Some(now.saturating_duration_since(since))
            }
            _ => None,
        }
    }
}
