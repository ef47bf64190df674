//! The recorder: lives in a thread-local on the lesson thread and turns lane
//! polls, tokio resource waits and `tracing` events into trace events.
//!
//! It is built for the hot path. A poll that changes nothing visible (the
//! same lane, at the same virtual instant, waiting on the same thing) records
//! nothing and reads no clock: virtual time only moves while the runtime is
//! parked, so a "epoch" counter bumped on every unpark tells whether the
//! cached time is still good.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::mpsc::Sender;

use super::cancel::{CancelBy, Role};
use super::run::Clock;
use super::signals::Signals;
use crate::trace::{Batch, EndReason, Event, EventKind, LaneId, Level, TextId, YOU_CANCELLED};

/// By default, above this many events the run is stopped, so that a lesson
/// that never ends cannot grow the trace without bound (about 50 MB).
pub const MAX_EVENTS: usize = 1_000_000;

// In a real-clock lesson every poll is timed, and what it took becomes
// virtual time in whole milliseconds (tokio's timers tick in them): a poll
// of half a millisecond or more counts, however short the block.

/// In a virtual-time lesson, a poll that blocks the thread this long is
/// worth a warning: the timeline does not show it. The bar is high so that
/// no preemption, however unlucky, can make two runs differ.
const BLOCKING_WARNING_US: u64 = 500_000;

thread_local! {
    static RECORDER: RefCell<Option<Recorder>> = const { RefCell::new(None) };
}

/// Runs `f` on this thread's recorder, if a lesson run is recording here.
/// Re-entrant calls (which cannot happen in practice) are skipped, not panics.
pub(crate) fn with<R>(f: impl FnOnce(&mut Recorder) -> R) -> Option<R> {
    RECORDER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => slot.as_mut().map(f),
        Err(_) => None,
    })
}

pub(crate) fn install(recorder: Recorder) {
    RECORDER.with(|cell| *cell.borrow_mut() = Some(recorder));
}

pub(crate) fn uninstall() -> Option<Recorder> {
    RECORDER.with(|cell| cell.borrow_mut().take())
}

/// What the current lane frame was last seen waiting on during this poll.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct WaitTarget {
    pub on: TextId,
    pub line: Option<u32>,
    /// The lock waited for, when it is one (`Mutex at line 14`).
    pub lock: Option<TextId>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// Spawned, never polled.
    Queued,
    Running,
    Waiting(WaitTarget),
    Ended,
}

struct LaneState {
    name: Box<str>,
    shown: Shown,
    /// Generation and time of the lane's last recorded event.
    epoch: u64,
    t_us: u64,
    /// The tokio task this lane is the outermost lane of, for live cancel.
    task: Option<tokio::task::Id>,
    role: Option<Role>,
    parent: Option<LaneId>,
    /// Child lanes awaited in place inside this one that have not ended.
    live_in_place_children: u32,
}

/// Saved by a lane when it starts a poll, given back when the poll ends.
pub(crate) struct Frame {
    outer_lane: Option<LaneId>,
    outer_wait: Option<WaitTarget>,
    outer_child_pending: bool,
}

pub(crate) struct Recorder {
    start: tokio::time::Instant,
    /// Bumped whenever virtual time may have moved.
    epoch: u64,
    cached_gen: u64,
    cached_now_us: u64,
    /// Virtual time lost to polls that blocked the thread, not yet handed
    /// to tokio's clock by the driver.
    debt_us: u64,
    /// Once set, time reads return this (the runtime is shutting down).
    frozen_us: Option<u64>,
    /// When the outermost poll in progress began (real-clock lessons only).
    poll_started: Option<std::time::Instant>,
    /// Tokio's clock is behind by `debt_us`: lanes must not run (and set
    /// timers against the old time) until the driver has moved it.
    behind: bool,

    lanes: Vec<LaneState>,
    current: Option<LaneId>,
    frame_wait: Option<WaitTarget>,
    frame_child_pending: bool,
    poll_depth: u32,

