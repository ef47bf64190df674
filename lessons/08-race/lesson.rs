//! Three mirrors race in `tokio::select!`. Then `select!` in a loop, where
//! whatever a losing branch had gathered goes with it.
use std::time::Duration;

use lanes::prelude::*;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, interval_at, sleep};
use tracing::{info, warn};

/// One mirror of the same file; it answers after `latency`.
async fn mirror(number: u32, latency: Duration) -> String {
    sleep(latency).await;
    format!("mirror {number}")
}

/// Sends items 1, 2, 3 ... into the channel, one every `every`, and says
/// how many it sent. Returning drops `tx`, which closes the channel.
async fn produce(tx: mpsc::Sender<u32>, items: u32, every: Duration) -> u32 {
    for item in 1..=items {
        sleep(every).await;
        if tx.send(item).awaiting("mpsc send").await.is_err() {
            return item - 1; // no receiver any more
        }
    }
    items
}

/// Takes items until it has `size` of them or the channel is closed.
/// Not cancel-safe: the batch lives inside this future, so dropping the
/// future between two items drops the items it holds.
async fn gather(rx: &mut mpsc::Receiver<u32>, size: usize) -> Vec<u32> {
    let mut batch = Vec::new();
    while batch.len() < size {
        let Some(item) = rx.recv().awaiting("mpsc recv").await else {
            break; // closed: the last batch may be short
        };
        batch.push(item);
        info!("took item {item}, {} held", batch.len());
    }
    batch
}

/// The same work, cancel-safe: the batch belongs to the caller, and this
/// future only adds to it. Each `recv` is cancel-safe (tokio documents it:
/// dropped unfinished, it has taken nothing), so dropping this future
/// loses nothing. Returns whether the channel is still open.
async fn fill(rx: &mut mpsc::Receiver<u32>, batch: &mut Vec<u32>, size: usize) -> bool {
    while batch.len() < size {
        let Some(item) = rx.recv().awaiting("mpsc recv").await else {
            return false;
        };
        batch.push(item);
        info!("took item {item}, {} held", batch.len());
    }
    true
}

/// Waits for the producer, then says which items never reached `main`.
async fn report(part: &str, producer: JoinHandle<u32>, received: &[u32]) -> Result<(), BoxError> {
    match producer.awaiting("JoinHandle").await {
        Ok(sent) => {
            let lost: Vec<u32> = (1..=sent).filter(|i| !received.contains(i)).collect();
            if lost.is_empty() {
                info!(sent, ?received, "{part}: nothing lost");
            } else {
                warn!(sent, ?received, ?lost, "{part}: items lost");
            }
        }
        // Aborted by you, with x: the channel closed early.
        Err(e) if e.is_cancelled() => info!(?received, "{part}: the producer was cancelled"),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let start = Instant::now();

    // Part 1: a race. `select!` polls the three mirrors, awaited in place
    // inside this task, and returns with the first answer. The other
    // branches are dropped right then. (`biased;` polls the branches top to
    // bottom, so that a tie always goes the same way.)
    let winner = tokio::select! {
        biased;
        answer = mirror(1, knobs.millis("mirror1_ms")).lane("mirror 1") => answer,
        answer = mirror(2, knobs.millis("mirror2_ms")).lane("mirror 2") => answer,
        answer = mirror(3, knobs.millis("mirror3_ms")).lane("mirror 3") => answer,
    };
    info!("{winner} answered first, at {:?}", start.elapsed());

    let items = knobs.int("items") as u32;
    let every = knobs.millis("item_ms");
    let tick = knobs.millis("tick_ms");
    let size = knobs.count("batch");

    // Part 2: `select!` in a loop. Each turn builds a new `gather` future
    // and races it against a tick; whichever branch loses is dropped.
    let (tx, mut rx) = mpsc::channel(items as usize);
    let producer = tokio::spawn(produce(tx, items, every).lane("producer (gather)")).cancellable();
    // The first tick one period from now (`interval` would tick at once).
    let mut ticks = interval_at(Instant::now() + tick, tick);
    let mut received = Vec::new();
    for turn in 1.. {
        tokio::select! {
            biased;
            batch = gather(&mut rx, size).lane(format!("gather {turn}")) => {
                let closed = batch.len() < size;
                if !batch.is_empty() {
                    info!(?batch, "got a batch at {:?}", start.elapsed());
                }
                received.extend(batch);
                if closed {
                    break;
                }
            }
            _ = ticks.tick().awaiting("Interval::tick") => {
                info!("tick at {:?}", start.elapsed());
            }
        }
    }
    report("gather", producer, &received).await?;

    // Part 3: the same loop, with the batch kept out here. A `fill` future
    // that loses the race is dropped too, but what it took is in `batch`.
    let (tx, mut rx) = mpsc::channel(items as usize);
    let producer = tokio::spawn(produce(tx, items, every).lane("producer (fill)")).cancellable();
    let mut ticks = interval_at(Instant::now() + tick, tick);
    let mut received = Vec::new();
    let mut batch = Vec::new();
    for turn in 1.. {
        tokio::select! {
            biased;
            open = fill(&mut rx, &mut batch, size).lane(format!("fill {turn}")) => {
                if !batch.is_empty() {
                    info!(?batch, "got a batch at {:?}", start.elapsed());
                    received.append(&mut batch);
                }
                if !open {
                    break;
                }
            }
            // The losing `fill` is already dropped here, so `batch` is free.
            _ = ticks.tick().awaiting("Interval::tick") => {
                info!(held = batch.len(), "tick at {:?}", start.elapsed());
            }
        }
    }
    report("fill", producer, &received).await?;
    info!("done at {:?}", start.elapsed());
    Ok(())
}
