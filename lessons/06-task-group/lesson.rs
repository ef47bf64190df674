//! Five workers in a `JoinSet`; the first error aborts the rest.
use std::time::Duration;

use lanes::prelude::*;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep};
use tracing::{info, warn};

/// Worker `i` works for `i` seconds, unless it is the one that fails.
async fn worker(i: u64, fail_at: Option<Duration>) -> Result<u64, String> {
    if let Some(fail_at) = fail_at {
        sleep(fail_at).await; // part of its work, then the error
        return Err(format!("worker {i}: disk full"));
    }
    sleep(Duration::from_secs(i)).await;
    Ok(i)
}

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let workers = knobs.int("workers");
    let failing = knobs.int("failing");
    let fail_at = knobs.millis("fail_at_ms");
    let start = Instant::now();

    // The set owns its tasks: dropping it would abort every one of them.
    let mut set = JoinSet::new();
    for i in 1..=workers {
        let fails = (i == failing).then_some(fail_at);
        // `cancellable` lets you abort a worker live with x.
        set.spawn(worker(i, fails).lane(format!("worker {i}")))
            .cancellable();
    }

    // Results arrive in the order the workers finish.
    while let Some(joined) = set.join_next().awaiting("JoinSet::join_next").await {
        // Outer `Err`: the task panicked or was aborted. Inner `Err`: the
        // worker's own error. Neither is ignored.
        let at = start.elapsed();
        let finished = match joined {
            Ok(finished) => finished,
            // Aborted from outside (by you, with x): not the worker's error.
            Err(e) if e.is_cancelled() => {
                info!("a worker was cancelled at {at:?}");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        match finished {
            Ok(i) => info!("worker {i} finished at {at:?}"),
            Err(error) => {
                warn!("{error} at {at:?}: aborting any others");
                // asyncio's TaskGroup cancels the siblings by itself.
                // A JoinSet leaves it to you: abort them all, then wait
                // until each one has really stopped.
                set.abort_all();
                let mut aborted = 0;
                while let Some(joined) = set.join_next().awaiting("JoinSet::join_next").await {
                    if joined.is_err_and(|e| e.is_cancelled()) {
                        aborted += 1;
                    }
                }
                info!(aborted, "the group is empty at {:?}", start.elapsed());
                return Err(error.into());
            }
        }
    }
    info!("every worker finished at {:?}", start.elapsed());
    Ok(())
}
