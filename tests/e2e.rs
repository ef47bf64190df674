//! End to end: the real `lanes` binary in a pseudo-terminal. Keys go in as
//! a terminal would send them, the output is fed to a terminal emulator
//! (`vt100`), and the tests read the screen back as a user would see it.
//!
//! Every wait is bounded and polls the parsed screen; a wait that times out
//! fails with the whole screen in the message.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};

/// How long the first screen of a lesson may take. Very generous: opening a
/// lesson highlights its sources before the first frame, which takes about
/// 0.6 s in a release build and 5 s in a debug build, and several tests
/// start at once on what may be a loaded two-core machine.
const START: Duration = Duration::from_secs(40);
/// How long a change may take to show once the program is up. Generous; a
/// passing test never waits this long.
const SHOW: Duration = Duration::from_secs(10);
/// How long the rest of the semaphore lesson (about 2.5 s of virtual time
/// at 1×) may take to play: a slow frame grants at most 0.1 s.
const PLAY: Duration = Duration::from_secs(20);
/// How long the process may take to exit once asked to.
const EXIT: Duration = Duration::from_secs(5);
/// How often the screen is looked at while waiting.
const POLL: Duration = Duration::from_millis(20);

// Keys as a terminal in normal cursor mode sends them.
const LEFT: &str = "\x1b[D";
const END: &str = "\x1b[F";
const ENTER: &str = "\r";
const CTRL_C: &str = "\x03";

/// A fresh directory under the system's temporary directory, removed when
/// dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "lanes-e2e-{name}-{}-{nanos}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What the reader thread shares: the emulated terminal, every byte the
/// program wrote, and whether its output has ended.
struct Output {
    parser: vt100::Parser,
    raw: Vec<u8>,
    ended: bool,
    /// Asks the reader to let go of the terminal after its next read.
    stop: bool,
}

/// `lanes` running in a pseudo-terminal.
struct Tui {
    output: Arc<Mutex<Output>>,
    /// The terminal's master side: `None` once the test closed it.
    writer: Option<Box<dyn Write + Send>>,
    child: Box<dyn Child + Send + Sync>,
    master: Option<Box<dyn MasterPty + Send>>,
    exit: Option<ExitStatus>,
    data_dir: TempDir,
}

impl Tui {
    /// Starts `lanes <args>` in a `cols`×`rows` terminal, with its progress
    /// kept in a fresh directory.
    fn start(name: &str, args: &[&str], cols: u16, rows: u16) -> Tui {
        Tui::start_via(name, &[], args, cols, rows)
    }

