//! What a session sends: the composer's text (as text or in a binary
//! mode), files, resent frames, pings and closes, the on-connect
//! messages; and connecting.

use super::session::Composed;
use super::{Session, Shared};
use crate::app::file_requests::StoreRequest;
use crate::conn::{ConnCommand, ConnState, Outgoing};
use crate::frames::NoteLevel;
use crate::profile::history;
use crate::profile::resolve::{ResolveError, resolve_request};
use crate::profile::vars::Resolver;
use crate::record::{Direction, FrameKind};
use crate::request::ResolvedRequest;

impl Session {
    pub(super) fn resend_selected(&mut self, shared: &mut Shared) {
        let Some(frame) = self.selected_frame().cloned() else {
            return;
        };
        if frame.direction != Direction::Sent || !frame.is_data() {
            shared.notify(NoteLevel::Warning, "only sent text or binary frames can be resent");
            return;
        }
        if !matches!(self.connection.state, ConnState::Open { .. }) {
            shared.notify(NoteLevel::Warning, "not connected: Ctrl-O connects");
            return;
        }
        let outgoing = match frame.kind {
            FrameKind::Text => Outgoing::Text(String::from_utf8_lossy(&frame.payload).into_owned()),
            _ => Outgoing::Binary(frame.payload.clone()),
        };
        self.outbox.push(ConnCommand::Send(outgoing));
    }

    /// ACKs (or NACKs) the selected received message, in the composer's
    /// words for its protocol, so it is encoded and sent like any message.
    pub(super) fn acknowledge_selected(&mut self, positive: bool, shared: &mut Shared) {
        let Some(frame) = self.selected_frame().cloned() else {
            return;
        };
        if frame.direction != Direction::Received || frame.kind != FrameKind::Text {
            shared.notify(NoteLevel::Warning, "select a received message to acknowledge it");
            return;
        }
        if !matches!(self.connection.state, ConnState::Open { .. }) {
            shared.notify(NoteLevel::Warning, "not connected: Ctrl-O connects");
            return;
        }
        match self.protocol().kind.acknowledge(&frame.payload, positive) {
            Ok(text) => self.send_text(text, false, shared),
            Err(why) => shared.notify(NoteLevel::Warning, why),
        }
    }

    pub(super) fn send_ping(&mut self, shared: &mut Shared) {
        let payload = self.message_text();
        if payload.len() > 125 {
            shared.notify(
                NoteLevel::Error,
                "a ping payload is at most 125 bytes; shorten the message",
            );
            return;
        }
        if !matches!(self.connection.state, ConnState::Open { .. }) {
            shared.notify(NoteLevel::Warning, "not connected: Ctrl-O connects");
            return;
        }
        self.outbox.push(ConnCommand::Ping(payload.into_bytes().into()));
    }

    pub(super) fn close_with(&mut self, text: &str) -> Result<(), String> {
        let (code, reason) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
        let code: u16 = code
            .parse()
            .map_err(|_| format!("{code:?} is not a close code (1000-4999)"))?;
        if !(1000..=4999).contains(&code) || matches!(code, 1004..=1006 | 1015) {
            return Err(format!("{code} cannot be sent (use 1000-1003, 1007-1014 or 3000-4999)"));
        }
        if reason.len() > 123 {
            return Err("the reason is at most 123 bytes".into());
        }
        self.outbox.push(ConnCommand::Close {
            code,
            reason: reason.to_string(),
        });
        Ok(())
    }

    /// Sends the composer's text in the current mode.
    pub(super) fn send_composed(&mut self, shared: &mut Shared) {
        use super::compose::{BinaryInput, SendMode, parse_binary};
        let composed = self.composed();
        if self.send_mode == SendMode::Text {
            match composed {
                // Not remembered in the history either: browsing back to it
                // later would make it ordinary, expandable text.
                Composed::Foreign(foreign) => self
                    .outbox
                    .push(ConnCommand::Send(Outgoing::Text(foreign.as_str().to_string()))),
                Composed::Template(text) => self.send_text(text, true, shared),
            }
            return;
        }
        let (resolved, files) = match composed {
            Composed::Foreign(foreign) => (foreign.as_str().to_string(), false),
            Composed::Template(text) => match shared.resolver.resolve(&text, "the message") {
                Ok(resolved) => (resolved, true),
                Err(error) => {
                    shared.notify(NoteLevel::Error, format!("not sent: {error}"));
                    return;
                }
            },
        };
        match parse_binary(self.send_mode, &resolved, files, &self.payloads) {
            Ok(BinaryInput::Bytes(bytes)) => self.outbox.push(ConnCommand::Send(Outgoing::Binary(bytes))),
            Ok(BinaryInput::File(path)) => shared.store_outbox.push(StoreRequest::ReadFile { path }),
            Err(error) => shared.notify(NoteLevel::Error, format!("not sent: {error}")),
        }
    }

