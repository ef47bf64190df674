//! A `tracing` subscriber for the lesson thread. It reads two things:
//!
//! - tokio's own resource instrumentation (compiled in by `tokio_unstable`):
//!   when a sleep, semaphore, mutex, rwlock, oneshot or barrier returns
//!   `Pending` inside a lane's poll, that lane waits on it;
//! - the lesson's log lines (`info!` and friends), which become `log` events.
//!
//! Everything else tokio emits (notably the per-task poll spans, which cost
//! tokio-console about 2 µs a poll) is switched off at the callsite, and so
//! are the parts of a sleep's instrumentation that say nothing new (see
//! `LessonSubscriber::wanted` and `quieten`). A sleep still makes, enters
//! and leaves twice, and closes a span, and sends two events: that is on
//! the hot path of every lane that waits. A lesson runtime is one thread,
//! so the span table is a thread-local: no lock, no atomics.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use foldhash::fast::FixedState;
use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

use std::borrow::Cow;

use super::recorder;
use crate::trace::{Level, TextId};

/// The lesson subscriber. Its state is the thread's `TABLE`; a span
/// touched from another thread (dropped there, say) is not that thread's
/// table's, and is left alone.
pub(crate) struct LessonSubscriber(());

thread_local! {
    static TABLE: RefCell<SpanTable> = RefCell::new(SpanTable::new());
}

/// Runs `f` on this thread's span table. A re-entrant call (a span closed
/// while the table is in use) is skipped rather than a panic.
fn with_table<R>(f: impl FnOnce(&mut SpanTable) -> R) -> Option<R> {
    TABLE.with(|table| table.try_borrow_mut().ok().map(|mut table| f(&mut table)))
}

/// Lesson timers alive now on this thread: none, with nothing runnable, is
/// a stall.
pub(crate) fn live_timers() -> isize {
    with_table(|table| table.live_timers).unwrap_or(0)
}

/// Makes a timer that is the runner's own, not the lesson's: it does not
/// keep a stalled lesson from being seen as stalled.
pub(crate) fn own_timer<T>(make: impl FnOnce() -> T) -> T {
    with_table(|table| table.in_driver = true);
    let timer = make();
    with_table(|table| table.in_driver = false);
    timer
}

/// Live spans in a slab. A span's id is, from the low bits up: its `Tag`
/// (2 bits), so that entering and leaving a span never reads the slab; its
/// slot + 1 (38 bits); and its table's number (24 bits), so that a span
/// met by another thread's table, or by a later run's, is not taken for
/// one of its own. A closed span's slot is reused (tracing allows ids to
/// be reused once closed).
#[derive(Default)]
struct SpanTable {
    /// This table's number, in the id's high bits (see `TABLE_SHIFT`).
    number: u64,
    slots: Vec<Option<SpanRecord>>,
    free: Vec<usize>,
    /// Ids of the spans entered on the lesson thread, innermost last.
    stack: Vec<u64>,
    /// Resources made so far: numbers a lock made outside the lesson file.
    resources: u32,
    /// Lesson timers alive (see `live_timers`).
    live_timers: isize,
    /// The runner is making a timer of its own (see `own_timer`).
    in_driver: bool,
    /// `Sleep 100ms`, made once per duration: a lesson may start thousands
    /// of sleeps of the same length.
    sleep_labels: HashMap<u64, TextId, FixedState>,
    /// Whether each `poll_op` callsite says ready, by its metadata's
    /// address (see `SpanTable::is_ready`).
    ready_callsites: HashMap<usize, bool, FixedState>,
    /// Callsites were quietened: tracing must be told at the next park.
    quiet_callsites_due: bool,
    last_file: LastFile,
}

/// What kind of span an id is, in its two low bits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Other = 0,
    Resource = 1,
    AsyncOp = 2,
    /// An async op that takes a lock or a permit when it completes.
    LockingOp = 3,
}

impl Tag {
    fn of(kind: &SpanKind) -> Tag {
        match kind {
            SpanKind::Resource(_) => Tag::Resource,
            SpanKind::AsyncOp {
                takes_lock: true, ..
            } => Tag::LockingOp,
            SpanKind::AsyncOp { .. } => Tag::AsyncOp,
            SpanKind::Other => Tag::Other,
        }
    }

