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

#[test]
fn every_lesson_runs_to_its_end_with_default_knobs() {
    // `main` may fail on purpose (a task group passes its first error up);
    // what no lesson may do is stall, hang, or leave a lane unfinished.
    for lesson in &catalog().unwrap().lessons {
        let trace = run_headless(
            lesson.run_spec(lesson.default_knobs()),
            Duration::from_secs(20),
        );
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
