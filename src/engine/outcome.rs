//! How a lane's output says whether the lane failed.
//!
//! A lane fails when its output is an `Err`. Telling a `Result` apart from
//! any other output needs a trait (stable Rust has no specialisation), so
//! `Outcome` is implemented for the standard library's types, containers
//! and tuples. A lesson's own output type says it is a plain success with
//! one line: `impl Outcome for Report {}`.

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
    str,
    String,
    std::convert::Infallible,
    std::cmp::Ordering,
    std::time::Duration,
    std::time::Instant,
    std::time::SystemTime,
    tokio::time::Instant,
    std::path::PathBuf,
    std::net::SocketAddr,
    std::net::IpAddr,
);

macro_rules! generic_successes {
    ($($t:ident<$($p:ident),+>),* $(,)?) => {
        $(impl<$($p),+> Outcome for std::collections::$t<$($p),+> {})*
    };
}

generic_successes!(
    HashMap<K, V>,
    BTreeMap<K, V>,
    HashSet<T>,
    BTreeSet<T>,
    VecDeque<T>,
    BinaryHeap<T>,
);

macro_rules! tuple_successes {
    ($(($($p:ident),+)),* $(,)?) => { $(impl<$($p),+> Outcome for ($($p,)+) {})* };
}

tuple_successes!(
    (A),
    (A, B),
    (A, B, C),
    (A, B, C, D),
    (A, B, C, D, E),
    (A, B, C, D, E, F),
    (A, B, C, D, E, F, G),
    (A, B, C, D, E, F, G, H),
);

impl<T> Outcome for Option<T> {}
impl<T> Outcome for Vec<T> {}
impl<T, const N: usize> Outcome for [T; N] {}
impl<T: ?Sized> Outcome for Box<T> {}
impl<T: ?Sized> Outcome for std::sync::Arc<T> {}
impl<T: ?Sized> Outcome for std::rc::Rc<T> {}
impl<T: ?Sized> Outcome for &T {}
impl<T: ?Sized + ToOwned> Outcome for std::borrow::Cow<'_, T> {}
impl<T> Outcome for tokio::task::JoinHandle<T> {}
impl<T> Outcome for tokio::sync::mpsc::Receiver<T> {}
impl<T> Outcome for tokio::sync::mpsc::Sender<T> {}

/// What a lesson's `run` returned, as the runner sees it.
pub struct LessonOutcome(pub Option<String>);

impl Outcome for LessonOutcome {
    fn failure(&self) -> Option<String> {
        self.0.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::Outcome;

    #[test]
    fn an_err_fails_with_its_message_and_everything_else_succeeds() {
        let failed: Result<u8, String> = Err("disk full".into());
        assert_eq!(failed.failure().as_deref(), Some("disk full"));
        let boxed: Result<(), crate::prelude::BoxError> = Err("no route".into());
        assert_eq!(boxed.failure().as_deref(), Some("no route"));
        assert_eq!(Ok::<u8, String>(1).failure(), None);
        assert_eq!((1, "a", 2.0, 'c').failure(), None);
        assert_eq!(std::collections::HashMap::<u8, u8>::new().failure(), None);
        assert_eq!([1u8; 3].failure(), None);
        // An `Err` inside another type is that type's business: success.
        assert_eq!(Some(Err::<(), _>("x")).failure(), None);
    }
}
