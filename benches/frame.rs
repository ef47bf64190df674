//! What one frame costs, and what a still screen costs. Budgets
//! (DESIGN.md): one frame at 200×50 in ≤ 2 ms with 1,000 lanes and
//! 1,000,000 events, and with 10,000 lanes, folded or not; a paused or
//! finished screen under 1% of a core.
//!
//! `lanes view`: a generated trace (`main` and 999 children, 1,000 events
//! each, 1,000,000 in all, over 100 s), drawn as the lesson screen draws it
//! each frame: rows from the trace, their states at the view time, then the
//! `LanesView` widget into a 200×50 buffer. Unfolded at the end, in the
//! middle of the run, scrolled half way, and folded into one row.
//!
//! `lesson screen`: the whole screen (`ui::view::draw` through ratatui's
//! `TestBackend`: lanes, status line, story, snapshot and all) on real
//! runs: the `mutex` lesson with 999 unlocked workers of 500 increments,
//! which fills the trace to its 1,000,000-event limit, folded (as it opens)
//! and unfolded; the `semaphore` lesson with 10,000 requests (10,001
//! lanes), folded and unfolded.
//!
//! `still screen`: what the event loop does twenty times a second while
//! nothing moves (a tick that pumps the run and finds nothing new, no
//! drawing): its cost × 20 is the share of a core a still screen takes.

use std::collections::HashSet;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use lanes::catalog::catalog;
use lanes::trace::{Event, EventKind, Header, LaneId, Trace};
use lanes::ui::action::Action;
use lanes::ui::app::App;
use lanes::ui::lesson::lane_rows;
use lanes::ui::snapshot::shown_rows;
use lanes::ui::theme::Theme;
use lanes::ui::view::draw;
use lanes::ui::view::lanes::{LanesView, axis_span};

const LANES: u32 = 1_000;
const EVENTS_PER_LANE: u32 = 1_000;
const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;

const THEME: Theme = Theme {
    color: true,
    ascii: false,
    presenter: false,
};

/// `main` (lane 1) and 999 children, spawned at 0. Each lane then runs and
/// waits 499 times, 200 ms a round, each at its own offset, and is done by
/// 100 s: 1,000 events a lane, 1,000,000 in all, in time order.
fn generated() -> Trace {
    let mut trace = Trace::new(Header {
        lesson: "generated".into(),
        knobs: vec![],
    });
    let waits = [
        trace.intern("Sleep 100ms"),
        trace.intern("Mutex::lock"),
        trace.intern("mpsc recv"),
    ];
    let mut events = Vec::with_capacity((LANES * EVENTS_PER_LANE) as usize);
    for lane in 1..=LANES {
        let name = trace.intern(&if lane == 1 {
            "main".to_string()
        } else {
            format!("worker {}", lane - 1)
        });
        events.push(Event {
            t_us: 0,
            lane: Some(lane),
            kind: EventKind::Spawned {
                name,
                parent: (lane > 1).then_some(1),
            },
        });
    }
    let rounds = (EVENTS_PER_LANE - 2) / 2;
    for lane in 1..=LANES {
        let offset = u64::from(lane * 7_919 % 200) * 1_000;
        for round in 0..rounds {
            let t = u64::from(round) * 200_000 + offset;
            events.push(Event {
                t_us: t,
                lane: Some(lane),
                kind: EventKind::Running,
            });
            events.push(Event {
                t_us: t + 20_000,
                lane: Some(lane),
                kind: EventKind::Awaiting {
                    on: waits[((lane + round) % 3) as usize],
                    line: Some(10 + (round % 3)),
                },
            });
        }
        events.push(Event {
            t_us: u64::from(rounds) * 200_000 + offset,
            lane: Some(lane),
            kind: EventKind::Done,
        });
    }
    events.sort_by_key(|e| e.t_us);
    for event in events {
        trace.push_event(event);
    }
    assert_eq!(trace.lanes().len(), LANES as usize);
    assert_eq!(trace.events().len(), (LANES * EVENTS_PER_LANE) as usize);
    trace
}

/// One frame of the lanes view: rows from the trace, then the widget.
fn lanes_frame(
    trace: &Trace,
    folded: &HashSet<LaneId>,
    scroll: usize,
    view_us: u64,
    buf: &mut Buffer,
) {
    let rows = lane_rows(trace, folded, view_us);
    let end = (scroll + HEIGHT as usize).min(rows.len());
    let shown = shown_rows(trace, &rows[scroll.min(end)..end], view_us);
    let view = LanesView {
        trace,
        rows: &shown,
        selected: rows.get(scroll + 3).map(|r| r.lane),
        view_us,
        span: axis_span(Duration::from_micros(trace.last_t_us())),
        theme: &THEME,
        row_height: 1,
    };
    buf.reset();
    (&view).render(buf.area, buf);
}

