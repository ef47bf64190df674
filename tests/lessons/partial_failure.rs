//! `partial-failure`: items 1..=6 of 0.1 s, multiples of 3 fail. `join_all`
//! keeps every result (4 done, 2 failed at 0.1 s, each error logged);
//! `try_join_all` then stops at item 3 and cancels items 4 to 6.

use crate::support::*;
use lanes::trace::{EventKind, Level, Trace};

const ID: &str = "partial-failure";

fn line_of(needle: &str) -> u32 {
    source_line(ID, needle)
}

/// When the lane was polled, in order.
fn polls(trace: &Trace, name: &str) -> Vec<u64> {
    trace
        .lane_events(lane(trace, name))
        .filter(|e| matches!(e.kind, EventKind::Running))
        .map(|e| e.t_us)
        .collect()
}

/// Every warning: (time, lane name, text).
fn warnings(trace: &Trace) -> Vec<(u64, &str, &str)> {
    trace
        .logs()
        .into_iter()
        .filter(|(_, _, level, _)| *level == Level::Warn)
        .map(|(t, l, _, text)| (t, l.map_or("", |l| trace.lane_name(l)), text))
        .collect()
}

#[test]
fn join_all_4_done_and_2_failed_all_at_0_1_s() {
    let trace = run(ID, &[]);
    let main = lane(&trace, "main");
    assert_eq!(trace.lanes_starting_with("join_all ").len(), 6);
    for i in [1, 2, 4, 5] {
        let item = lane(&trace, &format!("join_all {i}"));
        assert_eq!(trace.parent(item), Some(main));
        assert_eq!(trace.first_run_us(item), Some(0));
        assert_eq!(done_at(&trace, item), s(0.1), "join_all {i}");
    }
    for i in [3, 6] {
        let item = lane(&trace, &format!("join_all {i}"));
        assert_eq!(trace.parent(item), Some(main));
        assert_eq!(
            failed_at(&trace, item),
            (s(0.1), format!("item {i}: bad record"))
        );
    }
}

#[test]
fn every_error_is_reported_with_a_summary() {
    let trace = run(ID, &[]);
    let half: Vec<_> = warnings(&trace)
        .into_iter()
        .filter(|w| w.2.starts_with("join_all"))
        .collect();
    assert_eq!(
        half,
        vec![
            (s(0.1), "main", "join_all error: item 3: bad record"),
            (s(0.1), "main", "join_all error: item 6: bad record"),
        ]
    );
    assert_eq!(
        logs_with(&trace, "join_all finished"),
        vec![(s(0.1), "main", "join_all finished failed=2 ok=4 took=100ms")]
    );
}

#[test]
fn try_join_all_starts_after_join_all_is_over() {
    let trace = run(ID, &[]);
    let main = lane(&trace, "main");
    let summary = trace
        .events()
        .iter()
        .position(|e| matches!(e.kind, EventKind::Log { .. }) && e.t_us == s(0.1))
        .unwrap();
    let tries = trace.lanes_starting_with("try_join_all ");
    assert_eq!(tries.len(), 6);
    for &item in &tries {
        assert_eq!(trace.parent(item), Some(main));
        assert_eq!(trace.first_run_us(item), Some(s(0.1)));
        let spawned = trace
            .events()
            .iter()
            .position(|e| e.lane == Some(item) && matches!(e.kind, EventKind::Spawned { .. }))
            .unwrap();
        assert!(
            spawned > summary,
            "{} spawned before part one ended",
            trace.lane_name(item)
        );
    }
    let sleep = Some(line_of("sleep(time).await"));
    for name in ["join_all 1", "try_join_all 6"] {
        let start = trace.first_run_us(lane(&trace, name)).unwrap();
        assert_eq!(
            trace.waits(lane(&trace, name)),
            vec![(start, "Sleep 100ms", sleep)]
        );
    }
}

#[test]
fn try_join_all_stops_at_item_3_and_cancels_4_to_6() {
    let trace = run(ID, &[]);
    assert_eq!(done_at(&trace, lane(&trace, "try_join_all 1")), s(0.2));
    assert_eq!(done_at(&trace, lane(&trace, "try_join_all 2")), s(0.2));
    assert_eq!(
        failed_at(&trace, lane(&trace, "try_join_all 3")),
        (s(0.2), "item 3: bad record".to_string())
    );
    for i in 4..=6 {
        let name = format!("try_join_all {i}");
        assert_eq!(cancelled_at(&trace, lane(&trace, &name)), s(0.2), "{name}");
        // Polled in list order and dropped after item 3's error: never
        // polled again once their sleeps were over.
        assert_eq!(polls(&trace, &name), vec![s(0.1)], "{name}");
        assert!(!trace.cancelled_by_you(lane(&trace, &name)));
    }
    for i in 1..=3 {
        assert_eq!(
            polls(&trace, &format!("try_join_all {i}")),
            vec![s(0.1), s(0.2)]
        );
    }
}

#[test]
fn main_logs_and_returns_the_first_error_at_0_2_s() {
    let trace = run(ID, &[]);
    let main = lane(&trace, "main");
    assert_eq!(
        warnings(&trace).last().copied(),
        Some((
            s(0.2),
            "main",
            "try_join_all stopped: item 3: bad record took=100ms"
        ))
    );
    assert_eq!(warnings(&trace).len(), 3);
    assert_eq!(
        failed_at(&trace, main),
        (s(0.2), "item 3: bad record".to_string())
    );
    assert_eq!(finished_at(&trace), s(0.2));
    assert_eq!(trace.log_time("try_join_all finished"), None);
    // main waits only on its own child lanes, in each half.
    assert_eq!(
        trace.waits(main),
        vec![(0, "join", None), (s(0.1), "join", None)]
    );
    assert_eq!(trace.max_alive(), 7);
}