    fn of_id(id: u64) -> Tag {
        match id & 3 {
            1 => Tag::Resource,
            2 => Tag::AsyncOp,
            3 => Tag::LockingOp,
            _ => Tag::Other,
        }
    }
}

/// Where a span id's table number starts.
const TABLE_SHIFT: u32 = 40;
const SLOT_MASK: u64 = (1 << TABLE_SHIFT) - 1;

struct SpanRecord {
    refs: usize,
    parent: Option<u64>,
    kind: SpanKind,
}

enum SpanKind {
    Resource(Resource),
    AsyncOp {
        source: Cow<'static, str>,
        /// It takes a lock or a permit when it completes (see `takes_lock`).
        takes_lock: bool,
        /// The lesson line awaiting this operation, found the first time it
        /// goes pending (`None` until then).
        caller: Option<Option<u32>>,
        /// The lane that awaits it, once it has gone pending.
        owner: Option<crate::trace::LaneId>,
    },
    /// A span we must hand out an id for but do not care about.
    Other,
}

#[derive(Default)]
struct Resource {
    concrete_type: Cow<'static, str>,
    /// Set when the resource was created in the lesson's own source.
    lesson_line: Option<u32>,
    in_lesson_file: bool,
    internal: bool,
    /// For sleeps: the duration tokio reported at the first poll.
    duration_ms: Option<u64>,
    /// A lesson timer counted in `live_timers`.
    counted_timer: bool,
    /// The wait label once made, so a re-poll does not format it again.
    label: Option<TextId>,
    /// Its number among the resources of the run.
    serial: u32,
    /// For a lock or a semaphore, its name once made: `Mutex at line 14`.
    lock: Option<TextId>,
}

impl Resource {
    /// What a lock or a semaphore is called in the trace: where the lesson
    /// made it. `None` for anything else.
    fn lock_name(&mut self) -> Option<TextId> {
        if self.lock.is_none() && is_lock_type(&self.concrete_type) {
            let name = match self.lesson_line {
                Some(line) => format!("{} at line {line}", self.concrete_type),
                None => format!("{} {}", self.concrete_type, self.serial),
            };
            self.lock = recorder::with(|r| r.label(&name));
        }
        self.lock
    }
}

fn is_lock_type(concrete_type: &str) -> bool {
    matches!(concrete_type, "Mutex" | "RwLock" | "Semaphore")
}

/// Operations that take a lock or a permit when they complete.
fn takes_lock(source: &str) -> bool {
    [
        "Mutex::lock",
        "RwLock::read",
        "RwLock::write",
        "Semaphore::acquire",
    ]
    .iter()
    .any(|op| source.starts_with(op))
}

/// What a `poll_op` event tells the recorder.
enum Polled {
    /// The lane being polled waits: on what, at which line, for which lock.
    Waits((TextId, Option<u32>, Option<TextId>)),
    /// The lane being polled took this lock or permit.
    Took(TextId),
    /// A timer said ready: of no use, and its callsite can be switched off.
    TimerReady,
}

/// Names tokio gives its resources and operations: kept without allocating.
fn known(text: &str) -> Cow<'static, str> {
    let known = match text {
        "Sleep" => "Sleep",
        "Semaphore" => "Semaphore",
        "Mutex" => "Mutex",
        "RwLock" => "RwLock",
        "Barrier" => "Barrier",
        "Sender|Receiver" => "Sender|Receiver",
        "Interval" => "Interval",
        "Sleep::new_timeout" => "Sleep::new_timeout",
        "Sleep::reset" => "Sleep::reset",
        "Semaphore::acquire" => "Semaphore::acquire",
        "Semaphore::acquire_owned" => "Semaphore::acquire_owned",
        "Mutex::lock" => "Mutex::lock",
        "RwLock::read" => "RwLock::read",
        "RwLock::write" => "RwLock::write",
        "Receiver::await" => "Receiver::await",
        "Barrier::wait" => "Barrier::wait",
        _ => return Cow::Owned(text.to_string()),
    };
    Cow::Borrowed(known)
}

const RESOURCE: &str = "runtime.resource";
const ASYNC_OP: &str = "runtime.resource.async_op";
const POLL_OP: &str = "runtime::resource::poll_op";
const STATE_UPDATE: &str = "runtime::resource::state_update";
const OP_STATE_UPDATE: &str = "runtime::resource::async_op::state_update";
/// Where tokio's `Sleep` lives, by its callsites' module path.
const TIMER_MODULE: &str = "tokio::time::sleep";

