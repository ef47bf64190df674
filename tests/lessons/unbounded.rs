//! `unbounded`: 10,000 jobs of 0.1 s, all spawned at once (done at 0.1 s),
//! then through `buffer_unordered(100)` (100 at a time, 10 s in all).

use std::time::Duration;

use crate::support::*;
use lanes::catalog::catalog;
use lanes::engine::{CancelBy, Playback, Refusal};
use lanes::trace::{LaneId, Trace};
use lanes::ui::lesson::{AUTO_FOLD_CHILDREN, lane_rows};
use lanes::ui::snapshot::{Tally, shown_rows};

const ID: &str = "unbounded";

fn line_of(needle: &str) -> u32 {
    source_line(ID, needle)
}

/// The most of these lanes alive (spawned, not ended) at one instant.
fn most_alive_at_once(trace: &Trace, lanes: &[LaneId]) -> usize {
    let mut changes: Vec<(u64, i64)> = Vec::new();
    for &lane in lanes {
        let spawned = trace.lane_events(lane).next().expect("spawned").t_us;
        let ended = trace.lane_end(lane).expect("ended").t_us();
        changes.push((spawned, 1));
        changes.push((ended, -1));
    }
    // At one instant, the ends count before the starts they make room for.
    changes.sort();
    let (mut alive, mut most) = (0i64, 0i64);
    for (_, change) in changes {
        alive += change;
        most = most.max(alive);
    }
    most as usize
}

#[test]
fn the_two_halves_are_children_of_main_and_the_jobs_of_their_half() {
    let trace = run(ID, &[]);
    let main = lane(&trace, "main");
    assert_eq!(trace.parent(main), None);
    assert_eq!(child_names(&trace, main), ["unbounded", "bounded"]);
    for half in ["unbounded", "bounded"] {
        let jobs = child_names(&trace, lane(&trace, half));
        assert_eq!(jobs.len(), 10_000, "{half}");
        let expected: Vec<String> = (1..=10_000).map(|i| format!("job {i}")).collect();
        assert_eq!(jobs, expected, "{half}");
    }
    assert_eq!(trace.lanes().len(), 3 + 20_000);
}

#[test]
fn unbounded_runs_all_10_000_at_once_and_is_done_at_0_1_s() {
    let trace = run(ID, &[]);
    let half = lane(&trace, "unbounded");
    let jobs = trace.children(Some(half));
    for &job in &jobs {
        assert_eq!(trace.first_run_us(job), Some(0));
        assert_eq!(done_at(&trace, job), s(0.1));
    }
    assert_eq!(most_alive_at_once(&trace, &jobs), 10_000);
    assert_eq!(done_at(&trace, half), s(0.1));
    assert_eq!(
        trace.log_time("unbounded half done jobs=10000 took=100ms"),
        Some(s(0.1))
    );
}

#[test]
fn bounded_runs_100_at_a_time_and_takes_10_s() {
    let trace = run(ID, &[]);
    let half = lane(&trace, "bounded");
    assert_eq!(trace.first_run_us(half), Some(s(0.1)));
    let jobs = trace.children(Some(half));
    for (i, &job) in jobs.iter().enumerate() {
        // Round r (from 0) is made, starts and sleeps from 0.1 s + r × 0.1 s.
        let start = s(0.1) + (i as u64 / 100) * s(0.1);
        let spawned = trace.lane_events(job).next().unwrap().t_us;
        assert_eq!(spawned, start, "job {} is made when there is room", i + 1);
        assert_eq!(trace.first_run_us(job), Some(start), "job {}", i + 1);
        assert_eq!(done_at(&trace, job), start + s(0.1), "job {}", i + 1);
    }
    assert_eq!(most_alive_at_once(&trace, &jobs), 100);
    assert_eq!(done_at(&trace, half), s(10.1));
    assert_eq!(
        trace.log_time("bounded half done jobs=10000 limit=100 took=10s"),
        Some(s(10.1))
    );
    assert_eq!(done_at(&trace, lane(&trace, "main")), s(10.1));
    assert_eq!(finished_at(&trace), s(10.1));
}

