//! A request handler spawns analytics jobs and returns at once; `main`
//! waits for the jobs at shutdown with a `TaskTracker`, or does not.
use std::time::Duration;

use lanes::prelude::*;
use tokio::time::{Instant, sleep};
use tokio_util::task::TaskTracker;
use tracing::info;

/// One analytics job: records something about the request, off the
/// request's critical path.
async fn record(job: u64, took: Duration, fails: bool) -> Result<(), String> {
    sleep(took).await; // stands in for a call to the analytics service
    if fails {
        return Err(format!("analytics {job}: collector unreachable"));
    }
    info!("recorded");
    Ok(())
}

/// Handles one request: its own work, then jobs that need not hold up the
/// answer.
async fn handle_request(
    work: Duration,
    jobs: u64,
    job_time: Duration,
    failing: u64,
    tracker: Option<TaskTracker>,
) -> &'static str {
    sleep(work).await; // the request's own work
    for job in 1..=jobs {
        let analytics = record(job, job_time, job == failing).lane(format!("analytics {job}"));
        let handle = match &tracker {
            // Tracked: `main` can wait for the job at shutdown.
            Some(tracker) => tracker.spawn(analytics),
            // Plain spawn: the job belongs to the runtime alone.
            None => tokio::spawn(analytics),
        };
        // Dropping the handle detaches the job; it does not stop it. Either
        // way nobody sees the job's result: a dropped handle cannot, and a
        // tracker does not keep it. (`cancellable` lets you abort it with x.)
        drop(handle.cancellable());
    }
    "200 OK"
}

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let start = Instant::now();
    let tracker = knobs.flag("track").then(TaskTracker::new);

    let handler = handle_request(
        knobs.millis("work_ms"),
        knobs.int("jobs"),
        knobs.millis("job_ms"),
        knobs.int("failing"),
        tracker.clone(),
    );
    let handler = tokio::spawn(handler.lane("handler")).cancellable();
    match handler.awaiting("JoinHandle").await {
        Ok(status) => info!("answered {status} at {:?}", start.elapsed()),
        Err(e) if e.is_cancelled() => info!("the handler was cancelled"),
        Err(e) => return Err(e.into()),
    }

    // Shutting down. `close` says that no more jobs are expected (it does
    // not forbid them); `wait` returns once the tracker is closed and empty.
    if let Some(tracker) = tracker {
        tracker.close();
        info!(in_flight = tracker.len(), "waiting for background jobs");
        tracker.wait().awaiting("TaskTracker::wait").await;
        info!("background jobs over at {:?}", start.elapsed());
    }
    // Returning from `main` ends the runtime: every task still on it is
    // dropped where it stands.
    info!("main returns at {:?}", start.elapsed());
    Ok(())
}
