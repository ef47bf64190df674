//! The learner's progress: which lessons they opened, ran to the end, and
//! predicted right.
//!
//! It lives in a small plain-text TOML file that a learner can read, edit or
//! delete (like rustlings' progress), in the user's data directory:
//! `<data dir>/lanes/progress.toml`, or `$LANES_DATA_DIR/progress.toml`.
//!
//! Progress is never worth a crash: a corrupt or unreadable file is moved
//! aside (so nothing is lost), reported in one line, and a fresh progress
//! starts. Saves are atomic (a temporary file in the same directory, then a
//! rename), so a crash mid-save leaves the old file or the new one, never
//! half of one.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use serde::Deserialize;

/// When set (and not empty), the directory that holds `progress.toml`,
/// instead of the user's data directory. For tests and portable setups.
pub const DATA_DIR_ENV: &str = "LANES_DATA_DIR";

const FILE_NAME: &str = "progress.toml";

/// How a learner's answer to a lesson's predict question turned out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Prediction {
    Right,
    Wrong,
}

impl Prediction {
    fn as_str(self) -> &'static str {
        match self {
            Prediction::Right => "right",
            Prediction::Wrong => "wrong",
        }
    }
}

/// Everything recorded about one lesson.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Marks {
    pub opened: bool,
    /// The lesson ran to its end at least once.
    pub finished: bool,
    /// The latest answer to the predict question, if any.
    pub predicted: Option<Prediction>,
}

impl Marks {
    fn is_empty(&self) -> bool {
        *self == Marks::default()
    }
}

/// The file as read. Unknown keys are ignored rather than refused, so a
/// file written by a newer lanes is not mistaken for a corrupt one.
#[derive(Deserialize)]
struct ProgressFile {
    #[serde(default)]
    lesson: BTreeMap<String, Marks>,
}

/// The learner's progress, and where it is saved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// `None`: kept for this session only (no data directory, or a bad
    /// file that could not be moved aside and must not be overwritten).
    path: Option<PathBuf>,
    /// By lesson id; ordered so the file is written in a stable order.
    lessons: BTreeMap<String, Marks>,
}

impl Progress {
    /// A progress that is never written anywhere.
    pub fn in_memory() -> Self {
        Progress::default()
    }

    /// `$LANES_DATA_DIR/progress.toml`, else
    /// `<data dir>/lanes/progress.toml`; `None` when there is no data
    /// directory at all.
    pub fn default_path() -> Option<PathBuf> {
        path_from(std::env::var_os(DATA_DIR_ENV), dirs::data_dir())
    }

    /// Loads the progress at `path`. A missing file is a fresh start. A
    /// corrupt or unreadable one is moved aside to `progress.toml.corrupt`
    /// and a fresh progress starts; the string then says what happened, in
    /// one line. Never fails.
    pub fn load(path: &Path) -> (Progress, Option<String>) {
        let fresh = Progress {
            path: Some(path.to_path_buf()),
            lessons: BTreeMap::new(),
        };
        let problem = match fs::read(path) {
            Ok(bytes) => match parse(&bytes) {
                Ok(lessons) => return (Progress { lessons, ..fresh }, None),
                Err(why) => format!("progress file {} is damaged ({why})", path.display()),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => return (fresh, None),
            Err(e) => format!("could not read progress file {} ({e})", path.display()),
        };
        match set_aside(path) {
            Ok(aside) => (
                fresh,
                Some(format!(
                    "{problem}; kept it as {} and started afresh",
                    aside.display()
                )),
            ),
            // Saving would overwrite a file we could not keep: don't save.
            Err(e) => (
                Progress::in_memory(),
                Some(format!(
                    "{problem}; could not move it aside ({e}), so progress is not saved this session"
                )),
            ),
        }
    }

    /// Where `save` writes, if anywhere.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Writes the file atomically, creating its directory. A progress kept
    /// in memory only saves nothing and succeeds.
    pub fn save(&self) -> Result<(), String> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        write_atomically(path, self.to_toml().as_bytes())
            .map_err(|e| format!("could not save progress to {}: {e}", path.display()))
    }

