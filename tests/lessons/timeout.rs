//! `timeout`: an operation that needs 5 s (four steps of 1.25 s), given 2 s.

use crate::support::*;
use lanes::trace::Level;

fn line_of(needle: &str) -> u32 {
    source_line("timeout", needle)
}

/// Every log line of one lane: (time, text).
fn logs_of(trace: &lanes::trace::Trace, name: &str) -> Vec<(u64, String)> {
    let id = lane(trace, name);
    trace
        .logs()
        .into_iter()
        .filter(|(_, l, ..)| *l == Some(id))
        .map(|(t, _, _, text)| (t, text.to_string()))
        .collect()
}

#[test]
fn the_operation_is_cancelled_at_exactly_2_0_s() {
    let trace = run("timeout", &[]);
    let main = lane(&trace, "main");
    let operation = lane(&trace, "operation");
    assert_eq!(trace.parent(operation), Some(main));
    assert_eq!(trace.first_run_us(operation), Some(0));
    assert_eq!(cancelled_at(&trace, operation), s(2.0));
    assert_eq!(trace.lanes().len(), 2);
}

#[test]
fn main_gets_elapsed_at_2_0_s_and_logs_it() {
    let trace = run("timeout", &[]);
    let main = lane(&trace, "main");
    let warnings = warn_logs(&trace);
    assert_eq!(
        warnings,
        vec![(
            s(2.0),
            Some(main),
            Level::Warn,
            "gave up after 2s: deadline has elapsed"
        )]
    );
    assert!(trace.log_time("got the report").is_none());
}

#[test]
fn the_dropped_operation_runs_no_further() {
    let trace = run("timeout", &[]);
    // Step 1 logs at 1.25 s; steps 2 to 4 (due at 2.5, 3.75, 5.0 s) never do.
    assert_eq!(
        logs_of(&trace, "operation"),
        vec![(s(1.25), "step 1 of 4 done".to_string())]
    );
    // ...although main stays until 5.0 s, when the operation would have finished.
    assert_eq!(
        trace.log_time("nothing more from the operation by 5s"),
        Some(s(5.0))
    );
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(5.0));
    assert_eq!(finished_at(&trace), s(5.0));
    // No event of the operation's lane comes after its cancellation.
    let operation = lane(&trace, "operation");
    assert!(trace.lane_events(operation).all(|e| e.t_us <= s(2.0)));
}

#[test]
fn lanes_wait_on_the_step_sleep_and_the_timeout() {
    let trace = run("timeout", &[]);
    let step = Some(line_of("sleep(total / STEPS).await"));
    let waits = trace.waits(lane(&trace, "operation"));
    // The step sleeps, 1.25 s each; at 2.0 s `timeout` polls the operation
    // once more (still asleep) before it sees the deadline and drops it.
    assert_eq!(
        waits,
        vec![
            (0, "Sleep 1.25s", step),
            (s(1.25), "Sleep 1.25s", step),
            (s(2.0), "Sleep 1.25s", step),
        ]
    );
    let main = trace.waits(lane(&trace, "main"));
    let on_timeout = Some(line_of("timeout(budget, operation(work)"));
    assert_eq!(main[0], (0, "Sleep 2s", on_timeout));
    assert_eq!(
        main.last().copied(),
        Some((
            s(2.0),
            "Sleep 3s",
            Some(line_of("sleep_until(start + work)"))
        ))
    );
}

#[test]
fn the_predict_answer_is_what_the_run_shows() {
    let trace = run("timeout", &[]);
    let ended = cancelled_at(&trace, lane(&trace, "operation"));
    let shown = lanes::render::text::seconds(ended);
    assert_eq!(shown_choice("timeout", &[]), Some(shown.as_str()));
}

#[test]
fn a_big_enough_budget_lets_the_operation_finish() {
    let trace = run("timeout", &["budget_ms=6000"]);
    assert_eq!(done_at(&trace, lane(&trace, "operation")), s(5.0));
    let steps: Vec<u64> = logs_of(&trace, "operation").iter().map(|l| l.0).collect();
    assert_eq!(steps, vec![s(1.25), s(2.5), s(3.75), s(5.0)]);
    assert_eq!(trace.log_time("got the report after 5s"), Some(s(5.0)));
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(5.0));
}

#[test]
fn a_one_second_budget_gives_up_before_step_1() {
    let trace = run("timeout", &["budget_ms=1000"]);
    assert_eq!(cancelled_at(&trace, lane(&trace, "operation")), s(1.0));
    assert!(logs_of(&trace, "operation").is_empty());
    assert_eq!(
        trace.log_time("gave up after 1s: deadline has elapsed"),
        Some(s(1.0))
    );
}

#[test]
fn odd_times_are_logged_exactly() {
    let trace = run("timeout", &["work_ms=1003", "budget_ms=333"]);
    assert_eq!(
        trace.log_time("gave up after 333ms: deadline has elapsed"),
        Some(s(0.333))
    );
    assert_eq!(
        trace.log_time("nothing more from the operation by 1.003s"),
        Some(s(1.003))
    );
}

#[test]
fn no_lane_waits_on_unknown() {
    for knobs in [&[][..], &["budget_ms=6000"]] {
        let trace = run("timeout", knobs);
        assert_no_unknown_waits(&trace);
    }
}

#[test]
fn deterministic() {
    assert_deterministic("timeout", &[]);
    assert_deterministic("timeout", &["work_ms=3000", "budget_ms=1500"]);
}
