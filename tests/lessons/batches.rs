//! `batches`: 30 items, item i taking (1 + i mod 3) × 0.1 s, ten at a time:
//! in fixed batches with `join_all` (0.3 s a batch, 0.9 s in all), then in
//! a sliding window with `buffer_unordered(10)` (0.8 s).

use std::time::Duration;

use crate::support::*;
use lanes::catalog::catalog;
use lanes::engine::{Playback, Refusal};
use lanes::trace::{LaneId, Trace};

const ID: &str = "batches";

fn line_of(needle: &str) -> u32 {
    source_line(ID, needle)
}

/// How long item `i` takes with the default unit.
fn work(i: u64) -> u64 {
    (1 + i % 3) * s(0.1)
}

/// The item lanes under `parent`, with their numbers.
fn items_of(trace: &Trace, parent: &str) -> Vec<(u64, LaneId)> {
    trace
        .children(Some(lane(trace, parent)))
        .into_iter()
        .map(|l| {
            let name = trace.lane_name(l);
            let i = name.strip_prefix("item ").expect("an item lane");
            (i.parse().unwrap(), l)
        })
        .collect()
}

/// How many of these lanes are in flight (started, not ended) just after
/// `t_us`, once everything at `t_us` has happened.
fn in_flight_after(trace: &Trace, lanes: &[(u64, LaneId)], t_us: u64) -> usize {
    lanes
        .iter()
        .filter(|(_, l)| {
            trace.first_run_us(*l).is_some_and(|t| t <= t_us)
                && trace.lane_end(*l).is_some_and(|e| e.t_us() > t_us)
        })
        .count()
}

#[test]
fn lanes_nest_items_under_their_batch_or_the_window() {
    let trace = run(ID, &[]);
    let main = lane(&trace, "main");
    assert_eq!(trace.parent(main), None);
    assert_eq!(
        child_names(&trace, main),
        ["batch 1", "batch 2", "batch 3", "window"]
    );
    for (n, batch) in ["batch 1", "batch 2", "batch 3"].iter().enumerate() {
        let numbers: Vec<u64> = items_of(&trace, batch).iter().map(|x| x.0).collect();
        let first = n as u64 * 10 + 1;
        assert_eq!(numbers, (first..first + 10).collect::<Vec<_>>(), "{batch}");
    }
    let numbers: Vec<u64> = items_of(&trace, "window").iter().map(|x| x.0).collect();
    assert_eq!(numbers, (1..=30).collect::<Vec<_>>());
    assert_eq!(trace.lanes().len(), 1 + 4 + 60);
}

#[test]
fn each_batch_waits_for_its_slowest_item() {
    let trace = run(ID, &[]);
    for n in 0..3u64 {
        let name = format!("batch {}", n + 1);
        let start = n * s(0.3);
        let batch = lane(&trace, &name);
        assert_eq!(trace.first_run_us(batch), Some(start), "{name}");
        assert_eq!(done_at(&trace, batch), start + s(0.3), "{name}");
        for (i, item) in items_of(&trace, &name) {
            assert_eq!(trace.first_run_us(item), Some(start), "item {i}");
            assert_eq!(done_at(&trace, item), start + work(i), "item {i}");
        }
        let line = format!("batch {} done at {}ms", n + 1, (n + 1) * 300);
        assert_eq!(trace.log_time(&line), Some(start + s(0.3)), "{line}");
    }
    // The quick items of batch 1 are done long before the batch.
    let batch_1 = items_of(&trace, "batch 1");
    assert_eq!(in_flight_after(&trace, &batch_1, s(0.1)), 7);
    assert_eq!(in_flight_after(&trace, &batch_1, s(0.2)), 3);
    assert_eq!(
        trace.log_time("batches done items=30 took=900ms"),
        Some(s(0.9))
    );
}

