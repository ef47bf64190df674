//! Two tasks started with `tokio::spawn` run while `main` does its own work.
use std::time::Duration;

use lanes::prelude::*;
use tokio::time::{Instant, sleep};
use tracing::info;

/// A job that takes `time` and reports back its name.
async fn job(name: &'static str, time: Duration) -> &'static str {
    sleep(time).await;
    info!("{name} finished");
    name
}

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let start = Instant::now();

    // `spawn` hands each job to the runtime as a task of its own, and it
    // runs whether or not anyone awaits it. On this one-thread runtime it
    // starts as soon as `main` reaches its first `.await`.
    // (`.lane` and `.cancellable` are lanes' own: a name to draw, and
    // leave for you to abort the task with x.)
    let a = tokio::spawn(job("A", knobs.millis("a_ms")).lane("task A")).cancellable();
    let b = tokio::spawn(job("B", knobs.millis("b_ms")).lane("task B")).cancellable();
    // `a` and `b` are JoinHandles: a way to wait for a task's result.
    // They do not own the task: dropping one would detach it, not stop it.

    // Main's own work (a sleep stands in for it).
    sleep(knobs.millis("work_ms")).await;
    info!("own work done at {:?}", start.elapsed());

    // Awaiting a handle gives the task's output, or a JoinError if the task
    // panicked or was aborted.
    let a = a.awaiting("JoinHandle").await?;
    info!("{a} joined at {:?}", start.elapsed());

    // A finished task keeps its output in its handle until someone asks.
    let b = b.awaiting("JoinHandle").await?;
    info!("{b} joined at {:?}", start.elapsed());
    Ok(())
}