/// Makes this thread's lesson runs seen, with a fresh table. The
/// subscriber is the process's global default when it can be (no other
/// was set): tracing reaches a global one without a thread-local lookup
/// and spans made under it carry no reference count, which is most of
/// what tracing itself costs a sleep. Otherwise it is this thread's
/// default, for as long as the guard lives. Either way it is stateless:
/// its table belongs to the thread.
pub(crate) fn install() -> Option<tracing::subscriber::DefaultGuard> {
    static GLOBAL: OnceLock<bool> = OnceLock::new();
    with_table(|table| *table = SpanTable::new());
    let global = *GLOBAL
        .get_or_init(|| tracing::subscriber::set_global_default(LessonSubscriber(())).is_ok());
    (!global).then(|| tracing::subscriber::set_default(LessonSubscriber(())))
}

impl LessonSubscriber {
    fn wanted(meta: &Metadata<'_>) -> bool {
        if meta.is_span() {
            match meta.name() {
                RESOURCE => true,
                // A sleep is waited on directly: its resource span says all
                // a lane shows of it (type, line, duration), and its
                // async-op span would double every sleep's span traffic.
                ASYNC_OP => meta.module_path() != Some(TIMER_MODULE),
                _ => false,
            }
        } else {
            let target = meta.target();
            target == POLL_OP
                || target == STATE_UPDATE
                || target == OP_STATE_UPDATE
                || !(target.starts_with("tokio") || target.starts_with("runtime"))
        }
    }
}

/// Whether the lesson subscriber takes what `meta`'s callsite sends, as
/// far as it knows now. Public for the recorder's benchmark, whose floor
/// is tokio sending the same to a subscriber that does nothing.
#[doc(hidden)]
pub fn takes_callsite(meta: &'static Metadata<'static>) -> bool {
    LessonSubscriber::wanted(meta) && !is_quiet(meta)
}

/// `poll_op` callsites of the timer that say "ready", by address: three of
/// a sleep's four `poll_op` events, and of no use (a sleep takes no lock).
/// Tokio writes `is_ready` as a literal, so a callsite's first event tells
/// which it is; from then on it is switched off in every thread.
static QUIET_CALLSITES: Mutex<Vec<usize>> = Mutex::new(Vec::new());

fn callsite_address(meta: &'static Metadata<'static>) -> usize {
    meta as *const Metadata<'static> as usize
}

fn is_quiet(meta: &'static Metadata<'static>) -> bool {
    let quiet = QUIET_CALLSITES.lock().unwrap_or_else(|e| e.into_inner());
    quiet.contains(&callsite_address(meta))
}

/// Switches callsite `meta` off for good, from the next park on (see
/// `switch_off_quiet_callsites`).
fn quieten(meta: &'static Metadata<'static>) {
    let mut quiet = QUIET_CALLSITES.lock().unwrap_or_else(|e| e.into_inner());
    let address = callsite_address(meta);
    if !quiet.contains(&address) {
        quiet.push(address);
        with_table(|table| table.quiet_callsites_due = true);
    }
}

/// Makes tracing ask again which callsites are wanted, if some were
/// quietened since the last time. Tracing caches each callsite's interest;
/// rebuilding that cache is its documented way to change it, and happens a
/// few times a process at most. Called at a park, never inside a tracing
/// callback: a rebuild from there would find no subscriber, and switch
/// every callsite off.
pub(crate) fn switch_off_quiet_callsites() {
    if with_table(|table| std::mem::take(&mut table.quiet_callsites_due)) == Some(true) {
        tracing_core::callsite::rebuild_interest_cache();
    }
}

impl SpanTable {
    /// An empty table, numbered apart from every other made so far.
    fn new() -> Self {
        static TABLES: AtomicU64 = AtomicU64::new(0);
        let number = TABLES.fetch_add(1, Ordering::Relaxed) + 1;
        SpanTable {
            number: (number & ((1 << (64 - TABLE_SHIFT)) - 1)) << TABLE_SHIFT,
            ..SpanTable::default()
        }
    }

    /// The slot of span `id`, if it is one of this table's.
    fn slot_of(&self, id: u64) -> Option<usize> {
        if id & !SLOT_MASK != self.number {
            return None;
        }
        (((id & SLOT_MASK) >> 2) as usize).checked_sub(1)
    }