    /// `start`, with lanes run by `wrapper` (a program and its arguments,
    /// which runs lanes as the arguments that follow).
    fn start_via(name: &str, wrapper: &[&str], args: &[&str], cols: u16, rows: u16) -> Tui {
        let data_dir = TempDir::new(name);
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pseudo-terminal");
        let lanes = env!("CARGO_BIN_EXE_lanes");
        let mut command = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut command = CommandBuilder::new(program);
                command.args(rest);
                command.arg(lanes);
                command
            }
            None => CommandBuilder::new(lanes),
        };
        command.args(args);
        command.cwd(env!("CARGO_MANIFEST_DIR"));
        command.env("TERM", "xterm-256color");
        command.env("LANES_DATA_DIR", data_dir.path());
        command.env_remove("NO_COLOR");
        let child = pair.slave.spawn_command(command).expect("start lanes");
        // Only the child holds the terminal's slave side now, so the
        // reader sees the end of the output when the child exits.
        drop(pair.slave);

        let output = Arc::new(Mutex::new(Output {
            parser: vt100::Parser::new(rows, cols, 0),
            raw: Vec::new(),
            ended: false,
            stop: false,
        }));
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let shared = Arc::clone(&output);
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    // The end of the output (EIO once the program is gone).
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let mut out = lock(&shared);
                        out.parser.process(&buf[..n]);
                        out.raw.extend_from_slice(&buf[..n]);
                        if out.stop {
                            break;
                        }
                    }
                }
            }
            lock(&shared).ended = true;
        });
        let writer = pair.master.take_writer().expect("pty writer");
        Tui {
            output,
            writer: Some(writer),
            child,
            master: Some(pair.master),
            exit: None,
            data_dir,
        }
    }

    /// Types `keys` as the terminal would send them.
    fn send(&mut self, keys: &str) {
        let writer = self.writer.as_mut().expect("the terminal is open");
        writer.write_all(keys.as_bytes()).expect("send keys");
        writer.flush().expect("send keys");
    }

    /// Sends raw bytes, valid keys or not.
    fn send_bytes(&mut self, bytes: &[u8]) {
        let writer = self.writer.as_mut().expect("the terminal is open");
        writer.write_all(bytes).expect("send bytes");
        writer.flush().expect("send bytes");
    }

    /// The screen as drawn now.
    fn screen(&self) -> vt100::Screen {
        lock(&self.output).parser.screen().clone()
    }

    /// Polls until the screen satisfies `ready`: the screen that did, or
    /// the text of the last one seen when `timeout` passed.
    fn poll_until(
        &self,
        timeout: Duration,
        ready: impl Fn(&vt100::Screen) -> bool,
    ) -> Result<vt100::Screen, String> {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return Ok(screen);
            }
            if start.elapsed() > timeout {
                return Err(screen.contents());
            }
            thread::sleep(POLL);
        }
    }

    /// Waits until the screen satisfies `ready`; fails after `timeout`
    /// with the screen in the message. Returns the screen that satisfied it.
    fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        ready: impl Fn(&vt100::Screen) -> bool,
    ) -> vt100::Screen {
        self.poll_until(timeout, ready).unwrap_or_else(|screen| {
            panic!("timed out after {timeout:?} waiting for {what}; the screen:\n{screen}")
        })
    }

    /// Waits until `text` is on screen.
    fn wait_for(&self, text: &str, timeout: Duration) -> vt100::Screen {
        self.wait_until(&format!("{text:?} on screen"), timeout, |s| {
            s.contents().contains(text)
        })
    }

    /// Waits until the lesson's status line satisfies `ready`.
    fn wait_status(&self, what: &str, ready: impl Fn(&Status) -> bool) -> Status {
        let screen = self.wait_until(&format!("a status line {what}"), SHOW, |s| {
            ready(&Status::of(s))
        });
        Status::of(&screen)
    }

    /// Waits until the process has exited; fails after `timeout`.
    fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("poll the child") {
                break status;
            }
            if start.elapsed() > timeout {
                panic!(
                    "lanes did not exit within {timeout:?}; the screen:\n{}",
                    self.screen().contents()
                );
            }
            thread::sleep(POLL);
        };
        self.exit = Some(status.clone());
        // Let the reader take in the program's last words.
        let start = Instant::now();
        while !lock(&self.output).ended && start.elapsed() < EXIT {
            thread::sleep(POLL);
        }
        status
    }

    /// After exit: the terminal is as the program found it.
    fn assert_restored(&self) {
        let out = lock(&self.output);
        let screen = out.parser.screen();
        let context = || {
            format!(
                "the screen:\n{}\nthe last output: {:?}",
                screen.contents(),
                String::from_utf8_lossy(&out.raw[out.raw.len().saturating_sub(200)..])
            )
        };
        assert!(out.ended, "the output never ended; {}", context());
        assert!(
            !screen.alternate_screen(),
            "still on the alternate screen; {}",
            context()
        );
        assert_eq!(
            screen.mouse_protocol_mode(),
            vt100::MouseProtocolMode::None,
            "mouse capture left on; {}",
            context()
        );
        assert!(!screen.hide_cursor(), "cursor left hidden; {}", context());
        // The last word on mouse capture and on the cursor switches them
        // back: the program did it, not the emulator's defaults.
        let raw = &out.raw;
        let last = |needle: &str| {
            raw.windows(needle.len())
                .rposition(|w| w == needle.as_bytes())
        };
        assert!(
            last("\x1b[?1000l") > last("\x1b[?1000h"),
            "mouse capture not turned off last; {}",
            context()
        );
        assert!(
            last("\x1b[?25h") > last("\x1b[?25l"),
            "cursor not shown last; {}",
            context()
        );
        assert!(
            last("\x1b[?1049l") > last("\x1b[?1049h"),
            "alternate screen not left last; {}",
            context()
        );
        // Raw mode is off again: the line discipline is back to cooked.
        let master = self.master.as_ref().expect("the terminal is open");
        let termios = master.get_termios().expect("the pty's termios");
        let local = format!("{:?}", termios.local_flags);
        assert!(
            local.contains("ICANON") && local.contains("ISIG"),
            "the terminal was left in raw mode: local flags {local}"
        );
    }

    fn assert_exited_cleanly(&mut self, how: &str) {
        let status = self.wait_exit(EXIT);
        assert!(
            status.success(),
            "{how}: lanes exited with {status}; the screen:\n{}",
            self.screen().contents()
        );
        self.assert_restored();
    }

    /// Resizes the terminal, as a user dragging the window would.
    fn resize(&self, cols: u16, rows: u16) {
        lock(&self.output).parser.screen_mut().set_size(rows, cols);
        self.master
            .as_ref()
            .expect("the terminal is open")
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize the pty");
    }

    /// Closes the terminal under the program, as closing its window or
    /// losing an ssh connection does: the program gets SIGHUP and its
    /// terminal reads fail from then on.
    fn close_terminal(&mut self) {
        // The reader holds a copy of the master side: let it go first. It
        // stops after its next read, so make the program draw something
        // (`j` moves a selection on every screen).
        lock(&self.output).stop = true;
        self.send("j");
        let start = Instant::now();
        while !lock(&self.output).ended {
            assert!(
                start.elapsed() < SHOW,
                "the reader never let go of the terminal"
            );
            thread::sleep(POLL);
        }
        self.writer = None;
        self.master = None;
    }

    /// After `close_terminal`: waits for lanes to end by itself, which it
    /// must, nothing being left to restore.
    fn wait_gone(&mut self, what: &str) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the child") {
                self.exit = Some(status.clone());
                return status;
            }
            assert!(
                start.elapsed() < EXIT,
                "{what}: lanes still runs {EXIT:?} after its terminal was closed; \
                 the last screen:\n{}",
                self.screen().contents()
            );
            thread::sleep(POLL);
        }
    }

    fn pid(&self) -> u32 {
        self.child.process_id().expect("the child's pid")
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if self.exit.is_none() && matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn lock(output: &Mutex<Output>) -> MutexGuard<'_, Output> {
    output.lock().unwrap_or_else(|p| p.into_inner())
}

