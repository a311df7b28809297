//! A recording opened offline (`wscope open`): its request in the panes,
//! its frames in the log, for the filters, search, detail, pairing and
//! export to work on. Ctrl-O then connects live with the request.

use super::{App, InitialRequest, Session};
use crate::frames::NoteLevel;
use crate::recording::{Recording, describe};

impl App {
    /// Shows `recording`: the request in the panes (its query as params),
    /// the frames in the log, and `Recording (…)` in the status bar.
    pub fn open_recording(&mut self, recording: &Recording) {
        let (url, params, headers) = crate::recording::request_text(recording);
        self.apply_command_line(InitialRequest {
            url,
            message: String::new(),
            params,
            headers,
        });
        if let Some(subprotocol) = &recording.subprotocol {
            self.tabs.active_mut().profile.extras.subprotocols = vec![subprotocol.clone()];
        }
        let at = recording.started().unwrap_or_else(std::time::SystemTime::now);
        self.tabs.active_mut().log_note(
            at,
            NoteLevel::Info,
            &format!("recording {}", describe(recording)),
            &mut self.shared,
        );
        if let Some(status) = recording.status.filter(|s| *s != 101) {
            let body = recording.rejection_body.as_deref().unwrap_or_default();
            self.tabs.active_mut().log_note(
                at,
                NoteLevel::Error,
                &format!("recorded: the upgrade was rejected with HTTP {status} {body}"),
                &mut self.shared,
            );
        }
        self.tabs.active_mut().take_recorded_frames(recording, &mut self.shared);
        self.share_history_caps();
    }
}

impl Session {
    /// Takes in a recording's frames as a live connection would have.
    fn take_recorded_frames(&mut self, recording: &Recording, shared: &mut super::Shared) {
        let protocol = crate::protocol::Protocol::recorded(&recording.url, recording.subprotocol.as_deref());
        if self.profile.extras.pair_by.is_none() {
            self.pairing = super::pairing::Pairing::for_protocol(protocol.kind);
        }
        self.stats_feed = crate::stats::Feed::new(crate::stats::classify::Classifier::new(
            protocol,
            shared.group_by.clone(),
        ));
        // Pairing reads each frame as it is taken in, so the recording is
        // paired as the live connection was.
        for frame in &recording.frames {
            let seq = self.frames.end_seq();
            self.pairing.observe_decoded(seq, frame, Some(&self.payloads));
            self.count_frame(seq, frame, shared);
            self.frames.push_frame(frame.clone());
        }
        self.pairing.forget_before(self.frames.first_seq());
        self.recording = Some(describe(recording));
    }
}
