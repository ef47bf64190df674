//! A worker doing 1 s steps is stopped by `main`: through a
//! `CancellationToken` it watches, or with `JoinHandle::abort`.
use std::time::Duration;

use lanes::prelude::*;
use tokio::time::{Instant, sleep};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Results not yet written out. Writing them takes time (an `.await`), so
/// `Drop` cannot do it: `Drop` is synchronous. It can only say what is lost.
struct Buffer {
    pending: Vec<u64>,
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            warn!(
                steps = self.pending.len(),
                "buffer dropped before its flush"
            );
        }
    }
}

/// One step of the worker's real work.
async fn work(step: Duration) {
    sleep(step).await;
}

/// Writes the buffer out (a sleep stands in for the disk) and empties it.
async fn flush(buffer: &mut Buffer, took: Duration) -> usize {
    sleep(took).await;
    let written = buffer.pending.len();
    buffer.pending.clear();
    written
}

async fn worker(
    steps: u64,
    step: Duration,
    flush_for: Duration,
    token: CancellationToken,
) -> usize {
    let mut buffer = Buffer {
        pending: Vec::new(),
    };
    for i in 1..=steps {
        // The worker looks at its token while it works. `biased` polls the
        // branches in order, so a cancellation wins a tie with a step's end.
        tokio::select! {
            biased;
            _ = token.cancelled().awaiting("CancellationToken::cancelled") => {
                // The step's future, in the other branch, is dropped here.
                info!("cancelled during step {i}");
                break;
            }
            _ = work(step).lane(format!("step {i}")) => buffer.pending.push(i),
        }
    }
    // Reached after the last step or after the `break`: the worker is still
    // running its own code, so its cleanup may await.
    let written = flush(&mut buffer, flush_for).lane("cleanup").await;
    info!(steps = written, "flushed");
    written
}

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let how = knobs.choice("how");
    let cancel_at = knobs.millis("cancel_at_ms");
    let start = Instant::now();

    let token = CancellationToken::new();
    let worker = worker(
        knobs.int("steps"),
        knobs.millis("step_ms"),
        knobs.millis("cleanup_ms"),
        token.clone(),
    )
    .lane("worker");
    // `x` on the worker lane does what `main` does below: cancel the token,
    // or abort the task (tokio gives the abort handle only to the spawner,
    // hence `cancellable`).
    let handle = if how == "token" {
        tokio::spawn(worker.cancel_with(&token))
    } else {
        tokio::spawn(worker).cancellable()
    };

    sleep(cancel_at).await;
    info!("cancelling the worker ({how}) at {:?}", start.elapsed());
    if how == "token" {
        // A request: the worker's `select!` sees it, and the worker's own
        // code decides what happens next.
        token.cancel();
    } else {
        // No request: the task is dropped at the `.await` where it stands.
        handle.abort();
    }

    // Waits until the worker has really stopped, whichever way it stops.
    match handle.awaiting("JoinHandle").await {
        Ok(flushed) => info!(flushed, "worker joined at {:?}", start.elapsed()),
        Err(e) if e.is_cancelled() => info!("worker joined at {:?}: aborted", start.elapsed()),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