/// The lesson screen's status line, read back:
/// ` paused t 1.05 s 1× 21 lanes: …` or ` rewound (live 1.05 s) t 0.97 s …`.
#[derive(Debug)]
struct Status {
    line: String,
    /// `ready`, `paused`, `playing`, `finished`, `rewound` or `replaying`.
    mode: String,
    /// The time shown after `t`, in seconds.
    t: Option<f64>,
    /// For `rewound`: the live time in the parentheses.
    live: Option<f64>,
}

impl Status {
    fn of(screen: &vt100::Screen) -> Status {
        let (_, cols) = screen.size();
        let line = screen.rows(0, cols).last().unwrap_or_default();
        let words: Vec<&str> = line.split_whitespace().collect();
        let number_after = |word: &str| {
            words
                .iter()
                .position(|w| *w == word)
                .and_then(|i| words.get(i + 1))
                .and_then(|n| n.parse::<f64>().ok())
        };
        Status {
            mode: words.first().unwrap_or(&"").to_string(),
            t: number_after("t"),
            live: number_after("(live"),
            line,
        }
    }

    fn is(&self, mode: &str) -> bool {
        self.mode == mode && self.t.is_some()
    }
}

/// Prefix: the predict question of the semaphore lesson.
const SEMAPHORE_QUESTION: &str = "Predict: Requests: 20, spawned at once.";

#[test]
fn semaphore_runs_pauses_rewinds_and_quits_cleanly() {
    // From the picker, as a learner goes: filter, keep it, open.
    let mut tui = Tui::start("semaphore", &[], 120, 36);
    tui.wait_for("Lessons", START);
    tui.send("/semaphore\r\r");

    // Opened at time zero, the question in view.
    tui.wait_for(SEMAPHORE_QUESTION, START);
    let status = tui.wait_status("ready at 0", |s| s.is("ready"));
    assert_eq!(status.t, Some(0.0), "{}", status.line);
    let screen = tui.screen().contents();
    assert!(screen.contains("semaphore · Wait for a permit"), "{screen}");
    // The lanes come a moment after the first frame.
    tui.wait_for("request 20", SHOW);

    // Answer 3 (3.5 s, the right one) and run.
    tui.send("3");
    tui.wait_for("space runs the lesson, and the run judges it", SHOW);
    tui.send(" ");
    tui.wait_status("playing", |s| s.is("playing"));
    tui.wait_for("Your prediction: 3.5 s", SHOW);

    // Let the first two waves go by, then pause.
    tui.wait_until("request 4 done, or t past 1.0 s", SHOW, |s| {
        let status = Status::of(s);
        s.contents()
            .lines()
            .any(|l| l.contains("request 4 ") && l.contains("done 1.0 s"))
            || status.t.is_some_and(|t| t >= 1.0)
    });
    tui.send(" ");
    let paused = tui.wait_status("paused", |s| s.is("paused"));
    let paused_at = paused.t.expect("a time");
    assert!(paused_at >= 0.9, "paused too early: {}", paused.line);
    // Paused means the time holds still.
    thread::sleep(Duration::from_millis(300));
    let still = Status::of(&tui.screen());
    assert!(
        still.is("paused") && still.t == Some(paused_at),
        "{}",
        still.line
    );
    let screen = tui.screen().contents();
    assert!(
        screen
            .lines()
            .any(|l| l.contains("request 1 ") && l.contains("done 0.5 s")),
        "the first wave is not shown done at {paused_at} s:\n{screen}"
    );

    // Rewind: the lanes as they were a moment ago, live time kept.
    tui.send(LEFT);
    tui.send(LEFT);
    tui.send(LEFT);
    let rewound = tui.wait_status("rewound three steps", |s| {
        s.is("rewound") && s.t.is_some_and(|t| t < paused_at - 0.025)
    });
    assert_eq!(rewound.live, Some(paused_at), "{}", rewound.line);
    // Back to live.
    tui.send(END);
    let live = tui.wait_status("back to live", |s| s.is("paused"));
    assert_eq!(live.t, Some(paused_at), "{}", live.line);

    // Play on to the end.
    tui.send(" ");
    tui.wait_status("playing again", |s| s.is("playing") || s.is("finished"));
    tui.wait_until("the run finished", PLAY, |s| Status::of(s).is("finished"));
    // The finished screen: the answer beside what the run showed, and the
    // last wave (request 19, request 20) done at 3.5 s, the end of the run.
    // Judged after the way out below, so that a wrong end screen does not
    // hide how the program quits.
    let end_screen = tui.poll_until(Duration::from_secs(2), |s| {
        let text = s.contents();
        let status = Status::of(s);
        text.contains("You predicted 3.5 s and the run shows 3.5 s. Right!")
            && ["request 19 ", "request 20 "].iter().all(|lane| {
                text.lines()
                    .any(|l| l.contains(lane) && l.contains("done 3.5 s"))
            })
            && status.t == Some(3.5)
    });

    // q: back to the picker; q again: quit.
    tui.send("q");
    let picker = tui.wait_until("the lesson picker", SHOW, |s| {
        let text = s.contents();
        text.contains("Lessons") && text.contains("semaphore") && text.contains("Wait for a permit")
    });
    // Its row carries the marks: opened, ran, predicted right.
    let text = picker.contents();
    let row = text
        .lines()
        .find(|l| l.contains("11 semaphore"))
        .unwrap_or_else(|| panic!("no semaphore row:\n{text}"));
    assert!(
        row.contains("•✔★"),
        "the marks are missing: {row:?}\n{text}"
    );
    tui.send("q");
    tui.assert_exited_cleanly("q from the picker");

    // Progress: opened, run to the end, predicted right.
    let progress = std::fs::read_to_string(tui.data_dir.path().join("progress.toml"))
        .expect("progress.toml written in LANES_DATA_DIR");
    let section = progress
        .split("[lesson.")
        .find(|s| s.starts_with("semaphore]"))
        .unwrap_or_else(|| panic!("no semaphore in progress.toml:\n{progress}"));
    for mark in ["opened = true", "finished = true", "predicted = \"right\""] {
        assert!(section.contains(mark), "{mark} missing:\n{progress}");
    }
    if let Err(screen) = end_screen {
        panic!(
            "the finished screen does not show the end of the run (the answer checked, \
             request 19 and 20 done 3.5 s, t 3.5 s); the screen:\n{screen}"
        );
    }
}

