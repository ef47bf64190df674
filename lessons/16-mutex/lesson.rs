//! Five workers add 1 to one shared counter, ten times each.
use std::sync::Arc;
use std::time::Duration;

use lanes::prelude::*;
use tokio::time::{Instant, sleep};
use tracing::{info, warn};

/// The shared counter, guarded in one of the two ways the `lock` knob picks.
enum Counter {
    /// tokio's Mutex: its guard may be held across an `.await`.
    Locked(tokio::sync::Mutex<u64>),
    /// std's Mutex, held only for a moment: once to read, once to write.
    Unlocked(std::sync::Mutex<u64>),
}

impl Counter {
    /// Reads the counter, pauses, writes back one more. Returns what it read.
    async fn increment(&self, pause: Duration) -> u64 {
        match self {
            Counter::Locked(mutex) => {
                // The guard lives from the read to the write, pause included:
                // meanwhile every other worker parks on `lock()`.
                let mut value = mutex.lock().await;
                let read = *value;
                sleep(pause).await;
                *value = read + 1;
                read
            } // the guard drops here; the next waiter in line gets the lock
            Counter::Unlocked(mutex) => {
                // Each guard is a temporary, dropped at the end of its line:
                // a std guard must never be held across `.await` (here it
                // would not even compile, as `tokio::spawn` needs a `Send`
                // future and the guard is not `Send`). But now the read and
                // the write are apart: during the pause, others read too.
                let read = *mutex.lock().unwrap();
                sleep(pause).await;
                *mutex.lock().unwrap() = read + 1;
                read
            }
        }
    }

    async fn value(&self) -> u64 {
        match self {
            Counter::Locked(mutex) => *mutex.lock().await,
            Counter::Unlocked(mutex) => *mutex.lock().unwrap(),
        }
    }
}

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let workers = knobs.int("workers");
    let increments = knobs.int("increments");
    let pause = knobs.millis("pause_ms");

    let counter = Arc::new(if knobs.flag("lock") {
        Counter::Locked(tokio::sync::Mutex::new(0))
    } else {
        Counter::Unlocked(std::sync::Mutex::new(0))
    });
    let start = Instant::now();

    let mut tasks = Vec::new();
    for w in 1..=workers {
        let counter = Arc::clone(&counter);
        let worker = async move {
            for _ in 0..increments {
                let read = counter.increment(pause).await;
                info!("read {read}, wrote {}", read + 1);
            }
        };
        // `.cancellable()` lets you abort the task with x.
        tasks.push(tokio::spawn(worker.lane(format!("worker {w}"))).cancellable());
    }
    for task in tasks {
        task.awaiting("JoinHandle").await?;
    }

    let (count, expected) = (counter.value().await, workers * increments);
    let took = start.elapsed();
    info!("final count {count} (expected {expected}) after {took:?}");
    if count < expected {
        warn!("updates lost: {}", expected - count);
    }
    Ok(())
}
