//! The one call a lesson makes to be seen: `.lane("name")` on a future, and
//! `.awaiting("what")` where tokio cannot say what a wait is for.

use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::outcome::Outcome;
use super::recorder;
use crate::trace::LaneId;

/// Adapters every future gets from `use lanes::prelude::*`.
pub trait LaneExt: Future + Sized {
    /// Shows this future as its own lane, named `name`, nested under the
    /// lane that creates it. Works the same for a future handed to
    /// `tokio::spawn` (the lane is the task) and for one awaited in place.
    fn lane(self, name: impl AsRef<str>) -> Lane<Self>
    where
        Self::Output: Outcome,
    {
        let id = recorder::with(|r| r.spawn_lane(name.as_ref())).flatten();
        Lane {
            inner: Some(self),
            id,
            finished: false,
        }
    }

    /// Names what this future waits on, for waits tokio does not report
    /// itself (channels, `Notify`, `JoinHandle`). The line of the call is
    /// marked in the code view.
    #[track_caller]
    fn awaiting(self, what: &'static str) -> Awaiting<Self> {
        Awaiting {
            inner: self,
            what,
            at: Location::caller(),
        }
    }
}

impl<F: Future> LaneExt for F {}

/// A spawned task that the learner may cancel live with `x`.
///
/// Tokio hands a task's abort handle only to the code that spawned it, so a
/// lesson passes it on with this one call on the `JoinHandle` (or on the
/// `AbortHandle` that `JoinSet::spawn` returns). A task without it is one
/// the lesson keeps to itself, and `x` on its lane says so.
pub trait Cancellable {
    fn cancellable(self) -> Self;
}

impl<T> Cancellable for tokio::task::JoinHandle<T> {
    fn cancellable(self) -> Self {
        let handle = self.abort_handle();
        recorder::with(|r| r.allow_abort(handle));
        self
    }
}

impl Cancellable for tokio::task::AbortHandle {
    fn cancellable(self) -> Self {
        recorder::with(|r| r.allow_abort(self.clone()));
        self
    }
}

impl<F> Lane<F> {
    /// `x` on this lane cancels `token`, the way the lesson's own code does:
    /// the lane sees the cancellation and ends as its code says (cleanup
    /// included), instead of being dropped where it stands.
    pub fn cancel_with(self, token: &tokio_util::sync::CancellationToken) -> Self {
        if let Some(lane) = self.id {
            recorder::with(|r| r.allow_token(lane, token.clone()));
        }
        self
    }
}

pin_project! {
    /// A future shown as a lane. Records running, awaiting, done, failed
    /// (an `Err` output or a panic) and cancelled (dropped unfinished).
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Lane<F> {
        // `None` once dropped early, so that its destructors run inside
        // the lane (see `drop`).
        #[pin]
        inner: Option<F>,
        id: Option<LaneId>,
        finished: bool,
    }

    impl<F> PinnedDrop for Lane<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if let (Some(lane), false) = (*this.id, *this.finished) {
                // Dropped unfinished: cancelled. Its own destructors run
                // first, as the lane (a guard's log line is the lane's, and
                // its child lanes end before it does).
                let outer = recorder::with(|r| r.enter_drop(lane)).flatten();
                this.inner.set(None);
                recorder::with(|r| {
                    r.leave_drop(outer);
                    r.cancel_lane(lane);
                });
            }
        }
    }
}

impl<F> Future for Lane<F>
where
    F: Future,
    F::Output: Outcome,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let inner = this
            .inner
            .as_pin_mut()
            .expect("a lane is not polled after it is dropped or done");
        let Some(lane) = *this.id else {
            return inner.poll(cx);
        };
        let frame = match recorder::with(|r| (!r.is_behind()).then(|| r.enter(lane))) {
            Some(Some(frame)) => frame,
            // A poll blocked the thread and tokio's clock has not caught up
            // yet: running now would set timers against the old time. Try
            // again after the driver, which is already scheduled.
            Some(None) => {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            None => return inner.poll(cx),
        };
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => {
                recorder::with(|r| r.leave_pending(lane, frame));
                Poll::Pending
            }
            Ok(Poll::Ready(output)) => {
                *this.finished = true;
                let failure = output.failure();
                recorder::with(|r| r.leave_finished(lane, frame, failure));
                Poll::Ready(output)
            }
            Err(panic) => {
                *this.finished = true;
                let detail = format!("panic: {}", panic_message(&*panic));
                recorder::with(|r| r.leave_finished(lane, frame, Some(detail)));
                resume_unwind(panic)
            }
        }
    }
}

pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = panic.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "(no message)"
    }
}

pin_project! {
    /// A future whose waits are shown as `what`, at the line it was made.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Awaiting<F> {
        #[pin]
        inner: F,
        what: &'static str,
        at: &'static Location<'static>,
    }
}

impl<F: Future> Future for Awaiting<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let poll = this.inner.poll(cx);
        if poll.is_pending() {
            let (what, at) = (*this.what, *this.at);
            recorder::with(|r| {
                let line = r.lesson_line(at.file(), at.line());
                r.note_wait(what, line);
            });
        }
        poll
    }
}
