//! `await-basics`: one fetch of 1 s awaited; the same fetch created again and
//! dropped without being awaited, so it never runs.

use crate::support::*;
use lanes::trace::{EventKind, Trace};

fn line_of(needle: &str) -> u32 {
    source_line("await-basics", needle)
}

/// The kinds of a lane's events, with their times: its states only.
fn life(trace: &Trace, name: &str) -> Vec<(u64, &'static str)> {
    trace
        .lane_events(lane(trace, name))
        .filter_map(|e| {
            let kind = match e.kind {
                EventKind::Spawned { .. } => "spawned",
                EventKind::Running => "running",
                EventKind::Awaiting { .. } => "awaiting",
                EventKind::Done => "done",
                EventKind::Cancelled { .. } => "cancelled",
                EventKind::Failed { .. } => "failed",
                _ => return None,
            };
            Some((e.t_us, kind))
        })
        .collect()
}

#[test]
fn the_awaited_fetch_runs_from_0_0_to_1_0_s() {
    let trace = run("await-basics", &[]);
    let main = lane(&trace, "main");
    let fetch = lane(&trace, "fetch 1");
    assert_eq!(trace.parent(fetch), Some(main));
    assert_eq!(trace.first_run_us(fetch), Some(0));
    assert_eq!(done_at(&trace, fetch), s(1.0));
    assert_eq!(
        trace.waits(fetch),
        vec![(0, "Sleep 1s", Some(line_of("sleep(latency).await")))]
    );
    assert_eq!(trace.log_time("got user 1 at 1s"), Some(s(1.0)));
}

#[test]
fn the_forgotten_fetch_is_created_and_dropped_never_polled() {
    let trace = run("await-basics", &[]);
    let forgotten = lane(&trace, "fetch 2");
    assert_eq!(trace.parent(forgotten), Some(lane(&trace, "main")));
    assert!(trace.never_polled(forgotten));
    assert_eq!(trace.first_run_us(forgotten), None);
    assert_eq!(cancelled_at(&trace, forgotten), s(1.0));
    // Spawned when `.lane(..)` wraps the future, cancelled when it is
    // dropped: nothing in between, not even a wait.
    assert_eq!(
        life(&trace, "fetch 2"),
        vec![(s(1.0), "spawned"), (s(1.0), "cancelled")]
    );
    assert!(trace.waits(forgotten).is_empty());
    assert!(!trace.cancelled_by_you(forgotten));
    // The awaited fetch, by contrast, ran.
    assert!(!trace.never_polled(lane(&trace, "fetch 1")));
    assert_eq!(trace.lanes().len(), 3);
}

#[test]
fn only_the_awaited_body_ever_starts() {
    let trace = run("await-basics", &[]);
    // The body's first line logs; it shows up once, from the awaited fetch.
    assert_eq!(
        logs_with(&trace, "starts"),
        vec![(0, "fetch 1", "fetch_user(1) starts")]
    );
    assert_eq!(trace.log_time("fetch_user(2) starts"), None);
    assert_eq!(
        logs_with(&trace, "fetch_user(2)"),
        vec![(s(1.0), "main", "fetch_user(2) created, not awaited")]
    );
}

#[test]
fn main_ends_at_1_0_s_the_forgotten_future_adds_no_time() {
    let trace = run("await-basics", &[]);
    let main = lane(&trace, "main");
    assert_eq!(done_at(&trace, main), s(1.0));
    assert_eq!(finished_at(&trace), s(1.0));
    assert_eq!(trace.log_time("main returns at 1s"), Some(s(1.0)));
    // While the fetch runs, main waits on its child lane, and on nothing
    // after it.
    assert_eq!(trace.waits(main), vec![(0, "join", None)]);
    // Main's log lines, in order, all from main's lane but the first.
    let lines: Vec<_> = trace.logs().into_iter().map(|l| (l.0, l.3)).collect();
    assert_eq!(
        lines,
        vec![
            (0, "fetch_user(1) starts"),
            (s(1.0), "got user 1 at 1s"),
            (s(1.0), "fetch_user(2) created, not awaited"),
            (s(1.0), "main returns at 1s"),
        ]
    );
}

#[test]
fn the_predict_answer_is_what_the_run_shows() {
    let trace = run("await-basics", &[]);
    let fetched = done_at(&trace, lane(&trace, "fetch 1"));
    let shown = lanes::render::text::seconds(finished_at(&trace));
    assert_eq!(shown, lanes::render::text::seconds(fetched));
    assert_eq!(shown_choice("await-basics", &[]), Some(shown.as_str()));
    assert_eq!(shown_choice("await-basics", &[]), Some("1.0 s"));
    // Measured, not stored: a 2 s fetch ends main at 2.0 s, a choice;
    // 2.5 s is none.
    assert_eq!(
        shown_choice("await-basics", &["fetch_ms=2000"]),
        Some("2.0 s")
    );
    assert_eq!(shown_choice("await-basics", &["fetch_ms=2500"]), None);
}

#[test]
fn a_longer_fetch_moves_main_and_still_never_runs_the_second() {
    // The story's "try it".
    let trace = run("await-basics", &["fetch_ms=2500"]);
    assert_eq!(done_at(&trace, lane(&trace, "fetch 1")), s(2.5));
    assert_eq!(
        trace.waits(lane(&trace, "fetch 1"))[0],
        (0, "Sleep 2.5s", Some(line_of("sleep(latency).await")))
    );
    let forgotten = lane(&trace, "fetch 2");
    assert!(trace.never_polled(forgotten));
    assert_eq!(cancelled_at(&trace, forgotten), s(2.5));
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(2.5));
    assert_eq!(trace.log_time("main returns at 2.5s"), Some(s(2.5)));
}

#[test]
fn short_fetches_log_exactly() {
    let trace = run("await-basics", &["fetch_ms=7"]);
    assert_eq!(trace.log_time("got user 1 at 7ms"), Some(s(0.007)));
    assert_eq!(trace.log_time("main returns at 7ms"), Some(s(0.007)));
    assert!(trace.never_polled(lane(&trace, "fetch 2")));
}

#[test]
fn no_lane_waits_on_unknown() {
    for knobs in [&[][..], &["fetch_ms=2500"]] {
        assert_no_unknown_waits(&run("await-basics", knobs));
    }
}

#[test]
fn deterministic() {
    assert_deterministic("await-basics", &[]);
    assert_deterministic("await-basics", &["fetch_ms=333"]);
}
