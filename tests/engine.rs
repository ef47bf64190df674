//! The engine under tokio's paused clock: lane states, parents, failure
//! modes, and pacing. Each test runs a small lesson written inline.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lanes::engine::{
    CancelBy, Clock, Knobs, Mode, Outcome, Pacing, Playback, Refusal, Run, RunSpec, run_headless,
};
use lanes::prelude::*;
use lanes::trace::{EndReason, EventKind, LaneEnd, Trace};
use tokio::time::sleep;
use tracing::info;

const WALL: Duration = Duration::from_secs(10);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn spec<F, Fut>(f: F) -> RunSpec
where
    F: Fn(Knobs) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Outcome,
{
    RunSpec::from_fn("test", Knobs::default(), f)
}

fn run<F, Fut>(f: F) -> Trace
where
    F: Fn(Knobs) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Outcome,
{
    run_headless(spec(f), WALL)
}

fn named(trace: &Trace, name: &str) -> u32 {
    trace
        .lane_named(name)
        .unwrap_or_else(|| panic!("no lane {name}"))
}

/// Waits (in real time) until `cond` holds for the playback's trace.
fn pump_until(playback: &mut Playback, what: &str, cond: impl Fn(&Trace) -> bool) {
    let deadline = Instant::now() + WALL;
    while !cond(playback.trace()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        playback.tick(Duration::ZERO);
        std::thread::sleep(ms(2));
    }
}

#[test]
fn a_lane_goes_spawned_running_awaiting_done() {
    let trace = run(|_| async {
        tokio::spawn(sleep(ms(300)).lane("sleeper"))
            .awaiting("JoinHandle")
            .await
            .unwrap();
    });
    let lane = named(&trace, "sleeper");
    let kinds: Vec<(u64, &str)> = trace
        .lane_events(lane)
        .map(|e| {
            let kind = match e.kind {
                EventKind::Spawned { .. } => "spawned",
                EventKind::Running => "running",
                EventKind::Awaiting { .. } => "awaiting",
                EventKind::Done => "done",
                _ => "other",
            };
            (e.t_us, kind)
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (0, "spawned"),
            (0, "running"),
            (0, "awaiting"),
            (300_000, "running"),
            (300_000, "done")
        ]
    );
    assert_eq!(trace.waits(lane)[0].1, "Sleep 300ms");
    assert_eq!(trace.parent(lane), trace.lane_named("main"));
    assert_eq!(trace.waits(named(&trace, "main"))[0].1, "JoinHandle");
    assert_eq!(trace.end(), Some((300_000, EndReason::Finished)));
}

#[test]
fn lanes_nest_under_the_lane_that_creates_them() {
    let trace = run(|_| async {
        let outer = async {
            let a = sleep(ms(100)).lane("inner a");
            let b = sleep(ms(200)).lane("inner b");
            tokio::join!(a, b);
        };
        tokio::spawn(outer.lane("outer")).await.unwrap();
    });
    let outer = named(&trace, "outer");
    assert_eq!(trace.parent(named(&trace, "inner a")), Some(outer));
    assert_eq!(trace.parent(named(&trace, "inner b")), Some(outer));
    // A lane pending only on its child lanes waits on "join".
    assert_eq!(trace.waits(outer)[0].1, "join");
    assert_eq!(
        trace.lane_end(named(&trace, "inner a")),
        Some(LaneEnd::Done(100_000))
    );
    assert_eq!(trace.lane_end(outer), Some(LaneEnd::Done(200_000)));
}

#[test]
fn an_err_output_is_a_failed_lane_with_its_message() {
    let trace = run(|_| async {
        let work = async {
            sleep(ms(150)).await;
            Err::<(), _>("disk full")
        };
        let _ = tokio::spawn(work.lane("worker")).await;
    });
    assert_eq!(
        trace.lane_end(named(&trace, "worker")),
        Some(LaneEnd::Failed(150_000, "disk full".into()))
    );
}

#[test]
fn a_panic_is_a_failed_lane_and_the_run_goes_on() {
    let trace = run(|_| async {
        let boom = async {
            sleep(ms(50)).await;
            if true {
                panic!("worker exploded");
            }
        };
        let result = tokio::spawn(boom.lane("boom")).await;
        assert!(result.unwrap_err().is_panic());
        sleep(ms(50)).await;
    });
    assert_eq!(
        trace.lane_end(named(&trace, "boom")),
        Some(LaneEnd::Failed(50_000, "panic: worker exploded".into()))
    );
    assert_eq!(
        trace.lane_end(named(&trace, "main")),
        Some(LaneEnd::Done(100_000))
    );
}