    fn insert(&mut self, record: SpanRecord) -> u64 {
        let tag = Tag::of(&record.kind) as u64;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = Some(record);
                slot
            }
            None => {
                self.slots.push(Some(record));
                self.slots.len() - 1
            }
        };
        self.number | ((slot as u64 + 1) << 2) | tag
    }

    fn get(&self, id: u64) -> Option<&SpanRecord> {
        self.slots.get(self.slot_of(id)?)?.as_ref()
    }

    fn get_mut(&mut self, id: u64) -> Option<&mut SpanRecord> {
        let slot = self.slot_of(id)?;
        self.slots.get_mut(slot)?.as_mut()
    }

    /// What a `poll_op` event says of the operation: ready or not. Tokio
    /// writes `is_ready` as a literal at each of its callsites (its
    /// `trace_op!` macro), so each callsite is read once and remembered:
    /// a sleep alone sends four of these events.
    fn is_ready(&mut self, event: &Event<'_>) -> Option<bool> {
        let callsite = event.metadata() as *const Metadata<'static> as usize;
        if let Some(&ready) = self.ready_callsites.get(&callsite) {
            return Some(ready);
        }
        let mut ready = ReadyField::default();
        event.record(&mut ready);
        if let Some(value) = ready.0 {
            self.ready_callsites.insert(callsite, value);
        }
        ready.0
    }

    /// Drops one reference to span `id`; true when that was the last.
    fn close(&mut self, id: u64) -> bool {
        let Some(rec) = self.get_mut(id) else {
            return false;
        };
        rec.refs -= 1;
        if rec.refs > 0 {
            return false;
        }
        if let SpanKind::Resource(r) = &rec.kind
            && r.counted_timer
        {
            self.live_timers -= 1;
        }
        // Dropped where it lies rather than moved out: records are large.
        if let Some(slot) = self.slot_of(id) {
            self.slots[slot] = None;
            self.free.push(slot);
        }
        true
    }

    /// A resource's state changed: a lock or permits given back, or a
    /// sleep's duration set.
    fn state_updated(&mut self, update: &StateUpdate) {
        let Some(resource) = self.innermost_resource() else {
            return;
        };
        if let Some(release) = update.release()
            && let Some(lock) = self.lock_of(resource)
        {
            recorder::with(|rec| rec.released(lock, release == Release::TheHolder));
        }
        if let Some(ms) = update.duration
            && let Some(SpanRecord {
                kind: SpanKind::Resource(r),
                ..
            }) = self.get_mut(resource)
            && r.duration_ms != Some(ms)
        {
            r.duration_ms = Some(ms);
            r.label = None;
        }
    }

    /// Span `id` is left: nearly always the innermost.
    fn exit(&mut self, id: u64) {
        if self.stack.last() == Some(&id) {
            self.stack.pop();
        } else if let Some(pos) = self.stack.iter().rposition(|&s| s == id) {
            self.stack.remove(pos);
        }
    }

    /// The innermost entered resource.
    fn innermost_resource(&self) -> Option<u64> {
        let found = self
            .stack
            .iter()
            .rev()
            .find(|&&id| Tag::of_id(id) == Tag::Resource);
        found.copied()
    }

    /// The innermost entered async op, or resource waited on directly (a
    /// sleep, whose async op is left off: see `wanted`).
    fn innermost_wait(&self) -> Option<u64> {
        let found = self
            .stack
            .iter()
            .rev()
            .find(|&&id| Tag::of_id(id) != Tag::Other);
        found.copied()
    }

    /// The name of resource `id`, if it is a lock or a semaphore.
    fn lock_of(&mut self, id: u64) -> Option<TextId> {
        match &mut self.get_mut(id)?.kind {
            SpanKind::Resource(resource) => resource.lock_name(),
            _ => None,
        }
    }

    /// The lock of the innermost async op, if `keep` says so of the op's
    /// source and of the lane that awaits it.
    fn op_lock(
        &mut self,
        op: u64,
        keep: impl Fn(Option<crate::trace::LaneId>) -> bool,
    ) -> Option<TextId> {
        let rec = self.get(op)?;
        let (SpanKind::AsyncOp { owner, .. }, Some(parent)) = (&rec.kind, rec.parent) else {
            return None;
        };
        if !keep(*owner) {
            return None;
        }
        self.lock_of(parent)
    }

    /// The lock that the innermost async op, just completed, took. Asked
    /// at every ready poll of every operation, so it answers from the
    /// stack alone for those that take none (a sleep, a receive).
    fn lock_taken(&mut self) -> Option<TextId> {
        let op = self.innermost_wait()?;
        if Tag::of_id(op) != Tag::LockingOp {
            return None;
        }
        self.op_lock(op, |_| true)
    }

    /// The semaphore whose permits were just handed to the innermost async
    /// op, when it belongs to another lane than the one being polled.
    fn permits_handed_over(&mut self) -> Option<TextId> {
        let op = self.innermost_wait()?;
        let current = recorder::with(|r| r.current_lane()).flatten();
        self.op_lock(op, |owner| owner.is_some() && owner != current)
    }

    /// What a lane waiting in the innermost async op (or sleep) waits on:
    /// its label (interned by the recorder, cached on the resource), line
    /// and lock.
    fn wait_target(&mut self) -> Option<(TextId, Option<u32>, Option<TextId>)> {
        let waited = self.innermost_wait()?;
        let (resource, line, takes_lock, source) = match Tag::of_id(waited) {
            // A sleep: tokio says where it is awaited.
            Tag::Resource => (waited, None, false, Cow::Borrowed("")),
            _ => {
                let (resource, line, takes_lock, source) = self.awaiting_op(waited)?;
                (resource, Some(line), takes_lock, source)
            }
        };
        let resource_slot = self.slot_of(resource)?;
        let Some(SpanRecord {
            kind: SpanKind::Resource(resource),
            ..
        }) = self.slots.get_mut(resource_slot)?
        else {
            return None;
        };
        if resource.internal {
            return None;
        }
        // A lock's or a semaphore's location is where it was created, which
        // would mark the wrong line: for those, the line found in the
        // lesson's frames.
        let line = line.unwrap_or(resource.lesson_line);
        let lock = if takes_lock {
            resource.lock_name()
        } else {
            None
        };
        if let Some(label) = resource.label {
            return Some((label, line, lock));
        }
        let text = match &*resource.concrete_type {
            "Sleep" => match resource.duration_ms {
                Some(ms) => {
                    let label = sleep_label(&mut self.sleep_labels, ms)?;
                    resource.label = Some(label);
                    return Some((label, line, lock));
                }
                None => Cow::Borrowed("Sleep"),
            },
            "Sender|Receiver" => Cow::Borrowed("oneshot recv"),
            _ if source.contains("::") => source,
            _ => resource.concrete_type.clone(),
        };
        let label = recorder::with(|r| r.label(&text))?;
        resource.label = Some(label);
        Some((label, line, lock))
    }

    /// Async op `op` goes pending: it is the current lane's from now on.
    /// Returns its resource, the lesson line awaiting it, whether it takes
    /// a lock, and its source. Tokio says where a lock, a permit or a
    /// channel was made, not where it is awaited: that line is found once
    /// per operation, in the lesson's own frames.
    fn awaiting_op(&mut self, op: u64) -> Option<(u64, Option<u32>, bool, Cow<'static, str>)> {
        let rec = self.get_mut(op)?;
        let (
            SpanKind::AsyncOp {
                source,
                takes_lock,
                caller,
                owner,
            },
            Some(parent),
        ) = (&mut rec.kind, rec.parent)
        else {
            return None;
        };
        if owner.is_none() {
            *owner = recorder::with(|r| r.current_lane()).flatten();
        }
        let line = match caller {
            Some(line) => *line,
            None => *caller.insert(recorder::with(|r| r.lesson_file()).and_then(lesson_caller)),
        };
        Some((parent, line, *takes_lock, source.clone()))
    }
}

