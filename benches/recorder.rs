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
//! the lanes); the figures printed at the end leave it out: each is the
//! difference between runs of 1,000 and of 1 poll a task, divided by the
//! polls between them. Beside them, the same for bare tokio under a
//! subscriber that takes the same callsites as the recorder (by
//! `takes_callsite`) and does nothing with them: what tokio's own
//! instrumentation costs, which no recorder can go below.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
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
    // Order matters. Once any subscriber has taken tokio's resource spans,
    // tracing keeps their callsites switched on for the whole process, and
    // "bare" tokio would go on making them: every bare run comes first.
    let cases = [
        ("yield", true, "no change", 25.0),
        ("sleep", false, "state change", 150.0),
    ];
    let bare_ns = cases.map(|(_, yields, ..)| per_poll_ns(|polls| bare_polls(yields, polls)));

    let mut group = c.benchmark_group("poll cost");
    group.throughput(Throughput::Elements((TASKS * POLLS) as u64));
    group.sample_size(20);
    for (name, yields, ..) in cases {
        group.bench_with_input(BenchmarkId::new("bare tokio", name), &yields, |b, &y| {
            b.iter(|| bare(y))
        });
    }
    for (name, yields, ..) in cases {
        group.bench_with_input(BenchmarkId::new("recorded", name), &yields, |b, &y| {
            b.iter(|| recorded(y))
        });
    }
    group.finish();

    for ((_, yields, name, budget), bare) in cases.into_iter().zip(bare_ns) {
        let over = per_poll_ns(|polls| recorded_polls(yields, polls)) - bare;
        let floor = tracing::subscriber::with_default(DoNothing, || {
            per_poll_ns(|polls| bare_polls(yields, polls))
        }) - bare;
        println!(
            "recording a poll, {name}: {over:+.0} ns over bare tokio (budget {budget} ns); \
             tokio's own instrumentation, with a subscriber that does nothing: {floor:+.0} ns"
        );
    }
}

/// The time of one more poll a task: the best of several runs of `POLLS`
/// polls a task, less the best of runs of one poll a task.
fn per_poll_ns(run: impl Fn(usize)) -> f64 {
    let best = |polls: usize| {
        (0..15)
            .map(|_| {
                let start = std::time::Instant::now();
                run(polls);
                start.elapsed().as_nanos() as f64
            })
            .fold(f64::INFINITY, f64::min)
    };
    (best(POLLS) - best(1)) / (TASKS * (POLLS - 1)) as f64
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
criterion_main!(benches);
