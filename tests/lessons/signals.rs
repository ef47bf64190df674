//! `signals`: three waiters start waiting at 0.0, 0.5 and 1.0 s for one
//! event, signalled at 2.0 s through a `Notify`, a `watch` channel or a
//! `Barrier`; all three wake at 2.0 s. A late waiter (2.5 s) is never woken
//! by `notify_waiters` nor let through a barrier, and passes a `watch` at
//! once.

use std::time::Duration;

use crate::support::*;
use lanes::catalog::catalog;
use lanes::engine::{CancelBy, Playback};
use lanes::trace::{EndReason, Level, Trace};

fn line_of(needle: &str) -> u32 {
    source_line("signals", needle)
}

const WAITERS: [&str; 3] = ["waiter 1", "waiter 2", "waiter 3"];

/// The lanes, by name, that logged a line containing `needle`, sorted (the
/// order of wake-ups at one instant is not the point, and with `watch` and
/// `Barrier` tokio does not fix it).
fn who_logged(trace: &Trace, needle: &str) -> Vec<String> {
    let mut names: Vec<String> = logs_with(trace, needle)
        .into_iter()
        .map(|(_, lane, _)| lane.to_string())
        .collect();
    names.sort();
    names
}

/// The run ended stalled at `at`, with the runner's one error naming what
/// the lanes left wait on.
fn stalled_at(trace: &Trace, at: u64) -> &str {
    assert_eq!(trace.end(), Some((at, EndReason::Stalled)));
    let errors: Vec<_> = trace
        .logs()
        .into_iter()
        .filter(|(_, lane, level, _)| *level == Level::Error && lane.is_none())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, at);
    errors[0].3
}

#[test]
fn with_notify_all_three_waiters_wake_together_at_2_0_s() {
    let trace = run("signals", &[]);
    for name in WAITERS {
        assert_eq!(done_at(&trace, lane(&trace, name)), s(2.0), "{name}");
        assert_eq!(lane_logs(&trace, name), [(s(2.0), "done waiting at 2s")]);
    }
    assert_eq!(done_at(&trace, lane(&trace, "setter")), s(2.0));
    assert_eq!(
        lane_logs(&trace, "setter"),
        [(s(2.0), "notify_waiters at 2s")]
    );
    assert_eq!(
        lane_logs(&trace, "main"),
        [(s(2.0), "everyone is through at 2s")]
    );
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(2.0));
    assert_eq!(finished_at(&trace), s(2.0));
    // Notify wakes its waiters in the order they began to wait.
    let woken: Vec<&str> = logs_with(&trace, "done waiting")
        .iter()
        .map(|l| l.1)
        .collect();
    assert_eq!(woken, WAITERS);
}

#[test]
fn the_waiters_start_waiting_half_a_second_apart_on_notify_notified() {
    let trace = run("signals", &[]);
    let arrive = Some(line_of("sleep(arrives).await"));
    let notified = Some(line_of("notify.notified().awaiting("));
    // Waiter 1 sleeps 0 s: ready at once, it waits on nothing but the Notify.
    assert_eq!(
        trace.waits(lane(&trace, "waiter 1")),
        [(0, "Notify::notified", notified)]
    );
    assert_eq!(
        trace.waits(lane(&trace, "waiter 2")),
        [
            (0, "Sleep 500ms", arrive),
            (s(0.5), "Notify::notified", notified)
        ]
    );
    assert_eq!(
        trace.waits(lane(&trace, "waiter 3")),
        [
            (0, "Sleep 1s", arrive),
            (s(1.0), "Notify::notified", notified)
        ]
    );
    assert_eq!(
        trace.waits(lane(&trace, "setter")),
        [(0, "Sleep 2s", Some(line_of("sleep(at).await")))]
    );
    let join = Some(line_of("task.awaiting(\"JoinHandle\")"));
    assert!(
        trace
            .waits(lane(&trace, "main"))
            .iter()
            .all(|w| (w.1, w.2) == ("JoinHandle", join))
    );
}