/// The innermost line of `lesson_file` on the lesson thread's stack: where
/// the lesson awaits what is going pending now. A backtrace is slow (tens
/// of microseconds), so this runs once per operation that waits, never on
/// a poll that changes nothing. Needs line tables (see `Cargo.toml`).
fn lesson_caller(lesson_file: &'static str) -> Option<u32> {
    if lesson_file.is_empty() {
        return None;
    }
    let trace = std::backtrace::Backtrace::force_capture().to_string();
    trace.lines().find_map(|frame| {
        let at = frame.trim().strip_prefix("at ")?;
        let (file_line, _column) = at.rsplit_once(':')?;
        let (file, line) = file_line.rsplit_once(':')?;
        if file.ends_with(lesson_file) {
            line.parse().ok()
        } else {
            None
        }
    })
}

/// The label of a sleep of `ms`, made the first time that duration is seen.
fn sleep_label(labels: &mut HashMap<u64, TextId, FixedState>, ms: u64) -> Option<TextId> {
    if let Some(&label) = labels.get(&ms) {
        return Some(label);
    }
    let label = recorder::with(|r| r.label(&format!("Sleep {}", format_ms(ms))))?;
    labels.insert(ms, label);
    Some(label)
}

/// `500ms`, `2s`, `1.5s`.
pub(crate) fn format_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{}s", ms as f64 / 1000.0)
    }
}

