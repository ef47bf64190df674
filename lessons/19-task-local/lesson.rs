//! Three requests, each a task with its own request id in a task-local,
//! logging from nested calls that are never handed the id.
use std::time::Duration;

use lanes::prelude::*;
use tokio::time::sleep;
use tracing::{info, warn};

tokio::task_local! {
    /// The id of the request being served. `REQUEST_ID.scope(id, future)`
    /// sets it; any code running inside that future reads it with `get()`.
    static REQUEST_ID: u64;
}

/// The bottom of the call chain: it logs the id, and nobody passed it in.
async fn query(table: &str, latency: Duration) {
    sleep(latency).await; // waiting for the database
    info!(request_id = REQUEST_ID.get(), "{table} query answered");
}

async fn load_user(latency: Duration) {
    info!(request_id = REQUEST_ID.get(), "loading the user");
    query("users", latency).await;
}

async fn load_orders(latency: Duration) {
    info!(request_id = REQUEST_ID.get(), "loading the orders");
    query("orders", latency).await;
}

/// Writes an audit record. `try_with` returns an error where `get` would
/// panic, since this runs in a task of its own, which may have no id.
/// (tokio does not export that error's type by name; `?` boxes it.)
async fn audit(work: Duration) -> Result<u64, BoxError> {
    sleep(work).await;
    let id = REQUEST_ID.try_with(|id| *id)?;
    info!(request_id = id, "audit record written");
    Ok(id)
}

/// One request: load the user and the orders, with an audit task beside.
/// Returns whether the audit task found the request id.
async fn handle_request(
    latency: Duration,
    audit_work: Duration,
    scoped: bool,
) -> Result<bool, BoxError> {
    info!(request_id = REQUEST_ID.get(), "request received");

    // Read the id here, in the request's own task, where it is set.
    let id = REQUEST_ID.get();
    let audit_task = audit(audit_work).lane(format!("audit {id}"));
    let audit_task = if scoped {
        // The value is handed to the new task, which scopes it again.
        tokio::spawn(REQUEST_ID.scope(id, audit_task))
    } else {
        // A new task starts with no task-local values at all.
        tokio::spawn(audit_task)
    };
    let audit_task = audit_task.cancellable(); // x can abort it, too

    load_user(latency).await;
    load_orders(latency).await;

    let audited = match audit_task.awaiting("JoinHandle").await {
        Ok(Ok(_)) => true,
        Ok(Err(e)) => {
            warn!(request_id = REQUEST_ID.get(), "the audit task failed: {e}");
            false
        }
        Err(e) if e.is_cancelled() => {
            info!(
                request_id = REQUEST_ID.get(),
                "the audit task was cancelled"
            );
            false
        }
        Err(e) => return Err(e.into()),
    };
    info!(request_id = REQUEST_ID.get(), "response sent");
    Ok(audited)
}

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let requests = knobs.int("requests");
    let step = knobs.millis("query_ms");
    let audit_work = knobs.millis("audit_ms");
    let scoped = knobs.choice("audit") == "scoped";

    let mut tasks = Vec::new();
    for id in 1..=requests {
        // Request `id` waits `id` steps on each query, so the requests
        // overlap and their log lines interleave.
        let request = handle_request(step * id as u32, audit_work, scoped);
        // `scope` sets REQUEST_ID to `id` whenever this future is polled:
        // every call inside it, however deep, reads its own request's id.
        let task = tokio::spawn(REQUEST_ID.scope(id, request).lane(format!("request {id}")));
        // `cancellable` lets you abort a request with x.
        tasks.push((id, task.cancellable()));
    }

    let mut audited = 0;
    for (id, task) in tasks {
        match task.awaiting("JoinHandle").await {
            Ok(found) => audited += u64::from(found?),
            Err(e) if e.is_cancelled() => info!("request {id} was cancelled"),
            Err(e) => return Err(e.into()),
        }
    }
    info!(requests, audited, "every request answered");
    Ok(())
}
