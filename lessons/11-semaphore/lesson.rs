//! Twenty requests share a semaphore with three permits.
use std::sync::Arc;

use lanes::prelude::*;
use tokio::sync::Semaphore;
use tokio::time::{Instant, sleep};
use tracing::info;

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let requests = knobs.count("requests");
    let permits = knobs.count("permits");
    let work = knobs.millis("work_ms");

    // One semaphore for all requests. Each task needs its own handle to
    // it, and a spawned task must own what it uses: hence the Arc.
    let limit = Arc::new(Semaphore::new(permits));
    let start = Instant::now();

    let mut handles = Vec::new();
    for i in 1..=requests {
        let limit = Arc::clone(&limit);
        let request = async move {
            // Parks here until a permit is free. The permit is a guard:
            // it goes back to the semaphore when `_permit` is dropped,
            // at the end of this block, even if the work fails.
            let _permit = limit.acquire().await?;
            info!("got a permit");
            sleep(work).await; // the request's work
            Ok::<(), BoxError>(())
        };
        // Every request is spawned at once; the semaphore, not the loop,
        // decides how many run. (`cancellable` lets you abort one with x.)
        let handle = tokio::spawn(request.lane(format!("request {i}")));
        handles.push((i, handle.cancellable()));
    }

    for (i, handle) in handles {
        // Two layers: the outer Err is a task that panicked or was
        // aborted, the inner one is the request's own error.
        match handle.awaiting("JoinHandle").await {
            Ok(request) => request?,
            // Aborted: the task was dropped where it stood, and a permit
            // it held went back to the semaphore right then.
            Err(e) if e.is_cancelled() => info!("request {i} was cancelled"),
            Err(e) => return Err(e.into()),
        }
    }
    let took = start.elapsed();
    info!(requests, permits, ?took, "all done");
    Ok(())
}
