//! `as-completed`: five fetches of 0.5, 0.2, 0.4, 0.1 and 0.3 s in a JoinSet;
//! `main` handles the results with `join_next` in the order they finish.

use std::time::Duration;

use crate::support::*;
use lanes::catalog::catalog;
use lanes::engine::Playback;
use lanes::trace::Trace;

const ID: &str = "as-completed";

fn line_of(needle: &str) -> u32 {
    source_line(ID, needle)
}

/// The `handling result` log lines: (time, text).
fn handled(trace: &Trace) -> Vec<(u64, &str)> {
    logs_with(trace, "handling result")
        .into_iter()
        .map(|(t, lane, text)| {
            assert_eq!(lane, "main", "{text}");
            (t, text)
        })
        .collect()
}

#[test]
fn results_are_handled_in_finishing_order_not_start_order() {
    let trace = run(ID, &[]);
    assert_eq!(
        handled(&trace),
        [
            (s(0.1), "handling result 1 fetch=4 at=100ms"),
            (s(0.2), "handling result 2 fetch=2 at=200ms"),
            (s(0.3), "handling result 3 fetch=5 at=300ms"),
            (s(0.4), "handling result 4 fetch=3 at=400ms"),
            (s(0.5), "handling result 5 fetch=1 at=500ms"),
        ]
    );
    assert_eq!(
        trace.log_time("every result handled at 500ms"),
        Some(s(0.5))
    );
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(0.5));
    assert_eq!(finished_at(&trace), s(0.5));
}

#[test]
fn the_fetches_are_tasks_of_main_that_run_side_by_side() {
    let trace = run(ID, &[]);
    let main = lane(&trace, "main");
    assert_eq!(
        child_names(&trace, main),
        ["fetch 1", "fetch 2", "fetch 3", "fetch 4", "fetch 5"]
    );
    assert_eq!(trace.max_alive(), 6);
    let sleep = Some(line_of("sleep(latency).await"));
    for (name, took) in [
        ("fetch 1", 0.5),
        ("fetch 2", 0.2),
        ("fetch 3", 0.4),
        ("fetch 4", 0.1),
        ("fetch 5", 0.3),
    ] {
        let fetch = lane(&trace, name);
        assert_eq!(trace.first_run_us(fetch), Some(0), "{name}");
        assert_eq!(done_at(&trace, fetch), s(took), "{name}");
        let wait = format!("Sleep {}ms", (took * 1000.0).round());
        assert_eq!(
            trace.waits(fetch),
            vec![(0, wait.as_str(), sleep)],
            "{name}"
        );
    }
}

#[test]
fn main_waits_on_join_next_between_results() {
    let trace = run(ID, &[]);
    let line = Some(line_of("set.join_next().awaiting"));
    let waits = trace.waits(lane(&trace, "main"));
    // Parked at the start and again after each of the first four results.
    assert_eq!(
        waits,
        [0.0, 0.1, 0.2, 0.3, 0.4]
            .map(|t| (s(t), "JoinSet::join_next", line))
            .to_vec()
    );
}

#[test]
fn the_predict_answer_is_what_the_run_shows() {
    // The question asks which fetch main handles third: the third-fastest.
    let trace = run(ID, &[]);
    let third = handled(&trace)[2].1;
    assert!(third.contains("fetch=5"), "{third}");
    assert_eq!(shown_choice(ID, &[]), Some("5"));
    // Handling time and the unit change the times, not the order.
    assert_eq!(shown_choice(ID, &["handle_ms=150"]), Some("5"));
    assert_eq!(shown_choice(ID, &["unit_ms=1000"]), Some("5"));
    // join_all hands the results back in start order.
    assert_eq!(shown_choice(ID, &["collect=join_all"]), Some("3"));
    let lesson = catalog().unwrap().lesson(ID).unwrap();
    let question = lesson.question(&lesson.default_knobs());
    assert!(
        question.contains("take 0.1 s times 5, 2, 4, 1 and 3"),
        "{question}"
    );
    assert!(question.contains("waits with join_next"), "{question}");
}

