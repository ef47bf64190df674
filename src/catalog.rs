//! The lessons, declared as data: `lessons/lessons.toml` orders them into
//! chapters; each folder's `lesson.toml` gives its title, knobs and predict
//! question. The code and texts come in through `build.rs`.

use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

pub use crate::engine::Clock;
use crate::engine::{BoxFuture, Knobs, RunSpec};
use crate::predict::{KnobText, Measure, Value};
use crate::trace::KnobValue;

/// One lesson folder as compiled in.
pub(crate) struct LessonFiles {
    pub folder: &'static str,
    pub source: &'static str,
    pub meta: &'static str,
    pub scenario: &'static str,
    pub story: &'static str,
    pub twin: &'static str,
    pub entry: fn(Knobs) -> BoxFuture,
}

#[allow(clippy::all)]
mod compiled {
    use super::LessonFiles;
    include!(concat!(env!("OUT_DIR"), "/lessons.rs"));
}

const CURRICULUM: &str = include_str!("../lessons/lessons.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Curriculum {
    chapter: Vec<ChapterEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChapterEntry {
    title: String,
    lessons: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonMeta {
    title: String,
    summary: String,
    #[serde(default)]
    clock: Clock,
    #[serde(default)]
    knob: Vec<Knob>,
    predict: Predict,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Knob {
    pub name: String,
    pub help: String,
    pub default: DefaultValue,
    pub min: Option<u64>,
    pub max: Option<u64>,
    pub choices: Option<Vec<String>>,
    /// `"ms"`: a duration in milliseconds, read as seconds in sentences.
    pub unit: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum DefaultValue {
    Bool(bool),
    Int(u64),
    Text(String),
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Predict {
    /// A template: `{knob}` and `{knob:singular/plural}` are filled in with
    /// the knobs the lesson runs with.
    pub question: String,
    /// What the run is measured for; never a stored answer.
    pub measure: Measure,
    /// Sorted by value, as the learner reads them (1-based keys).
    pub choices: Vec<String>,
    /// How far a measured time may be from a choice and still fit it, in
    /// ms: 1 by default; more for lessons that measure real time.
    #[serde(default = "default_tolerance_ms")]
    pub tolerance_ms: u64,
}

fn default_tolerance_ms() -> u64 {
    1
}

pub struct Chapter {
    pub number: usize,
    pub title: String,
    pub lessons: Vec<&'static Lesson>,
}

pub struct Lesson {
    pub id: String,
    pub number: u32,
    pub folder: &'static str,
    pub chapter: usize,
    pub title: String,
    pub summary: String,
    pub clock: Clock,
    pub knobs: Vec<Knob>,
    pub predict: Predict,
    /// The Rust that runs, verbatim.
    pub source: &'static str,
    /// What the learner reads before the run (Markdown): the scenario,
    /// never its outcome.
    pub scenario: &'static str,
    /// What the learner reads after the run starts (Markdown): what
    /// happened and why, the asyncio twin, where Rust differs, pitfalls.
    pub story: &'static str,
    /// The asyncio twin (Python).
    pub twin: &'static str,
    /// `NN-<id>/lesson.rs`: how compiler locations name the source.
    source_file: &'static str,
    entry: fn(Knobs) -> BoxFuture,
}

pub struct Catalog {
    pub chapters: Vec<Chapter>,
    pub lessons: Vec<&'static Lesson>,
}

/// The whole curriculum, checked once. An error means the lessons folder
/// is inconsistent (the tests catch this before it ships).
pub fn catalog() -> Result<&'static Catalog, String> {
    static CATALOG: OnceLock<Result<Catalog, String>> = OnceLock::new();
    CATALOG.get_or_init(load).as_ref().map_err(Clone::clone)
}

/// Folders compiled in, by name (for the consistency tests).
pub fn compiled_folders() -> Vec<&'static str> {
    compiled::FOLDERS.iter().map(|f| f.folder).collect()
}

/// Lesson ids listed in `lessons/lessons.toml`, in order.
pub fn listed_ids() -> Result<Vec<String>, String> {
    let curriculum: Curriculum =
        toml::from_str(CURRICULUM).map_err(|e| format!("lessons/lessons.toml: {e}"))?;
    Ok(curriculum
        .chapter
        .into_iter()
        .flat_map(|c| c.lessons)
        .collect())
}

/// `11-semaphore` → `semaphore`.
pub fn folder_id(folder: &str) -> &str {
    folder.split_once('-').map_or(folder, |(_, id)| id)
}

fn load() -> Result<Catalog, String> {
    let curriculum: Curriculum =
        toml::from_str(CURRICULUM).map_err(|e| format!("lessons/lessons.toml: {e}"))?;
    let mut chapters = Vec::new();
    let mut all = Vec::new();
    for (index, entry) in curriculum.chapter.into_iter().enumerate() {
        let mut lessons = Vec::new();
        for id in entry.lessons {
            // A listed lesson without a folder is skipped here and reported
            // by `unlisted_and_missing` (the tests hold both lists equal).
            let Some(files) = compiled::FOLDERS
                .iter()
                .find(|f| folder_id(f.folder) == id.as_str())
            else {
                continue;
            };
            let lesson: &'static Lesson = Box::leak(Box::new(lesson_from(files, &id, index + 1)?));
            lessons.push(lesson);
            all.push(lesson);
        }
        chapters.push(Chapter {
            number: index + 1,
            title: entry.title,
            lessons,
        });
    }
    Ok(Catalog {
        chapters,
        lessons: all,
    })
}

fn lesson_from(files: &'static LessonFiles, id: &str, chapter: usize) -> Result<Lesson, String> {
    let where_ = format!("lessons/{}/lesson.toml", files.folder);
    let meta: LessonMeta = toml::from_str(files.meta).map_err(|e| format!("{where_}: {e}"))?;
    let number = files
        .folder
        .split_once('-')
        .and_then(|(n, _)| n.parse().ok())
        .ok_or_else(|| format!("lessons/{}: the folder must be named NN-<id>", files.folder))?;
    for knob in &meta.knob {
        knob.check().map_err(|e| format!("{where_}: {e}"))?;
    }
    check_predict(&meta.predict, &meta.knob).map_err(|e| format!("{where_}: {e}"))?;
    Ok(Lesson {
        id: id.to_string(),
        number,
        folder: files.folder,
        chapter,
        title: meta.title,
        summary: meta.summary,
        clock: meta.clock,
        knobs: meta.knob,
        predict: meta.predict,
        source: files.source,
        scenario: files.scenario,
        story: files.story,
        twin: files.twin,
        source_file: Box::leak(format!("{}/lesson.rs", files.folder).into_boxed_str()),
        entry: files.entry,
    })
}

/// A question the learner can answer and the run can judge: 2 to 9
/// choices, sorted by value, and templates naming only declared knobs.
fn check_predict(predict: &Predict, knobs: &[Knob]) -> Result<(), String> {
    if !(2..=9).contains(&predict.choices.len()) {
        return Err("predict needs 2 to 9 choices".into());
    }
    let order: Vec<Option<f64>> = predict
        .choices
        .iter()
        .map(|c| Value::parse(c).order())
        .collect();
    if order.iter().all(Option::is_some) && !order.windows(2).all(|w| w[0] < w[1]) {
        return Err("predict choices must be sorted by value".into());
    }
    let mut templates = vec![predict.question.as_str()];
    match &predict.measure {
        Measure::RunEnd => {}
        Measure::LaneEnd(t) | Measure::LogValue(t) => templates.push(t),
    }
    for template in templates {
        for name in crate::predict::template_names(template) {
            if !knobs.iter().any(|k| k.name == name) {
                return Err(format!("predict names '{{{name}}}', which is not a knob"));
            }
        }
    }
    Ok(())
}

impl Catalog {
    pub fn lesson(&self, id: &str) -> Option<&'static Lesson> {
        self.lessons.iter().copied().find(|l| l.id == id)
    }

    pub fn ids(&self) -> Vec<&str> {
        self.lessons.iter().map(|l| l.id.as_str()).collect()
    }
}

impl Knob {
    fn check(&self) -> Result<(), String> {
        match &self.default {
            DefaultValue::Int(v) => {
                let (min, max) = (self.min.unwrap_or(0), self.max.unwrap_or(u64::MAX));
                if min > max || *v < min || *v > max {
                    return Err(format!(
                        "knob '{}': default {v} is outside {min}..={max}",
                        self.name
                    ));
                }
            }
            DefaultValue::Text(v) => match &self.choices {
                Some(choices) if choices.contains(v) => {}
                _ => {
                    return Err(format!(
                        "knob '{}': default '{v}' is not among its choices",
                        self.name
                    ));
                }
            },
            DefaultValue::Bool(_) => {}
        }
        Ok(())
    }

    pub fn default_value(&self) -> KnobValue {
        match &self.default {
            DefaultValue::Bool(v) => KnobValue::Bool(*v),
            DefaultValue::Int(v) => KnobValue::Int(*v),
            DefaultValue::Text(v) => KnobValue::Text(v.clone()),
        }
    }

    /// What values this knob takes, for error messages and help.
    pub fn accepts(&self) -> String {
        match &self.default {
            DefaultValue::Bool(_) => "true or false".to_string(),
            DefaultValue::Int(_) => {
                format!(
                    "a whole number from {} to {}",
                    self.min.unwrap_or(0),
                    self.max.unwrap_or(u64::MAX)
                )
            }
            DefaultValue::Text(_) => {
                format!(
                    "one of {}",
                    self.choices.as_deref().unwrap_or_default().join(", ")
                )
            }
        }
    }

    /// Parses a value typed by the learner. One syntax everywhere (the
    /// command line, the knobs popup): a whole number is decimal digits,
    /// optionally grouped by `_` (`10_000`), with no sign, spaces or leading
    /// zeros; a boolean is `true` or `false`, in any case; a choice is one
    /// of its names, as written.
    pub fn parse(&self, text: &str) -> Result<KnobValue, KnobError> {
        let bad = || KnobError::BadValue {
            knob: self.name.clone(),
            value: text.to_string(),
            accepts: self.accepts(),
        };
        match &self.default {
            DefaultValue::Bool(_) => match text.to_ascii_lowercase().as_str() {
                "true" => Ok(KnobValue::Bool(true)),
                "false" => Ok(KnobValue::Bool(false)),
                _ => Err(bad()),
            },
            DefaultValue::Int(_) => {
                let value = parse_whole(text).ok_or_else(bad)?;
                if value < self.min.unwrap_or(0) || value > self.max.unwrap_or(u64::MAX) {
                    return Err(bad());
                }
                Ok(KnobValue::Int(value))
            }
            DefaultValue::Text(_) => match &self.choices {
                Some(choices) if choices.iter().any(|c| c == text) => {
                    Ok(KnobValue::Text(text.to_string()))
                }
                _ => Err(bad()),
            },
        }
    }
}

/// `1500`, `10_000`: digits, `_` only between digits, no leading zero.
fn parse_whole(text: &str) -> Option<u64> {
    let groups_ok = text
        .split('_')
        .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()));
    let digits: String = text.chars().filter(|c| *c != '_').collect();
    if !groups_ok || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    digits.parse().ok()
}

