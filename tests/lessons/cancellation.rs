//! `cancellation`: a worker doing 1 s steps, with a 0.2 s async flush on its
//! way out, stopped by `main` at 2.5 s through a `CancellationToken` or with
//! `JoinHandle::abort`; and stopped live with `x`, the same two ways.

use std::time::Duration;

use crate::support::*;
use lanes::catalog::catalog;
use lanes::engine::{CancelBy, Playback, Refusal};
use lanes::trace::{Level, Trace};

fn line_of(needle: &str) -> u32 {
    source_line("cancellation", needle)
}

/// Every log line of one lane (or of none: the runner): (time, level, text).
fn logs_of(trace: &Trace, lane: Option<u32>) -> Vec<(u64, Level, String)> {
    trace
        .logs()
        .into_iter()
        .filter(|(_, l, ..)| *l == lane)
        .map(|(t, _, level, text)| (t, level, text.to_string()))
        .collect()
}

#[test]
fn with_the_token_step_3_is_cancelled_at_2_5_s_and_the_cleanup_runs_to_2_7_s() {
    let trace = run("cancellation", &[]);
    assert_eq!(done_at(&trace, lane(&trace, "step 1")), s(1.0));
    assert_eq!(done_at(&trace, lane(&trace, "step 2")), s(2.0));
    let step_3 = lane(&trace, "step 3");
    assert_eq!(trace.first_run_us(step_3), Some(s(2.0)));
    assert_eq!(cancelled_at(&trace, step_3), s(2.5));
    assert!(trace.lane_named("step 4").is_none());
    let cleanup = lane(&trace, "cleanup");
    assert_eq!(trace.first_run_us(cleanup), Some(s(2.5)));
    assert_eq!(done_at(&trace, cleanup), s(2.7));
    // The worker saw the token and returned by itself: done, not cancelled.
    assert_eq!(done_at(&trace, lane(&trace, "worker")), s(2.7));
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(2.7));
    assert_eq!(finished_at(&trace), s(2.7));
}

#[test]
fn with_the_token_the_log_tells_the_cancellation_and_the_flush() {
    let trace = run("cancellation", &[]);
    let worker = lane(&trace, "worker");
    let main = lane(&trace, "main");
    assert_eq!(
        logs_of(&trace, Some(main)),
        vec![
            (
                s(2.5),
                Level::Info,
                "cancelling the worker (token) at 2.5s".into()
            ),
            (
                s(2.7),
                Level::Info,
                "worker joined at 2.7s flushed=2".into()
            ),
        ]
    );
    assert_eq!(
        logs_of(&trace, Some(worker)),
        vec![
            (s(2.5), Level::Info, "cancelled during step 3".into()),
            (s(2.7), Level::Info, "flushed steps=2".into()),
        ]
    );
    // The buffer was flushed: its destructor has nothing to report.
    assert!(trace.log_time("buffer dropped").is_none());
    assert!(logs_of(&trace, None).is_empty());
}

#[test]
fn lanes_nest_under_the_worker_and_say_what_they_wait_on() {
    let trace = run("cancellation", &[]);
    let main = lane(&trace, "main");
    let worker = lane(&trace, "worker");
    assert_eq!(trace.parent(worker), Some(main));
    assert_eq!(child_names(&trace, main), ["worker"]);
    assert_eq!(
        child_names(&trace, worker),
        ["step 1", "step 2", "step 3", "cleanup"]
    );
    let step = Some(line_of("sleep(step).await"));
    for (i, name) in ["step 1", "step 2", "step 3"].iter().enumerate() {
        let at = s(i as f64);
        assert_eq!(
            trace.waits(lane(&trace, name)),
            vec![(at, "Sleep 1s", step)],
            "{name}"
        );
    }
    assert_eq!(
        trace.waits(lane(&trace, "cleanup")),
        vec![(s(2.5), "Sleep 200ms", Some(line_of("sleep(took).await")))]
    );
    // While a step runs, the worker itself waits on its token.
    let token = Some(line_of("token.cancelled().awaiting("));
    assert_eq!(
        trace.waits(worker),
        vec![
            (0, "CancellationToken::cancelled", token),
            (s(1.0), "CancellationToken::cancelled", token),
            (s(2.0), "CancellationToken::cancelled", token),
            (s(2.5), "join", None),
        ]
    );
    assert_eq!(
        trace.waits(main),
        vec![
            (0, "Sleep 2.5s", Some(line_of("sleep(cancel_at).await"))),
            (
                s(2.5),
                "JoinHandle",
                Some(line_of("handle.awaiting(\"JoinHandle\")"))
            ),
        ]
    );
}