#[test]
fn each_half_folds_into_one_row_that_counts_its_jobs() {
    let trace = run(ID, &[]);
    let main = lane(&trace, "main");
    let (unbounded, bounded) = (lane(&trace, "unbounded"), lane(&trace, "bounded"));
    // The interface folds a parent of more than AUTO_FOLD_CHILDREN lanes.
    let folded: std::collections::HashSet<LaneId> = (1..=trace.lanes().len() as LaneId)
        .filter(|&l| trace.children(Some(l)).len() > AUTO_FOLD_CHILDREN)
        .collect();
    assert_eq!(folded, [unbounded, bounded].into());
    let tally = |t_us: u64| -> Vec<(LaneId, Option<Tally>)> {
        let rows = lane_rows(&trace, &folded, t_us);
        shown_rows(&trace, &rows, t_us)
            .into_iter()
            .map(|r| (r.row.lane, r.folded))
            .collect()
    };
    let counts = |total, waiting, done| Tally {
        total,
        waiting,
        done,
        ..Tally::default()
    };
    // Halfway through the first half: 10,000 sleeping at once.
    assert_eq!(
        tally(s(0.05)),
        [(main, None), (unbounded, Some(counts(10_000, 10_000, 0)))]
    );
    // Halfway through the second: 4,900 done, 100 sleeping, and the other
    // 5,000 not made yet.
    assert_eq!(
        tally(s(5.05)),
        [
            (main, None),
            (unbounded, Some(counts(10_000, 0, 10_000))),
            (bounded, Some(counts(5_000, 100, 4_900)))
        ]
    );
}

#[test]
fn jobs_wait_on_their_sleep_and_the_halves_on_their_jobs() {
    let trace = run(ID, &[]);
    let sleep = Some(line_of("sleep(took).await"));
    for half in ["unbounded", "bounded"] {
        let first = trace.children(Some(lane(&trace, half)))[0];
        let start = trace.first_run_us(first).unwrap();
        assert_eq!(
            trace.waits(first),
            [(start, "Sleep 100ms", sleep)],
            "{half}"
        );
    }
    let join_handle = Some(line_of("handle.awaiting(\"JoinHandle\")"));
    let waits = trace.waits(lane(&trace, "unbounded"));
    assert!(!waits.is_empty());
    assert!(
        waits
            .iter()
            .all(|w| (w.1, w.2) == ("JoinHandle", join_handle)),
        "{waits:?}"
    );
    // buffer_unordered polls its jobs inside `bounded`, which waits on
    // the stream, the wait named by the lesson.
    let stream = Some(line_of(".awaiting(\"buffer_unordered\").await"));
    let waits = trace.waits(lane(&trace, "bounded"));
    assert_eq!(waits.len(), 100, "one wait a round");
    assert!(
        waits
            .iter()
            .all(|w| (w.1, w.2) == ("buffer_unordered", stream)),
        "{waits:?}"
    );
    let waits = trace.waits(lane(&trace, "main"));
    assert!(waits.iter().all(|w| (w.1, w.2) == ("join", None)));
}

#[test]
fn the_predict_answer_is_what_the_run_shows() {
    let trace = run(ID, &[]);
    let half = lane(&trace, "bounded");
    let took = done_at(&trace, half) - trace.first_run_us(half).unwrap();
    let shown = lanes::render::text::seconds(took);
    assert_eq!(shown, "10.0 s");
    assert_eq!(shown_choice(ID, &[]), Some(shown.as_str()));
    // Ten times the limit, a tenth of the time; a limit as large as the
    // job count is as quick as no limit.
    assert_eq!(shown_choice(ID, &["limit=1000"]), Some("1.0 s"));
    assert_eq!(shown_choice(ID, &["limit=10000"]), Some("0.1 s"));
    // 250 jobs make three rounds, 0.3 s: no choice says so.
    assert_eq!(shown_choice(ID, &["jobs=250"]), None);
    let lesson = catalog().unwrap().lesson(ID).unwrap();
    let question = lesson.question(&lesson.default_knobs());
    assert!(
        question.contains("10000 jobs of 0.1 s each") && question.contains("buffer_unordered(100)"),
        "{question}"
    );
}

#[test]
fn a_last_short_round_and_odd_times_log_exactly() {
    let trace = run(ID, &["jobs=250"]);
    assert_eq!(
        trace.log_time("bounded half done jobs=250 limit=100 took=300ms"),
        Some(s(0.4))
    );
    let jobs = trace.children(Some(lane(&trace, "bounded")));
    assert_eq!(done_at(&trace, jobs[199]), s(0.3));
    assert_eq!(trace.first_run_us(jobs[200]), Some(s(0.3)));
    assert_eq!(done_at(&trace, jobs[249]), s(0.4));

    // 20 jobs of 30 ms, 7 at a time: rounds of 7, 7 and 6.
    let trace = run(ID, &["jobs=20", "job_ms=30", "limit=7"]);
    assert_eq!(
        trace.log_time("unbounded half done jobs=20 took=30ms"),
        Some(s(0.03))
    );
    assert_eq!(
        trace.log_time("bounded half done jobs=20 limit=7 took=90ms"),
        Some(s(0.12))
    );
    let jobs = trace.children(Some(lane(&trace, "bounded")));
    assert_eq!(most_alive_at_once(&trace, &jobs), 7);

    let trace = run(ID, &["jobs=1", "job_ms=1", "limit=1"]);
    assert_eq!(
        trace.log_time("bounded half done jobs=1 limit=1 took=1ms"),
        Some(s(0.002))
    );
}

