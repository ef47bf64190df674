//! The whole interface's state, and `update`, the one place actions change it.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use crate::catalog::{Catalog, Lesson};
use crate::engine::Knobs;

use super::action::Action;
use super::keymap::Context;
use super::lesson::{LessonState, Replay};
use super::picker::PickerState;
use super::progress::Progress;
use super::theme::Theme;
use super::view::Drawn;
use super::view::code::Highlighted;
use super::view::picker::PickerView;

pub enum Screen {
    Picker,
    Lesson(Box<OpenLesson>),
}

/// A lesson on screen: its state and its highlighted sources.
pub struct OpenLesson {
    pub state: LessonState,
    pub code: Highlighted,
    pub twin: Highlighted,
    /// Highlighting takes syntect a good fraction of a second the first
    /// time, so it is done on a thread; plain text shows meanwhile.
    highlighting: Option<Receiver<(Highlighted, Highlighted)>>,
    /// Progress already written for this attempt.
    recorded: bool,
}

pub struct App {
    pub catalog: &'static Catalog,
    pub screen: Screen,
    pub picker: PickerState,
    pub progress: Progress,
    pub theme: Theme,
    pub help: bool,
    pub help_scroll: u16,
    pub quit: bool,
    /// A message for the status line (e.g. a progress-file problem), shown
    /// until the next key.
    pub notice: Option<String>,
    /// Where the last frame put things, for mouse hit-testing and paging.
    pub drawn: Drawn,
    /// Something changed since the last frame was drawn.
    pub redraw: bool,
    /// `lanes open <id>`: leaving the lesson leaves lanes.
    pub quit_on_back: bool,
}

impl App {
    pub fn new(catalog: &'static Catalog, theme: Theme, progress_path: Option<PathBuf>) -> App {
        let (progress, notice) = match &progress_path {
            Some(path) => Progress::load(path),
            None => (
                Progress::in_memory(),
                Some("no data directory: progress is not kept".into()),
            ),
        };
        App {
            catalog,
            screen: Screen::Picker,
            picker: PickerState::with_progress(catalog, &progress),
            progress,
            theme,
            help: false,
            help_scroll: 0,
            quit: false,
            notice,
            drawn: Drawn {
                size: (80, 24),
                ..Drawn::default()
            },
            redraw: true,
            quit_on_back: false,
        }
    }

    /// The context help describes: the screen's, whether or not help is open.
    pub fn context_under_help(&self) -> Context {
        match &self.screen {
            Screen::Picker => Context::Picker,
            Screen::Lesson(_) => Context::Lesson,
        }
    }

    pub fn context(&self) -> Context {
        match &self.screen {
            _ if self.drawn.too_small => Context::TooSmall,
            _ if self.help => Context::Help,
            Screen::Picker if self.picker.filtering => Context::Filter,
            Screen::Picker => Context::Picker,
            Screen::Lesson(open) if open.state.knob_editor.is_some() => Context::Knobs,
            Screen::Lesson(_) => Context::Lesson,
        }
    }

    pub fn lesson(&self) -> Option<&LessonState> {
        match &self.screen {
            Screen::Lesson(open) => Some(&open.state),
            Screen::Picker => None,
        }
    }

    pub fn open_lesson(&mut self, lesson: &'static Lesson, knobs: Knobs, playing: bool) {
        self.show_lesson(LessonState::new(lesson, knobs, playing));
        if self.progress.mark_opened(&lesson.id) {
            self.save_progress();
        }
    }

    /// Opens a recorded trace of `lesson` (`lanes view`): played back, not
    /// run, and kept out of the learner's progress.
    pub fn open_trace(&mut self, lesson: &'static Lesson, knobs: Knobs, replay: Replay) {
        self.show_lesson(LessonState::viewing(lesson, knobs, replay));
    }

