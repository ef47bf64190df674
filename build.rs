//! Compiles every lesson folder into the binary: `lessons/NN-<id>/lesson.rs`
//! becomes a module, and its text files are included verbatim, so the code a
//! learner reads is the code that runs. Editing a lesson and rebuilding is
//! all it takes to see the change.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

const FILES: [&str; 5] = [
    "lesson.rs",
    "lesson.toml",
    "scenario.md",
    "story.md",
    "twin.py",
];

fn main() {
    let root = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("lessons");
    println!("cargo:rerun-if-changed={}", root.display());

    let mut folders: Vec<String> = fs::read_dir(&root)
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .filter(|e| e.path().join("lesson.rs").is_file())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    folders.sort();

    let mut modules = String::new();
    let mut table = String::from("pub(crate) static FOLDERS: &[LessonFiles] = &[\n");
    for folder in &folders {
        let dir = root.join(folder);
        for file in FILES {
            println!("cargo:rerun-if-changed={}", dir.join(file).display());
        }
        let id = folder.split_once('-').map_or(folder.as_str(), |(_, id)| id);
        let module = format!("lesson_{}", id.replace('-', "_"));
        let path = |file: &str| format!("{:?}", dir.join(file).display().to_string());
        let _ = writeln!(
            modules,
            "#[path = {}]\npub mod {module};",
            path("lesson.rs")
        );
        let text = |file: &str| {
            if dir.join(file).is_file() {
                format!("include_str!({})", path(file))
            } else {
                "\"\"".to_string()
            }
        };
        let _ = writeln!(
            table,
            "    LessonFiles {{ folder: {folder:?}, source: {}, meta: {}, scenario: {}, story: {}, twin: {}, \
             entry: |knobs| Box::pin(async move {{ \
             crate::engine::LessonOutcome(crate::engine::Outcome::failure(&{module}::run(knobs).await)) }}) }},",
            text("lesson.rs"),
            text("lesson.toml"),
            text("scenario.md"),
            text("story.md"),
            text("twin.py"),
        );
    }
    table.push_str("];\n");

    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("lessons.rs");
    fs::write(out, modules + &table).expect("OUT_DIR is writable");
}