/// The blocking lesson, watched live: while `blocker` holds the thread the
/// clock keeps moving, the blocker's lane says it blocks the thread, and
/// the sleepers, whose timers fell due at 0.5 s, say they are late; then
/// all three end together, about 1 s in.
#[test]
fn the_blocking_lesson_shows_the_block_while_it_happens() {
    let mut tui = Tui::start("blocking", &["open", "blocking"], 120, 36);
    tui.wait_until("the question", START, |s| Status::of(s).is("ready"));
    tui.send(" ");
    // A lane's row, in the lanes pane (the story beside it names them too).
    let row = |text: &str, lane: &str| {
        text.lines()
            .map(|l| l.chars().skip(50).collect::<String>())
            .find(|l| l.contains(&format!("{lane} ")))
            .unwrap_or_default()
    };
    // Mid-block: past the sleepers' deadline, before the block ends.
    let during = tui.wait_until("the sleepers late", SHOW, |s| {
        row(&s.contents(), "sleeper 1").contains("timer late")
    });
    let text = during.contents();
    let first = Status::of(&during);
    assert!(
        row(&text, "blocker").contains("blocks the thread"),
        "{text}"
    );
    assert!(row(&text, "sleeper 2").contains("timer late"), "{text}");
    assert!(first.is("playing"), "{}", first.line);
    // The clock moves on while the thread is held.
    let later = tui.wait_until("the clock moving during the block", SHOW, |s| {
        let status = Status::of(s);
        status.t > first.t || status.is("finished")
    });
    let later_status = Status::of(&later);
    if !later_status.is("finished") {
        assert!(
            row(&later.contents(), "blocker").contains("blocks the thread"),
            "{}",
            later.contents()
        );
    }
    // The end: all done about a second in (real time, measured).
    let end = tui.wait_until("the end", PLAY, |s| Status::of(s).is("finished"));
    let text = end.contents();
    for lane in ["sleeper 1", "sleeper 2", "blocker"] {
        let row = row(&text, lane);
        let done: f64 = row
            .split("done ")
            .nth(1)
            .and_then(|t| t.split_whitespace().next())
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("{lane} not done: {row:?}\n{text}"));
        assert!((0.98..1.2).contains(&done), "{lane} done at {done}: {text}");
    }
    tui.send(CTRL_C);
    tui.assert_exited_cleanly("Ctrl-C after the blocking lesson");
}

const DOWN: &str = "\x1b[B";

/// The lanes pane's row for `lane` (the text pane beside it may name lanes
/// too), from the column where the lanes pane starts at 120 columns.
fn lane_row(text: &str, lane: &str) -> String {
    text.lines()
        .map(|l| l.chars().skip(50).collect::<String>())
        .find(|l| l.contains(&format!("{lane} ")))
        .unwrap_or_default()
}

