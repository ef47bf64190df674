//! Whole screens through ratatui's `TestBackend`, snapshotted with `insta`,
//! and the lanes view under 10,000 lanes.
//!
//! Every lesson screen is drawn at a moment of virtual time the trace has
//! fully reached (see `settle`), so the snapshots do not depend on how fast
//! the lesson thread runs on the machine.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use insta::assert_snapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::widgets::Widget;

use lanes::catalog::{Catalog, catalog};
use lanes::trace::LaneNow;
use lanes::trace::{Event, EventKind, Header, LaneId, Trace};
use lanes::ui::action::Action;
use lanes::ui::app::App;
use lanes::ui::lesson::{AUTO_FOLD_CHILDREN, Row, lane_rows};
use lanes::ui::snapshot::shown_rows;
use lanes::ui::theme::Theme;
use lanes::ui::view::draw;
use lanes::ui::view::lanes::{LanesView, axis_span};

const COLOR: Theme = Theme::COLOR;

const NO_COLOR: Theme = Theme::NO_COLOR;

// ASCII with colour on: the glyph and border fallbacks alone.
const ASCII: Theme = Theme {
    ascii: true,
    ..Theme::COLOR
};

/// How long (wall time) a lesson may take to reach the moment a test wants.
const PATIENCE: Duration = Duration::from_secs(60);

fn lessons() -> &'static Catalog {
    catalog().expect("the lessons are consistent")
}

/// The app on the picker, without the "no data directory" notice.
fn picker(theme: Theme) -> App {
    let mut app = App::new(lessons(), theme, None);
    app.notice = None;
    app
}

/// The app on the semaphore lesson, with its default knobs.
fn semaphore(theme: Theme, playing: bool) -> App {
    lesson_with(theme, "semaphore", &[], playing)
}

fn lesson_with(theme: Theme, id: &str, knobs: &[&str], playing: bool) -> App {
    let mut app = picker(theme);
    let lesson = lessons().lesson(id).expect("the lesson exists");
    let knobs = lesson.knobs_with(knobs).expect("valid knobs");
    app.open_lesson(lesson, knobs, playing);
    app
}

fn trace(app: &App) -> &Trace {
    app.lesson().expect("a lesson is open").trace()
}

/// True when every lane of the trace has reached a resting point: it has
/// ended, or its last state is a wait. The recorder hands its events over
/// only when the runtime runs out of work at an instant, so a settled
/// trace holds every event up to its last instant.
fn settled(trace: &Trace) -> bool {
    !trace.lanes().is_empty()
        && (1..=trace.lanes().len() as LaneId).all(|lane| {
            let last = trace
                .lane_events(lane)
                .filter(|e| e.is_state_change())
                .last();
            last.is_some_and(|e| e.is_terminal() || matches!(e.kind, EventKind::Awaiting { .. }))
        })
}

