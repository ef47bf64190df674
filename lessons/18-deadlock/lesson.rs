//! Two transfers, each taking two account locks, in opposite orders.
use std::sync::Arc;
use std::time::Duration;

use lanes::prelude::*;
use tokio::sync::Mutex;
use tokio::time::{Instant, sleep};
use tracing::info;

/// An account: a number that can fix the order of locking, and a balance
/// behind a lock of its own.
type Account = (u32, Arc<Mutex<u64>>);

/// Moves `amount` from one account to the other, holding both locks so that
/// no one sees the money in neither or in both.
async fn transfer(from: Account, to: Account, amount: u64, step: Duration, one_order: bool) {
    // Which lock to take first: the payer's, or, with one order for all,
    // the lower-numbered account's, whichever way the money goes.
    let from_first = !one_order || from.0 < to.0;
    let (first, second) = if from_first {
        (&from.1, &to.1)
    } else {
        (&to.1, &from.1)
    };

    let mut first = first.lock().await;
    sleep(step).await; // checks the first balance
    let mut second = second.lock().await;
    let (payer, payee) = if from_first {
        (&mut *first, &mut *second)
    } else {
        (&mut *second, &mut *first)
    };
    *payer -= amount;
    *payee += amount;
    sleep(step).await; // writes both records
    info!(amount, "moved");
} // both guards drop here: both locks are free again

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let step = knobs.millis("step_ms");
    let one_order = knobs.flag("one_order");
    let start = Instant::now();

    let alice: Account = (1, Arc::new(Mutex::new(100)));
    let bob: Account = (2, Arc::new(Mutex::new(100)));

    // Alice pays Bob while Bob pays Alice: each task locks its payer first.
    let alice_pays = transfer(alice.clone(), bob.clone(), 30, step, one_order);
    let bob_pays = transfer(bob.clone(), alice.clone(), 20, step, one_order);
    let first = tokio::spawn(alice_pays.lane("alice pays bob")).cancellable();
    let second = tokio::spawn(bob_pays.lane("bob pays alice")).cancellable();

    first.awaiting("JoinHandle").await?;
    second.awaiting("JoinHandle").await?;
    let (a, b) = (*alice.1.lock().await, *bob.1.lock().await);
    info!(
        alice = a,
        bob = b,
        "both transfers done at {:?}",
        start.elapsed()
    );
    Ok(())
}