#[test]
fn every_task_is_a_child_of_main() {
    let trace = run("signals", &[]);
    let main = lane(&trace, "main");
    assert_eq!(
        child_names(&trace, main),
        ["waiter 1", "waiter 2", "waiter 3", "setter"]
    );
    let trace = run("signals", &["late=true"]);
    let main = lane(&trace, "main");
    assert_eq!(
        child_names(&trace, main),
        ["waiter 1", "waiter 2", "waiter 3", "setter", "late waiter"]
    );
}

#[test]
fn with_watch_all_three_wake_at_2_0_s_on_wait_for() {
    let trace = run("signals", &["primitive=watch"]);
    let wait_for = Some(line_of(".awaiting(\"watch::wait_for\")"));
    for (i, name) in WAITERS.iter().enumerate() {
        let waiter = lane(&trace, name);
        assert_eq!(done_at(&trace, waiter), s(2.0), "{name}");
        let last = *trace.waits(waiter).last().unwrap();
        assert_eq!(last, (s(0.5) * i as u64, "watch::wait_for", wait_for));
    }
    assert_eq!(
        who_logged(&trace, "done waiting at 2s"),
        ["waiter 1", "waiter 2", "waiter 3"]
    );
    assert_eq!(
        trace.log_time("sent ready=true at 2s"),
        Some(s(2.0)),
        "the setter's log"
    );
    assert_eq!(trace.log_time("everyone is through at 2s"), Some(s(2.0)));
    assert_eq!(finished_at(&trace), s(2.0));
}

#[test]
fn with_a_barrier_all_pass_when_the_setter_arrives_last_and_it_leads() {
    let trace = run("signals", &["primitive=barrier"]);
    let meet = Some(line_of("barrier.wait().await"));
    for (i, name) in WAITERS.iter().enumerate() {
        let waiter = lane(&trace, name);
        assert_eq!(done_at(&trace, waiter), s(2.0), "{name}");
        let last = *trace.waits(waiter).last().unwrap();
        assert_eq!(last, (s(0.5) * i as u64, "Barrier::wait", meet));
    }
    assert_eq!(
        who_logged(&trace, "done waiting at 2s"),
        ["waiter 1", "waiter 2", "waiter 3"]
    );
    // The setter completes the round: it never waits at the barrier, and it
    // is the one leader.
    let setter = lane(&trace, "setter");
    assert_eq!(
        trace.waits(setter),
        [(0, "Sleep 2s", Some(line_of("sleep(at).await")))]
    );
    assert_eq!(
        lane_logs(&trace, "setter"),
        [
            (s(2.0), "arrives at the barrier at 2s"),
            (s(2.0), "is the barrier's leader")
        ]
    );
    assert_eq!(who_logged(&trace, "leader"), ["setter"]);
    assert_eq!(finished_at(&trace), s(2.0));
}

#[test]
fn an_early_setter_waits_at_the_barrier_and_the_last_waiter_leads() {
    let trace = run("signals", &["primitive=barrier", "set_at_ms=800"]);
    let meet = Some(line_of("barrier.wait().await"));
    assert_eq!(
        trace.waits(lane(&trace, "setter")),
        [
            (0, "Sleep 800ms", Some(line_of("sleep(at).await"))),
            (s(0.8), "Barrier::wait", meet)
        ]
    );
    for name in WAITERS.iter().chain(&["setter"]) {
        assert_eq!(done_at(&trace, lane(&trace, name)), s(1.0), "{name}");
    }
    assert_eq!(who_logged(&trace, "leader"), ["waiter 3"]);
    assert_eq!(finished_at(&trace), s(1.0));
}