    pub fn marks(&self, id: &str) -> Marks {
        self.lessons.get(id).copied().unwrap_or_default()
    }

    /// Returns whether anything changed (so the caller saves only then).
    pub fn mark_opened(&mut self, id: &str) -> bool {
        self.update(id, |m| m.opened = true)
    }

    /// The lesson ran to its end. Running it means it was opened, too.
    pub fn mark_finished(&mut self, id: &str) -> bool {
        self.update(id, |m| {
            m.opened = true;
            m.finished = true;
        })
    }

    /// The learner answered the predict question; a later answer replaces
    /// an earlier one, so the mark says how they did last time.
    pub fn mark_predicted(&mut self, id: &str, right: bool) -> bool {
        let prediction = if right {
            Prediction::Right
        } else {
            Prediction::Wrong
        };
        self.update(id, |m| {
            m.opened = true;
            m.predicted = Some(prediction);
        })
    }

    fn update(&mut self, id: &str, change: impl FnOnce(&mut Marks)) -> bool {
        let before = self.marks(id);
        let mut after = before;
        change(&mut after);
        if after != before {
            self.lessons.insert(id.to_string(), after);
        }
        after != before
    }

    /// The file's text. Written by hand (the `toml` crate is built to parse
    /// only): one table per lesson that has any mark, in id order.
    pub fn to_toml(&self) -> String {
        let mut out = String::from(
            "# lanes: your progress through the lessons. You may edit or delete this file.\n\
             # opened: you looked at it; finished: it ran to the end;\n\
             # predicted: whether your last answer to its question was \"right\" or \"wrong\".\n",
        );
        for (id, marks) in self.lessons.iter().filter(|(_, m)| !m.is_empty()) {
            // `write!` to a String cannot fail.
            let _ = write!(
                out,
                "\n[lesson.{}]\nopened = {}\nfinished = {}\n",
                toml_key(id),
                marks.opened,
                marks.finished
            );
            if let Some(p) = marks.predicted {
                let _ = writeln!(out, "predicted = \"{}\"", p.as_str());
            }
        }
        out
    }
}

/// The default path, from the override variable and the data directory
/// (apart from `default_path` so it can be tested without touching the
/// process environment).
fn path_from(override_dir: Option<OsString>, data_dir: Option<PathBuf>) -> Option<PathBuf> {
    match override_dir.filter(|d| !d.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir).join(FILE_NAME)),
        None => data_dir.map(|d| d.join("lanes").join(FILE_NAME)),
    }
}

/// The lessons in a file's bytes, or a one-line reason why not.
fn parse(bytes: &[u8]) -> Result<BTreeMap<String, Marks>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string())?;
    let file: ProgressFile = toml::from_str(text).map_err(|e| describe(&e, text))?;
    Ok(file.lesson)
}

/// `line 3: invalid string`: the parser's message is several lines long
/// and points into the text; a warning has one line.
fn describe(error: &toml::de::Error, text: &str) -> String {
    let message = error
        .message()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match error.span() {
        Some(span) => {
            let start = span.start.min(text.len());
            let line = text.as_bytes()[..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            format!("line {line}: {message}")
        }
        None => message,
    }
}

/// Renames a bad file to `<name>.corrupt` (or `.corrupt.2`, `.corrupt.3`, …
/// if earlier ones are still there: an older bad file is kept too).
fn set_aside(path: &Path) -> io::Result<PathBuf> {
    let mut base = path.as_os_str().to_owned();
    base.push(".corrupt");
    let free = (1..=100)
        .map(|n| {
            let mut name = base.clone();
            if n > 1 {
                name.push(format!(".{n}"));
            }
            PathBuf::from(name)
        })
        .find(|p| fs::symlink_metadata(p).is_err())
        .ok_or_else(|| io::Error::other("too many .corrupt files already"))?;
    fs::rename(path, &free)?;
    Ok(free)
}

/// Writes `contents` to a temporary file beside `path`, flushes it to disk,
/// then renames it over `path`: readers see the old file or the new one.
fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let temp = dir.join(temp_name(path));
    let result = write_and_rename(&temp, path, contents);
    if result.is_err() {
        // Best effort: the error that matters is the one returned.
        let _ = fs::remove_file(&temp);
    }
    result
}

