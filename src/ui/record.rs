//! `lanes record`: a walkthrough of a lesson as an asciicast v3 file,
//! drawn frame by frame in virtual time by the interface's own code into a
//! terminal of a chosen size, without a terminal and without waiting. Each
//! frame waits for the run to settle (`Playback::settle`), so a recording
//! depends on the lesson alone: the same command gives the same bytes.
//!
//! A script says what happens, one step a line:
//!
//! ```text
//! # a comment
//! marker "the question"   # a chapter mark players can jump to
//! wait 2.5s               # let time pass (the lesson plays if playing)
//! 1                       # a key, as the help names it: space, enter,
//! space                   #   tab, esc, left, right, up, down, pgup,
//! wait end                #   pgdn, home, end, or one character
//! speed 2                 # playback speed, 0.1 to 10
//! tab code                # show a pane: story, code, twin or log
//! select "request 4"      # select a lane by its name
//! ```

use std::io::{self, Write};
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

use super::app::{App, Screen};
use super::keymap::action_for;
use super::lesson::{LessonState, Pane};
use super::theme::Theme;
use crate::catalog::{Catalog, Lesson};
use crate::engine::{Knobs, MAX_SPEED, MIN_SPEED, Mode};

/// Frames a second of the recording.
const FPS: u32 = 30;
/// A walkthrough longer than this is cut (a lesson that never ends).
const MAX_LENGTH: Duration = Duration::from_secs(15 * 60);
/// How long a frame may wait for the run to settle before it is drawn as
/// it is (a lesson that hangs its thread).
const SETTLE_LIMIT: Duration = Duration::from_secs(10);

/// One step of a script.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Key(KeyEvent),
    Wait(Duration),
    /// Wait until the run has ended.
    WaitEnd,
    Marker(String),
    Speed(f64),
    Pane(Pane),
    Select(String),
}

/// A script's steps, each with its line (from 1) for messages.
#[derive(Clone, Debug, PartialEq)]
pub struct Script(pub Vec<(usize, Step)>);

/// What is wrong with a script, and where.
#[derive(Debug, PartialEq, Eq)]
pub struct ScriptError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl Script {
    /// Without a script: the question, the run at 1× to its end, and a
    /// pause on the final screen.
    pub fn walkthrough() -> Script {
        let steps = [
            Step::Marker("the question".into()),
            Step::Wait(Duration::from_secs(4)),
            Step::Key(key(KeyCode::Char(' '))),
            Step::Marker("the run".into()),
            Step::WaitEnd,
            Step::Marker("the end".into()),
            Step::Wait(Duration::from_secs(4)),
        ];
        Script(steps.into_iter().map(|s| (0, s)).collect())
    }

    pub fn parse(text: &str) -> Result<Script, ScriptError> {
        let mut steps = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let number = i + 1;
            let line = strip_comment(line).trim();
            if line.is_empty() {
                continue;
            }
            let step = parse_step(line).map_err(|message| ScriptError {
                line: number,
                message,
            })?;
            steps.push((number, step));
        }
        Ok(Script(steps))
    }
}

/// Drops a `#` comment, unless the `#` is inside quotes (or is the key).
fn strip_comment(line: &str) -> &str {
    if line.trim() == "#" {
        return line;
    }
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted && i > 0 => return &line[..i],
            '#' if !quoted => return "",
            _ => {}
        }
    }
    line
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn parse_step(line: &str) -> Result<Step, String> {
    let (word, rest) = match line.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim()),
        None => (line, ""),
    };
    match (word, rest) {
        ("wait", "end") => Ok(Step::WaitEnd),
        ("wait", time) => parse_seconds(time).map(Step::Wait),
        ("marker", text) => quoted(text).map(Step::Marker),
        ("select", name) => quoted(name).map(Step::Select),
        ("speed", x) => match x.trim_end_matches('x').parse::<f64>() {
            Ok(x) if (MIN_SPEED..=MAX_SPEED).contains(&x) => Ok(Step::Speed(x)),
            _ => Err(format!(
                "speed '{x}' is not a speed from {MIN_SPEED} to {MAX_SPEED}"
            )),
        },
        ("tab", "") => Ok(Step::Key(key(KeyCode::Tab))),
        ("tab", pane) => match pane {
            "story" => Ok(Step::Pane(Pane::Story)),
            "code" | "rust" => Ok(Step::Pane(Pane::Code)),
            "twin" | "asyncio" => Ok(Step::Pane(Pane::Twin)),
            "log" => Ok(Step::Pane(Pane::Log)),
            other => Err(format!("no pane '{other}'; panes: story, code, twin, log")),
        },
        (name, "") => key_named(name).map(Step::Key),
        _ => Err(format!(
            "'{line}' is not a step; steps: a key (space, enter, tab, esc, left, right, up, \
             down, pgup, pgdn, home, end, or one character), wait 1.5s, wait end, \
             marker \"text\", speed 2, tab code, select \"lane\""
        )),
    }
}

