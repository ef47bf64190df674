//! What recording costs. Budgets (DESIGN.md): ≤ 50 ns a poll over bare
//! tokio; ≤ 64 bytes of trace an event; the whole curriculum headless in
//! ≤ 2 s.
//!
//! `poll cost`: many tasks that each yield many times, on a current-thread
//! runtime with a paused clock, bare and as lanes under the recorder. The
//! difference of the per-poll times is the recorder's cost. `sleep` is the
//! same with a 1 ms sleep instead of a yield, so that every poll changes
//! the lane's state and records two events.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lanes::engine::{Knobs, RunSpec, run_headless};
use lanes::prelude::*;

const TASKS: usize = 100;
const POLLS: usize = 1_000;

fn bare(yield_or_sleep: bool) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let handles: Vec<_> = (0..TASKS)
            .map(|_| tokio::spawn(work(yield_or_sleep)))
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
}

fn recorded(yield_or_sleep: bool) {
    let spec = RunSpec::from_fn("bench", Knobs::default(), move |_| async move {
        let handles: Vec<_> = (0..TASKS)
            .map(|i| tokio::spawn(work(yield_or_sleep).lane(format!("task {i}"))))
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    let trace = run_headless(spec, Duration::from_secs(600));
    assert!(trace.end().is_some());
}

async fn work(yields: bool) {
    for _ in 0..POLLS - 1 {
        if yields {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

fn poll_cost(c: &mut Criterion) {
    let mut group = c.benchmark_group("poll cost");
    group.throughput(Throughput::Elements((TASKS * POLLS) as u64));
    group.sample_size(20);
    for (name, yields) in [("yield", true), ("sleep", false)] {
        group.bench_with_input(BenchmarkId::new("bare tokio", name), &yields, |b, &y| {
            b.iter(|| bare(y))
        });
        group.bench_with_input(BenchmarkId::new("recorded", name), &yields, |b, &y| {
            b.iter(|| recorded(y))
        });
    }
    group.finish();
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
