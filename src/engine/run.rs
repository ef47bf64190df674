//! A lesson run: one OS thread with its own current-thread runtime on a
//! paused clock, and the handle the caller keeps. Nothing the lesson does
//! (panic, hang, deadlock, a blocked thread) can reach the caller: it only
//! ever sees trace batches, and stops waiting when told to.

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, Once};
use std::thread;
use std::time::{Duration, Instant};

use super::driver::{Driver, Pacing};
use super::knobs::Knobs;
use super::lane::LaneExt;
use super::outcome::LessonOutcome;
use super::recorder::{self, Recorder};
use super::signals::{Command, Signals};
use crate::trace::{Batch, EndReason, Event, EventKind, Header, LaneId, Level, Trace};

/// The name of every thread that runs lesson code. Panics there are
/// recorded as failed lanes and not printed.
pub const LESSON_THREAD: &str = "lanes-lesson";

/// How often a headless run looks for what the lesson thread has sent.
const HEADLESS_READ_PERIOD: Duration = Duration::from_millis(1);

pub type BoxFuture = Pin<Box<dyn Future<Output = LessonOutcome> + Send + 'static>>;

/// How to start a lesson's `main`.
pub type Entry = Arc<dyn Fn(Knobs) -> BoxFuture + Send + Sync>;

/// Everything needed to start (and restart) a run.
#[derive(Clone)]
pub struct RunSpec {
    pub lesson: String,
    pub knobs: Knobs,
    pub entry: Entry,
    /// Path suffix of the lesson's source, to attribute waits to its lines.
    pub lesson_file: &'static str,
    pub clock: Clock,
    /// The run stops (`trace limit`) once it has recorded this many events.
    pub max_events: usize,
    /// Play this recorded trace back instead of running the lesson (see
    /// [`RunSpec::replaying`]).
    pub replay: Option<Arc<Trace>>,
}

/// Whether a lesson's timeline is pure virtual time, or also measures
/// something real.
#[derive(Clone, Copy, Debug, Default, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Clock {
    /// Only timers move time. Runs are deterministic, and an idle runtime
    /// with no timer left is stuck for good (a stall).
    #[default]
    Virtual,
    /// Polls that block the thread count as time passing (measured, so not
    /// exactly repeatable), and waits on real threads or sockets may end an
    /// idle spell, so stalls are not declared.
    Real,
}

impl RunSpec {
    /// A run of any async function, named `lesson` (handy in tests).
    pub fn from_fn<F, Fut>(lesson: &str, knobs: Knobs, f: F) -> Self
    where
        F: Fn(Knobs) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: super::outcome::Outcome,
    {
        let entry: Entry = Arc::new(move |knobs| {
            let fut = f(knobs);
            Box::pin(async move { LessonOutcome(super::outcome::Outcome::failure(&fut.await)) })
        });
        RunSpec {
            lesson: lesson.to_string(),
            knobs,
            entry,
            lesson_file: "",
            clock: Clock::Virtual,
            max_events: super::recorder::MAX_EVENTS,
            replay: None,
        }
    }

    /// The same run, played back from `trace` instead of run: events come
    /// out as the interface grants time, exactly as from a live lesson, and
    /// nothing of the lesson runs.
    pub fn replaying(mut self, trace: Arc<Trace>) -> Self {
        self.replay = Some(trace);
        self
    }

    pub fn header(&self) -> Header {
        Header {
            lesson: self.lesson.clone(),
            knobs: self.knobs.values().to_vec(),
        }
    }
}

/// The caller's side of a run.
pub struct Run {
    trace: Trace,
    batches: Receiver<Batch>,
    commands: Sender<Command>,
    signals: Arc<Signals>,
    watchdog: Option<thread::JoinHandle<()>>,
    over: bool,
    /// Commands sent to the run (grants, steps, cancels), to tell when it
    /// has carried them all out.
    sent: std::cell::Cell<u64>,
}

impl Run {
    pub fn start(spec: RunSpec, pacing: Pacing) -> Run {
        install_quiet_panic_hook();
        let (batch_tx, batches) = mpsc::channel();
        let (commands, command_rx) = mpsc::channel();
        let signals = Arc::new(Signals::new(commands.clone()));
        let trace = Trace::new(spec.header());

        let watched = signals.clone();
        let watchdog = thread::Builder::new()
            .name("lanes-watchdog".into())
            .spawn(move || watched.watchdog.watch())
            .ok();

        let lesson_signals = signals.clone();
        let spawned = match spec.replay.clone() {
            Some(recorded) => thread::Builder::new()
                .name("lanes-replay".into())
                .spawn(move || {
                    super::replay::serve(&recorded, pacing, batch_tx, command_rx, &lesson_signals)
                }),
            None => thread::Builder::new()
                .name(LESSON_THREAD.into())
                .spawn(move || lesson_thread(spec, pacing, batch_tx, command_rx, lesson_signals)),
        };
        let mut run = Run {
            trace,
            batches,
            commands,
            signals,
            watchdog,
            over: false,
            sent: std::cell::Cell::new(0),
        };
        if let Err(e) = spawned {
            run.end_here(
                EndReason::Stopped,
                &format!("could not start the lesson thread: {e}"),
            );
        }
        run
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// True once the trace has its `end`.
    pub fn is_over(&self) -> bool {
        self.over
    }

    /// Folds in whatever the lesson thread has sent. Never blocks.
    /// Returns whether anything new arrived.
    pub fn pump(&mut self) -> bool {
        let mut any = false;
        while !self.over {
            match self.batches.try_recv() {
                Ok(batch) => {
                    any = true;
                    self.apply(batch);
                }
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    self.end_here(EndReason::Stopped, "the lesson thread stopped unexpectedly");
                    any = true;
                }
            }
        }
        any
    }