/// Polls the app (granting no more time) until `ready` holds of the trace.
fn settle(app: &mut App, what: &str, ready: impl Fn(&Trace) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        app.tick(Duration::ZERO);
        if ready(trace(app)) {
            return;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn lane_done_by(trace: &Trace, name: &str, t_us: u64) -> bool {
    trace
        .lane_named(name)
        .and_then(|lane| trace.lane_end(lane))
        .is_some_and(|end| end.t_us() <= t_us)
}

/// Semaphore, paused at time zero with everything at time zero recorded:
/// three requests sleeping, seventeen parked on the semaphore.
fn semaphore_at_zero(theme: Theme) -> App {
    let mut app = semaphore(theme, false);
    settle(&mut app, "time zero", |t| {
        settled(t) && t.lane_named("request 20").is_some()
    });
    let state = app.lesson().unwrap();
    assert!(state.at_start());
    assert_eq!(state.view_time(), Duration::ZERO);
    app
}

/// Semaphore playing at 1.2 s: the second wave done at 1.0 s, the third
/// sleeping.
fn semaphore_at_1_2(theme: Theme) -> App {
    let mut app = semaphore(theme, true);
    app.tick(Duration::from_millis(1200));
    settle(&mut app, "the 1.0 s wave", |t| {
        settled(t) && lane_done_by(t, "request 4", 1_000_000) && t.last_t_us() == 1_000_000
    });
    let state = app.lesson().unwrap();
    assert_eq!(state.view_time(), Duration::from_millis(1200));
    assert!(state.playback.is_playing());
    app
}

fn semaphore_paused_at_1_2(theme: Theme) -> App {
    let mut app = semaphore_at_1_2(theme);
    app.update(Action::TogglePlay);
    assert!(!app.lesson().unwrap().playback.is_playing());
    app
}

/// Semaphore run to its end (3.5 s).
fn semaphore_finished(theme: Theme) -> App {
    let mut app = semaphore(theme, true);
    app.tick(Duration::from_secs(10));
    settle(&mut app, "the end", |t| t.end().is_some());
    app.tick(Duration::ZERO);
    let state = app.lesson().unwrap();
    assert!(state.is_finished());
    assert_eq!(state.view_time(), Duration::from_millis(3500));
    app
}

fn render(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal
        .draw(|frame| {
            draw(frame, app);
        })
        .expect("drawn");
    terminal
}

/// Draws a frame as the event loop does, handing its layout to the app;
/// returns the screen as text.
fn frame(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    let mut drawn = None;
    terminal
        .draw(|f| drawn = Some(draw(f, app)))
        .expect("drawn");
    app.laid_out(drawn.expect("a frame"));
    terminal.backend().to_string()
}

/// The screen as text: one quoted line a row (trailing blanks visible).
fn screen(app: &App, width: u16, height: u16) -> String {
    render(app, width, height).backend().to_string()
}

fn buffer(app: &App, width: u16, height: u16) -> Buffer {
    render(app, width, height).backend().buffer().clone()
}

/// Every symbol of the buffer that is not plain ASCII, with its position.
fn non_ascii(buf: &Buffer) -> Vec<(u16, u16, String)> {
    let area = buf.area;
    let mut found = Vec::new();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let symbol = buf[(x, y)].symbol();
            if !symbol.is_ascii() {
                found.push((x, y, symbol.to_string()));
            }
        }
    }
    found
}

/// Every cell with a colour (foreground, background or underline).
fn coloured(buf: &Buffer) -> Vec<(u16, u16, String)> {
    let area = buf.area;
    let mut found = Vec::new();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let cell = &buf[(x, y)];
            if cell.fg != Color::Reset
                || cell.bg != Color::Reset
                || cell.underline_color != Color::Reset
            {
                found.push((x, y, format!("{:?}/{:?}", cell.fg, cell.bg)));
            }
        }
    }
    found
}

/// The buffer's rows as plain text, trailing blanks trimmed.
fn lines(buf: &Buffer) -> Vec<String> {
    let area = buf.area;
    (area.top()..area.bottom())
        .map(|y| {
            let mut row = String::new();
            let mut skip = 0;
            for x in area.left()..area.right() {
                let cell = &buf[(x, y)];
                if skip == 0 {
                    row.push_str(cell.symbol());
                }
                skip = skip.max(cell.symbol().chars().count().max(1)) - 1;
            }
            row.trim_end().to_string()
        })
        .collect()
}

// ----- the picker -----------------------------------------------------

#[test]
fn picker_120x36() {
    assert_snapshot!("picker_120x36", screen(&picker(COLOR), 120, 36));
}

#[test]
fn picker_80x24() {
    assert_snapshot!("picker_80x24", screen(&picker(COLOR), 80, 24));
}

#[test]
fn picker_200x60() {
    assert_snapshot!("picker_200x60", screen(&picker(COLOR), 200, 60));
}

#[test]
fn picker_with_the_no_data_directory_notice_80x24() {
    let app = App::new(lessons(), COLOR, None);
    let text = screen(&app, 80, 24);
    assert!(text.contains("no data directory"), "{text}");
    assert_snapshot!("picker_notice_80x24", text);
}

#[test]
fn picker_help() {
    let mut app = picker(COLOR);
    app.update(Action::ToggleHelp);
    assert_snapshot!("picker_help", screen(&app, 120, 36));
}

// ----- the lesson screen ----------------------------------------------

#[test]
fn lesson_paused_at_zero_asks_the_question() {
    let app = semaphore_at_zero(COLOR);
    let text = screen(&app, 120, 36);
    assert!(text.contains("Predict:"), "{text}");
    assert!(text.contains(" ready "), "{text}");
    assert_snapshot!("lesson_paused_at_zero", text);
}

