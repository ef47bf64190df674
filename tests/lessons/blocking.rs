//! The `blocking` lesson measures a real blocked thread: with `sleep=std`
//! its times carry a tolerance. With `sleep=tokio` nothing is real and
//! every time is exact.

use lanes::trace::query::SpanState;

use crate::support::*;

/// How much earlier than the ideal time a measured time may be: the
/// watchdog measures a blocked poll to within about a millisecond.
const EARLY_US: u64 = 20_000; // 20 ms
/// How much later: on a busy machine the OS may run the lesson thread late,
/// and that lateness is real blocked time too.
const LATE_US: u64 = 100_000; // 100 ms

fn assert_near(actual: u64, expected: u64, what: &str) {
    assert!(
        actual + EARLY_US >= expected && actual <= expected + LATE_US,
        "{what}: {actual} µs is not within -{EARLY_US}/+{LATE_US} µs of {expected} µs"
    );
}

/// How a lesson log line prints a time: a `Duration`'s `Debug` form.
fn exact(us: u64) -> String {
    format!("{:?}", std::time::Duration::from_micros(us))
}

/// The source line a wait points at.
fn source_line(line: Option<u32>) -> &'static str {
    let source = lanes::catalog::catalog()
        .unwrap()
        .lesson("blocking")
        .unwrap()
        .source;
    let line = line.expect("a sleep has a line") as usize;
    source.lines().nth(line - 1).unwrap()
}

#[test]
fn std_sleep_makes_the_sleepers_late() {
    let trace = run("blocking", &[]);
    for name in ["sleeper 1", "sleeper 2"] {
        let done = done_at(&trace, lane(&trace, name));
        assert_near(done, s(1.0), name);
        assert!(done > s(0.9), "{name} finished on time at {done} µs");
    }
    assert_near(done_at(&trace, lane(&trace, "blocker")), s(1.0), "blocker");
    assert_near(done_at(&trace, lane(&trace, "main")), s(1.0), "main");
    assert_near(finished_at(&trace), s(1.0), "end");
}

#[test]
fn std_sleep_shows_the_blocker_running_for_a_second() {
    let trace = run("blocking", &[]);
    let blocker = lane(&trace, "blocker");
    let spans = trace.spans(blocker);
    assert_eq!(spans.len(), 2, "{spans:?}");
    assert_eq!(
        (spans[0].from_us, spans[0].state.clone()),
        (0, SpanState::Queued)
    );
    let running = &spans[1];
    assert_eq!(
        (running.from_us, running.state.clone()),
        (0, SpanState::Running)
    );
    assert_near(
        running.to_us.expect("the blocker ends"),
        s(1.0),
        "blocker's running span",
    );
    // It never waits: it holds the thread instead.
    assert!(
        trace.waits(blocker).is_empty(),
        "{:?}",
        trace.waits(blocker)
    );
}

#[test]
fn std_sleep_freezes_every_other_lane_while_it_blocks() {
    let trace = run("blocking", &[]);
    let until = done_at(&trace, lane(&trace, "blocker"));
    // Nothing at all happens strictly between 0 and the end of the block.
    let during: Vec<_> = trace
        .events()
        .iter()
        .filter(|e| e.t_us > 0 && e.t_us < until)
        .collect();
    assert!(
        during.is_empty(),
        "events while the thread was blocked: {during:?}"
    );
    // The sleepers set their 0.5 s timers before the block began.
    for name in ["sleeper 1", "sleeper 2"] {
        let waits = trace.waits(lane(&trace, name));
        assert_eq!(waits.len(), 1, "{name}: {waits:?}");
        let (t, on, line) = waits[0];
        assert_eq!((t, on), (0, "Sleep 500ms"), "{name}");
        assert!(
            source_line(line).contains("sleep(nap).await"),
            "{name}: line {line:?}"
        );
    }
}

#[test]
fn std_sleep_logs_say_one_second() {
    let trace = run("blocking", &[]);
    assert_eq!(trace.log_time("waiting 1s"), Some(0));
    // Each line prints the time it was written at (normally "1s"; a
    // little more, such as "1.001s", when the thread woke late).
    for name in ["sleeper 1", "sleeper 2"] {
        let done = done_at(&trace, lane(&trace, name));
        let text = format!("woke after {}", exact(done));
        assert_eq!(
            trace.log_time(&text),
            Some(done),
            "{name}: {:?}",
            trace.logs()
        );
    }
    let end = finished_at(&trace);
    let text = format!("all three done after {}", exact(end));
    assert_eq!(trace.log_time(&text), Some(end), "{:?}", trace.logs());
    assert_near(end, s(1.0), "main's total");
}

