//! The engine: runs a lesson's real tokio code on its own thread and
//! records what every lane does. It knows nothing of any interface.

mod cancel;
mod driver;
mod instrument;
mod knobs;
mod lane;
mod outcome;
mod playback;
mod recorder;
mod replay;
mod run;
mod signals;

pub use cancel::{CancelBy, Refusal};
pub use driver::{HEADLESS_TIME_LIMIT, Pacing};
pub use instrument::takes_callsite;
pub use knobs::Knobs;
pub use lane::{Awaiting, Cancellable, Lane, LaneExt};
pub use outcome::{LessonOutcome, Outcome};
pub use playback::{MAX_SPEED, MIN_SPEED, Mode, Playback};
pub use recorder::MAX_EVENTS;
pub use run::{BoxFuture, Clock, Entry, LESSON_THREAD, Run, RunSpec, install_quiet_panic_hook};
pub use signals::WATCHDOG_PERIOD;

/// Runs `spec` to its end without pacing and returns its trace. A run
/// still going after `wall_limit` of real time is ended as hung.
pub fn run_headless(spec: RunSpec, wall_limit: std::time::Duration) -> crate::trace::Trace {
    Run::start(spec, Pacing::Unpaced).wait(wall_limit)
}