#[test]
fn lesson_playing_at_1_2_s() {
    let app = semaphore_at_1_2(COLOR);
    let text = screen(&app, 120, 36);
    assert!(text.contains(" playing "), "{text}");
    assert!(text.contains("t 1.2 s"), "{text}");
    assert_snapshot!("lesson_playing_1_2s", text);
}

#[test]
fn lesson_paused_at_1_2_s() {
    let app = semaphore_paused_at_1_2(COLOR);
    let text = screen(&app, 120, 36);
    assert!(text.contains(" paused "), "{text}");
    assert!(text.contains("t 1.2 s"), "{text}");
    assert_snapshot!("lesson_paused_1_2s", text);
}

#[test]
fn lesson_paused_at_1_2_s_80x24() {
    let app = semaphore_paused_at_1_2(COLOR);
    assert_snapshot!("lesson_paused_1_2s_80x24", screen(&app, 80, 24));
}

#[test]
fn lesson_paused_at_1_2_s_200x60() {
    let app = semaphore_paused_at_1_2(COLOR);
    assert_snapshot!("lesson_paused_1_2s_200x60", screen(&app, 200, 60));
}

#[test]
fn lesson_finished() {
    let app = semaphore_finished(COLOR);
    let text = screen(&app, 120, 36);
    assert!(text.contains(" finished "), "{text}");
    assert!(text.contains("t 3.5 s"), "{text}");
    assert_snapshot!("lesson_finished", text);
}

#[test]
fn lesson_rewound() {
    let mut app = semaphore_finished(COLOR);
    for _ in 0..5 {
        app.update(Action::Rewind);
    }
    // A fiftieth of the 4 s axis a step: 3.5 s - 5 × 80 ms.
    assert_eq!(
        app.lesson().unwrap().view_time(),
        Duration::from_millis(3100)
    );
    let text = screen(&app, 120, 36);
    assert!(text.contains("rewound (live 3.5 s)"), "{text}");
    assert_snapshot!("lesson_rewound", text);
}

#[test]
fn lesson_lane_selected_with_details() {
    let mut app = semaphore_paused_at_1_2(COLOR);
    for _ in 0..4 {
        app.update(Action::Down);
    }
    let state = app.lesson().unwrap();
    assert_eq!(state.selected, state.trace().lane_named("request 3"));
    let text = screen(&app, 120, 36);
    assert!(text.contains("child of main"), "{text}");
    assert_snapshot!("lesson_lane_selected", text);
    // The text cannot show it: the selected row is highlighted across the
    // lanes pane, and no other row is.
    let buf = buffer(&app, 120, 36);
    let highlight = COLOR.selected().bg.expect("the selection has a background");
    let highlighted: Vec<u16> = (0..36)
        .filter(|&y| (60..118).all(|x| buf[(x, y)].bg == highlight))
        .collect();
    // In the lanes pane (the story beside it may name the lane too).
    let row = lines(&buf)
        .iter()
        .position(|l| {
            l.chars()
                .skip(50)
                .collect::<String>()
                .contains("request 3 ")
        })
        .expect("request 3 is shown") as u16;
    assert_eq!(highlighted, vec![row]);
}

#[test]
fn lesson_help() {
    let mut app = semaphore_at_zero(COLOR);
    app.update(Action::ToggleHelp);
    assert_snapshot!("lesson_help", screen(&app, 120, 36));
}

#[test]
fn lesson_presenter() {
    let mut app = semaphore_paused_at_1_2(COLOR);
    app.update(Action::TogglePresenter);
    assert!(app.theme.presenter);
    assert_snapshot!("lesson_presenter", screen(&app, 120, 36));
}

#[test]
fn lesson_knobs_popup() {
    let mut app = semaphore_at_zero(COLOR);
    app.update(Action::OpenKnobs);
    app.update(Action::Down);
    app.update(Action::KnobMore);
    let text = screen(&app, 120, 36);
    assert!(text.contains("(changed)"), "{text}");
    assert_snapshot!("lesson_knobs", text);
}

#[test]
fn lesson_code_pane_marks_parked_lines() {
    let mut app = semaphore_paused_at_1_2(COLOR);
    app.update(Action::SwitchPane);
    let text = screen(&app, 120, 36);
    assert_snapshot!("lesson_code_pane", text);
    // Requests 7 to 9 sleep on line 28.
    assert!(text.contains("│28▶"), "{text}");
}