    /// Sends a file's contents as a binary frame, once it has been read.
    pub(super) fn send_file(&mut self, path: &str, bytes: bytes::Bytes, shared: &mut Shared) {
        if matches!(self.connection.state, ConnState::Open { .. }) {
            let size = crate::format::bytes(bytes.len() as u64);
            self.outbox.push(ConnCommand::Send(Outgoing::Binary(bytes)));
            shared.notify(NoteLevel::Success, format!("sent {path} ({size})"));
        } else {
            shared.notify(
                NoteLevel::Warning,
                "the connection closed before the file was read; nothing was sent",
            );
        }
    }

    /// Connects with the request in the panes, or says what stops it.
    pub(super) fn connect(&mut self, shared: &mut Shared) -> Result<(), ResolveError> {
        if self.capture.is_some() {
            shared.notify(
                NoteLevel::Warning,
                "a captured connection is its client's: it cannot be reopened from here",
            );
            return Ok(());
        }
        let request = self.resolved_request(&shared.resolver)?;
        self.read_as(request.clone(), shared);
        self.outbox.push(ConnCommand::Connect(request));
        Ok(())
    }

    /// Reads the frames to come as `request` speaks: its protocol's
    /// decoder and pairing.
    pub(super) fn read_as(&mut self, request: ResolvedRequest, shared: &mut Shared) {
        self.reload_payload_decoder(shared);
        self.filter.decode = request.protocol.frame_decoder(self.payloads.clone());
        // Acks (Socket.IO's) pair with their messages, unless the profile
        // names its own key.
        let kind = request.protocol.kind;
        if self.profile.extras.pair_by.is_none() && (kind.has_acks() || kind.has_reply_ids()) {
            self.pairing = super::pairing::Pairing::for_protocol(kind);
        }
        self.last_request = Some(request);
    }

    pub(super) fn disconnect(&mut self) {
        self.outbox.push(ConnCommand::Close {
            code: 1000,
            reason: String::new(),
        });
    }

    /// Ctrl-J: the composer's message, if the connection is open.
    pub(super) fn send(&mut self, shared: &mut Shared) {
        if self.forward_held(shared) {
            return;
        }
        match self.connection.state {
            ConnState::Open { .. } => self.send_composed(shared),
            ConnState::Connecting { .. } => shared.notify(NoteLevel::Warning, "still connecting; nothing was sent"),
            _ => shared.notify(NoteLevel::Warning, "not connected: Ctrl-O connects, then Ctrl-J sends"),
        }
    }

    /// Resolves variables and builds the request, or says what is missing.
    pub(super) fn resolved_request(&self, resolver: &Resolver) -> Result<ResolvedRequest, ResolveError> {
        let mut request = resolve_request(&self.current_profile(), resolver, self.proxy_override.as_deref())?;
        request.protocol.ack = self.ack_emits;
        Ok(request)
    }

    pub(super) fn send_text(&mut self, text: String, remember: bool, shared: &mut Shared) {
        let encoded = shared
            .resolver
            .resolve(&text, "the message")
            .map_err(|e| e.to_string())
            .and_then(|resolved| {
                let mut protocol = self.protocol();
                protocol.ack |= self.ack_next;
                protocol.encode(&resolved, &mut self.next_call_id)
            });
        match encoded {
            Ok(resolved) => {
                self.sent_templates.remember(&resolved, &text);
                self.outbox.push(ConnCommand::Send(Outgoing::Text(resolved)));
                if remember {
                    history::push(&mut self.history.entries, &text);
                    self.history.position = None;
                    shared.store_outbox.push(StoreRequest::SaveHistory {
                        profile: self.profile.name.clone(),
                        history: self.history.entries.clone(),
                    });
                }
            }
            Err(error) => shared.notify(NoteLevel::Error, format!("not sent: {error}")),
        }
    }

    /// Sends the profile's on-connect messages; called when a connection opens.
    pub(super) fn send_on_connect(&mut self, shared: &mut Shared) {
        for message in self.profile.extras.on_connect.clone() {
            self.send_text(message, false, shared);
        }
    }
}
