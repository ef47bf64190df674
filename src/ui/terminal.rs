//! The terminal's lifetime and the event loop. The terminal is restored on
//! every way out: a normal quit, an error, a panic (ratatui's hook, plus
//! mouse capture off), Ctrl-C (a key in raw mode) and SIGTERM/SIGHUP (a
//! flag the loop checks every frame).

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

pub fn run(app: App) -> Result<(), String> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .map_err(|e| format!("signals: {e}"))?;
    }
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