#[test]
fn with_abort_the_worker_is_dropped_at_2_5_s_and_no_cleanup_runs() {
    let trace = run("cancellation", &["how=abort"]);
    let worker = lane(&trace, "worker");
    assert_eq!(cancelled_at(&trace, worker), s(2.5));
    assert_eq!(cancelled_at(&trace, lane(&trace, "step 3")), s(2.5));
    assert!(trace.lane_named("cleanup").is_none());
    // No code of the worker runs after 2.0 s: the one line it logs is its
    // buffer's destructor, run as tokio drops the task, and counted as the
    // worker's own.
    assert!(trace.lane_events(worker).all(|e| e.t_us <= s(2.5)));
    assert!(logs_of(&trace, None).is_empty());
    assert_eq!(
        logs_of(&trace, Some(worker)),
        vec![(
            s(2.5),
            Level::Warn,
            "buffer dropped before its flush steps=2".into()
        )]
    );
    assert_eq!(
        logs_of(&trace, Some(lane(&trace, "main"))),
        vec![
            (
                s(2.5),
                Level::Info,
                "cancelling the worker (abort) at 2.5s".into()
            ),
            (s(2.5), Level::Info, "worker joined at 2.5s: aborted".into()),
        ]
    );
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(2.5));
    assert_eq!(finished_at(&trace), s(2.5));
}

#[test]
fn the_predict_answer_is_when_the_worker_lane_ends() {
    let trace = run("cancellation", &[]);
    let ended = done_at(&trace, lane(&trace, "worker"));
    let shown = lanes::render::text::seconds(ended);
    assert_eq!(shown_choice("cancellation", &[]), Some(shown.as_str()));
    assert_eq!(shown_choice("cancellation", &[]), Some("2.7 s"));
    assert_eq!(shown_choice("cancellation", &["how=abort"]), Some("2.5 s"));
    // Left alone, the worker does all five steps and flushes.
    assert_eq!(
        shown_choice("cancellation", &["cancel_at_ms=9000"]),
        Some("5.2 s")
    );
    // Stopped in step 2, it ends at 1.4 s, which no choice names.
    assert_eq!(shown_choice("cancellation", &["cancel_at_ms=1200"]), None);
}

#[test]
fn an_earlier_cancel_stops_step_2_and_flushes_one_step() {
    let trace = run("cancellation", &["cancel_at_ms=1200"]);
    assert_eq!(cancelled_at(&trace, lane(&trace, "step 2")), s(1.2));
    assert_eq!(done_at(&trace, lane(&trace, "cleanup")), s(1.4));
    assert_eq!(done_at(&trace, lane(&trace, "worker")), s(1.4));
    assert_eq!(trace.log_time("cancelled during step 2"), Some(s(1.2)));
    assert_eq!(
        trace.log_time("worker joined at 1.4s flushed=1"),
        Some(s(1.4))
    );

    let trace = run("cancellation", &["cancel_at_ms=1200", "how=abort"]);
    assert_eq!(cancelled_at(&trace, lane(&trace, "worker")), s(1.2));
    assert_eq!(cancelled_at(&trace, lane(&trace, "step 2")), s(1.2));
    assert_eq!(
        trace.log_time("buffer dropped before its flush steps=1"),
        Some(s(1.2))
    );
    assert_eq!(finished_at(&trace), s(1.2));
}

#[test]
fn a_worker_left_alone_finishes_before_main_cancels() {
    for how in ["how=token", "how=abort"] {
        let trace = run("cancellation", &["cancel_at_ms=9000", how]);
        for i in 1..=5u64 {
            let step = lane(&trace, &format!("step {i}"));
            assert_eq!(done_at(&trace, step), s(1.0) * i, "{how}");
        }
        assert_eq!(done_at(&trace, lane(&trace, "cleanup")), s(5.2), "{how}");
        assert_eq!(done_at(&trace, lane(&trace, "worker")), s(5.2), "{how}");
        // Too late to stop anything: the handle holds the result.
        assert_eq!(
            trace.log_time("worker joined at 9s flushed=5"),
            Some(s(9.0)),
            "{how}"
        );
        assert!(trace.log_time("buffer dropped").is_none(), "{how}");
    }
}

