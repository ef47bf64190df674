//! The terminal's lifetime and the event loop. The terminal is restored on
//! every way out: a normal quit, an error, a panic (ratatui's hook, plus
//! mouse capture off), Ctrl-C (a key in raw mode), and SIGTERM, SIGHUP and
//! SIGINT (a signal thread asks the loop to stop, and ends the process
//! itself if the loop cannot: when the terminal is closed, crossterm's
//! `event::poll` can spin on the dead terminal and never return).

use std::io::{self, stdout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use crossterm::execute;
use ratatui::DefaultTerminal;

use super::app::App;
use super::keymap::{action_for, action_for_mouse};
use super::view;

/// About 30 frames a second; a frame never grants more than this much
/// real time, so a stall (a suspended terminal) does not jump the lesson.
const FRAME: Duration = Duration::from_millis(33);
const MAX_FRAME: Duration = Duration::from_millis(100);

/// How long the event loop has to stop by itself after a signal.
const SIGNAL_GRACE: Duration = Duration::from_millis(200);

pub fn run(app: App) -> Result<(), String> {
    let stop = Arc::new(AtomicBool::new(false));
    watch_signals(Arc::clone(&stop))?;
    let mut terminal = ratatui::try_init().map_err(|e| format!("cannot use this terminal: {e}"))?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(stdout(), DisableMouseCapture);
        previous(info);
    }));
    let _ = execute!(stdout(), EnableMouseCapture);
    let result = event_loop(&mut terminal, app, &stop).map_err(|e| format!("terminal: {e}"));
    let _ = execute!(stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

/// SIGTERM, SIGHUP (the terminal was closed) and SIGINT: stop the loop; if
/// it has not stopped within the grace period, restore and exit from here.
fn watch_signals(stop: Arc<AtomicBool>) -> Result<(), String> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT])
        .map_err(|e| format!("signals: {e}"))?;
    std::thread::Builder::new()
        .name("lanes-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                stop.store(true, Ordering::Relaxed);
                std::thread::sleep(SIGNAL_GRACE);
                let _ = execute!(stdout(), DisableMouseCapture);
                ratatui::restore();
                std::process::exit(128 + signal);
            }
        })
        .map_err(|e| format!("signals: {e}"))?;
    Ok(())
}

fn event_loop(terminal: &mut DefaultTerminal, mut app: App, stop: &AtomicBool) -> io::Result<()> {
    let mut last = Instant::now();
    while !app.quit && !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        app.tick((now - last).min(MAX_FRAME));
        last = now;
        terminal.draw(|frame| {
            let area = frame.area();
            app.size = (area.width, area.height);
            view::draw(frame, &app);
        })?;
        let deadline = now + FRAME;
        while let Some(wait) = deadline.checked_duration_since(Instant::now()) {
            if !event::poll(wait)? {
                break;
            }
            let action = match event::read()? {
                Event::Key(key) => action_for(app.context(), key),
                Event::Mouse(mouse) => action_for_mouse(mouse),
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