/// `text` as one printable line: control characters (a newline, an escape)
/// written as escapes, so an error message is always one line and never
/// drives the terminal.
pub fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Why a knob setting was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KnobError {
    Malformed(String),
    /// The same knob set twice in one command.
    Repeated(String),
    Unknown {
        lesson: String,
        knob: String,
        valid: Vec<String>,
    },
    BadValue {
        knob: String,
        value: String,
        accepts: String,
    },
}

impl fmt::Display for KnobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KnobError::Malformed(text) => {
                write!(
                    f,
                    "'{}' is not a knob setting; write it as name=value",
                    printable(text)
                )
            }
            KnobError::Repeated(knob) => {
                write!(
                    f,
                    "knob '{}' is given twice; give each knob once",
                    printable(knob)
                )
            }
            KnobError::Unknown {
                lesson,
                knob,
                valid,
            } if valid.is_empty() => {
                write!(
                    f,
                    "lesson '{lesson}' has no knob '{}'; it has no knobs",
                    printable(knob)
                )
            }
            KnobError::Unknown {
                lesson,
                knob,
                valid,
            } => {
                write!(
                    f,
                    "lesson '{lesson}' has no knob '{}'; its knobs: {}",
                    printable(knob),
                    valid.join(", ")
                )
            }
            KnobError::BadValue {
                knob,
                value,
                accepts,
            } => {
                write!(
                    f,
                    "knob '{knob}' cannot be '{}'; it takes {accepts}",
                    printable(value)
                )
            }
        }
    }
}