fn write_and_rename(temp: &Path, path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = fs::File::create(temp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    fs::rename(temp, path)
}

/// `.progress.toml.tmp-<pid>-<n>`: unique per process and per save, so two
/// lanes running at once never write into each other's temporary file.
fn temp_name(path: &Path) -> OsString {
    static SAVES: AtomicU32 = AtomicU32::new(0);
    let n = SAVES.fetch_add(1, Ordering::Relaxed);
    let mut name = OsString::from(".");
    name.push(path.file_name().unwrap_or(FILE_NAME.as_ref()));
    name.push(format!(".tmp-{}-{n}", std::process::id()));
    name
}

/// A lesson id as a TOML key: bare when it can be, quoted otherwise.
fn toml_key(id: &str) -> String {
    let bare = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        return id.to_string();
    }
    let mut key = String::from("\"");
    for c in id.chars() {
        match c {
            '"' => key.push_str("\\\""),
            '\\' => key.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(key, "\\u{:04X}", c as u32);
            }
            c => key.push(c),
        }
    }
    key.push('"');
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh, empty directory for one test (no tempfile crate here).
    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("lanes-progress-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn missing_file_is_a_fresh_start_without_warning() {
        let dir = scratch("missing");
        let (progress, warning) = Progress::load(&dir.join("progress.toml"));
        assert_eq!(warning, None);
        assert_eq!(progress.marks("semaphore"), Marks::default());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn round_trip() {
        let dir = scratch("round-trip");
        // The directory does not exist yet: save creates it.
        let path = dir.join("deeper").join("progress.toml");
        let (mut progress, _) = Progress::load(&path);
        assert!(progress.mark_opened("join"));
        assert!(!progress.mark_opened("join"), "no change, nothing to save");
        progress.mark_finished("semaphore");
        progress.mark_predicted("semaphore", false);
        progress.mark_predicted("semaphore", true);
        progress.mark_predicted("task-group", false);
        progress.mark_opened("odd \"id\".with\\dots");
        progress.save().unwrap();

        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# lanes: your progress"), "{text}");
        assert!(
            text.contains(
                "[lesson.semaphore]\nopened = true\nfinished = true\npredicted = \"right\"\n"
            ),
            "{text}"
        );

        let (again, warning) = Progress::load(&path);
        assert_eq!(warning, None);
        assert_eq!(again, progress);
        assert_eq!(
            again.marks("semaphore"),
            Marks {
                opened: true,
                finished: true,
                predicted: Some(Prediction::Right)
            }
        );
        assert_eq!(again.marks("task-group").predicted, Some(Prediction::Wrong));
        assert!(again.marks("odd \"id\".with\\dots").opened);
        assert_eq!(again.marks("never-seen"), Marks::default());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_edited_by_hand_is_read() {
        let dir = scratch("by-hand");
        let path = dir.join("progress.toml");
        // Missing keys default; unknown keys (a newer lanes) are ignored.
        fs::write(
            &path,
            "[lesson.join]\nfinished = true\nstars = 3\n\n[settings]\nx = 1\n",
        )
        .unwrap();
        let (progress, warning) = Progress::load(&path);
        assert_eq!(warning, None);
        assert_eq!(
            progress.marks("join"),
            Marks {
                opened: false,
                finished: true,
                predicted: None
            }
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn corrupt_file_is_reported_moved_aside_and_replaced() {
        let dir = scratch("corrupt");
        let path = dir.join("progress.toml");
        let damaged = "[lesson.join]\nopened = true\npredicted = \"maybe\"\n";
        fs::write(&path, damaged).unwrap();

        let (mut progress, warning) = Progress::load(&path);
        let warning = warning.expect("a corrupt file is reported");
        assert!(!warning.contains('\n'), "one line: {warning}");
        assert!(
            warning.contains("damaged") && warning.contains("line 3"),
            "{warning}"
        );
        assert!(warning.contains("progress.toml.corrupt"), "{warning}");
        assert_eq!(progress.marks("join"), Marks::default(), "a fresh start");
        // Nothing is lost: the damaged text is kept byte for byte.
        let aside = dir.join("progress.toml.corrupt");
        assert_eq!(fs::read_to_string(&aside).unwrap(), damaged);
        assert!(!path.exists());

        // The fresh progress saves where the old one was.
        progress.mark_opened("spawn");
        progress.save().unwrap();
        assert!(Progress::load(&path).0.marks("spawn").opened);

        // A second bad file does not overwrite the first one kept.
        fs::write(&path, [0xff, 0xfe, 0x00]).unwrap();
        let (_, warning) = Progress::load(&path);
        assert!(warning.unwrap().contains("not UTF-8"));
        assert_eq!(fs::read_to_string(&aside).unwrap(), damaged);
        assert_eq!(
            fs::read(dir.join("progress.toml.corrupt.2")).unwrap(),
            [0xff, 0xfe, 0x00]
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn unreadable_path_is_reported_and_replaced() {
        let dir = scratch("unreadable");
        // A directory where the file should be: reading it fails.
        let path = dir.join("progress.toml");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("keep.txt"), "mine").unwrap();

        let (mut progress, warning) = Progress::load(&path);
        let warning = warning.expect("an unreadable file is reported");
        assert!(warning.contains("could not read"), "{warning}");
        assert!(!warning.contains('\n'));
        // Moved aside with what it held; the fresh progress can be saved.
        assert!(dir.join("progress.toml.corrupt").join("keep.txt").exists());
        progress.mark_opened("join");
        progress.save().unwrap();
        assert!(Progress::load(&path).0.marks("join").opened);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_path_that_cannot_be_kept_is_not_overwritten() {
        let dir = scratch("blocked");
        // The "directory" is a file: nothing can be read, moved or saved.
        fs::write(dir.join("not-a-dir"), "mine").unwrap();
        let path = dir.join("not-a-dir").join("progress.toml");
        let (mut progress, warning) = Progress::load(&path);
        let warning = warning.expect("reported");
        assert!(warning.contains("not saved this session"), "{warning}");
        assert_eq!(progress.path(), None);
        progress.mark_opened("join");
        assert_eq!(
            progress.save(),
            Ok(()),
            "session-only progress saves nothing"
        );
        assert_eq!(fs::read_to_string(dir.join("not-a-dir")).unwrap(), "mine");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn save_errors_are_reported_not_fatal() {
        let dir = scratch("save-error");
        fs::write(dir.join("file"), "").unwrap();
        let progress = Progress {
            path: Some(dir.join("file").join("progress.toml")),
            lessons: BTreeMap::new(),
        };
        let error = progress.save().unwrap_err();
        assert!(error.starts_with("could not save progress to"), "{error}");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn atomic_save_leaves_no_temporary_file() {
        let dir = scratch("atomic");
        let path = dir.join("progress.toml");
        let (mut progress, _) = Progress::load(&path);
        for id in ["join", "spawn", "timeout"] {
            progress.mark_opened(id);
            progress.save().unwrap();
        }
        assert_eq!(files_in(&dir), ["progress.toml"]);
        assert!(Progress::load(&path).0.marks("timeout").opened);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn default_path_honours_the_override() {
        let data = Some(PathBuf::from("/home/u/.local/share"));
        assert_eq!(
            path_from(Some("/tmp/t".into()), data.clone()),
            Some(PathBuf::from("/tmp/t/progress.toml"))
        );
        assert_eq!(
            path_from(None, data.clone()),
            Some(PathBuf::from("/home/u/.local/share/lanes/progress.toml"))
        );
        assert_eq!(
            path_from(Some("".into()), data),
            Some(PathBuf::from("/home/u/.local/share/lanes/progress.toml")),
            "an empty override is no override"
        );
        assert_eq!(path_from(None, None), None);
    }

    #[test]
    fn keys_are_quoted_only_when_needed() {
        assert_eq!(toml_key("task-group"), "task-group");
        assert_eq!(toml_key("a.b"), "\"a.b\"");
        assert_eq!(toml_key("say \"hi\"\\"), "\"say \\\"hi\\\"\\\\\"");
        assert_eq!(toml_key(""), "\"\"");
    }
}
