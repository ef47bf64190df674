//! What one column of a lanes chart shows. The interface's lanes view and
//! the text chart both draw a lane as one character per column of virtual
//! time; this is the one rule they share.
//!
//! A column covers `[start, start + cell_us)`. Sampling the state at one
//! instant of it would hide what matters whenever the column spans several
//! states (a worker's 10 ms turn holding a lock vanishes between two
//! `Mutex::lock` waits). So a column shows, in this order:
//!
//! 1. the lane's end ([`Cell::Done`], [`Cell::Cancelled`], [`Cell::Failed`])
//!    if the lane ends inside it;
//! 2. otherwise the highest-priority state the lane was in for a positive
//!    stretch of time inside it: [`Cell::Running`] > [`Cell::Timer`] (a
//!    sleep, an interval tick: see [`is_timer_wait`]) > [`Cell::Waiting`]
//!    (anything else) > [`Cell::Queued`] (spawned, not polled yet);
//! 3. a state that lasted no time (a poll that took no virtual time) does
//!    not count. Only when nothing lasted any time inside the column — which
//!    happens only at the view time: a column that starts at it, a lane
//!    spawned at it — the column shows the state in force at the view time;
//! 4. [`Cell::Empty`] before the lane's spawn, after its end, and after the
//!    view time.
//!
//! The view time `until_us` is "now": events at exactly `until_us` have
//! happened, later ones have not. A column that holds `until_us` is read
//! over `[start, until_us]` only, and later columns are empty, so a rewound
//! view draws the past exactly as it looked then.

use super::{EventKind, LaneId, Trace};

/// What one column of a lane shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cell {
    /// Nothing: before the spawn, after the end, or after the view time.
    Empty,
    /// Spawned, not polled yet.
    Queued,
    /// Being polled: the thread was busy with this lane.
    Running,
    /// Waiting on the clock (a sleep, a timeout, an interval).
    Timer,
    /// Waiting on anything else (a lock, a permit, a channel, other lanes).
    Waiting,
    /// Ended inside this column.
    Done,
    Cancelled,
    Failed,
}

impl Cell {
    /// True for the three ends of a lane.
    pub fn is_end(self) -> bool {
        matches!(self, Cell::Done | Cell::Cancelled | Cell::Failed)
    }
}

/// A state a lane can be in for a while, ordered by what a column shows
/// first (higher wins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum State {
    Queued,
    Waiting,
    Timer,
    Running,
}

impl State {
    fn cell(self) -> Cell {
        match self {
            State::Queued => Cell::Queued,
            State::Waiting => Cell::Waiting,
            State::Timer => Cell::Timer,
            State::Running => Cell::Running,
        }
    }
}

/// What an event does to a lane's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    To(State),
    End(Cell),
}

/// One change of a lane's state, packed into eight bytes: the time in the
/// high bits, what changed in the low three. The trace keeps these per lane,
/// side by side, so that drawing a lane reads one dense array instead of
/// hopping through the whole event list (where a lane's events lie far
/// apart, one cache miss each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step(u64);

impl Step {
    const BITS: u32 = 3;

    /// The step an event makes, if it changes the lane's state (`timer`:
    /// whether an `Awaiting` event waits on the clock).
    pub fn of(t_us: u64, kind: &EventKind, timer: bool) -> Option<Step> {
        let code = match kind {
            EventKind::Spawned { .. } => 0,
            EventKind::Awaiting { .. } if timer => 2,
            EventKind::Awaiting { .. } => 1,
            EventKind::Running => 3,
            EventKind::Done => 4,
            EventKind::Cancelled { .. } => 5,
            EventKind::Failed { .. } => 6,
            EventKind::Log { .. }
            | EventKind::End { .. }
            | EventKind::Acquired { .. }
            | EventKind::Released { .. }
            | EventKind::WaitsForLock { .. } => return None,
        };
        Some(Step(t_us << Self::BITS | code))
    }

    pub fn t_us(self) -> u64 {
        self.0 >> Self::BITS
    }

