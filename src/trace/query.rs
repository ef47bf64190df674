//! Questions readers ask of a trace: when did a lane end, what did it wait
//! on, what did it log. Shared by the text view, the tests and the interface.

use super::{EventKind, LaneId, Level, TextId, Trace};

/// Whether a wait label is a wait on the clock (a sleep, a timeout, an
/// interval tick) rather than on another task or resource.
pub fn is_timer_wait(on: &str) -> bool {
    on.starts_with("Sleep") || on.starts_with("Interval")
}

/// How long a sleep waits, from its label (`Sleep 500ms`, `Sleep 1.5s`,
/// `Sleep 2s`, as the recorder writes them), in microseconds.
pub fn sleep_us(on: &str) -> Option<u64> {
    let duration = on.strip_prefix("Sleep ")?;
    let (number, scale) = match duration.strip_suffix("ms") {
        Some(ms) => (ms, 1_000.0),
        None => (duration.strip_suffix('s')?, 1_000_000.0),
    };
    let value: f64 = number.parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| (value * scale).round() as u64)
}

/// How and when a lane ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LaneEnd {
    Done(u64),
    Cancelled(u64),
    Failed(u64, String),
}

impl LaneEnd {
    pub fn t_us(&self) -> u64 {
        match self {
            LaneEnd::Done(t) | LaneEnd::Cancelled(t) | LaneEnd::Failed(t, _) => *t,
        }
    }
}

/// One stretch of a lane's life in which its state did not change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaneSpan {
    pub from_us: u64,
    /// `None` while the lane is still in this state at the end of the trace.
    pub to_us: Option<u64>,
    pub state: SpanState,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpanState {
    /// Spawned, not yet polled.
    Queued,
    Running,
    Awaiting {
        on: String,
        line: Option<u32>,
    },
}

/// What a lane is doing at one instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LaneNow<'t> {
    /// Not spawned yet at that time.
    Absent,
    /// Spawned, not polled yet.
    Queued,
    /// Being polled since this time.
    Running {
        since_us: u64,
    },
    /// Parked on something since this time.
    Waiting {
        on: &'t str,
        line: Option<u32>,
        since_us: u64,
    },
    Done(u64),
    Cancelled {
        at: u64,
        /// The learner cancelled it live (`x`).
        by_you: bool,
        /// Dropped before its first poll: a future made and never awaited.
        never_polled: bool,
    },
    Failed(u64, &'t str),
}

impl LaneNow<'_> {
    pub fn has_ended(&self) -> bool {
        matches!(
            self,
            LaneNow::Done(_) | LaneNow::Cancelled { .. } | LaneNow::Failed(..)
        )
    }
}