#[test]
fn tokio_sleep_keeps_everyone_on_time() {
    let trace = run("blocking", &["sleep=tokio"]);
    assert_eq!(done_at(&trace, lane(&trace, "sleeper 1")), s(0.5));
    assert_eq!(done_at(&trace, lane(&trace, "sleeper 2")), s(0.5));
    assert_eq!(done_at(&trace, lane(&trace, "blocker")), s(1.0));
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(1.0));
    assert_eq!(finished_at(&trace), s(1.0));
    assert_eq!(trace.log_time("waiting 1s"), Some(0));
    assert_eq!(trace.log_time("woke after 500ms"), Some(s(0.5)));
    assert_eq!(trace.log_time("all three done after 1s"), Some(s(1.0)));
    let trace = run("blocking", &["sleep=tokio", "nap_ms=15", "block_ms=30"]);
    assert_eq!(trace.log_time("waiting 30ms"), Some(0));
    assert_eq!(trace.log_time("woke after 15ms"), Some(s(0.015)));
    assert_eq!(trace.log_time("all three done after 30ms"), Some(s(0.03)));
}

#[test]
fn tokio_sleep_parks_the_blocker_on_a_timer() {
    let trace = run("blocking", &["sleep=tokio"]);
    let waits = trace.waits(lane(&trace, "blocker"));
    assert_eq!(waits.len(), 1, "{waits:?}");
    let (t, on, line) = waits[0];
    assert_eq!((t, on), (0, "Sleep 1s"));
    assert!(
        source_line(line).contains("sleep(block).await"),
        "line {line:?}"
    );
    // It runs only for an instant, at the start.
    let running: Vec<_> = trace
        .spans(lane(&trace, "blocker"))
        .into_iter()
        .filter(|span| span.state == SpanState::Running)
        .collect();
    assert!(
        running.iter().all(|span| span.to_us == Some(span.from_us)),
        "{running:?}"
    );
}

#[test]
fn the_predict_answer_is_what_the_run_shows() {
    // Measured within the lesson's stated tolerance (real time).
    assert_eq!(shown_choice("blocking", &[]), Some("1.0 s"));
    assert_eq!(shown_choice("blocking", &["sleep=tokio"]), Some("0.5 s"));
}

#[test]
fn the_three_tasks_are_children_of_main() {
    for knobs in [&[][..], &["sleep=tokio"][..]] {
        let trace = run("blocking", knobs);
        let main = lane(&trace, "main");
        assert_eq!(trace.parent(main), None);
        let names = child_names(&trace, main);
        assert_eq!(names, ["sleeper 1", "sleeper 2", "blocker"]);
    }
}

#[test]
fn a_timer_not_yet_due_when_the_block_ends_fires_on_time() {
    // The block (1 s) is over before the 1.5 s timers are due. (The clock
    // keeps the block's measured fraction of a millisecond, so these times
    // are near, not exactly, 1.5 s.)
    let trace = run("blocking", &["nap_ms=1500"]);
    assert_near(
        done_at(&trace, lane(&trace, "sleeper 1")),
        s(1.5),
        "sleeper 1",
    );
    assert_near(
        done_at(&trace, lane(&trace, "sleeper 2")),
        s(1.5),
        "sleeper 2",
    );
    assert_near(done_at(&trace, lane(&trace, "blocker")), s(1.0), "blocker");
    // A short block (0.2 s) delays nothing that was due after it.
    let trace = run("blocking", &["block_ms=200"]);
    assert_near(
        done_at(&trace, lane(&trace, "sleeper 1")),
        s(0.5),
        "sleeper 1",
    );
    assert_near(done_at(&trace, lane(&trace, "blocker")), s(0.2), "blocker");
}

#[test]
fn no_lane_waits_on_unknown() {
    for knobs in [&[][..], &["sleep=tokio"][..]] {
        let trace = run("blocking", knobs);
        assert_no_unknown_waits(&trace);
    }
}

#[test]
fn deterministic_with_tokio_sleep() {
    assert_deterministic("blocking", &["sleep=tokio"]);
    assert_deterministic("blocking", &["sleep=tokio", "nap_ms=300", "block_ms=700"]);
}

/// A short block is recorded as the time it took, however short: 5 ms of
/// `std::thread::sleep` show as 5 ms of running (measured, so a busy machine
/// may add a little).
#[test]
fn a_short_block_takes_the_time_it_really_took() {
    let trace = run("blocking", &["block_ms=5"]);
    let blocker = lane(&trace, "blocker");
    let done = done_at(&trace, blocker);
    assert!(
        (s(0.005)..s(0.05)).contains(&done),
        "blocker done at {done} µs"
    );
    let ran = trace.first_run_us(blocker).unwrap();
    assert!(done - ran >= s(0.005), "ran from {ran} to {done} µs");
}
