//! `task-group`: 5 workers in a JoinSet (worker i takes i s); worker 3 fails
//! at 1.5 s and the unfinished siblings are aborted.

use crate::support::*;
use lanes::catalog::catalog;
use lanes::trace::{EventKind, Trace};

fn line_of(needle: &str) -> u32 {
    source_line("task-group", needle)
}

/// Index of the lane's last event (its end) in the whole trace.
fn end_index(trace: &Trace, name: &str) -> usize {
    let id = lane(trace, name);
    let last = trace.lane_events(id).last().expect("lane has events");
    trace
        .events()
        .iter()
        .position(|e| std::ptr::eq(e, last))
        .unwrap()
}

#[test]
fn worker_1_finishes_at_1_0_s_before_the_failure() {
    let trace = run("task-group", &[]);
    assert_eq!(done_at(&trace, lane(&trace, "worker 1")), s(1.0));
    assert_eq!(trace.log_time("worker 1 finished at 1s"), Some(s(1.0)));
}

#[test]
fn worker_3_fails_at_1_5_s() {
    let trace = run("task-group", &[]);
    assert_eq!(
        failed_at(&trace, lane(&trace, "worker 3")),
        (s(1.5), "worker 3: disk full".to_string())
    );
    assert_eq!(
        trace.log_time("worker 3: disk full at 1.5s: aborting any others"),
        Some(s(1.5))
    );
}

#[test]
fn every_unfinished_sibling_is_cancelled_at_1_5_s() {
    let trace = run("task-group", &[]);
    for name in ["worker 2", "worker 4", "worker 5"] {
        assert_eq!(cancelled_at(&trace, lane(&trace, name)), s(1.5), "{name}");
    }
    assert_eq!(
        trace.log_time("the group is empty at 1.5s aborted=3"),
        Some(s(1.5))
    );
}

#[test]
fn nothing_outlives_the_group() {
    let trace = run("task-group", &[]);
    let main = lane(&trace, "main");
    assert_eq!(
        failed_at(&trace, main),
        (s(1.5), "worker 3: disk full".to_string())
    );
    assert_eq!(finished_at(&trace), s(1.5));
    // main's lane ends after every worker's lane has ended.
    let main_end = end_index(&trace, "main");
    for i in 1..=5 {
        let worker = format!("worker {i}");
        assert!(
            end_index(&trace, &worker) < main_end,
            "{worker} ends after main"
        );
    }
    // And it is the last lane event of the run.
    let later_lane_events = trace.events()[main_end + 1..]
        .iter()
        .filter(|e| !matches!(e.kind, EventKind::End { .. }))
        .count();
    assert_eq!(later_lane_events, 0);
}

#[test]
fn workers_are_children_of_main_and_wait_on_their_sleeps() {
    let trace = run("task-group", &[]);
    let main = lane(&trace, "main");
    let workers = trace.lanes_starting_with("worker ");
    assert_eq!(workers.len(), 5);
    assert_eq!(trace.children(Some(main)), workers);
    assert_eq!(trace.max_alive(), 6);
    let work = Some(line_of("sleep(Duration::from_secs(i)).await"));
    let failing = Some(line_of("sleep(fail_at).await"));
    assert_eq!(
        trace.waits(lane(&trace, "worker 1")),
        vec![(0, "Sleep 1s", work)]
    );
    assert_eq!(
        trace.waits(lane(&trace, "worker 2")),
        vec![(0, "Sleep 2s", work)]
    );
    assert_eq!(
        trace.waits(lane(&trace, "worker 3")),
        vec![(0, "Sleep 1.5s", failing)]
    );
    assert_eq!(
        trace.waits(lane(&trace, "worker 5")),
        vec![(0, "Sleep 5s", work)]
    );
}

#[test]
fn main_waits_on_join_next() {
    let trace = run("task-group", &[]);
    let waits = trace.waits(lane(&trace, "main"));
    assert!(!waits.is_empty());
    assert!(
        waits.iter().all(|w| w.1 == "JoinSet::join_next"),
        "{waits:?}"
    );
    let source = catalog().unwrap().lesson("task-group").unwrap().source;
    let lines: Vec<&str> = source.lines().collect();
    for (t, _, line) in &waits {
        let line = line.expect("a labelled wait has a line") as usize;
        assert!(
            lines[line - 1].contains("join_next()"),
            "wait at {t} µs on line {line}"
        );
    }
    // The drain after `abort_all` waits on its own call, at 1.5 s.
    assert_eq!(waits.last().unwrap().0, s(1.5));
    assert_ne!(waits.last().unwrap().2, waits[0].2);
}

