//! One connection task per tab, all on the same runtime, and their events
//! taken in as one stream tagged with the tab. Events are polled straight
//! from each task's channel (no forwarding task, no extra hop), starting
//! with a different tab each time so a flooding tab cannot starve another.

use std::task::Poll;

use tokio::sync::mpsc;

use crate::app::tabs::TabId;
use crate::capture::Notice;
use crate::conn::{ConnCommand, ConnEvent, ConnHandle, ConnSettings};
use crate::log_sink::LogTarget;

struct Tab {
    id: TabId,
    handle: ConnHandle,
    events: mpsc::Receiver<ConnEvent>,
    /// The task's channel closed: nothing more will come from it.
    ended: bool,
}

/// The connection tasks of every open tab.
pub struct Connections {
    settings: ConnSettings,
    log: Option<LogTarget>,
    tabs: Vec<Tab>,
    /// Where the next poll starts, for fairness.
    start: usize,
    /// `wscope proxy`: its captured connections and notes.
    notices: Option<mpsc::Receiver<Notice>>,
    /// `wscope proxy`: the interception rule new captures start with.
    hold_rule: Option<tokio::sync::watch::Sender<Option<crate::conn::InterceptRule>>>,
}

impl Connections {
    /// The first tab's connection, already started; later tabs get theirs
    /// with the same settings and `--log`.
    pub fn new(
        first: TabId,
        handle: ConnHandle,
        events: mpsc::Receiver<ConnEvent>,
        settings: ConnSettings,
        log: Option<LogTarget>,
    ) -> Self {
        Self {
            settings,
            log,
            tabs: vec![Tab {
                id: first,
                handle,
                events,
                ended: false,
            }],
            start: 0,
            notices: None,
            hold_rule: None,
        }
    }

    /// Takes in what a proxy captures, and sets its interception rule.
    pub fn with_proxy(
        mut self,
        notices: mpsc::Receiver<Notice>,
        hold_rule: tokio::sync::watch::Sender<Option<crate::conn::InterceptRule>>,
    ) -> Self {
        self.notices = Some(notices);
        self.hold_rule = Some(hold_rule);
        self
    }

    /// The rule new captures start with, from now on.
    pub fn set_hold_rule(&self, rule: Option<crate::conn::InterceptRule>) {
        if let Some(sender) = &self.hold_rule {
            sender.send_replace(rule);
        }
    }

    /// The proxy's notices, for the loop to wait on beside the events.
    pub fn take_notices(&mut self) -> Option<mpsc::Receiver<Notice>> {
        self.notices.take()
    }

    /// Takes on a captured connection as `tab`'s: its relay is already
    /// running, and `--log` tags its records with `capture`.
    pub fn adopt(&mut self, tab: TabId, capture: u64, handle: ConnHandle, events: mpsc::Receiver<ConnEvent>) {
        let log = self.log.as_ref().map(|log| log.for_connection(capture));
        let events = crate::log_sink::attach(events, log);
        self.tabs.push(Tab {
            id: tab,
            handle,
            events,
            ended: false,
        });
    }

    /// Starts a connection task for `tab`.
    pub fn open(&mut self, tab: TabId) {
        let (handle, events) = crate::conn::spawn(self.settings.clone());
        let events = crate::log_sink::attach(events, self.log.clone());
        self.tabs.push(Tab {
            id: tab,
            handle,
            events,
            ended: false,
        });
    }

    /// Ends `tab`'s connection task: dropping its handle closes the
    /// connection politely and stops the task.
    pub fn close(&mut self, tab: TabId) {
        self.tabs.retain(|t| t.id != tab);
    }

    /// Hands `command` to `tab`'s task; false when the task has stopped.
    pub fn send(&self, tab: TabId, command: ConnCommand) -> bool {
        self.tabs
            .iter()
            .find(|t| t.id == tab)
            .is_some_and(|t| t.handle.send(command))
    }

    /// The next event from any tab; `None` once every task has ended.
    pub async fn recv(&mut self) -> Option<(TabId, ConnEvent)> {
        std::future::poll_fn(|cx| {
            let count = self.tabs.len();
            let mut live = false;
            for offset in 0..count {
                let index = (self.start + offset) % count;
                let tab = &mut self.tabs[index];
                if tab.ended {
                    continue;
                }
                match tab.events.poll_recv(cx) {
                    Poll::Ready(Some(event)) => {
                        self.start = (index + 1) % count;
                        return Poll::Ready(Some((tab.id, event)));
                    }
                    Poll::Ready(None) => tab.ended = true,
                    Poll::Pending => live = true,
                }
            }
            if live { Poll::Pending } else { Poll::Ready(None) }
        })
        .await
    }

    /// An event already waiting, from any tab.
    pub fn try_recv(&mut self) -> Option<(TabId, ConnEvent)> {
        let count = self.tabs.len();
        for offset in 0..count {
            let index = (self.start + offset) % count;
            let tab = &mut self.tabs[index];
            if let Ok(event) = tab.events.try_recv() {
                self.start = (index + 1) % count;
                return Some((tab.id, event));
            }
        }
        None
    }
}

/// The proxy's next notice; never, without a proxy (or once it stopped).
pub async fn next_notice(notices: &mut Option<mpsc::Receiver<Notice>>) -> Notice {
    if let Some(receiver) = notices {
        match receiver.recv().await {
            Some(notice) => return notice,
            None => *notices = None,
        }
    }
    std::future::pending().await
}
