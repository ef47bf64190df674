//! What recording costs. Budgets: a poll that changes nothing ≤ 25 ns over
//! bare tokio, a poll that changes a lane's state ≤ 150 ns over bare;
//! ≤ 64 bytes of trace an event; the whole curriculum headless in ≤ 2 s.
//!
//! `poll cost`: many tasks that each yield many times, on a current-thread
//! runtime with a paused clock, bare and as lanes under the recorder. `sleep`
//! is the same with a 1 ms sleep instead of a yield, so that every poll
//! changes the lane's state and records two events (and tokio reports each
//! sleep's resource span and two of its events to the recorder).
//!
//! Criterion's times include what a run costs once (a runtime, a thread,
//! the lanes). The figures printed at the end leave it out: each is the
//! difference between runs of 1,000 and of 1 poll a task, divided by the
//! polls between them. They are timed in child processes of this bench,
//! bare and recorded in turn, round after round: a bare run must be the
//! first thing its process does (once any subscriber has taken tokio's
//! callsites, tracing keeps them switched on for the whole process), and
//! taking turns means that a noisy spell of the host slows both alike
//! rather than one of them. Beside them, the same for bare tokio under a
//! subscriber that takes the same callsites as the recorder (by
//! `takes_callsite`) and does nothing with them: what tokio's own
//! instrumentation costs, which no recorder can go below.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use lanes::engine::{Knobs, RunSpec, run_headless, takes_callsite};
use lanes::prelude::*;

const TASKS: usize = 100;
const POLLS: usize = 1_000;

fn bare(yield_or_sleep: bool) {
    bare_polls(yield_or_sleep, POLLS)
}

/// Takes what the lesson subscriber takes, and does nothing with it.
struct DoNothing;

