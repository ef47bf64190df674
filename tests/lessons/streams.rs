//! `streams`: 3 pages of 5 items, 0.2 s per page, from a stream built with
//! `unfold`; each page's items processed as the page arrives (0.2, 0.4 and
//! 0.6 s), or all at 0.6 s when the stream is collected first.

use crate::support::*;
use lanes::trace::{LaneId, Trace};

const ID: &str = "streams";

fn line_of(needle: &str) -> u32 {
    source_line(ID, needle)
}

/// When the lane was created (its `spawned` event).
fn spawned_at(trace: &Trace, lane: LaneId) -> u64 {
    trace
        .lane_events(lane)
        .next()
        .expect("a spawned event")
        .t_us
}

/// (item number, time its lane ended done) for every `item N` lane.
fn items_done(trace: &Trace) -> Vec<(u64, u64)> {
    trace
        .lanes_starting_with("item ")
        .into_iter()
        .map(|l| {
            let number = trace.lane_name(l)["item ".len()..].parse().unwrap();
            (number, done_at(trace, l))
        })
        .collect()
}

#[test]
fn the_pages_are_fetched_one_after_another() {
    let trace = run(ID, &[]);
    let main = lane(&trace, "main");
    let sleep = Some(line_of("sleep(latency).await"));
    let pages = trace.lanes_starting_with("page ");
    assert_eq!(pages.len(), 3);
    for (i, &page) in pages.iter().enumerate() {
        let from = s(0.2) * i as u64;
        assert_eq!(trace.parent(page), Some(main));
        assert_eq!(spawned_at(&trace, page), from, "page {}", i + 1);
        assert_eq!(trace.first_run_us(page), Some(from));
        assert_eq!(done_at(&trace, page), from + s(0.2));
        assert_eq!(trace.waits(page), vec![(from, "Sleep 200ms", sleep)]);
    }
    assert_eq!(trace.log_time("page 2 arrived items=5"), Some(s(0.4)));
}

#[test]
fn each_page_s_items_are_processed_as_the_page_arrives() {
    let trace = run(ID, &[]);
    let expected: Vec<(u64, u64)> = (1..=15u64).map(|i| (i, s(0.2) * i.div_ceil(5))).collect();
    assert_eq!(items_done(&trace), expected);
    for (item, at) in &expected {
        let text = format!("item {item} processed at {}ms", at / 1000);
        let said = logs_with(&trace, &text);
        assert_eq!(said.len(), 1, "{text}");
        assert_eq!(
            (said[0].0, said[0].1),
            (*at, format!("item {item}").as_str())
        );
    }
    assert_eq!(
        trace.log_time("every item processed items=15 took=600ms"),
        Some(s(0.6))
    );
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(0.6));
    assert_eq!(finished_at(&trace), s(0.6));
}

#[test]
fn the_next_page_is_fetched_only_when_main_asks_for_its_first_item() {
    // Lanes are numbered in creation order: page 1, items 1-5, page 2,
    // items 6-10, page 3, items 11-15. Nothing is fetched ahead.
    let trace = run(ID, &[]);
    let names: Vec<&str> = child_names(&trace, lane(&trace, "main"));
    let mut expected = Vec::new();
    for page in 1..=3 {
        expected.push(format!("page {page}"));
        for item in (page - 1) * 5 + 1..=page * 5 {
            expected.push(format!("item {item}"));
        }
    }
    assert_eq!(names, expected);
}

#[test]
fn main_waits_on_stream_next() {
    let trace = run(ID, &[]);
    let next = Some(line_of(".awaiting(\"stream next\")"));
    // After page 3 the stream ends at once: no fourth wait.
    assert_eq!(
        trace.waits(lane(&trace, "main")),
        vec![
            (0, "stream next", next),
            (s(0.2), "stream next", next),
            (s(0.4), "stream next", next),
        ]
    );
}

