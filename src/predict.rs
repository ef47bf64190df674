//! Predictions: a lesson's question, filled in with the knobs it runs with,
//! and the verdict, measured on the run's trace.
//!
//! A lesson never stores its answer. It declares what its question measures
//! (when the run ends, when a lane ends, a value in a log line); the run is
//! measured, and the choice that fits the measurement is the one the run
//! shows. With other knobs the same measure still applies: a choice fits or,
//! when none does, the screen says so and nothing is scored.

use serde::Deserialize;

use crate::engine::Knobs;
use crate::render::text::seconds;
use crate::trace::{EndReason, KnobValue, Trace};

/// What a question measures on the trace.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Measure {
    /// When the run ends (the lesson's `main` returns).
    RunEnd,
    /// When the lane of this name (a template) ends, however it ends.
    LaneEnd(String),
    /// The value written after this text (a template) in the first log
    /// line that contains it: `"concurrent fetch done users={users} took="`
    /// reads `500ms` from `concurrent fetch done users=10 took=500ms`.
    LogValue(String),
}

/// A value a run shows or a choice names: a time, a number, or words.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Microseconds.
    Time(u64),
    Number(f64),
    Text(String),
}

impl Value {
    /// `0.5 s`, `250 ms` and `2 s` are times, `50` is a number, anything
    /// else is text.
    pub fn parse(text: &str) -> Value {
        let text = text.trim();
        let number = |s: &str| s.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        if let Some(v) = text.strip_suffix("ms").and_then(number) {
            return Value::Time((v * 1_000.0).round().max(0.0) as u64);
        }
        if let Some(v) = text.strip_suffix('s').and_then(number) {
            return Value::Time((v * 1_000_000.0).round().max(0.0) as u64);
        }
        match number(text) {
            Some(v) => Value::Number(v),
            None => Value::Text(text.to_lowercase()),
        }
    }

    /// Whether two values are the same, times within `tolerance_us`.
    pub fn fits(&self, other: &Value, tolerance_us: u64) -> bool {
        match (self, other) {
            (Value::Time(a), Value::Time(b)) => a.abs_diff(*b) <= tolerance_us,
            (Value::Number(a), Value::Number(b)) => (a - b).abs() < 1e-9,
            (Value::Text(a), Value::Text(b)) => a == b,
            _ => false,
        }
    }

    /// A key to sort choices by: times and numbers by value.
    pub fn order(&self) -> Option<f64> {
        match self {
            Value::Time(us) => Some(*us as f64),
            Value::Number(v) => Some(*v),
            Value::Text(_) => None,
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Time(us) => f.write_str(&seconds(*us)),
            Value::Number(v) => write!(f, "{v}"),
            Value::Text(t) => f.write_str(t),
        }
    }
}

/// How a knob's value reads in a sentence.
pub trait KnobText {
    /// `work_ms = 500` with `unit = "ms"` reads `0.5 s`; others as they are.
    fn knob_text(&self, name: &str, value: &KnobValue) -> String;
}