#[test]
fn a_late_waiter_is_never_woken_by_notify_waiters() {
    let trace = run("signals", &["late=true"]);
    for name in WAITERS {
        assert_eq!(done_at(&trace, lane(&trace, name)), s(2.0), "{name}");
    }
    let late = lane(&trace, "late waiter");
    assert_eq!(trace.lane_end(late), None);
    assert_eq!(
        trace.waits(late),
        [
            (0, "Sleep 2.5s", Some(line_of("sleep(arrives).await"))),
            (
                s(2.5),
                "Notify::notified",
                Some(line_of("notify.notified().awaiting("))
            )
        ]
    );
    assert!(lane_logs(&trace, "late waiter").is_empty());
    assert_eq!(trace.lane_end(lane(&trace, "main")), None);
    let message = stalled_at(&trace, s(2.5));
    assert!(
        message.starts_with("no lane can ever be woken"),
        "{message}"
    );
    assert!(
        message.contains("'late waiter' waits on Notify::notified"),
        "{message}"
    );
    assert!(message.contains("'main' waits on JoinHandle"), "{message}");
}

#[test]
fn a_late_waiter_sees_the_watch_value_at_once() {
    let trace = run("signals", &["late=true", "primitive=watch"]);
    let late = lane(&trace, "late waiter");
    assert_eq!(done_at(&trace, late), s(2.5));
    // It never waits on the channel: `wait_for` found `true` already there.
    assert_eq!(
        trace.waits(late),
        [(0, "Sleep 2.5s", Some(line_of("sleep(arrives).await")))]
    );
    assert_eq!(
        lane_logs(&trace, "late waiter"),
        [(s(2.5), "done waiting at 2.5s")]
    );
    assert_eq!(trace.log_time("everyone is through at 2.5s"), Some(s(2.5)));
    assert_eq!(finished_at(&trace), s(2.5));
}

#[test]
fn a_late_arrival_at_the_barrier_opens_a_round_nobody_completes() {
    let trace = run("signals", &["late=true", "primitive=barrier"]);
    for name in WAITERS {
        assert_eq!(done_at(&trace, lane(&trace, name)), s(2.0), "{name}");
    }
    let late = lane(&trace, "late waiter");
    assert_eq!(trace.lane_end(late), None);
    assert_eq!(
        trace.waits(late).last().copied(),
        Some((
            s(2.5),
            "Barrier::wait",
            Some(line_of("barrier.wait().await"))
        ))
    );
    let message = stalled_at(&trace, s(2.5));
    assert!(
        message.contains("'late waiter' waits on Barrier::wait"),
        "{message}"
    );
}

#[test]
fn a_waiter_not_yet_waiting_at_the_signal_misses_it_too() {
    // Signalled at 0.8 s, before waiter 3 starts waiting at 1.0 s.
    let trace = run("signals", &["set_at_ms=800"]);
    assert_eq!(done_at(&trace, lane(&trace, "waiter 1")), s(0.8));
    assert_eq!(done_at(&trace, lane(&trace, "waiter 2")), s(0.8));
    assert_eq!(trace.lane_end(lane(&trace, "waiter 3")), None);
    let message = stalled_at(&trace, s(1.0));
    assert!(
        message.contains("'waiter 3' waits on Notify::notified"),
        "{message}"
    );

    let trace = run("signals", &["set_at_ms=800", "primitive=watch"]);
    assert_eq!(done_at(&trace, lane(&trace, "waiter 1")), s(0.8));
    assert_eq!(done_at(&trace, lane(&trace, "waiter 2")), s(0.8));
    assert_eq!(done_at(&trace, lane(&trace, "waiter 3")), s(1.0));
    assert_eq!(finished_at(&trace), s(1.0));
}

#[test]
fn a_late_waiter_in_time_for_the_signal_is_woken_with_the_rest() {
    let trace = run("signals", &["late=true", "late_at_ms=1500"]);
    assert_eq!(done_at(&trace, lane(&trace, "late waiter")), s(2.0));
    assert_eq!(finished_at(&trace), s(2.0));
}