    fn change(self) -> Change {
        match self.0 & ((1 << Self::BITS) - 1) {
            0 => Change::To(State::Queued),
            1 => Change::To(State::Waiting),
            2 => Change::To(State::Timer),
            3 => Change::To(State::Running),
            4 => Change::End(Cell::Done),
            5 => Change::End(Cell::Cancelled),
            _ => Change::End(Cell::Failed),
        }
    }
}

/// What the lane is doing at the instant `t_us` (steps at exactly `t_us`
/// included), as a cell: `Empty` before its spawn, its end after it. All
/// that counting lanes needs, read from the lane's packed steps.
pub fn phase_at(trace: &Trace, lane: LaneId, t_us: u64) -> Cell {
    let Some(info) = trace.lane(lane) else {
        return Cell::Empty;
    };
    // Most lanes, live, have made their last step by now: one read.
    let last = match info.steps.last() {
        Some(step) if step.t_us() <= t_us => Some(*step),
        Some(_) => {
            let upto = info.steps.partition_point(|s| s.t_us() <= t_us);
            upto.checked_sub(1).map(|j| info.steps[j])
        }
        None => None,
    };
    match last.map(Step::change) {
        None => Cell::Empty,
        Some(Change::To(state)) => state.cell(),
        Some(Change::End(end)) => end,
    }
}