#[test]
fn a_limit_of_all_the_jobs_is_no_limit() {
    let trace = run(ID, &["jobs=500", "limit=500"]);
    let jobs = trace.children(Some(lane(&trace, "bounded")));
    assert_eq!(most_alive_at_once(&trace, &jobs), 500);
    assert!(jobs.iter().all(|&j| done_at(&trace, j) == s(0.2)));
    assert_eq!(
        trace.log_time("bounded half done jobs=500 limit=500 took=100ms"),
        Some(s(0.2))
    );
}

#[test]
fn no_lane_waits_on_unknown() {
    for knobs in [&[][..], &["jobs=20", "job_ms=30", "limit=7"]] {
        let trace = run(ID, knobs);
        assert_no_unknown_waits(&trace);
    }
}

#[test]
fn deterministic() {
    assert_deterministic(ID, &[]);
    assert_deterministic(ID, &["jobs=333", "job_ms=70", "limit=9"]);
}

#[test]
fn live_a_spawned_job_can_be_cancelled_but_a_buffered_one_cannot() {
    let lesson = catalog().unwrap().lesson(ID).unwrap();
    let knobs = lesson.knobs_with(&["jobs=300"]).unwrap();
    let mut playback = Playback::new(lesson.run_spec(knobs), true);
    playback.tick(Duration::from_millis(50));
    pump_until(&mut playback, "the spawned jobs", |t| {
        t.lane_named("job 300")
            .is_some_and(|l| t.first_run_us(l).is_some())
    });
    // `job 7` of the first half is a task handed over with `cancellable`.
    let job_7 = lane(playback.trace(), "job 7");
    assert_eq!(playback.cancel(job_7), Ok(CancelBy::Abort));
    playback.tick(Duration::from_millis(100));
    pump_until(&mut playback, "the bounded jobs", |t| {
        t.lane_named("bounded")
            .is_some_and(|b| t.children(Some(b)).len() == 100)
    });
    // A job of the second half is a future inside `bounded`'s task.
    let trace = playback.trace();
    let buffered = trace.children(Some(lane(trace, "bounded")))[0];
    assert_eq!(playback.cancel(buffered), Err(Refusal::InPlace));

    playback.tick(Duration::from_secs(2));
    pump_until(&mut playback, "the end", |t| t.end().is_some());
    let trace = playback.trace();
    let cancelled = cancelled_at(trace, job_7);
    assert!(cancelled < s(0.1), "{cancelled}");
    assert!(trace.cancelled_by_you(job_7));
    assert_eq!(trace.log_time("job 7 was cancelled"), Some(s(0.1)));
    assert_eq!(
        trace.log_time("unbounded half done jobs=299 took=100ms"),
        Some(s(0.1))
    );
    assert_eq!(
        trace.log_time("bounded half done jobs=300 limit=100 took=300ms"),
        Some(s(0.4))
    );
}

/// `lanes run unbounded` prints a chart a person can read: each half's first
/// and last five jobs, and one line for the 9,990 between, counted.
#[test]
fn the_text_chart_folds_each_half_to_its_ends() {
    let chart = lanes::render::text::render(&run("unbounded", &[]));
    assert!(
        chart.lines().count() < 80,
        "{} lines",
        chart.lines().count()
    );
    assert_eq!(chart.matches("9990 more lanes, not drawn").count(), 2);
    assert!(
        chart.contains("9990 more: 9990 done, the last at 0.1 s"),
        "{chart}"
    );
    assert!(
        chart.contains("9990 more: 9990 done, the last at 10.1 s"),
        "{chart}"
    );
    for job in ["job 5 ", "job 9996 "] {
        assert_eq!(
            chart.matches(job).count(),
            4,
            "{job}: chart and lanes, both halves"
        );
    }
    assert!(!chart.contains("job 6 "), "{chart}");
}