impl Trace {
    /// The lane's state at `t_us` (events at exactly `t_us` included).
    /// A binary search in the lane's own events: the cost does not grow
    /// with the rest of the trace.
    pub fn state_at(&self, lane: LaneId, t_us: u64) -> LaneNow<'_> {
        let Some(info) = self.lane(lane) else {
            return LaneNow::Absent;
        };
        let events = self.events();
        // Most lanes, live, have had their last event by now: one read.
        let upto = match info.events.last() {
            Some(&i) if events[i as usize].t_us <= t_us => info.events.len(),
            _ => info
                .events
                .partition_point(|&i| events[i as usize].t_us <= t_us),
        };
        // The last event before `t_us` that says what the lane is doing
        // (log lines do not).
        for (k, &i) in info.events[..upto].iter().enumerate().rev() {
            let e = &events[i as usize];
            return match e.kind {
                EventKind::Spawned { .. } => LaneNow::Queued,
                EventKind::Running => LaneNow::Running { since_us: e.t_us },
                EventKind::Awaiting { on, line } => LaneNow::Waiting {
                    on: self.text(on),
                    line,
                    since_us: e.t_us,
                },
                EventKind::Done => LaneNow::Done(e.t_us),
                EventKind::Cancelled { by_you } => LaneNow::Cancelled {
                    at: e.t_us,
                    by_you,
                    // Only `spawned` came before: it never ran, so it
                    // never wrote a log line either.
                    never_polled: k == 1,
                },
                EventKind::Failed { detail } => LaneNow::Failed(e.t_us, self.text(detail)),
                EventKind::Log { .. }
                | EventKind::End { .. }
                | EventKind::Acquired { .. }
                | EventKind::Released { .. }
                | EventKind::WaitsForLock { .. } => continue,
            };
        }
        LaneNow::Absent
    }

    /// The first lane with exactly this name.
    pub fn lane_named(&self, name: &str) -> Option<LaneId> {
        (1..=self.lanes().len() as LaneId).find(|&l| self.lane_name(l) == name)
    }

    /// Every lane whose name starts with `prefix`, in creation order.
    pub fn lanes_starting_with(&self, prefix: &str) -> Vec<LaneId> {
        (1..=self.lanes().len() as LaneId)
            .filter(|&l| self.lane_name(l).starts_with(prefix))
            .collect()
    }

    pub fn parent(&self, lane: LaneId) -> Option<LaneId> {
        self.lane(lane).and_then(|info| info.parent)
    }

    /// Children of `parent` (or the top-level lanes for `None`), in order.
    pub fn children(&self, parent: Option<LaneId>) -> Vec<LaneId> {
        (1..=self.lanes().len() as LaneId)
            .filter(|&l| self.parent(l) == parent)
            .collect()
    }

    /// Every lane, parents before their children and siblings in the order
    /// they were spawned, each with its depth in the tree. One pass to group
    /// the children: a lesson may have 20,000 lanes.
    pub fn tree_order(&self) -> Vec<(LaneId, usize)> {
        let count = self.lanes().len();
        let mut rows = Vec::with_capacity(count);
        let mut children: Vec<Vec<LaneId>> = vec![Vec::new(); count + 1];
        let mut roots = Vec::new();
        for lane in 1..=count as LaneId {
            match self.parent(lane) {
                Some(parent) if (parent as usize) < children.len() => {
                    children[parent as usize].push(lane)
                }
                _ => roots.push(lane),
            }
        }
        let mut stack: Vec<(LaneId, usize)> = roots.into_iter().rev().map(|l| (l, 0)).collect();
        while let Some((lane, depth)) = stack.pop() {
            rows.push((lane, depth));
            for &child in children[lane as usize].iter().rev() {
                stack.push((child, depth + 1));
            }
        }
        rows
    }

    /// The lane's events in order.
    pub fn lane_events(&self, lane: LaneId) -> impl Iterator<Item = &super::Event> {
        let indices = self.lane(lane).map_or(&[][..], |info| &info.events[..]);
        indices.iter().map(|&i| &self.events()[i as usize])
    }

    /// How the lane ended, if it did.
    pub fn lane_end(&self, lane: LaneId) -> Option<LaneEnd> {
        self.lane_events(lane).find_map(|e| match e.kind {
            EventKind::Done => Some(LaneEnd::Done(e.t_us)),
            EventKind::Cancelled { .. } => Some(LaneEnd::Cancelled(e.t_us)),
            EventKind::Failed { detail } => Some(LaneEnd::Failed(e.t_us, self.text(detail).into())),
            _ => None,
        })
    }

    /// Whether the learner cancelled this lane live (`x`).
    pub fn cancelled_by_you(&self, lane: LaneId) -> bool {
        self.lane_events(lane)
            .any(|e| matches!(e.kind, EventKind::Cancelled { by_you: true }))
    }

    /// The lock the lane waits for at `t_us`, when its wait then is for
    /// one (`Mutex at line 14`).
    pub fn lock_waited(&self, lane: LaneId, t_us: u64) -> Option<TextId> {
        let mut lock = None;
        for e in self.lane_events(lane) {
            if e.t_us > t_us {
                break;
            }
            match e.kind {
                EventKind::Awaiting { .. } | EventKind::Running => lock = None,
                EventKind::WaitsForLock { lock: l } => lock = Some(l),
                _ => {}
            }
        }
        lock
    }

    /// Who holds `lock` at `t_us`, each with when it took it, in the order
    /// they took it (a semaphore's permits may be held by many). Reads the
    /// lock's own events only.
    pub fn lock_holders(&self, lock: TextId, t_us: u64) -> Vec<(LaneId, u64)> {
        let mut holders: Vec<(LaneId, u64)> = Vec::new();
        for &i in self.lock_events(lock) {
            let e = &self.events()[i as usize];
            if e.t_us > t_us {
                break;
            }
            let Some(lane) = e.lane else { continue };
            if matches!(e.kind, EventKind::Acquired { .. }) {
                holders.push((lane, e.t_us));
            } else if let Some(at) = holders.iter().position(|&(h, _)| h == lane) {
                holders.remove(at);
            }
        }
        holders
    }

    /// Why the run stalled, as the runner said it (the deadlock named).
    pub fn stall_report(&self) -> Option<&str> {
        if !matches!(self.end(), Some((_, super::EndReason::Stalled))) {
            return None;
        }
        self.events().iter().rev().find_map(|e| match e.kind {
            EventKind::Log {
                level: super::Level::Error,
                detail,
            } if e.lane.is_none() => Some(self.text(detail)),
            _ => None,
        })
    }

    /// A lane that ended without ever being polled: a future created and
    /// dropped, never awaited.
    pub fn never_polled(&self, lane: LaneId) -> bool {
        self.lane_end(lane).is_some() && self.first_run_us(lane).is_none()
    }

    /// When the lane was first polled.
    pub fn first_run_us(&self, lane: LaneId) -> Option<u64> {
        self.lane_events(lane)
            .find(|e| matches!(e.kind, EventKind::Running))
            .map(|e| e.t_us)
    }

    /// Every wait of the lane: (time, what, line).
    pub fn waits(&self, lane: LaneId) -> Vec<(u64, &str, Option<u32>)> {
        self.lane_events(lane)
            .filter_map(|e| match e.kind {
                EventKind::Awaiting { on, line } => Some((e.t_us, self.text(on), line)),
                _ => None,
            })
            .collect()
    }

    /// Every log line: (time, lane, level, message).
    pub fn logs(&self) -> Vec<(u64, Option<LaneId>, Level, &str)> {
        self.events()
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::Log { level, detail } => {
                    Some((e.t_us, e.lane, level, self.text(detail)))
                }
                _ => None,
            })
            .collect()
    }

    /// The time of the first log line containing `needle`.
    pub fn log_time(&self, needle: &str) -> Option<u64> {
        self.logs()
            .into_iter()
            .find(|(_, _, _, text)| text.contains(needle))
            .map(|(t, ..)| t)
    }

    /// The lane's life as consecutive spans of unchanged state.
    pub fn spans(&self, lane: LaneId) -> Vec<LaneSpan> {
        let mut spans: Vec<LaneSpan> = Vec::new();
        let open = |spans: &mut Vec<LaneSpan>, t: u64, state: Option<SpanState>| {
            if let Some(last) = spans.last_mut()
                && last.to_us.is_none()
            {
                last.to_us = Some(t);
            }
            if let Some(state) = state {
                spans.push(LaneSpan {
                    from_us: t,
                    to_us: None,
                    state,
                });
            }
        };
        for e in self.lane_events(lane) {
            match e.kind {
                EventKind::Spawned { .. } => open(&mut spans, e.t_us, Some(SpanState::Queued)),
                EventKind::Running => open(&mut spans, e.t_us, Some(SpanState::Running)),
                EventKind::Awaiting { on, line } => open(
                    &mut spans,
                    e.t_us,
                    Some(SpanState::Awaiting {
                        on: self.text(on).into(),
                        line,
                    }),
                ),
                EventKind::Done | EventKind::Cancelled { .. } | EventKind::Failed { .. } => {
                    open(&mut spans, e.t_us, None)
                }
                EventKind::Log { .. }
                | EventKind::End { .. }
                | EventKind::Acquired { .. }
                | EventKind::Released { .. }
                | EventKind::WaitsForLock { .. } => {}
            }
        }
        spans
    }

    /// The most lanes that were alive (spawned, not yet ended) at one time.
    pub fn max_alive(&self) -> usize {
        let mut alive = 0usize;
        let mut best = 0usize;
        let mut i = 0;
        let events = self.events();
        while i < events.len() {
            // Apply every event of one instant before measuring.
            let t = events[i].t_us;
            while i < events.len() && events[i].t_us == t {
                match events[i].kind {
                    EventKind::Spawned { .. } => alive += 1,
                    EventKind::Done | EventKind::Cancelled { .. } | EventKind::Failed { .. } => {
                        alive = alive.saturating_sub(1)
                    }
                    _ => {}
                }
                i += 1;
            }
            best = best.max(alive);
        }
        best
    }
}