#[test]
fn a_panicking_main_fails_and_the_run_ends() {
    let trace = run(|_| async {
        sleep(ms(10)).await;
        if true {
            panic!("main gave up");
        }
    });
    assert_eq!(
        trace.lane_end(named(&trace, "main")),
        Some(LaneEnd::Failed(10_000, "panic: main gave up".into()))
    );
    assert_eq!(trace.end(), Some((10_000, EndReason::Finished)));
}

#[test]
fn a_dropped_future_is_cancelled_when_it_is_dropped() {
    let trace = run(|_| async {
        let slow = sleep(ms(5_000)).lane("slow");
        let _ = tokio::time::timeout(ms(2_000), slow).await;
        sleep(ms(100)).await;
    });
    assert_eq!(
        trace.lane_end(named(&trace, "slow")),
        Some(LaneEnd::Cancelled(2_000_000))
    );
}

#[test]
fn tasks_left_when_main_returns_are_cancelled_at_the_end() {
    let trace = run(|_| async {
        tokio::spawn(sleep(ms(10_000)).lane("orphan"));
        sleep(ms(300)).await;
    });
    assert_eq!(
        trace.lane_end(named(&trace, "orphan")),
        Some(LaneEnd::Cancelled(300_000))
    );
    assert_eq!(trace.end(), Some((300_000, EndReason::Finished)));
}

#[test]
fn a_future_never_polled_never_runs() {
    let trace = run(|_| async {
        let never = sleep(ms(100)).lane("never awaited");
        drop(never);
        sleep(ms(100)).await;
    });
    let lane = named(&trace, "never awaited");
    assert_eq!(trace.first_run_us(lane), None);
    assert_eq!(trace.lane_end(lane), Some(LaneEnd::Cancelled(0)));
    assert!(trace.never_polled(lane));
    assert!(matches!(
        trace.state_at(lane, 0),
        lanes::trace::LaneNow::Cancelled {
            never_polled: true,
            by_you: false,
            ..
        }
    ));
    // A lane that ran before it was dropped is not "never polled".
    let main = named(&trace, "main");
    assert!(!trace.never_polled(main));
    let trace = run(|_| async {
        let _ = tokio::time::timeout(ms(10), sleep(ms(100)).lane("timed out")).await;
    });
    let lane = named(&trace, "timed out");
    assert!(!trace.never_polled(lane));
    assert!(matches!(
        trace.state_at(lane, 10_000),
        lanes::trace::LaneNow::Cancelled {
            never_polled: false,
            ..
        }
    ));
}

#[test]
fn log_lines_carry_their_lane_and_time() {
    let trace = run(|_| async {
        let work = async {
            sleep(ms(250)).await;
            tracing::info!(item = 7, "working");
            tracing::warn!("careful");
        };
        tokio::spawn(work.lane("writer")).await.unwrap();
    });
    let writer = named(&trace, "writer");
    let logs = trace.logs();
    assert_eq!(logs[0].0, 250_000);
    assert_eq!(logs[0].1, Some(writer));
    assert_eq!(logs[0].3, "working item=7");
    assert_eq!(logs[1].2, lanes::trace::Level::Warn);
}

#[test]
fn waits_tokio_cannot_name_show_unknown_unless_labelled() {
    let trace = run(|_| async {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
        let unnamed = async move {
            let (tx2, mut rx2) = tokio::sync::mpsc::channel::<u32>(1);
            tokio::spawn(async move {
                sleep(ms(10)).await;
                let _ = tx2.send(1).await;
            });
            rx2.recv().await;
        };
        let named_wait = async move { rx.recv().awaiting("mpsc recv").await };
        let sender = async move {
            sleep(ms(20)).await;
            tx.send(2).await.unwrap();
        };
        tokio::join!(
            unnamed.lane("unnamed"),
            named_wait.lane("named"),
            sender.lane("sender")
        );
    });
    assert_eq!(trace.waits(named(&trace, "unnamed"))[0].1, "unknown");
    let (t, on, line) = trace.waits(named(&trace, "named"))[0];
    assert_eq!((t, on), (0, "mpsc recv"));
    assert_eq!(line, None, "lines are only given for the lesson's own file");
}