/// The cells of `lane` for `cells` columns of `cell_us` microseconds each,
/// the first starting at `from_us`, as seen at the view time `until_us`
/// (see the module documentation for the rule).
///
/// Always returns `cells` cells; an unknown lane or a `cell_us` of 0 gives
/// empty ones. Cost: a binary search in the lane's own steps, then O(the
/// lane's steps in `[from_us, until_us]` + `cells`), read from one dense
/// array. Never a walk over the whole trace.
pub fn paint(
    trace: &Trace,
    lane: LaneId,
    from_us: u64,
    cell_us: u64,
    cells: usize,
    until_us: u64,
) -> Vec<Cell> {
    let mut out = vec![Cell::Empty; cells];
    let Some(info) = trace.lane(lane) else {
        return out;
    };
    if cell_us == 0 || from_us > until_us {
        return out;
    }
    let steps = &info.steps[..];

    // The state in force at `from_us`: set by the last step before it
    // (`None` before the spawn).
    let mut next = steps.partition_point(|s| s.t_us() < from_us);
    let mut state = match next.checked_sub(1).map(|j| steps[j].change()) {
        Some(Change::To(s)) => Some(s),
        // Ended before the first column: nothing to draw.
        Some(Change::End(_)) => return out,
        None => None,
    };

    for (col, cell) in out.iter_mut().enumerate() {
        let start = from_us.saturating_add((col as u64).saturating_mul(cell_us));
        if start > until_us {
            break;
        }
        let stop = start.saturating_add(cell_us);
        // Read the column over [start, stop), or over [start, until_us] when
        // the view time falls inside it.
        let (limit, closed) = if until_us < stop {
            (until_us, true)
        } else {
            (stop, false)
        };
        let mut lasted: Option<State> = None;
        let mut since = start;
        while let Some(&step) = steps.get(next) {
            let t = step.t_us();
            if t > limit || (t == limit && !closed) {
                break;
            }
            next += 1;
            let new = match step.change() {
                Change::End(end) => {
                    *cell = end;
                    return out;
                }
                Change::To(s) => s,
            };
            if t > since {
                lasted = lasted.max(state);
            }
            state = Some(new);
            since = t;
        }
        if limit > since {
            lasted = lasted.max(state);
        }
        if let Some(s) = lasted.or(state) {
            *cell = s.cell();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Cell::{self, *};
    use super::{paint, phase_at};
    use crate::trace::{Event, EventKind, Header, LaneId, Level, Trace};

    fn trace() -> Trace {
        Trace::new(Header {
            lesson: "test".into(),
            knobs: Vec::new(),
        })
    }

    fn push(trace: &mut Trace, t_us: u64, lane: LaneId, kind: EventKind) {
        trace.push_event(Event {
            t_us,
            lane: Some(lane),
            kind,
        });
    }

    fn spawn(trace: &mut Trace, t_us: u64, name: &str) -> LaneId {
        let name = trace.intern(name);
        let lane = trace.lanes().len() as LaneId + 1;
        push(trace, t_us, lane, EventKind::Spawned { name, parent: None });
        lane
    }

    fn run(trace: &mut Trace, t_us: u64, lane: LaneId) {
        push(trace, t_us, lane, EventKind::Running);
    }

    fn wait(trace: &mut Trace, t_us: u64, lane: LaneId, on: &str) {
        let on = trace.intern(on);
        push(trace, t_us, lane, EventKind::Awaiting { on, line: None });
    }

    fn log(trace: &mut Trace, t_us: u64, lane: LaneId) {
        let detail = trace.intern("hello");
        push(
            trace,
            t_us,
            lane,
            EventKind::Log {
                level: Level::Info,
                detail,
            },
        );
    }

    /// The cells as the text chart's characters, for readable assertions.
    fn show(cells: &[Cell]) -> String {
        cells
            .iter()
            .map(|c| match c {
                Empty => ' ',
                Queued => '~',
                Running => '=',
                Timer => '-',
                Waiting => '.',
                Done => '*',
                Cancelled => 'x',
                Failed => '!',
            })
            .collect()
    }

    /// The mutex lesson's worker at 15 ms a column: 40 ms waits for the lock
    /// between 10 ms turns holding it (a zero-time poll at each change).
    fn mutex_worker() -> (Trace, LaneId) {
        let mut t = trace();
        let w = spawn(&mut t, 0, "worker 2");
        run(&mut t, 0, w);
        wait(&mut t, 0, w, "Mutex::lock");
        for turn in 0..10 {
            let start = 10_000 + turn * 50_000;
            run(&mut t, start, w);
            wait(&mut t, start, w, "Sleep 10ms");
            run(&mut t, start + 10_000, w);
            if turn < 9 {
                wait(&mut t, start + 10_000, w, "Mutex::lock");
            }
        }
        push(&mut t, 470_000, w, EventKind::Done);
        (t, w)
    }

    #[test]
    fn the_cell_at_an_instant_agrees_with_the_full_state() {
        let mut t = trace();
        let lane = spawn(&mut t, 100, "worker");
        run(&mut t, 100, lane);
        wait(&mut t, 100, lane, "Sleep 500ms");
        log(&mut t, 300, lane);
        run(&mut t, 600, lane);
        wait(&mut t, 600, lane, "Mutex::lock");
        push(&mut t, 900, lane, EventKind::Done);
        log(&mut t, 950, lane);
        let expected = [
            (0, Empty),
            (100, Timer),
            (300, Timer),
            (599, Timer),
            (600, Waiting),
            (899, Waiting),
            (900, Done),
            (10_000, Done),
        ];
        for (at, phase) in expected {
            assert_eq!(phase_at(&t, lane, at), phase, "at {at}");
            // The full state (with what the lane waits on) says the same.
            let full = match t.state_at(lane, at) {
                crate::trace::LaneNow::Absent => Cell::Empty,
                crate::trace::LaneNow::Waiting { on, .. } if on.starts_with("Sleep") => Timer,
                crate::trace::LaneNow::Waiting { .. } => Waiting,
                crate::trace::LaneNow::Done(_) => Done,
                other => panic!("{other:?}"),
            };
            assert_eq!(full, phase, "state_at {at}");
        }
        assert_eq!(phase_at(&t, 99, 0), Empty, "no such lane");
    }

    #[test]
    fn a_short_turn_between_two_waits_is_not_hidden() {
        let (t, w) = mutex_worker();
        let cells = paint(&t, w, 0, 15_000, 40, 600_000);
        // Every turn shows, one or two columns each, and the lane ends once.
        let chart = show(&cells);
        assert_eq!(
            chart
                .trim_end()
                .split('.')
                .filter(|r| r.contains('-'))
                .count(),
            10,
            "{chart}"
        );
        assert_eq!(chart.matches('*').count(), 1, "{chart}");
        // The first turn, [10, 20) ms, spans columns 0 and 1.
        assert_eq!(&chart[..3], "--.", "{chart}");
        // Zero-time polls never show as running.
        assert!(!chart.contains('='), "{chart}");
        // The old rule (the state at each column's start) loses turns: at
        // 15 ms a column, the state at 0, 15, 30 ... ms shows only these.
        let sampled = (0..32)
            .filter(|c| {
                let at = c * 15_000;
                (10_000..470_000).contains(&at) && (at - 10_000) % 50_000 < 10_000
            })
            .count();
        assert!(sampled < 10, "the test must be one the old rule fails");
    }

    #[test]
    fn running_beats_timer_beats_waiting_beats_queued() {
        let mut t = trace();
        let a = spawn(&mut t, 0, "a");
        // Queued [0, 2), running [2, 3), waiting [3, 5), timer [5, 7),
        // waiting again from 7.
        run(&mut t, 2, a);
        wait(&mut t, 3, a, "Mutex::lock");
        wait(&mut t, 5, a, "Sleep 1ms");
        wait(&mut t, 7, a, "join");
        assert_eq!(paint(&t, a, 0, 10, 1, 100), [Running]);
        assert_eq!(paint(&t, a, 3, 10, 1, 100), [Timer]);
        assert_eq!(paint(&t, a, 7, 10, 1, 100), [Waiting]);
        assert_eq!(paint(&t, a, 0, 2, 1, 100), [Queued]);
        assert_eq!(show(&paint(&t, a, 0, 1, 10, 100)), "~~=..--...");
    }

    #[test]
    fn a_poll_that_took_no_time_does_not_count() {
        let mut t = trace();
        let a = spawn(&mut t, 0, "a");
        run(&mut t, 0, a);
        wait(&mut t, 0, a, "Sleep 10ms");
        run(&mut t, 10, a);
        wait(&mut t, 10, a, "Mutex::lock");
        run(&mut t, 20, a);
        wait(&mut t, 25, a, "join");
        assert_eq!(show(&paint(&t, a, 0, 5, 6, 100)), "--..=.");
        // The zero-time polls at 0 and 10 sit inside a column too.
        assert_eq!(show(&paint(&t, a, 0, 20, 2, 100)), "-=");
    }

    #[test]
    fn the_end_shows_in_the_column_it_falls_in() {
        let mut t = trace();
        let a = spawn(&mut t, 0, "a");
        let b = spawn(&mut t, 0, "b");
        let c = spawn(&mut t, 0, "c");
        for lane in [a, b, c] {
            run(&mut t, 0, lane);
            wait(&mut t, 0, lane, "Sleep 1s");
        }
        push(&mut t, 25, a, EventKind::Done);
        push(&mut t, 30, b, EventKind::Cancelled { by_you: false });
        let detail = t.intern("disk full");
        run(&mut t, 39, c);
        push(&mut t, 39, c, EventKind::Failed { detail });
        assert_eq!(show(&paint(&t, a, 0, 10, 6, 100)), "--*   ");
        // An end at a column's first instant belongs to that column.
        assert_eq!(show(&paint(&t, b, 0, 10, 6, 100)), "---x  ");
        // The end wins over the running it ends in.
        assert_eq!(show(&paint(&t, c, 0, 10, 6, 100)), "---!  ");
        // A window that starts after the end is empty.
        assert_eq!(show(&paint(&t, a, 40, 10, 3, 100)), "   ");
        // A lane that ends at time zero.
        let mut t = trace();
        let z = spawn(&mut t, 0, "z");
        run(&mut t, 0, z);
        push(&mut t, 0, z, EventKind::Done);
        assert_eq!(show(&paint(&t, z, 0, 10, 3, 100)), "*  ");
    }

    #[test]
    fn nothing_before_the_spawn_and_queued_until_polled() {
        let mut t = trace();
        let main = spawn(&mut t, 0, "main");
        run(&mut t, 0, main);
        let late = spawn(&mut t, 25, "late");
        run(&mut t, 42, main);
        wait(&mut t, 45, main, "join");
        run(&mut t, 45, late);
        wait(&mut t, 50, late, "Sleep 10ms");
        assert_eq!(show(&paint(&t, late, 0, 10, 7, 100)), "  ~~=--");
        // Never polled: queued to the view time.
        let idle = spawn(&mut t, 60, "idle");
        assert_eq!(show(&paint(&t, idle, 0, 10, 10, 85)), "      ~~~ ");
    }

    #[test]
    fn nothing_after_the_view_time() {
        let mut t = trace();
        let a = spawn(&mut t, 0, "a");
        run(&mut t, 0, a);
        wait(&mut t, 0, a, "Sleep 10ms");
        run(&mut t, 10, a);
        wait(&mut t, 12, a, "Mutex::lock");
        push(&mut t, 30, a, EventKind::Done);
        // At 15 the lane is waiting on the lock; the end has not happened.
        assert_eq!(show(&paint(&t, a, 0, 5, 8, 15)), "--=.    ");
        // Read up to the view time only: at 11, [10, 11] was a poll.
        assert_eq!(show(&paint(&t, a, 0, 5, 8, 11)), "--=     ");
        // Events at exactly the view time have happened.
        assert_eq!(show(&paint(&t, a, 0, 5, 8, 30)), "--=...* ");
        assert_eq!(show(&paint(&t, a, 0, 5, 8, 0)), "-       ");
    }

    #[test]
    fn at_the_view_time_an_instant_shows_the_state_in_force() {
        let mut t = trace();
        let a = spawn(&mut t, 0, "a");
        wait(&mut t, 0, a, "join");
        let b = spawn(&mut t, 20, "b");
        run(&mut t, 20, b);
        wait(&mut t, 20, b, "Mutex::lock");
        // b was spawned, polled and parked at 20, the view time: none of it
        // took time, so the column shows what b does at the view time.
        assert_eq!(show(&paint(&t, b, 0, 10, 4, 20)), "  . ");
        assert_eq!(show(&paint(&t, b, 0, 10, 4, 25)), "  . ");
        assert_eq!(show(&paint(&t, a, 0, 10, 4, 20)), "... ");
    }

    #[test]
    fn a_window_that_starts_late_knows_the_state_in_force() {
        let mut t = trace();
        let a = spawn(&mut t, 0, "a");
        run(&mut t, 0, a);
        wait(&mut t, 0, a, "Sleep 1s");
        // Log lines are no change of state.
        for i in 0..5 {
            log(&mut t, i, a);
        }
        run(&mut t, 1_000, a);
        log(&mut t, 1_000, a);
        wait(&mut t, 1_000, a, "Notify");
        log(&mut t, 1_500, a);
        push(&mut t, 2_000, a, EventKind::Done);
        assert_eq!(show(&paint(&t, a, 500, 100, 5, 10_000)), "-----");
        assert_eq!(show(&paint(&t, a, 950, 100, 3, 10_000)), "-..");
        assert_eq!(show(&paint(&t, a, 1_600, 100, 6, 10_000)), "....* ");
        // The whole window after the end, or no lane at all.
        assert_eq!(show(&paint(&t, a, 2_100, 100, 3, 10_000)), "   ");
        assert_eq!(paint(&t, 99, 0, 100, 2, 10_000), [Empty, Empty]);
        assert_eq!(paint(&t, a, 0, 0, 2, 10_000), [Empty, Empty]);
        assert!(paint(&t, a, 0, 100, 0, 10_000).is_empty());
        // A window that starts after the view time.
        assert_eq!(show(&paint(&t, a, 1_600, 100, 2, 1_500)), "  ");
    }

    #[test]
    fn huge_times_do_not_overflow() {
        let mut t = trace();
        let a = spawn(&mut t, 0, "a");
        wait(&mut t, 0, a, "Sleep forever");
        let cells = paint(&t, a, u64::MAX - 10, u64::MAX / 2, 4, u64::MAX);
        assert_eq!(cells, [Timer, Timer, Timer, Timer]);
    }

    #[test]
    fn cost_follows_the_lanes_own_events() {
        // 200,000 events of other lanes; one lane's cells come from its own.
        let mut t = trace();
        let a = spawn(&mut t, 0, "a");
        let b = spawn(&mut t, 0, "b");
        wait(&mut t, 0, a, "Sleep 1s");
        for i in 0..100_000 {
            run(&mut t, i * 10, b);
            wait(&mut t, i * 10 + 5, b, "Mutex::lock");
        }
        push(&mut t, 1_000_000, a, EventKind::Done);
        assert_eq!(t.lane(a).unwrap().events.len(), 3);
        assert_eq!(
            show(&paint(&t, a, 0, 250_000, 5, u64::MAX)),
            "----*",
            "a lane with 3 events"
        );
    }
}
