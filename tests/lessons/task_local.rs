//! `task-local`: three requests, each a task inside `REQUEST_ID.scope`,
//! log from nested calls with their own id, interleaved; each spawns an
//! audit task, which finds the id only if it is scoped again (`audit`).

use std::time::Duration;

use crate::support::*;
use lanes::catalog::catalog;
use lanes::engine::{CancelBy, Playback};
use lanes::trace::{Level, Trace};

const ID: &str = "task-local";

fn line_of(needle: &str) -> u32 {
    source_line(ID, needle)
}

/// Every log line of one lane: (time, level, text).
fn logs_of<'a>(trace: &'a Trace, name: &str) -> Vec<(u64, Level, &'a str)> {
    let id = lane(trace, name);
    trace
        .logs()
        .into_iter()
        .filter(|(_, l, ..)| *l == Some(id))
        .map(|(t, _, level, text)| (t, level, text))
        .collect()
}

/// What request `n` (queries of `n` × `step`) logs when nothing goes wrong:
/// (time, text).
fn request_lines(n: u64, step: f64) -> Vec<(u64, String)> {
    let q = s(step) * n;
    [
        (0, "request received"),
        (0, "loading the user"),
        (q, "users query answered"),
        (q, "loading the orders"),
        (2 * q, "orders query answered"),
        (2 * q, "response sent"),
    ]
    .into_iter()
    .map(|(t, text)| (t, format!("{text} request_id={n}")))
    .collect()
}

#[test]
fn every_line_of_a_request_carries_its_own_id() {
    let trace = run(ID, &[]);
    for n in 1..=3u64 {
        let name = format!("request {n}");
        let lines: Vec<(u64, String)> = logs_of(&trace, &name)
            .into_iter()
            .map(|(t, level, text)| {
                assert_eq!(level, Level::Info, "{text}");
                (t, text.to_string())
            })
            .collect();
        assert_eq!(lines, request_lines(n, 0.1), "{name}");
        let own = format!("request_id={n}");
        assert!(lines.iter().all(|(_, text)| text.ends_with(&own)));
    }
}

#[test]
fn the_requests_interleave() {
    let trace = run(ID, &[]);
    // The query answers, in the order they were logged: request 2's users
    // query comes between request 1's two, and so on.
    let answers: Vec<(u64, &str)> = logs_with(&trace, "query answered")
        .into_iter()
        .map(|(t, lane, _)| (t, lane))
        .collect();
    assert_eq!(
        answers,
        [
            (s(0.1), "request 1"),
            (s(0.2), "request 2"),
            (s(0.2), "request 1"),
            (s(0.3), "request 3"),
            (s(0.4), "request 2"),
            (s(0.6), "request 3"),
        ]
    );
    let main = lane(&trace, "main");
    for n in 1..=3u64 {
        let request = lane(&trace, &format!("request {n}"));
        assert_eq!(trace.parent(request), Some(main));
        assert_eq!(trace.first_run_us(request), Some(0));
        assert_eq!(done_at(&trace, request), s(0.2) * n);
        let sleep = Some(line_of("sleep(latency).await"));
        let waited = format!("Sleep {}ms", 100 * n);
        assert_eq!(
            trace.waits(request),
            vec![
                (0, waited.as_str(), sleep),
                (s(0.1) * n, waited.as_str(), sleep)
            ]
        );
    }
    assert_eq!(
        trace.log_time("every request answered requests=3 audited=3"),
        Some(s(0.6))
    );
    assert_eq!(done_at(&trace, main), s(0.6));
    assert_eq!(finished_at(&trace), s(0.6));
}

#[test]
fn a_scoped_audit_task_sees_its_request_s_id() {
    let trace = run(ID, &[]);
    for n in 1..=3u64 {
        let request = lane(&trace, &format!("request {n}"));
        let name = format!("audit {n}");
        let audit = lane(&trace, &name);
        // Spawned by the request: its child lane.
        assert_eq!(trace.parent(audit), Some(request));
        assert_eq!(done_at(&trace, audit), s(0.05));
        assert_eq!(
            trace.waits(audit),
            vec![(0, "Sleep 50ms", Some(line_of("sleep(work).await")))]
        );
        assert_eq!(
            logs_of(&trace, &name),
            [(
                s(0.05),
                Level::Info,
                format!("audit record written request_id={n}").as_str()
            )]
        );
    }
    assert_eq!(trace.lanes().len(), 7);
}

#[test]
fn a_bare_audit_task_has_no_id_and_says_so() {
    let trace = run(ID, &["audit=bare"]);
    for n in 1..=3u64 {
        let audit = lane(&trace, &format!("audit {n}"));
        assert_eq!(
            failed_at(&trace, audit),
            (s(0.05), "task-local value not set".to_string())
        );
        assert!(logs_of(&trace, &format!("audit {n}")).is_empty());
        // The request itself still has its id, on every line, the warning
        // about its audit task included.
        let mut expected = request_lines(n, 0.1);
        let warning = format!("the audit task failed: task-local value not set request_id={n}");
        expected.insert(5, (s(0.2) * n, warning));
        let lines: Vec<(u64, String)> = logs_of(&trace, &format!("request {n}"))
            .into_iter()
            .map(|(t, _, text)| (t, text.to_string()))
            .collect();
        assert_eq!(lines, expected, "request {n}");
        let warned: Vec<Level> = logs_of(&trace, &format!("request {n}"))
            .into_iter()
            .map(|l| l.1)
            .filter(|l| *l == Level::Warn)
            .collect();
        assert_eq!(warned, [Level::Warn]);
        assert_eq!(
            done_at(&trace, lane(&trace, &format!("request {n}"))),
            s(0.2) * n
        );
    }
    assert_eq!(
        trace.log_time("every request answered requests=3 audited=0"),
        Some(s(0.6))
    );
    assert_eq!(finished_at(&trace), s(0.6));
}

