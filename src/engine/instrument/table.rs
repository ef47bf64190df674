//! The lesson thread's live spans, and what they tell about the lane being
//! polled: what it waits on, which lock it took or gave back.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use foldhash::fast::FixedState;
use tracing::span::Attributes;

use super::super::recorder;
use super::sites::{
    LastFile, Release, ResourceLayout, ResourceType, ResourceVisit, Site, SourceVisit, StateUpdate,
    TypeNames,
};
use crate::trace::{LaneId, TextId};

/// Live spans in a slab. A span's id is, from the low bits up: its `Tag`
/// (2 bits), so that entering and leaving a span never reads the slab; its
/// slot + 1 (38 bits); and its table's number (24 bits), so that a span
/// met by another thread's table, or by a later run's, is not taken for
/// one of its own. A closed span's slot is reused (tracing allows ids to
/// be reused once closed).
pub(super) struct SpanTable {
    /// This table's number, in the id's high bits (see `TABLE_SHIFT`).
    number: u64,
    slots: Vec<Option<SpanRecord>>,
    free: Vec<usize>,
    /// Ids of the spans entered on the lesson thread, innermost last.
    stack: Vec<u64>,
    /// Resources made so far: numbers a lock made outside the lesson file.
    resources: u32,
    /// Lesson timers alive (see `live_timers`).
    pub live_timers: isize,
    /// The runner is making a timer of its own (see `own_timer`).
    pub in_driver: bool,
    /// What each callsite seen so far is, by its metadata's address: a
    /// lesson meets a few dozen at most.
    sites: Vec<(usize, Site)>,
    /// The same, direct-mapped by address, for the hot path: a sleep
    /// looks up three callsites.
    recent_sites: [(usize, Site); RECENT_SITES],
    types: TypeNames,
    last_file: LastFile,
    /// `Sleep 100ms`, made once per duration: a lesson may start thousands
    /// of sleeps of the same length. The last one made is kept apart.
    sleep_labels: HashMap<u64, TextId, FixedState>,
    last_sleep_label: Option<(u64, TextId)>,
    /// Callsites were quietened: tracing must be told at the next park.
    pub quiet_callsites_due: bool,
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
            SpanKind::AsyncOp(op) if op.takes_lock => Tag::LockingOp,
            SpanKind::AsyncOp(_) => Tag::AsyncOp,
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

const RECENT_SITES: usize = 64;

fn recent_slot(at: usize) -> usize {
    // Metadata are statics of a hundred bytes or so, 8-byte aligned.
    ((at >> 3) ^ (at >> 9)) % RECENT_SITES
}

/// Where a span id's table number starts.
const TABLE_SHIFT: u32 = 40;
const SLOT_MASK: u64 = (1 << TABLE_SHIFT) - 1;

struct SpanRecord {
    refs: u32,
    parent: Option<u64>,
    kind: SpanKind,
}

enum SpanKind {
    Resource(Resource),
    AsyncOp(AsyncOp),
    /// A span we must hand out an id for but do not care about.
    Other,
}

struct AsyncOp {
    source: Cow<'static, str>,
    /// It takes a lock or a permit when it completes (see `takes_lock`).
    takes_lock: bool,
    /// The lesson line awaiting this operation, found the first time it
    /// goes pending (`None` until then).
    caller: Option<Option<u32>>,
    /// The lane that awaits it, once it has gone pending.
    owner: Option<LaneId>,
}

struct Resource {
    ty: ResourceType,
    /// Set when the resource was created in the lesson's own source.
    lesson_line: Option<u32>,
    internal: bool,
    /// A lesson timer counted in `live_timers`.
    counted_timer: bool,
    /// Its number among the resources of the run.
    serial: u32,
    /// For sleeps: the duration tokio reported at the first poll.
    duration_ms: Option<u64>,
    /// The wait label once made, so a re-poll does not format it again.
    label: Option<TextId>,
    /// For a lock or a semaphore, its name once made: `Mutex at line 14`.
    lock: Option<TextId>,
}

impl Resource {
    /// What a lock or a semaphore is called in the trace: where the lesson
    /// made it. `None` for anything else.
    fn lock_name(&mut self, types: &TypeNames) -> Option<TextId> {
        if self.lock.is_none() && self.ty.is_lock() {
            let ty = types.name(self.ty);
            let name = match self.lesson_line {
                Some(line) => format!("{ty} at line {line}"),
                None => format!("{ty} {}", self.serial),
            };
            self.lock = recorder::with(|r| r.label(&name));
        }
        self.lock
    }
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

/// Operation names tokio uses: kept without allocating.
fn known_source(text: &str) -> Cow<'static, str> {
    let known = match text {
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

/// What a lane waits on: its label, the lesson line, and the lock when it
/// is one.
pub(super) type WaitOn = (TextId, Option<u32>, Option<TextId>);

impl SpanTable {
    /// An empty table, numbered apart from every other made so far.
    pub(super) fn new() -> Self {
        static TABLES: AtomicU64 = AtomicU64::new(0);
        let number = TABLES.fetch_add(1, Ordering::Relaxed) + 1;
        SpanTable {
            number: (number & ((1 << (64 - TABLE_SHIFT)) - 1)) << TABLE_SHIFT,
            slots: Vec::new(),
            free: Vec::new(),
            stack: Vec::new(),
            resources: 0,
            live_timers: 0,
            in_driver: false,
            sites: Vec::new(),
            // Address 0 is no callsite's.
            recent_sites: [(0, Site::Other); RECENT_SITES],
            types: TypeNames::default(),
            last_file: LastFile::default(),
            sleep_labels: HashMap::default(),
            last_sleep_label: None,
            quiet_callsites_due: false,
        }
    }

    /// What callsite `meta` is, learned the first time it is seen.
    pub(super) fn site(&mut self, meta: &'static tracing::Metadata<'static>) -> Site {
        let at = super::callsite_address(meta);
        let recent = &mut self.recent_sites[recent_slot(at)];
        if recent.0 == at {
            return recent.1;
        }
        let site = match self.sites.iter().find(|(seen, _)| *seen == at) {
            Some(&(_, site)) => site,
            None => {
                let site = Site::of(meta, super::LessonSubscriber::wanted(meta));
                self.sites.push((at, site));
                site
            }
        };
        self.recent_sites[recent_slot(at)] = (at, site);
        site
    }

    /// A `poll_op` callsite says `ready` (tokio writes it as a literal).
    pub(super) fn learn_ready(&mut self, meta: &'static tracing::Metadata<'static>, ready: bool) {
        let at = super::callsite_address(meta);
        let Some((_, site)) = self.sites.iter_mut().find(|(seen, _)| *seen == at) else {
            return;
        };
        if let Site::PollOp { ready: known, .. } = site {
            *known = Some(ready);
        }
        self.recent_sites[recent_slot(at)] = (at, *site);
    }

    /// A span is made: its id.
    pub(super) fn new_span(&mut self, site: Site, attrs: &Attributes<'_>) -> u64 {
        let kind = match site {
            Site::Resource(layout) => SpanKind::Resource(self.new_resource(layout, attrs)),
            Site::AsyncOp(index) => {
                let mut source = Cow::Borrowed("");
                attrs.record(&mut SourceVisit::new(index, |value| {
                    source = known_source(value)
                }));
                SpanKind::AsyncOp(AsyncOp {
                    takes_lock: takes_lock(&source),
                    source,
                    caller: None,
                    owner: None,
                })
            }
            _ => SpanKind::Other,
        };
        let parent = match attrs.parent() {
            Some(parent) => Some(parent.into_u64()),
            None if attrs.is_contextual() => self.stack.last().copied(),
            None => None,
        };
        self.insert(SpanRecord {
            refs: 1,
            parent,
            kind,
        })
    }

    fn new_resource(&mut self, layout: ResourceLayout, attrs: &Attributes<'_>) -> Resource {
        let mut visit = ResourceVisit::new(layout, &mut self.types, &mut self.last_file);
        attrs.record(&mut visit);
        let fields = visit.finish();
        self.resources += 1;
        let counted_timer = fields.ty == ResourceType::Sleep && !self.in_driver;
        if counted_timer {
            self.live_timers += 1;
        }
        Resource {
            ty: fields.ty,
            lesson_line: fields.lesson_line,
            internal: fields.internal,
            counted_timer,
            serial: self.resources,
            duration_ms: None,
            label: None,
            lock: None,
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

    fn resource_mut(&mut self, id: u64) -> Option<&mut Resource> {
        match &mut self.get_mut(id)?.kind {
            SpanKind::Resource(resource) => Some(resource),
            _ => None,
        }
    }

    /// Span `id` is cloned: one more reference to it.
    pub(super) fn clone_span(&mut self, id: u64) {
        if let Some(rec) = self.get_mut(id) {
            rec.refs += 1;
        }
    }

    /// Drops one reference to span `id`; true when that was the last.
    pub(super) fn close(&mut self, id: u64) -> bool {
        let Some(slot) = self.slot_of(id) else {
            return false;
        };
        let Some(Some(rec)) = self.slots.get_mut(slot) else {
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
        self.slots[slot] = None;
        self.free.push(slot);
        true
    }

    pub(super) fn enter(&mut self, id: u64) {
        self.stack.push(id);
    }

    /// Span `id` is left: nearly always the innermost.
    pub(super) fn exit(&mut self, id: u64) {
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
    /// sleep, whose async op is left off: see `LessonSubscriber::wanted`).
    fn innermost_wait(&self) -> Option<u64> {
        let found = self
            .stack
            .iter()
            .rev()
            .find(|&&id| Tag::of_id(id) != Tag::Other);
        found.copied()
    }

    /// A resource's state changed: a lock or permits given back, or a
    /// sleep's duration set.
    pub(super) fn state_updated(&mut self, update: &StateUpdate) {
        let Some(resource) = self.innermost_resource() else {
            return;
        };
        if let Some(release) = update.release()
            && let Some(lock) = self.lock_of(resource)
        {
            recorder::with(|rec| rec.released(lock, release == Release::TheHolder));
        }
        if let Some(ms) = update.duration
            && let Some(r) = self.resource_mut(resource)
            && r.duration_ms != Some(ms)
        {
            r.duration_ms = Some(ms);
            r.label = None;
        }
    }

    /// The name of resource `id`, if it is a lock or a semaphore.
    fn lock_of(&mut self, id: u64) -> Option<TextId> {
        let slot = self.slot_of(id)?;
        match &mut self.slots.get_mut(slot)?.as_mut()?.kind {
            SpanKind::Resource(resource) => resource.lock_name(&self.types),
            _ => None,
        }
    }

    /// The lock of async op `op`, if `keep` says so of the lane that
    /// awaits it.
    fn op_lock(&mut self, op: u64, keep: impl Fn(Option<LaneId>) -> bool) -> Option<TextId> {
        let rec = self.get(op)?;
        let (SpanKind::AsyncOp(AsyncOp { owner, .. }), Some(parent)) = (&rec.kind, rec.parent)
        else {
            return None;
        };
        if !keep(*owner) {
            return None;
        }
        self.lock_of(parent)
    }

    /// The lock that the innermost async op, just completed, took. Asked
    /// at every ready poll of every operation, so it answers from the
    /// stack alone for those that take none (a receive, say).
    pub(super) fn lock_taken(&mut self) -> Option<TextId> {
        let op = self.innermost_wait()?;
        if Tag::of_id(op) != Tag::LockingOp {
            return None;
        }
        self.op_lock(op, |_| true)
    }

    /// The semaphore whose permits were just handed to the innermost async
    /// op, when it belongs to another lane than the one being polled.
    pub(super) fn permits_handed_over(&mut self) -> Option<TextId> {
        let op = self.innermost_wait()?;
        let current = recorder::with(|r| r.current_lane()).flatten();
        self.op_lock(op, |owner| owner.is_some() && owner != current)
    }

    /// What a lane waiting in the innermost async op (or sleep) waits on:
    /// its label (interned by the recorder, cached on the resource), line
    /// and lock.
    pub(super) fn wait_target(&mut self) -> Option<WaitOn> {
        let waited = self.innermost_wait()?;
        let (resource, line, takes_lock, source) = match Tag::of_id(waited) {
            // A sleep: where it was made is where it is awaited.
            Tag::Resource => (waited, None, false, Cow::Borrowed("")),
            _ => {
                let (resource, line, takes_lock, source) = self.awaiting_op(waited)?;
                (resource, Some(line), takes_lock, source)
            }
        };
        let slot = self.slot_of(resource)?;
        let Some(Some(SpanRecord {
            kind: SpanKind::Resource(resource),
            ..
        })) = self.slots.get_mut(slot)
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
            resource.lock_name(&self.types)
        } else {
            None
        };
        if let Some(label) = resource.label {
            return Some((label, line, lock));
        }
        let label = match (resource.ty, resource.duration_ms) {
            (ResourceType::Sleep, Some(ms)) => {
                sleep_label(&mut self.sleep_labels, &mut self.last_sleep_label, ms)?
            }
            (ty, _) => {
                let text = match ty {
                    ResourceType::Oneshot => "oneshot recv",
                    _ if source.contains("::") => &source,
                    ty => self.types.name(ty),
                };
                recorder::with(|r| r.label(text))?
            }
        };
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
        let (SpanKind::AsyncOp(op), Some(parent)) = (&mut rec.kind, rec.parent) else {
            return None;
        };
        if op.owner.is_none() {
            op.owner = recorder::with(|r| r.current_lane()).flatten();
        }
        let line = match op.caller {
            Some(line) => line,
            None => *op
                .caller
                .insert(recorder::with(|r| r.lesson_file()).and_then(lesson_caller)),
        };
        Some((parent, line, op.takes_lock, op.source.clone()))
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
fn sleep_label(
    labels: &mut HashMap<u64, TextId, FixedState>,
    last: &mut Option<(u64, TextId)>,
    ms: u64,
) -> Option<TextId> {
    if let Some((last_ms, label)) = *last
        && last_ms == ms
    {
        return Some(label);
    }
    let label = match labels.get(&ms) {
        Some(&label) => label,
        None => {
            let text = format!("Sleep {}", super::format_ms(ms));
            let label = recorder::with(|r| r.label(&text))?;
            labels.insert(ms, label);
            label
        }
    };
    *last = Some((ms, label));
    Some(label)
}