#[test]
fn lesson_code_pane_200x60_labels_the_markers() {
    let mut app = semaphore_paused_at_1_2(COLOR);
    app.update(Action::SwitchPane);
    let text = screen(&app, 200, 60);
    assert_snapshot!("lesson_code_pane_200x60", text);
    assert!(text.contains("◀ 3 lanes: Sleep 500ms"), "{text}");
}

/// At 1.2 s eleven requests are parked on `limit.acquire().await` (line
/// 26), three on `sleep(work).await` (line 28) and `main` on its handles
/// (line 39): every one of those lines is marked.
#[test]
fn code_pane_marks_every_parked_line() {
    // Tokio reports where a sleep is awaited; for a semaphore or a lock
    // only where it was made, so the recorder finds the awaiting line in
    // the lesson's own frames.
    let mut app = semaphore_paused_at_1_2(COLOR);
    app.update(Action::SwitchPane);
    let text = screen(&app, 200, 60);
    let state = app.lesson().unwrap();
    let trace = state.trace();
    let mut lines_with_waits = std::collections::BTreeSet::new();
    for lane in 1..=trace.lanes().len() as u32 {
        if let LaneNow::Waiting {
            line: Some(line), ..
        } = trace.state_at(lane, state.view_us())
        {
            lines_with_waits.insert(line);
        }
    }
    assert_eq!(
        lines_with_waits.into_iter().collect::<Vec<_>>(),
        [26, 28, 40]
    );
    for line in ["│26▶", "│28▶", "│40▶"] {
        assert!(text.contains(line), "{line} in {text}");
    }
}

#[test]
fn lesson_log_pane() {
    let mut app = semaphore_paused_at_1_2(COLOR);
    for _ in 0..3 {
        app.update(Action::SwitchPane);
    }
    let text = screen(&app, 120, 36);
    assert!(text.contains("[log]"), "{text}");
    assert!(text.contains("got a permit"), "{text}");
    assert_snapshot!("lesson_log_pane", text);
}

// ----- what must not be cut ---------------------------------------------

/// The key hints of the status line, as drawn.
fn status_line(buf: &Buffer) -> String {
    lines(buf).pop().unwrap_or_default()
}