fn key_named(name: &str) -> Result<KeyEvent, String> {
    let code = match name {
        "space" => KeyCode::Char(' '),
        "enter" => KeyCode::Enter,
        "tab" => KeyCode::Tab,
        "esc" => KeyCode::Esc,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "pgup" => KeyCode::PageUp,
        "pgdn" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        _ => {
            let mut chars = name.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_control() => KeyCode::Char(c),
                _ => {
                    return Err(format!(
                        "no key '{name}'; keys: space, enter, tab, esc, left, right, up, \
                         down, pgup, pgdn, home, end, or one character"
                    ));
                }
            }
        }
    };
    Ok(key(code))
}

/// `1.5s`, `500ms`, `2`: a time to wait, in seconds unless it says ms.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let bad = || format!("'{text}' is not a time to wait, such as 1.5s or 500ms");
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else {
        (text.strip_suffix('s').unwrap_or(text), 1.0)
    };
    let value: f64 = number.trim().parse().map_err(|_| bad())?;
    let seconds = value * scale;
    if !seconds.is_finite() || seconds < 0.0 || seconds > MAX_LENGTH.as_secs_f64() {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn quoted(text: &str) -> Result<String, String> {
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) if !inner.contains('"') => Ok(inner.to_string()),
        _ => Err(format!(
            "'{text}' should be in double quotes: \"like this\""
        )),
    }
}

/// The size and speed of a recording.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub cols: u16,
    pub rows: u16,
    pub speed: f64,
}

/// Records `lesson` with `knobs` as `script` says, as asciicast v3.
pub fn record(
    catalog: &'static Catalog,
    lesson: &'static Lesson,
    knobs: Knobs,
    script: &Script,
    options: Options,
    theme: Theme,
    out: &mut dyn Write,
) -> Result<(), String> {
    let mut cast = Cast::new(out, &options, &lesson.id).map_err(|e| e.to_string())?;
    let mut app = App::new(catalog, theme, None);
    app.notice = None;
    app.open_lesson(lesson, knobs, false);
    app.wait_for_highlighting();
    state(&mut app).playback.set_speed(options.speed);
    let screen = Written::default();
    let backend = CrosstermBackend::new(screen.clone());
    let viewport = Viewport::Fixed(Rect::new(0, 0, options.cols, options.rows));
    let terminal =
        Terminal::with_options(backend, TerminalOptions { viewport }).map_err(|e| e.to_string())?;
    let io = |e: io::Error| e.to_string();
    // A clean screen, no cursor; then the first frame.
    crossterm::queue!(
        screen.clone(),
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All),
        crossterm::cursor::Hide
    )
    .map_err(io)?;
    let frame = Duration::from_secs(1) / FPS;
    let mut recorder = Frames {
        app,
        terminal,
        screen,
        cast: &mut cast,
        frame,
    };
    recorder.show().map_err(io)?;
    for (line, step) in &script.0 {
        let at = |message: String| match line {
            0 => message,
            n => format!("script line {n}: {message}"),
        };
        match step {
            Step::Key(key) => {
                let context = recorder.app.context();
                if let Some(action) = action_for(context, *key) {
                    recorder.app.update(action);
                }
                recorder.show().map_err(io)?;
            }
            Step::Wait(time) => {
                let frames = (time.as_secs_f64() * f64::from(FPS)).round() as u64;
                for _ in 0..frames {
                    recorder.advance().map_err(io)?;
                }
            }
            Step::WaitEnd => {
                while state(&mut recorder.app).playback.trace().end().is_none() {
                    if recorder.cast.length >= MAX_LENGTH {
                        return Err(at(format!(
                            "the run had not ended after {} minutes of recording",
                            MAX_LENGTH.as_secs() / 60
                        )));
                    }
                    if state(&mut recorder.app).mode() == Mode::AtStart {
                        return Err(at("`wait end` before the run was started (space)".into()));
                    }
                    recorder.advance().map_err(io)?;
                }
                recorder.advance().map_err(io)?;
            }
            Step::Marker(text) => recorder.cast.marker(text).map_err(io)?,
            Step::Speed(x) => {
                state(&mut recorder.app).playback.set_speed(*x);
                recorder.show().map_err(io)?;
            }
            Step::Pane(pane) => {
                let state = state(&mut recorder.app);
                state.pane = *pane;
                state.text_scroll = None;
                recorder.show().map_err(io)?;
            }
            Step::Select(name) => {
                let state = state(&mut recorder.app);
                let Some(lane) = state.trace().lane_named(name) else {
                    return Err(at(format!("no lane '{name}' at this point of the run")));
                };
                state.select_lane(lane);
                recorder.show().map_err(io)?;
            }
        }
        if recorder.app.quit {
            break;
        }
    }
    recorder.cast.finish().map_err(io)
}