/// `x` in three lessons, as a learner uses it: a request holding a permit
/// is aborted and the next one takes its permit at once; a worker of a
/// task group is aborted and `main` carries on; a future inside `main`
/// cannot be, and `x` says why.
#[test]
fn x_cancels_a_lane_live_or_says_why_not() {
    // Semaphore: request 2 holds a permit from 0.0 s.
    let mut tui = Tui::start("x-semaphore", &["open", "semaphore"], 120, 36);
    tui.wait_for(SEMAPHORE_QUESTION, START);
    tui.wait_for("request 20", SHOW);
    tui.send("3");
    tui.send(&DOWN.repeat(3)); // main, request 1, request 2
    tui.send(" ");
    tui.wait_until("t past 0.1 s", SHOW, |s| {
        Status::of(s).t.is_some_and(|t| t >= 0.1)
    });
    tui.send("x");
    let cancelled = tui.wait_until("request 2 cancelled by you", SHOW, |s| {
        lane_row(&s.contents(), "request 2").contains("by you")
    });
    let status = Status::of(&cancelled);
    assert!(
        status.line.contains("you aborted 'request 2'"),
        "{}",
        status.line
    );
    // Its permit went back at once: request 4 works before the first wave ends.
    let early = tui.wait_until("request 4 working", SHOW, |s| {
        lane_row(&s.contents(), "request 4").contains("Sleep 500ms")
    });
    let t = Status::of(&early).t.expect("a time");
    assert!(
        t < 0.5,
        "request 4 started only at {t} s:\n{}",
        early.contents()
    );
    // `main` is the lesson itself: x says so and changes nothing.
    tui.send("g"); // the first lane: main
    tui.send("x");
    tui.wait_for("'main' is the lesson itself", SHOW);
    // The run, changed by the learner, is shown but not scored.
    tui.wait_until("the end", PLAY, |s| Status::of(s).is("finished"));
    tui.wait_for("Not scored: you cancelled", SHOW);
    tui.send(CTRL_C);
    tui.assert_exited_cleanly("Ctrl-C after cancelling in semaphore");

    // Task group: worker 5 aborted before the failure; main carries on.
    let mut tui = Tui::start("x-task-group", &["open", "task-group"], 120, 36);
    // The lanes of time zero may come in after the question: every one
    // must be listed before the selection is moved down to the last.
    tui.wait_until("the question and worker 5", START, |s| {
        Status::of(s).is("ready") && !lane_row(&s.contents(), "worker 5").is_empty()
    });
    tui.send(&DOWN.repeat(6)); // main, worker 1 .. worker 5
    tui.send(" ");
    tui.wait_until("t past 0.2 s", SHOW, |s| {
        Status::of(s).t.is_some_and(|t| t >= 0.2)
    });
    tui.send("x");
    let end = tui.wait_until("the end", PLAY, |s| Status::of(s).is("finished"));
    let text = end.contents();
    assert!(lane_row(&text, "worker 5").contains("by you"), "{text}");
    for worker in ["worker 2", "worker 4"] {
        assert!(
            lane_row(&text, worker).contains("cancelled 1.5 s"),
            "{worker}: {text}"
        );
    }
    assert!(
        lane_row(&text, "worker 3").contains("failed 1.5 s"),
        "{text}"
    );
    tui.send(CTRL_C);
    tui.assert_exited_cleanly("Ctrl-C after cancelling in task-group");

    // Join: the fetches are futures inside main's task, not tasks.
    let mut tui = Tui::start("x-join", &["open", "join"], 120, 36);
    tui.wait_until("the question", START, |s| Status::of(s).is("ready"));
    tui.send(" ");
    tui.wait_until("sequential 1 running", SHOW, |s| {
        lane_row(&s.contents(), "sequential 1").contains("Sleep")
    });
    tui.send(&DOWN.repeat(2)); // main, sequential 1
    tui.send("x");
    tui.wait_for("'sequential 1' is a future inside 'main', not a task", SHOW);
    tui.send(CTRL_C);
    tui.assert_exited_cleanly("Ctrl-C after x in join");
}

/// The cancellation lesson, cancelled by the learner: through the token,
/// the worker's own code runs its cleanup; by abort, it is dropped.
#[test]
fn x_in_the_cancellation_lesson_cancels_the_worker_the_lessons_way() {
    let mut tui = Tui::start("x-token", &["open", "cancellation"], 120, 36);
    tui.wait_until("the question", START, |s| Status::of(s).is("ready"));
    tui.send(&DOWN.repeat(2)); // main, worker
    tui.send(" ");
    tui.wait_until("step 2 running", PLAY, |s| {
        lane_row(&s.contents(), "step 2").contains("Sleep")
    });
    tui.send("x");
    tui.wait_for("you cancelled 'worker' through its token", SHOW);
    let cleaned = tui.wait_until("the worker done after its cleanup", PLAY, |s| {
        lane_row(&s.contents(), "worker").contains("done")
    });
    let text = cleaned.contents();
    assert!(lane_row(&text, "step 2").contains("cancelled"), "{text}");
    assert!(lane_row(&text, "cleanup").contains("done"), "{text}");
    assert!(!lane_row(&text, "worker").contains("by you"), "{text}");
    tui.send(CTRL_C);
    tui.assert_exited_cleanly("Ctrl-C after x through a token");

    let args = ["open", "cancellation", "--knob", "how=abort"];
    let mut tui = Tui::start("x-abort", &args, 120, 36);
    tui.wait_until("the question", START, |s| Status::of(s).is("ready"));
    tui.send(&DOWN.repeat(2));
    tui.send(" ");
    tui.wait_until("step 2 running", PLAY, |s| {
        lane_row(&s.contents(), "step 2").contains("Sleep")
    });
    tui.send("x");
    let aborted = tui.wait_until("the worker cancelled by you", SHOW, |s| {
        lane_row(&s.contents(), "worker").contains("by you")
    });
    let text = aborted.contents();
    assert!(lane_row(&text, "step 2").contains("cancelled"), "{text}");
    assert!(lane_row(&text, "cleanup").is_empty(), "no cleanup: {text}");
    tui.send(CTRL_C);
    tui.assert_exited_cleanly("Ctrl-C after x by abort");
}

#[test]
fn a_lesson_opened_from_the_command_line_quits_with_q() {
    let mut tui = Tui::start("open-q", &["open", "semaphore"], 120, 36);
    tui.wait_for(SEMAPHORE_QUESTION, START);
    tui.send("q");
    tui.assert_exited_cleanly("q from a lesson opened by `lanes open`");
}

#[test]
fn ctrl_c_quits_from_the_lesson_screen() {
    let mut tui = Tui::start("ctrl-c", &["open", "semaphore", "--play"], 120, 36);
    tui.wait_until("the lesson playing", START, |s| Status::of(s).is("playing"));
    tui.send(CTRL_C);
    tui.assert_exited_cleanly("Ctrl-C in the lesson");
}