#[test]
fn the_predict_answer_is_when_the_last_waiter_is_done() {
    let trace = run("signals", &[]);
    let ended = done_at(&trace, lane(&trace, "waiter 3"));
    let shown = lanes::render::text::seconds(ended);
    assert_eq!(shown_choice("signals", &[]), Some(shown.as_str()));
    assert_eq!(shown_choice("signals", &[]), Some("2.0 s"));
    for primitive in ["primitive=watch", "primitive=barrier"] {
        assert_eq!(shown_choice("signals", &[primitive]), Some("2.0 s"));
    }
    // The late waiter does not change when waiter 3 is done.
    assert_eq!(shown_choice("signals", &["late=true"]), Some("2.0 s"));
    // Waiter 3 comes after the signal: it passes a watch at once...
    assert_eq!(
        shown_choice("signals", &["set_at_ms=800", "primitive=watch"]),
        Some("1.0 s")
    );
    // ...and a Notify never wakes it, so there is nothing to measure.
    assert_eq!(shown_choice("signals", &["set_at_ms=800"]), None);
    // A barrier waits for its last party, here waiter 3 at 3.0 s.
    assert_eq!(
        shown_choice("signals", &["primitive=barrier", "stagger_ms=1500"]),
        Some("3.0 s")
    );
    // The question follows the number of waiters.
    assert_eq!(
        shown_choice("signals", &["waiters=5", "stagger_ms=250"]),
        Some("2.0 s")
    );
}

#[test]
fn more_waiters_all_wake_at_the_signal() {
    for primitive in ["notify", "watch", "barrier"] {
        let knobs = [
            format!("primitive={primitive}"),
            "waiters=6".into(),
            "stagger_ms=0".into(),
            "set_at_ms=1250".into(),
        ];
        let knobs: Vec<&str> = knobs.iter().map(String::as_str).collect();
        let trace = run("signals", &knobs);
        assert_eq!(trace.lanes_starting_with("waiter ").len(), 6);
        for i in 1..=6 {
            let name = format!("waiter {i}");
            assert_eq!(done_at(&trace, lane(&trace, &name)), s(1.25), "{name}");
        }
        assert_eq!(logs_with(&trace, "done waiting at 1.25s").len(), 6);
        assert_eq!(finished_at(&trace), s(1.25), "{primitive}");
    }
}

#[test]
fn odd_times_are_logged_exactly() {
    let trace = run("signals", &["waiters=1", "set_at_ms=7"]);
    assert_eq!(trace.log_time("notify_waiters at 7ms"), Some(s(0.007)));
    assert_eq!(trace.log_time("done waiting at 7ms"), Some(s(0.007)));
    let trace = run(
        "signals",
        &["primitive=watch", "late=true", "late_at_ms=3333"],
    );
    assert_eq!(trace.log_time("done waiting at 3.333s"), Some(s(3.333)));
    assert_eq!(
        trace.log_time("everyone is through at 3.333s"),
        Some(s(3.333))
    );
}

/// Plays the lesson with `knobs` to 1.2 s (every waiter waiting), presses
/// `x` on the lane `name`, and plays on to the end.
fn press_x_at_1_2_s(knobs: &[&str], name: &str) -> Trace {
    let lesson = catalog().unwrap().lesson("signals").unwrap();
    let spec = lesson.run_spec(lesson.knobs_with(knobs).unwrap());
    let mut playback = Playback::new(spec, true);
    playback.tick(Duration::from_millis(1_200));
    pump_until(&mut playback, "waiter 3 waiting", |t| {
        t.lane_named("waiter 3")
            .is_some_and(|l| t.waits(l).len() == 2)
    });
    let target = playback.trace().lane_named(name).unwrap();
    assert_eq!(playback.cancel(target), Ok(CancelBy::Abort));
    playback.tick(Duration::from_secs(10));
    pump_until(&mut playback, "the end", |t| t.end().is_some());
    playback.trace().clone()
}