#[test]
fn collected_first_nothing_is_processed_before_the_last_page() {
    let trace = run(ID, &["collect=true"]);
    let pages = trace.lanes_starting_with("page ");
    let ends: Vec<u64> = pages.iter().map(|&p| done_at(&trace, p)).collect();
    assert_eq!(ends, [s(0.2), s(0.4), s(0.6)]);
    let expected: Vec<(u64, u64)> = (1..=15).map(|i| (i, s(0.6))).collect();
    assert_eq!(items_done(&trace), expected);
    assert_eq!(trace.log_time("collected at 600ms items=15"), Some(s(0.6)));
    assert_eq!(trace.log_time("item 1 processed at 600ms"), Some(s(0.6)));
    // Every page lane comes before the first item lane.
    let first_item = lane(&trace, "item 1");
    assert!(pages.iter().all(|&p| p < first_item));
    let collect = Some(line_of(".awaiting(\"stream collect\")"));
    assert_eq!(
        trace.waits(lane(&trace, "main")),
        vec![
            (0, "stream collect", collect),
            (s(0.2), "stream collect", collect),
            (s(0.4), "stream collect", collect),
        ]
    );
    assert_eq!(finished_at(&trace), s(0.6));
}

#[test]
fn the_predict_answer_is_what_the_run_shows() {
    let trace = run(ID, &[]);
    let item_1 = done_at(&trace, lane(&trace, "item 1"));
    let shown = lanes::render::text::seconds(item_1);
    assert_eq!(shown_choice(ID, &[]), Some(shown.as_str()));
    assert_eq!(shown_choice(ID, &[]), Some("0.2 s"));
    assert_eq!(shown_choice(ID, &["collect=true"]), Some("0.6 s"));
    // With one page there is nothing to wait for but that page.
    assert_eq!(
        shown_choice(ID, &["collect=true", "pages=1"]),
        Some("0.2 s")
    );
    // Work on each item: item 1 done at 0.23 s, which no choice names.
    assert_eq!(shown_choice(ID, &["work_ms=30"]), None);
}

#[test]
fn slow_processing_holds_up_the_next_page() {
    let trace = run(ID, &["work_ms=30"]);
    let item = Some(line_of("sleep(work).await"));
    let item_5 = lane(&trace, "item 5");
    assert_eq!(trace.waits(item_5), vec![(s(0.32), "Sleep 30ms", item)]);
    assert_eq!(done_at(&trace, item_5), s(0.35));
    // Page 2 is asked for only once item 5 is done: 0.35 s, not 0.2 s.
    let page_2 = lane(&trace, "page 2");
    assert_eq!(spawned_at(&trace, page_2), s(0.35));
    assert_eq!(done_at(&trace, page_2), s(0.55));
    assert_eq!(done_at(&trace, lane(&trace, "page 3")), s(0.9));
    assert_eq!(
        trace.log_time("every item processed items=15 took=1.05s"),
        Some(s(1.05))
    );
    // Collecting first takes just as long in all.
    let trace = run(ID, &["work_ms=30", "collect=true"]);
    assert_eq!(done_at(&trace, lane(&trace, "page 3")), s(0.6));
    assert_eq!(done_at(&trace, lane(&trace, "item 1")), s(0.63));
    assert_eq!(finished_at(&trace), s(1.05));
}

#[test]
fn other_sizes_and_odd_times_log_exactly() {
    let trace = run(ID, &["pages=2", "per_page=1", "page_ms=7"]);
    assert_eq!(items_done(&trace), [(1, s(0.007)), (2, s(0.014))]);
    assert_eq!(trace.log_time("page 2 arrived items=1"), Some(s(0.014)));
    assert_eq!(
        trace.log_time("every item processed items=2 took=14ms"),
        Some(s(0.014))
    );
    let trace = run(ID, &["pages=4", "per_page=3", "page_ms=1500"]);
    assert_eq!(trace.lanes_starting_with("item ").len(), 12);
    assert_eq!(done_at(&trace, lane(&trace, "item 10")), s(6.0));
    assert_eq!(trace.log_time("item 7 processed at 4.5s"), Some(s(4.5)));
}

#[test]
fn no_lane_waits_on_unknown() {
    for knobs in [&[][..], &["collect=true"], &["work_ms=30"]] {
        let trace = run(ID, knobs);
        assert_no_unknown_waits(&trace);
    }
}

#[test]
fn deterministic() {
    assert_deterministic(ID, &[]);
    assert_deterministic(ID, &["collect=true", "work_ms=20", "pages=4"]);
}