#[test]
fn the_window_refills_at_once_and_takes_0_8_s() {
    let trace = run(ID, &[]);
    let window = lane(&trace, "window");
    let start = s(0.9);
    assert_eq!(trace.first_run_us(window), Some(start));
    let items = items_of(&trace, "window");
    // When each item starts, counted from the window's start: a place is
    // taken in the instant another item frees it.
    let starts: Vec<u64> = items
        .iter()
        .map(|(_, l)| trace.first_run_us(*l).unwrap() - start)
        .collect();
    let expected: Vec<u64> = [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // items 1 to 10
        1, 1, 1, // 11 to 13 take the places of 3, 6 and 9
        2, 2, 2, 2, 2, // 14 to 18
        3, 3, 3, 3, 3, 3, // 19 to 24
        4, 4, 4, 4, // 25 to 28
        5, 5, // 29 and 30
    ]
    .iter()
    .map(|&tenths| tenths * s(0.1))
    .collect();
    assert_eq!(starts, expected);
    for (i, item) in &items {
        let began = trace.first_run_us(*item).unwrap();
        assert_eq!(done_at(&trace, *item), began + work(*i), "item {i}");
    }
    // Ten in flight until nothing is left to start; then the tail.
    for tenths in 0..=4 {
        let t = start + tenths * s(0.1);
        assert_eq!(in_flight_after(&trace, &items, t), 10, "at {t} µs");
    }
    assert_eq!(in_flight_after(&trace, &items, s(1.4)), 7);
    assert_eq!(in_flight_after(&trace, &items, s(1.5)), 2);
    assert_eq!(in_flight_after(&trace, &items, s(1.6)), 1);
    assert_eq!(done_at(&trace, lane_in(&trace, &items, 29)), s(1.7));
    assert_eq!(done_at(&trace, window), s(1.7));
    assert_eq!(
        trace.log_time("window done items=30 took=800ms"),
        Some(s(1.7))
    );
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(1.7));
    assert_eq!(finished_at(&trace), s(1.7));
}

fn lane_in(_trace: &Trace, items: &[(u64, LaneId)], number: u64) -> LaneId {
    items
        .iter()
        .find(|(i, _)| *i == number)
        .expect("the item")
        .1
}

#[test]
fn items_wait_on_their_sleep_and_the_rest_on_their_children() {
    let trace = run(ID, &[]);
    let sleep = Some(line_of("sleep(unit * (1 + i % 3) as u32).await"));
    for parent in ["batch 1", "window"] {
        let (_, item_2) = items_of(&trace, parent)[1];
        let waits = trace.waits(item_2);
        assert!(
            waits.iter().all(|w| (w.1, w.2) == ("Sleep 300ms", sleep)),
            "{parent}"
        );
    }
    let (_, item_2) = items_of(&trace, "window")[1];
    assert_eq!(trace.waits(item_2), [(s(0.9), "Sleep 300ms", sleep)]);
    let (_, item_3) = items_of(&trace, "window")[2];
    assert_eq!(trace.waits(item_3)[0], (s(0.9), "Sleep 100ms", sleep));
    // join_all polls all ten items each time it is woken (a short list
    // is polled whole): item 2 of a batch waits anew at 0.1 s and 0.2 s.
    // In the window, only the items that were woken are polled.
    let (_, item_2) = items_of(&trace, "batch 1")[1];
    let at: Vec<u64> = trace.waits(item_2).iter().map(|w| w.0).collect();
    assert_eq!(at, [0, s(0.1), s(0.2)]);
    // The batches and the window wait on the waits the lesson names.
    let join_all = Some(line_of(".awaiting(\"join_all\").await"));
    let buffered = Some(line_of(".awaiting(\"buffer_unordered\").await"));
    for (name, on, line) in [
        ("batch 1", "join_all", join_all),
        ("batch 2", "join_all", join_all),
        ("batch 3", "join_all", join_all),
        ("window", "buffer_unordered", buffered),
        ("main", "join", None),
    ] {
        let waits = trace.waits(lane(&trace, name));
        assert!(!waits.is_empty(), "{name}");
        assert!(
            waits.iter().all(|w| (w.1, w.2) == (on, line)),
            "{name}: {waits:?}"
        );
    }
    // One wait a poll: the window is polled at every 0.1 s from 0.9 s to 1.6 s.
    let at: Vec<u64> = trace
        .waits(lane(&trace, "window"))
        .iter()
        .map(|w| w.0)
        .collect();
    assert_eq!(at, (9..=16).map(|t| t * s(0.1)).collect::<Vec<_>>());
}

