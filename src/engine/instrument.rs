//! A `tracing` subscriber for the lesson thread. It reads two things:
//!
//! - tokio's own resource instrumentation (compiled in by `tokio_unstable`):
//!   when a sleep, semaphore, mutex, rwlock, oneshot or barrier returns
//!   `Pending` inside a lane's poll, that lane waits on it;
//! - the lesson's log lines (`info!` and friends), which become `log` events.
//!
//! Everything else tokio emits (notably the per-task poll spans, which cost
//! tokio-console about 2 µs a poll) is switched off at the callsite.

use std::fmt::{self, Write as _};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

use std::borrow::Cow;

use super::recorder;
use super::signals::Signals;
use crate::trace::{Level, TextId};

pub(crate) struct LessonSubscriber {
    table: Mutex<SpanTable>,
    signals: Arc<Signals>,
}

/// Live spans in a slab: a span's id is its slot + 1, and a closed span's
/// slot is reused (tracing allows ids to be reused once closed).
#[derive(Default)]
struct SpanTable {
    slots: Vec<Option<SpanRecord>>,
    free: Vec<usize>,
    /// Spans entered on the lesson thread, innermost last.
    stack: Vec<u64>,
    /// Resources made so far: numbers a lock made outside the lesson file.
    resources: u32,
}

struct SpanRecord {
    refs: usize,
    parent: Option<u64>,
    kind: SpanKind,
}

