//! Two tasks sleep politely; a third holds the thread.
use lanes::prelude::*;
use tokio::time::{Instant, sleep};
use tracing::info;

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let nap = knobs.millis("nap_ms");
    let block = knobs.millis("block_ms");
    let blocking = knobs.choice("sleep") == "std";
    let start = Instant::now();

    // The sleepers are spawned first. This runtime has one thread and runs
    // tasks in the order they were spawned, so both sleepers get their
    // first poll, set their timers and park before the blocker runs.
    // Spawned the other way round, the blocker would hold the thread
    // before the sleepers had even started their clocks.
    let mut handles = Vec::new();
    for i in 1..=2 {
        let sleeper = async move {
            sleep(nap).await; // parks this task; the thread is free
            info!("woke after {:?}", start.elapsed());
        };
        handles.push(tokio::spawn(sleeper.lane(format!("sleeper {i}"))).cancellable());
    }

    let blocker = async move {
        info!("waiting {block:?}");
        if blocking {
            // Never do this in async code: it puts the thread itself to
            // sleep, not just this task.
            std::thread::sleep(block);
        } else {
            sleep(block).await; // the same wait, without taking the thread
        }
    };
    // `.cancellable()` lets you abort a task with x: try it on the
    // blocker while it blocks.
    handles.push(tokio::spawn(blocker.lane("blocker")).cancellable());

    for handle in handles {
        // An Err here means the task panicked or was aborted.
        handle.awaiting("JoinHandle").await?;
    }
    info!("all three done after {:?}", start.elapsed());
    Ok(())
}