#[test]
fn odd_times_are_logged_exactly() {
    let trace = run(
        "cancellation",
        &[
            "step_ms=333",
            "cleanup_ms=17",
            "cancel_at_ms=1001",
            "steps=4",
        ],
    );
    assert_eq!(
        trace.log_time("cancelling the worker (token) at 1.001s"),
        Some(s(1.001))
    );
    assert_eq!(trace.log_time("cancelled during step 4"), Some(s(1.001)));
    assert_eq!(
        trace.log_time("worker joined at 1.018s flushed=3"),
        Some(s(1.018))
    );
}

/// Plays the lesson with `knobs` to 1.3 s (in step 2), presses `x` on the
/// worker lane, and plays on to the end.
fn press_x_on_the_worker_at_1_3_s(knobs: &[&str]) -> (Trace, Result<CancelBy, Refusal>) {
    let lesson = catalog().unwrap().lesson("cancellation").unwrap();
    let spec = lesson.run_spec(lesson.knobs_with(knobs).unwrap());
    let mut playback = Playback::new(spec, true);
    playback.tick(Duration::from_millis(1_300));
    pump_until(&mut playback, "step 2", |t| {
        t.lane_named("step 2")
            .is_some_and(|l| t.first_run_us(l).is_some())
    });
    let step_2 = playback.trace().lane_named("step 2").unwrap();
    assert_eq!(playback.cancel(step_2), Err(Refusal::InPlace));
    let worker = playback.trace().lane_named("worker").unwrap();
    let how = playback.cancel(worker);
    playback.tick(Duration::from_secs(10));
    pump_until(&mut playback, "the end", |t| t.end().is_some());
    (playback.trace().clone(), how)
}

#[test]
fn x_in_token_mode_cancels_the_token_and_the_cleanup_runs() {
    let (trace, how) = press_x_on_the_worker_at_1_3_s(&[]);
    assert_eq!(how, Ok(CancelBy::Token));
    let step_2 = lane(&trace, "step 2");
    let at = cancelled_at(&trace, step_2);
    assert!((s(1.3)..=s(1.31)).contains(&at), "{at}");
    assert_eq!(
        trace.log_time("you cancelled 'worker' through its CancellationToken"),
        Some(at)
    );
    // The worker's own code ran on: the cleanup, then its return.
    let cleanup = lane(&trace, "cleanup");
    assert_eq!(trace.first_run_us(cleanup), Some(at));
    assert_eq!(done_at(&trace, cleanup), at + s(0.2));
    let worker = lane(&trace, "worker");
    assert_eq!(done_at(&trace, worker), at + s(0.2));
    assert!(!trace.cancelled_by_you(worker));
    assert_eq!(trace.log_time("flushed steps=1"), Some(at + s(0.2)));
    // main keeps to its plan: at 2.5 s it cancels a token already cancelled
    // and joins a worker that has already returned.
    assert_eq!(
        trace.log_time("worker joined at 2.5s flushed=1"),
        Some(s(2.5))
    );
    assert_eq!(finished_at(&trace), s(2.5));
}

#[test]
fn x_in_abort_mode_aborts_the_task_and_no_cleanup_runs() {
    let (trace, how) = press_x_on_the_worker_at_1_3_s(&["how=abort"]);
    assert_eq!(how, Ok(CancelBy::Abort));
    let worker = lane(&trace, "worker");
    let at = cancelled_at(&trace, worker);
    assert!((s(1.3)..=s(1.31)).contains(&at), "{at}");
    assert!(trace.cancelled_by_you(worker));
    assert_eq!(cancelled_at(&trace, lane(&trace, "step 2")), at);
    assert!(trace.lane_named("cleanup").is_none());
    assert!(trace.log_time("flushed").is_none());
    assert_eq!(
        trace.log_time("buffer dropped before its flush steps=1"),
        Some(at)
    );
    assert_eq!(
        trace.log_time("worker joined at 2.5s: aborted"),
        Some(s(2.5))
    );
    assert_eq!(finished_at(&trace), s(2.5));
}

#[test]
fn no_lane_waits_on_unknown() {
    for knobs in [&[][..], &["how=abort"], &["cancel_at_ms=9000"]] {
        let trace = run("cancellation", knobs);
        assert_no_unknown_waits(&trace);
    }
}

#[test]
fn deterministic() {
    assert_deterministic("cancellation", &[]);
    assert_deterministic("cancellation", &["how=abort", "cancel_at_ms=1700"]);
}