impl Subscriber for LessonSubscriber {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if takes_callsite(meta) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        Self::wanted(meta)
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = with_table(|table| {
            let mut kind = match attrs.metadata().name() {
                RESOURCE => {
                    let mut fields = ResourceFields(Resource::default(), &mut table.last_file);
                    attrs.record(&mut fields);
                    SpanKind::Resource(fields.0)
                }
                ASYNC_OP => {
                    let mut source = SourceField::default();
                    attrs.record(&mut source);
                    SpanKind::AsyncOp {
                        takes_lock: takes_lock(&source.0),
                        source: source.0,
                        caller: None,
                        owner: None,
                    }
                }
                _ => SpanKind::Other,
            };
            let parent = match attrs.parent() {
                Some(parent) => Some(parent.into_u64()),
                None if attrs.is_contextual() => table.stack.last().copied(),
                None => None,
            };
            if let SpanKind::Resource(resource) = &mut kind {
                table.resources += 1;
                resource.serial = table.resources;
                if resource.concrete_type == "Sleep" && !table.in_driver {
                    resource.counted_timer = true;
                    table.live_timers += 1;
                }
            }
            table.insert(SpanRecord {
                refs: 1,
                parent,
                kind,
            })
        });
        // Tracing needs an id even when the table is busy: one that is
        // never in the table.
        Id::from_u64(id.unwrap_or(u64::MAX))
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let meta = event.metadata();
        match meta.target() {
            STATE_UPDATE => {
                let mut update = StateUpdate::default();
                event.record(&mut update);
                with_table(|table| table.state_updated(&update));
            }
            POLL_OP => {
                let polled = with_table(|table| match table.is_ready(event) {
                    Some(false) => table.wait_target().map(Polled::Waits),
                    Some(true) if meta.module_path() == Some(TIMER_MODULE) => {
                        Some(Polled::TimerReady)
                    }
                    Some(true) => table.lock_taken().map(Polled::Took),
                    None => None,
                });
                match polled.flatten() {
                    Some(Polled::TimerReady) => quieten(meta),
                    Some(Polled::Waits((label, line, lock))) => {
                        recorder::with(|r| r.note_wait_id(label, line, lock));
                    }
                    // A lock or a permit taken: the lane being polled holds it.
                    Some(Polled::Took(lock)) => {
                        recorder::with(|r| r.acquired(lock));
                    }
                    None => {}
                }
            }
            OP_STATE_UPDATE => {
                // Permits handed to a waiting lane by another lane's
                // release: the lane being polled gave them back.
                let mut update = StateUpdate::default();
                event.record(&mut update);
                if !update.permits_obtained {
                    return;
                }
                let lock = with_table(SpanTable::permits_handed_over).flatten();
                if let Some(lock) = lock {
                    recorder::with(|r| r.released(lock, false));
                }
            }
            _ => {
                let mut message = MessageFields::default();
                event.record(&mut message);
                let level = match *meta.level() {
                    tracing::Level::ERROR => Level::Error,
                    tracing::Level::WARN => Level::Warn,
                    tracing::Level::INFO => Level::Info,
                    tracing::Level::DEBUG => Level::Debug,
                    tracing::Level::TRACE => Level::Trace,
                };
                recorder::with(|r| r.log(level, &message.finish()));
            }
        }
    }

    fn enter(&self, span: &Id) {
        with_table(|table| table.stack.push(span.into_u64()));
    }

    fn exit(&self, span: &Id) {
        with_table(|table| table.exit(span.into_u64()));
    }

    fn clone_span(&self, span: &Id) -> Id {
        with_table(|table| {
            if let Some(rec) = table.get_mut(span.into_u64()) {
                rec.refs += 1;
            }
        });
        span.clone()
    }

    fn try_close(&self, span: Id) -> bool {
        with_table(|table| table.close(span.into_u64())).unwrap_or(false)
    }
}

