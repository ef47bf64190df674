//! Ten user fetches: first one after another, then all at once.
use std::time::Duration;

use futures::future::join_all;
use lanes::prelude::*;
use tokio::time::{Instant, sleep};
use tracing::info;

/// Stands in for a call to a slow user service.
async fn fetch_user(id: usize, latency: Duration) -> String {
    sleep(latency).await;
    format!("user {id}")
}

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let users = knobs.count("users");
    let latency = knobs.millis("fetch_ms");

    // Sequential: each `.await` runs one fetch to its end before the loop
    // even creates the next one.
    let start = Instant::now();
    let mut names = Vec::new();
    for id in 1..=users {
        let name = fetch_user(id, latency)
            .lane(format!("sequential {id}"))
            .await;
        names.push(name);
    }
    let took = start.elapsed();
    // Facts go in fields after the message; `?took` records the Duration
    // by its `Debug` form, which is exact.
    info!(users = names.len(), ?took, "sequential fetch done");

    // Concurrent: `join_all` takes every future up front and polls them all
    // from this one task, each time it is woken.
    let start = Instant::now();
    let fetches = (1..=users).map(|id| fetch_user(id, latency).lane(format!("concurrent {id}")));
    let names = join_all(fetches).await;
    let took = start.elapsed();
    info!(users = names.len(), ?took, "concurrent fetch done");

    // Results come back in the order the futures were given, not the
    // order they finished, just like `asyncio.gather`.
    info!("first: {}, last: {}", names[0], names[names.len() - 1]);
    Ok(())
}