    fn show_lesson(&mut self, state: LessonState) {
        let lesson = state.lesson;
        let code = Highlighted::plain(lesson.source, &self.theme);
        let twin = Highlighted::plain(lesson.twin, &self.theme);
        let (done, highlighting) = mpsc::channel();
        let theme = self.theme;
        let _ = std::thread::Builder::new()
            .name("lanes-highlight".into())
            .spawn(move || {
                let highlighted = (
                    Highlighted::rust(lesson.source, &theme),
                    Highlighted::python(lesson.twin, &theme),
                );
                let _ = done.send(highlighted);
            });
        self.screen = Screen::Lesson(Box::new(OpenLesson {
            state,
            code,
            twin,
            highlighting: Some(highlighting),
            recorded: false,
        }));
        self.picker.select(&lesson.id);
        self.redraw = true;
    }

    /// Waits for the open lesson's code to be highlighted (a recording
    /// must not show plain code in one take and coloured in the next).
    pub fn wait_for_highlighting(&mut self) {
        let Screen::Lesson(open) = &mut self.screen else {
            return;
        };
        if let Some(Ok((code, twin))) = open.highlighting.take().map(|done| done.recv()) {
            open.code = code;
            open.twin = twin;
            self.redraw = true;
        }
    }

    /// One frame's worth of real time: shorthand for `update(Tick)`.
    pub fn tick(&mut self, real: Duration) {
        self.update(Action::Tick(real));
    }

    /// The lesson plays on; its highlighting arrives; progress is noted
    /// when a run ends.
    fn tick_lesson(&mut self, real: Duration) {
        let Screen::Lesson(open) = &mut self.screen else {
            return;
        };
        if let Some(Ok((code, twin))) = open.highlighting.as_ref().map(Receiver::try_recv) {
            open.code = code;
            open.twin = twin;
            open.highlighting = None;
            self.redraw = true;
        }
        let restarted = open.state.at_start();
        if open.state.tick(real) {
            self.redraw = true;
        }
        // A new attempt may be recorded again.
        if restarted {
            open.recorded = false;
        }
        if !open.recorded
            && let Some(verdict) = open.state.verdict()
        {
            open.recorded = true;
            let id = open.state.lesson.id.clone();
            let mut changed = self.progress.mark_finished(&id);
            // What the screen says is what is kept: a prediction counts
            // only when it was scored.
            if let Ok(right) = verdict.scored {
                changed |= self.progress.mark_predicted(&id, right);
            }
            if changed {
                self.save_progress();
            }
        }
    }

    /// Saves, merged with what other `lanes` processes saved; a problem
    /// is said once on screen.
    fn save_progress(&mut self) {
        match self.progress.save() {
            Ok(None) => {}
            Ok(Some(notice)) => self.notice = Some(notice),
            Err(e) => self.notice = Some(format!("progress not saved: {e}")),
        }
    }

    /// Takes the layout the last frame drew: paging and scrolling follow
    /// what is on screen.
    pub fn laid_out(&mut self, drawn: Drawn) {
        self.drawn = drawn;
        match &mut self.screen {
            Screen::Lesson(open) if self.drawn.lesson.lanes_page > 0 => {
                open.state.lanes_page = self.drawn.lesson.lanes_page;
                open.state.text_rows = self.drawn.lesson.text_rows;
                open.state.keep_selection_visible();
            }
            Screen::Lesson(_) => {}
            Screen::Picker => {
                let shown = PickerView::list_rows_shown(&self.picker, self.picker_area());
                self.picker.keep_in_view(self.catalog, shown);
            }
        }
    }

