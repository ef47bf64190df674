//! Cancelling a lane live (`x`): which lanes the learner may cancel, how,
//! and why not. The recorder fills this in on the lesson thread; the
//! interface reads it to answer `x` at once, before asking the run.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::trace::LaneId;

/// How a lane is cancelled when the learner asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancelBy {
    /// Its task is aborted: dropped at the `.await` where it stands.
    Abort,
    /// The lesson's `CancellationToken` is cancelled: the lane's own code
    /// sees it and ends as it was written to.
    Token,
}

/// Why `x` cannot cancel a lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not polled yet: whether it is a task of its own is not known.
    NotStarted,
    /// A future awaited inside another lane's task, not a task: only the
    /// code that owns it can drop it.
    InPlace,
    /// A task whose handle the lesson keeps to itself.
    KeptByLesson,
    /// The lesson's own `main`.
    Lesson,
}

/// What is known of a lane, for cancelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Lesson,
    InPlace,
    Task,
    Cancellable(CancelBy),
}

/// Shared between the lesson thread (writer) and the interface (reader).
#[derive(Default)]
pub(crate) struct Cancels {
    roles: Mutex<HashMap<LaneId, Role>>,
}

impl Cancels {
    pub(crate) fn set(&self, lane: LaneId, role: Role) {
        self.roles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(lane, role);
    }

    /// How `x` would cancel `lane`, or why it cannot.
    pub(crate) fn check(&self, lane: LaneId) -> Result<CancelBy, Refusal> {
        let roles = self.roles.lock().unwrap_or_else(|p| p.into_inner());
        match roles.get(&lane) {
            None => Err(Refusal::NotStarted),
            Some(Role::Lesson) => Err(Refusal::Lesson),
            Some(Role::InPlace) => Err(Refusal::InPlace),
            Some(Role::Task) => Err(Refusal::KeptByLesson),
            Some(Role::Cancellable(by)) => Ok(*by),
        }
    }
}
