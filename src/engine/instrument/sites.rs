//! What each of tokio's callsites sends, learned the first time it is seen:
//! which kind of span or event it is and where its fields are. A span or
//! event is then read by field index, never by comparing field names, and
//! a resource's type by one pointer comparison: tokio writes its resource
//! types and most of its fields as literals at each callsite.

use std::fmt;

use tracing::Metadata;
use tracing::field::{Field, Visit};

use super::super::recorder;

pub(super) const RESOURCE: &str = "runtime.resource";
pub(super) const ASYNC_OP: &str = "runtime.resource.async_op";
pub(super) const POLL_OP: &str = "runtime::resource::poll_op";
pub(super) const STATE_UPDATE: &str = "runtime::resource::state_update";
pub(super) const OP_STATE_UPDATE: &str = "runtime::resource::async_op::state_update";
/// Where tokio's `Sleep` lives, by its callsites' module path.
pub(super) const TIMER_MODULE: &str = "tokio::time::sleep";

/// A field index that no field has.
const ABSENT: u8 = u8::MAX;

/// What a callsite is to the lesson subscriber.
#[derive(Clone, Copy)]
pub(super) enum Site {
    Resource(ResourceLayout),
    /// An async op span, and where its `source` field is.
    AsyncOp(u8),
    /// Tokio's `poll_op` event: whether this callsite says ready (each
    /// callsite writes `is_ready` as a literal; `None` until first seen),
    /// and whether it is the timer's.
    PollOp {
        ready: Option<bool>,
        timer: bool,
    },
    StateUpdate(StateLayout),
    OpStateUpdate(StateLayout),
    /// A line the lesson logs.
    Log,
    /// Taken, but of no use.
    Other,
}

impl Site {
    pub(super) fn of(meta: &'static Metadata<'static>, is_log: bool) -> Site {
        if meta.is_span() {
            return match meta.name() {
                RESOURCE => Site::Resource(ResourceLayout {
                    concrete_type: index_of(meta, "concrete_type"),
                    file: index_of(meta, "loc.file"),
                    line: index_of(meta, "loc.line"),
                    internal: index_of(meta, "is_internal"),
                }),
                ASYNC_OP => Site::AsyncOp(index_of(meta, "source")),
                _ => Site::Other,
            };
        }
        match meta.target() {
            POLL_OP => Site::PollOp {
                ready: None,
                timer: meta.module_path() == Some(TIMER_MODULE),
            },
            STATE_UPDATE => Site::StateUpdate(StateLayout::of(meta)),
            OP_STATE_UPDATE => Site::OpStateUpdate(StateLayout::of(meta)),
            _ if is_log => Site::Log,
            _ => Site::Other,
        }
    }
}

fn index_of(meta: &'static Metadata<'static>, name: &str) -> u8 {
    meta.fields()
        .field(name)
        .and_then(|field| u8::try_from(field.index()).ok())
        .unwrap_or(ABSENT)
}

fn is(field: &Field, index: u8) -> bool {
    field.index() == index as usize
}

/// Where a resource span's fields are.
#[derive(Clone, Copy)]
pub(super) struct ResourceLayout {
    concrete_type: u8,
    file: u8,
    line: u8,
    internal: u8,
}

/// The resource types lanes tells apart; any other is kept by name.
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub(super) enum ResourceType {
    #[default]
    Unknown,
    Sleep,
    Interval,
    Semaphore,
    Mutex,
    RwLock,
    Barrier,
    /// A oneshot channel (`Sender|Receiver`).
    Oneshot,
    /// Its name is `TypeNames::others[n]`.
    Other(u16),
}

impl ResourceType {
    pub(super) fn is_lock(self) -> bool {
        matches!(
            self,
            ResourceType::Mutex | ResourceType::RwLock | ResourceType::Semaphore
        )
    }
}

/// Resource type names as tokio writes them, with a memo of the last one
/// read: a loop's resources come from one callsite and one literal.
#[derive(Default)]
pub(super) struct TypeNames {
    last: (usize, usize, ResourceType),
    others: Vec<Box<str>>,
}

impl TypeNames {
    #[inline]
    fn of(&mut self, name: &str) -> ResourceType {
        if (self.last.0, self.last.1) == (name.as_ptr() as usize, name.len()) {
            return self.last.2;
        }
        self.learn(name)
    }

    #[cold]
    #[inline(never)]
    fn learn(&mut self, name: &str) -> ResourceType {
        let ty = match name {
            "Sleep" => ResourceType::Sleep,
            "Interval" => ResourceType::Interval,
            "Semaphore" => ResourceType::Semaphore,
            "Mutex" => ResourceType::Mutex,
            "RwLock" => ResourceType::RwLock,
            "Barrier" => ResourceType::Barrier,
            "Sender|Receiver" => ResourceType::Oneshot,
            _ => match self.others.iter().position(|other| **other == *name) {
                Some(n) => ResourceType::Other(n as u16),
                None if self.others.len() < u16::MAX as usize => {
                    self.others.push(name.into());
                    ResourceType::Other(self.others.len() as u16 - 1)
                }
                None => ResourceType::Unknown,
            },
        };
        self.last = (name.as_ptr() as usize, name.len(), ty);
        ty
    }

    pub(super) fn name(&self, ty: ResourceType) -> &str {
        match ty {
            ResourceType::Unknown => "resource",
            ResourceType::Sleep => "Sleep",
            ResourceType::Interval => "Interval",
            ResourceType::Semaphore => "Semaphore",
            ResourceType::Mutex => "Mutex",
            ResourceType::RwLock => "RwLock",
            ResourceType::Barrier => "Barrier",
            ResourceType::Oneshot => "Sender|Receiver",
            ResourceType::Other(n) => self.others.get(n as usize).map_or("resource", |s| s),
        }
    }
}