#[test]
fn slow_handling_delays_the_results_but_keeps_their_order() {
    let trace = run(ID, &["handle_ms=150"]);
    assert_eq!(
        handled(&trace),
        [
            (s(0.1), "handling result 1 fetch=4 at=100ms"),
            (s(0.25), "handling result 2 fetch=2 at=250ms"),
            (s(0.4), "handling result 3 fetch=5 at=400ms"),
            (s(0.55), "handling result 4 fetch=3 at=550ms"),
            (s(0.7), "handling result 5 fetch=1 at=700ms"),
        ]
    );
    // The tasks finish on time; their outputs wait in the set.
    assert_eq!(done_at(&trace, lane(&trace, "fetch 2")), s(0.2));
    assert_eq!(done_at(&trace, lane(&trace, "fetch 1")), s(0.5));
    assert_eq!(
        trace.log_time("every result handled at 850ms"),
        Some(s(0.85))
    );
    assert_eq!(finished_at(&trace), s(0.85));
    // Handling shows on main's lane as its own sleep. After the first
    // result, main never waits on join_next again: a result is always
    // there when it comes back. The set still holds main's waker from its
    // last join_next, so a fetch that finishes meanwhile (0.2, 0.3, 0.5 s)
    // wakes main for nothing, and it goes back to its sleep.
    let joining = Some(line_of("set.join_next().awaiting"));
    let handling = Some(line_of("sleep(handling).await"));
    let mut expected = vec![(0, "JoinSet::join_next", joining)];
    for t in [0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.55, 0.7] {
        expected.push((s(t), "Sleep 150ms", handling));
    }
    assert_eq!(trace.waits(lane(&trace, "main")), expected);
}

#[test]
fn join_all_hands_everything_back_at_the_end_in_start_order() {
    let trace = run(ID, &["collect=join_all"]);
    assert_eq!(trace.log_time("join_all returned at 500ms"), Some(s(0.5)));
    assert_eq!(
        handled(&trace),
        (1..=5)
            .map(|i| (s(0.5), format!("handling result {i} fetch={i} at=500ms")))
            .collect::<Vec<_>>()
            .iter()
            .map(|(t, text)| (*t, text.as_str()))
            .collect::<Vec<_>>()
    );
    // The tasks themselves finish exactly as before.
    assert_eq!(done_at(&trace, lane(&trace, "fetch 4")), s(0.1));
    assert_eq!(done_at(&trace, lane(&trace, "fetch 1")), s(0.5));
    let main = lane(&trace, "main");
    assert_eq!(child_names(&trace, main).len(), 5);
    let line = Some(line_of("join_all(handles).awaiting"));
    let waits = trace.waits(main);
    assert!(!waits.is_empty());
    assert!(
        waits.iter().all(|w| (w.1, w.2) == ("join_all", line)),
        "{waits:?}"
    );
    assert_eq!(finished_at(&trace), s(0.5));
}

#[test]
fn a_time_unit_scales_every_time_exactly() {
    let trace = run(ID, &["unit_ms=7"]);
    let texts: Vec<&str> = handled(&trace).iter().map(|h| h.1).collect();
    assert_eq!(
        texts,
        [
            "handling result 1 fetch=4 at=7ms",
            "handling result 2 fetch=2 at=14ms",
            "handling result 3 fetch=5 at=21ms",
            "handling result 4 fetch=3 at=28ms",
            "handling result 5 fetch=1 at=35ms",
        ]
    );
    assert_eq!(done_at(&trace, lane(&trace, "fetch 3")), s(0.028));
    assert_eq!(finished_at(&trace), s(0.035));
}

#[test]
fn a_fetch_cancelled_live_is_logged_and_the_rest_are_handled() {
    let lesson = catalog().unwrap().lesson(ID).unwrap();
    let mut playback = Playback::new(lesson.run_spec(lesson.default_knobs()), true);
    playback.tick(Duration::from_millis(250));
    pump_until(&mut playback, "result 2", |t| {
        t.log_time("handling result 2").is_some()
    });
    let fetch_1 = lane(playback.trace(), "fetch 1");
    assert!(playback.cancel(fetch_1).is_ok());
    playback.tick(Duration::from_secs(1));
    pump_until(&mut playback, "the end", |t| t.end().is_some());
    let trace = playback.trace();
    let cancelled = cancelled_at(trace, fetch_1);
    assert!((s(0.25)..s(0.3)).contains(&cancelled), "{cancelled}");
    assert!(trace.cancelled_by_you(fetch_1));
    let lines = logs_with(trace, "a fetch was cancelled at");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].0, cancelled);
    // The other four are handled as before, and main ends with the last one.
    assert_eq!(handled(trace).len(), 4);
    assert_eq!(
        trace.log_time("every result handled at 400ms"),
        Some(s(0.4))
    );
    assert_eq!(done_at(trace, lane(trace, "main")), s(0.4));
}

#[test]
fn no_lane_waits_on_unknown() {
    for knobs in [&[][..], &["handle_ms=150"], &["collect=join_all"]] {
        let trace = run(ID, knobs);
        assert_no_unknown_waits(&trace);
    }
}

#[test]
fn deterministic() {
    assert_deterministic(ID, &[]);
    assert_deterministic(ID, &["collect=join_all", "handle_ms=30", "unit_ms=20"]);
}