/// Fills `{knob}` and `{knob:singular/plural}` in `template` with the
/// knob values: `{requests:request/requests}` reads `1 request` or
/// `20 requests`. An unknown name is left as it is (the catalog test
/// refuses templates naming knobs a lesson does not have).
pub fn fill(template: &str, knobs: &Knobs, text: &dyn KnobText) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let field = &after[..close];
        let (name, forms) = match field.split_once(':') {
            Some((name, forms)) => (name, forms.split_once('/')),
            None => (field, None),
        };
        match knobs.values().iter().find(|(n, _)| n == name) {
            Some((_, value)) => {
                let shown = text.knob_text(name, value);
                match (forms, value) {
                    (Some((one, many)), KnobValue::Int(n)) => {
                        let word = if *n == 1 { one } else { many };
                        out.push_str(&format!("{shown} {word}"));
                    }
                    _ => out.push_str(&shown),
                }
            }
            None => {
                out.push('{');
                out.push_str(field);
                out.push('}');
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The knob names a template refers to.
pub fn template_names(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let field = &after[..close];
        names.push(field.split_once(':').map_or(field, |(n, _)| n));
        rest = &after[close + 1..];
    }
    names
}

/// What the run showed for a question.
#[derive(Clone, Debug, PartialEq)]
pub enum Measured {
    Value(Value),
    /// The trace does not show it (the lane never ended, no such log
    /// line, the run stalled); says what is missing.
    Missing(String),
}

/// Measures `measure` (its templates already filled) on a finished trace.
pub fn measure(measure: &Measure, trace: &Trace) -> Measured {
    match measure {
        Measure::RunEnd => match trace.end() {
            Some((t, EndReason::Finished)) => Measured::Value(Value::Time(t)),
            // A run that stalls never ends: a question may offer "never".
            Some((_, EndReason::Stalled)) => Measured::Value(Value::Text("never".into())),
            Some((_, reason)) => Measured::Missing(format!("the run ended: {}", reason.as_str())),
            None => Measured::Missing("the run has not ended".into()),
        },
        Measure::LaneEnd(name) => {
            let Some(lane) = trace.lane_named(name) else {
                return Measured::Missing(format!("there is no lane '{name}'"));
            };
            match trace.lane_end(lane) {
                Some(end) => Measured::Value(Value::Time(end.t_us())),
                None => Measured::Missing(format!("'{name}' did not end")),
            }
        }
        Measure::LogValue(prefix) => {
            let found = trace
                .logs()
                .into_iter()
                .find_map(|(_, _, _, text)| text.find(prefix.as_str()).map(|at| (text, at)));
            match found {
                Some((text, at)) => {
                    Measured::Value(Value::parse(first_value(&text[at + prefix.len()..])))
                }
                None => Measured::Missing(format!("no log line says '{prefix}'")),
            }
        }
    }
}

/// The value at the start of `text`: one word, with its unit when the
/// unit stands apart (`0.5 s`), without trailing punctuation.
fn first_value(text: &str) -> &str {
    let text = text.trim_start();
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or("");
    let end = match words.next() {
        Some(unit) if matches!(unit.trim_end_matches([',', ';', '.']), "s" | "ms") => {
            let unit_at = first.len() + text[first.len()..].find(unit).unwrap_or(0);
            unit_at + unit.len()
        }
        _ => first.len(),
    };
    text[..end].trim_end_matches([',', ';', '.', ')'])
}

/// `measure` with its template filled in for `knobs`.
pub fn filled(measure: &Measure, knobs: &Knobs, text: &dyn KnobText) -> Measure {
    match measure {
        Measure::RunEnd => Measure::RunEnd,
        Measure::LaneEnd(t) => Measure::LaneEnd(fill(t, knobs, text)),
        Measure::LogValue(t) => Measure::LogValue(fill(t, knobs, text)),
    }
}

/// The one choice that fits `value`, if exactly one does.
pub fn fitting_choice(choices: &[String], value: &Value, tolerance_us: u64) -> Option<usize> {
    let mut fitting = choices
        .iter()
        .enumerate()
        .filter(|(_, c)| Value::parse(c).fits(value, tolerance_us))
        .map(|(i, _)| i);
    let first = fitting.next()?;
    fitting.next().is_none().then_some(first)
}

/// Why a run's verdict does not count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotScored {
    /// No answer was given before the run started.
    NoAnswer,
    /// The knobs differ from the lesson's defaults: practice, not a score.
    KnobsChanged,
    /// The learner cancelled a lane during the run: not the run asked about.
    YouCancelled,
    /// None of the choices fits what the run showed.
    NoChoiceFits,
    /// The run did not show what the question asks (text says why).
    NotMeasured(String),
}

/// The outcome of a prediction, once the run has ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// What the run showed, when it showed it.
    pub shown: Option<Value>,
    /// The choice (0-based) that fits what the run showed.
    pub fitting: Option<usize>,
    /// The learner's answer (0-based), given before the run.
    pub answer: Option<usize>,
    /// `Some(right)` when the prediction counts; `None` with the reason.
    pub scored: Result<bool, NotScored>,
}

impl Verdict {
    /// Judges `answer` against a finished trace.
    pub fn judge(
        choices: &[String],
        measured: Measured,
        tolerance_us: u64,
        answer: Option<usize>,
        as_asked: Result<(), NotScored>,
    ) -> Verdict {
        let (shown, fitting) = match measured {
            Measured::Value(value) => {
                let fitting = fitting_choice(choices, &value, tolerance_us);
                (Some(value), fitting)
            }
            Measured::Missing(why) => {
                return Verdict {
                    shown: None,
                    fitting: None,
                    answer,
                    scored: Err(NotScored::NotMeasured(why)),
                };
            }
        };
        let scored = match (answer, fitting) {
            (None, _) => Err(NotScored::NoAnswer),
            (Some(_), None) => Err(NotScored::NoChoiceFits),
            (Some(a), Some(f)) => as_asked.map(|()| a == f),
        };
        Verdict {
            shown,
            fitting,
            answer,
            scored,
        }
    }