    fn apply(&mut self, batch: Batch) {
        self.trace.apply(batch);
        if self.trace.end().is_some() {
            self.over = true;
        }
    }

    /// Lets virtual time run up to `t` since the start (paced runs).
    pub fn run_until(&self, t: Duration) {
        self.command(Command::RunUntil(t));
    }

    fn command(&self, command: Command) {
        if self.commands.send(command).is_ok() {
            self.sent.set(self.sent.get() + 1);
        }
    }

    /// Whether the run has carried out every command sent to it and sent
    /// what it recorded meanwhile (or is over): what `pump` then reads is
    /// all there is up to the time granted. A recording waits for this
    /// before each frame, so that frames never depend on thread timing.
    pub fn settled(&self) -> bool {
        self.over || self.signals.has_settled(self.sent.get())
    }

    /// Lets virtual time run to the lesson's next event (paced runs).
    pub fn step(&self) {
        self.command(Command::Step);
    }

    /// How `x` would cancel `lane` now, or why it cannot.
    pub fn can_cancel(&self, lane: LaneId) -> Result<super::CancelBy, super::Refusal> {
        self.signals.cancels.check(lane)
    }

    /// Cancels a lane live, if the lesson allows it (see `can_cancel`).
    pub fn cancel(&self, lane: LaneId) {
        self.command(Command::Cancel(lane));
    }

    /// Asks the run to stop where it is.
    pub fn stop(&self) {
        self.signals.finish(EndReason::Stopped);
        let _ = self.commands.send(Command::Stop);
    }

    /// The lane whose poll is blocking the lesson thread right now, if any.
    pub fn blocked(&self) -> Option<(LaneId, Duration)> {
        self.signals.watchdog.blocked()
    }

    /// Waits (in wall time) for the run to end, at most `wall_limit`; a run
    /// still going then is declared hung. Returns the whole trace.
    pub fn wait(mut self, wall_limit: Duration) -> Trace {
        let deadline = Instant::now() + wall_limit;
        while !self.over {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let message = match self.blocked() {
                    Some((lane, d)) => {
                        let name = match self.trace.lane_name(lane) {
                            "" => format!("lane {lane}"),
                            name => format!("lane '{name}'"),
                        };
                        format!(
                            "{name} has blocked the thread for {:.1} s without yielding",
                            d.as_secs_f64()
                        )
                    }
                    None => format!(
                        "the lesson made no progress for {:.0} s of real time",
                        wall_limit.as_secs_f64()
                    ),
                };
                self.stop();
                self.end_here(EndReason::Hung, &message);
                break;
            }
            // Looks every millisecond rather than waiting on the channel: a
            // waiting reader must be woken by each batch (a system call on
            // the lesson thread, at every park of its runtime), and that
            // cost more than the recording itself.
            if !self.pump() {
                thread::sleep(left.min(HEADLESS_READ_PERIOD));
            }
        }
        std::mem::replace(
            &mut self.trace,
            Trace::new(Header {
                lesson: String::new(),
                knobs: vec![],
            }),
        )
    }

    /// Ends the trace from this side, when the lesson thread cannot.
    fn end_here(&mut self, reason: EndReason, message: &str) {
        let t_us = self.trace.last_t_us();
        let detail = self.trace.intern(message);
        self.trace.push_event(Event {
            t_us,
            lane: None,
            kind: EventKind::Log {
                level: Level::Error,
                detail,
            },
        });
        self.trace.push_event(Event {
            t_us,
            lane: None,
            kind: EventKind::End { reason },
        });
        self.over = true;
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if !self.over {
            self.stop();
        }
        self.signals.watchdog.stop();
        if let Some(watchdog) = self.watchdog.take() {
            let _ = watchdog.join();
        }
        // The lesson thread is not joined: if a lesson hangs it stays hung,
        // and the caller must not hang with it.
    }
}

/// Tells the main lane's end to the driver, even if `main` panics.
struct FinishOnDrop(Arc<Signals>);

impl Drop for FinishOnDrop {
    fn drop(&mut self) {
        self.0.finish(EndReason::Finished);
    }
}

