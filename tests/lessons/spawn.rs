//! `spawn`: A (2 s) and B (1 s) spawned; main works 0.5 s, then awaits A, then B.

use crate::support::*;

fn line_of(needle: &str) -> u32 {
    source_line("spawn", needle)
}

#[test]
fn b_done_at_1_0_s_a_at_2_0_s_main_at_2_0_s() {
    let trace = run("spawn", &[]);
    assert_eq!(done_at(&trace, lane(&trace, "task B")), s(1.0));
    assert_eq!(done_at(&trace, lane(&trace, "task A")), s(2.0));
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(2.0));
    assert_eq!(finished_at(&trace), s(2.0));
    assert_eq!(trace.log_time("B finished"), Some(s(1.0)));
    assert_eq!(trace.log_time("A finished"), Some(s(2.0)));
    assert_eq!(trace.log_time("A joined at 2s"), Some(s(2.0)));
    assert_eq!(trace.log_time("B joined at 2s"), Some(s(2.0)));
}

#[test]
fn tasks_run_while_main_does_its_own_work() {
    let trace = run("spawn", &[]);
    let main = lane(&trace, "main");
    let (a, b) = (lane(&trace, "task A"), lane(&trace, "task B"));
    assert_eq!(trace.parent(a), Some(main));
    assert_eq!(trace.parent(b), Some(main));
    // Both tasks start at 0.0 s, before main's 0.5 s of work is over.
    assert_eq!(trace.first_run_us(a), Some(0));
    assert_eq!(trace.first_run_us(b), Some(0));
    assert_eq!(
        trace.waits(a),
        vec![(0, "Sleep 2s", Some(line_of("sleep(time).await")))]
    );
    assert_eq!(
        trace.waits(b),
        vec![(0, "Sleep 1s", Some(line_of("sleep(time).await")))]
    );
    assert_eq!(trace.max_alive(), 3);
    // main: 0.5 s of its own work, then A's handle until 2.0 s; B's handle
    // is ready by then, so main never waits on it.
    assert_eq!(
        trace.waits(main),
        vec![
            (
                0,
                "Sleep 500ms",
                Some(line_of("sleep(knobs.millis(\"work_ms\")).await"))
            ),
            (
                s(0.5),
                "JoinHandle",
                Some(line_of("a.awaiting(\"JoinHandle\")"))
            ),
        ]
    );
    assert_eq!(trace.log_time("own work done at 500ms"), Some(s(0.5)));
}

#[test]
fn odd_times_are_logged_exactly() {
    let trace = run("spawn", &["work_ms=30", "b_ms=1234"]);
    let main: Vec<&str> = logs_with(&trace, " at ").iter().map(|l| l.2).collect();
    assert_eq!(
        main,
        ["own work done at 30ms", "A joined at 2s", "B joined at 2s"]
    );
    let trace = run("spawn", &["a_ms=700", "b_ms=1234", "work_ms=100"]);
    assert_eq!(trace.log_time("A joined at 700ms"), Some(s(0.7)));
    assert_eq!(trace.log_time("B joined at 1.234s"), Some(s(1.234)));
}

#[test]
fn no_lane_waits_on_unknown() {
    let trace = run("spawn", &[]);
    assert_no_unknown_waits(&trace);
}

#[test]
fn predict_answer_is_when_main_ends() {
    assert_eq!(shown_choice("spawn", &[]), Some("2.0 s"));
    let trace = run("spawn", &[]);
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(2.0));
}

#[test]
fn slower_b_makes_main_wait_on_its_handle_too() {
    let trace = run("spawn", &["b_ms=3000"]);
    let main = lane(&trace, "main");
    assert_eq!(done_at(&trace, lane(&trace, "task A")), s(2.0));
    assert_eq!(done_at(&trace, lane(&trace, "task B")), s(3.0));
    assert_eq!(done_at(&trace, main), s(3.0));
    let waits: Vec<(u64, &str)> = trace
        .waits(main)
        .into_iter()
        .map(|(t, on, _)| (t, on))
        .collect();
    assert_eq!(
        waits,
        vec![
            (0, "Sleep 500ms"),
            (s(0.5), "JoinHandle"),
            (s(2.0), "JoinHandle")
        ]
    );
    assert_eq!(
        trace.waits(main)[2].2,
        Some(line_of("b.awaiting(\"JoinHandle\")"))
    );
}

#[test]
fn long_own_work_means_no_waiting_for_handles() {
    let trace = run("spawn", &["work_ms=2500", "a_ms=1500"]);
    let main = lane(&trace, "main");
    assert_eq!(done_at(&trace, lane(&trace, "task A")), s(1.5));
    assert_eq!(done_at(&trace, lane(&trace, "task B")), s(1.0));
    assert_eq!(done_at(&trace, main), s(2.5));
    assert_eq!(
        trace.waits(main),
        vec![(
            0,
            "Sleep 2.5s",
            Some(line_of("sleep(knobs.millis(\"work_ms\")).await"))
        )]
    );
}

#[test]
fn deterministic() {
    assert_deterministic("spawn", &[]);
    assert_deterministic("spawn", &["a_ms=700", "b_ms=1300", "work_ms=100"]);
}
