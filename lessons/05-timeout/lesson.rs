//! An operation that needs 5 s, given 2 s with `tokio::time::timeout`.
use std::time::Duration;

use lanes::prelude::*;
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tracing::{info, warn};

const STEPS: u32 = 4;

/// Slow work in four equal steps, logging after each one.
async fn operation(total: Duration) -> &'static str {
    for step in 1..=STEPS {
        sleep(total / STEPS).await;
        info!("step {step} of {STEPS} done");
    }
    "report"
}

pub async fn run(knobs: Knobs) {
    let work = knobs.millis("work_ms");
    let budget = knobs.millis("budget_ms");
    let start = Instant::now();

    // `timeout` wraps the future and polls it. If the budget runs out
    // before the future is done, it hands back `Err(Elapsed)`.
    // `timeout_at(start + budget, ...)` is the same with a deadline.
    let result = timeout(budget, operation(work).lane("operation")).await;
    let took = start.elapsed();

    match result {
        Ok(report) => info!("got the {report} after {took:?}"),
        Err(elapsed) => {
            // `Elapsed` only says the time ran out; it carries no result
            // from the operation.
            warn!("gave up after {took:?}: {elapsed}");

            // Stay until the operation would have finished, to see what
            // it does meanwhile.
            sleep_until(start + work).await;
            info!("nothing more from the operation by {:?}", start.elapsed());
        }
    }
}
