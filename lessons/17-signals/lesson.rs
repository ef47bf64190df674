//! Waiters wait for one event, and a setter signals it: through a `Notify`,
//! a `watch` channel, or a `Barrier` where they all meet.
use std::sync::Arc;
use std::time::Duration;

use lanes::prelude::*;
use tokio::sync::{Barrier, Notify, watch};
use tokio::time::{Instant, sleep};
use tracing::info;

/// The waiters' side of the signal, in the form the `primitive` knob picks.
#[derive(Clone)]
enum Wait {
    /// A `Notify` keeps no state: `notify_waiters` wakes the tasks waiting
    /// at that moment, and no one else.
    Notify(Arc<Notify>),
    /// A `watch` channel keeps its latest value: here, "ready or not".
    Watch(watch::Receiver<bool>),
    /// A `Barrier` counts arrivals, and lets a whole round through when its
    /// last party arrives. The setter is one of the parties.
    Barrier(Arc<Barrier>),
}

/// The setter's side of the same signal.
enum Set {
    Notify(Arc<Notify>),
    Watch(watch::Sender<bool>),
    Barrier(Arc<Barrier>),
}

/// Makes the signal: the setter's end and the waiters' end.
fn signal(primitive: &str, waiters: usize) -> (Set, Wait) {
    match primitive {
        "notify" => {
            let notify = Arc::new(Notify::new());
            (Set::Notify(notify.clone()), Wait::Notify(notify))
        }
        "watch" => {
            let (tx, rx) = watch::channel(false);
            (Set::Watch(tx), Wait::Watch(rx))
        }
        _ => {
            // One party per waiter, plus the setter. (A barrier counts
            // arrivals: it knows how many, never who.)
            let barrier = Arc::new(Barrier::new(waiters + 1));
            (Set::Barrier(barrier.clone()), Wait::Barrier(barrier))
        }
    }
}

impl Wait {
    /// Parks this task until the event.
    async fn wait(&mut self) -> Result<(), BoxError> {
        match self {
            // `notified()` registers this task: `notify_waiters` wakes only
            // the futures registered before it is called.
            Wait::Notify(notify) => notify.notified().awaiting("Notify::notified").await,
            // Looks at the current value first, and waits for changes only
            // while it is `false`.
            Wait::Watch(ready) => {
                ready
                    .wait_for(|is_ready| *is_ready)
                    .awaiting("watch::wait_for")
                    .await?;
            }
            Wait::Barrier(barrier) => meet(barrier).await,
        }
        Ok(())
    }
}

/// Arrives at the barrier and waits for the rest of the round.
async fn meet(barrier: &Barrier) {
    // Exactly one task of each round is told that it is the leader: the one
    // to do any work that must happen once per round.
    if barrier.wait().await.is_leader() {
        info!("is the barrier's leader");
    }
}

async fn waiter(mut signal: Wait, arrives: Duration, start: Instant) -> Result<(), BoxError> {
    sleep(arrives).await; // whatever it does before it needs the event
    signal.wait().await?;
    info!("done waiting at {:?}", start.elapsed());
    Ok(())
}

async fn setter(signal: Set, at: Duration, start: Instant) -> Result<(), BoxError> {
    sleep(at).await;
    match signal {
        Set::Notify(notify) => {
            // Wakes every task waiting now. Nothing is kept for a task
            // that calls `notified()` later.
            notify.notify_waiters();
            info!("notify_waiters at {:?}", start.elapsed());
        }
        Set::Watch(ready) => {
            // Stores the value and wakes every receiver that waits for a
            // change. (`send` fails only if every receiver is gone.)
            ready.send(true)?;
            info!("sent ready=true at {:?}", start.elapsed());
        }
        Set::Barrier(barrier) => {
            info!("arrives at the barrier at {:?}", start.elapsed());
            meet(&barrier).await;
        }
    }
    Ok(())
}

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let waiters = knobs.count("waiters");
    let stagger = knobs.millis("stagger_ms");
    let start = Instant::now();

    let (set, wait) = signal(knobs.choice("primitive"), waiters);

    // `.cancellable()` lets you abort any of these tasks with x.
    let mut tasks = Vec::new();
    for i in 1..=waiters {
        // Waiter 1 starts waiting at once, each next one `stagger` later.
        let arrives = stagger * (i as u32 - 1);
        let name = format!("waiter {i}");
        let task = waiter(wait.clone(), arrives, start).lane(&name);
        tasks.push((name, tokio::spawn(task).cancellable()));
    }
    let task = setter(set, knobs.millis("set_at_ms"), start).lane("setter");
    tasks.push(("setter".into(), tokio::spawn(task).cancellable()));
    if knobs.flag("late") {
        let task = waiter(wait, knobs.millis("late_at_ms"), start).lane("late waiter");
        tasks.push(("late waiter".into(), tokio::spawn(task).cancellable()));
    }

    for (name, task) in tasks {
        match task.awaiting("JoinHandle").await {
            Ok(result) => result?,
            // Aborted (by you, with x): the task was dropped where it stood.
            Err(e) if e.is_cancelled() => info!("{name} was cancelled"),
            Err(e) => return Err(e.into()),
        }
    }
    info!("everyone is through at {:?}", start.elapsed());
    Ok(())
}
