//! Two producers fill a bounded queue; three consumers empty it.
use std::sync::Arc;

use lanes::prelude::*;
use tokio::sync::{Mutex, mpsc};
use tokio::time::{Instant, interval, sleep};
use tracing::info;

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let producers = knobs.count("producers");
    let items = knobs.count("items");
    let put_every = knobs.millis("put_interval_ms");
    let consumers = knobs.count("consumers");
    let work = knobs.millis("work_ms");
    let capacity = knobs.count("capacity");

    // A bounded channel: `send` waits while `capacity` items are queued.
    let (tx, rx) = mpsc::channel::<usize>(capacity);
    let start = Instant::now();

    let mut producer_tasks = Vec::new();
    for p in 1..=producers {
        let tx = tx.clone(); // every producer owns a sender
        let producer = async move {
            // The first tick is immediate: puts at 0.0 s, 0.1 s, 0.2 s...
            let mut ticks = interval(put_every);
            // Producer 1 makes items 1 to 5, producer 2 items 6 to 10.
            for item in (p - 1) * items + 1..=p * items {
                ticks.tick().await;
                info!("put item {item}");
                if tx.send(item).awaiting("mpsc send").await.is_err() {
                    break; // only if the receiver is gone: no one is listening
                }
            }
            // Returning drops `tx`: this producer has nothing more to say.
        };
        // `.cancellable()` lets you abort the task with x.
        producer_tasks.push(tokio::spawn(producer.lane(format!("producer {p}"))).cancellable());
    }
    // Drop main's own sender too. The channel closes when the last sender
    // is gone; keep this one and the consumers would wait forever.
    drop(tx);

    // mpsc means many producers, one consumer: the Receiver cannot be
    // cloned and `recv` needs `&mut`. So the consumers share it behind
    // tokio's Mutex and take turns waiting on it. (tokio's, not std's:
    // the guard is held across the `.await` of `recv`.)
    let rx = Arc::new(Mutex::new(rx));
    let mut consumer_tasks = Vec::new();
    for c in 1..=consumers {
        let rx = Arc::clone(&rx);
        let consumer = async move {
            let mut done = 0;
            loop {
                // The guard is a temporary, dropped at the end of this
                // statement, so the lock is free again during the work.
                // (In `while let Some(item) = rx.lock()...` it would live
                // through the whole loop body.)
                let next = rx.lock().await.recv().awaiting("mpsc recv").await;
                // `None`: the channel is closed and empty. No sentinel needed.
                let Some(item) = next else { break };
                sleep(work).await; // the consumer's work on one item
                info!("item {item} done");
                done += 1;
            }
            info!("queue closed and empty: stopping");
            done
        };
        consumer_tasks.push(tokio::spawn(consumer.lane(format!("consumer {c}"))).cancellable());
    }

    // A JoinHandle gives `Err` if its task panicked: pass that on.
    for task in producer_tasks {
        task.awaiting("JoinHandle").await?;
    }
    let mut consumed = 0;
    for task in consumer_tasks {
        let done = task.awaiting("JoinHandle").await;
        consumed += done?;
    }
    let took = start.elapsed();
    info!(consumed, ?took, "every consumer stopped");
    Ok(())
}