#[test]
fn a_deadlock_is_detected_and_named() {
    let trace = run(|_| async {
        let a = Arc::new(tokio::sync::Mutex::new(()));
        let b = Arc::new(tokio::sync::Mutex::new(()));
        let (a2, b2) = (a.clone(), b.clone());
        let one = tokio::spawn(
            async move {
                let _a = a.lock().await;
                sleep(ms(100)).await;
                let _b = b.lock().await;
            }
            .lane("task one"),
        );
        let two = tokio::spawn(
            async move {
                let _b = b2.lock().await;
                sleep(ms(100)).await;
                let _a = a2.lock().await;
            }
            .lane("task two"),
        );
        let _ = tokio::join!(one, two);
    });
    assert_eq!(trace.end(), Some((100_000, EndReason::Stalled)));
    let (_, _, _, message) = *trace.logs().last().unwrap();
    // The cycle, each lock named (made outside a lesson file: by number).
    assert!(
        message.starts_with("no lane can ever be woken: a deadlock. 'task one' holds Mutex "),
        "{message}"
    );
    for part in [
        "which 'task two' holds; 'task two' holds Mutex ",
        "which 'task one' holds. Meanwhile 'main' waits on unknown.",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    assert_eq!(trace.stall_report(), Some(message));
    // The deadlocked lanes did not end: they were abandoned, not cancelled.
    assert_eq!(trace.lane_end(named(&trace, "task one")), None);
}

#[test]
fn a_poll_that_never_returns_is_reported_as_hung() {
    let started = Instant::now();
    let trace = Run::start(
        spec(|_| async {
            std::thread::sleep(Duration::from_secs(600));
        }),
        Pacing::Unpaced,
    )
    .wait(ms(500));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(trace.end().map(|e| e.1), Some(EndReason::Hung));
    let (_, _, _, message) = *trace.logs().last().unwrap();
    assert!(
        message.contains("'main' has blocked the thread"),
        "{message}"
    );
}

#[test]
fn in_a_real_clock_lesson_a_blocked_thread_is_time_passing() {
    let mut spec = spec(|_| async {
        let sleeper = tokio::spawn(sleep(ms(20)).lane("sleeper"));
        let blocker = tokio::spawn(async { std::thread::sleep(ms(100)) }.lane("blocker"));
        let _ = tokio::join!(sleeper, blocker);
    });
    spec.clock = Clock::Real;
    let trace = run_headless(spec, WALL);
    let blocker = named(&trace, "blocker");
    let done = trace.lane_end(blocker).unwrap().t_us();
    assert!((99_000..130_000).contains(&done), "blocker done at {done}");
    // The sleeper's timer was due at 20 ms but could only fire once the
    // thread was free again.
    let sleeper_done = trace.lane_end(named(&trace, "sleeper")).unwrap().t_us();
    assert!(
        sleeper_done >= done,
        "sleeper done at {sleeper_done}, blocker at {done}"
    );
}

#[test]
fn a_timer_set_after_a_block_counts_from_the_new_time() {
    // The blocker runs first; the sleeper's timer is set only once the
    // thread is free, so it must count from the end of the block.
    let mut spec = spec(|_| async {
        let blocker = tokio::spawn(async { std::thread::sleep(ms(100)) }.lane("blocker"));
        // In an async block, so that the timer starts when the task first runs.
        let sleeper = tokio::spawn(async { sleep(ms(50)).await }.lane("sleeper"));
        let _ = tokio::join!(blocker, sleeper);
    });
    spec.clock = Clock::Real;
    let trace = run_headless(spec, WALL);
    let blocked = trace.lane_end(named(&trace, "blocker")).unwrap().t_us();
    let slept = trace.lane_end(named(&trace, "sleeper")).unwrap().t_us();
    assert_eq!(blocked % 1_000, 0, "blocked time is whole milliseconds");
    // From the end of the block, not from time zero. Polls are real time
    // here too: on a busy machine the sleeper's own first poll may take
    // half a millisecond or more, which counts as a whole one.
    assert!(
        (blocked + 50_000..=blocked + 3_000 + 50_000).contains(&slept),
        "blocker done at {blocked}, sleeper at {slept}"
    );
}

#[test]
fn in_a_virtual_clock_lesson_a_long_block_is_a_warning() {
    let trace = run(|_| async {
        std::thread::sleep(ms(600));
    });
    assert_eq!(trace.end().map(|e| e.0), Some(0));
    let (_, _, level, message) = trace.logs()[0];
    assert_eq!(level, lanes::trace::Level::Warn);
    assert!(message.contains("blocked the thread"), "{message}");
}

fn two_sleepers() -> RunSpec {
    spec(|_| async {
        let a = tokio::spawn(sleep(ms(1_000)).lane("one second"));
        let b = tokio::spawn(sleep(ms(3_000)).lane("three seconds"));
        let _ = tokio::join!(a, b);
    })
}

#[test]
fn paused_playback_holds_the_clock() {
    let mut playback = Playback::new(two_sleepers(), false);
    pump_until(&mut playback, "the lanes at time zero", |t| {
        t.lane_named("three seconds").is_some()
    });
    std::thread::sleep(ms(100));
    playback.tick(ms(100));
    assert!(playback.trace().events().iter().all(|e| e.t_us == 0));
    assert_eq!(playback.live(), Duration::ZERO);
}

#[test]
fn speed_scales_the_time_granted() {
    let mut playback = Playback::new(two_sleepers(), true);
    playback.set_speed(4.0);
    playback.tick(ms(300)); // 1.2 s of virtual time
    assert_eq!(playback.live(), ms(1_200));
    pump_until(&mut playback, "the 1 s lane to finish", |t| {
        t.lane_named("one second")
            .and_then(|l| t.lane_end(l))
            .is_some()
    });
    std::thread::sleep(ms(50));
    playback.tick(Duration::ZERO);
    let trace = playback.trace();
    assert_eq!(
        trace.lane_end(named(trace, "one second")),
        Some(LaneEnd::Done(1_000_000))
    );
    assert!(
        trace.events().iter().all(|e| e.t_us <= 1_200_000),
        "time ran past the grant"
    );
    playback.set_speed(100.0);
    assert_eq!(playback.speed(), lanes::engine::MAX_SPEED);
    playback.set_speed(0.0);
    assert_eq!(playback.speed(), lanes::engine::MIN_SPEED);
}

#[test]
fn step_stops_at_the_next_event() {
    let mut playback = Playback::new(two_sleepers(), false);
    pump_until(&mut playback, "time zero", |t| {
        t.lane_named("three seconds").is_some()
    });
    playback.step();
    pump_until(&mut playback, "the first step", |t| t.last_t_us() > 0);
    std::thread::sleep(ms(50));
    playback.tick(Duration::ZERO);
    assert_eq!(playback.trace().last_t_us(), 1_000_000);
    assert_eq!(playback.live(), ms(1_000));
    playback.step();
    pump_until(&mut playback, "the second step", |t| {
        t.last_t_us() > 1_000_000
    });
    assert_eq!(playback.trace().last_t_us(), 3_000_000);
    pump_until(&mut playback, "the end", |t| t.end().is_some());
}

/// Plays `two_sleepers` to its end (3 s).
fn finished_playback() -> Playback {
    let mut playback = Playback::new(two_sleepers(), true);
    playback.tick(ms(5_000));
    pump_until(&mut playback, "the end", |t| t.end().is_some());
    playback.tick(Duration::ZERO);
    assert_eq!(playback.mode(), Mode::Finished);
    playback
}

#[test]
fn the_modes_follow_play_pause_and_step() {
    let mut playback = Playback::new(two_sleepers(), false);
    assert_eq!(playback.mode(), Mode::AtStart);
    playback.rewind_by(ms(100));
    assert_eq!(playback.mode(), Mode::AtStart, "nothing to rewind to yet");
    playback.toggle();
    assert_eq!(playback.mode(), Mode::Playing);
    playback.tick(ms(500));
    playback.toggle();
    assert_eq!(playback.mode(), Mode::Paused);
    assert_eq!(playback.live(), ms(500));
    playback.tick(ms(500));
    assert_eq!(playback.live(), ms(500), "paused time holds still");
    playback.step();
    assert_eq!(playback.mode(), Mode::Stepping);
    assert!(playback.settle(WALL), "the step is carried out");
    assert_eq!(playback.mode(), Mode::Paused);
    assert_eq!(playback.trace().last_t_us(), 1_000_000);
    assert_eq!(playback.live(), ms(1_000), "stepped to the next event");
}

#[test]
fn rewound_is_a_place_to_play_from() {
    let mut playback = finished_playback();
    playback.rewind_by(ms(1_000));
    assert_eq!(
        playback.mode(),
        Mode::Rewound {
            at: ms(2_000),
            replaying: false
        }
    );
    // `.` in the past goes to the next recorded event: from 2 s that is the
    // end, 3 s, so the view is back at the end.
    playback.step();
    assert_eq!(playback.mode(), Mode::Finished);
    playback.rewind_to_start();
    assert_eq!(playback.view_time(), Duration::ZERO);
    playback.step();
    assert_eq!(
        playback.view_time(),
        ms(1_000),
        "the first event after zero"
    );
    // Space replays at the playback speed and rejoins the end.
    playback.set_speed(2.0);
    playback.toggle();
    playback.tick(ms(500));
    assert_eq!(
        playback.mode(),
        Mode::Rewound {
            at: ms(2_000),
            replaying: true
        }
    );
    playback.tick(ms(600));
    assert_eq!(playback.mode(), Mode::Finished);
    assert_eq!(playback.view_time(), ms(3_000));
    // From the end, space watches it all again; End comes back.
    playback.toggle();
    assert_eq!(
        playback.mode(),
        Mode::Rewound {
            at: Duration::ZERO,
            replaying: true
        }
    );
    playback.back_to_live();
    assert_eq!(playback.mode(), Mode::Finished);
}

#[test]
fn restart_begins_again_at_zero() {
    let mut playback = Playback::new(two_sleepers(), true);
    playback.tick(ms(5_000));
    pump_until(&mut playback, "the end", |t| t.end().is_some());
    assert_eq!(playback.live(), ms(3_000));
    playback.restart();
    assert_eq!(playback.live(), Duration::ZERO);
    pump_until(&mut playback, "the new run's lanes", |t| {
        t.lane_named("one second").is_some()
    });
    assert!(playback.trace().end().is_none());
}

#[test]
fn a_cancellable_lane_can_be_cancelled_live() {
    let mut playback = Playback::new(
        spec(|_| async {
            let worker = tokio::spawn(sleep(ms(10_000)).lane("worker")).cancellable();
            let fixed = tokio::spawn(sleep(ms(10_000)).lane("fixed"));
            // The lesson's own code sees the abort as tokio reports it.
            let joined = worker.awaiting("JoinHandle").await;
            info!(
                cancelled = joined.is_err_and(|e| e.is_cancelled()),
                "worker joined"
            );
            let _ = fixed.await;
        }),
        true,
    );
    playback.tick(ms(500));
    pump_until(&mut playback, "the workers", |t| {
        t.lane_named("fixed")
            .is_some_and(|l| t.first_run_us(l).is_some())
    });
    let worker = named(playback.trace(), "worker");
    let fixed = named(playback.trace(), "fixed");
    let main = named(playback.trace(), "main");
    assert_eq!(playback.cancel(worker), Ok(CancelBy::Abort));
    assert_eq!(playback.cancel(fixed), Err(Refusal::KeptByLesson));
    assert_eq!(playback.cancel(main), Err(Refusal::Lesson));
    playback.tick(ms(10));
    pump_until(&mut playback, "the cancel", |t| {
        t.log_time("worker joined cancelled=true").is_some()
    });
    let trace = playback.trace();
    let end = trace.lane_end(worker).unwrap();
    assert!(
        matches!(end, LaneEnd::Cancelled(t) if (500_000..=510_000).contains(&t)),
        "{end:?}"
    );
    assert!(trace.cancelled_by_you(worker));
    assert!(
        trace
            .logs()
            .iter()
            .any(|l| l.3 == "you cancelled 'worker' (abort)")
    );
    let jsonl = lanes::render::jsonl::to_string(trace);
    assert!(
        jsonl.lines().any(|l| l.contains(&format!(
            r#""lane":{worker},"event":"cancelled","by":"you""#
        ))),
        "{jsonl}"
    );
    assert_eq!(trace.lane_end(fixed), None);
}

#[test]
fn a_future_inside_a_task_is_not_cancelled_by_x_and_says_why() {
    let mut playback = Playback::new(
        spec(|_| async {
            let inner = sleep(ms(1_000)).lane("inner");
            let not_yet = tokio::spawn(sleep(ms(1_000)).lane("not yet")).cancellable();
            inner.await;
            let _ = not_yet.await;
        }),
        true,
    );
    // At the start nothing has run: `main` is queued, the others unborn.
    playback.tick(ms(100));
    pump_until(&mut playback, "inner runs", |t| {
        t.lane_named("inner")
            .is_some_and(|l| t.first_run_us(l).is_some())
    });
    let inner = named(playback.trace(), "inner");
    assert_eq!(playback.cancel(inner), Err(Refusal::InPlace));
}

#[test]
fn a_token_wired_lane_is_cancelled_through_its_token_and_cleans_up() {
    use tokio_util::sync::CancellationToken;
    let mut playback = Playback::new(
        spec(|_| async {
            let token = CancellationToken::new();
            let worker = {
                let token = token.clone();
                async move {
                    tokio::select! {
                        _ = token.cancelled() => {}
                        _ = sleep(ms(10_000)) => {}
                    }
                    sleep(ms(200)).lane("cleanup").await;
                }
            };
            let worker = tokio::spawn(worker.lane("worker").cancel_with(&token));
            let _ = worker.await;
        }),
        true,
    );
    playback.tick(ms(300));
    pump_until(&mut playback, "the worker", |t| {
        t.lane_named("worker")
            .is_some_and(|l| t.first_run_us(l).is_some())
    });
    let worker = named(playback.trace(), "worker");
    assert_eq!(playback.cancel(worker), Ok(CancelBy::Token));
    playback.tick(ms(1_000));
    pump_until(&mut playback, "the cleanup", |t| {
        t.lane_end(worker).is_some()
    });
    let trace = playback.trace();
    // The worker saw its token at 0.3 s, cleaned up for 0.2 s and returned.
    let cleanup = named(trace, "cleanup");
    let start = trace.first_run_us(cleanup).unwrap();
    assert!((300_000..=310_000).contains(&start), "{start}");
    assert_eq!(trace.lane_end(worker), Some(LaneEnd::Done(start + 200_000)));
    assert!(!trace.cancelled_by_you(worker));
    // Through a token too, the run is one the learner changed.
    assert!(trace.learner_cancelled());
    assert!(
        trace
            .logs()
            .iter()
            .any(|l| l.3 == "you cancelled 'worker' through its CancellationToken")
    );
}

/// A lesson that never ends. (An `async fn`, because an async block that
/// loops forever has the type `!`, which is not an `Outcome`.)
async fn tick_forever(every: Duration) {
    loop {
        sleep(every).await;
    }
}

#[test]
fn a_lesson_that_never_ends_stops_when_the_trace_is_full() {
    let mut spec = spec(|_| tick_forever(ms(10)));
    spec.max_events = 1_000;
    let trace = run_headless(spec, WALL);
    assert_eq!(trace.end().map(|e| e.1), Some(EndReason::TraceLimit));
    // The limit, plus the few events of the instant at which it was reached.
    assert!(
        (1_000..1_010).contains(&trace.events().len()),
        "{}",
        trace.events().len()
    );
    assert!(trace.logs().last().unwrap().3.contains("the trace is full"));
}

#[test]
fn a_headless_run_stops_after_an_hour_of_virtual_time() {
    let trace = run(|_| tick_forever(Duration::from_secs(60)));
    assert_eq!(trace.end(), Some((3_600_000_000, EndReason::TimeLimit)));
    assert!(
        trace
            .logs()
            .last()
            .unwrap()
            .3
            .contains("60 minutes of virtual time")
    );
}

#[test]
fn every_ended_lane_has_exactly_one_final_event_and_time_never_goes_back() {
    let trace = run(|_| async {
        let jobs = (0..20u64).map(|i| {
            async move {
                sleep(ms(10 * (i % 4))).await;
                if i % 5 == 0 {
                    Err(format!("job {i} failed"))
                } else {
                    Ok(i)
                }
            }
            .lane(format!("job {i}"))
        });
        let _ = tokio::time::timeout(ms(25), futures::future::join_all(jobs)).await;
    });
    assert!(trace.events().windows(2).all(|w| w[0].t_us <= w[1].t_us));
    for lane in 1..=trace.lanes().len() as u32 {
        let events: Vec<_> = trace.lane_events(lane).collect();
        let terminal = events.iter().filter(|e| e.is_terminal()).count();
        assert_eq!(terminal, 1, "{}", trace.lane_name(lane));
        assert!(
            events.last().unwrap().is_terminal(),
            "{}",
            trace.lane_name(lane)
        );
    }
}

#[test]
fn a_lane_that_wakes_itself_keeps_its_wait_at_the_same_instant() {
    // Above 30 futures `join_all` runs them in a `FuturesOrdered`, which
    // wakes itself after a round and is polled again at the same instant,
    // touching no child: the parent still waits on its children.
    let trace = run(|_| async {
        let fetches = (1..=31).map(|i| sleep(ms(100)).lane(format!("fetch {i}")));
        futures::future::join_all(fetches).await;
    });
    let main = named(&trace, "main");
    let waits: Vec<&str> = trace.waits(main).iter().map(|w| w.1).collect();
    assert!(!waits.is_empty());
    assert!(waits.iter().all(|&w| w == "join"), "{waits:?}");
}

#[test]
fn tasks_left_at_the_end_are_cancelled_in_lane_order_every_time() {
    // Tokio drops the tasks left at shutdown in an order of its own, which
    // changes between runs in one process; the trace does not.
    let lesson = |_| async {
        for i in 1..=7 {
            tokio::spawn(sleep(ms(1_000)).lane(format!("job {i}")));
        }
        sleep(ms(10)).await;
    };
    let first = run(lesson);
    let second = run(lesson);
    assert_eq!(
        lanes::render::jsonl::to_string(&first),
        lanes::render::jsonl::to_string(&second)
    );
    let cancelled: Vec<u32> = first
        .events()
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Cancelled { .. }))
        .filter_map(|e| e.lane)
        .collect();
    let jobs: Vec<u32> = (1..=7)
        .map(|i| named(&first, &format!("job {i}")))
        .collect();
    assert_eq!(cancelled, jobs);
}