#[test]
fn x_on_the_setter_with_notify_leaves_the_waiters_waiting_for_good() {
    let trace = press_x_at_1_2_s(&[], "setter");
    let at = cancelled_at(&trace, lane(&trace, "setter"));
    assert!((s(1.2)..=s(1.21)).contains(&at), "{at}");
    for name in WAITERS {
        assert_eq!(trace.lane_end(lane(&trace, name)), None, "{name}");
    }
    let message = stalled_at(&trace, at);
    assert!(
        message.contains("'waiter 1' waits on Notify::notified"),
        "{message}"
    );
}

#[test]
fn x_on_the_setter_with_watch_closes_the_channel_and_the_waiters_fail() {
    let trace = press_x_at_1_2_s(&["primitive=watch"], "setter");
    let at = cancelled_at(&trace, lane(&trace, "setter"));
    assert!((s(1.2)..=s(1.21)).contains(&at), "{at}");
    // Dropping the sender closes the channel: every `wait_for` returns
    // `Err(RecvError)`, and main passes the first one up.
    for name in WAITERS {
        assert_eq!(
            failed_at(&trace, lane(&trace, name)),
            (at, "channel closed".to_string()),
            "{name}"
        );
    }
    assert_eq!(
        failed_at(&trace, lane(&trace, "main")),
        (at, "channel closed".to_string())
    );
    assert_eq!(trace.end(), Some((at, EndReason::Finished)));
}

#[test]
fn x_on_the_setter_with_a_barrier_leaves_the_round_one_short() {
    let trace = press_x_at_1_2_s(&["primitive=barrier"], "setter");
    let at = cancelled_at(&trace, lane(&trace, "setter"));
    for name in WAITERS {
        assert_eq!(trace.lane_end(lane(&trace, name)), None, "{name}");
    }
    let message = stalled_at(&trace, at);
    for name in WAITERS {
        assert!(
            message.contains(&format!("'{name}' waits on Barrier::wait")),
            "{message}"
        );
    }
}

#[test]
fn x_on_a_waiter_at_the_barrier_still_counts_its_arrival() {
    let trace = press_x_at_1_2_s(&["primitive=barrier"], "waiter 1");
    let at = cancelled_at(&trace, lane(&trace, "waiter 1"));
    assert!((s(1.2)..=s(1.21)).contains(&at), "{at}");
    // `Barrier::wait` is not cancel safe: the dropped wait was counted, so
    // the setter's arrival at 2.0 s still completes the round.
    assert_eq!(done_at(&trace, lane(&trace, "waiter 2")), s(2.0));
    assert_eq!(done_at(&trace, lane(&trace, "waiter 3")), s(2.0));
    assert_eq!(done_at(&trace, lane(&trace, "setter")), s(2.0));
    assert_eq!(who_logged(&trace, "leader"), ["setter"]);
    // main, waiting on waiter 1's handle, hears of it at once.
    assert_eq!(trace.log_time("waiter 1 was cancelled"), Some(at));
    assert_eq!(finished_at(&trace), s(2.0));
}

#[test]
fn no_lane_waits_on_unknown() {
    for knobs in [
        &[][..],
        &["primitive=watch"],
        &["primitive=barrier"],
        &["late=true"],
        &["late=true", "primitive=watch"],
        &["late=true", "primitive=barrier"],
        &["primitive=barrier", "set_at_ms=800"],
    ] {
        let trace = run("signals", knobs);
        assert_no_unknown_waits(&trace);
    }
}

#[test]
fn deterministic() {
    assert_deterministic("signals", &[]);
    assert_deterministic("signals", &["late=true"]);
    assert_deterministic("signals", &["set_at_ms=800", "waiters=5"]);
}

/// With `watch` and `Barrier` (built on a watch channel), tokio puts each
/// waiter in one of eight internal queues picked by the runtime's random
/// number generator; the engine seeds it, so the order is the same on
/// every run.
#[test]
fn deterministic_with_watch_and_barrier() {
    for _ in 0..5 {
        assert_deterministic("signals", &["primitive=watch"]);
        assert_deterministic("signals", &["primitive=barrier"]);
    }
}
