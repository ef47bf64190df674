//! The terminal's lifetime and the event loop. The terminal is restored on
//! every way out: a normal quit, an error, a panic (ratatui's hook, plus
//! mouse capture off), Ctrl-C (a key in raw mode), and SIGTERM, SIGHUP and
//! SIGINT (a signal thread asks the loop to stop, and ends the process
//! itself if the loop cannot: when the terminal is closed, crossterm's
//! `event::poll` can spin on the dead terminal and never return).

use std::io::{self, stdout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, enable_raw_mode};
use ratatui::DefaultTerminal;
use ratatui::backend::CrosstermBackend;

use super::app::{App, Screen};
use super::keymap::{action_for, action_for_mouse};
use super::view;
use crate::engine::Mode;

/// About 30 frames a second while something moves; a frame never grants
/// more than `MAX_FRAME` of real time, so a stall (a suspended terminal)
/// does not jump the lesson.
const FRAME: Duration = Duration::from_millis(33);
const MAX_FRAME: Duration = Duration::from_millis(100);
/// How often a still screen looks for news (a lesson's first events, a
/// finished highlight) when no key comes: rare enough to cost nothing.
const IDLE: Duration = Duration::from_millis(50);

/// How long the event loop has to stop by itself after a signal.
const SIGNAL_GRACE: Duration = Duration::from_millis(200);

/// Whether this process has the terminal in raw mode on the alternate
/// screen, so that a panic knows whether there is anything to restore.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Installs the interface's panic hook: a panic restores the terminal (if
/// the interface holds it) before it is reported. `main` calls this first,
/// then the engine's hook that keeps lesson panics quiet: that one runs
/// first and stops there for a lesson's panic, so a lane that panics never
/// restores the terminal under the running interface.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// Gives the terminal back: mouse capture off, raw mode off, main screen.
/// A terminal that is gone (closed, hung up) is not an error.
fn restore() {
    if ACTIVE.swap(false, Ordering::AcqRel) {
        let _ = execute!(stdout(), DisableMouseCapture);
        let _ = ratatui::try_restore();
    }
}

/// Runs the interface until the learner quits or a signal ends it.
/// Returns the exit code: 0, or 128 + the signal's number when one ended
/// it, as a shell expects of a program killed by a signal.
pub fn run(app: App) -> Result<i32, String> {
    let stop = Arc::new(AtomicBool::new(false));
    watch_signals(Arc::clone(&stop))?;
    let mut terminal = init().map_err(|e| {
        restore();
        format!("cannot use this terminal: {e}")
    })?;
    let result = event_loop(&mut terminal, app, &stop).map_err(|e| format!("terminal: {e}"));
    restore();
    result?;
    Ok(match SIGNALLED.load(Ordering::Acquire) {
        0 => 0,
        signal => 128 + signal,
    })
}

/// The signal that ended the interface, or 0.
static SIGNALLED: AtomicI32 = AtomicI32::new(0);

fn init() -> io::Result<DefaultTerminal> {
    ACTIVE.store(true, Ordering::Release);
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    ratatui::Terminal::new(CrosstermBackend::new(stdout()))
}

/// Every signal whose default would end lanes with the terminal still raw:
/// SIGTERM, SIGINT, SIGHUP (the terminal was closed), SIGQUIT, SIGUSR1 and
/// SIGUSR2. Each stops the loop; if it has not stopped within the grace
/// period, the terminal is restored and the process exits from here. Either
/// way the exit code is 128 + the signal's number.
fn watch_signals(stop: Arc<AtomicBool>) -> Result<(), String> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2])
            .map_err(|e| format!("signals: {e}"))?;
    std::thread::Builder::new()
        .name("lanes-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                SIGNALLED.store(signal, Ordering::Release);
                stop.store(true, Ordering::Relaxed);
                std::thread::sleep(SIGNAL_GRACE);
                restore();
                std::process::exit(128 + signal);
            }
        })
        .map_err(|e| format!("signals: {e}"))?;
    Ok(())
}

/// Whether the screen changes by itself: a lesson playing, replaying or
/// stepping. A still screen is drawn once and then left alone.
fn moving(app: &App) -> bool {
    match &app.screen {
        Screen::Lesson(open) => matches!(
            open.state.mode(),
            Mode::Playing
                | Mode::Stepping
                | Mode::Rewound {
                    replaying: true,
                    ..
                }
        ),
        Screen::Picker => false,
    }
}

fn event_loop(terminal: &mut DefaultTerminal, mut app: App, stop: &AtomicBool) -> io::Result<()> {
    let mut last = Instant::now();
    while !app.quit && !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        app.tick((now - last).min(MAX_FRAME));
        last = now;
        if app.redraw {
            app.redraw = false;
            let mut drawn = None;
            terminal.draw(|frame| drawn = Some(view::draw(frame, &app)))?;
            if let Some(drawn) = drawn {
                app.laid_out(drawn);
            }
        }
        let deadline = now + if moving(&app) { FRAME } else { IDLE };
        while let Some(wait) = deadline.checked_duration_since(Instant::now()) {
            if !event::poll(wait)? {
                break;
            }
            let action = match event::read()? {
                Event::Key(key) => action_for(app.context(), key),
                Event::Mouse(mouse) => action_for_mouse(mouse),
                Event::Resize(..) => {
                    app.redraw = true;
                    break;
                }
                _ => None,
            };
            if let Some(action) = action {
                app.update(action);
                break; // draw the change at once
            }
        }
    }
    Ok(())
}
