//! What the parts of a run tell each other across threads: the recorder and
//! the park hooks wake the driver; the watchdog thread spots polls that
//! block the lesson thread; everyone can say the run is over.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use crate::trace::{EndReason, LaneId};

/// Commands to the driver. The interface sends grants, steps, cancels and
/// stops; the engine itself sends `Wake` so that a driver blocked waiting
/// for a grant looks at the run again.
#[derive(Debug)]
pub(crate) enum Command {
    /// Let virtual time run up to this instant (since the lesson started).
    RunUntil(Duration),
    Step,
    Cancel(LaneId),
    Stop,
    Wake,
}

pub(crate) struct Signals {
    finish: AtomicU8,
    driver: tokio::sync::Notify,
    commands: Sender<Command>,
    /// The driver is stepping and wants to hear of the next event.
    step_armed: AtomicBool,
    pub watchdog: Watchdog,
    /// Which lanes `x` may cancel, and how.
    pub cancels: super::cancel::Cancels,
    /// One more than how many of the interface's commands the run has
    /// carried out and sent the events of; 0 before the run has first come
    /// to rest (see `Run::settled`).
    handled: AtomicU64,
    /// The driver waits for its next command, having carried out this
    /// many: once the runtime has nothing left to run, that is `handled`.
    waiting_after: AtomicU64,
}

const NOT_WAITING: u64 = u64::MAX;

const NOT_FINISHED: u8 = u8::MAX;

impl Signals {
    pub fn new(commands: Sender<Command>) -> Self {
        Signals {
            finish: AtomicU8::new(NOT_FINISHED),
            driver: tokio::sync::Notify::new(),
            commands,
            step_armed: AtomicBool::new(false),
            watchdog: Watchdog::new(),
            cancels: Default::default(),
            handled: AtomicU64::new(0),
            waiting_after: AtomicU64::new(NOT_WAITING),
        }
    }

    /// Ends the run (the first reason given wins) and wakes the driver.
    pub fn finish(&self, reason: EndReason) {
        let code = reason as u8;
        if self
            .finish
            .compare_exchange(NOT_FINISHED, code, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.wake_driver();
        }
    }

    pub fn finished(&self) -> Option<EndReason> {
        EndReason::ALL
            .get(self.finish.load(Ordering::Acquire) as usize)
            .copied()
    }

    /// Wakes the driver whether it sleeps in the runtime or waits for a grant.
    pub fn wake_driver(&self) {
        self.driver.notify_one();
        let _ = self.commands.send(Command::Wake);
    }

    pub async fn driver_woken(&self) {
        self.driver.notified().await
    }

    /// The run has carried out the first `commands` commands, and flushed.
    pub fn settled(&self, commands: u64) {
        self.handled.store(commands + 1, Ordering::Release);
    }

    /// The driver has carried out `commands` commands and waits for more;
    /// lanes woken meanwhile may still run (see `idle`).
    pub fn waiting_after(&self, commands: u64) {
        self.waiting_after.store(commands, Ordering::Release);
    }

    /// The lesson's runtime has nothing left to run and has sent what it
    /// recorded: if the driver waits, the run is settled.
    pub fn idle(&self) {
        let commands = self.waiting_after.swap(NOT_WAITING, Ordering::AcqRel);
        // A run that is ending comes to rest with its end event, which the
        // reader waits for instead (`Run::settled` is true once it is
        // over). Settled now, a frame could be drawn just before the end
        // or just after it, as threads happen to run.
        if commands != NOT_WAITING && self.finished().is_none() {
            self.settled(commands);
        }
    }

    /// Whether the run has carried out `commands` commands and rested.
    pub fn has_settled(&self, commands: u64) -> bool {
        self.handled.load(Ordering::Acquire) > commands
    }

    pub fn arm_step(&self, armed: bool) {
        self.step_armed.store(armed, Ordering::Relaxed);
    }

    /// An event was recorded.
    pub fn activity(&self) {
        if self.step_armed.load(Ordering::Relaxed) {
            self.step_armed.store(false, Ordering::Relaxed);
            self.driver.notify_one();
        }
    }
}