    batch: Batch,
    labels: HashMap<Box<str>, TextId>,
    next_text: u32,
    events: usize,
    max_events: usize,
    sealed: bool,
    tx: Sender<Batch>,

    unknown: TextId,
    join: TextId,
    lesson_file: &'static str,
    clock: Clock,
    // Live cancel: the handles and tokens lessons hand over, which task
    // each root lane is, and the lanes the learner has cancelled.
    abort_handles: HashMap<tokio::task::Id, tokio::task::AbortHandle>,
    task_roots: HashMap<tokio::task::Id, LaneId>,
    tokens: HashMap<LaneId, tokio_util::sync::CancellationToken>,
    cancelled_by_you: HashSet<LaneId>,
    /// Which lanes hold each lock (a lane once per permit it holds). In
    /// lock order, so that what a lane gives back as it ends, and a stall
    /// report, read the same on every run.
    holders: BTreeMap<TextId, Vec<LaneId>>,
    /// While the runtime shuts down, the lanes it drops, to be recorded in
    /// lane order: tokio drops tasks in an order of its own, which differs
    /// from run to run in one process.
    shutdown_cancels: Option<Vec<LaneId>>,
    pub(crate) signals: Arc<Signals>,
}

impl Recorder {
    pub(crate) fn new(
        tx: Sender<Batch>,
        lesson_file: &'static str,
        clock: Clock,
        signals: Arc<Signals>,
    ) -> Self {
        let mut recorder = Recorder {
            start: tokio::time::Instant::now(),
            epoch: 1,
            cached_gen: 0,
            cached_now_us: 0,
            debt_us: 0,
            frozen_us: None,
            poll_started: None,
            behind: false,
            lanes: Vec::new(),
            current: None,
            frame_wait: None,
            frame_child_pending: false,
            poll_depth: 0,
            batch: Batch::default(),
            labels: HashMap::new(),
            next_text: 0,
            events: 0,
            max_events: MAX_EVENTS,
            sealed: false,
            tx,
            unknown: TextId(0),
            join: TextId(0),
            lesson_file,
            clock,
            abort_handles: HashMap::new(),
            task_roots: HashMap::new(),
            tokens: HashMap::new(),
            cancelled_by_you: HashSet::new(),
            holders: BTreeMap::new(),
            shutdown_cancels: None,
            signals,
        };
        recorder.unknown = recorder.label("unknown");
        recorder.join = recorder.label("join");
        recorder
    }

    pub(crate) fn set_max_events(&mut self, max: usize) {
        self.max_events = max;
    }

    /// Sets time zero. Must be called inside the lesson's runtime.
    pub(crate) fn set_start(&mut self, start: tokio::time::Instant) {
        self.start = start;
        self.epoch += 1;
    }

    // ----- time -------------------------------------------------------

    /// Virtual microseconds since the lesson started.
    #[inline]
    pub(crate) fn now_us(&mut self) -> u64 {
        if let Some(t) = self.frozen_us {
            return t;
        }
        if self.cached_gen != self.epoch {
            let elapsed = tokio::time::Instant::now().saturating_duration_since(self.start);
            self.cached_now_us = elapsed.as_micros() as u64;
            self.cached_gen = self.epoch;
        }
        self.cached_now_us + self.debt_us
    }

    /// Virtual time may have moved (the runtime unparked, the clock was advanced).
    pub(crate) fn invalidate_time(&mut self) {
        self.epoch += 1;
    }

    /// A poll blocked the thread for this long: that much virtual time passes.
    pub(crate) fn add_debt(&mut self, us: u64) {
        self.debt_us += us;
        self.behind = true;
        self.epoch += 1;
    }

    /// Hands the blocked time to the driver, which moves tokio's clock by it
    /// before anything else runs.
    pub(crate) fn take_debt(&mut self) -> u64 {
        self.epoch += 1;
        self.behind = false;
        std::mem::take(&mut self.debt_us)
    }