/// Text that a learner needs and that must show whole at the sizes the
/// issue names: the help hint in the status line, what a lane waits on,
/// the knob ranges, the last lines of the help overlay. Collects every
/// problem before failing, so one run lists them all.
#[test]
fn nothing_a_learner_needs_is_cut() {
    let mut problems = Vec::new();
    let paused = semaphore_paused_at_1_2(COLOR);
    let mut picker_help = picker(COLOR);
    picker_help.update(Action::ToggleHelp);
    let mut lesson_help = semaphore_paused_at_1_2(COLOR);
    lesson_help.update(Action::ToggleHelp);
    let mut knobs = semaphore_at_zero(COLOR);
    knobs.update(Action::OpenKnobs);

    for (w, h) in [(80, 24), (120, 36), (200, 60)] {
        for (name, app) in [("picker", &picker(COLOR)), ("lesson", &paused)] {
            let status = status_line(&buffer(app, w, h));
            if !status.contains("? help") {
                problems.push(format!(
                    "{name} at {w}x{h}: the status line has no '? help' hint: {status:?}"
                ));
            }
        }
        let text = lines(&buffer(&paused, w, h));
        let row = text.iter().find(|l| l.contains("request 10 "));
        if !row.is_some_and(|l| l.contains("Semaphore::acquire")) {
            problems.push(format!(
                "lesson at {w}x{h}: request 10's row does not say 'Semaphore::acquire' whole: {row:?}"
            ));
        }
        for (name, app) in [("picker help", &picker_help), ("lesson help", &lesson_help)] {
            let text = lines(&buffer(app, w, h)).join("\n");
            let scrolls = text.contains("scroll, Esc");
            if !text.contains("failed (an error or a panic)") && !scrolls {
                problems.push(format!(
                    "{name} at {w}x{h}: the last help lines are cut off and the title \
                     does not say it scrolls"
                ));
            }
        }
        let shown: Vec<u64> = lines(&buffer(&knobs, w, h))
            .iter()
            .filter_map(|l| {
                let at = l.find("from 1 to ")? + "from 1 to ".len();
                let digits: String = l[at..].chars().take_while(char::is_ascii_digit).collect();
                digits.parse().ok()
            })
            .collect();
        if shown != [10_000, 1_000, 60_000] {
            problems.push(format!(
                "knobs at {w}x{h}: the ranges read 1 to {shown:?}, not 1 to [10000, 1000, 60000]"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// PgDn moves by the lane rows on screen, not by a fixed ten: the event
/// loop hands each frame's layout back to the app, as `frame` does here.
#[test]
fn page_down_moves_by_a_screenful() {
    let mut app = lesson_with(
        COLOR,
        "semaphore",
        &["requests=200", "permits=100", "work_ms=100"],
        true,
    );
    app.tick(Duration::from_millis(50));
    settle(&mut app, "time zero", |t| {
        settled(t) && t.lane_named("request 200").is_some()
    });
    app.update(Action::TogglePlay);
    app.update(Action::Down); // main
    app.update(Action::ToggleFold); // unfold its 200 children
    let text = frame(&mut app, 120, 36);
    let at = text.find("rows 1–").expect("the rows position") + "rows 1–".len();
    let page: usize = text[at..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a page size");
    assert!(text.contains(&format!("rows 1–{page} of 201")), "{text}");
    assert!(page > 20, "{text}");
    app.update(Action::PageDown);
    let state = app.lesson().unwrap();
    let rows = state.rows();
    let index = rows
        .iter()
        .position(|r| Some(r.lane) == state.selected)
        .unwrap();
    assert!(
        (page - 1..=page).contains(&index),
        "PgDn from the first row went to row {index}, not a page ({page} rows) down"
    );
}

// ----- sizes ------------------------------------------------------------

#[test]
fn too_small_59x15() {
    let text = screen(&picker(COLOR), 59, 15);
    assert!(text.contains("60×16"), "{text}");
    assert_snapshot!("too_small_59x15", text);
}

#[test]
fn too_small_1x1() {
    assert_snapshot!("too_small_1x1", screen(&picker(COLOR), 1, 1));
}

#[test]
fn too_small_lesson_59x15_says_the_same() {
    let app = semaphore_paused_at_1_2(COLOR);
    assert_eq!(
        screen(&app, 59, 15),
        screen(&picker(COLOR), 59, 15),
        "the lesson screen below the minimum size"
    );
}

/// Every screen draws at every size from 1×1 up without a panic.
#[test]
fn every_screen_draws_at_odd_sizes() {
    let mut apps = vec![picker(COLOR), semaphore_paused_at_1_2(COLOR)];
    let mut help = semaphore_paused_at_1_2(COLOR);
    help.update(Action::ToggleHelp);
    apps.push(help);
    let mut knobs = semaphore_paused_at_1_2(COLOR);
    knobs.update(Action::OpenKnobs);
    apps.push(knobs);
    let mut presenter = semaphore_paused_at_1_2(COLOR);
    presenter.update(Action::TogglePresenter);
    apps.push(presenter);
    for app in &apps {
        for width in [1, 2, 11, 59, 60, 61, 79, 80, 119, 120, 121, 200, 300] {
            for height in [1, 2, 15, 16, 17, 24, 36, 60] {
                render(app, width, height);
            }
        }
    }
}

// ----- NO_COLOR and --ascii -------------------------------------------

#[test]
fn finished_without_colour() {
    let app = semaphore_finished(NO_COLOR);
    let buf = buffer(&app, 120, 36);
    let found = coloured(&buf);
    assert!(found.is_empty(), "coloured cells under NO_COLOR: {found:?}");
    assert_snapshot!("lesson_finished_no_color", screen(&app, 120, 36));
}

#[test]
fn finished_in_ascii() {
    let app = semaphore_finished(ASCII);
    let buf = buffer(&app, 120, 36);
    let found = non_ascii(&buf);
    assert!(found.is_empty(), "non-ASCII cells with --ascii: {found:?}");
    assert_snapshot!("lesson_finished_ascii", screen(&app, 120, 36));
}

/// The other screens, in ASCII and without colour: no snapshots, only the
/// two promises.
#[test]
fn every_screen_keeps_ascii_and_no_color_promises() {
    for theme in [
        ASCII,
        NO_COLOR,
        Theme {
            color: false,
            ascii: true,
            presenter: false,
        },
    ] {
        let mut screens: Vec<(&str, App)> = Vec::new();
        screens.push(("picker", App::new(lessons(), theme, None)));
        let mut help = picker(theme);
        help.update(Action::ToggleHelp);
        screens.push(("picker help", help));
        screens.push(("at zero", semaphore_at_zero(theme)));
        let mut lesson_help = semaphore_at_zero(theme);
        lesson_help.update(Action::ToggleHelp);
        screens.push(("lesson help", lesson_help));
        let mut knobs = semaphore_at_zero(theme);
        knobs.update(Action::OpenKnobs);
        screens.push(("knobs", knobs));
        let mut selected = semaphore_paused_at_1_2(theme);
        for _ in 0..4 {
            selected.update(Action::Down);
        }
        screens.push(("selected", selected));
        for pane in ["code", "twin", "log"] {
            let mut app = semaphore_paused_at_1_2(theme);
            let switches = match pane {
                "code" => 1,
                "twin" => 2,
                _ => 3,
            };
            for _ in 0..switches {
                app.update(Action::SwitchPane);
            }
            screens.push((pane, app));
        }
        let mut presenter = semaphore_paused_at_1_2(theme);
        presenter.update(Action::TogglePresenter);
        screens.push(("presenter", presenter));
        let mut rewound = semaphore_finished(theme);
        rewound.update(Action::Rewind);
        screens.push(("rewound", rewound));

        let mut problems = Vec::new();
        for (name, app) in &screens {
            for (w, h) in [(120, 36), (80, 24), (59, 15)] {
                let buf = buffer(app, w, h);
                if theme.ascii {
                    let found = non_ascii(&buf);
                    if !found.is_empty() {
                        problems.push(format!("{name} at {w}x{h}, ascii: {found:?}"));
                    }
                }
                if !theme.color {
                    let found = coloured(&buf);
                    if !found.is_empty() {
                        problems.push(format!("{name} at {w}x{h}, no colour: {found:?}"));
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}

// ----- 10,000 lanes -----------------------------------------------------

const JOBS: u32 = 10_000;
const WAVE: u32 = 100;
const WAVE_US: u64 = 100_000;

/// A bounded run of 10,000 jobs, 100 at a time, 0.1 s each: `main` spawns
/// every job at 0; job k waits on a permit until its wave, then sleeps
/// 100 ms and is done. 10 s in all.
fn ten_thousand_jobs() -> Trace {
    let mut trace = Trace::new(Header {
        lesson: "generated".into(),
        knobs: vec![],
    });
    let main_name = trace.intern("main");
    let join = trace.intern("JoinHandle");
    let permit = trace.intern("Semaphore::acquire");
    let sleep = trace.intern("Sleep 100ms");
    let names: Vec<_> = (1..=JOBS)
        .map(|k| trace.intern(&format!("job {k}")))
        .collect();
    let end_us = (JOBS / WAVE) as u64 * WAVE_US;

    let mut events = vec![
        Event {
            t_us: 0,
            lane: Some(1),
            kind: EventKind::Spawned {
                name: main_name,
                parent: None,
            },
        },
        Event {
            t_us: 0,
            lane: Some(1),
            kind: EventKind::Running,
        },
    ];
    for (k, &name) in (1..=JOBS).zip(&names) {
        events.push(Event {
            t_us: 0,
            lane: Some(k + 1),
            kind: EventKind::Spawned {
                name,
                parent: Some(1),
            },
        });
    }
    events.push(Event {
        t_us: 0,
        lane: Some(1),
        kind: EventKind::Awaiting {
            on: join,
            line: None,
        },
    });
    for k in 1..=JOBS {
        let lane = Some(k + 1);
        let start = ((k - 1) / WAVE) as u64 * WAVE_US;
        let mut push = |t_us, kind| events.push(Event { t_us, lane, kind });
        push(0, EventKind::Running);
        if start > 0 {
            push(
                0,
                EventKind::Awaiting {
                    on: permit,
                    line: Some(12),
                },
            );
            push(start, EventKind::Running);
        }
        push(
            start,
            EventKind::Awaiting {
                on: sleep,
                line: Some(14),
            },
        );
        push(start + WAVE_US, EventKind::Done);
    }
    events.push(Event {
        t_us: end_us,
        lane: Some(1),
        kind: EventKind::Done,
    });
    // In time order, each lane's events in the order made (stable sort).
    events.sort_by_key(|e| e.t_us);
    for event in events {
        trace.push_event(event);
    }
    trace
}

/// What the interface folds on its own: parents of more than
/// `AUTO_FOLD_CHILDREN` children.
fn auto_folded(trace: &Trace) -> HashSet<LaneId> {
    (1..=trace.lanes().len() as LaneId)
        .filter(|&lane| trace.children(Some(lane)).len() > AUTO_FOLD_CHILDREN)
        .collect()
}

fn render_lanes(
    trace: &Trace,
    rows: &[Row],
    scroll: usize,
    view_us: u64,
    width: u16,
    height: u16,
) -> (Buffer, Duration) {
    let theme = COLOR;
    let shown = shown_rows(trace, &rows[scroll..], view_us);
    let view = LanesView {
        trace,
        rows: &shown,
        selected: None,
        view_us,
        span: axis_span(Duration::from_micros(view_us)),
        theme: &theme,
        row_height: 1,
    };
    let mut buf = Buffer::empty(Rect::new(0, 0, width, height));
    let start = Instant::now();
    (&view).render(buf.area, &mut buf);
    (buf, start.elapsed())
}

#[test]
fn ten_thousand_lanes_stay_readable() {
    let trace = ten_thousand_jobs();
    assert_eq!(trace.lanes().len(), JOBS as usize + 1);
    let folded = auto_folded(&trace);
    assert_eq!(folded, HashSet::from([1]), "main, and only main, folds");

    let mut slowest = Duration::ZERO;
    let mut cut_summaries = Vec::new();
    // (view time, live, ended) — a wave ends every 0.1 s.
    for (t_us, live, ended) in [
        (0, 10_000, 0),
        (2_550_000, 7_500, 2_500),
        (5_000_000, 5_000, 5_000),
        (10_000_000, 0, 10_000),
    ] {
        let rows = lane_rows(&trace, &folded, t_us);
        assert_eq!(rows.len(), 1, "one summarised row at {t_us} µs");
        assert_eq!(
            rows[0],
            Row {
                lane: 1,
                depth: 0,
                children: JOBS as usize,
                folded: true
            }
        );
        let (buf, took) = render_lanes(&trace, &rows, 0, t_us, 120, 36);
        slowest = slowest.max(took);
        let text = lines(&buf);
        let row = &text[2];
        assert!(row.contains("main"), "{text:#?}");
        // Running, waiting (every job sleeps) and ended, in as many words
        // as fit; a narrow column keeps the counts, whole.
        let some = |parts: [String; 2]| {
            let kept: Vec<&String> = [(live, &parts[0]), (ended, &parts[1])]
                .into_iter()
                .filter(|(n, _)| *n > 0)
                .map(|(_, p)| p)
                .collect();
            kept.iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let forms = [
            format!("0 running, {live} waiting, {ended} ended"),
            some([format!("{live} waiting"), format!("{ended} ended")]),
            some([format!("{live} wait"), format!("{ended} end")]),
            format!("{live} live, {ended} ended"),
        ];
        if !forms.iter().any(|form| row.ends_with(form.as_str())) {
            cut_summaries.push(format!("at {t_us} µs, {forms:?} reads {row:?}"));
        }
        assert!(text[3..].iter().all(|l| l.is_empty()), "{text:#?}");
    }

    // Unfolded: every job is a row; the view shows a page of them from
    // the scroll position.
    let t_us = 5_050_000;
    let rows = lane_rows(&trace, &HashSet::new(), t_us);
    assert_eq!(rows.len(), JOBS as usize + 1);
    assert!(!rows[0].folded);
    let fitting = LanesView::rows_fitting(36, 1);
    assert_eq!(fitting, 34);
    for scroll in [0, 5_000, rows.len() - fitting] {
        let (buf, took) = render_lanes(&trace, &rows, scroll, t_us, 120, 36);
        slowest = slowest.max(took);
        let text = lines(&buf);
        let first = trace.lane_name(rows[scroll].lane);
        let last = trace.lane_name(rows[scroll + fitting - 1].lane);
        assert!(text[2].contains(first), "row 2 is {first}: {text:#?}");
        assert!(text[35].contains(last), "row 35 is {last}: {text:#?}");
    }
    // At 5.05 s: job 5000 (wave 49) is done, jobs 5001 to 5100 (wave 50)
    // sleep, job 5101 still waits for a permit. Row k is job k.
    let row_of = |scroll: usize, name: &str| {
        let (buf, _) = render_lanes(&trace, &rows, scroll, t_us, 120, 36);
        let text = lines(&buf);
        text.iter()
            .find(|l| l.contains(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} in {text:#?}"))
            .clone()
    };
    let row = row_of(5_000, "job 5000");
    assert!(row.contains("done 5.0 s"), "{row}");
    let row = row_of(5_000, "job 5001");
    assert!(row.contains("Sleep 100ms"), "{row}");
    let row = row_of(5_090, "job 5100");
    assert!(row.contains("Sleep 100ms"), "{row}");
    let row = row_of(5_090, "job 5101");
    assert!(row.contains("Semaphore::acqui"), "{row}");
    // Not a timing test: only a guard against a view that walks every lane
    // and event per cell. Debug builds draw a frame in milliseconds.
    assert!(
        slowest < Duration::from_secs(1),
        "one frame took {slowest:?}"
    );
    // Last, so that everything above is checked whatever this says.
    assert!(
        cut_summaries.is_empty(),
        "the folded row's summary (live / ended) is cut at 120 columns:\n{}",
        cut_summaries.join("\n")
    );
}

/// The same shape from a real run: the semaphore lesson with 10,000
/// requests, 100 permits and 100 ms of work — ten seconds in waves of 100.
/// The whole screen opens with `main` folded into one summarised row;
/// unfolded, it pages through the requests and says where it is.
#[test]
fn ten_thousand_lanes_whole_screen() {
    let mut app = lesson_with(
        COLOR,
        "semaphore",
        &["requests=10000", "permits=100", "work_ms=100"],
        true,
    );
    app.tick(Duration::from_millis(5050));
    settle(&mut app, "the 5.0 s wave", |t| {
        settled(t) && t.last_t_us() == 5_000_000
    });
    app.update(Action::TogglePlay);
    let state = app.lesson().unwrap();
    assert_eq!(state.rows().len(), 1, "main folds its 10,000 children");
    let start = Instant::now();
    let text = screen(&app, 120, 36);
    let took = start.elapsed();
    assert!(took < Duration::from_secs(1), "one frame took {took:?}");
    assert!(text.contains("10001 lanes"), "{text}");
    assert_snapshot!("lesson_10000_folded", text);

    app.update(Action::Down); // select main
    app.update(Action::ToggleFold);
    let state = app.lesson().unwrap();
    assert_eq!(state.rows().len(), 10_001);
    for _ in 0..100 {
        app.update(Action::PageDown);
    }
    let text = screen(&app, 120, 36);
    assert!(text.contains(" of 10001 "), "{text}");
    assert_snapshot!("lesson_10000_unfolded_paged", text);
}

/// A progress problem said on the lesson screen shows whole, at 80×24,
/// however long its path: a lesson opened from the command line hears it
/// too.
#[test]
fn a_notice_on_the_lesson_screen_shows_whole() {
    let mut app = semaphore_at_zero(COLOR);
    let notice = "progress file /home/someone/.local/share/lanes/progress.toml is damaged \
                  (line 3: invalid string); kept it as progress.toml.corrupt and started afresh";
    app.notice = Some(notice.into());
    let text = lines(&buffer(&app, 80, 24)).join(" ");
    let shown: String = text
        .split_whitespace()
        .map(|w| w.trim_matches('│'))
        .collect::<Vec<_>>()
        .join(" ");
    for word in notice.split_whitespace() {
        assert!(shown.contains(word), "{word:?} missing from:\n{text}");
    }
}

/// `x` on `main`: the reason fits the status line at 120 columns; at 60,
/// it does not, and gets a box of its own above the line, whole.
#[test]
fn a_notice_too_long_for_the_status_line_gets_a_box() {
    let mut app = semaphore_paused_at_1_2(COLOR);
    app.update(Action::Down); // main
    app.update(Action::CancelLane);
    let reason = "'main' is the lesson itself: r restarts it";
    let wide = screen(&app, 120, 36);
    let status = wide.lines().nth(35).unwrap();
    assert!(status.contains(reason), "{wide}");
    assert!(!wide.contains("╭ notice"), "{wide}");
    let narrow = screen(&app, 60, 20);
    assert!(narrow.contains("╭ notice"), "{narrow}");
    assert!(narrow.contains(reason), "{narrow}");
    let status = narrow.lines().nth(19).unwrap();
    assert!(!status.contains("'main'"), "{narrow}");
}
