//! The lessons folder and the curriculum list agree, and every lesson is
//! complete: code, text with its sections, twin, knobs, predict.

use std::collections::BTreeSet;
use std::time::Duration;

use lanes::catalog::{catalog, compiled_folders, folder_id, listed_ids};
use lanes::engine::run_headless;
use lanes::trace::EndReason;

#[test]
fn every_folder_is_listed_and_every_listed_lesson_has_a_folder() {
    let listed: BTreeSet<String> = listed_ids().unwrap().into_iter().collect();
    let on_disk: BTreeSet<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .map(|e| folder_id(&e.file_name().to_string_lossy()).to_string())
            .collect();
    assert_eq!(
        listed, on_disk,
        "lessons/lessons.toml and the lesson folders differ"
    );
    let compiled: BTreeSet<String> = compiled_folders()
        .iter()
        .map(|f| folder_id(f).to_string())
        .collect();
    assert_eq!(compiled, on_disk, "a folder lacks lesson.rs");
    assert_eq!(catalog().unwrap().lessons.len(), listed.len());
}

#[test]
fn folder_numbers_follow_the_curriculum_order() {
    let numbers: Vec<u32> = catalog()
        .unwrap()
        .lessons
        .iter()
        .map(|l| l.number)
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    for lesson in &catalog().unwrap().lessons {
        assert_eq!(lesson.folder, format!("{:02}-{}", lesson.number, lesson.id));
    }
}

/// The headings of `story.md`, in order: the text shown once the run has
/// started.
const STORY_SECTIONS: [&str; 5] = [
    "## What happened",
    "## Why",
    "## The asyncio twin",
    "## Where Rust differs",
    "## Pitfalls",
];

#[test]
fn every_lesson_has_its_text_twin_and_predict() {
    for lesson in &catalog().unwrap().lessons {
        let headings: Vec<&str> = lesson
            .story
            .lines()
            .filter(|l| l.starts_with("## "))
            .map(str::trim_end)
            .collect();
        assert_eq!(
            headings, STORY_SECTIONS,
            "{}: story.md must have exactly these sections, in this order",
            lesson.id
        );
        assert!(
            lesson.story.trim_start().starts_with(STORY_SECTIONS[0]),
            "{}: story.md starts with '{}'",
            lesson.id,
            STORY_SECTIONS[0]
        );
        assert!(
            !lesson.scenario.trim().is_empty(),
            "{}: scenario.md is missing or empty",
            lesson.id
        );
        for section in STORY_SECTIONS {
            assert!(
                !lesson.scenario.contains(section),
                "{}: scenario.md has the story's '{section}'",
                lesson.id
            );
        }
        assert!(
            lesson.twin.contains("import asyncio"),
            "{}: twin.py",
            lesson.id
        );
        assert!(
            lesson.source.contains("pub async fn run"),
            "{}: lesson.rs",
            lesson.id
        );
        assert!(
            !lesson.title.is_empty() && !lesson.summary.is_empty(),
            "{}",
            lesson.id
        );
        assert!(lesson.predict.choices.len() >= 2, "{}: predict", lesson.id);
    }
}

/// The `//` comments of a Rust source, one string per line that has one.
fn comments(source: &str) -> Vec<&str> {
    source
        .lines()
        .filter_map(|line| line.split_once("//").map(|(_, comment)| comment))
        .collect()
}

/// Where `answer` shows in the text a learner reads before the run, if it
/// does: "3.5 s" is found as written and as "3.5s".
fn spoilers(lesson: &lanes::catalog::Lesson, answer: &str) -> Vec<String> {
    let forms = [answer.to_string(), answer.replace(' ', "")];
    let mut places: Vec<(String, &str)> = vec![
        ("title".into(), lesson.title.as_str()),
        ("summary".into(), lesson.summary.as_str()),
        ("scenario.md".into(), lesson.scenario),
        ("twin.py".into(), lesson.twin),
    ];
    for comment in comments(lesson.source) {
        places.push(("a comment in lesson.rs".into(), comment));
    }
    let mut found = Vec::new();
    for (place, text) in places {
        for line in text.lines() {
            if let Some(form) = forms.iter().find(|f| line.contains(f.as_str())) {
                found.push(format!("{place} says '{form}': {}", line.trim()));
            }
        }
    }
    found
}