impl tracing::Subscriber for DoNothing {
    fn register_callsite(
        &self,
        meta: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if takes_callsite(meta) {
            tracing::subscriber::Interest::always()
        } else {
            tracing::subscriber::Interest::never()
        }
    }
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

fn bare_polls(yield_or_sleep: bool, polls: usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let handles: Vec<_> = (0..TASKS)
            .map(|_| tokio::spawn(work(yield_or_sleep, polls)))
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
}

fn recorded(yield_or_sleep: bool) {
    recorded_polls(yield_or_sleep, POLLS)
}

fn recorded_polls(yield_or_sleep: bool, polls: usize) {
    let spec = RunSpec::from_fn("bench", Knobs::default(), move |_| async move {
        let handles: Vec<_> = (0..TASKS)
            .map(|i| tokio::spawn(work(yield_or_sleep, polls).lane(format!("task {i}"))))
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    let trace = run_headless(spec, Duration::from_secs(600));
    assert!(trace.end().is_some());
}

async fn work(yields: bool, polls: usize) {
    for _ in 0..polls - 1 {
        if yields {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

fn poll_cost(c: &mut Criterion) {
    // Order matters: every bare run in this process comes before the first
    // recorded one (see the top of this file).
    let cases = [("yield", true), ("sleep", false)];
    let mut group = c.benchmark_group("poll cost");
    group.throughput(Throughput::Elements((TASKS * POLLS) as u64));
    group.sample_size(20);
    for (name, yields) in cases {
        group.bench_with_input(BenchmarkId::new("bare tokio", name), &yields, |b, &y| {
            b.iter(|| bare(y))
        });
    }
    for (name, yields) in cases {
        group.bench_with_input(BenchmarkId::new("recorded", name), &yields, |b, &y| {
            b.iter(|| recorded(y))
        });
    }
    group.finish();

    for (case, name, budget) in [
        ("yield", "no change", 25.0),
        ("sleep", "state change", 150.0),
    ] {
        let figures = PollCost::measure(case);
        println!(
            "recording a poll, {name}: {:+.0} ns over bare tokio (budget {budget} ns; \
             median of {ROUNDS} paired rounds {:+.0} ns); tokio's own instrumentation, \
             with a subscriber that does nothing: {:+.0} ns",
            figures.over, figures.median_over, figures.floor
        );
    }
}

/// Rounds of child processes, each round one of each `Mode`.
const ROUNDS: usize = 9;
/// Runs of `POLLS` and of 1 poll a task in each child process.
const RUNS_PER_CHILD: usize = 5;
/// Set in a child process: the case and mode it times (`sleep:bare`).
const CHILD: &str = "LANES_POLL_COST_CHILD";

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Bare,
    /// Bare, under a subscriber that does nothing.
    Floor,
    Recorded,
}

const MODES: [(Mode, &str); 3] = [
    (Mode::Bare, "bare"),
    (Mode::Floor, "floor"),
    (Mode::Recorded, "recorded"),
];

/// One child's best times, in ns, of a run of `POLLS` and of 1 poll a task.
#[derive(Clone, Copy)]
struct Best {
    full: f64,
    one: f64,
}

impl Best {
    /// The time of one more poll of a task.
    fn per_poll(self) -> f64 {
        (self.full - self.one) / (TASKS * (POLLS - 1)) as f64
    }
}

struct PollCost {
    /// Recorded over bare, from each mode's best times over all rounds.
    over: f64,
    /// The median over rounds of recorded over bare within the round.
    median_over: f64,
    /// Bare under a subscriber that does nothing, over bare.
    floor: f64,
}

impl PollCost {
    fn measure(case: &str) -> PollCost {
        let mut rounds: Vec<[Best; 3]> = Vec::new();
        for _ in 0..ROUNDS {
            rounds.push(MODES.map(|(_, mode)| time_in_child(case, mode)));
        }
        let index = |mode: Mode| MODES.iter().position(|&(m, _)| m == mode).unwrap();
        let best = |mode: Mode| {
            let runs = rounds.iter().map(|round| round[index(mode)]);
            let full = runs.clone().map(|b| b.full).fold(f64::INFINITY, f64::min);
            let one = runs.map(|b| b.one).fold(f64::INFINITY, f64::min);
            Best { full, one }.per_poll()
        };
        let mut paired: Vec<f64> = rounds
            .iter()
            .map(|round| {
                round[index(Mode::Recorded)].per_poll() - round[index(Mode::Bare)].per_poll()
            })
            .collect();
        paired.sort_by(f64::total_cmp);
        PollCost {
            over: best(Mode::Recorded) - best(Mode::Bare),
            median_over: paired[paired.len() / 2],
            floor: best(Mode::Floor) - best(Mode::Bare),
        }
    }
}

/// Runs this bench again as a child that times `case` in `mode`.
fn time_in_child(case: &str, mode: &str) -> Best {
    let exe = std::env::current_exe().expect("the bench knows its own path");
    let output = std::process::Command::new(exe)
        .env(CHILD, format!("{case}:{mode}"))
        .output()
        .expect("the bench can run itself");
    let text = String::from_utf8_lossy(&output.stdout);
    let times: Vec<f64> = text
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    match times[..] {
        [full, one] => Best { full, one },
        _ => panic!(
            "child {case}:{mode} said {text:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// In a child process: times `spec`'s case and mode, runs of `POLLS` and
/// of 1 poll a task taking turns, and prints the best of each in ns.
fn child(spec: &str) {
    let (case, mode) = spec.split_once(':').expect("case:mode");
    let yields = case == "yield";
    let run: fn(bool, usize) = match mode {
        "bare" => bare_polls,
        "floor" => {
            tracing::subscriber::set_global_default(DoNothing).expect("a fresh process");
            bare_polls
        }
        _ => recorded_polls,
    };
    let time = |polls: usize| {
        let start = std::time::Instant::now();
        run(yields, polls);
        start.elapsed().as_nanos() as f64
    };
    // Once untimed: the first run of a process pays for what is made once.
    time(1);
    let (mut full, mut one) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..RUNS_PER_CHILD {
        full = full.min(time(POLLS));
        one = one.min(time(1));
    }
    println!("{full} {one}");
}

fn curriculum(c: &mut Criterion) {
    let catalog = lanes::catalog::catalog().unwrap();
    let mut group = c.benchmark_group("curriculum");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("every lesson headless", |b| {
        b.iter(|| {
            for lesson in &catalog.lessons {
                run_headless(
                    lesson.run_spec(lesson.default_knobs()),
                    Duration::from_secs(60),
                );
            }
        })
    });
    group.finish();

    // Memory is a size, not a time: measured once and printed.
    let lesson = catalog.lesson("semaphore").unwrap();
    let knobs = lesson
        .knobs_with(&["requests=10000", "permits=100"])
        .unwrap();
    let trace = run_headless(lesson.run_spec(knobs), Duration::from_secs(60));
    let events = trace.events().len();
    println!(
        "trace memory: {} events, {} bytes, {:.1} bytes an event (budget 64)",
        events,
        trace.heap_bytes(),
        trace.heap_bytes() as f64 / events as f64
    );
}

criterion_group!(benches, poll_cost, curriculum);

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
