//! The trace: an append-only log of lane events stamped with virtual time.
//!
//! Everything else (the lanes view, the headless printout, the JSON-lines
//! export, the tests) is a reader of a [`Trace`]. The recorder on the lesson
//! thread produces [`Batch`]es; readers fold them in with [`Trace::apply`].

pub mod query;
pub mod read;
pub mod timeline;

pub use query::{LaneEnd, LaneNow, LaneSpan, SpanState};

use std::fmt;

/// How the runner's log line starts when the learner cancels a lane live.
pub const YOU_CANCELLED: &str = "you cancelled '";

/// Lanes are numbered from 1 in order of creation.
pub type LaneId = u32;

/// An index into the trace's text table (names, wait labels, messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TextId(pub(crate) u32);

/// Severity of a log line, as `tracing` has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Error,
        Level::Warn,
        Level::Info,
        Level::Debug,
        Level::Trace,
    ];

    /// The level a trace names (`"warn"`), as [`Level::as_str`] writes it.
    pub fn parse(name: &str) -> Option<Level> {
        Self::ALL.into_iter().find(|level| level.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        }
    }
}

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// The lesson's main lane finished (done or failed).
    Finished,
    /// Every unfinished lane waits on something that nothing can ever wake.
    Stalled,
    /// A poll never returned: the lesson thread is stuck inside one lane.
    Hung,
    /// The run was stopped from outside (restart, quit).
    Stopped,
    /// The headless run reached its virtual-time limit.
    TimeLimit,
    /// The trace reached its size limit.
    TraceLimit,
}

impl EndReason {
    /// Every reason, in declaration order (`reason as usize` indexes it).
    pub const ALL: [EndReason; 6] = [
        EndReason::Finished,
        EndReason::Stalled,
        EndReason::Hung,
        EndReason::Stopped,
        EndReason::TimeLimit,
        EndReason::TraceLimit,
    ];

    /// The reason a trace names (`"time limit"`), as [`EndReason::as_str`]
    /// writes it.
    pub fn parse(name: &str) -> Option<EndReason> {
        Self::ALL.into_iter().find(|reason| reason.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Finished => "finished",
            EndReason::Stalled => "stalled",
            EndReason::Hung => "hung",
            EndReason::Stopped => "stopped",
            EndReason::TimeLimit => "time limit",
            EndReason::TraceLimit => "trace limit",
        }
    }
}

/// What happened to a lane (or to the run, for `Log` without a lane and `End`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Spawned {
        name: TextId,
        parent: Option<LaneId>,
    },
    Running,
    Awaiting {
        on: TextId,
        /// Line in the lesson source, when known.
        line: Option<u32>,
    },
    Done,
    /// Dropped before it finished; `by_you` when the learner cancelled it
    /// live (`"by":"you"` in the JSON-lines trace).
    Cancelled {
        by_you: bool,
    },
    Failed {
        detail: TextId,
    },
    Log {
        level: Level,
        detail: TextId,
    },
    /// The lane took `lock` (a `Mutex`, an `RwLock`, a semaphore permit),
    /// named by where the lesson made it: `Mutex at line 14`.
    Acquired {
        lock: TextId,
    },
    /// The lane gave `lock` back (one permit, for a semaphore).
    Released {
        lock: TextId,
    },
    /// The `Awaiting` just before, for the same lane, waits for this lock
    /// (in JSON lines, a `lock` key on the `awaiting` event).
    WaitsForLock {
        lock: TextId,
    },
    End {
        reason: EndReason,
    },
}

/// One entry of the trace. 32 bytes; texts live once in the text table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub t_us: u64,
    pub lane: Option<LaneId>,
    pub kind: EventKind,
}

impl Event {
    /// True for the events that change what a lane is doing (not a log
    /// line, nor a lock taken or given back).
    pub fn is_state_change(&self) -> bool {
        matches!(
            self.kind,
            EventKind::Spawned { .. }
                | EventKind::Running
                | EventKind::Awaiting { .. }
                | EventKind::Done
                | EventKind::Cancelled { .. }
                | EventKind::Failed { .. }
        )
    }

    /// True for the three events that end a lane.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self.kind,
            EventKind::Done | EventKind::Cancelled { .. } | EventKind::Failed { .. }
        )
    }
}

/// A knob value as given to a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KnobValue {
    Int(u64),
    Bool(bool),
    Text(String),
}

impl fmt::Display for KnobValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KnobValue::Int(v) => write!(f, "{v}"),
            KnobValue::Bool(v) => write!(f, "{v}"),
            KnobValue::Text(v) => f.write_str(v),
        }
    }
}

/// The first line of a trace: which lesson ran, with which knobs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub lesson: String,
    /// In the lesson's declaration order.
    pub knobs: Vec<(String, KnobValue)>,
}

/// What the recorder hands over: new events, and the texts they introduced.
/// Texts are numbered in order, so appending them keeps every `TextId` valid.
#[derive(Debug, Default)]
pub struct Batch {
    pub texts: Vec<Box<str>>,
    pub events: Vec<Event>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty() && self.events.is_empty()
    }
}

/// Static facts about one lane, kept beside the events for quick lookup.
#[derive(Clone, Debug)]
pub struct LaneInfo {
    pub name: TextId,
    pub parent: Option<LaneId>,
    pub spawned_us: u64,
    /// Index (into the event list) of every event of this lane, in order.
    pub events: Vec<u32>,
    /// The lane's changes of state, packed, in order (what drawing reads).
    pub steps: Vec<timeline::Step>,
}

