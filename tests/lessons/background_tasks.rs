//! `background-tasks`: a handler works 0.1 s, spawns 3 analytics jobs of
//! 0.3 s and returns; `main` waits for them on a `TaskTracker` at shutdown,
//! or (without the tracker) returns and the runtime cuts them off.

use crate::support::*;
use lanes::trace::{Level, Trace};

fn line_of(needle: &str) -> u32 {
    source_line("background-tasks", needle)
}

/// `main`'s log lines: (time, text).
fn main_logs(trace: &Trace) -> Vec<(u64, String)> {
    let main = lane(trace, "main");
    trace
        .logs()
        .into_iter()
        .filter(|(_, l, ..)| *l == Some(main))
        .map(|(t, _, _, text)| (t, text.to_string()))
        .collect()
}

const JOBS: [&str; 3] = ["analytics 1", "analytics 2", "analytics 3"];

#[test]
fn the_handler_is_done_at_0_1_s_and_the_jobs_at_0_4_s() {
    let trace = run("background-tasks", &[]);
    let handler = lane(&trace, "handler");
    assert_eq!(done_at(&trace, handler), s(0.1));
    for name in JOBS {
        let job = lane(&trace, name);
        // Spawned by the handler, they outlive it.
        assert_eq!(trace.parent(job), Some(handler), "{name}");
        assert_eq!(trace.first_run_us(job), Some(s(0.1)), "{name}");
        assert_eq!(done_at(&trace, job), s(0.4), "{name}");
    }
    assert_eq!(child_names(&trace, handler), JOBS);
    assert_eq!(
        logs_with(&trace, "recorded"),
        JOBS.iter()
            .map(|name| (s(0.4), *name, "recorded"))
            .collect::<Vec<_>>()
    );
    // main and the three jobs: the handler returns before the jobs first run.
    assert_eq!(trace.max_alive(), 4);
}

#[test]
fn main_waits_for_the_jobs_at_shutdown() {
    let trace = run("background-tasks", &[]);
    let main = lane(&trace, "main");
    assert_eq!(child_names(&trace, main), ["handler"]);
    assert_eq!(
        main_logs(&trace),
        vec![
            (s(0.1), "answered 200 OK at 100ms".to_string()),
            (
                s(0.1),
                "waiting for background jobs in_flight=3".to_string()
            ),
            (s(0.4), "background jobs over at 400ms".to_string()),
            (s(0.4), "main returns at 400ms".to_string()),
        ]
    );
    assert_eq!(done_at(&trace, main), s(0.4));
    assert_eq!(finished_at(&trace), s(0.4));
}

#[test]
fn lanes_say_what_they_wait_on() {
    let trace = run("background-tasks", &[]);
    assert_eq!(
        trace.waits(lane(&trace, "main")),
        vec![
            (
                0,
                "JoinHandle",
                Some(line_of("handler.awaiting(\"JoinHandle\")"))
            ),
            (
                s(0.1),
                "TaskTracker::wait",
                Some(line_of("tracker.wait().awaiting("))
            ),
        ]
    );
    assert_eq!(
        trace.waits(lane(&trace, "handler")),
        vec![(0, "Sleep 100ms", Some(line_of("sleep(work).await")))]
    );
    let call = Some(line_of("sleep(took).await"));
    for name in JOBS {
        assert_eq!(
            trace.waits(lane(&trace, name)),
            vec![(s(0.1), "Sleep 300ms", call)],
            "{name}"
        );
    }
}

