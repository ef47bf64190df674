//! Three pages of five items, fetched one page at a time and handed out as
//! a `Stream`: processed as they come, or collected first.
use std::pin::pin;
use std::time::Duration;

use futures::stream::{self, Stream, StreamExt};
use lanes::prelude::*;
use tokio::time::{Instant, sleep};
use tracing::info;

/// Stands in for a call to a paged API: page `page` holds `per_page` items,
/// numbered on from the pages before it.
async fn fetch_page(page: u64, per_page: u64, latency: Duration) -> Vec<u64> {
    sleep(latency).await;
    let first = (page - 1) * per_page + 1;
    let items: Vec<u64> = (first..first + per_page).collect();
    info!(items = items.len(), "page {page} arrived");
    items
}

/// Every item of every page, as one stream. Calling this fetches nothing:
/// a stream, like a future, does its work only when it is polled.
fn paged_items(pages: u64, per_page: u64, latency: Duration) -> impl Stream<Item = u64> {
    // `unfold` keeps a state (the next page number) and, each time the
    // stream is asked for more, calls the closure with it. The closure's
    // future fetches one page and hands back the page and the next state,
    // or `None` to end the stream.
    let page_stream = stream::unfold(1, move |page| async move {
        if page > pages {
            return None;
        }
        let items = fetch_page(page, per_page, latency)
            .lane(format!("page {page}"))
            .await;
        Some((items, page + 1))
    });
    // A stream of pages becomes a stream of items: each page's items are
    // handed out one by one, and the next page is asked for only after
    // the last of them.
    page_stream.flat_map(stream::iter)
}

/// What main does with one item.
async fn process(item: u64, work: Duration, start: Instant) {
    sleep(work).await; // the work itself (a zero sleep is ready at once)
    info!("item {item} processed at {:?}", start.elapsed());
}

pub async fn run(knobs: Knobs) -> Result<(), BoxError> {
    let pages = knobs.int("pages");
    let per_page = knobs.int("per_page");
    let latency = knobs.millis("page_ms");
    let work = knobs.millis("work_ms");
    let start = Instant::now();

    // `next()` polls the stream where it stands, so the stream must be
    // pinned: `pin!` pins it on this function's stack.
    let mut items = pin!(paged_items(pages, per_page, latency));
    let mut processed = 0;

    if knobs.flag("collect") {
        // Drain the whole stream into a Vec, then process.
        let all: Vec<u64> = items.collect().awaiting("stream collect").await;
        info!(items = all.len(), "collected at {:?}", start.elapsed());
        for item in all {
            process(item, work, start)
                .lane(format!("item {item}"))
                .await;
            processed += 1;
        }
    } else {
        // Rust's `async for`: ask for the next item until there is none.
        while let Some(item) = items.next().awaiting("stream next").await {
            process(item, work, start)
                .lane(format!("item {item}"))
                .await;
            processed += 1;
        }
    }

    let took = start.elapsed();
    info!(items = processed, ?took, "every item processed");
    Ok(())
}
