//! A `tracing` subscriber for the lesson thread. It reads two things:
//!
//! - tokio's own resource instrumentation (compiled in by `tokio_unstable`):
//!   when a sleep, semaphore, mutex, rwlock, oneshot or barrier returns
//!   `Pending` inside a lane's poll, that lane waits on it;
//! - the lesson's log lines (`info!` and friends), which become `log` events.
//!
//! Everything else tokio emits (notably the per-task poll spans, which cost
//! tokio-console about 2 µs a poll) is switched off at the callsite.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

use super::recorder;
use super::signals::Signals;
use crate::trace::Level;

pub(crate) struct LessonSubscriber {
    table: Mutex<SpanTable>,
    next_id: AtomicU64,
    signals: Arc<Signals>,
}

#[derive(Default)]
struct SpanTable {
    spans: HashMap<u64, SpanRecord>,
    /// Spans entered on the lesson thread, innermost last.
    stack: Vec<u64>,
}

struct SpanRecord {
    refs: usize,
    parent: Option<u64>,
    kind: SpanKind,
}

enum SpanKind {
    Resource(Resource),
    AsyncOp { source: String },
    /// A span we must hand out an id for but do not care about.
    Other,
}

#[derive(Default)]
struct Resource {
    concrete_type: String,
    file: String,
    line: u32,
    internal: bool,
    /// For sleeps: the duration tokio reported at the first poll.
    duration_ms: Option<u64>,
    /// A lesson timer counted in `live_timers`.
    counted_timer: bool,
}

const RESOURCE: &str = "runtime.resource";
const ASYNC_OP: &str = "runtime.resource.async_op";
const POLL_OP: &str = "runtime::resource::poll_op";
const STATE_UPDATE: &str = "runtime::resource::state_update";

impl LessonSubscriber {
    pub(crate) fn new(signals: Arc<Signals>) -> Self {
        LessonSubscriber {
            table: Mutex::new(SpanTable::default()),
            next_id: AtomicU64::new(1),
            signals,
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, SpanTable> {
        self.table.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wanted(meta: &Metadata<'_>) -> bool {
        if meta.is_span() {
            matches!(meta.name(), RESOURCE | ASYNC_OP)
        } else {
            let target = meta.target();
            target == POLL_OP
                || target == STATE_UPDATE
                || !(target.starts_with("tokio") || target.starts_with("runtime"))
        }
    }
}

impl SpanTable {
    /// The innermost entered span matching `pick`.
    fn innermost<T>(&self, mut pick: impl FnMut(&SpanRecord) -> Option<T>) -> Option<T> {
        self.stack
            .iter()
            .rev()
            .find_map(|id| self.spans.get(id).and_then(&mut pick))
    }

    /// What a lane waiting in the innermost async op waits on.
    fn wait_label(&self) -> Option<(String, Option<(String, u32)>)> {
        let (source, parent) = self.innermost(|rec| match &rec.kind {
            SpanKind::AsyncOp { source } => Some((source.clone(), rec.parent)),
            _ => None,
        })?;
        let resource = match parent.and_then(|p| self.spans.get(&p)) {
            Some(SpanRecord { kind: SpanKind::Resource(r), .. }) => r,
            _ => return None,
        };
        if resource.internal {
            return None;
        }
        let label = match resource.concrete_type.as_str() {
            "Sleep" => match resource.duration_ms {
                Some(ms) => format!("Sleep {}", format_ms(ms)),
                None => "Sleep".to_string(),
            },
            "Sender|Receiver" => "oneshot recv".to_string(),
            _ if source.contains("::") => source,
            other => other.to_string(),
        };
        // Only a sleep's location is where it is awaited; a lock's or a
        // semaphore's is where it was created, which would mark the wrong line.
        let location =
            (resource.concrete_type == "Sleep").then(|| (resource.file.clone(), resource.line));
        Some((label, location))
    }
}

/// `500ms`, `2s`, `1.5s`.
pub(crate) fn format_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{}s", ms as f64 / 1000.0)
    }
}

impl Subscriber for LessonSubscriber {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if Self::wanted(meta) { Interest::always() } else { Interest::never() }
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        Self::wanted(meta)
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
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
                if resource.concrete_type == "Sleep" && !self.signals.in_driver.load(Ordering::Relaxed) {
                    resource.counted_timer = true;
                    self.signals.live_timers.fetch_add(1, Ordering::Relaxed);
                }
                SpanKind::Resource(resource)
            }
            ASYNC_OP => {
                let mut source = SourceField::default();
                attrs.record(&mut source);
                SpanKind::AsyncOp { source: source.0 }
            }
            _ => SpanKind::Other,
        };
        table.spans.insert(id, SpanRecord { refs: 1, parent, kind });
        Id::from_u64(id)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let meta = event.metadata();
        match meta.target() {
            STATE_UPDATE => {
                let mut duration = DurationField::default();
                event.record(&mut duration);
                if let Some(ms) = duration.0 {
                    let mut table = self.table();
                    let innermost_resource = table.stack.iter().rev().copied().find(|id| {
                        matches!(table.spans.get(id), Some(SpanRecord { kind: SpanKind::Resource(_), .. }))
                    });
                    if let Some(SpanRecord { kind: SpanKind::Resource(r), .. }) =
                        innermost_resource.and_then(|id| table.spans.get_mut(&id))
                    {
                        r.duration_ms = Some(ms);
                    }
                }
            }
            POLL_OP => {
                let mut ready = ReadyField::default();
                event.record(&mut ready);
                if ready.0 != Some(false) {
                    return;
                }
                let label = self.table().wait_label();
                if let Some((label, location)) = label {
                    recorder::with(|r| {
                        let line = location.and_then(|(file, line)| r.lesson_line(&file, line));
                        r.note_wait(&label, line);
                    });
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
        if let Some(rec) = self.table().spans.get_mut(&span.into_u64()) {
            rec.refs += 1;
        }
        span.clone()
    }

    fn try_close(&self, span: Id) -> bool {
        let mut table = self.table();
        let id = span.into_u64();
        let Some(rec) = table.spans.get_mut(&id) else {
            return false;
        };
        rec.refs -= 1;
        if rec.refs > 0 {
            return false;
        }
        if let Some(SpanRecord { kind: SpanKind::Resource(r), .. }) = table.spans.remove(&id) {
            if r.counted_timer {
                self.signals.live_timers.fetch_sub(1, Ordering::Relaxed);
            }
        }
        true
    }
}

#[derive(Default)]
struct ResourceFields(Resource);

impl Visit for ResourceFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "concrete_type" => self.0.concrete_type = value.to_string(),
            "loc.file" => self.0.file = value.to_string(),
            _ => {}
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "loc.line" {
            self.0.line = value as u32;
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
struct SourceField(String);

impl Visit for SourceField {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "source" {
            self.0 = value.to_string();
        }
    }
    fn record_debug(&mut self, _field: &Field, _value: &dyn fmt::Debug) {}
}

#[derive(Default)]
struct DurationField(Option<u64>);

impl Visit for DurationField {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "duration" {
            self.0 = Some(value);
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