#[test]
fn what_a_dropped_lane_logs_as_it_is_dropped_is_its_own() {
    struct Guard;
    impl Drop for Guard {
        fn drop(&mut self) {
            tracing::warn!("guard dropped");
        }
    }
    let trace = run(|_| async {
        let work = async {
            let _guard = Guard;
            sleep(ms(1_000)).lane("inner").await;
        };
        let _ = tokio::time::timeout(ms(100), work.lane("work")).await;
    });
    let work = named(&trace, "work");
    let inner = named(&trace, "inner");
    let logs = trace.logs();
    let guard = logs
        .iter()
        .find(|l| l.3 == "guard dropped")
        .expect("logged");
    assert_eq!((guard.0, guard.1), (100_000, Some(work)));
    // The lane's own end is its last event; its child ends before it.
    let last = trace.lane_events(work).last().unwrap();
    assert!(matches!(last.kind, EventKind::Cancelled { .. }));
    assert_eq!(trace.lane_end(inner), Some(LaneEnd::Cancelled(100_000)));
    let index = |lane| {
        trace
            .events()
            .iter()
            .position(|e| e.lane == Some(lane) && e.is_terminal())
            .unwrap()
    };
    assert!(index(inner) < index(work));
}

#[test]
fn a_stall_without_a_lock_cycle_is_not_called_a_deadlock() {
    let trace = run(|_| async {
        let notify = tokio::sync::Notify::new();
        notify.notified().awaiting("Notify::notified").await;
    });
    assert_eq!(trace.end(), Some((0, EndReason::Stalled)));
    assert_eq!(
        trace.stall_report(),
        Some("no lane can ever be woken: 'main' waits on Notify::notified")
    );
}