/// The last source file a resource was made in, and whether it is the
/// lesson's: tokio passes the same `&'static str` for every resource made
/// on a line, so a loop's sleeps compare one pointer.
#[derive(Default)]
pub(super) struct LastFile {
    at: usize,
    len: usize,
    is_lesson: bool,
}

impl LastFile {
    #[inline]
    fn is_lesson(&mut self, file: &str) -> bool {
        if (file.as_ptr() as usize, file.len()) != (self.at, self.len) {
            self.learn(file);
        }
        self.is_lesson
    }

    #[cold]
    #[inline(never)]
    fn learn(&mut self, file: &str) {
        self.at = file.as_ptr() as usize;
        self.len = file.len();
        self.is_lesson = recorder::with(|r| r.is_lesson_file(file)).unwrap_or(false);
    }
}

/// What a resource span says of itself.
#[derive(Default)]
pub(super) struct ResourceFields {
    pub ty: ResourceType,
    /// Where it was made, when that is in the lesson's own source.
    pub lesson_line: Option<u32>,
    pub internal: bool,
}

/// Reads a resource span's fields by `ResourceLayout`.
pub(super) struct ResourceVisit<'a> {
    layout: ResourceLayout,
    types: &'a mut TypeNames,
    files: &'a mut LastFile,
    in_lesson_file: bool,
    line: Option<u32>,
    fields: ResourceFields,
}

impl<'a> ResourceVisit<'a> {
    pub(super) fn new(
        layout: ResourceLayout,
        types: &'a mut TypeNames,
        files: &'a mut LastFile,
    ) -> Self {
        ResourceVisit {
            layout,
            types,
            files,
            in_lesson_file: false,
            line: None,
            fields: ResourceFields::default(),
        }
    }

    pub(super) fn finish(self) -> ResourceFields {
        ResourceFields {
            lesson_line: self.line.filter(|_| self.in_lesson_file),
            ..self.fields
        }
    }
}

impl Visit for ResourceVisit<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if is(field, self.layout.file) {
            self.in_lesson_file = self.files.is_lesson(value);
        } else if is(field, self.layout.concrete_type) {
            self.fields.ty = self.types.of(value);
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if is(field, self.layout.line) {
            self.line = u32::try_from(value).ok();
        }
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        if is(field, self.layout.internal) {
            self.fields.internal = value;
        }
    }
    fn record_debug(&mut self, _field: &Field, _value: &dyn fmt::Debug) {}
}

/// Reads an async op's `source` (`Mutex::lock`, `Semaphore::acquire`).
pub(super) struct SourceVisit<F> {
    index: u8,
    found: F,
}

impl<F: FnMut(&str)> SourceVisit<F> {
    pub(super) fn new(index: u8, found: F) -> Self {
        SourceVisit { index, found }
    }
}

impl<F: FnMut(&str)> Visit for SourceVisit<F> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if is(field, self.index) {
            (self.found)(value);
        }
    }
    fn record_debug(&mut self, _field: &Field, _value: &dyn fmt::Debug) {}
}

/// Where a state update's fields are.
#[derive(Clone, Copy)]
pub(super) struct StateLayout {
    duration: u8,
    locked: u8,
    write_locked: u8,
    readers_op: u8,
    permits_op: u8,
    permits_obtained: u8,
}

impl StateLayout {
    fn of(meta: &'static Metadata<'static>) -> Self {
        StateLayout {
            duration: index_of(meta, "duration"),
            locked: index_of(meta, "locked"),
            write_locked: index_of(meta, "write_locked"),
            readers_op: index_of(meta, "current_readers.op"),
            permits_op: index_of(meta, "permits.op"),
            permits_obtained: index_of(meta, "permits_obtained"),
        }
    }
}

/// The fields of a resource's state update that lanes reads: a sleep's
/// duration, and whether a lock or permits were given back.
pub(super) struct StateUpdate {
    layout: StateLayout,
    pub duration: Option<u64>,
    unlocked: bool,
    write_unlocked: bool,
    readers_sub: bool,
    permits_add: bool,
    pub permits_obtained: bool,
}

/// Who gives a lock back on a release.
#[derive(PartialEq, Eq)]
pub(super) enum Release {
    /// The one holder there is (a mutex, a write lock).
    TheHolder,
    /// The lane doing it (a reader, a permit).
    ThisLane,
}

impl StateUpdate {
    pub(super) fn new(layout: StateLayout) -> Self {
        StateUpdate {
            layout,
            duration: None,
            unlocked: false,
            write_unlocked: false,
            readers_sub: false,
            permits_add: false,
            permits_obtained: false,
        }
    }

    pub(super) fn release(&self) -> Option<Release> {
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
        if is(field, self.layout.duration) {
            self.duration = Some(value);
        } else if is(field, self.layout.permits_obtained) {
            self.permits_obtained = value > 0;
        }
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        if is(field, self.layout.locked) {
            self.unlocked = !value;
        } else if is(field, self.layout.write_locked) {
            self.write_unlocked = !value;
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if is(field, self.layout.readers_op) {
            self.readers_sub = value == "sub";
        } else if is(field, self.layout.permits_op) {
            self.permits_add = value == "add";
        }
    }
    fn record_debug(&mut self, _field: &Field, _value: &dyn fmt::Debug) {}
}

/// Reads a `poll_op` event's `is_ready`, once per callsite.
#[derive(Default)]
pub(super) struct ReadyField(pub Option<bool>);

impl Visit for ReadyField {
    fn record_bool(&mut self, field: &Field, value: bool) {
        if field.name() == "is_ready" {
            self.0 = Some(value);
        }
    }
    fn record_debug(&mut self, _field: &Field, _value: &dyn fmt::Debug) {}
}
