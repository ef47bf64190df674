//! One snapshot of the trace at the view time, made once per frame and
//! read by every part of the lesson screen: the rows shown with their
//! states, the counts in the status line, the code lines lanes are parked
//! on, and the selected lane's details. Views never work a lane's state out
//! for themselves, so they cannot disagree.
//!
//! Its cost follows the lanes, not the events: each lane's state is a
//! binary search in that lane's own events.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::trace::query::sleep_us;
use crate::trace::timeline::{Cell, phase_at};
use crate::trace::{EventKind, LaneId, LaneNow, Trace};

use super::lesson::{LessonState, Row, scroll_to_keep};
use super::view::code::Marker;

/// A row on screen and what its lane does at the view time.
#[derive(Clone, Debug, PartialEq)]
pub struct ShownRow<'t> {
    pub row: Row,
    pub now: LaneNow<'t>,
    /// The lane whose poll holds the thread right now (a blocking call).
    pub blocking: bool,
    /// A lane whose timer is due but cannot fire while another poll holds
    /// the thread: how late it is at the view time.
    pub late_us: Option<u64>,
    /// For a folded parent: its children at the view time.
    pub folded: Option<Tally>,
}

/// How many lanes are in each state at one time.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Tally {
    pub total: usize,
    pub queued: usize,
    pub running: usize,
    pub waiting: usize,
    pub done: usize,
    pub cancelled: usize,
    pub failed: usize,
}

impl Tally {
    fn add(&mut self, now: Cell) {
        match now {
            Cell::Empty => return,
            Cell::Queued => self.queued += 1,
            Cell::Running => self.running += 1,
            Cell::Timer | Cell::Waiting => self.waiting += 1,
            Cell::Done => self.done += 1,
            Cell::Cancelled => self.cancelled += 1,
            Cell::Failed => self.failed += 1,
        }
        self.total += 1;
    }

    /// Lanes alive: spawned and not ended.
    pub fn live(&self) -> usize {
        self.queued + self.running + self.waiting
    }

    pub fn ended(&self) -> usize {
        self.done + self.cancelled + self.failed
    }

    /// "21 lanes: 3 running, 12 waiting, 6 done" (states with no lane left
    /// out, "1 lane" in the singular).
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            (self.running, "running"),
            (self.waiting, "waiting"),
            (self.queued, "not polled"),
            (self.done, "done"),
            (self.cancelled, "cancelled"),
            (self.failed, "failed"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        let lanes = plural(self.total, "lane", "lanes");
        if parts.is_empty() {
            lanes
        } else {
            format!("{lanes}: {}", parts.join(", "))
        }
    }
}

/// `1 lane`, `2 lanes`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The selected lane, summed up to the view time.
#[derive(Clone, Debug, PartialEq)]
pub struct Details<'t> {
    pub lane: LaneId,
    pub name: &'t str,
    pub parent: Option<&'t str>,
    pub spawned_us: u64,
    pub polls: usize,
    pub now: LaneNow<'t>,
    pub blocking: bool,
    pub running_us: u64,
    /// Time waited on each thing, in order of first wait.
    pub waited: Vec<(&'t str, u64)>,
    /// When it waits for a lock: the lock, and who holds it (with since
    /// when).
    pub lock: Option<(&'t str, Vec<(&'t str, u64)>)>,
}

/// The lane whose poll is holding the lesson's only thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocking {
    pub lane: LaneId,
    /// Real time the poll has held the thread so far.
    pub held: Duration,
}

pub struct Snapshot<'t> {
    pub trace: &'t Trace,
    pub view_us: u64,
    /// Every row at the view time, in tree order.
    pub rows: Vec<Row>,
    /// Index of the first row shown: the learner's scroll, moved only as
    /// far as it takes to keep the selected lane on screen.
    pub scroll: usize,
    /// The rows shown, from `scroll` on.
    pub shown: Vec<ShownRow<'t>>,
    /// Every lane spawned by the view time.
    pub counts: Tally,
    /// Code lines lanes are parked on.
    pub markers: Vec<Marker>,
    pub details: Option<Details<'t>>,
    pub blocking: Option<Blocking>,
}