    pub fn update(&mut self, action: Action) {
        if let Action::Tick(real) = action {
            self.tick_lesson(real);
            return;
        }
        self.redraw = true;
        // Behind the "terminal too small" screen, keys do nothing but quit
        // (`q` there is Quit, whatever the screen behind it).
        if self.drawn.too_small {
            if action == Action::Quit {
                self.quit = true;
            }
            return;
        }
        if !matches!(action, Action::ScrollUp { .. } | Action::ScrollDown { .. }) {
            self.notice = None;
        }
        match action {
            Action::Quit => self.quit = true,
            Action::ToggleHelp => {
                self.help = !self.help;
                self.help_scroll = 0;
            }
            _ if self.help => match action {
                Action::Back => self.help = false,
                Action::Up => self.help_scroll = self.help_scroll.saturating_sub(1),
                Action::Down => self.help_scroll = self.help_scroll.saturating_add(1),
                _ => {}
            },
            Action::Click { column, row } => self.click(column, row),
            Action::ScrollUp { column, row } => self.scroll(column, row, -3),
            Action::ScrollDown { column, row } => self.scroll(column, row, 3),
            _ => match &mut self.screen {
                Screen::Picker => self.update_picker(action),
                Screen::Lesson(open) => match action {
                    Action::Back if open.state.knob_editor.is_none() => self.back_to_picker(),
                    Action::TogglePresenter if open.state.knob_editor.is_none() => {
                        self.theme.presenter = !self.theme.presenter
                    }
                    Action::NextLesson if open.state.knob_editor.is_none() => self.next_lesson(),
                    _ => open.state.apply(action),
                },
            },
        }
    }

    /// Leaves the lesson: to the picker, showing what other `lanes`
    /// processes recorded meanwhile; or, for a lesson opened from the
    /// command line, back to the shell.
    fn back_to_picker(&mut self) {
        if self.quit_on_back {
            self.quit = true;
            return;
        }
        self.screen = Screen::Picker;
        if let Some(notice) = self.progress.refresh() {
            self.notice = Some(notice);
        }
    }

    /// Opens the lesson after the one on screen, in curriculum order.
    fn next_lesson(&mut self) {
        let Screen::Lesson(open) = &mut self.screen else {
            return;
        };
        let lessons = &self.catalog.lessons;
        let at = lessons.iter().position(|l| l.id == open.state.lesson.id);
        match at.and_then(|i| lessons.get(i + 1)) {
            Some(next) => self.open_lesson(next, next.default_knobs(), false),
            None => open.state.notice = Some("this is the last lesson".into()),
        }
    }

    fn update_picker(&mut self, action: Action) {
        match action {
            Action::Open => {
                if let Some(lesson) = self.picker.selected_lesson(self.catalog) {
                    self.open_lesson(lesson, lesson.default_knobs(), false);
                }
            }
            // Esc clears a filter first, and quits only from the plain list.
            Action::Back if !self.picker.filter.is_empty() => {
                self.picker.apply(Action::CancelFilter, self.catalog)
            }
            Action::Back => self.quit = true,
            _ => self.picker.apply(action, self.catalog),
        }
    }

    /// The picker's area (the screen less the status line).
    pub fn picker_area(&self) -> ratatui::layout::Rect {
        let (w, h) = self.drawn.size;
        ratatui::layout::Rect::new(0, 0, w, h.saturating_sub(1))
    }

    /// A click on a lane row selects that lane; on a lesson, selects it.
    fn click(&mut self, column: u16, row: u16) {
        let point = ratatui::layout::Position::new(column, row);
        match &mut self.screen {
            Screen::Lesson(open) => {
                if let Some((_, lane)) = self
                    .drawn
                    .lesson
                    .lane_rows
                    .iter()
                    .find(|(rect, _)| rect.contains(point))
                {
                    open.state.selected = Some(*lane);
                }
            }
            Screen::Picker => {
                let view = PickerView {
                    state: &self.picker,
                    catalog: self.catalog,
                    progress: &self.progress,
                    theme: &self.theme,
                };
                if let Some(lesson) = view.lesson_at(self.picker_area(), column, row) {
                    let id = lesson.id.clone();
                    self.picker.select(&id);
                }
            }
        }
    }

