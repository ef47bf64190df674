//! Ten thousand jobs: first all spawned at once, then through
//! `buffer_unordered`, which runs at most `limit` of them at a time.
use std::time::Duration;

use futures::StreamExt;
use futures::stream;
use lanes::prelude::*;
use tokio::time::{Instant, sleep};
use tracing::info;

/// One job: a short wait on something slow (a request, a query).
async fn job(took: Duration) {
    sleep(took).await;
}

/// Spawns every job at once, then waits for each in turn. Nothing limits
/// how many run: all of them are in flight together.
async fn unbounded(jobs: usize, took: Duration) -> Result<usize, BoxError> {
    let mut handles = Vec::with_capacity(jobs);
    for i in 1..=jobs {
        // `cancellable` lets you abort one with x.
        let handle = tokio::spawn(job(took).lane(format!("job {i}")));
        handles.push((i, handle.cancellable()));
    }
    let mut done = 0;
    for (i, handle) in handles {
        match handle.awaiting("JoinHandle").await {
            Ok(()) => done += 1,
            // Aborted (by you, with x): not this function's error.
            Err(e) if e.is_cancelled() => info!("job {i} was cancelled"),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(done)
}

/// The same jobs as a stream of futures. `buffer_unordered(limit)` polls
/// at most `limit` of them, and takes the next from the stream each time
/// one finishes. No task is spawned: they all run inside this one.
async fn bounded(jobs: usize, took: Duration, limit: usize) -> usize {
    let limited = stream::iter(1..=jobs)
        // Lazy: a job's future is made only when there is room for it.
        .map(|i| job(took).lane(format!("job {i}")))
        .buffer_unordered(limit);
    limited.count().awaiting("buffer_unordered").await
}

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let jobs = knobs.count("jobs");
    let took = knobs.millis("job_ms");
    let limit = knobs.count("limit");

    let start = Instant::now();
    let done = unbounded(jobs, took).lane("unbounded").await?;
    let took_all = start.elapsed();
    info!(jobs = done, took = ?took_all, "unbounded half done");

    let start = Instant::now();
    let done = bounded(jobs, took, limit).lane("bounded").await;
    let took_all = start.elapsed();
    info!(jobs = done, limit, took = ?took_all, "bounded half done");
    Ok(())
}