impl<'t> Snapshot<'t> {
    /// The snapshot of `state`. `fit` says how many rows the screen has
    /// room for, given how many rows there are and the selection's details
    /// (which take room of their own).
    pub fn of(
        state: &'t LessonState,
        fit: impl FnOnce(usize, Option<&Details<'t>>) -> usize,
    ) -> Snapshot<'t> {
        let trace = state.trace();
        let view_us = state.view_us();
        // What blocks the thread is news of the live run, not the past.
        let blocking = (!state.is_rewound())
            .then(|| state.playback.run().blocked())
            .flatten()
            .map(|(lane, held)| Blocking { lane, held });
        let rows = state.rows();
        let now_of = |lane: LaneId| {
            let now = trace.state_at(lane, view_us);
            match (blocking, &now) {
                // The blocking poll's `running` may still be on its way.
                (Some(b), LaneNow::Queued | LaneNow::Waiting { .. }) if b.lane == lane => {
                    LaneNow::Running { since_us: view_us }
                }
                _ => now,
            }
        };
        // Counting needs only each lane's phase, read from its packed steps.
        let phase_of = |lane: LaneId| match phase_at(trace, lane, view_us) {
            Cell::Queued | Cell::Timer | Cell::Waiting
                if blocking.is_some_and(|b| b.lane == lane) =>
            {
                Cell::Running
            }
            phase => phase,
        };
        let details = state
            .selected
            .map(|lane| details(trace, lane, view_us, now_of(lane), blocking));
        let fit = fit(rows.len(), details.as_ref());
        let selected_index = state
            .selected
            .and_then(|lane| rows.iter().position(|r| r.lane == lane));
        let mut scroll = state
            .lanes_scroll
            .min(rows.len().saturating_sub(fit.max(1)));
        if let Some(index) = selected_index {
            scroll = scroll_to_keep(scroll, index, fit);
        }
        let shown = rows
            .iter()
            .skip(scroll)
            .take(fit)
            .map(|row| ShownRow {
                row: *row,
                now: now_of(row.lane),
                blocking: blocking.is_some_and(|b| b.lane == row.lane),
                late_us: blocking.and_then(|_| late_us(&now_of(row.lane), view_us)),
                folded: row.folded.then(|| {
                    let mut tally = Tally::default();
                    for child in trace.children(Some(row.lane)) {
                        tally.add(phase_of(child));
                    }
                    tally
                }),
            })
            .collect();
        let mut counts = Tally::default();
        let mut parked: BTreeMap<u32, (usize, &'t str)> = BTreeMap::new();
        for lane in 1..=trace.lanes().len() as LaneId {
            let phase = phase_of(lane);
            // Only a waiting lane has a line to mark: only then is its
            // wait looked up.
            if matches!(phase, Cell::Timer | Cell::Waiting)
                && let LaneNow::Waiting {
                    on,
                    line: Some(line),
                    ..
                } = now_of(lane)
            {
                parked.entry(line).or_insert((0, on)).0 += 1;
            }
            counts.add(phase);
        }
        let markers = parked
            .into_iter()
            .map(|(line, (count, on))| Marker {
                line,
                label: format!("{}: {on}", plural(count, "lane", "lanes")),
            })
            .collect();
        Snapshot {
            trace,
            view_us,
            rows,
            scroll,
            shown,
            counts,
            markers,
            details,
            blocking,
        }
    }
}

fn details<'t>(
    trace: &'t Trace,
    lane: LaneId,
    until_us: u64,
    now: LaneNow<'t>,
    blocking: Option<Blocking>,
) -> Details<'t> {
    let mut d = Details {
        lane,
        name: trace.lane_name(lane),
        parent: trace.parent(lane).map(|p| trace.lane_name(p)),
        spawned_us: trace.lane(lane).map_or(0, |l| l.spawned_us),
        polls: 0,
        now,
        blocking: blocking.is_some_and(|b| b.lane == lane),
        running_us: 0,
        waited: Vec::new(),
        lock: None,
    };
    if let LaneNow::Waiting { .. } = d.now
        && let Some(lock) = trace.lock_waited(lane, until_us)
    {
        let holders = trace
            .lock_holders(lock, until_us)
            .into_iter()
            .map(|(h, since)| (trace.lane_name(h), since))
            .collect();
        d.lock = Some((trace.text(lock), holders));
    }
    // (since, waiting on) of the stretch in progress.
    let mut open: Option<(u64, Option<&'t str>)> = None;
    let close = |d: &mut Details<'t>, open: &mut Option<(u64, Option<&'t str>)>, t: u64| {
        if let Some((since, on)) = open.take() {
            let span = t.saturating_sub(since);
            match on {
                None => d.running_us += span,
                Some(on) => match d.waited.iter_mut().find(|(o, _)| *o == on) {
                    Some(entry) => entry.1 += span,
                    None => d.waited.push((on, span)),
                },
            }
        }
    };
    for event in trace.lane_events(lane) {
        if event.t_us > until_us {
            break;
        }
        match event.kind {
            EventKind::Running => {
                close(&mut d, &mut open, event.t_us);
                d.polls += 1;
                open = Some((event.t_us, None));
            }
            EventKind::Awaiting { on, .. } => {
                close(&mut d, &mut open, event.t_us);
                open = Some((event.t_us, Some(trace.text(on))));
            }
            EventKind::Done | EventKind::Cancelled { .. } | EventKind::Failed { .. } => {
                close(&mut d, &mut open, event.t_us);
            }
            _ => {}
        }
    }
    close(&mut d, &mut open, until_us);
    d
}

/// How long past its deadline a sleeping lane is at `view_us`, if it is.
fn late_us(now: &LaneNow<'_>, view_us: u64) -> Option<u64> {
    let LaneNow::Waiting { on, since_us, .. } = now else {
        return None;
    };
    let due = since_us + sleep_us(on)?;
    (view_us > due).then(|| view_us - due)
}

/// Rows with their lanes' states at `view_us`, for drawing the lanes view
/// without a lesson around it (benchmarks, tests, a trace file).
pub fn shown_rows<'t>(trace: &'t Trace, rows: &[Row], view_us: u64) -> Vec<ShownRow<'t>> {
    rows.iter()
        .map(|row| ShownRow {
            row: *row,
            now: trace.state_at(row.lane, view_us),
            blocking: false,
            late_us: None,
            folded: row.folded.then(|| {
                let mut tally = Tally::default();
                for child in trace.children(Some(row.lane)) {
                    tally.add(phase_at(trace, child, view_us));
                }
                tally
            }),
        })
        .collect()
}