fn state(app: &mut App) -> &mut LessonState {
    match &mut app.screen {
        Screen::Lesson(open) => &mut open.state,
        Screen::Picker => unreachable!("a recording stays in its lesson"),
    }
}

/// The app, the terminal it draws into, and the file.
struct Frames<'c, 'w> {
    app: App,
    terminal: Terminal<CrosstermBackend<Written>>,
    /// What the terminal has written since the last frame.
    screen: Written,
    cast: &'c mut Cast<'w>,
    frame: Duration,
}

impl Frames<'_, '_> {
    /// One frame of time passes: the lesson plays (if playing), settles,
    /// and what changed on screen is written.
    fn advance(&mut self) -> io::Result<()> {
        self.app.tick(self.frame);
        self.cast.length += self.frame;
        self.cast.pending += self.frame;
        self.show()
    }

    /// Draws the screen as it is now, once the run has settled.
    fn show(&mut self) -> io::Result<()> {
        state(&mut self.app).playback.settle(SETTLE_LIMIT);
        // What the run sent is folded into the view's own state (folding,
        // the log pane) by a tick that lets no time pass.
        self.app.tick(Duration::ZERO);
        state(&mut self.app).playback.settle(SETTLE_LIMIT);
        let mut drawn = None;
        let app = &self.app;
        self.terminal
            .draw(|frame| drawn = Some(super::view::draw(frame, app)))?;
        if let Some(drawn) = drawn {
            self.app.laid_out(drawn);
        }
        let bytes = self.screen.take();
        self.cast.output(&bytes)
    }
}

/// Whether `bytes` print anything, beyond control sequences (`ESC [ …`).
fn draws_something(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x1b && bytes.get(i + 1) == Some(&b'[') {
            i += 2;
            // Parameters and intermediates, then one final byte.
            while i < bytes.len() && !(0x40..=0x7e).contains(&bytes[i]) {
                i += 1;
            }
            i += 1;
        } else {
            return true;
        }
    }
    false
}

/// The bytes a terminal backend writes, shared with the recorder, which
/// takes them after each frame.
#[derive(Clone, Default)]
struct Written(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl Written {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.borrow_mut())
    }
}

impl Write for Written {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The asciicast v3 file: a header line, then `[interval, code, data]`
/// events, each interval in seconds since the event before.
struct Cast<'w> {
    out: &'w mut dyn Write,
    /// Recording time since the last event.
    pending: Duration,
    /// Recording time so far.
    length: Duration,
}

impl<'w> Cast<'w> {
    fn new(out: &'w mut dyn Write, options: &Options, lesson: &str) -> io::Result<Self> {
        let header = serde_json::json!({
            "version": 3,
            "term": {"cols": options.cols, "rows": options.rows, "type": "xterm-256color"},
            "title": format!("lanes: {lesson}"),
        });
        writeln!(out, "{header}")?;
        Ok(Cast {
            out,
            pending: Duration::ZERO,
            length: Duration::ZERO,
        })
    }

    fn event(&mut self, code: &str, data: &str) -> io::Result<()> {
        // Milliseconds are as fine as players go; three decimals, always,
        // so that the same recording is the same bytes.
        let interval = format!("{:.3}", self.pending.as_secs_f64());
        let data = serde_json::to_string(data).map_err(io::Error::from)?;
        writeln!(self.out, "[{interval}, \"{code}\", {data}]")?;
        self.pending = Duration::ZERO;
        Ok(())
    }

    /// What a frame wrote, unless it drew nothing: the backend ends every
    /// frame by resetting colours and hiding the cursor, which a still
    /// screen need not repeat thirty times a second.
    fn output(&mut self, bytes: &[u8]) -> io::Result<()> {
        if !draws_something(bytes) {
            return Ok(());
        }
        self.event("o", &String::from_utf8_lossy(bytes))
    }

    fn marker(&mut self, text: &str) -> io::Result<()> {
        self.event("m", text)
    }

    /// The time since the last change, then the end.
    fn finish(&mut self) -> io::Result<()> {
        self.event("x", "0")
    }
}
