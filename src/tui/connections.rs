//! One connection task per tab, all on the same runtime, and their events
//! taken in as one stream tagged with the tab. Events are polled straight
//! from each task's channel (no forwarding task, no extra hop), and only
//! from the channels that woke: a proxy's thousand quiet connections cost
//! nothing per event. Woken channels are served in turn, so a flooding
//! tab cannot starve another.

use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::StreamExt;
use futures_util::stream::SelectAll;
use tokio::sync::mpsc;

use crate::app::tabs::TabId;
use crate::capture::Notice;
use crate::conn::{ConnCommand, ConnEvent, ConnHandle, ConnSettings};
use crate::log_sink::LogTarget;

/// A tab's events, tagged with the tab. It ends when the task's channel
/// closes, and [`SelectAll`] then lets it go.
struct TabEvents {
    id: TabId,
    events: mpsc::Receiver<ConnEvent>,
}

impl futures_util::Stream for TabEvents {
    type Item = (TabId, ConnEvent);

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let id = self.id;
        self.events.poll_recv(cx).map(|event| event.map(|event| (id, event)))
    }
}

/// The connection tasks of every open tab.
pub struct Connections {
    settings: ConnSettings,
    log: Option<LogTarget>,
    handles: HashMap<TabId, ConnHandle>,
    events: SelectAll<TabEvents>,
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
        let mut connections = Self {
            settings,
            log,
            handles: HashMap::new(),
            events: SelectAll::new(),
            notices: None,
            hold_rule: None,
        };
        connections.add(first, handle, events);
        connections
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
        self.add(tab, handle, events);
    }

    fn add(&mut self, tab: TabId, handle: ConnHandle, events: mpsc::Receiver<ConnEvent>) {
        self.handles.insert(tab, handle);
        self.events.push(TabEvents { id: tab, events });
    }

    /// Starts a connection task for `tab`.
    pub fn open(&mut self, tab: TabId) {
        let (handle, events) = crate::conn::spawn(self.settings.clone());
        let events = crate::log_sink::attach(events, self.log.clone());
        self.add(tab, handle, events);
    }

    /// Ends `tab`'s connection task: dropping its handle closes the
    /// connection politely and stops the task. What it still sends on the
    /// way out is for a tab that is gone, which the app ignores.
    pub fn close(&mut self, tab: TabId) {
        self.handles.remove(&tab);
    }

    /// Hands `command` to `tab`'s task; false when the task has stopped.
    pub fn send(&self, tab: TabId, command: ConnCommand) -> bool {
        self.handles.get(&tab).is_some_and(|handle| handle.send(command))
    }

    /// The next event from any tab; `None` once every task has ended.
    pub async fn recv(&mut self) -> Option<(TabId, ConnEvent)> {
        self.events.next().await
    }

    /// An event already waiting, from any tab.
    pub fn try_recv(&mut self) -> Option<(TabId, ConnEvent)> {
        // Polled without a waker of its own: the woken channels stay
        // queued in the set until `recv` polls it again with the loop's.
        let waker = std::task::Waker::noop();
        match self.events.poll_next_unpin(&mut Context::from_waker(waker)) {
            Poll::Ready(Some(event)) => Some(event),
            _ => None,
        }
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