#[test]
fn the_predict_answer_is_what_the_run_shows() {
    // The question asks when `main` returns: once the set is drained, when
    // the last worker has stopped.
    let trace = run("task-group", &[]);
    let (returned, _) = failed_at(&trace, lane(&trace, "main"));
    let stopped = cancelled_at(&trace, lane(&trace, "worker 5"));
    assert_eq!(returned, stopped);
    let shown = lanes::render::text::seconds(finished_at(&trace));
    assert_eq!(shown, lanes::render::text::seconds(returned));
    assert_eq!(shown_choice("task-group", &[]), Some(shown.as_str()));
    // Other knobs are measured the same way: with no failure, main returns
    // when worker 5 is done; a failure after every other worker has
    // finished ends the run at that failure, which no choice names.
    assert_eq!(shown_choice("task-group", &["failing=0"]), Some("5.0 s"));
    assert_eq!(
        shown_choice("task-group", &["fail_at_ms=10000"]),
        None,
        "main returns at 10.0 s"
    );
}

#[test]
fn with_no_failure_every_worker_finishes() {
    let trace = run("task-group", &["failing=0"]);
    for i in 1..=5u64 {
        assert_eq!(
            done_at(&trace, lane(&trace, &format!("worker {i}"))),
            s(1.0) * i
        );
    }
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(5.0));
    assert_eq!(trace.log_time("every worker finished at 5s"), Some(s(5.0)));
}

#[test]
fn one_worker_and_odd_times_log_exactly() {
    let trace = run("task-group", &["workers=1", "failing=0"]);
    let lines: Vec<&str> = logs_with(&trace, "finished").iter().map(|l| l.2).collect();
    assert_eq!(
        lines,
        ["worker 1 finished at 1s", "every worker finished at 1s"]
    );
    // The only worker fails: there is no other to abort.
    let trace = run("task-group", &["workers=1", "failing=1", "fail_at_ms=150"]);
    assert_eq!(
        trace.log_time("worker 1: disk full at 150ms: aborting any others"),
        Some(s(0.15))
    );
    assert_eq!(
        trace.log_time("the group is empty at 150ms aborted=0"),
        Some(s(0.15))
    );
}

#[test]
fn a_later_failure_aborts_only_two() {
    let trace = run("task-group", &["fail_at_ms=2500"]);
    assert_eq!(done_at(&trace, lane(&trace, "worker 1")), s(1.0));
    assert_eq!(done_at(&trace, lane(&trace, "worker 2")), s(2.0));
    assert_eq!(failed_at(&trace, lane(&trace, "worker 3")).0, s(2.5));
    assert_eq!(cancelled_at(&trace, lane(&trace, "worker 4")), s(2.5));
    assert_eq!(cancelled_at(&trace, lane(&trace, "worker 5")), s(2.5));
    assert_eq!(
        trace.log_time("the group is empty at 2.5s aborted=2"),
        Some(s(2.5))
    );
    assert_eq!(failed_at(&trace, lane(&trace, "main")).0, s(2.5));
}

#[test]
fn more_workers_and_another_failing_one() {
    let trace = run("task-group", &["workers=8", "failing=6", "fail_at_ms=3200"]);
    for i in 1..=3u64 {
        assert_eq!(
            done_at(&trace, lane(&trace, &format!("worker {i}"))),
            s(1.0) * i
        );
    }
    for i in [4, 5, 7, 8] {
        assert_eq!(
            cancelled_at(&trace, lane(&trace, &format!("worker {i}"))),
            s(3.2)
        );
    }
    assert_eq!(
        failed_at(&trace, lane(&trace, "worker 6")).1,
        "worker 6: disk full"
    );
    assert_eq!(finished_at(&trace), s(3.2));
}

#[test]
fn no_lane_waits_on_unknown() {
    for knobs in [&[][..], &["failing=0"]] {
        let trace = run("task-group", knobs);
        assert_no_unknown_waits(&trace);
    }
}

#[test]
fn deterministic() {
    assert_deterministic("task-group", &[]);
    assert_deterministic("task-group", &["workers=8", "failing=6", "fail_at_ms=3200"]);
}
