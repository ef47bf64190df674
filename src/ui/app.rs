//! The whole interface's state, and `update`, the one place actions change it.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use crate::catalog::{Catalog, Lesson};
use crate::engine::Knobs;

use super::action::Action;
use super::keymap::Context;
use super::lesson::LessonState;
use super::picker::PickerState;
use super::progress::Progress;
use super::theme::Theme;
use super::view::code::Highlighted;
use super::view::lanes::LanesView;
use super::view::lesson::{LessonLayout, LessonView};

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
    /// Progress already written for this run.
    recorded_finish: bool,
}

pub struct App {
    pub catalog: &'static Catalog,
    pub screen: Screen,
    pub picker: PickerState,
    pub progress: Progress,
    pub progress_path: Option<PathBuf>,
    pub theme: Theme,
    pub help: bool,
    pub help_scroll: u16,
    pub quit: bool,
    /// A message for the picker's status line (e.g. a progress-file problem).
    pub notice: Option<String>,
    /// The screen size as last drawn, for mouse hit-testing.
    pub size: (u16, u16),
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
            picker: PickerState::new(catalog),
            progress,
            progress_path,
            theme,
            help: false,
            help_scroll: 0,
            quit: false,
            notice,
            size: (80, 24),
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
        let mut state = LessonState::new(lesson, knobs, playing);
        state.presenter = self.theme.presenter;
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
            recorded_finish: false,
        }));
        self.picker.select(&lesson.id);
        if self.progress.mark_opened(&lesson.id) {
            self.save_progress();
        }
    }

    /// One frame: the lesson plays on; progress is noted when it finishes.
    pub fn tick(&mut self, real: Duration) {
        let Screen::Lesson(open) = &mut self.screen else {
            return;
        };
        if let Some(Ok((code, twin))) = open.highlighting.as_ref().map(Receiver::try_recv) {
            open.code = code;
            open.twin = twin;
            open.highlighting = None;
        }
        open.state.tick(real);
        if open.state.playback.is_finished() && !open.recorded_finish {
            open.recorded_finish = true;
            let id = open.state.lesson.id.clone();
            let right = open.state.answered_right();
            let mut changed = self.progress.mark_finished(&id);
            if let Some(right) = right {
                changed |= self.progress.mark_predicted(&id, right);
            }
            if changed {
                self.save_progress();
            }
        }
    }

    fn save_progress(&mut self) {
        if let Err(e) = self.progress.save() {
            self.notice = Some(format!("progress not saved: {e}"));
        }
    }

    pub fn update(&mut self, action: Action) {
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
                Screen::Lesson(open) => {
                    if action == Action::Back && open.state.knob_editor.is_none() {
                        self.screen = Screen::Picker;
                    } else {
                        if action == Action::TogglePresenter {
                            self.theme.presenter = !open.state.presenter;
                        }
                        // Paging moves by what the screen shows.
                        let (w, h) = self.size;
                        let view = LessonView {
                            state: &open.state,
                            code: &open.code,
                            twin: &open.twin,
                            theme: &self.theme,
                        };
                        let shown = view.lane_rows_shown(ratatui::layout::Rect::new(0, 0, w, h));
                        open.state.lanes_page = shown.max(1);
                        open.state.apply(action);
                    }
                }
            },
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
        let (w, h) = self.size;
        ratatui::layout::Rect::new(0, 0, w, h.saturating_sub(1))
    }

    fn lesson_layout(&self, presenter: bool) -> LessonLayout {
        let (w, h) = self.size;
        LessonLayout::compute(ratatui::layout::Rect::new(0, 0, w, h), presenter)
    }

    /// A click on a lane row selects that lane.
    fn click(&mut self, column: u16, row: u16) {
        let layout = match &self.screen {
            Screen::Lesson(open) => self.lesson_layout(open.state.presenter),
            Screen::Picker => {
                let view = super::view::picker::PickerView {
                    state: &self.picker,
                    catalog: self.catalog,
                    progress: &self.progress,
                    theme: &self.theme,
                };
                if let Some(lesson) = view.lesson_at(self.picker_area(), column, row) {
                    let id = lesson.id.clone();
                    self.picker.select(&id);
                }
                return;
            }
        };
        let Screen::Lesson(open) = &mut self.screen else {
            return;
        };
        let inner = layout.lanes_inner();
        let point = ratatui::layout::Position::new(column, row);
        if !inner.contains(point) || row < inner.y + 2 {
            return;
        }
        let rows = open.state.rows();
        let row_height = if open.state.presenter && rows.len() * 2 + 2 <= inner.height as usize {
            2
        } else {
            1
        };
        let index = open.state.lanes_scroll + ((row - inner.y - 2) / row_height) as usize;
        if index < rows.len()
            && index < open.state.lanes_scroll + LanesView::rows_fitting(inner.height, row_height)
        {
            open.state.selected = Some(rows[index].lane);
        }
    }

    fn scroll(&mut self, column: u16, row: u16, delta: isize) {
        let layout = match &self.screen {
            Screen::Lesson(open) => self.lesson_layout(open.state.presenter),
            Screen::Picker => {
                let action = if delta < 0 { Action::Up } else { Action::Down };
                for _ in 0..delta.unsigned_abs() {
                    self.picker.apply(action, self.catalog);
                }
                return;
            }
        };
        let Screen::Lesson(open) = &mut self.screen else {
            return;
        };
        let point = ratatui::layout::Position::new(column, row);
        if layout.text.is_some_and(|t| t.contains(point)) {
            open.state.apply(if delta < 0 {
                Action::TextUp
            } else {
                Action::TextDown
            });
        } else {
            open.state.scroll_lanes(delta);
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
        app.size = (120, 36);
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
        wait_for(&mut app, "the end", |a| {
            a.lesson().unwrap().playback.is_finished()
        });
        press(&mut app, &[KeyCode::Left, KeyCode::Left]);
        let state = lesson(&app);
        assert!(state.scrub.is_some() && state.view_time() < state.playback.clock());
        assert!(!state.rows().is_empty());
        press(&mut app, &[KeyCode::End]);
        assert_eq!(lesson(&app).scrub, None);
    }

    #[test]
    fn a_click_on_a_lane_row_selects_it() {
        let mut app = app();
        let semaphore = app.catalog.lesson("semaphore").unwrap();
        app.open_lesson(semaphore, semaphore.default_knobs(), false);
        wait_for(&mut app, "the lanes", |a| {
            a.lesson().unwrap().rows().len() == 21
        });
        let inner = app.lesson_layout(false).lanes_inner();
        // Rows start two lines under the top of the lanes area (the axis).
        app.update(Action::Click {
            column: inner.x + 3,
            row: inner.y + 2 + 4,
        });
        let state = lesson(&app);
        assert_eq!(
            state.trace().lane_name(state.selected.unwrap()),
            "request 4"
        );
        app.update(Action::ScrollDown {
            column: inner.x + 3,
            row: inner.y + 5,
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
        let permits = lesson(&app)
            .knobs
            .values()
            .iter()
            .find(|(n, _)| n == "permits")
            .cloned();
        assert_eq!(permits, Some(("permits".to_string(), KnobValue::Int(5))));
        // Esc closes the popup without changing anything.
        press(
            &mut app,
            &[KeyCode::Char('o'), KeyCode::Right, KeyCode::Esc],
        );
        assert_eq!(lesson(&app).knobs.values()[0].1, KnobValue::Int(20));
    }

    #[test]
    fn presenter_mode_toggles() {
        let mut app = app();
        let semaphore = app.catalog.lesson("semaphore").unwrap();
        app.open_lesson(semaphore, semaphore.default_knobs(), false);
        press(&mut app, &[KeyCode::Char('p')]);
        assert!(lesson(&app).presenter && app.theme.presenter);
        assert!(app.lesson_layout(true).text.is_none());
        press(&mut app, &[KeyCode::Char('p')]);
        assert!(!lesson(&app).presenter);
    }
}
