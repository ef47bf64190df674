//! Five fetches start together; `main` handles each result as it comes in.
use std::time::Duration;

use futures::future::join_all;
use lanes::prelude::*;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep};
use tracing::info;

/// How long each fetch takes, in time units: fetch 1 takes 5, fetch 2 takes 2 ...
const UNITS: [u32; 5] = [5, 2, 4, 1, 3];

/// Stands in for a request to a slow server. Its output says which fetch
/// it was, since the results come back in an order of their own.
async fn fetch(number: usize, latency: Duration) -> usize {
    sleep(latency).await;
    number
}

/// What `main` does with one result (a sleep stands in for the work; by
/// default it takes no time at all).
async fn handle(nth: usize, number: usize, start: Instant, handling: Duration) {
    info!(fetch = number, at = ?start.elapsed(), "handling result {nth}");
    if !handling.is_zero() {
        sleep(handling).await;
    }
}

/// Each result as soon as its fetch is done: `JoinSet::join_next`.
async fn as_they_finish(unit: Duration, handling: Duration) -> Result<(), BoxError> {
    let start = Instant::now();

    // Every fetch is a task of its own, spawned into one set.
    // (`cancellable` lets you abort a fetch live with x.)
    let mut set = JoinSet::new();
    for (number, units) in (1..).zip(UNITS) {
        set.spawn(fetch(number, unit * units).lane(format!("fetch {number}")))
            .cancellable();
    }

    // `join_next` hands back one output each time a task finishes, in the
    // order they finish, and `None` once the set is empty. A result that
    // comes in while `main` is busy waits in the set for the next call.
    // Without spawning, `futures::stream::FuturesUnordered` does the same
    // for plain futures, polled inside this task.
    let mut nth = 0;
    while let Some(joined) = set.join_next().awaiting("JoinSet::join_next").await {
        match joined {
            Ok(number) => {
                nth += 1;
                handle(nth, number, start, handling).await;
            }
            // Aborted by you, with x: not an error of the fetch.
            Err(e) if e.is_cancelled() => {
                info!("a fetch was cancelled at {:?}", start.elapsed());
            }
            Err(e) => return Err(e.into()),
        }
    }
    info!("every result handled at {:?}", start.elapsed());
    Ok(())
}

/// The contrast: one handle per task, and `join_all` over the handles.
async fn in_start_order(unit: Duration, handling: Duration) -> Result<(), BoxError> {
    let start = Instant::now();
    let mut handles = Vec::new();
    for (number, units) in (1..).zip(UNITS) {
        let task = tokio::spawn(fetch(number, unit * units).lane(format!("fetch {number}")));
        handles.push(task.cancellable());
    }

    // `join_all` waits for every task, then gives their results in the
    // order the handles were given, like `asyncio.gather`.
    let results = join_all(handles).awaiting("join_all").await;
    info!("join_all returned at {:?}", start.elapsed());
    let mut nth = 0;
    for joined in results {
        match joined {
            Ok(number) => {
                nth += 1;
                handle(nth, number, start, handling).await;
            }
            Err(e) if e.is_cancelled() => info!("a fetch was cancelled"),
            Err(e) => return Err(e.into()),
        }
    }
    info!("every result handled at {:?}", start.elapsed());
    Ok(())
}

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let unit = knobs.millis("unit_ms");
    let handling = knobs.millis("handle_ms");
    match knobs.choice("collect") {
        "join_all" => in_start_order(unit, handling).await,
        _ => as_they_finish(unit, handling).await,
    }
}