/// Nothing a learner reads before the run gives away the answer: the
/// choice the default run shows is not in the title, the summary, the
/// scenario, the code's comments or the asyncio twin. (When the question
/// itself holds that text, as a knob's value, it cannot be a spoiler.)
#[test]
fn nothing_shown_before_the_run_states_its_outcome() {
    let mut problems = Vec::new();
    for lesson in &catalog().unwrap().lessons {
        let knobs = lesson.default_knobs();
        let trace = run_headless(lesson.run_spec(knobs.clone()), Duration::from_secs(20));
        let verdict = lesson.verdict(&knobs, &trace, None);
        let Some(fitting) = verdict.fitting else {
            problems.push(format!(
                "{}: no choice fits the default run ({:?})",
                lesson.id, verdict.shown
            ));
            continue;
        };
        let answer = lesson.predict.choices[fitting].as_str();
        if lesson.question(&knobs).contains(answer) {
            continue;
        }
        for spoiler in spoilers(lesson, answer) {
            problems.push(format!("{}: {spoiler}", lesson.id));
        }
    }
    assert!(
        problems.is_empty(),
        "the answer shows before the run:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_spoiler_check_finds_an_answer_where_it_should_not_be() {
    let lesson = catalog().unwrap().lesson("semaphore").unwrap();
    assert_eq!(
        spoilers(lesson, "no such answer 42 s"),
        Vec::<String>::new()
    );
    // "permit" is in the semaphore lesson's title, scenario, comments and
    // twin, but not in its summary.
    let mut places: Vec<String> = spoilers(lesson, "permit")
        .iter()
        .map(|s| s.split(" says ").next().unwrap().to_string())
        .collect();
    places.dedup();
    assert_eq!(
        places,
        ["title", "scenario.md", "twin.py", "a comment in lesson.rs"]
    );
    assert_eq!(
        comments("let x = 1; // one\nlet y = 2;\n// two"),
        [" one", " two"]
    );
}

/// A lesson whose question offers "never": its run may stall by design.
fn stalls_on_purpose(lesson: &lanes::catalog::Lesson) -> bool {
    lesson.predict.choices.iter().any(|c| c == "never")
}

#[test]
fn every_lesson_runs_to_its_end_with_default_knobs() {
    // `main` may fail on purpose (a task group passes its first error up);
    // what no lesson may do is stall, hang, or leave a lane unfinished.
    for lesson in &catalog().unwrap().lessons {
        let trace = run_headless(
            lesson.run_spec(lesson.default_knobs()),
            Duration::from_secs(20),
        );
        // A lesson about a deadlock stalls on purpose, and says why.
        if stalls_on_purpose(lesson) {
            assert_eq!(trace.end().map(|e| e.1), Some(EndReason::Stalled));
            assert!(
                trace
                    .stall_report()
                    .is_some_and(|r| r.contains("a deadlock")),
                "{}",
                lesson.id
            );
            continue;
        }
        assert_eq!(
            trace.end().map(|e| e.1),
            Some(EndReason::Finished),
            "{}",
            lesson.id
        );
        for lane in 1..=trace.lanes().len() as u32 {
            assert!(
                trace.lane_end(lane).is_some(),
                "{}: '{}' never ended",
                lesson.id,
                trace.lane_name(lane)
            );
        }
        for (_, _, level, text) in trace.logs() {
            assert!(
                level > lanes::trace::Level::Error,
                "{}: error logged: {text}",
                lesson.id
            );
        }
    }
}

/// A question is a template: with the knobs at their defaults, their
/// minimums or their maximums, every field is filled in.
#[test]
fn every_question_reads_with_any_knobs() {
    for lesson in &catalog().unwrap().lessons {
        let ends: Vec<Vec<String>> = [
            |k: &lanes::catalog::Knob| k.min,
            |k: &lanes::catalog::Knob| k.max,
        ]
        .iter()
        .map(|end| {
            lesson
                .knobs
                .iter()
                .filter_map(|k| end(k).map(|v| format!("{}={v}", k.name)))
                .collect()
        })
        .collect();
        let mut questions = vec![lesson.question(&lesson.default_knobs())];
        for settings in &ends {
            questions.push(lesson.question(&lesson.knobs_with(settings).unwrap()));
        }
        for question in questions {
            println!("{}: {question}", lesson.id);
            assert!(
                !question.contains('{') && !question.contains('}'),
                "{}: {question}",
                lesson.id
            );
        }
    }
}

/// Every wait is tied to the lesson line that awaits it, except a lane
/// waiting only on its own child lanes (`join`), which the interface says
/// it cannot place.
#[test]
fn every_wait_has_its_line_in_the_code() {
    use lanes::trace::EventKind;
    for lesson in &catalog().unwrap().lessons {
        let trace = run_headless(
            lesson.run_spec(lesson.default_knobs()),
            Duration::from_secs(20),
        );
        for event in trace.events() {
            if let EventKind::Awaiting { on, line } = event.kind {
                let on = trace.text(on);
                let lane = trace.lane_name(event.lane.unwrap_or(0));
                assert!(
                    line.is_some() || on == "join",
                    "{}: '{lane}' waits on {on} at {} µs with no line",
                    lesson.id,
                    event.t_us
                );
                if let Some(line) = line {
                    let text = lesson.source.lines().nth(line as usize - 1).unwrap_or("");
                    assert!(
                        text.contains(".await") || text.contains("await"),
                        "{}: line {line} of a wait on {on} does not await: {text:?}",
                        lesson.id
                    );
                }
            }
        }
    }
}

/// A log line reads right for any count and shows times exactly: with every
/// knob at its minimum (a count of one, times of a millisecond or so), no
/// line says "1 users", and none rounds a time away to "0.0 s".
#[test]
fn log_lines_read_right_with_counts_of_one_and_short_times() {
    for lesson in &catalog().unwrap().lessons {
        let settings: Vec<String> = lesson
            .knobs
            .iter()
            .filter_map(|k| k.min.map(|v| format!("{}={}", k.name, v.max(1))))
            .collect();
        let knobs = lesson.knobs_with(&settings).unwrap();
        let trace = run_headless(lesson.run_spec(knobs), Duration::from_secs(20));
        let ends = if stalls_on_purpose(lesson) {
            EndReason::Stalled
        } else {
            EndReason::Finished
        };
        assert_eq!(
            trace.end().map(|e| e.1),
            Some(ends),
            "{}: {settings:?}",
            lesson.id
        );
        for (.., text) in trace.logs() {
            let words: Vec<&str> = text.split_whitespace().collect();
            let one_plural = words.windows(2).any(|pair| {
                let next = pair[1].trim_end_matches(|c: char| !c.is_alphanumeric());
                pair[0] == "1"
                    && next.len() > 2
                    && next.ends_with('s')
                    && next.chars().all(|c| c.is_ascii_alphabetic())
            });
            let rounded_away = words.iter().any(|w| w.trim_end_matches('s') == "0.0");
            assert!(
                !one_plural && !rounded_away,
                "{} with {settings:?} logs {text:?}",
                lesson.id
            );
        }
    }
}
