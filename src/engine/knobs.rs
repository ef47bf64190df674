//! The values a lesson is run with.

use std::time::Duration;

use crate::trace::KnobValue;

/// A lesson's knob values, in the lesson's declaration order. Lessons read
/// them by name; asking for a knob the lesson does not declare is a bug in
/// the lesson and panics (which the run shows as a failed `main`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Knobs {
    values: Vec<(String, KnobValue)>,
}

impl Knobs {
    pub fn new(values: Vec<(String, KnobValue)>) -> Self {
        Knobs { values }
    }

    pub fn values(&self) -> &[(String, KnobValue)] {
        &self.values
    }

    fn get(&self, name: &str) -> &KnobValue {
        match self.values.iter().find(|(n, _)| n == name) {
            Some((_, value)) => value,
            None => panic!("this lesson has no knob named '{name}'"),
        }
    }

    /// A whole-number knob.
    pub fn int(&self, name: &str) -> u64 {
        match self.get(name) {
            KnobValue::Int(v) => *v,
            other => panic!("knob '{name}' is {other}, not a number"),
        }
    }

    /// A whole-number knob used as a count.
    pub fn count(&self, name: &str) -> usize {
        self.int(name) as usize
    }

    /// A whole-number knob in milliseconds (by convention named `*_ms`).
    pub fn millis(&self, name: &str) -> Duration {
        Duration::from_millis(self.int(name))
    }

    /// A true/false knob.
    pub fn flag(&self, name: &str) -> bool {
        match self.get(name) {
            KnobValue::Bool(v) => *v,
            other => panic!("knob '{name}' is {other}, not true or false"),
        }
    }

    /// A knob with a fixed set of named choices.
    pub fn choice(&self, name: &str) -> &str {
        match self.get(name) {
            KnobValue::Text(v) => v,
            other => panic!("knob '{name}' is {other}, not a choice"),
        }
    }
}