#[test]
fn main_and_a_slow_audit_s_request_wait_on_join_handles() {
    let trace = run(ID, &[]);
    let main_join = Some(line_of("match task.awaiting(\"JoinHandle\")"));
    assert_eq!(
        trace.waits(lane(&trace, "main")),
        vec![
            (0, "JoinHandle", main_join),
            (s(0.2), "JoinHandle", main_join),
            (s(0.4), "JoinHandle", main_join),
        ]
    );
    // A 0.5 s audit outlasts requests 1 and 2, which wait for it.
    let trace = run(ID, &["audit_ms=500"]);
    let audit_join = Some(line_of("audit_task.awaiting(\"JoinHandle\")"));
    let request_1 = lane(&trace, "request 1");
    assert_eq!(
        trace.waits(request_1).last().copied(),
        Some((s(0.2), "JoinHandle", audit_join))
    );
    assert_eq!(done_at(&trace, request_1), s(0.5));
    assert_eq!(done_at(&trace, lane(&trace, "request 2")), s(0.5));
    assert_eq!(done_at(&trace, lane(&trace, "request 3")), s(0.6));
    for n in 1..=3 {
        assert_eq!(
            trace.log_time(&format!("audit record written request_id={n}")),
            Some(s(0.5))
        );
    }
}

#[test]
fn the_predict_answer_is_what_the_run_shows() {
    let trace = run(ID, &[]);
    let found = logs_with(&trace, "audit record written").len();
    assert_eq!(shown_choice(ID, &[]), Some(found.to_string().as_str()));
    assert_eq!(shown_choice(ID, &[]), Some("3"));
    assert_eq!(shown_choice(ID, &["audit=bare"]), Some("0"));
    assert_eq!(shown_choice(ID, &["requests=1"]), Some("1"));
    assert_eq!(shown_choice(ID, &["requests=1", "audit=bare"]), Some("0"));
    // Five requests, all audited: no choice says 5.
    assert_eq!(shown_choice(ID, &["requests=5"]), None);
}

#[test]
fn more_requests_and_odd_times_log_exactly() {
    let trace = run(ID, &["requests=5", "query_ms=30", "audit_ms=7"]);
    for n in 1..=5u64 {
        let name = format!("request {n}");
        assert_eq!(done_at(&trace, lane(&trace, &name)), s(0.06) * n);
        let own = format!("request_id={n}");
        let lines = logs_of(&trace, &name);
        assert_eq!(lines.len(), 6, "{name}");
        assert!(lines.iter().all(|l| l.2.ends_with(&own)), "{name}");
        assert_eq!(
            trace.log_time(&format!("audit record written {own}")),
            Some(s(0.007))
        );
    }
    assert_eq!(
        trace.log_time("every request answered requests=5 audited=5"),
        Some(s(0.3))
    );
}

#[test]
fn no_lane_waits_on_unknown() {
    for knobs in [&[][..], &["audit=bare"], &["audit_ms=500"]] {
        let trace = run(ID, knobs);
        assert_no_unknown_waits(&trace);
    }
}

#[test]
fn deterministic() {
    assert_deterministic(ID, &[]);
    assert_deterministic(ID, &["audit=bare", "requests=6", "query_ms=70"]);
}

#[test]
fn live_a_cancelled_request_or_audit_is_logged_not_failed() {
    let lesson = catalog().unwrap().lesson(ID).unwrap();
    let mut playback = Playback::new(lesson.run_spec(lesson.default_knobs()), true);
    // At 0.02 s every audit task is still at work.
    playback.tick(Duration::from_millis(20));
    pump_until(&mut playback, "the audit tasks", |t| {
        t.lane_named("audit 3")
            .is_some_and(|l| t.first_run_us(l).is_some())
    });
    let audit_1 = lane(playback.trace(), "audit 1");
    assert_eq!(playback.cancel(audit_1), Ok(CancelBy::Abort));
    // At 0.15 s request 2 waits on its users query.
    playback.tick(Duration::from_millis(130));
    pump_until(&mut playback, "request 1's users query", |t| {
        t.log_time("users query answered request_id=1").is_some()
    });
    let request_2 = lane(playback.trace(), "request 2");
    assert_eq!(playback.cancel(request_2), Ok(CancelBy::Abort));
    playback.tick(Duration::from_secs(2));
    pump_until(&mut playback, "the end", |t| t.end().is_some());

    let trace = playback.trace();
    let at = cancelled_at(trace, audit_1);
    assert!((s(0.02)..s(0.05)).contains(&at), "{at}");
    assert!(trace.cancelled_by_you(audit_1));
    assert_eq!(
        trace.log_time("the audit task was cancelled request_id=1"),
        Some(s(0.2))
    );
    let at = cancelled_at(trace, request_2);
    assert!((s(0.1)..s(0.2)).contains(&at), "{at}");
    assert!(trace.log_time("response sent request_id=2").is_none());
    // main learns of it when it gets to request 2's handle, right after
    // request 1's, at 0.2 s.
    assert_eq!(trace.log_time("request 2 was cancelled"), Some(s(0.2)));
    // Audit 2 had written its record, but request 2 never returned to say
    // so, and audit 1 never wrote one: only request 3's audit counts.
    assert_eq!(
        trace.log_time("audit record written request_id=2"),
        Some(s(0.05))
    );
    assert_eq!(
        trace.log_time("every request answered requests=3 audited=1"),
        Some(s(0.6))
    );
}