impl KnobText for Lesson {
    fn knob_text(&self, name: &str, value: &KnobValue) -> String {
        let unit = self
            .knobs
            .iter()
            .find(|k| k.name == name)
            .and_then(|k| k.unit.as_deref());
        match (unit, value) {
            (Some("ms"), KnobValue::Int(ms)) => crate::render::text::seconds(ms * 1000),
            _ => value.to_string(),
        }
    }
}

impl Lesson {
    /// The question as it reads with these knobs.
    pub fn question(&self, knobs: &Knobs) -> String {
        crate::predict::fill(&self.predict.question, knobs, self)
    }

    /// What the question measures, for these knobs.
    pub fn measure(&self, knobs: &Knobs) -> Measure {
        crate::predict::filled(&self.predict.measure, knobs, self)
    }

    /// Judges an answer (0-based) given before a run with `knobs`, on the
    /// run's trace.
    pub fn verdict(
        &self,
        knobs: &Knobs,
        trace: &crate::trace::Trace,
        answer: Option<usize>,
    ) -> crate::predict::Verdict {
        let measured = crate::predict::measure(&self.measure(knobs), trace);
        crate::predict::Verdict::judge(
            &self.predict.choices,
            measured,
            self.predict.tolerance_ms * 1000,
            answer,
            if trace.learner_cancelled() {
                Err(crate::predict::NotScored::YouCancelled)
            } else if *knobs != self.default_knobs() {
                Err(crate::predict::NotScored::KnobsChanged)
            } else {
                Ok(())
            },
        )
    }