    /// True while lanes must wait for the driver to move tokio's clock.
    pub(crate) fn is_behind(&self) -> bool {
        self.behind
    }

    pub(crate) fn freeze_time(&mut self) -> u64 {
        let t = self.now_us();
        self.frozen_us = Some(t);
        t
    }

    // ----- texts ------------------------------------------------------

    fn text(&mut self, text: &str) -> TextId {
        let id = TextId(self.next_text);
        self.next_text += 1;
        self.batch.texts.push(text.into());
        id
    }

    /// A text that repeats (wait labels): stored once.
    pub(crate) fn label(&mut self, label: &str) -> TextId {
        if let Some(&id) = self.labels.get(label) {
            return id;
        }
        let id = self.text(label);
        self.labels.insert(label.into(), id);
        id
    }

    /// The lesson's source as compiler locations end (`11-x/lesson.rs`).
    pub(crate) fn lesson_file(&self) -> &'static str {
        self.lesson_file
    }

    /// Whether `file` (as the compiler names it) is the lesson's own source.
    pub(crate) fn is_lesson_file(&self, file: &str) -> bool {
        !self.lesson_file.is_empty() && file.ends_with(self.lesson_file)
    }

    /// The line, if `file` is the lesson's own source.
    pub(crate) fn lesson_line(&self, file: &str, line: u32) -> Option<u32> {
        self.is_lesson_file(file).then_some(line)
    }

    // ----- events -----------------------------------------------------

    fn record(&mut self, lane: Option<LaneId>, kind: EventKind) {
        let t_us = self.now_us();
        self.record_at(t_us, lane, kind);
    }

    /// `record` with the time read already: a lane's state change reads
    /// the clock once for the check, the event and the lane's stamp.
    #[inline]
    fn record_at(&mut self, t_us: u64, lane: Option<LaneId>, kind: EventKind) {
        if self.sealed {
            return;
        }
        self.batch.events.push(Event { t_us, lane, kind });
        self.events += 1;
        self.signals.activity();
        if self.events >= self.max_events {
            self.signals.finish(EndReason::TraceLimit);
        }
    }

    /// The runtime is about to drop every task left: hold their lanes'
    /// cancellations until `end_shutdown`.
    pub(crate) fn begin_shutdown(&mut self) {
        self.shutdown_cancels = Some(Vec::new());
    }

    /// Records the cancellations of the shutdown, in lane order.
    pub(crate) fn end_shutdown(&mut self) {
        let mut lanes = self.shutdown_cancels.take().unwrap_or_default();
        lanes.sort_unstable();
        for lane in lanes {
            self.cancel_lane(lane);
        }
    }

    /// A lane's future is being dropped unfinished: what its destructors
    /// log is the lane's. Returns the lane to go back to.
    pub(crate) fn enter_drop(&mut self, lane: LaneId) -> Option<LaneId> {
        self.current.replace(lane)
    }

    pub(crate) fn leave_drop(&mut self, outer: Option<LaneId>) {
        self.current = outer;
    }

    /// Stops recording: later polls and drops leave no trace.
    pub(crate) fn seal(&mut self) {
        self.sealed = true;
    }

    pub(crate) fn end(&mut self, reason: EndReason) {
        let t_us = self.now_us();
        self.batch.events.push(Event {
            t_us,
            lane: None,
            kind: EventKind::End { reason },
        });
        self.sealed = true;
    }

    /// Sends what was recorded since the last flush to the reader.
    pub(crate) fn flush(&mut self) {
        if !self.batch.is_empty() {
            // The next batch is most likely about as long as this one (a
            // lesson's instants look alike): made that long at once, it
            // is not grown, copied and grown again event by event.
            let next = Batch {
                texts: Vec::new(),
                events: Vec::with_capacity(self.batch.events.len()),
            };
            let _ = self.tx.send(std::mem::replace(&mut self.batch, next));
        }
    }

    pub(crate) fn log(&mut self, level: Level, message: &str) {
        if self.sealed {
            return;
        }
        let detail = self.text(message);
        self.record(self.current, EventKind::Log { level, detail });
    }

    /// A message from the runner itself, not written by any lane.
    pub(crate) fn runner_log(&mut self, level: Level, message: &str) {
        let detail = self.text(message);
        self.record(None, EventKind::Log { level, detail });
    }

    // ----- lanes ------------------------------------------------------

    pub(crate) fn spawn_lane(&mut self, name: &str) -> Option<LaneId> {
        if self.sealed {
            return None;
        }
        let lane = self.lanes.len() as LaneId + 1;
        let t_us = self.now_us();
        self.lanes.push(LaneState {
            name: name.into(),
            shown: Shown::Queued,
            epoch: self.epoch,
            t_us,
            task: None,
            role: None,
            parent: self.current,
            live_in_place_children: 0,
        });
        let name = self.text(name);
        self.record(
            Some(lane),
            EventKind::Spawned {
                name,
                parent: self.current,
            },
        );
        Some(lane)
    }

    /// A lane's poll begins. Returns what the caller must give back to `leave`.
    pub(crate) fn enter(&mut self, lane: LaneId) -> Frame {
        let frame = Frame {
            outer_lane: self.current.replace(lane),
            outer_wait: self.frame_wait.take(),
            outer_child_pending: std::mem::replace(&mut self.frame_child_pending, false),
        };
        self.poll_depth += 1;
        if self.poll_depth == 1 {
            self.signals.watchdog.poll_started(lane);
            if self.clock == Clock::Real {
                self.poll_started = Some(std::time::Instant::now());
            }
        }
        let Some(index) = self.lane_index(lane) else {
            return frame;
        };
        match self.lanes[index].shown {
            Shown::Running => {}
            Shown::Queued => {
                self.first_poll(index, lane);
                let now = self.now_us();
                self.show_running(index, lane, now);
            }
            // A re-poll at the same instant shows nothing new: the lane
            // keeps its wait until the poll ends and says what it waits on
            // now.
            Shown::Waiting(_) | Shown::Ended => {
                if let Some(now) = self.moved_on(index) {
                    self.show_running(index, lane, now);
                }
            }
        }
        // In a lesson that measures real time, a poll may hold the thread
        // for long: the reader must see what happened up to its start (and
        // that it runs) while it does. Virtual-time lessons flush only
        // when the runtime parks, which keeps their polls cheap.
        if self.poll_depth == 1 && self.clock == Clock::Real {
            self.flush();
        }
        frame
    }

    /// The lane runs, from `now` on.
    fn show_running(&mut self, index: usize, lane: LaneId, now: u64) {
        self.lanes[index].shown = Shown::Running;
        self.record_at(now, Some(lane), EventKind::Running);
        self.stamp(index, now);
    }

    /// A lane's poll ended with `Pending`.
    pub(crate) fn leave_pending(&mut self, lane: LaneId, frame: Frame) {
        // A poll that changes nothing (a yield, a wake that finds nothing
        // new) at the instant of the lane's last event: it noted no wait,
        // so it still waits on what it waited on. Nothing to read or record.
        if self.frame_wait.is_none()
            && !self.frame_child_pending
            && let Some(index) = self.lane_index(lane)
            && matches!(self.lanes[index].shown, Shown::Waiting(_))
            && self.lanes[index].epoch == self.epoch
        {
            self.restore(frame, true);
            return;
        }
        let target = match self.frame_wait.take() {
            Some(target) => target,
            None if self.frame_child_pending => WaitTarget {
                on: self.join,
                line: None,
                lock: None,
            },
            // Nothing was waited on in this poll: a future that woke itself
            // to be polled again (as `FuturesOrdered` does after a round)
            // found nothing new. At the same instant, it still waits on
            // what it waited on before.
            None => {
                let now = self.now_us();
                match self.lane_index(lane).map(|i| &self.lanes[i]) {
                    Some(state) => match state.shown {
                        Shown::Waiting(before) if state.t_us == now => before,
                        // It polled no child this time (a `FuturesUnordered`
                        // polls only those woken), but children of its own
                        // are still at work inside it: it waits on them.
                        _ if state.live_in_place_children > 0 => WaitTarget {
                            on: self.join,
                            line: None,
                            lock: None,
                        },
                        _ => self.unknown_wait(),
                    },
                    None => self.unknown_wait(),
                }
            }
        };
        self.restore(frame, true);
        let Some(index) = self.lane_index(lane) else {
            return;
        };
        let now = if self.lanes[index].shown != Shown::Waiting(target) {
            Some(self.now_us())
        } else {
            self.moved_on(index)
        };
        if let Some(now) = now {
            self.lanes[index].shown = Shown::Waiting(target);
            let awaiting = EventKind::Awaiting {
                on: target.on,
                line: target.line,
            };
            self.record_at(now, Some(lane), awaiting);
            if let Some(lock) = target.lock {
                self.record_at(now, Some(lane), EventKind::WaitsForLock { lock });
            }
            self.stamp(index, now);
        }
    }

    fn unknown_wait(&self) -> WaitTarget {
        WaitTarget {
            on: self.unknown,
            line: None,
            lock: None,
        }
    }

    #[inline]
    fn lane_index(&self, lane: LaneId) -> Option<usize> {
        let index = (lane as usize).checked_sub(1)?;
        (index < self.lanes.len()).then_some(index)
    }

    /// The time now, if virtual time has moved since the lane's last
    /// event. Reads the clock only when the generation changed.
    #[inline]
    fn moved_on(&mut self, index: usize) -> Option<u64> {
        if self.lanes[index].epoch == self.epoch {
            return None;
        }
        let now = self.now_us();
        let state = &mut self.lanes[index];
        state.epoch = self.epoch;
        (now != state.t_us).then_some(now)
    }

    /// The lane's last event was at `now`.
    #[inline]
    fn stamp(&mut self, index: usize, now: u64) {
        let epoch = self.epoch;
        let state = &mut self.lanes[index];
        state.epoch = epoch;
        state.t_us = now;
    }

    /// A lane's poll ended with `Ready`, or unwound with a panic.
    pub(crate) fn leave_finished(&mut self, lane: LaneId, frame: Frame, failure: Option<String>) {
        self.frame_wait = None;
        self.restore(frame, false);
        self.finish(lane, failure);
    }

    #[inline]
    fn restore(&mut self, frame: Frame, child_pending: bool) {
        self.poll_depth -= 1;
        if self.poll_depth == 0 {
            let watched = self.signals.watchdog.poll_ended();
            // A real-clock lesson times each poll itself; the watchdog only
            // spots long blocks, and is enough for a virtual-time warning.
            let took = match self.poll_started.take() {
                Some(start) => Some(start.elapsed().as_micros() as u64),
                None => watched,
            };
            if let Some(us) = took {
                self.blocked(us);
            }
        }
        self.current = frame.outer_lane;
        self.frame_wait = frame.outer_wait;
        self.frame_child_pending = frame.outer_child_pending || child_pending;
    }

    /// The poll that just ended kept the thread for `us` of real time.
    #[cold]
    fn blocked(&mut self, us: u64) {
        match self.clock {
            // Whole milliseconds: tokio's timers tick in milliseconds, so a
            // fraction would skew every later timer a little.
            Clock::Real if us >= 500 => {
                self.add_debt((us + 500) / 1000 * 1000);
                self.signals.wake_driver();
            }
            Clock::Real => {}
            Clock::Virtual if us >= BLOCKING_WARNING_US => {
                let lane = self.current.map_or("?", |l| self.lane_name(l)).to_string();
                let message = format!(
                    "lane '{lane}' blocked the thread for {:.1} s of real time; this lesson runs \
                     on virtual time, so its timeline does not show it (see the blocking lesson)",
                    us as f64 / 1e6
                );
                self.runner_log(Level::Warn, &message);
            }
            Clock::Virtual => {}
        }
    }

    fn finish(&mut self, lane: LaneId, failure: Option<String>) {
        if !self.end_lane(lane) {
            return;
        }
        let kind = match failure {
            None => EventKind::Done,
            Some(detail) => EventKind::Failed {
                detail: self.text(&detail),
            },
        };
        self.record(Some(lane), kind);
    }

    /// The lane's future was dropped before it finished.
    pub(crate) fn cancel_lane(&mut self, lane: LaneId) {
        if let Some(later) = &mut self.shutdown_cancels {
            later.push(lane);
            return;
        }
        if self.end_lane(lane) {
            let by_you = self.cancelled_by_you.remove(&lane);
            self.record(Some(lane), EventKind::Cancelled { by_you });
        }
    }

    /// Marks the lane ended, if it was not: its parent has one child fewer
    /// at work and what it held is given back, before its final event.
    /// Returns whether it ended now.
    fn end_lane(&mut self, lane: LaneId) -> bool {
        let Some(index) = self.lane_index(lane) else {
            return false;
        };
        if self.lanes[index].shown == Shown::Ended {
            return false;
        }
        self.lanes[index].shown = Shown::Ended;
        self.child_ended(index);
        self.release_all(lane);
        true
    }

    /// Something inside the current lane's poll went pending on this.
    /// The outermost note wins, so an explicit `.awaiting(..)` beats the
    /// resource it wraps.
    pub(crate) fn note_wait(&mut self, on: &str, line: Option<u32>) {
        if self.current.is_some() {
            let on = self.label(on);
            // A label put on a lock wait keeps the lock it is about.
            let lock = self.frame_wait.and_then(|w| w.lock);
            self.frame_wait = Some(WaitTarget { on, line, lock });
        }
    }

    /// `note_wait` with a label interned already, from tokio's own
    /// instrumentation: `lock` when the wait is for a lock or a permit.
    pub(crate) fn note_wait_id(&mut self, on: TextId, line: Option<u32>, lock: Option<TextId>) {
        if self.current.is_some() {
            self.frame_wait = Some(WaitTarget { on, line, lock });
        }
    }

    // ----- who holds what ------------------------------------------

    /// The lane being polled (or dropped) now.
    pub(crate) fn current_lane(&self) -> Option<LaneId> {
        self.current
    }

    /// The lane being polled took `lock`.
    pub(crate) fn acquired(&mut self, lock: TextId) {
        let Some(lane) = self.current else { return };
        self.holders.entry(lock).or_default().push(lane);
        self.record(Some(lane), EventKind::Acquired { lock });
    }

    /// `lock` was given back by the lane being polled (or dropped). A lock
    /// with one holder at most (a mutex, a write lock) is released by
    /// whoever holds it, whichever lane drops the guard.
    pub(crate) fn released(&mut self, lock: TextId, one_holder: bool) {
        let Some(holders) = self.holders.get_mut(&lock) else {
            return;
        };
        let at = match self.current {
            Some(lane) => holders.iter().position(|&h| h == lane),
            None => None,
        };
        let at = match at {
            Some(at) => at,
            None if one_holder && !holders.is_empty() => 0,
            None => return,
        };
        let lane = holders.remove(at);
        self.record(Some(lane), EventKind::Released { lock });
    }

    /// A lane awaited in place has ended: its parent has one child fewer
    /// at work inside it.
    fn child_ended(&mut self, index: usize) {
        let state = &self.lanes[index];
        if state.role == Some(Role::InPlace)
            && let Some(parent) = state.parent.and_then(|p| self.lane_index(p))
        {
            let count = &mut self.lanes[parent].live_in_place_children;
            *count = count.saturating_sub(1);
        }
    }

    /// A lane that ends gives back what it still holds.
    fn release_all(&mut self, lane: LaneId) {
        let held: Vec<TextId> = self
            .holders
            .iter()
            .flat_map(|(&lock, lanes)| lanes.iter().filter(move |&&h| h == lane).map(move |_| lock))
            .collect();
        for lock in held {
            if let Some(lanes) = self.holders.get_mut(&lock)
                && let Some(at) = lanes.iter().position(|&h| h == lane)
            {
                lanes.remove(at);
                self.record(Some(lane), EventKind::Released { lock });
            }
        }
    }

    /// Why no lane can ever be woken, for the stall report: a cycle of
    /// lanes each holding a lock the next one waits for, when there is one,
    /// then what every other unfinished lane waits on.
    pub(crate) fn describe_stall(&self) -> String {
        let label = |id: TextId| {
            self.labels
                .iter()
                .find(|(_, v)| **v == id)
                .map_or("?", |(k, _)| &**k)
        };
        let name = |lane: LaneId| self.lane_name(lane);
        let waiting = |lane: LaneId| match self.lane_index(lane).map(|i| self.lanes[i].shown) {
            Some(Shown::Waiting(w)) => Some(w),
            _ => None,
        };
        // Follow each lock waiter to a holder that waits for a lock too.
        let next = |lane: LaneId| -> Option<(TextId, LaneId)> {
            let lock = waiting(lane)?.lock?;
            let holder = self
                .holders
                .get(&lock)?
                .iter()
                .copied()
                .find(|&h| h != lane)?;
            Some((lock, holder))
        };
        let mut cycle: Vec<(LaneId, TextId)> = Vec::new();
        for start in 1..=self.lanes.len() as LaneId {
            let mut path: Vec<(LaneId, TextId)> = Vec::new();
            let mut lane = start;
            while let Some((lock, holder)) = next(lane) {
                if let Some(at) = path.iter().position(|&(l, _)| l == lane) {
                    cycle = path.split_off(at);
                    break;
                }
                path.push((lane, lock));
                lane = holder;
            }
            if !cycle.is_empty() {
                break;
            }
        }
        let mut parts = Vec::new();
        for (k, &(lane, wants)) in cycle.iter().enumerate() {
            let holder = cycle[(k + 1) % cycle.len()].0;
            let held: Vec<&str> = self
                .holders
                .iter()
                .filter(|(_, lanes)| lanes.contains(&lane))
                .map(|(&lock, _)| label(lock))
                .collect();
            let line = waiting(lane)
                .and_then(|w| w.line)
                .map_or(String::new(), |line| format!(" at line {line}"));
            parts.push(format!(
                "'{}' holds {} and waits{line} for {}, which '{}' holds",
                name(lane),
                held.join(" and "),
                label(wants),
                name(holder),
            ));
        }
        let in_cycle = |lane: LaneId| cycle.iter().any(|&(l, _)| l == lane);
        let others: Vec<String> = self
            .lanes
            .iter()
            .enumerate()
            .filter(|&(i, _)| !in_cycle(i as LaneId + 1))
            .filter_map(|(_, s)| match s.shown {
                Shown::Ended => None,
                Shown::Waiting(w) => Some(match w.line {
                    Some(line) => format!("'{}' waits on {} (line {line})", s.name, label(w.on)),
                    None => format!("'{}' waits on {}", s.name, label(w.on)),
                }),
                Shown::Queued => Some(format!("'{}' was never polled", s.name)),
                Shown::Running => Some(format!("'{}' is running", s.name)),
            })
            .collect();
        match (parts.is_empty(), others.is_empty()) {
            (false, true) => format!(
                "no lane can ever be woken: a deadlock. {}.",
                parts.join("; ")
            ),
            (false, false) => format!(
                "no lane can ever be woken: a deadlock. {}. Meanwhile {}.",
                parts.join("; "),
                others.join("; ")
            ),
            // No lock cycle: a wake-up that will never come (a missed
            // notification, a channel no one sends on), not a deadlock.
            _ => format!("no lane can ever be woken: {}", others.join("; ")),
        }
    }

    // ----- live cancel --------------------------------------------

    /// A lane's first poll: it is either the outermost lane of a task
    /// (which its task's abort handle can cancel) or a future inside one.
    #[cold]
    fn first_poll(&mut self, index: usize, lane: LaneId) {
        let task = if self.poll_depth == 1 {
            tokio::task::try_id()
        } else {
            None
        };
        if let Some(task) = task {
            self.task_roots.insert(task, lane);
        }
        self.lanes[index].task = task;
        // The run spawns the lesson's `main` first: lane 1.
        let role = match (lane, task) {
            (1, _) => Role::Lesson,
            (_, Some(task)) if self.abort_handles.contains_key(&task) => {
                Role::Cancellable(CancelBy::Abort)
            }
            (_, Some(_)) => Role::Task,
            (_, None) => Role::InPlace,
        };
        if role == Role::InPlace
            && let Some(parent) = self.lanes[index].parent.and_then(|p| self.lane_index(p))
        {
            self.lanes[parent].live_in_place_children += 1;
        }
        self.set_role(index, lane, role);
    }

    fn set_role(&mut self, index: usize, lane: LaneId, role: Role) {
        let state = &mut self.lanes[index];
        // A token, once wired, is how this lane is cancelled.
        if state.role == Some(Role::Cancellable(CancelBy::Token)) {
            return;
        }
        state.role = Some(role);
        self.signals.cancels.set(lane, role);
    }

    /// The lesson handed over a task's abort handle (`.cancellable()`).
    pub(crate) fn allow_abort(&mut self, handle: tokio::task::AbortHandle) {
        let task = handle.id();
        self.abort_handles.insert(task, handle);
        if let Some(&lane) = self.task_roots.get(&task)
            && let Some(index) = self.lane_index(lane)
            && lane != 1
        {
            self.set_role(index, lane, Role::Cancellable(CancelBy::Abort));
        }
    }

    /// The lesson wired a token to a lane (`.cancel_with(&token)`).
    pub(crate) fn allow_token(&mut self, lane: LaneId, token: tokio_util::sync::CancellationToken) {
        if let Some(index) = self.lane_index(lane) {
            self.tokens.insert(lane, token);
            self.set_role(index, lane, Role::Cancellable(CancelBy::Token));
        }
    }

    /// The learner pressed `x` on `lane`: cancel it the way the lesson
    /// allows, and say so in the trace. Returns false if it cannot be.
    pub(crate) fn cancel_by_you(&mut self, lane: LaneId) -> bool {
        let Some(index) = self.lane_index(lane) else {
            return false;
        };
        if self.lanes[index].shown == Shown::Ended {
            return false;
        }
        let name = self.lanes[index].name.to_string();
        if let Some(token) = self.tokens.get(&lane) {
            token.cancel();
            self.runner_log(
                Level::Warn,
                &format!("{YOU_CANCELLED}{name}' through its CancellationToken"),
            );
            return true;
        }
        let handle = self.lanes[index]
            .task
            .and_then(|task| self.abort_handles.get(&task));
        match handle {
            Some(handle) => {
                handle.abort();
                self.cancelled_by_you.insert(lane);
                self.runner_log(Level::Warn, &format!("{YOU_CANCELLED}{name}' (abort)"));
                true
            }
            None => false,
        }
    }

    pub(crate) fn lane_name(&self, lane: LaneId) -> &str {
        self.lane_index(lane).map_or("?", |i| &self.lanes[i].name)
    }

    pub(crate) fn is_sealed(&self) -> bool {
        self.sealed
    }
}