#[test]
fn a_lane_whose_children_are_polled_only_when_woken_waits_on_join() {
    // `buffer_unordered` polls only the futures that were woken: a poll of
    // the parent may touch no pending child, yet it waits on them.
    use futures::StreamExt;
    let trace = run(|_| async {
        let jobs = futures::stream::iter(1..=9u64)
            .map(|i| sleep(ms(100 * (i % 3 + 1))).lane(format!("job {i}")));
        let done: Vec<()> = jobs.buffer_unordered(4).collect().await;
        assert_eq!(done.len(), 9);
    });
    let waits: Vec<&str> = trace
        .waits(named(&trace, "main"))
        .iter()
        .map(|w| w.1)
        .collect();
    assert!(waits.len() > 1, "{waits:?}");
    assert!(waits.iter().all(|&w| w == "join"), "{waits:?}");
}

#[test]
fn an_rwlock_is_held_by_every_reader_and_then_by_the_writer_alone() {
    let trace = run(|_| async {
        let lock = Arc::new(tokio::sync::RwLock::new(0));
        let reader = |name: &str, lock: Arc<tokio::sync::RwLock<i32>>| {
            tokio::spawn(
                async move {
                    let _read = lock.read().await;
                    sleep(ms(100)).await;
                }
                .lane(name),
            )
        };
        let one = reader("reader one", lock.clone());
        let two = reader("reader two", lock.clone());
        let writer = tokio::spawn(
            async move {
                sleep(ms(10)).await;
                let mut write = lock.write().await;
                *write += 1;
                sleep(ms(50)).await;
            }
            .lane("writer"),
        );
        let _ = tokio::join!(one, two, writer);
    });
    assert_eq!(trace.end(), Some((150_000, EndReason::Finished)));
    let writer = named(&trace, "writer");
    // At 50 ms the writer waits for the lock both readers hold.
    let lock = trace
        .lock_waited(writer, 50_000)
        .expect("the writer waits for a lock");
    assert!(
        trace.text(lock).starts_with("RwLock "),
        "{}",
        trace.text(lock)
    );
    let holders: Vec<_> = trace
        .lock_holders(lock, 50_000)
        .into_iter()
        .map(|(lane, at)| (trace.lane_name(lane).to_string(), at))
        .collect();
    assert_eq!(
        holders,
        [("reader one".to_string(), 0), ("reader two".to_string(), 0)]
    );
    // Both readers gave it back at 100 ms; from then the writer holds it alone.
    assert_eq!(trace.lock_holders(lock, 120_000), [(writer, 100_000)]);
    assert_eq!(trace.lock_holders(lock, 150_000), []);
}