enum SpanKind {
    Resource(Resource),
    AsyncOp {
        source: Cow<'static, str>,
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

/// Names tokio gives its resources and operations: kept without allocating.
fn known(text: &str) -> Cow<'static, str> {
    const KNOWN: [&str; 16] = [
        "Sleep",
        "Semaphore",
        "Mutex",
        "RwLock",
        "Barrier",
        "Sender|Receiver",
        "Interval",
        "Sleep::new_timeout",
        "Sleep::reset",
        "Semaphore::acquire",
        "Semaphore::acquire_owned",
        "Mutex::lock",
        "RwLock::read",
        "RwLock::write",
        "Receiver::await",
        "Barrier::wait",
    ];
    match KNOWN.iter().find(|k| **k == text) {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(text.to_string()),
    }
}

const RESOURCE: &str = "runtime.resource";
const ASYNC_OP: &str = "runtime.resource.async_op";
const POLL_OP: &str = "runtime::resource::poll_op";
const STATE_UPDATE: &str = "runtime::resource::state_update";
const OP_STATE_UPDATE: &str = "runtime::resource::async_op::state_update";

impl LessonSubscriber {
    pub(crate) fn new(signals: Arc<Signals>) -> Self {
        LessonSubscriber {
            table: Mutex::new(SpanTable::default()),
            signals,
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, SpanTable> {
        self.table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wanted(meta: &Metadata<'_>) -> bool {
        if meta.is_span() {
            matches!(meta.name(), RESOURCE | ASYNC_OP)
        } else {
            let target = meta.target();
            target == POLL_OP
                || target == STATE_UPDATE
                || target == OP_STATE_UPDATE
                || !(target.starts_with("tokio") || target.starts_with("runtime"))
        }
    }
}

impl SpanTable {
    fn insert(&mut self, record: SpanRecord) -> u64 {
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
        slot as u64 + 1
    }

    fn get(&self, id: u64) -> Option<&SpanRecord> {
        self.slots.get((id as usize).checked_sub(1)?)?.as_ref()
    }

    fn get_mut(&mut self, id: u64) -> Option<&mut SpanRecord> {
        self.slots.get_mut((id as usize).checked_sub(1)?)?.as_mut()
    }

    fn remove(&mut self, id: u64) -> Option<SpanRecord> {
        let slot = (id as usize).checked_sub(1)?;
        let record = self.slots.get_mut(slot)?.take();
        if record.is_some() {
            self.free.push(slot);
        }
        record
    }

    /// The innermost entered span of the given kind.
    fn innermost(&self, pick: impl Fn(&SpanKind) -> bool) -> Option<u64> {
        self.stack
            .iter()
            .rev()
            .copied()
            .find(|&id| self.get(id).is_some_and(|rec| pick(&rec.kind)))
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
        keep: impl Fn(&str, Option<crate::trace::LaneId>) -> bool,
    ) -> Option<TextId> {
        let op = self.innermost(|k| matches!(k, SpanKind::AsyncOp { .. }))?;
        let rec = self.get(op)?;
        let (SpanKind::AsyncOp { source, owner, .. }, Some(parent)) = (&rec.kind, rec.parent)
        else {
            return None;
        };
        if !keep(source, *owner) {
            return None;
        }
        self.lock_of(parent)
    }

    /// The lock that the innermost async op, just completed, took.
    fn lock_taken(&mut self) -> Option<TextId> {
        self.op_lock(|source, _| takes_lock(source))
    }

    /// The semaphore whose permits were just handed to the innermost async
    /// op, when it belongs to another lane than the one being polled.
    fn permits_handed_over(&mut self) -> Option<TextId> {
        let current = recorder::with(|r| r.current_lane()).flatten();
        self.op_lock(|_, owner| owner.is_some() && owner != current)
    }

    /// What a lane waiting in the innermost async op waits on: its label
    /// (interned by the recorder, cached on the resource) and line.
    fn wait_target(&mut self) -> Option<(TextId, Option<u32>, Option<TextId>)> {
        let op = self.innermost(|k| matches!(k, SpanKind::AsyncOp { .. }))?;
        let is_sleep = self
            .get(op)
            .and_then(|rec| self.get(rec.parent?))
            .is_some_and(
                |rec| matches!(&rec.kind, SpanKind::Resource(r) if r.concrete_type == "Sleep"),
            );
        let rec = self.get_mut(op)?;
        let (
            SpanKind::AsyncOp {
                source,
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
        let waits_for_lock = takes_lock(source);
        // Tokio says where a sleep is awaited, but of a lock, a permit or a
        // channel only where it was made: the awaiting line is found once
        // per operation, in the lesson's own frames.
        let awaited_at = match caller {
            _ if is_sleep => None,
            Some(line) => *line,
            None => *caller.insert(recorder::with(|r| r.lesson_file()).and_then(lesson_caller)),
        };
        let source = source.clone();
        let Some(SpanRecord {
            kind: SpanKind::Resource(resource),
            ..
        }) = self.get_mut(parent)
        else {
            return None;
        };
        if resource.internal {
            return None;
        }
        // A sleep's location is where it is awaited; a lock's or a
        // semaphore's is where it was created, which would mark the wrong
        // line: for those, the line found in the lesson's frames.
        let line = if is_sleep {
            resource.lesson_line
        } else {
            awaited_at
        };
        let lock = if waits_for_lock {
            resource.lock_name()
        } else {
            None
        };
        if let Some(label) = resource.label {
            return Some((label, line, lock));
        }
        let text = match &*resource.concrete_type {
            "Sleep" => match resource.duration_ms {
                Some(ms) => Cow::Owned(format!("Sleep {}", format_ms(ms))),
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
        if Self::wanted(meta) {
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
        let mut table = self.table();
        let parent = match attrs.parent() {
            Some(parent) => Some(parent.into_u64()),
            None if attrs.is_contextual() => table.stack.last().copied(),
            None => None,
        };
        let kind = match attrs.metadata().name() {
            RESOURCE => {
                let mut fields = ResourceFields::default();
                attrs.record(&mut fields);
                let mut resource = fields.0;
                table.resources += 1;
                resource.serial = table.resources;
                if resource.concrete_type == "Sleep"
                    && !self.signals.in_driver.load(Ordering::Relaxed)
                {
                    resource.counted_timer = true;
                    self.signals.live_timers.fetch_add(1, Ordering::Relaxed);
                }
                SpanKind::Resource(resource)
            }
            ASYNC_OP => {
                let mut source = SourceField::default();
                attrs.record(&mut source);
                SpanKind::AsyncOp {
                    source: source.0,
                    caller: None,
                    owner: None,
                }
            }
            _ => SpanKind::Other,
        };
        Id::from_u64(table.insert(SpanRecord {
            refs: 1,
            parent,
            kind,
        }))
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let meta = event.metadata();
        match meta.target() {
            STATE_UPDATE => {
                let mut update = StateUpdate::default();
                event.record(&mut update);
                if let Some(release) = update.release() {
                    let mut table = self.table();
                    let resource = table.innermost(|k| matches!(k, SpanKind::Resource(_)));
                    if let Some(lock) = resource.and_then(|id| table.lock_of(id)) {
                        recorder::with(|rec| rec.released(lock, release == Release::TheHolder));
                    }
                }
                if let Some(ms) = update.duration {
                    let mut table = self.table();
                    let resource = table.innermost(|k| matches!(k, SpanKind::Resource(_)));
                    if let Some(SpanRecord {
                        kind: SpanKind::Resource(r),
                        ..
                    }) = resource.and_then(|id| table.get_mut(id))
                        && r.duration_ms != Some(ms)
                    {
                        r.duration_ms = Some(ms);
                        r.label = None;
                    }
                }
            }
            POLL_OP => {
                let mut ready = ReadyField::default();
                event.record(&mut ready);
                match ready.0 {
                    Some(false) => {
                        let target = self.table().wait_target();
                        if let Some((label, line, lock)) = target {
                            recorder::with(|r| r.note_wait_id(label, line, lock));
                        }
                    }
                    // A lock or a permit taken: the lane being polled holds it.
                    Some(true) => {
                        if let Some(lock) = self.table().lock_taken() {
                            recorder::with(|r| r.acquired(lock));
                        }
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
                let lock = self.table().permits_handed_over();
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
        self.table().stack.push(span.into_u64());
    }

    fn exit(&self, span: &Id) {
        let mut table = self.table();
        let id = span.into_u64();
        if let Some(pos) = table.stack.iter().rposition(|&s| s == id) {
            table.stack.remove(pos);
        }
    }

    fn clone_span(&self, span: &Id) -> Id {
        if let Some(rec) = self.table().get_mut(span.into_u64()) {
            rec.refs += 1;
        }
        span.clone()
    }

    fn try_close(&self, span: Id) -> bool {
        let mut table = self.table();
        let id = span.into_u64();
        let Some(rec) = table.get_mut(id) else {
            return false;
        };
        rec.refs -= 1;
        if rec.refs > 0 {
            return false;
        }
        if let Some(SpanRecord {
            kind: SpanKind::Resource(r),
            ..
        }) = table.remove(id)
            && r.counted_timer
        {
            self.signals.live_timers.fetch_sub(1, Ordering::Relaxed);
        }
        true
    }
}

#[derive(Default)]
struct ResourceFields(Resource);

impl Visit for ResourceFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "concrete_type" => self.0.concrete_type = known(value),
            "loc.file" => {
                self.0.in_lesson_file = recorder::with(|r| r.is_lesson_file(value)).unwrap_or(false)
            }
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
