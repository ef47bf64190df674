//! How a lane's output says whether the lane failed.

use std::fmt::Display;

/// A lane whose output is an `Err` is shown as failed, with the error's
/// message. Every other output is a success.
pub trait Outcome {
    fn failure(&self) -> Option<String> {
        None
    }
}

impl<T, E: Display> Outcome for Result<T, E> {
    fn failure(&self) -> Option<String> {
        self.as_ref().err().map(|e| e.to_string())
    }
}

macro_rules! successes {
    ($($t:ty),* $(,)?) => { $(impl Outcome for $t {})* };
}

successes!(
    (),
    bool,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    char,
    String,
    &'static str,
    std::time::Duration,
    tokio::time::Instant,
);

impl<T> Outcome for Option<T> {}
impl<T> Outcome for Vec<T> {}
impl<A, B> Outcome for (A, B) {}
impl<A, B, C> Outcome for (A, B, C) {}
impl<T: ?Sized> Outcome for Box<T> {}

/// What a lesson's `run` returned, as the runner sees it.
pub struct LessonOutcome(pub Option<String>);

impl Outcome for LessonOutcome {
    fn failure(&self) -> Option<String> {
        self.0.clone()
    }
}