    pub fn default_knobs(&self) -> Knobs {
        Knobs::new(
            self.knobs
                .iter()
                .map(|k| (k.name.clone(), k.default_value()))
                .collect(),
        )
    }

    /// The defaults with `settings` (`name=value`) applied, in declaration order.
    pub fn knobs_with<S: AsRef<str>>(&self, settings: &[S]) -> Result<Knobs, KnobError> {
        let mut values: Vec<(String, KnobValue)> = self.default_knobs().values().to_vec();
        let mut given: Vec<&str> = Vec::new();
        for setting in settings {
            let setting = setting.as_ref();
            let (name, value) = setting
                .split_once('=')
                .ok_or_else(|| KnobError::Malformed(setting.to_string()))?;
            if given.contains(&name) {
                return Err(KnobError::Repeated(name.to_string()));
            }
            given.push(name);
            let knob =
                self.knobs
                    .iter()
                    .find(|k| k.name == name)
                    .ok_or_else(|| KnobError::Unknown {
                        lesson: self.id.clone(),
                        knob: name.to_string(),
                        valid: self.knobs.iter().map(|k| k.name.clone()).collect(),
                    })?;
            let parsed = knob.parse(value)?;
            if let Some(slot) = values.iter_mut().find(|(n, _)| n == name) {
                slot.1 = parsed;
            }
        }
        Ok(Knobs::new(values))
    }

    /// What the engine needs to run this lesson with these knobs.
    /// A stand-in for the lesson behind a trace that no lesson of lanes
    /// made (a user's own program, `lanes view`): its name, no code, no
    /// question, texts that say so. Made once per file viewed, so leaked.
    pub fn for_foreign_trace(name: &str, file: &str) -> &'static Lesson {
        fn nothing_to_run(_: Knobs) -> BoxFuture {
            Box::pin(async { crate::engine::LessonOutcome(None) })
        }
        let leak = |text: String| -> &'static str { Box::leak(text.into_boxed_str()) };
        let about = format!(
            "A trace of '{name}', read from {file}. No lesson of lanes made it, so there is \
             no code or story to show beside it: its lanes are what its writer recorded."
        );
        Box::leak(Box::new(Lesson {
            id: name.to_string(),
            number: 0,
            folder: "",
            chapter: 0,
            title: format!("a trace read from {file}"),
            summary: String::new(),
            clock: Clock::Virtual,
            knobs: Vec::new(),
            predict: Predict {
                question: String::new(),
                measure: crate::predict::Measure::RunEnd,
                choices: Vec::new(),
                tolerance_ms: default_tolerance_ms(),
            },
            source: leak(format!("// {about}\n")),
            scenario: leak(about.clone()),
            story: leak(about.clone()),
            twin: leak(format!("# {about}\n")),
            source_file: "",
            entry: nothing_to_run,
        }))
    }

    pub fn run_spec(&self, knobs: Knobs) -> RunSpec {
        let entry = self.entry;
        RunSpec {
            lesson: self.id.clone(),
            knobs,
            entry: std::sync::Arc::new(entry),
            lesson_file: self.source_file,
            clock: self.clock,
            max_events: crate::engine::MAX_EVENTS,
            replay: None,
        }
    }
}
