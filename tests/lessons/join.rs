//! `join`: 10 fetches of 0.5 s, one by one (5.0 s), then with `join_all` (0.5 s).

use crate::support::*;

fn line_of(needle: &str) -> u32 {
    source_line("join", needle)
}

#[test]
fn sequential_fetches_run_one_after_another_for_5_0_s() {
    let trace = run("join", &[]);
    let main = lane(&trace, "main");
    assert_eq!(trace.lanes_starting_with("sequential ").len(), 10);
    for i in 1..=10u64 {
        let fetch = lane(&trace, &format!("sequential {i}"));
        assert_eq!(trace.parent(fetch), Some(main));
        assert_eq!(
            trace.first_run_us(fetch),
            Some(s(0.5) * (i - 1)),
            "sequential {i} starts"
        );
        assert_eq!(done_at(&trace, fetch), s(0.5) * i, "sequential {i} ends");
    }
    assert_eq!(done_at(&trace, lane(&trace, "sequential 10")), s(5.0));
    assert_eq!(
        trace.log_time("sequential fetch done users=10 took=5s"),
        Some(s(5.0))
    );
}

#[test]
fn concurrent_fetches_run_side_by_side_for_0_5_s() {
    let trace = run("join", &[]);
    let main = lane(&trace, "main");
    assert_eq!(trace.lanes_starting_with("concurrent ").len(), 10);
    for i in 1..=10 {
        let fetch = lane(&trace, &format!("concurrent {i}"));
        assert_eq!(trace.parent(fetch), Some(main));
        assert_eq!(
            trace.first_run_us(fetch),
            Some(s(5.0)),
            "concurrent {i} starts"
        );
        assert_eq!(done_at(&trace, fetch), s(5.5), "concurrent {i} ends");
    }
    // main and all ten concurrent fetches alive together; never more.
    assert_eq!(trace.max_alive(), 11);
    assert_eq!(
        trace.log_time("concurrent fetch done users=10 took=500ms"),
        Some(s(5.5))
    );
    assert_eq!(trace.log_time("first: user 1, last: user 10"), Some(s(5.5)));
    assert_eq!(done_at(&trace, main), s(5.5));
    assert_eq!(finished_at(&trace), s(5.5));
}

#[test]
fn fetches_wait_on_their_sleep_and_main_on_join() {
    let trace = run("join", &[]);
    let sleep_line = line_of("sleep(latency).await");
    for name in ["sequential", "concurrent"] {
        for i in 1..=10 {
            let fetch = lane(&trace, &format!("{name} {i}"));
            let start = trace.first_run_us(fetch).unwrap();
            assert_eq!(
                trace.waits(fetch),
                vec![(start, "Sleep 500ms", Some(sleep_line))],
                "{name} {i}"
            );
        }
    }
    let main = lane(&trace, "main");
    let waits = trace.waits(main);
    assert!(!waits.is_empty());
    assert!(
        waits.iter().all(|&(_, on, _)| on == "join"),
        "main waits: {waits:?}"
    );
}

#[test]
fn no_lane_waits_on_unknown() {
    let trace = run("join", &[]);
    assert_no_unknown_waits(&trace);
}

#[test]
fn predict_answer_is_the_measured_concurrent_total() {
    assert_eq!(shown_choice("join", &[]), Some("0.5 s"));
    let trace = run("join", &[]);
    let first = trace.first_run_us(lane(&trace, "concurrent 1")).unwrap();
    assert_eq!(finished_at(&trace) - first, s(0.5));
}

#[test]
fn knobs_change_count_and_fetch_time() {
    // The story's "try it": 100 users take 50.0 s one by one, still 0.5 s together.
    let trace = run("join", &["users=100"]);
    assert_eq!(
        trace.log_time("sequential fetch done users=100 took=50s"),
        Some(s(50.0))
    );
    assert_eq!(
        trace.log_time("concurrent fetch done users=100 took=500ms"),
        Some(s(50.5))
    );
    assert_eq!(done_at(&trace, lane(&trace, "concurrent 100")), s(50.5));

    let trace = run("join", &["users=3", "fetch_ms=200"]);
    assert_eq!(trace.lanes_starting_with("sequential ").len(), 3);
    assert_eq!(trace.lanes_starting_with("concurrent ").len(), 3);
    assert_eq!(done_at(&trace, lane(&trace, "sequential 3")), s(0.6));
    assert_eq!(done_at(&trace, lane(&trace, "concurrent 3")), s(0.8));
    assert_eq!(
        trace.waits(lane(&trace, "concurrent 2"))[0].1,
        "Sleep 200ms"
    );
    assert_eq!(
        trace.log_time("sequential fetch done users=3 took=600ms"),
        Some(s(0.6))
    );
    assert_eq!(
        trace.log_time("concurrent fetch done users=3 took=200ms"),
        Some(s(0.8))
    );
}

#[test]
fn one_user_and_odd_fetch_times_log_exactly() {
    let trace = run("join", &["users=1", "fetch_ms=15"]);
    assert_eq!(
        logs_with(&trace, "fetch done"),
        [
            (s(0.015), "main", "sequential fetch done users=1 took=15ms"),
            (s(0.03), "main", "concurrent fetch done users=1 took=15ms"),
        ]
    );
    assert_eq!(trace.log_time("first: user 1, last: user 1"), Some(s(0.03)));
}

#[test]
fn the_question_is_judged_on_the_concurrent_line_with_any_knobs() {
    // One user at the default fetch time still shows 0.5 s.
    assert_eq!(shown_choice("join", &["users=1"]), Some("0.5 s"));
    // The join_all half takes one fetch time: 300ms is no choice, so the
    // run is not scored; 1.0 s and 5.0 s are.
    assert_eq!(shown_choice("join", &["users=1", "fetch_ms=300"]), None);
    assert_eq!(
        shown_choice("join", &["users=3", "fetch_ms=1000"]),
        Some("1.0 s")
    );
    assert_eq!(shown_choice("join", &["fetch_ms=5000"]), Some("5.0 s"));
}

#[test]
fn deterministic() {
    assert_deterministic("join", &[]);
    assert_deterministic("join", &["users=25", "fetch_ms=70"]);
}
