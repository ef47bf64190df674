//! Every lesson, run headless: its syllabus facts asserted on its trace.

mod support;

mod as_completed;
mod blocking;
mod join;
mod mutex;
mod queue;
mod race;
mod semaphore;
mod spawn;
mod task_group;
mod timeout;