    /// Whether the answer matches what the run showed, scored or not.
    pub fn matches(&self) -> Option<bool> {
        Some(self.answer? == self.fitting?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Plain;
    impl KnobText for Plain {
        fn knob_text(&self, name: &str, value: &KnobValue) -> String {
            match value {
                KnobValue::Int(ms) if name.ends_with("_ms") => seconds(ms * 1000),
                other => other.to_string(),
            }
        }
    }

    fn knobs(pairs: &[(&str, u64)]) -> Knobs {
        Knobs::new(
            pairs
                .iter()
                .map(|(n, v)| (n.to_string(), KnobValue::Int(*v)))
                .collect(),
        )
    }

    #[test]
    fn values_parse_as_times_numbers_or_text() {
        assert_eq!(Value::parse("0.5 s"), Value::Time(500_000));
        assert_eq!(Value::parse(" 3.5s "), Value::Time(3_500_000));
        assert_eq!(Value::parse("250 ms"), Value::Time(250_000));
        assert_eq!(Value::parse("50"), Value::Number(50.0));
        assert_eq!(Value::parse("Done"), Value::Text("done".into()));
        assert!(Value::parse("1.0 s").fits(&Value::Time(1_003_000), 100_000));
        assert!(!Value::parse("1.0 s").fits(&Value::Time(1_003_000), 1_000));
        assert!(!Value::parse("50").fits(&Value::Time(50), 1_000));
    }

    #[test]
    fn a_log_value_is_the_word_after_its_text() {
        assert_eq!(first_value("500ms"), "500ms");
        assert_eq!(first_value(" 0.5 s, then more"), "0.5 s");
        assert_eq!(first_value("3.5s other=1"), "3.5s");
        assert_eq!(first_value("50 (expected 50)"), "50");
        assert_eq!(first_value("done."), "done");
        assert_eq!(first_value(""), "");
    }

    #[test]
    fn templates_take_the_knob_values_and_plurals() {
        let k = knobs(&[("requests", 1), ("work_ms", 500), ("permits", 3)]);
        assert_eq!(
            fill(
                "{requests:request/requests} of {work_ms} each, {permits:permit/permits}.",
                &k,
                &Plain
            ),
            "1 request of 0.5 s each, 3 permits."
        );
        assert_eq!(fill("{nope} and {", &k, &Plain), "{nope} and {");
        assert_eq!(
            template_names("a {x} b {y:one/two}"),
            vec!["x", "y"],
            "names without plural forms"
        );
    }

    #[test]
    fn the_fitting_choice_is_unique_or_none() {
        let choices: Vec<String> = ["0.5 s", "3.3 s", "3.5 s", "10.0 s"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            fitting_choice(&choices, &Value::Time(3_500_000), 1_000),
            Some(2)
        );
        assert_eq!(
            fitting_choice(&choices, &Value::Time(2_000_000), 1_000),
            None
        );
        // A tolerance wide enough to fit two choices fits none.
        assert_eq!(
            fitting_choice(&choices, &Value::Time(3_400_000), 200_000),
            None
        );
    }

    #[test]
    fn verdicts_score_only_honest_answers() {
        let choices: Vec<String> = ["0.5 s", "3.5 s"].map(String::from).to_vec();
        let at = |us| Measured::Value(Value::Time(us));
        let right = Verdict::judge(&choices, at(3_500_000), 1_000, Some(1), Ok(()));
        assert_eq!(right.scored, Ok(true));
        let wrong = Verdict::judge(&choices, at(3_500_000), 1_000, Some(0), Ok(()));
        assert_eq!(wrong.scored, Ok(false));
        assert_eq!(wrong.matches(), Some(false));
        let practice = Verdict::judge(
            &choices,
            at(3_500_000),
            1_000,
            Some(1),
            Err(NotScored::KnobsChanged),
        );
        assert_eq!(practice.scored, Err(NotScored::KnobsChanged));
        assert_eq!(practice.matches(), Some(true));
        let meddled = Verdict::judge(
            &choices,
            at(3_500_000),
            1_000,
            Some(0),
            Err(NotScored::YouCancelled),
        );
        assert_eq!(meddled.scored, Err(NotScored::YouCancelled));
        assert_eq!(meddled.matches(), Some(false));
        let none_fits = Verdict::judge(&choices, at(2_000_000), 1_000, Some(1), Ok(()));
        assert_eq!(none_fits.scored, Err(NotScored::NoChoiceFits));
        assert_eq!(none_fits.matches(), None);
        let unanswered = Verdict::judge(&choices, at(3_500_000), 1_000, None, Ok(()));
        assert_eq!(unanswered.scored, Err(NotScored::NoAnswer));
        assert_eq!(unanswered.fitting, Some(1));
        let missing = Verdict::judge(
            &choices,
            Measured::Missing("x".into()),
            1_000,
            Some(1),
            Ok(()),
        );
        assert_eq!(missing.scored, Err(NotScored::NotMeasured("x".into())));
    }
}