/// Spots polls that block the lesson thread (`std::thread::sleep` in a
/// task, heavy CPU work). The lesson thread only writes a counter when an
/// outermost lane poll starts and ends; a separate thread samples it, so the
/// hot path never reads a wall clock.
pub(crate) struct Watchdog {
    /// Odd while a lane poll is in progress.
    seq: AtomicU64,
    lane: AtomicU32,
    /// The poll (its `seq`) the watchdog saw blocking, or 0.
    blocked_seq: AtomicU64,
    /// When that poll started, in ns since `origin`.
    blocked_since_ns: AtomicU64,
    origin: Instant,
    pub stop: AtomicBool,
    /// The lesson thread is parked (its runtime has nothing to do): no
    /// poll can block, so the watchdog sleeps instead of sampling.
    idle: AtomicBool,
    /// The watchdog thread, to wake when the lesson thread wakes.
    watcher: std::sync::OnceLock<std::thread::Thread>,
}

/// How often the watchdog looks. A poll shorter than this is never seen as
/// blocking; a longer one is measured to within half of it.
pub const WATCHDOG_PERIOD: Duration = Duration::from_micros(500);

impl Watchdog {
    fn new() -> Self {
        Watchdog {
            seq: AtomicU64::new(0),
            lane: AtomicU32::new(0),
            blocked_seq: AtomicU64::new(0),
            blocked_since_ns: AtomicU64::new(0),
            origin: Instant::now(),
            stop: AtomicBool::new(false),
            idle: AtomicBool::new(false),
            watcher: std::sync::OnceLock::new(),
        }
    }

    /// The lesson thread parks (true) or wakes (false). Called from the
    /// runtime's park hooks, not from polls.
    pub fn set_idle(&self, idle: bool) {
        let was = self.idle.swap(idle, Ordering::AcqRel);
        if was
            && !idle
            && let Some(watcher) = self.watcher.get()
        {
            watcher.unpark();
        }
    }

    /// Wakes the watchdog so that it sees `stop`.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        if let Some(watcher) = self.watcher.get() {
            watcher.unpark();
        }
    }

    #[inline]
    pub fn poll_started(&self, lane: LaneId) {
        // Only the lesson thread writes `seq`: a load and a store are enough.
        self.lane.store(lane, Ordering::Relaxed);
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq + 1, Ordering::Release);
    }

    /// Returns how long the poll blocked, in µs, if the watchdog saw it block.
    #[inline]
    pub fn poll_ended(&self) -> Option<u64> {
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq + 1, Ordering::Release);
        if self.blocked_seq.load(Ordering::Acquire) == 0 {
            return None;
        }
        if self.blocked_seq.swap(0, Ordering::AcqRel) != seq {
            return None;
        }
        let since = self.blocked_since_ns.load(Ordering::Acquire);
        let now = self.origin.elapsed().as_nanos() as u64;
        Some(now.saturating_sub(since) / 1_000)
    }

    /// The lane whose poll has been blocking the thread, and for how long.
    pub fn blocked(&self) -> Option<(LaneId, Duration)> {
        let blocked = self.blocked_seq.load(Ordering::Acquire);
        if blocked == 0 || blocked != self.seq.load(Ordering::Acquire) {
            return None;
        }
        let since = self.blocked_since_ns.load(Ordering::Acquire);
        let now = self.origin.elapsed().as_nanos() as u64;
        Some((
            self.lane.load(Ordering::Relaxed),
            Duration::from_nanos(now.saturating_sub(since)),
        ))
    }

    /// The watchdog thread's loop; returns when `stop` is set. While the
    /// lesson thread is parked it sleeps, so a paused lesson costs nothing.
    pub fn watch(&self) {
        let _ = self.watcher.set(std::thread::current());
        let mut last_seq = 0;
        let mut first_seen_ns = 0;
        let mut last_sample_ns = 0;
        while !self.stop.load(Ordering::Acquire) {
            if self.idle.load(Ordering::Acquire)
                && self.seq.load(Ordering::Acquire).is_multiple_of(2)
            {
                // Woken by `set_idle(false)`; the timeout is only a safety net.
                std::thread::park_timeout(Duration::from_millis(250));
                last_sample_ns = self.origin.elapsed().as_nanos() as u64;
                continue;
            }
            std::thread::sleep(WATCHDOG_PERIOD);
            let seq = self.seq.load(Ordering::Acquire);
            let now_ns = self.origin.elapsed().as_nanos() as u64;
            if seq % 2 == 1 {
                if seq != last_seq {
                    // The poll started between the last sample and this one.
                    first_seen_ns = (last_sample_ns + now_ns) / 2;
                } else if self.blocked_seq.load(Ordering::Acquire) != seq {
                    self.blocked_since_ns
                        .store(first_seen_ns, Ordering::Release);
                    self.blocked_seq.store(seq, Ordering::Release);
                }
            }
            last_seq = seq;
            last_sample_ns = now_ns;
        }
    }
}
