//! One fetch awaited; then the same fetch created and never awaited.
use std::time::Duration;

use lanes::prelude::*;
use tokio::time::{Instant, sleep};
use tracing::info;

/// Stands in for a call to a slow user service.
async fn fetch_user(id: u64, latency: Duration) -> String {
    // The first line of the body: it logs the moment the body starts.
    info!("fetch_user({id}) starts");
    sleep(latency).await;
    format!("user {id}")
}

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let latency = knobs.millis("fetch_ms");
    let start = Instant::now();

    // Calling an async fn only builds a future. `.await` is what runs it:
    // `main` waits here until the fetch has finished.
    let user = fetch_user(1, latency).lane("fetch 1").await;
    info!("got {user} at {:?}", start.elapsed());

    // The same call again, but nobody awaits the future it returns.
    // Written as a bare statement, `fetch_user(2, latency);`, it would
    // compile with a warning; bound to a name, it compiles quietly.
    let forgotten = fetch_user(2, latency).lane("fetch 2");
    info!("fetch_user(2) created, not awaited");
    // Dropping a future throws it away, whatever it has not done yet.
    drop(forgotten);

    info!("main returns at {:?}", start.elapsed());
    Ok(())
}