    fn scroll(&mut self, column: u16, row: u16, delta: isize) {
        let point = ratatui::layout::Position::new(column, row);
        match &mut self.screen {
            Screen::Lesson(open) => {
                if self.drawn.lesson.text.is_some_and(|t| t.contains(point)) {
                    open.state.apply(if delta < 0 {
                        Action::TextUp
                    } else {
                        Action::TextDown
                    });
                } else {
                    open.state.scroll_lanes(delta);
                }
            }
            Screen::Picker => {
                let action = if delta < 0 { Action::Up } else { Action::Down };
                for _ in 0..delta.unsigned_abs() {
                    self.picker.apply(action, self.catalog);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::trace::KnobValue;
    use crate::ui::keymap::action_for;

    fn app() -> App {
        let catalog = crate::catalog::catalog().unwrap();
        let mut app = App::new(
            catalog,
            Theme {
                color: true,
                ascii: false,
                presenter: false,
            },
            None,
        );
        app.drawn.size = (120, 36);
        app
    }

    /// Presses keys as the event loop would: key → action → update.
    fn press(app: &mut App, keys: &[KeyCode]) {
        for &code in keys {
            if let Some(action) = action_for(app.context(), KeyEvent::new(code, KeyModifiers::NONE))
            {
                app.update(action);
            }
        }
    }

    fn lesson(app: &App) -> &LessonState {
        app.lesson().expect("a lesson is open")
    }

    fn wait_for(app: &mut App, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(app) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            app.tick(Duration::ZERO);
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn enter_opens_the_selected_lesson_and_q_goes_back() {
        let mut app = app();
        let first = app.picker.selected_lesson(app.catalog).unwrap().id.clone();
        press(&mut app, &[KeyCode::Enter]);
        assert_eq!(lesson(&app).lesson.id, first);
        assert_eq!(app.context(), Context::Lesson);
        assert!(app.progress.marks(&first).opened);
        press(&mut app, &[KeyCode::Char('q')]);
        assert!(matches!(app.screen, Screen::Picker));
        assert!(!app.quit);
        press(&mut app, &[KeyCode::Char('q')]);
        assert!(app.quit);
    }

    #[test]
    fn help_opens_over_any_screen_and_closes_with_esc() {
        let mut app = app();
        press(&mut app, &[KeyCode::Char('?')]);
        assert!(app.help);
        assert_eq!(app.context(), Context::Help);
        press(&mut app, &[KeyCode::Char('j')]);
        assert_eq!(app.help_scroll, 1);
        press(&mut app, &[KeyCode::Esc]);
        assert!(!app.help && !app.quit);
    }

    #[test]
    fn esc_in_the_picker_clears_a_filter_before_quitting() {
        let mut app = app();
        press(
            &mut app,
            &[
                KeyCode::Char('/'),
                KeyCode::Char('m'),
                KeyCode::Char('u'),
                KeyCode::Enter,
            ],
        );
        assert_eq!(app.picker.filter, "mu");
        press(&mut app, &[KeyCode::Esc]);
        assert!(app.picker.filter.is_empty() && !app.quit);
        press(&mut app, &[KeyCode::Esc]);
        assert!(app.quit);
    }

    #[test]
    fn a_lesson_opens_paused_and_digits_answer_the_question() {
        let mut app = app();
        let semaphore = app.catalog.lesson("semaphore").unwrap();
        app.open_lesson(semaphore, semaphore.default_knobs(), false);
        assert!(lesson(&app).at_start());
        // The choices are sorted: 0.5 s, 3.3 s, 3.5 s, 10.0 s.
        press(&mut app, &[KeyCode::Char('3')]);
        assert_eq!(lesson(&app).answer, Some(3));
        assert_eq!(
            lesson(&app).answered_right(),
            None,
            "judged when the run ends"
        );
        press(&mut app, &[KeyCode::Char('9')]); // not a choice: ignored
        assert_eq!(lesson(&app).answer, Some(3));
        press(&mut app, &[KeyCode::Char(' ')]);
        assert!(lesson(&app).playback.is_playing());
        app.tick(Duration::from_secs(5));
        wait_for(&mut app, "the end", |a| {
            a.lesson().unwrap().playback.is_finished()
        });
        app.tick(Duration::ZERO);
        assert_eq!(
            app.progress.marks("semaphore").predicted,
            Some(crate::ui::progress::Prediction::Right)
        );
        assert!(app.progress.marks("semaphore").finished);
    }

    #[test]
    fn rewinding_pauses_and_end_goes_back_to_live() {
        let mut app = app();
        let semaphore = app.catalog.lesson("semaphore").unwrap();
        app.open_lesson(semaphore, semaphore.default_knobs(), true);
        app.tick(Duration::from_secs(5));
        wait_for(&mut app, "the end", |a| a.lesson().unwrap().is_finished());
        press(&mut app, &[KeyCode::Left, KeyCode::Left]);
        let state = lesson(&app);
        assert!(state.is_rewound() && state.view_time() < state.playback.live());
        assert!(!state.rows().is_empty());
        press(&mut app, &[KeyCode::End]);
        assert!(lesson(&app).is_finished());
        // Home looks at time zero; space replays from there and rejoins the
        // end of the run.
        press(&mut app, &[KeyCode::Home]);
        assert_eq!(lesson(&app).view_time(), Duration::ZERO);
        press(&mut app, &[KeyCode::Char(' ')]);
        app.tick(Duration::from_millis(100));
        let at = lesson(&app).view_time();
        assert_eq!(at, Duration::from_millis(100), "replays at 1×");
        app.tick(Duration::from_millis(100));
        assert_eq!(lesson(&app).view_time(), Duration::from_millis(200));
        for _ in 0..40 {
            app.tick(Duration::from_millis(100));
        }
        assert!(lesson(&app).is_finished(), "rejoined the end");
        assert_eq!(lesson(&app).view_time(), Duration::from_millis(3_500));
    }

    /// Draws one frame as the event loop does, and hands its layout back.
    fn frame(app: &mut App) {
        let (w, h) = app.drawn.size;
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
        let mut drawn = None;
        terminal
            .draw(|f| drawn = Some(crate::ui::view::draw(f, app)))
            .unwrap();
        app.laid_out(drawn.unwrap());
    }

    /// The semaphore lesson at time zero, its 21 lanes there, on an 80×24
    /// screen: too small for every row to fit.
    fn semaphore_at_zero_80x24() -> App {
        let mut app = app();
        let semaphore = app.catalog.lesson("semaphore").unwrap();
        app.open_lesson(semaphore, semaphore.default_knobs(), false);
        wait_for(&mut app, "the lanes", |a| {
            a.lesson().unwrap().rows().len() == 21
        });
        app.drawn.size = (80, 24);
        app
    }

    #[test]
    fn a_click_on_a_lane_row_selects_the_lane_drawn_there() {
        let mut app = semaphore_at_zero_80x24();
        frame(&mut app);
        let (rect, lane) = app.drawn.lesson.lane_rows[4];
        assert_eq!(lesson(&app).trace().lane_name(lane), "request 4");
        app.update(Action::Click {
            column: rect.x + 3,
            row: rect.y,
        });
        assert_eq!(lesson(&app).selected, Some(lane));
        app.update(Action::ScrollDown {
            column: rect.x + 3,
            row: rect.y,
        });
        assert!(lesson(&app).lanes_scroll > 0);
    }

    #[test]
    fn the_knobs_popup_changes_a_knob_and_restarts() {
        let mut app = app();
        let semaphore = app.catalog.lesson("semaphore").unwrap();
        app.open_lesson(semaphore, semaphore.default_knobs(), false);
        press(&mut app, &[KeyCode::Char('o')]);
        assert_eq!(app.context(), Context::Knobs);
        press(
            &mut app,
            &[
                KeyCode::Down,
                KeyCode::Right,
                KeyCode::Right,
                KeyCode::Enter,
            ],
        );
        assert_eq!(app.context(), Context::Lesson);
        let knob = |app: &App, name: &str| {
            lesson(app)
                .knobs
                .values()
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(knob(&app, "permits"), Some(KnobValue::Int(5)));
        assert_eq!(lesson(&app).changed_knobs(), ["permits=5"]);
        // Esc closes the popup without changing anything.
        press(
            &mut app,
            &[KeyCode::Char('o'), KeyCode::Right, KeyCode::Esc],
        );
        assert_eq!(lesson(&app).knobs.values()[0].1, KnobValue::Int(20));
        // A value can be typed; a bad one is refused with a reason.
        press(
            &mut app,
            &[
                KeyCode::Char('o'),
                KeyCode::Char('4'),
                KeyCode::Char('2'),
                KeyCode::Enter,
            ],
        );
        assert_eq!(knob(&app, "requests"), Some(KnobValue::Int(42)));
        press(
            &mut app,
            &[KeyCode::Char('o'), KeyCode::Char('0'), KeyCode::Enter],
        );
        let editor = lesson(&app).knob_editor.as_ref().expect("still open");
        assert!(editor.error.as_deref().unwrap().contains("from 1 to 10000"));
        press(&mut app, &[KeyCode::Esc]);
        assert_eq!(knob(&app, "requests"), Some(KnobValue::Int(42)));
    }

    #[test]
    fn presenter_mode_toggles() {
        let mut app = app();
        let semaphore = app.catalog.lesson("semaphore").unwrap();
        app.open_lesson(semaphore, semaphore.default_knobs(), false);
        press(&mut app, &[KeyCode::Char('p')]);
        assert!(app.theme.presenter);
        frame(&mut app);
        assert!(app.drawn.lesson.text.is_none(), "no text pane");
        press(&mut app, &[KeyCode::Char('p')]);
        assert!(!app.theme.presenter);
    }

    #[test]
    fn an_answer_counts_only_before_the_run_and_restart_asks_again() {
        let mut app = app();
        let semaphore = app.catalog.lesson("semaphore").unwrap();
        app.open_lesson(semaphore, semaphore.default_knobs(), false);
        press(&mut app, &[KeyCode::Char(' '), KeyCode::Char('3')]);
        assert_eq!(lesson(&app).answer, None, "too late: the run started");
        assert!(
            lesson(&app)
                .notice
                .as_deref()
                .unwrap()
                .contains("before the run")
        );
        press(&mut app, &[KeyCode::Char('r')]);
        assert!(lesson(&app).at_start());
        press(&mut app, &[KeyCode::Char('1')]);
        assert_eq!(lesson(&app).answer, Some(1));
        press(&mut app, &[KeyCode::Char('r')]);
        assert_eq!(lesson(&app).answer, None, "a restart is a fresh attempt");
    }

    fn run_to_end(app: &mut App) {
        press(app, &[KeyCode::Char(' ')]);
        for _ in 0..100 {
            app.tick(Duration::from_secs(1));
        }
        wait_for(app, "the end", |a| a.lesson().unwrap().is_finished());
        app.tick(Duration::ZERO);
    }

    #[test]
    fn a_wrong_answer_is_recorded_wrong_and_a_practice_run_not_at_all() {
        let mut app = app();
        let semaphore = app.catalog.lesson("semaphore").unwrap();
        app.open_lesson(semaphore, semaphore.default_knobs(), false);
        press(&mut app, &[KeyCode::Char('1')]);
        run_to_end(&mut app);
        let verdict = lesson(&app).verdict().unwrap();
        assert_eq!(verdict.scored, Ok(false));
        assert_eq!(
            app.progress.marks("semaphore").predicted,
            Some(crate::ui::progress::Prediction::Wrong)
        );
        // With other knobs the run is judged but not scored: the mark stays.
        let knobs = semaphore.knobs_with(&["permits=4"]).unwrap();
        app.open_lesson(semaphore, knobs, false);
        press(&mut app, &[KeyCode::Char('2')]);
        run_to_end(&mut app);
        let verdict = lesson(&app).verdict().unwrap();
        assert_eq!(
            verdict.scored,
            Err(crate::predict::NotScored::NoChoiceFits),
            "5 waves of 0.5 s: 2.5 s is no choice"
        );
        assert_eq!(
            app.progress.marks("semaphore").predicted,
            Some(crate::ui::progress::Prediction::Wrong)
        );
    }

    #[test]
    fn n_opens_the_next_lesson() {
        let mut app = app();
        let first = app.catalog.lessons[0];
        let second = app.catalog.lessons[1];
        app.open_lesson(first, first.default_knobs(), false);
        press(&mut app, &[KeyCode::Char('n')]);
        assert_eq!(lesson(&app).lesson.id, second.id);
        let last = *app.catalog.lessons.last().unwrap();
        app.open_lesson(last, last.default_knobs(), false);
        press(&mut app, &[KeyCode::Char('n')]);
        assert_eq!(lesson(&app).lesson.id, last.id);
        assert_eq!(
            lesson(&app).notice.as_deref(),
            Some("this is the last lesson")
        );
    }

    #[test]
    fn the_code_scrolls_to_its_top_and_stops_at_its_end_while_lanes_are_parked() {
        let mut app = semaphore_at_zero_80x24();
        press(&mut app, &[KeyCode::Tab]); // the Rust code
        frame(&mut app);
        let (follow, last) = lesson(&app).text_rows;
        assert!(follow > 0, "the code follows the parked line");
        for _ in 0..20 {
            press(&mut app, &[KeyCode::Char('[')]);
            frame(&mut app);
        }
        assert_eq!(lesson(&app).text_rows.0, 0, "the top can be reached");
        for _ in 0..100 {
            press(&mut app, &[KeyCode::Char(']')]);
            frame(&mut app);
        }
        assert_eq!(
            lesson(&app).text_rows,
            (last, last),
            "no scrolling past the end"
        );
        press(&mut app, &[KeyCode::Char('[')]);
        frame(&mut app);
        assert_eq!(
            lesson(&app).text_rows.0,
            last - 3,
            "one press moves back at once"
        );
    }

    #[test]
    fn folding_a_selected_lane_away_selects_its_folded_parent() {
        let mut app = semaphore_at_zero_80x24();
        press(&mut app, &[KeyCode::Down, KeyCode::Down, KeyCode::Down]);
        let state = lesson(&app);
        assert_eq!(
            state.trace().lane_name(state.selected.unwrap()),
            "request 2"
        );
        let main = state.trace().lane_named("main").unwrap();
        // As auto-folding does when a parent grows many children.
        let Screen::Lesson(open) = &mut app.screen else {
            unreachable!()
        };
        open.state.folded.insert(main);
        open.state.keep_selection_visible();
        let state = lesson(&app);
        assert_eq!(state.rows().len(), 1);
        assert_eq!(state.selected, Some(main));
    }

    #[test]
    fn keys_do_nothing_behind_the_too_small_screen() {
        let mut app = app();
        let semaphore = app.catalog.lesson("semaphore").unwrap();
        app.open_lesson(semaphore, semaphore.default_knobs(), false);
        app.drawn.size = (40, 10);
        frame(&mut app);
        assert!(app.drawn.too_small);
        press(
            &mut app,
            &[KeyCode::Char(' '), KeyCode::Char('2'), KeyCode::Char('o')],
        );
        assert!(lesson(&app).at_start());
        assert_eq!(lesson(&app).answer, None);
        assert!(lesson(&app).knob_editor.is_none(), "o opened nothing");
        assert_eq!(app.context(), Context::TooSmall);
        press(&mut app, &[KeyCode::Esc]);
        assert!(!app.quit, "Esc does not quit from behind it");
        press(&mut app, &[KeyCode::Char('q')]);
        assert!(app.quit);
    }
}