struct ResourceFields<'a>(Resource, &'a mut LastFile);

/// The last source file a resource was made in, and whether it is the
/// lesson's: tokio passes the same `&'static str` for every resource made
/// on a line, so a loop's sleeps compare one pointer.
#[derive(Default)]
struct LastFile {
    at: usize,
    len: usize,
    is_lesson: bool,
}

impl LastFile {
    fn is_lesson(&mut self, file: &str) -> bool {
        if (file.as_ptr() as usize, file.len()) != (self.at, self.len) {
            self.at = file.as_ptr() as usize;
            self.len = file.len();
            self.is_lesson = recorder::with(|r| r.is_lesson_file(file)).unwrap_or(false);
        }
        self.is_lesson
    }
}

impl Visit for ResourceFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "concrete_type" => self.0.concrete_type = known(value),
            "loc.file" => self.0.in_lesson_file = self.1.is_lesson(value),
            _ => {}
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "loc.line" && self.0.in_lesson_file {
            self.0.lesson_line = Some(value as u32);
        }
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        if field.name() == "is_internal" {
            self.0.internal = value;
        }
    }
    fn record_debug(&mut self, _field: &Field, _value: &dyn fmt::Debug) {}
}

#[derive(Default)]
struct SourceField(Cow<'static, str>);

impl Visit for SourceField {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "source" {
            self.0 = known(value);
        }
    }
    fn record_debug(&mut self, _field: &Field, _value: &dyn fmt::Debug) {}
}

/// The fields of a resource's state update that lanes reads: a sleep's
/// duration, and whether a lock or permits were given back.
#[derive(Default)]
struct StateUpdate {
    duration: Option<u64>,
    unlocked: bool,
    write_unlocked: bool,
    readers_sub: bool,
    permits_add: bool,
    permits_obtained: bool,
}

/// Who gives a lock back on a release.
#[derive(PartialEq, Eq)]
enum Release {
    /// The one holder there is (a mutex, a write lock).
    TheHolder,
    /// The lane doing it (a reader, a permit).
    ThisLane,
}

impl StateUpdate {
    fn release(&self) -> Option<Release> {
        if self.unlocked || self.write_unlocked {
            Some(Release::TheHolder)
        } else if self.readers_sub || self.permits_add {
            Some(Release::ThisLane)
        } else {
            None
        }
    }
}

impl Visit for StateUpdate {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "duration" => self.duration = Some(value),
            "permits_obtained" => self.permits_obtained = value > 0,
            _ => {}
        }
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        match field.name() {
            "locked" => self.unlocked = !value,
            "write_locked" => self.write_unlocked = !value,
            _ => {}
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        match (field.name(), value) {
            ("current_readers.op", "sub") => self.readers_sub = true,
            ("permits.op", "add") => self.permits_add = true,
            _ => {}
        }
    }
    fn record_debug(&mut self, _field: &Field, _value: &dyn fmt::Debug) {}
}

#[derive(Default)]
struct ReadyField(Option<bool>);

impl Visit for ReadyField {
    fn record_bool(&mut self, field: &Field, value: bool) {
        if field.name() == "is_ready" {
            self.0 = Some(value);
        }
    }
    fn record_debug(&mut self, _field: &Field, _value: &dyn fmt::Debug) {}
}

/// A lesson's log line: the message, then `key=value` for other fields.
#[derive(Default)]
struct MessageFields {
    message: String,
    fields: String,
}

impl MessageFields {
    fn finish(self) -> String {
        match (self.message.is_empty(), self.fields.is_empty()) {
            (_, true) => self.message,
            (true, false) => self.fields,
            (false, false) => format!("{} {}", self.message, self.fields),
        }
    }
}

impl Visit for MessageFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.record_debug(field, &format_args!("{value}"));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            if !self.fields.is_empty() {
                self.fields.push(' ');
            }
            let _ = write!(self.fields, "{}={value:?}", field.name());
        }
    }
}
