//! Terminal input, polled only after it has said something may be ready.
//!
//! crossterm's `EventStream`, once it has returned `Pending`, leaves a
//! thread blocked reading the terminal while holding crossterm's reader lock.
//! Polling the stream again in the meantime (the UI loop does, every time a
//! batch of frames wakes it) spins and calls `sched_yield` while it tries
//! that lock: 19,000 yields on the UI thread during a 2M-frame flood. This
//! wrapper passes the stream a waker of its own and skips the poll until
//! that waker has fired.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::Stream;
use futures_util::task::AtomicWaker;

/// Whether the inner stream may have something, and whom to tell when it does.
#[derive(Default)]
struct Signal {
    ready: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.ready.store(true, Ordering::Release);
        self.task.wake();
    }
}

/// A stream that is polled only when it has woken us (or has just yielded
/// an item, as more may be waiting).
pub struct WokenInput<S> {
    inner: S,
    signal: Arc<Signal>,
    waker: Waker,
}

impl<S> WokenInput<S> {
    pub fn new(inner: S) -> Self {
        let signal = Arc::new(Signal::default());
        // The first poll must reach the stream.
        signal.ready.store(true, Ordering::Release);
        let waker = Waker::from(signal.clone());
        Self { inner, signal, waker }
    }
}

impl<S: Stream + Unpin> Stream for WokenInput<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.signal.task.register(cx.waker());
        if !self.signal.ready.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let this = &mut *self;
        let mut inner_cx = Context::from_waker(&this.waker);
        let polled = Pin::new(&mut this.inner).poll_next(&mut inner_cx);
        if polled.is_ready() {
            this.signal.ready.store(true, Ordering::Release);
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::task::noop_waker_ref;
    use std::collections::VecDeque;

    /// Yields queued items; once empty, keeps the waker it was given.
    #[derive(Default)]
    struct Source {
        items: VecDeque<u32>,
        polls: usize,
        waker: Option<Waker>,
    }

    impl Stream for Source {
        type Item = u32;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
            self.polls += 1;
            match self.items.pop_front() {
                Some(item) => Poll::Ready(Some(item)),
                None => {
                    self.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        }
    }

    #[test]
    fn polls_the_stream_only_after_it_wakes() {
        let mut input = WokenInput::new(Source {
            items: VecDeque::from([1, 2]),
            ..Source::default()
        });
        let mut cx = Context::from_waker(noop_waker_ref());
        let mut next = |input: &mut WokenInput<Source>| Pin::new(input).poll_next(&mut cx);
        assert_eq!(next(&mut input), Poll::Ready(Some(1)));
        assert_eq!(next(&mut input), Poll::Ready(Some(2)));
        assert_eq!(next(&mut input), Poll::Pending);
        let polls = input.inner.polls;
        for _ in 0..5 {
            assert_eq!(next(&mut input), Poll::Pending);
        }
        assert_eq!(input.inner.polls, polls, "no poll before a wake");
        input.inner.items.push_back(3);
        input.inner.waker.take().expect("the stream kept our waker").wake();
        assert_eq!(next(&mut input), Poll::Ready(Some(3)));
    }
}