/// Every signal that would end lanes restores the terminal and exits with
/// 128 + its number, as a shell expects of a program a signal ended.
#[test]
fn signals_restore_the_terminal_and_set_the_exit_code() {
    for (name, number) in [
        ("TERM", 15),
        ("INT", 2),
        ("HUP", 1),
        ("QUIT", 3),
        ("USR1", 10),
        ("USR2", 12),
    ] {
        let mut tui = Tui::start(
            &format!("sig{name}"),
            &["open", "semaphore", "--play"],
            120,
            36,
        );
        tui.wait_until("the lesson playing", START, |s| Status::of(s).is("playing"));
        let killed = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(tui.pid().to_string())
            .status()
            .expect("run kill");
        assert!(killed.success());
        let status = tui.wait_exit(EXIT);
        assert_eq!(
            status.exit_code(),
            128 + number,
            "SIG{name}: exited with {status}"
        );
        tui.assert_restored();
    }
}

#[test]
fn a_tiny_terminal_says_what_size_it_needs() {
    let mut tui = Tui::start("tiny", &[], 40, 10);
    // The sentence wraps at 40 columns: read it as words.
    let words = |s: &vt100::Screen| {
        s.contents()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    tui.wait_until("the size it needs", START, |s| {
        words(s).contains("at least 60×16") && words(s).contains("this one is 40×10")
    });
    tui.resize(120, 36);
    tui.wait_until("the picker at full size", SHOW, |s| {
        let text = s.contents();
        text.contains("Lessons") && text.contains("semaphore") && !text.contains("at least")
    });
    tui.send("q");
    tui.assert_exited_cleanly("q from the picker");
}

#[test]
fn the_picker_filters_and_opens_a_lesson() {
    let mut tui = Tui::start("picker", &[], 120, 36);
    tui.wait_until("the picker", START, |s| {
        let text = s.contents();
        text.contains("Lessons") && text.contains("semaphore") && text.contains("mutex")
    });
    tui.send("/");
    tui.send("mutex");
    tui.wait_until("the list filtered to mutex", SHOW, |s| {
        let text = s.contents();
        text.contains("/mutex") && !text.contains("semaphore")
    });
    tui.send(ENTER);
    tui.wait_for("Enter open the lesson", SHOW);
    tui.send(ENTER);
    tui.wait_for("mutex · Guarding shared state", START);
    let status = tui.wait_status("ready at 0", |s| s.is("ready"));
    assert_eq!(status.t, Some(0.0), "{}", status.line);
    tui.send(CTRL_C);
    tui.assert_exited_cleanly("Ctrl-C in the lesson");
}

#[test]
fn presenter_mode_and_back() {
    let mut tui = Tui::start("presenter", &["open", "semaphore"], 120, 36);
    tui.wait_for(SEMAPHORE_QUESTION, START);
    tui.wait_for("[story]", SHOW);
    tui.send("p");
    // The story pane is gone; the lanes fill the screen from its left edge.
    // The first frame can come before the lesson thread's first events, so
    // wait for the lanes too.
    let screen = tui.wait_until("presenter mode", SHOW, |s| {
        let text = s.contents();
        !text.contains("[story]")
            && text.starts_with("╭ semaphore · ")
            && text.contains("request 20")
            // A legend tells the states apart on a projector.
            && text.contains("██ running")
    });
    let text = screen.contents();
    assert!(text.contains("══ sleeping"), "{text}");
    tui.send("p");
    tui.wait_until("the text pane back", SHOW, |s| {
        let text = s.contents();
        text.contains("[story]") && !text.contains("██ running")
    });
    tui.send(CTRL_C);
    tui.assert_exited_cleanly("Ctrl-C in the lesson");
}

#[test]
fn closing_the_terminal_ends_lanes() {
    let mut tui = Tui::start("hangup", &["open", "semaphore", "--play"], 120, 36);
    tui.wait_until("the lesson playing", START, |s| Status::of(s).is("playing"));
    tui.close_terminal();
    // Nothing is left to restore; what matters is that lanes does not stay
    // behind, orphaned, when its terminal goes away.
    let status = tui.wait_gone("hangup");
    // Ended by the hang-up (128 + 1), not aborted by a panic while
    // restoring a terminal that is gone.
    assert_eq!(status.exit_code(), 129, "{status}");
}

/// A resize after an unfinished escape sequence, on a still screen, is
/// still drawn: input waits on its own thread, never the frame loop.
#[test]
fn a_resize_after_stray_bytes_is_drawn() {
    let mut tui = Tui::start("stray-resize", &["open", "semaphore"], 120, 36);
    tui.wait_until("the lesson ready", START, |s| Status::of(s).is("ready"));
    tui.send_bytes(b"\x1b[");
    tui.resize(100, 30);
    tui.wait_until("a frame at 100x30", SHOW, |s| {
        Status::of(s).is("ready")
            && s.contents()
                .lines()
                .any(|l| l.starts_with("╭") && l.chars().count() == 100)
    });
    tui.send(CTRL_C);
    tui.assert_exited_cleanly("Ctrl-C after the resize");
}

/// A terminal closed with no hang-up signal reaching lanes (a parent that
/// blocks it): lanes notices by itself, paused or playing, and ends as if
/// hung up (exit 129) instead of spinning on the dead terminal.
#[test]
fn closing_the_terminal_without_a_hangup_signal_ends_lanes() {
    // Python blocks SIGHUP and runs lanes with it blocked (a blocked signal
    // is inherited across exec): lanes never receives it.
    const BLOCK_HUP: &str = "import os, signal, sys; \
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGHUP]); \
        os.execv(sys.argv[1], sys.argv[1:])";
    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("python3 is not here to block SIGHUP; this case is not tried");
        return;
    }
    for (name, args) in [
        ("nohup-paused", &["open", "semaphore"][..]),
        ("nohup-playing", &["open", "semaphore", "--play"][..]),
        ("nohup-picker", &[][..]),
    ] {
        let mut tui = Tui::start_via(name, &["python3", "-c", BLOCK_HUP], args, 120, 36);
        tui.wait_until("a frame", START, |s| {
            s.contents().contains("Lessons") || Status::of(s).t.is_some()
        });
        tui.close_terminal();
        let status = tui.wait_gone(name);
        assert_eq!(status.exit_code(), 129, "{name}: {status}");
    }
}