#[derive(Clone, Debug)]
pub struct Trace {
    header: Header,
    texts: Vec<Box<str>>,
    /// For each text, whether it names a wait on the clock (see
    /// `query::is_timer_wait`): drawing asks this of every wait it shows,
    /// and a flag beside the table costs one byte, not a trip to the text.
    timer_texts: Vec<bool>,
    events: Vec<Event>,
    lanes: Vec<LaneInfo>,
    /// Whether the learner has cancelled a lane live: kept as events
    /// arrive, since every frame of a finished run asks it.
    learner_cancelled: bool,
    /// For each lock, the indices of its `acquired` and `released` events:
    /// who holds it is read from these alone.
    lock_events: std::collections::HashMap<TextId, Vec<u32>>,
}

impl Trace {
    pub fn new(header: Header) -> Self {
        Trace {
            header,
            texts: Vec::new(),
            timer_texts: Vec::new(),
            events: Vec::new(),
            lanes: Vec::new(),
            learner_cancelled: false,
            lock_events: std::collections::HashMap::new(),
        }
    }

    /// Whether the learner cancelled any lane during the run (by abort or
    /// through a lesson's token): then it is not the run a question asked
    /// about.
    pub fn learner_cancelled(&self) -> bool {
        self.learner_cancelled
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn text(&self, id: TextId) -> &str {
        self.texts.get(id.0 as usize).map_or("", |t| t)
    }

    /// Whether the text names a wait on the clock (a sleep, an interval).
    pub fn is_timer_text(&self, id: TextId) -> bool {
        self.timer_texts
            .get(id.0 as usize)
            .copied()
            .unwrap_or(false)
    }

    /// Every lane, indexed by `lane id - 1`.
    pub fn lanes(&self) -> &[LaneInfo] {
        &self.lanes
    }

    pub fn lane(&self, lane: LaneId) -> Option<&LaneInfo> {
        lane.checked_sub(1).and_then(|i| self.lanes.get(i as usize))
    }

    pub fn lane_name(&self, lane: LaneId) -> &str {
        self.lane(lane).map_or("", |info| self.text(info.name))
    }

    /// Virtual time of the last event, in microseconds.
    pub fn last_t_us(&self) -> u64 {
        self.events.last().map_or(0, |e| e.t_us)
    }

    /// The `end` event, once the run is over.
    pub fn end(&self) -> Option<(u64, EndReason)> {
        match self.events.last()?.kind {
            EventKind::End { reason } => Some((self.events.last()?.t_us, reason)),
            _ => None,
        }
    }

    /// Folds a batch from the recorder into the trace.
    pub fn apply(&mut self, batch: Batch) {
        self.timer_texts
            .extend(batch.texts.iter().map(|t| query::is_timer_wait(t)));
        self.texts.extend(batch.texts);
        for event in batch.events {
            self.push(event);
        }
    }

    fn push(&mut self, event: Event) {
        // Grow by an eighth, not by doubling: a long trace wastes at most
        // 12.5% of its size in spare capacity instead of up to half.
        if self.events.len() == self.events.capacity() {
            self.events.reserve_exact((self.events.len() / 8).max(1024));
        }
        let index = self.events.len() as u32;
        if let EventKind::Spawned { name, parent } = event.kind {
            self.lanes.push(LaneInfo {
                name,
                parent,
                spawned_us: event.t_us,
                events: Vec::new(),
                steps: Vec::new(),
            });
        }
        let timer = match event.kind {
            EventKind::Awaiting { on, .. } => self.is_timer_text(on),
            _ => false,
        };
        if let EventKind::Acquired { lock } | EventKind::Released { lock } = event.kind {
            self.lock_events.entry(lock).or_default().push(index);
        }
        self.learner_cancelled |= match event.kind {
            EventKind::Cancelled { by_you } => by_you,
            EventKind::Log { detail, .. } if event.lane.is_none() => {
                self.text(detail).starts_with(YOU_CANCELLED)
            }
            _ => false,
        };
        if let Some(info) = event
            .lane
            .and_then(|l| l.checked_sub(1))
            .and_then(|i| self.lanes.get_mut(i as usize))
        {
            info.events.push(index);
            if let Some(step) = timeline::Step::of(event.t_us, &event.kind, timer) {
                info.steps.push(step);
            }
        }
        self.events.push(event);
    }

    /// Every text of the table, in `TextId` order.
    pub fn texts(&self) -> &[Box<str>] {
        &self.texts
    }

    /// Adds a text that is not yet in the table (used by readers that build
    /// traces themselves, such as tests and the run handle's own `end`).
    pub fn intern(&mut self, text: &str) -> TextId {
        self.timer_texts.push(query::is_timer_wait(text));
        self.texts.push(text.into());
        TextId(self.texts.len() as u32 - 1)
    }

    /// Appends an event made outside the recorder (the run handle's `end`
    /// when the lesson thread cannot say it, generated test traces).
    pub fn push_event(&mut self, event: Event) {
        self.push(event);
    }

    /// Approximate heap bytes held by the trace, for the memory budget.
    pub fn heap_bytes(&self) -> usize {
        let texts: usize = self.texts.iter().map(|t| t.len() + 16).sum();
        let lanes: usize = self
            .lanes
            .iter()
            .map(|l| {
                std::mem::size_of::<LaneInfo>()
                    + l.events.capacity() * 4
                    + l.steps.capacity() * std::mem::size_of::<timeline::Step>()
            })
            .sum();
        texts
            + self.timer_texts.capacity()
            + lanes
            + self.events.capacity() * std::mem::size_of::<Event>()
            + self
                .lock_events
                .values()
                .map(|v| v.capacity() * 4 + 48)
                .sum::<usize>()
    }

    /// Indices of `lock`'s `acquired` and `released` events, in order.
    pub(crate) fn lock_events(&self, lock: TextId) -> &[u32] {
        self.lock_events.get(&lock).map_or(&[], Vec::as_slice)
    }
}