#[test]
fn the_predict_answer_is_what_the_run_shows() {
    let trace = run(ID, &[]);
    let window = lane(&trace, "window");
    let took = done_at(&trace, window) - trace.first_run_us(window).unwrap();
    let shown = lanes::render::text::seconds(took);
    assert_eq!(shown, "0.8 s");
    assert_eq!(shown_choice(ID, &[]), Some(shown.as_str()));
    // Twenty items tie with their batches at 0.6 s; a shorter unit too.
    assert_eq!(shown_choice(ID, &["items=20"]), Some("0.6 s"));
    assert_eq!(shown_choice(ID, &["unit_ms=75"]), Some("0.6 s"));
    // A window of five takes 1.3 s: no choice says so.
    assert_eq!(shown_choice(ID, &["batch=5"]), None);
    let lesson = catalog().unwrap().lesson(ID).unwrap();
    let question = lesson.question(&lesson.default_knobs());
    assert!(
        question.starts_with("main processes 30 items; item i takes (1 + i mod 3) × 0.1 s.")
            && question.contains("batches of 10")
            && question.contains("buffer_unordered(10)"),
        "{question}"
    );
}

#[test]
fn smaller_batches_and_a_short_last_batch() {
    let trace = run(ID, &["batch=5"]);
    assert_eq!(trace.log_time("batch 6 done at 1.8s"), Some(s(1.8)));
    assert_eq!(
        trace.log_time("batches done items=30 took=1.8s"),
        Some(s(1.8))
    );
    assert_eq!(
        trace.log_time("window done items=30 took=1.3s"),
        Some(s(3.1))
    );
    let items = items_of(&trace, "window");
    for tenths in 0..13 {
        let t = s(1.8) + tenths * s(0.1);
        assert!(in_flight_after(&trace, &items, t) <= 5, "at {t} µs");
    }

    // One more item makes a fourth batch, item 31 alone (0.2 s); the
    // window absorbs it.
    let trace = run(ID, &["items=31"]);
    assert_eq!(items_of(&trace, "batch 4").len(), 1);
    assert_eq!(trace.log_time("batch 4 done at 1.1s"), Some(s(1.1)));
    assert_eq!(
        trace.log_time("window done items=31 took=800ms"),
        Some(s(1.9))
    );
}

#[test]
fn one_batch_of_everything_and_odd_times_log_exactly() {
    let trace = run(ID, &["batch=30"]);
    assert_eq!(
        child_names(&trace, lane(&trace, "main")),
        ["batch 1", "window"]
    );
    assert_eq!(
        trace.log_time("batches done items=30 took=300ms"),
        Some(s(0.3))
    );
    assert_eq!(
        trace.log_time("window done items=30 took=300ms"),
        Some(s(0.6))
    );

    let trace = run(ID, &["unit_ms=75"]);
    assert_eq!(
        trace.log_time("batches done items=30 took=675ms"),
        Some(s(0.675))
    );
    assert_eq!(
        trace.log_time("window done items=30 took=600ms"),
        Some(s(1.275))
    );

    let trace = run(ID, &["items=1", "unit_ms=1", "batch=1"]);
    let lines: Vec<&str> = logs_with(&trace, "done").iter().map(|l| l.2).collect();
    assert_eq!(
        lines,
        [
            "batch 1 done at 2ms",
            "batches done items=1 took=2ms",
            "window done items=1 took=2ms"
        ]
    );
}

#[test]
fn no_lane_waits_on_unknown() {
    // Batches of more than 30 make join_all use FuturesOrdered, which
    // polls only the items that were woken, as the window does.
    for knobs in [
        &[][..],
        &["batch=5"],
        &["items=31", "batch=7"],
        &["items=100", "batch=50"],
    ] {
        let trace = run(ID, knobs);
        assert_no_unknown_waits(&trace);
    }
}

#[test]
fn deterministic() {
    assert_deterministic(ID, &[]);
    assert_deterministic(ID, &["items=47", "unit_ms=33", "batch=6"]);
}

#[test]
fn live_an_item_is_in_place_and_cannot_be_cancelled() {
    let lesson = catalog().unwrap().lesson(ID).unwrap();
    let mut playback = Playback::new(lesson.run_spec(lesson.default_knobs()), true);
    playback.tick(Duration::from_millis(50));
    pump_until(&mut playback, "batch 1", |t| {
        t.lane_named("item 10")
            .is_some_and(|l| t.first_run_us(l).is_some())
    });
    let item = lane(playback.trace(), "item 2");
    assert_eq!(playback.cancel(item), Err(Refusal::InPlace));
    let batch = lane(playback.trace(), "batch 1");
    assert_eq!(playback.cancel(batch), Err(Refusal::InPlace));
}
