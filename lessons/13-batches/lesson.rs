//! Thirty items of 0.1 to 0.3 s, ten at a time: in fixed batches with
//! `join_all`, then in a sliding window with `buffer_unordered`.
use std::time::Duration;

use futures::future::join_all;
use futures::{StreamExt, stream};
use lanes::prelude::*;
use tokio::time::{Instant, sleep};
use tracing::info;

/// Item `i` takes one, two or three units, in turn: items 3, 6, 9 … one,
/// items 1, 4, 7 … two, items 2, 5, 8 … three.
async fn process(i: u64, unit: Duration) -> u64 {
    sleep(unit * (1 + i % 3) as u32).await;
    i
}

/// One batch: all its items at once, and not done until the slowest is.
async fn run_batch(batch: &[u64], unit: Duration) -> Vec<u64> {
    let items = batch
        .iter()
        .map(|&i| process(i, unit).lane(format!("item {i}")));
    join_all(items).awaiting("join_all").await
}

/// A window of `size` places: each item that finishes frees a place, and
/// the next item takes it at once.
async fn run_window(items: u64, unit: Duration, size: usize) -> usize {
    let window = stream::iter(1..=items)
        .map(|i| process(i, unit).lane(format!("item {i}")))
        .buffer_unordered(size);
    window.count().awaiting("buffer_unordered").await
}

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let items = knobs.int("items");
    let unit = knobs.millis("unit_ms");
    let size = knobs.count("batch");

    // Part one: chunks of `size`, one after another. The next batch
    // starts only when the whole of this one is done.
    let start = Instant::now();
    let all: Vec<u64> = (1..=items).collect();
    let mut done = 0;
    for (n, batch) in all.chunks(size).enumerate() {
        let n = n + 1;
        done += run_batch(batch, unit)
            .lane(format!("batch {n}"))
            .await
            .len();
        info!("batch {n} done at {:?}", start.elapsed());
    }
    let took = start.elapsed();
    info!(items = done, ?took, "batches done");

    // Part two: the same items and the same limit, as a sliding window.
    let start = Instant::now();
    let done = run_window(items, unit, size).lane("window").await;
    let took = start.elapsed();
    info!(items = done, ?took, "window done");
    Ok(())
}