#[test]
fn the_predict_answer_is_what_the_run_shows() {
    let trace = run(ID, &[]);
    let failed = (1..=6)
        .filter(|i| {
            let item = lane(&trace, &format!("join_all {i}"));
            matches!(
                trace.lane_end(item),
                Some(lanes::trace::LaneEnd::Failed(..))
            )
        })
        .count();
    assert_eq!(shown_choice(ID, &[]), Some(failed.to_string().as_str()));
    assert_eq!(shown_choice(ID, &[]), Some("2"));
    // Measured on the run with any knobs: no item fails, one does, all do,
    // and three (no choice).
    assert_eq!(shown_choice(ID, &["fail_every=7"]), Some("0"));
    assert_eq!(shown_choice(ID, &["fail_every=4"]), Some("1"));
    assert_eq!(shown_choice(ID, &["fail_every=1"]), Some("6"));
    assert_eq!(shown_choice(ID, &["fail_every=2"]), None);
}

#[test]
fn with_no_failure_both_halves_finish() {
    let trace = run(ID, &["fail_every=7"]);
    for i in 1..=6 {
        assert_eq!(
            done_at(&trace, lane(&trace, &format!("join_all {i}"))),
            s(0.1)
        );
        assert_eq!(
            done_at(&trace, lane(&trace, &format!("try_join_all {i}"))),
            s(0.2)
        );
    }
    assert!(warnings(&trace).is_empty());
    assert_eq!(
        trace.log_time("join_all finished failed=0 ok=6 took=100ms"),
        Some(s(0.1))
    );
    assert_eq!(
        trace.log_time("try_join_all finished ok=6 took=100ms"),
        Some(s(0.2))
    );
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(0.2));
}

#[test]
fn when_every_item_fails_try_join_all_stops_at_the_first() {
    let trace = run(ID, &["fail_every=1"]);
    assert_eq!(
        trace.log_time("join_all finished failed=6 ok=0 took=100ms"),
        Some(s(0.1))
    );
    assert_eq!(logs_with(&trace, "join_all error").len(), 6);
    assert_eq!(failed_at(&trace, lane(&trace, "try_join_all 1")).0, s(0.2));
    for i in 2..=6 {
        assert_eq!(
            cancelled_at(&trace, lane(&trace, &format!("try_join_all {i}"))),
            s(0.2)
        );
    }
    assert_eq!(
        failed_at(&trace, lane(&trace, "main")).1,
        "item 1: bad record"
    );
}

#[test]
fn past_30_items_try_join_all_draws_the_same_lanes() {
    // 31 futures take futures-util's FuturesOrdered path (the story's
    // "try items=31"): items 1 and 2 done, 3 failed, the rest cancelled.
    let trace = run(ID, &["items=31"]);
    assert_eq!(
        trace.log_time("join_all finished failed=10 ok=21 took=100ms"),
        Some(s(0.1))
    );
    assert_eq!(done_at(&trace, lane(&trace, "try_join_all 1")), s(0.2));
    assert_eq!(done_at(&trace, lane(&trace, "try_join_all 2")), s(0.2));
    assert_eq!(failed_at(&trace, lane(&trace, "try_join_all 3")).0, s(0.2));
    for i in 4..=31 {
        let name = format!("try_join_all {i}");
        assert_eq!(cancelled_at(&trace, lane(&trace, &name)), s(0.2), "{name}");
        assert_eq!(polls(&trace, &name), vec![s(0.1)], "{name}");
    }
}

#[test]
fn other_counts_and_times() {
    let trace = run(ID, &["items=3", "item_ms=250", "fail_every=2"]);
    let first_half: Vec<_> = logs_with(&trace, "join_all")
        .into_iter()
        .filter(|l| l.2.starts_with("join_all"))
        .collect();
    assert_eq!(
        first_half,
        vec![
            (s(0.25), "main", "join_all error: item 2: bad record"),
            (
                s(0.25),
                "main",
                "join_all finished failed=1 ok=2 took=250ms"
            ),
        ]
    );
    assert_eq!(done_at(&trace, lane(&trace, "try_join_all 1")), s(0.5));
    assert_eq!(failed_at(&trace, lane(&trace, "try_join_all 2")).0, s(0.5));
    assert_eq!(cancelled_at(&trace, lane(&trace, "try_join_all 3")), s(0.5));
    assert_eq!(
        trace.log_time("try_join_all stopped: item 2: bad record took=250ms"),
        Some(s(0.5))
    );

    let trace = run(ID, &["items=1", "item_ms=1", "fail_every=1"]);
    assert_eq!(
        trace.log_time("join_all finished failed=1 ok=0 took=1ms"),
        Some(s(0.001))
    );
    assert_eq!(
        trace.log_time("try_join_all stopped: item 1: bad record took=1ms"),
        Some(s(0.002))
    );
}

#[test]
fn no_lane_waits_on_unknown() {
    for knobs in [&[][..], &["fail_every=7"], &["items=30", "fail_every=1"]] {
        assert_no_unknown_waits(&run(ID, knobs));
    }
}

#[test]
fn deterministic() {
    assert_deterministic(ID, &[]);
    assert_deterministic(ID, &["items=31", "item_ms=70", "fail_every=4"]);
}