fn lanes_view(c: &mut Criterion) {
    let trace = generated();
    let end = trace.last_t_us();
    let unfolded = HashSet::new();
    let folded = HashSet::from([1]);
    let mut buf = Buffer::empty(Rect::new(0, 0, WIDTH, HEIGHT));
    let mut group = c.benchmark_group("lanes view 1000 lanes 1M events 200x50");
    for (name, folds, scroll, view_us) in [
        ("unfolded, at the end", &unfolded, 0, end),
        ("unfolded, at 50 s", &unfolded, 0, 50_000_000),
        ("unfolded, scrolled to row 500", &unfolded, 500, end),
        ("folded into one row", &folded, 0, end),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| lanes_frame(&trace, folds, scroll, view_us, &mut buf));
            black_box(&buf);
        });
    }
    group.finish();
}

/// Lesson `id` with `knobs`, opened in an app and run to its end.
fn finished_run(id: &str, knobs: &[&str]) -> App {
    let lessons = catalog().expect("the lessons are consistent");
    let lesson = lessons.lesson(id).expect("the lesson exists");
    let knobs = lesson.knobs_with(knobs).expect("valid knobs");
    let mut app = App::new(lessons, THEME, None);
    app.open_lesson(lesson, knobs, true);
    app.tick(Duration::from_secs(3600));
    let deadline = Instant::now() + Duration::from_secs(120);
    while !app.lesson().unwrap().playback.is_finished() {
        assert!(Instant::now() < deadline, "the {id} run did not finish");
        std::thread::sleep(Duration::from_millis(5));
        app.tick(Duration::ZERO);
    }
    app.tick(Duration::ZERO);
    let trace = app.lesson().unwrap().trace();
    eprintln!(
        "lesson screen: {id} run of {} lanes and {} events",
        trace.lanes().len(),
        trace.events().len()
    );
    app
}

/// Draws one whole frame of `app` at 200×50.
fn draw_frame(app: &App, terminal: &mut Terminal<TestBackend>) {
    terminal
        .draw(|frame| {
            draw(frame, app);
        })
        .expect("drawn");
}

/// The whole screen, folded (as it opens) and unfolded.
fn folded_and_unfolded(c: &mut Criterion, group: &str, mut app: App) {
    app.drawn.size = (WIDTH, HEIGHT);
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("a test terminal");
    let mut group = c.benchmark_group(group);
    group.bench_function("folded (as it opens)", |b| {
        b.iter(|| draw_frame(&app, &mut terminal))
    });
    app.update(Action::Down); // main
    app.update(Action::ToggleFold);
    assert!(app.lesson().unwrap().rows().len() >= LANES as usize);
    group.bench_function("unfolded", |b| b.iter(|| draw_frame(&app, &mut terminal)));
    group.finish();
}

fn lesson_screen(c: &mut Criterion) {
    let app = finished_run("mutex", &["workers=999", "increments=500", "lock=false"]);
    let events = app.lesson().unwrap().trace().events().len();
    assert!(events >= 999_000, "{events} events");
    folded_and_unfolded(c, "lesson screen mutex 1000 lanes 1M events 200x50", app);
}

/// The semaphore lesson with 10,000 requests, 100 at a time, run to its
/// end: 10,001 lanes.
fn ten_thousand(c: &mut Criterion) {
    let app = finished_run(
        "semaphore",
        &["requests=10000", "permits=100", "work_ms=100"],
    );
    folded_and_unfolded(c, "lesson screen semaphore 10001 lanes 200x50", app);
}

/// The unbounded lesson as it runs by default: 10,000 spawned jobs, then
/// 10,000 through `buffer_unordered(100)`: 20,003 lanes.
fn twenty_thousand(c: &mut Criterion) {
    let mut app = finished_run("unbounded", &[]);
    assert!(app.lesson().unwrap().trace().lanes().len() > 20_000);
    app.drawn.size = (WIDTH, HEIGHT);
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("a test terminal");
    let mut group = c.benchmark_group("lesson screen unbounded 20003 lanes 200x50");
    group.bench_function("folded (as it opens)", |b| {
        b.iter(|| draw_frame(&app, &mut terminal))
    });
    app.update(Action::Down); // main
    app.update(Action::Down); // unbounded
    app.update(Action::ToggleFold);
    assert!(app.lesson().unwrap().rows().len() > 10_000);
    group.bench_function("10,000 jobs unfolded", |b| {
        b.iter(|| draw_frame(&app, &mut terminal))
    });
    group.finish();
}

/// A finished lesson left on screen: the event loop ticks it every 50 ms
/// (`ui::terminal`'s idle wait) and draws nothing, since nothing changed.
fn still_screen(c: &mut Criterion) {
    let mut app = finished_run("semaphore", &[]);
    // Until the highlighted code has come in from its thread (one more
    // frame then), the screen is not yet still.
    // A second without a change is taken as still.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut still = 0;
    while still < 20 {
        app.redraw = false;
        std::thread::sleep(Duration::from_millis(50));
        app.tick(Duration::from_millis(50));
        still = if app.redraw { 0 } else { still + 1 };
        assert!(Instant::now() < deadline, "the screen never stood still");
    }
    let mut group = c.benchmark_group("still screen");
    group.bench_function("one idle tick (20 a second)", |b| {
        b.iter(|| {
            app.tick(Duration::from_millis(50));
            assert!(!app.redraw, "a still screen is not drawn again");
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3));
    targets = lanes_view, lesson_screen, ten_thousand, twenty_thousand, still_screen
}
criterion_main!(benches);
