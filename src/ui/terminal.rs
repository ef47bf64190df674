//! The terminal's lifetime and the event loop. The terminal is restored on
//! every way out: a normal quit, an error, a panic (see
//! `install_panic_hook`), and every signal that would end the process (a
//! signal thread asks the loop to stop, and ends the process itself if the
//! loop cannot).
//!
//! Input is read on a thread of its own, so that nothing a terminal sends
//! can hold up drawing: a stray byte or an unfinished escape sequence
//! leaves crossterm's reader waiting for more, not the frame loop. Ctrl-C
//! is the terminal's own interrupt (raw mode, with `ISIG` back on), so it
//! quits whatever state the key parser is in.

use std::io::{self, stdout};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use crossterm::terminal::{EnterAlternateScreen, enable_raw_mode};
use crossterm::{cursor, execute};
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

/// How often a still screen checks that its terminal is still there.
const LIVENESS: Duration = Duration::from_millis(250);

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

/// Gives the terminal back: mouse capture off, cursor shown, raw mode off,
/// main screen. A terminal that is gone (closed, hung up) is not an error.
///
/// Whoever comes second waits for the first to finish: a signal's grace
/// period can run out while the main thread is restoring under load, and
/// its `exit` must not cut that short (it left the cursor hidden).
fn restore() {
    static RESTORING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = RESTORING.lock().unwrap_or_else(|e| e.into_inner());
    if ACTIVE.swap(false, Ordering::AcqRel) {
        let _ = execute!(stdout(), DisableMouseCapture, cursor::Show);
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
    let result = match event_loop(&mut terminal, app, &stop) {
        // The terminal went away under a frame (closed with no hang-up
        // signal, or one that was blocked): a hang-up, not an error.
        Err(e) if terminal_gone(&e) => {
            EXIT_CODE.store(128 + signal_hook::consts::SIGHUP, Ordering::Release);
            Ok(())
        }
        other => other.map_err(|e| format!("terminal: {e}")),
    };
    restore();
    if terminal.show_cursor().is_err() {
        // The terminal is gone (closed, hung up): ratatui's drop would say
        // so on stderr, and there is no one to tell.
        std::mem::forget(terminal);
    }
    result?;
    Ok(EXIT_CODE.load(Ordering::Acquire))
}

/// Whether an error writing to or reading from the terminal means it is no
/// longer there (EIO from a hung-up terminal, a broken pipe).
fn terminal_gone(e: &io::Error) -> bool {
    const EIO: i32 = 5;
    e.raw_os_error() == Some(EIO) || e.kind() == io::ErrorKind::BrokenPipe
}

/// The exit code a signal asked for (0 until one comes, and for Ctrl-C).
static EXIT_CODE: AtomicI32 = AtomicI32::new(0);

fn init() -> io::Result<DefaultTerminal> {
    ACTIVE.store(true, Ordering::Release);
    enable_raw_mode()?;
    interrupt_on_ctrl_c()?;
    execute!(stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    ratatui::Terminal::new(CrosstermBackend::new(stdout()))
}

/// Raw mode turns the terminal's signals off, so Ctrl-C reaches lanes only
/// as a key, which a half-read escape sequence can swallow. With `ISIG`
/// back on, the terminal itself turns Ctrl-C into SIGINT (and Ctrl-\ into
/// SIGQUIT) whatever the input holds. Ctrl-Z stays off: a suspended
/// interface would leave the shell in raw mode.
fn interrupt_on_ctrl_c() -> io::Result<()> {
    use rustix::termios::{LocalModes, OptionalActions, SpecialCodeIndex, tcgetattr, tcsetattr};
    let stdin = io::stdin();
    let mut termios = tcgetattr(&stdin)?;
    termios.local_modes |= LocalModes::ISIG;
    termios.special_codes[SpecialCodeIndex::VSUSP] = 0;
    tcsetattr(&stdin, OptionalActions::Now, &termios)?;
    Ok(())
}

/// Every signal whose default would end lanes with the terminal still raw:
/// SIGTERM, SIGINT, SIGHUP (the terminal was closed), SIGQUIT, SIGUSR1 and
/// SIGUSR2. Each stops the loop; if it has not stopped within the grace
/// period, the terminal is restored and the process exits from here. Either
/// way the exit code is 128 + the signal's number, except for Ctrl-C: a
/// SIGINT that the terminal sent, not another process, is the learner
/// quitting, exit code 0.
fn watch_signals(stop: Arc<AtomicBool>) -> Result<(), String> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
    use signal_hook::iterator::SignalsInfo;
    use signal_hook::iterator::exfiltrator::WithOrigin;
    let mut signals =
        SignalsInfo::<WithOrigin>::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2])
            .map_err(|e| format!("signals: {e}"))?;
    std::thread::Builder::new()
        .name("lanes-signals".into())
        .spawn(move || {
            if let Some(origin) = signals.forever().next() {
                let ctrl_c = origin.signal == SIGINT && origin.process.is_none();
                let code = if ctrl_c { 0 } else { 128 + origin.signal };
                EXIT_CODE.store(code, Ordering::Release);
                stop.store(true, Ordering::Relaxed);
                std::thread::sleep(SIGNAL_GRACE);
                restore();
                std::process::exit(code);
            }
        })
        .map_err(|e| format!("signals: {e}"))?;
    Ok(())
}

/// Reads the terminal's events on their own thread and hands them over.
/// The thread ends when the receiver is gone or the input fails.
fn read_input() -> Receiver<io::Result<Event>> {
    let (events, received) = mpsc::channel();
    let _ = std::thread::Builder::new()
        .name("lanes-input".into())
        .spawn(move || {
            loop {
                let event = event::read();
                let failed = event.is_err();
                if events.send(event).is_err() || failed {
                    return;
                }
            }
        });
    received
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
    // Crossterm starts listening for resizes (SIGWINCH) the first time
    // events are asked for: before the first frame, not whenever the
    // reader thread gets to run, or a resize right after it is lost.
    let _ = event::poll(Duration::ZERO);
    let input = read_input();
    let mut last = Instant::now();
    let mut looked = last;
    let mut size = terminal.size()?;
    while !app.quit && !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        // A still screen writes nothing, so a terminal closed without a
        // hang-up signal would go unnoticed (and crossterm's reader spins
        // on it): now and then, write nothing to it. A hung-up terminal
        // refuses even that (EIO); a live one takes it, and shows nothing.
        // And a resize whose event never came is seen here all the same.
        if now - looked >= LIVENESS {
            looked = now;
            rustix::io::write(stdout(), &[])?;
            let now_size = terminal.size()?;
            if now_size != size {
                size = now_size;
                app.redraw = true;
            }
        }
        app.tick((now - last).min(MAX_FRAME));
        last = now;
        if app.redraw {
            app.redraw = false;
            let mut drawn = None;
            terminal.draw(|frame| {
                size = frame.area().as_size();
                drawn = Some(view::draw(frame, &app));
            })?;
            if let Some(drawn) = drawn {
                app.laid_out(drawn);
            }
        }
        let deadline = now + if moving(&app) { FRAME } else { IDLE };
        while let Some(wait) = deadline.checked_duration_since(Instant::now()) {
            let event = match input.recv_timeout(wait) {
                Ok(Ok(event)) => event,
                Err(RecvTimeoutError::Timeout) => break,
                // The input is gone (end of input, a terminal closed
                // without a hang-up): nobody is there to quit, so lanes
                // ends as if the terminal had hung up.
                Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => {
                    EXIT_CODE.store(128 + signal_hook::consts::SIGHUP, Ordering::Release);
                    return Ok(());
                }
            };
            let action = match event {
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
