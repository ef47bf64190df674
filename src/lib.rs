//! lanes: watch async Rust run. Every task and every future a lesson wants
//! seen is drawn as a lane on a shared time axis.
#![forbid(unsafe_code)]

// Lessons are compiled into this crate but written as if they used it from
// outside (`use lanes::prelude::*`), which is how a reader sees them.
extern crate self as lanes;

pub mod catalog;
pub mod engine;
pub mod predict;
pub mod render;
pub mod trace;
pub mod ui;

/// What a lesson imports.
pub mod prelude {
    pub use crate::engine::{Cancellable, Knobs, LaneExt, Outcome};

    /// Any error, boxed: what a lesson's `run` returns, so that plain `?`
    /// works on every error type (a `JoinError`, a `String`, an `Elapsed`).
    pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
}