/// A stray byte or an unfinished escape sequence never stops the screen: a
/// playing lesson keeps moving after it, and Ctrl-C still quits.
#[test]
fn stray_bytes_never_stall_the_screen() {
    for (name, bytes) in [
        ("c0", &b"\xc0"[..]),
        ("e9", b"\xe9"),
        ("e1", b"\xe1"),
        ("csi", b"\x1b["),
        ("ss3", b"\x1bO"),
        ("mouse", b"\x1b[<0;10"),
    ] {
        let mut tui = Tui::start(
            &format!("stray-{name}"),
            &["open", "semaphore", "--play"],
            120,
            36,
        );
        tui.wait_until("the lesson playing", START, |s| Status::of(s).is("playing"));
        // Slow, so that the run is still going when the bytes arrive.
        tui.send("----");
        let before = Status::of(&tui.screen()).t.unwrap_or(0.0);
        tui.send_bytes(bytes);
        tui.wait_until(&format!("frames after {name}"), SHOW, |s| {
            let status = Status::of(s);
            status.t.is_some_and(|t| t > before + 0.05) || status.is("finished")
        });
        tui.send(CTRL_C);
        tui.assert_exited_cleanly(&format!("Ctrl-C after {name}"));
    }
}

/// Keys, bytes and resizes at random, as fast as a pty takes them: lanes
/// keeps drawing, never dies, and quits on Ctrl-C with the terminal
/// restored. `LANES_FUZZ_KEYS` sets how many (2,000 by default; the issue
/// asks for at least 10,000 once, by hand).
#[test]
fn random_keys_and_resizes_do_not_break_it() {
    let count: usize = std::env::var("LANES_FUZZ_KEYS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let mut tui = Tui::start("fuzz", &[], 100, 30);
    tui.wait_for("Lessons", START);
    // A small deterministic generator: the same run every time.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // Every key but the ones that leave (q, Esc, Ctrl-C, Ctrl-\\): the
    // program must survive the rest, in whatever screen they lead to.
    const KEYS: [&str; 25] = [
        " ",
        ".",
        "+",
        "-",
        "r",
        "n",
        "o",
        "p",
        "x",
        "?",
        "\r",
        "\t",
        "[",
        "]",
        "j",
        "k",
        "h",
        "l",
        "g",
        "G",
        "/",
        "\x1b[A",
        "\x1b[B",
        "\x1b[H",
        "\x1b[<0;10;5M",
    ];
    let leaves = |b: u8| matches!(b, b'q' | 0x1b | 0x03 | 0x1c);
    for i in 0..count {
        match next() % 10 {
            // Mostly keys the program knows, in every context.
            0..=6 => tui.send(KEYS[(next() % KEYS.len() as u64) as usize]),
            // Sometimes any byte at all, or a digit.
            7 => {
                let byte = (next() % 256) as u8;
                if !leaves(byte) {
                    tui.send_bytes(&[byte]);
                }
            }
            8 => tui.send(&((next() % 10).to_string())),
            _ => {
                let cols = 20 + (next() % 200) as u16;
                let rows = 5 + (next() % 60) as u16;
                tui.resize(cols, rows);
            }
        }
        // At the pace of a fast typist on a busy machine, so that lanes
        // takes the keys in as they come rather than all at the end.
        if i % 20 == 19 {
            thread::sleep(Duration::from_millis(20));
        }
        if i % 500 == 499 {
            // Still alive.
            let ended = tui.child.try_wait().expect("poll the child");
            assert!(
                ended.is_none(),
                "lanes ended ({ended:?}) after {i} keys: {}\n{}",
                tui.screen().contents(),
                String::from_utf8_lossy(&lock(&tui.output).raw)
                    .chars()
                    .rev()
                    .take(600)
                    .collect::<String>()
                    .chars()
                    .rev()
                    .collect::<String>()
            );
        }
    }
    // Time to take in what is left, then still alive.
    thread::sleep(Duration::from_secs(1));
    assert!(
        tui.child.try_wait().expect("poll the child").is_none(),
        "lanes ended: {}",
        tui.screen().contents()
    );
    tui.resize(100, 30);
    tui.wait_until("a frame after the storm", SHOW, |s| {
        let text = s.contents();
        text.contains("lanes needs") || text.contains("Lessons") || text.contains(" · ")
    });
    tui.send(CTRL_C);
    tui.assert_exited_cleanly("Ctrl-C after random keys");
}

/// `lanes view` plays a recorded trace as the interface plays a lesson:
/// the same lanes at the same times, stepping and rewinding included, and
/// no question to answer.
#[test]
fn view_plays_a_recorded_trace_back() {
    let dir = TempDir::new("view-trace");
    let file = dir.0.join("semaphore.jsonl");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lanes"))
        .args(["run", "semaphore", "--format", "jsonl", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut tui = Tui::start("view", &["view", file.to_str().unwrap()], 120, 36);
    tui.wait_until("the trace at its start", START, |s| {
        Status::of(s).is("ready")
    });
    tui.wait_for("request 20", SHOW);
    tui.wait_for("Recorded trace", SHOW);
    // One step: the first three requests end at 0.5 s.
    tui.send(".");
    let stepped = tui.wait_until("a step to 0.5 s", SHOW, |s| Status::of(s).t == Some(0.5));
    assert!(lane_row(&stepped.contents(), "request 1").contains("done 0.5 s"));
    // Answers, knobs and cancelling belong to live runs.
    tui.send(&DOWN.repeat(5));
    tui.send("x");
    tui.wait_for("nothing runs, so nothing to cancel", SHOW);
    tui.send("3");
    tui.wait_for("nothing to answer, knobs as recorded", SHOW);
    tui.send(" ");
    let end = tui.wait_until("the end", PLAY, |s| Status::of(s).is("finished"));
    assert_eq!(Status::of(&end).t, Some(3.5));
    let text = end.contents();
    assert!(
        lane_row(&text, "request 20").contains("done 3.5 s"),
        "{text}"
    );
    assert!(!text.contains("Not scored"), "{text}");
    // Rewound, the past is the recorded one.
    tui.send(&LEFT.repeat(10));
    let back = tui.wait_until("rewound", SHOW, |s| Status::of(s).is("rewound"));
    assert!(Status::of(&back).t.is_some_and(|t| t < 3.5));
    tui.send("q");
    tui.assert_exited_cleanly("q from a viewed trace");

    // A trace no lesson made (someone's own program) plays the same way.
    let mine = dir.0.join("mine.jsonl");
    let lines = [
        r#"{"format":"lanes-trace/1","lesson":"my crawler","knobs":{"workers":2}}"#,
        r#"{"t_us":0,"lane":1,"event":"spawned","name":"main","parent":null}"#,
        r#"{"t_us":0,"lane":2,"event":"spawned","name":"fetch a","parent":1}"#,
        r#"{"t_us":0,"lane":1,"event":"awaiting","on":"join"}"#,
        r#"{"t_us":0,"lane":2,"event":"awaiting","on":"socket read"}"#,
        r#"{"t_us":800000,"lane":2,"event":"failed","detail":"connection reset"}"#,
        r#"{"t_us":800000,"lane":1,"event":"done"}"#,
        r#"{"t_us":800000,"event":"end","reason":"finished"}"#,
    ];
    std::fs::write(&mine, lines.join("\n")).unwrap();
    let mut tui = Tui::start("view-mine", &["view", mine.to_str().unwrap()], 120, 36);
    tui.wait_for("my crawler · a trace read from", START);
    tui.send(" ");
    let end = tui.wait_until("the end", PLAY, |s| Status::of(s).is("finished"));
    let text = end.contents();
    assert!(
        lane_row(&text, "fetch a").contains("failed 0.8 s"),
        "{text}"
    );
    tui.send("q");
    tui.assert_exited_cleanly("q from someone else's trace");
}

/// Plays an asciicast v3 file through a terminal emulator: its header's
/// size, and the screen after every `o` event.
fn play_cast(cast: &str) -> (vt100::Parser, Vec<(f64, String, String)>) {
    let mut lines = cast.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["version"], 3);
    let cols = header["term"]["cols"].as_u64().unwrap() as u16;
    let rows = header["term"]["rows"].as_u64().unwrap() as u16;
    let mut parser = vt100::Parser::new(rows, cols, 0);
    let mut events = Vec::new();
    for line in lines {
        let event: (f64, String, String) = serde_json::from_str(line).unwrap();
        assert!(event.0 >= 0.0, "{line}");
        if event.1 == "o" {
            parser.process(event.2.as_bytes());
        }
        events.push(event);
    }
    (parser, events)
}

/// `lanes record` draws what the interface draws: played back through a
/// terminal emulator, its last frame is the finished screen of the same
/// lesson played live; and the same command writes the same bytes.
#[test]
fn a_recording_replays_to_the_interfaces_finished_screen() {
    let dir = TempDir::new("record");
    let record = |name: &str| {
        let file = dir.0.join(name);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lanes"))
            .args(["record", "semaphore", "-o"])
            .arg(&file)
            .env_remove("NO_COLOR")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(file).unwrap()
    };
    let cast = record("one.cast");
    assert!(cast == record("two.cast"), "two recordings differ");

    let (played, events) = play_cast(&cast);
    let markers: Vec<&str> = events
        .iter()
        .filter(|e| e.1 == "m")
        .map(|e| e.2.as_str())
        .collect();
    assert_eq!(markers, ["the question", "the run", "the end"]);
    assert_eq!(events.last().map(|e| e.1.as_str()), Some("x"));
    let length: f64 = events.iter().map(|e| e.0).sum();
    // 4 s on the question, 3.5 s of lesson at 1×, 4 s on the end.
    assert!((length - 11.5).abs() < 0.1, "{length}");

    let mut tui = Tui::start("record-live", &["open", "semaphore", "--play"], 120, 36);
    let live = tui.wait_until("the end", PLAY, |s| Status::of(s).is("finished"));
    tui.send("q");
    tui.assert_exited_cleanly("q after the live run");
    let (recorded, live) = (played.screen().contents(), live.contents());
    assert!(
        recorded == live,
        "the recording ends on:\n{recorded}\nthe interface on:\n{live}"
    );
}
