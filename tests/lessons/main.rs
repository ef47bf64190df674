//! Every lesson, run headless: its syllabus facts asserted on its trace.

mod support;

mod as_completed;
mod await_basics;
mod background_tasks;
mod batches;
mod blocking;
mod cancellation;
mod deadlock;
mod join;
mod mutex;
mod partial_failure;
mod queue;
mod race;
mod semaphore;
mod signals;
mod spawn;
mod streams;
mod task_group;
mod task_local;
mod timeout;
mod unbounded;