#[test]
fn without_the_tracker_main_returns_at_0_1_s_and_the_jobs_are_cut_off() {
    let trace = run("background-tasks", &["track=false"]);
    assert_eq!(done_at(&trace, lane(&trace, "handler")), s(0.1));
    for name in JOBS {
        let job = lane(&trace, name);
        // The dropped handles did not stop them: they started...
        assert_eq!(trace.first_run_us(job), Some(s(0.1)), "{name}");
        // ...and the end of the runtime did, as main returned.
        assert_eq!(cancelled_at(&trace, job), s(0.1), "{name}");
        assert!(!trace.cancelled_by_you(job));
    }
    assert!(logs_with(&trace, "recorded").is_empty());
    assert_eq!(
        main_logs(&trace),
        vec![
            (s(0.1), "answered 200 OK at 100ms".to_string()),
            (s(0.1), "main returns at 100ms".to_string()),
        ]
    );
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(0.1));
    assert_eq!(finished_at(&trace), s(0.1));
    // main never waits on a tracker.
    let waits = trace.waits(lane(&trace, "main"));
    assert_eq!(waits.len(), 1);
    assert_eq!(waits[0].1, "JoinHandle");
}

#[test]
fn the_predict_answer_is_when_the_last_job_lane_ends() {
    let trace = run("background-tasks", &[]);
    let ended = done_at(&trace, lane(&trace, "analytics 3"));
    let shown = lanes::render::text::seconds(ended);
    assert_eq!(shown_choice("background-tasks", &[]), Some(shown.as_str()));
    assert_eq!(shown_choice("background-tasks", &[]), Some("0.4 s"));
    assert_eq!(
        shown_choice("background-tasks", &["track=false"]),
        Some("0.1 s")
    );
    // The measure follows the number of jobs: the last is `analytics 5`.
    assert_eq!(
        shown_choice("background-tasks", &["jobs=5", "job_ms=900"]),
        Some("1.0 s")
    );
    assert_eq!(shown_choice("background-tasks", &["job_ms=1000"]), None);
}

#[test]
fn a_failing_job_fails_its_lane_and_main_never_hears_of_it() {
    let trace = run("background-tasks", &["failing=2"]);
    assert_eq!(
        failed_at(&trace, lane(&trace, "analytics 2")),
        (s(0.4), "analytics 2: collector unreachable".to_string())
    );
    assert_eq!(done_at(&trace, lane(&trace, "analytics 1")), s(0.4));
    assert_eq!(done_at(&trace, lane(&trace, "analytics 3")), s(0.4));
    // main's log is word for word what it is when every job succeeds.
    assert_eq!(main_logs(&trace), main_logs(&run("background-tasks", &[])));
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(0.4));
    assert!(
        trace
            .logs()
            .iter()
            .all(|(_, _, level, text)| *level == Level::Info && !text.contains("unreachable"))
    );
}

#[test]
fn longer_jobs_keep_main_waiting() {
    let trace = run("background-tasks", &["job_ms=1000"]);
    for name in JOBS {
        assert_eq!(done_at(&trace, lane(&trace, name)), s(1.1), "{name}");
    }
    assert_eq!(trace.log_time("background jobs over at 1.1s"), Some(s(1.1)));
    assert_eq!(finished_at(&trace), s(1.1));
}

#[test]
fn one_job_and_odd_times_log_exactly() {
    let trace = run("background-tasks", &["jobs=1", "work_ms=7", "job_ms=1234"]);
    assert_eq!(
        main_logs(&trace),
        vec![
            (s(0.007), "answered 200 OK at 7ms".to_string()),
            (
                s(0.007),
                "waiting for background jobs in_flight=1".to_string()
            ),
            (s(1.241), "background jobs over at 1.241s".to_string()),
            (s(1.241), "main returns at 1.241s".to_string()),
        ]
    );
    assert!(trace.lane_named("analytics 2").is_none());
}

#[test]
fn no_lane_waits_on_unknown() {
    for knobs in [&[][..], &["track=false"], &["failing=1"]] {
        let trace = run("background-tasks", knobs);
        assert_no_unknown_waits(&trace);
    }
}

#[test]
fn deterministic() {
    assert_deterministic("background-tasks", &[]);
    assert_deterministic("background-tasks", &["failing=2", "jobs=5"]);
    // Without the tracker, the jobs left when `main` returns are dropped by
    // the runtime, and recorded in lane order whatever order tokio drops
    // them in.
    assert_deterministic("background-tasks", &["track=false", "jobs=7"]);
}