/// A sleep is read from its resource span and its one "pending" event;
/// the timer's "ready" events are switched off once seen. Every run after
/// that must still see every sleep, with its length: a plain
/// sleep, an interval's tick (tokio names it), a sleep reset to a new
/// deadline, and a `select!` of two sleeps (the lane waits on both; the
/// one polled last names the wait).
#[test]
fn sleeps_are_seen_run_after_run() {
    for _ in 0..3 {
        let trace = run(|_| async {
            sleep(ms(100)).await;
            let mut ticks = tokio::time::interval(ms(50));
            ticks.tick().await;
            ticks.tick().await;
            let reset = sleep(ms(10));
            tokio::pin!(reset);
            reset.as_mut().reset(tokio::time::Instant::now() + ms(70));
            reset.await;
            tokio::select! {
                _ = sleep(ms(30)) => {}
                _ = sleep(ms(500)) => {}
            }
        });
        let main = named(&trace, "main");
        let waits: Vec<(u64, &str)> = trace.waits(main).iter().map(|w| (w.0, w.1)).collect();
        assert_eq!(
            waits,
            [
                (0, "Sleep 100ms"),
                (100_000, "Interval::tick"),
                (150_000, "Sleep 70ms"),
                (220_000, "Sleep 30ms"),
            ]
        );
        assert_eq!(trace.end(), Some((250_000, EndReason::Finished)));
    }
}

/// A run granted time up to the very instant its lesson ends comes to rest
/// with its end, never just before it, however its threads happen to run:
/// a recording draws each frame once the run has settled, and must draw
/// the same frame every time. (The driver's grant and the lesson's last
/// timers then fire on the same tick, in either order.)
#[test]
fn a_run_granted_up_to_its_end_settles_only_once_ended() {
    for _ in 0..100 {
        let mut playback = Playback::new(two_sleepers(), true);
        playback.tick(ms(3_000));
        assert!(playback.settle(WALL), "the run never settled");
        assert_eq!(
            playback.trace().end(),
            Some((3_000_000, EndReason::Finished))
        );
    }
}
