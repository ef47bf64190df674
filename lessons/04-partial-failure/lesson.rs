//! Six items, some of which fail: `join_all` keeps every result,
//! `try_join_all` stops at the first error.
use std::time::Duration;

use futures::future::{join_all, try_join_all};
use lanes::prelude::*;
use tokio::time::{Instant, sleep};
use tracing::{info, warn};

/// Processes one item. Items whose number is a multiple of `bad` fail.
async fn process(item: u64, time: Duration, bad: u64) -> Result<u64, String> {
    sleep(time).await;
    if item % bad == 0 {
        return Err(format!("item {item}: bad record"));
    }
    Ok(item * 10)
}

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let items = knobs.int("items");
    let time = knobs.millis("item_ms");
    let bad = knobs.int("fail_every");

    // Part one: `join_all` waits for every future, whether it succeeds or
    // fails, and hands back all the `Result`s, in the order given.
    let start = Instant::now();
    let results =
        join_all((1..=items).map(|i| process(i, time, bad).lane(format!("join_all {i}")))).await;
    let took = start.elapsed();
    // Each `Err` is a value in the vector: look at every one, or it is lost.
    let mut ok = 0;
    let mut failed = 0;
    for result in &results {
        match result {
            Ok(_) => ok += 1,
            Err(error) => {
                failed += 1;
                warn!("join_all error: {error}");
            }
        }
    }
    info!(failed, ok, ?took, "join_all finished");

    // Part two: `try_join_all` over the same items. The first `Err` it
    // sees ends it, and it drops every future still unfinished.
    let start = Instant::now();
    let outcome =
        try_join_all((1..=items).map(|i| process(i, time, bad).lane(format!("try_join_all {i}"))))
            .await;
    let took = start.elapsed();
    match outcome {
        Ok(values) => info!(ok = values.len(), ?took, "try_join_all finished"),
        Err(error) => {
            warn!(?took, "try_join_all stopped: {error}");
            return Err(error.into());
        }
    }
    Ok(())
}
