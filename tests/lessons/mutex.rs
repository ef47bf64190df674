//! `mutex`: 5 workers × 10 increments of one counter; each increment reads,
//! pauses 0.01 s, writes. With the lock: 50 in 0.5 s, in turns. Without:
//! 10 in 0.1 s, 40 updates lost.

use lanes::trace::Level;

use crate::support::*;

fn line_of(needle: &str) -> u32 {
    source_line("mutex", needle)
}

const WORKERS: [&str; 5] = ["worker 1", "worker 2", "worker 3", "worker 4", "worker 5"];

#[test]
fn with_the_lock_the_count_is_50_after_0_5_s() {
    let trace = run("mutex", &[]);
    assert_eq!(
        trace.log_time("final count 50 (expected 50) after 500ms"),
        Some(s(0.5))
    );
    assert_eq!(logs_with(&trace, "updates lost"), []);
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(0.5));
    assert_eq!(finished_at(&trace), s(0.5));
    assert_eq!(done_at(&trace, lane(&trace, "worker 1")), s(0.46));
    assert_eq!(done_at(&trace, lane(&trace, "worker 5")), s(0.5));
}

#[test]
fn with_the_lock_the_workers_take_turns() {
    let trace = run("mutex", &[]);
    // Increment k (0-based) is written at (k + 1) × 0.01 s by worker
    // k mod 5 + 1, having read k: round and round the five.
    let writes = logs_with(&trace, "wrote");
    assert_eq!(writes.len(), 50);
    for (k, (t, worker, text)) in writes.iter().enumerate() {
        assert_eq!(*t, s((k + 1) as f64 * 0.01), "{text}");
        assert_eq!(*worker, WORKERS[k % 5]);
        assert_eq!(*text, format!("read {k}, wrote {}", k + 1));
    }
}

#[test]
fn waiting_workers_show_mutex_lock_and_the_holder_its_sleep() {
    let trace = run("mutex", &[]);
    let pause = line_of("sleep(pause)");
    // At 0.0 s worker 1 holds the lock and pauses; the other four queue.
    assert_eq!(
        trace.waits(lane(&trace, "worker 1"))[0],
        (0, "Sleep 10ms", Some(pause))
    );
    for name in &WORKERS[1..] {
        // (No line: tokio reports where a lock was made, not where it is taken.)
        let (t, on, _) = trace.waits(lane(&trace, name))[0];
        assert_eq!((t, on), (0, "Mutex::lock"), "{name}");
    }
    // worker 2 gets the lock when worker 1's guard drops, at 0.01 s.
    assert_eq!(
        trace.waits(lane(&trace, "worker 2"))[1],
        (s(0.01), "Sleep 10ms", Some(pause))
    );
    // Over the whole run, every worker only ever waits on those two.
    for name in WORKERS {
        let waits = trace.waits(lane(&trace, name));
        let locks = waits.iter().filter(|w| w.1 == "Mutex::lock").count();
        let sleeps = waits
            .iter()
            .filter(|w| w.1 == "Sleep 10ms" && w.2 == Some(pause))
            .count();
        assert_eq!(sleeps, 10, "{name}: {waits:?}");
        assert_eq!(locks + sleeps, waits.len(), "{name}: {waits:?}");
    }
}

#[test]
fn without_the_lock_updates_are_lost() {
    let trace = run("mutex", &["lock=false"]);
    assert_eq!(
        trace.log_time("final count 10 (expected 50) after 100ms"),
        Some(s(0.1))
    );
    let lost = trace.logs().into_iter().find(|l| l.3 == "updates lost: 40");
    assert_eq!(lost.map(|l| (l.0, l.2)), Some((s(0.1), Level::Warn)));
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(0.1));
    // All five read 0 and all five write 1, at 0.01 s: four writes wasted.
    let first_round: Vec<_> = logs_with(&trace, "wrote").into_iter().take(5).collect();
    let expected: Vec<_> = WORKERS
        .iter()
        .map(|&w| (s(0.01), w, "read 0, wrote 1"))
        .collect();
    assert_eq!(first_round, expected);
    for name in WORKERS {
        let worker = lane(&trace, name);
        assert_eq!(done_at(&trace, worker), s(0.1), "{name}");
        // No lock to wait for: only the pause.
        assert!(
            trace.waits(worker).iter().all(|w| w.1 == "Sleep 10ms"),
            "{name}"
        );
    }
}

#[test]
fn other_knob_values() {
    let trace = run("mutex", &["workers=2", "increments=3", "pause_ms=100"]);
    assert_eq!(
        trace.log_time("final count 6 (expected 6) after 600ms"),
        Some(s(0.6))
    );
    let trace = run("mutex", &["lock=false", "workers=3", "increments=4"]);
    assert_eq!(trace.log_time("final count 4 (expected 12)"), Some(s(0.04)));
    assert_eq!(trace.log_time("updates lost: 8"), Some(s(0.04)));
}

#[test]
fn odd_times_and_one_lost_update_log_exactly() {
    let trace = run("mutex", &["pause_ms=3"]);
    assert_eq!(
        trace.log_time("final count 50 (expected 50) after 150ms"),
        Some(s(0.15))
    );
    let trace = run(
        "mutex",
        &["lock=false", "workers=2", "increments=1", "pause_ms=3"],
    );
    assert_eq!(
        trace.log_time("final count 1 (expected 2) after 3ms"),
        Some(s(0.003))
    );
    assert_eq!(trace.log_time("updates lost: 1"), Some(s(0.003)));
}

#[test]
fn every_worker_is_a_child_of_main() {
    let trace = run("mutex", &[]);
    let main = lane(&trace, "main");
    let names = child_names(&trace, main);
    assert_eq!(names, WORKERS);
    assert_eq!(trace.children(None), [main]);
}

#[test]
fn no_lane_ever_waits_on_unknown() {
    for knobs in [&[][..], &["lock=false"][..]] {
        let trace = run("mutex", knobs);
        for l in 1..=trace.lanes().len() as u32 {
            let waits = trace.waits(l);
            assert!(
                !waits.iter().any(|w| w.1 == "unknown"),
                "{}: {waits:?}",
                trace.lane_name(l)
            );
        }
    }
}

#[test]
fn predict_answer_is_what_the_run_shows() {
    assert_eq!(shown_choice("mutex", &[]), Some("0.5 s"));
    assert_eq!(shown_choice("mutex", &["lock=false"]), Some("0.1 s"));
    let trace = run("mutex", &[]);
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(0.5));
}

#[test]
fn deterministic() {
    assert_deterministic("mutex", &[]);
    assert_deterministic("mutex", &["lock=false"]);
}