fn lesson_thread(
    spec: RunSpec,
    pacing: Pacing,
    batch_tx: Sender<Batch>,
    command_rx: Receiver<Command>,
    signals: Arc<Signals>,
) {
    let _subscriber = super::instrument::install();
    let stall_detection = spec.clock == Clock::Virtual;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        // Tokio draws random numbers (`select!` without `biased;`, which of
        // its queues a `watch` waiter joins): seeded, every run is the same.
        .rng_seed(tokio::runtime::RngSeed::from_bytes(b"lanes"))
        .thread_name(LESSON_THREAD)
        .on_thread_park(move || before_park(stall_detection))
        .on_thread_unpark(|| {
            recorder::with(|r| {
                r.invalidate_time();
                r.signals.watchdog.set_idle(false);
            });
        })
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            let mut recorder = Recorder::new(batch_tx, spec.lesson_file, spec.clock, signals);
            recorder.runner_log(Level::Error, &format!("could not start a runtime: {e}"));
            recorder.end(EndReason::Stopped);
            recorder.flush();
            return;
        }
    };

    let reason = runtime.block_on(async {
        recorder::install(Recorder::new(
            batch_tx,
            spec.lesson_file,
            spec.clock,
            signals.clone(),
        ));
        let start = tokio::time::Instant::now();
        recorder::with(|r| {
            r.set_start(start);
            r.set_max_events(spec.max_events);
        });

        // A lesson that measures real time does not start until the
        // interface lets time run: a poll that blocks the thread at time
        // zero would otherwise pass while the learner reads the question.
        let first = if pacing == Pacing::Paced && spec.clock == Clock::Real {
            // Nothing runs before the first grant: that is a rest too.
            signals.settled(0);
            loop {
                match command_rx.recv() {
                    Ok(Command::Wake) => continue,
                    Ok(command) => break Some(command),
                    Err(_) => break Some(Command::Stop),
                }
            }
        } else {
            None
        };

        // The first timer and the first traced wait of a process pay one-time
        // costs (tokio's timer wheel, tracing's callsites). In a lesson that
        // measures real time they would count as the first lane's, and a
        // first poll made slow by them holds up the lanes after it.
        if spec.clock == Clock::Real {
            tokio::time::sleep(Duration::ZERO).await;
        }
        let entry = spec.entry.clone();
        let knobs = spec.knobs.clone();
        let main = async move { entry(knobs).await }.lane("main");
        let finished = FinishOnDrop(signals.clone());
        tokio::spawn(async move {
            let _finished = finished;
            main.await;
        });
        // So that the caller knows `main` even if its first poll never returns.
        recorder::with(|r| r.flush());

        let commands = Arc::new(Mutex::new(command_rx));
        let reason = Driver {
            pacing,
            first,
            start,
            signals: signals.clone(),
            commands,
            received: 0,
        }
        .run()
        .await;
        // Read the virtual clock while still inside the runtime: outside it,
        // tokio's `Instant::now()` is the wall clock.
        recorder::with(|r| r.freeze_time());
        reason
    });

    recorder::with(|r| {
        match reason {
            EndReason::TimeLimit => {
                let limit = super::driver::HEADLESS_TIME_LIMIT.as_secs() / 60;
                r.runner_log(
                    Level::Warn,
                    &format!("stopped after {limit} minutes of virtual time"),
                );
            }
            EndReason::TraceLimit => {
                let message = format!(
                    "stopped after {} events: the trace is full",
                    spec.max_events
                );
                r.runner_log(Level::Warn, &message);
            }
            _ => {}
        }
        // A stalled or stopped run leaves its waiting lanes as they were:
        // they did not end, they were abandoned.
        if reason != EndReason::Finished {
            r.seal();
        }
    });
    // Dropping the runtime drops every task still alive, exactly as when a
    // tokio program's main returns: those lanes are cancelled.
    recorder::with(|r| r.begin_shutdown());
    runtime.shutdown_background();
    recorder::with(|r| r.end_shutdown());
    recorder::with(|r| {
        r.end(reason);
        r.flush();
    });
    recorder::uninstall();
    // Nothing runs on this thread any more: nothing left to watch.
    signals.watchdog.stop();
}

/// Runs each time the lesson's runtime runs out of work at an instant.
fn before_park(stall_detection: bool) {
    super::instrument::switch_off_quiet_callsites();
    recorder::with(|r| {
        r.flush();
        r.signals.watchdog.set_idle(true);
        // Nothing runnable, no lesson timer that could fire: nothing can
        // ever wake the lanes that are left. Found before the run is said
        // to be at rest, so that it rests with its end (see `idle`).
        let stalled = stall_detection
            && !r.is_sealed()
            && r.signals.finished().is_none()
            && super::instrument::live_timers() <= 0;
        if stalled {
            let message = r.describe_stall();
            r.runner_log(Level::Error, &message);
            r.flush();
            r.signals.finish(EndReason::Stalled);
        }
        r.signals.idle();
    });
}

/// Keeps panics on lesson threads quiet: they are recorded as failed
/// lanes, and nothing else (no message, no terminal restore) may happen.
/// Installed once, on the first run; an interface installs its own hook
/// first (see `ui::terminal::install_panic_hook`) so that this one wraps it.
pub fn install_quiet_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if thread::current().name() != Some(LESSON_THREAD) {
                previous(info);
            }
        }));
    });
}
