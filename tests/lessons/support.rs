//! Shared helpers for the lesson tests: run a lesson headless and ask its
//! trace the questions the syllabus answers.

use std::time::Duration;

use lanes::catalog::catalog;
use lanes::engine::run_headless;
use lanes::trace::{LaneEnd, LaneId, Trace};

/// Runs lesson `id` headless with `knobs` (`name=value`) over its defaults.
pub fn run(id: &str, knobs: &[&str]) -> Trace {
    let lesson = catalog()
        .expect("catalog")
        .lesson(id)
        .expect("lesson exists");
    let knobs = lesson.knobs_with(knobs).expect("valid knobs");
    run_headless(lesson.run_spec(knobs), Duration::from_secs(20))
}

/// Microseconds from seconds, for readable assertions: `s(3.5)`.
pub fn s(seconds: f64) -> u64 {
    (seconds * 1_000_000.0).round() as u64
}

/// The lane with this exact name; panics with the names there are.
pub fn lane(trace: &Trace, name: &str) -> LaneId {
    trace.lane_named(name).unwrap_or_else(|| {
        let names: Vec<&str> = (1..=trace.lanes().len() as LaneId)
            .map(|l| trace.lane_name(l))
            .collect();
        panic!("no lane named {name:?}; lanes: {names:?}")
    })
}

/// When the lane ended, asserting it ended with `done`.
pub fn done_at(trace: &Trace, lane: LaneId) -> u64 {
    match trace.lane_end(lane) {
        Some(LaneEnd::Done(t)) => t,
        other => panic!(
            "lane {:?} did not end done: {other:?}",
            trace.lane_name(lane)
        ),
    }
}

/// When the lane ended, asserting it was cancelled.
pub fn cancelled_at(trace: &Trace, lane: LaneId) -> u64 {
    match trace.lane_end(lane) {
        Some(LaneEnd::Cancelled(t)) => t,
        other => panic!(
            "lane {:?} was not cancelled: {other:?}",
            trace.lane_name(lane)
        ),
    }
}

/// When and why the lane failed.
pub fn failed_at(trace: &Trace, lane: LaneId) -> (u64, String) {
    match trace.lane_end(lane) {
        Some(LaneEnd::Failed(t, detail)) => (t, detail),
        other => panic!("lane {:?} did not fail: {other:?}", trace.lane_name(lane)),
    }
}

/// The run finished normally, at this time.
pub fn finished_at(trace: &Trace) -> u64 {
    match trace.end() {
        Some((t, lanes::trace::EndReason::Finished)) => t,
        other => panic!("run did not finish normally: {other:?}"),
    }
}

/// Two runs with the same knobs give byte-identical JSON-lines traces.
pub fn assert_deterministic(id: &str, knobs: &[&str]) {
    let a = lanes::render::jsonl::to_string(&run(id, knobs));
    let b = lanes::render::jsonl::to_string(&run(id, knobs));
    assert_eq!(a, b, "two runs of {id} differ");
}

/// The 1-based line of lesson `id`'s source that contains `needle`.
pub fn source_line(id: &str, needle: &str) -> u32 {
    let source = lanes::catalog::catalog()
        .unwrap()
        .lesson(id)
        .unwrap()
        .source;
    let index = source.lines().position(|l| l.contains(needle));
    index.unwrap_or_else(|| panic!("{needle:?} is not in {id}'s lesson.rs")) as u32 + 1
}

/// No lane ever waits on `unknown` (a wait that neither tokio nor the
/// lesson named): a learner must always see what a lane waits on.
pub fn assert_no_unknown_waits(trace: &Trace) {
    for lane in 1..=trace.lanes().len() as LaneId {
        for (t, on, _) in trace.waits(lane) {
            assert_ne!(on, "unknown", "lane {:?} at {t} µs", trace.lane_name(lane));
        }
    }
}

/// Every log line whose text contains `needle`: (time, lane name, text).
pub fn logs_with<'a>(trace: &'a Trace, needle: &str) -> Vec<(u64, &'a str, &'a str)> {
    trace
        .logs()
        .into_iter()
        .filter(|(.., text)| text.contains(needle))
        .map(|(t, lane, _, text)| (t, lane.map_or("", |l| trace.lane_name(l)), text))
        .collect()
}

/// The names of `parent`'s child lanes, in creation order.
pub fn child_names(trace: &Trace, parent: LaneId) -> Vec<&str> {
    trace
        .children(Some(parent))
        .into_iter()
        .map(|l| trace.lane_name(l))
        .collect()
}

/// The choice of the lesson's question that its run with `knobs` shows,
/// measured on the trace as the interface measures it.
pub fn shown_choice(id: &str, knobs: &[&str]) -> Option<&'static str> {
    let lesson = catalog().unwrap().lesson(id).unwrap();
    let values = lesson.knobs_with(knobs).unwrap();
    let trace = run(id, knobs);
    let verdict = lesson.verdict(&values, &trace, None);
    verdict.fitting.map(|i| lesson.predict.choices[i].as_str())
}

/// Waits (in real time) until `cond` holds for a live playback's trace.
pub fn pump_until(
    playback: &mut lanes::engine::Playback,
    what: &str,
    cond: impl Fn(&Trace) -> bool,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !cond(playback.trace()) {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        playback.tick(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Every log line written by the lane named `name`: (time, text).
pub fn lane_logs<'a>(trace: &'a Trace, name: &str) -> Vec<(u64, &'a str)> {
    let id = lane(trace, name);
    trace
        .logs()
        .into_iter()
        .filter(|(_, l, ..)| *l == Some(id))
        .map(|(t, _, _, text)| (t, text))
        .collect()
}

/// Every warning in the log: (time, lane, level, text).
pub fn warn_logs(trace: &Trace) -> Vec<(u64, Option<LaneId>, lanes::trace::Level, &str)> {
    trace
        .logs()
        .into_iter()
        .filter(|(_, _, level, _)| *level == lanes::trace::Level::Warn)
        .collect()
}
