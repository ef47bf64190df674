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
//! the hot path of every lane that waits. So each callsite is read once
//! (`sites`), and a lesson runtime is one thread, so the span table
//! (`table`) is a thread-local: no lock, no atomics.

mod sites;
mod table;

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::sync::{Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

use super::recorder;
use crate::trace::Level;
use sites::{
    ASYNC_OP, OP_STATE_UPDATE, POLL_OP, RESOURCE, STATE_UPDATE, Site, StateUpdate, TIMER_MODULE,
};
use table::SpanTable;

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
fn quieten(table: &mut SpanTable, meta: &'static Metadata<'static>) {
    let mut quiet = QUIET_CALLSITES.lock().unwrap_or_else(|e| e.into_inner());
    let address = callsite_address(meta);
    if !quiet.contains(&address) {
        quiet.push(address);
        table.quiet_callsites_due = true;
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
        let meta = attrs.metadata();
        let id = with_table(|table| {
            let site = table.site(meta);
            table.new_span(site, attrs)
        });
        // Tracing needs an id even when the table is busy: one that is
        // never in the table.
        Id::from_u64(id.unwrap_or(u64::MAX))
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let meta = event.metadata();
        let is_log = with_table(|table| match table.site(meta) {
            Site::StateUpdate(layout) => {
                let mut update = StateUpdate::new(layout);
                event.record(&mut update);
                table.state_updated(&update);
                false
            }
            Site::PollOp { ready, timer } => {
                polled(table, event, ready, timer);
                false
            }
            Site::OpStateUpdate(layout) => {
                // Permits handed to a waiting lane by another lane's
                // release: the lane being polled gave them back.
                let mut update = StateUpdate::new(layout);
                event.record(&mut update);
                if update.permits_obtained
                    && let Some(lock) = table.permits_handed_over()
                {
                    recorder::with(|r| r.released(lock, false));
                }
                false
            }
            Site::Log => true,
            Site::Resource(_) | Site::AsyncOp(_) | Site::Other => false,
        });
        if is_log != Some(true) {
            return;
        }
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

    fn enter(&self, span: &Id) {
        with_table(|table| table.enter(span.into_u64()));
    }

    fn exit(&self, span: &Id) {
        with_table(|table| table.exit(span.into_u64()));
    }

    fn clone_span(&self, span: &Id) -> Id {
        with_table(|table| table.clone_span(span.into_u64()));
        span.clone()
    }

    fn try_close(&self, span: Id) -> bool {
        with_table(|table| table.close(span.into_u64())).unwrap_or(false)
    }
}

/// A `poll_op` event: the operation being polled went pending (the lane
/// being polled waits on it) or completed (and may have taken a lock).
/// Whether a callsite says ready is read from its first event.
fn polled(table: &mut SpanTable, event: &Event<'_>, ready: Option<bool>, timer: bool) {
    let meta = event.metadata();
    let ready = match ready {
        Some(ready) => ready,
        None => {
            let mut field = sites::ReadyField::default();
            event.record(&mut field);
            let Some(ready) = field.0 else { return };
            table.learn_ready(meta, ready);
            ready
        }
    };
    if !ready {
        if let Some((label, line, lock)) = table.wait_target() {
            recorder::with(|r| r.note_wait_id(label, line, lock));
        }
    } else if timer {
        // A timer said ready: of no use, and its callsite can be switched off.
        quieten(table, meta);
    } else if let Some(lock) = table.lock_taken() {
        // A lock or a permit taken: the lane being polled holds it.
        recorder::with(|r| r.acquired(lock));
    }
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
