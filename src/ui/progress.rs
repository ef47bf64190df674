//! The learner's progress: which lessons they opened, ran to the end, and
//! predicted right or wrong.
//!
//! It lives in a small plain-text TOML file that a learner can read, edit or
//! delete (like rustlings' progress), in the user's data directory:
//! `<data dir>/lanes/progress.toml`, or `$LANES_DATA_DIR/progress.toml`.
//!
//! Progress is never worth a crash, and never lost:
//!
//! - A corrupt or unreadable file is moved aside (so nothing is lost),
//!   reported in one line, and a fresh progress starts.
//! - Two `lanes` sharing one data folder (a teacher's projector and laptop)
//!   merge their records: a save re-reads the file and applies only this
//!   process's own marks since its last save on top of what is there, so a
//!   save never erases what another process wrote meanwhile.
//! - Saves edit the file in place with `toml_edit`: comments, unknown keys
//!   and tables that someone added by hand survive.
//! - Saves are atomic (a temporary file in the same directory, then a
//!   rename), so a crash mid-save leaves the old file or the new one, never
//!   half of one.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use serde::Deserialize;
use toml_edit::{DocumentMut, Item, Table, TableLike, value};

/// When set (and not empty), the directory that holds `progress.toml`,
/// instead of the user's data directory. For tests and portable setups.
pub const DATA_DIR_ENV: &str = "LANES_DATA_DIR";

const FILE_NAME: &str = "progress.toml";

/// The first lines of a new file.
const HEADER: &str = "# lanes: your progress through the lessons. You may edit or delete this file.\n\
                      # opened: you looked at it; finished: it ran to the end;\n\
                      # predicted: whether your last answer to its question was \"right\" or \"wrong\".\n";

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
    /// The latest answer to the predict question, if any: a wrong one is
    /// kept too (the picker shows it, and the learner may try again).
    pub predicted: Option<Prediction>,
}

impl Marks {
    fn is_empty(&self) -> bool {
        *self == Marks::default()
    }

    /// These marks with `newer` ones on top: `opened` and `finished` are
    /// never taken back (OR), and a newer answer replaces an older one.
    pub fn merged(self, newer: Marks) -> Marks {
        Marks {
            opened: self.opened || newer.opened,
            finished: self.finished || newer.finished,
            predicted: newer.predicted.or(self.predicted),
        }
    }
}

/// How far a learner got through some lessons (see `Progress::summary`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// How many lessons were asked about.
    pub lessons: usize,
    /// How many of them ran to their end.
    pub finished: usize,
    /// How many of them were last predicted right.
    pub predicted_right: usize,
    /// How many of them were last predicted wrong.
    pub predicted_wrong: usize,
}

/// The file as read. Unknown keys are ignored rather than refused, so a
/// file written by a newer lanes is not mistaken for a corrupt one.
#[derive(Deserialize)]
struct ProgressFile {
    #[serde(default)]
    lesson: BTreeMap<String, Marks>,
}

/// A file's contents, checked.
struct OnDisk {
    /// The marks it holds.
    lessons: BTreeMap<String, Marks>,
    /// The text as a format-preserving document, to edit and write back.
    document: DocumentMut,
}

/// What reading the file found.
enum Read {
    Missing,
    Good(OnDisk),
    /// Damaged or unreadable: a one-line reason.
    Bad(String),
}

/// The learner's progress, and where it is saved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// `None`: kept for this session only (no data directory, or a bad
    /// file that could not be moved aside and must not be overwritten).
    path: Option<PathBuf>,
    /// By lesson id: the file as last read or written, with this process's
    /// marks since on top.
    lessons: BTreeMap<String, Marks>,
    /// This process's marks since the last save, by lesson id: what the
    /// next save applies on top of the file as it is then.
    changes: BTreeMap<String, Marks>,
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
            ..Progress::default()
        };
        let problem = match read(path) {
            Read::Missing => return (fresh, None),
            Read::Good(disk) => {
                let lessons = disk.lessons;
                return (Progress { lessons, ..fresh }, None);
            }
            Read::Bad(problem) => problem,
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

    /// Whether there are marks that the next `save` would write.
    pub fn has_unsaved_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    /// Saves this process's marks since the last save: re-reads the file,
    /// applies them on top of what is there now (another `lanes` may have
    /// saved meanwhile), and writes the result atomically, creating the
    /// directory. Afterwards this progress holds the merged records, the
    /// other process's included.
    ///
    /// `Ok(Some(notice))`: saved, with something to tell the learner in one
    /// line (the file had been damaged since it was loaded: it was moved
    /// aside and a fresh one written with everything this process knows).
    /// `Err`: nothing was written (the marks stay pending for the next
    /// save). A progress kept in memory only saves nothing and succeeds.
    pub fn save(&mut self) -> Result<Option<String>, String> {
        let Some(path) = self.path.clone() else {
            self.changes.clear();
            return Ok(None);
        };
        let not_saved = |e: &dyn std::fmt::Display| {
            format!("could not save progress to {}: {e}", path.display())
        };
        let (lessons, text, notice) = match read(&path) {
            Read::Good(mut disk) if !disk.document.as_table().is_empty() => {
                for (id, change) in &self.changes {
                    let before = disk.lessons.get(id).copied().unwrap_or_default();
                    let after = before.merged(*change);
                    write_marks(&mut disk.document, id, before, after);
                    disk.lessons.insert(id.clone(), after);
                }
                (disk.lessons, disk.document.to_string(), None)
            }
            // Damaged since it was loaded: keep it, and write what this
            // process knows (what it loaded, and its own marks since).
            Read::Bad(problem) => {
                let aside = set_aside(&path).map_err(|e| {
                    not_saved(&format_args!(
                        "{problem}, and it could not be moved aside ({e})"
                    ))
                })?;
                let notice = format!(
                    "{problem}; kept it as {} and saved your progress afresh",
                    aside.display()
                );
                let lessons = self.lessons.clone();
                let text = to_toml(&lessons);
                (lessons, text, Some(notice))
            }
            // Missing, or nothing but comments and blanks: a new file
            // (after those comments, if any).
            read => {
                let mut lessons = BTreeMap::new();
                for (id, change) in &self.changes {
                    lessons.insert(id.clone(), *change);
                }
                let kept = match read {
                    Read::Good(disk) => disk.document.to_string(),
                    _ => String::new(),
                };
                let text = if kept.trim().is_empty() {
                    to_toml(&lessons)
                } else {
                    kept.trim_end().to_string() + "\n" + &tables(&lessons)
                };
                (lessons, text, None)
            }
        };
        write_atomically(&path, text.as_bytes()).map_err(|e| not_saved(&e))?;
        self.lessons = lessons;
        self.changes.clear();
        Ok(notice)
    }

    /// Re-reads the file, so that what another `lanes` saved meanwhile
    /// shows (the picker, say, when the learner comes back to it); this
    /// process's unsaved marks stay on top. Writes nothing: a damaged or
    /// unreadable file is left for `save` to deal with, and the one-line
    /// problem returned.
    pub fn refresh(&mut self) -> Option<String> {
        let path = self.path.as_deref()?;
        let mut lessons = match read(path) {
            Read::Good(disk) => disk.lessons,
            // Deleted by hand: a reset, as `save` takes it.
            Read::Missing => BTreeMap::new(),
            Read::Bad(problem) => return Some(problem),
        };
        for (id, change) in &self.changes {
            let marks = lessons.entry(id.clone()).or_default();
            *marks = marks.merged(*change);
        }
        self.lessons = lessons;
        None
    }

    pub fn marks(&self, id: &str) -> Marks {
        self.lessons.get(id).copied().unwrap_or_default()
    }

    /// How many of `ids` ran to the end, and how many were predicted right
    /// and wrong (ids with no record count as not yet done).
    pub fn summary<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Summary {
        let mut summary = Summary::default();
        for id in ids {
            let marks = self.marks(id);
            summary.lessons += 1;
            summary.finished += usize::from(marks.finished);
            match marks.predicted {
                Some(Prediction::Right) => summary.predicted_right += 1,
                Some(Prediction::Wrong) => summary.predicted_wrong += 1,
                None => {}
            }
        }
        summary
    }

    /// Returns whether anything changed (so the caller saves only then).
    pub fn mark_opened(&mut self, id: &str) -> bool {
        self.record(
            id,
            Marks {
                opened: true,
                ..Marks::default()
            },
        )
    }

    /// The lesson ran to its end. Running it means it was opened, too.
    pub fn mark_finished(&mut self, id: &str) -> bool {
        self.record(
            id,
            Marks {
                opened: true,
                finished: true,
                predicted: None,
            },
        )
    }

    /// The learner answered the predict question; a later answer replaces
    /// an earlier one, so the mark says how they did last time. Always
    /// returns true: an answer is news even when it matches the last one
    /// seen here, since another process may have saved a different one
    /// since, and this latest answer is to win.
    pub fn mark_predicted(&mut self, id: &str, right: bool) -> bool {
        let prediction = if right {
            Prediction::Right
        } else {
            Prediction::Wrong
        };
        let marks = Marks {
            opened: true,
            finished: false,
            predicted: Some(prediction),
        };
        self.record(id, marks);
        self.note_change(id, marks);
        true
    }

    /// Applies `marks` to the lesson's; notes them for the next save if
    /// they changed anything.
    fn record(&mut self, id: &str, marks: Marks) -> bool {
        let before = self.marks(id);
        let after = before.merged(marks);
        if after == before {
            return false;
        }
        self.lessons.insert(id.to_string(), after);
        self.note_change(id, marks);
        true
    }

    fn note_change(&mut self, id: &str, marks: Marks) {
        let change = self.changes.entry(id.to_string()).or_default();
        *change = change.merged(marks);
    }

    /// The text of a new file holding these marks.
    pub fn to_toml(&self) -> String {
        to_toml(&self.lessons)
    }
}

/// A new file's text. Written by hand (the comments lead the file, where
/// `toml_edit` would put them last): one table per lesson that has any
/// mark, in id order.
fn to_toml(lessons: &BTreeMap<String, Marks>) -> String {
    String::from(HEADER) + &tables(lessons)
}

/// `[lesson.<id>]` tables, each after a blank line.
fn tables(lessons: &BTreeMap<String, Marks>) -> String {
    let mut out = String::new();
    for (id, marks) in lessons.iter().filter(|(_, m)| !m.is_empty()) {
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

/// Edits `document` so that lesson `id`, which had `before`, has `after`,
/// touching only the values that change: everything else in the file
/// (comments, other keys, their layout) stays as it was.
fn write_marks(document: &mut DocumentMut, id: &str, before: Marks, after: Marks) {
    if after == before {
        return;
    }
    let root = document.as_table_mut();
    if !root.get("lesson").is_some_and(Item::is_table_like) {
        // Absent (the file was read, so it was not anything else).
        let mut lessons = Table::new();
        lessons.set_implicit(true);
        root.insert("lesson", Item::Table(lessons));
    }
    let Some(lessons) = root.get_mut("lesson").and_then(Item::as_table_like_mut) else {
        return;
    };
    match lessons.get_mut(id).and_then(Item::as_table_like_mut) {
        Some(table) => set_marks(table, before, after),
        None => {
            let mut table = Table::new();
            set_marks(&mut table, Marks::default(), after);
            if !after.finished {
                table.insert("finished", value(false));
            }
            lessons.insert(id, Item::Table(table));
        }
    }
}

fn set_marks(table: &mut dyn TableLike, before: Marks, after: Marks) {
    if after.opened != before.opened {
        table.insert("opened", value(after.opened));
    }
    if after.finished != before.finished {
        table.insert("finished", value(after.finished));
    }
    if let Some(p) = after
        .predicted
        .filter(|_| after.predicted != before.predicted)
    {
        table.insert("predicted", value(p.as_str()));
    }
}

/// A progress file is a few kilobytes; past this size a file is not one,
/// and reading it all (a 60 MB log file put there by mistake) would only
/// stall the start.
const MAX_BYTES: u64 = 1 << 20;

/// Up to `MAX_BYTES` of the file, or why not.
fn read_bounded(path: &Path) -> io::Result<Result<Vec<u8>, String>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)?;
    Ok(if bytes.len() as u64 > MAX_BYTES {
        Err(format!(
            "it is over {} KiB, too big to be one",
            MAX_BYTES / 1024
        ))
    } else {
        Ok(bytes)
    })
}

/// Reads and checks the file at `path`.
fn read(path: &Path) -> Read {
    match read_bounded(path) {
        Ok(Err(why)) => Read::Bad(format!(
            "progress file {} is damaged ({why})",
            path.display()
        )),
        Ok(Ok(bytes)) => match parse(&bytes) {
            Ok(disk) => Read::Good(disk),
            Err(why) => Read::Bad(format!(
                "progress file {} is damaged ({why})",
                path.display()
            )),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Read::Missing,
        Err(e) => Read::Bad(format!(
            "could not read progress file {} ({e})",
            path.display()
        )),
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

/// A file's bytes checked: its marks, and the document to edit; or a
/// one-line reason why not.
fn parse(bytes: &[u8]) -> Result<OnDisk, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string())?;
    let file: ProgressFile = toml::from_str(text).map_err(|e| describe(&e, text))?;
    // The same parser underneath: what `toml` took, this takes.
    let document = text
        .parse::<DocumentMut>()
        .map_err(|e| e.message().split_whitespace().collect::<Vec<_>>().join(" "))?;
    Ok(OnDisk {
        lessons: file.lesson,
        document,
    })
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
    let path = &followed(path);
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
    // A progress file kept elsewhere through a symlink stays there: the
    // new file replaces the link's target, not the link.
    let path = &followed(path);
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

/// `path` with its symlinks followed (a link to a link included), as far
/// as they lead; a link to nothing leads to where its target would be.
fn followed(path: &Path) -> PathBuf {
    let mut path = path.to_path_buf();
    // As many hops as the kernel allows before it calls it a loop.
    for _ in 0..40 {
        let is_link = fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        let Some(target) = is_link.then(|| fs::read_link(&path).ok()).flatten() else {
            break;
        };
        path = match path.parent() {
            Some(dir) if target.is_relative() => dir.join(target),
            _ => target,
        };
    }
    path
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
            Ok(None),
            "session-only progress saves nothing"
        );
        assert_eq!(fs::read_to_string(dir.join("not-a-dir")).unwrap(), "mine");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn save_errors_are_reported_not_fatal() {
        let dir = scratch("save-error");
        fs::write(dir.join("file"), "").unwrap();
        let mut progress = Progress {
            path: Some(dir.join("file").join("progress.toml")),
            ..Progress::default()
        };
        progress.mark_opened("join");
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
    fn two_processes_sharing_a_file_merge_their_records() {
        let dir = scratch("two-processes");
        let path = dir.join("progress.toml");
        // Something from an earlier session, that both load.
        let (mut earlier, _) = Progress::load(&path);
        earlier.mark_finished("join");
        earlier.mark_predicted("spawn", true);
        earlier.save().unwrap();

        let (mut projector, _) = Progress::load(&path);
        let (mut laptop, _) = Progress::load(&path);
        // Different lessons...
        projector.mark_finished("semaphore");
        laptop.mark_opened("queue");
        laptop.mark_predicted("mutex", false);
        // ...and the same lessons, differently.
        projector.mark_opened("timeout");
        laptop.mark_finished("timeout");
        projector.mark_predicted("task-group", true);
        laptop.mark_predicted("spawn", false);
        assert_eq!(projector.save(), Ok(None));
        assert_eq!(laptop.save(), Ok(None));

        let (both, warning) = Progress::load(&path);
        assert_eq!(warning, None);
        let finished = |id| both.marks(id).finished;
        assert!(finished("join"), "the earlier session's");
        assert!(finished("semaphore"), "the projector's");
        assert!(finished("timeout"), "finished OR opened");
        assert!(both.marks("queue").opened, "the laptop's");
        assert_eq!(both.marks("mutex").predicted, Some(Prediction::Wrong));
        assert_eq!(
            both.marks("task-group").predicted,
            Some(Prediction::Right),
            "the laptop, which never answered it, keeps the projector's answer"
        );
        assert_eq!(
            both.marks("spawn").predicted,
            Some(Prediction::Wrong),
            "the laptop's latest answer replaces the earlier one"
        );
        // A save leaves the saver holding everything, the other's included.
        assert_eq!(laptop, both);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_save_applies_only_this_process_s_marks_since_its_last_save() {
        let dir = scratch("latest-answer");
        let path = dir.join("progress.toml");
        let (mut a, _) = Progress::load(&path);
        let (mut b, _) = Progress::load(&path);
        a.mark_predicted("semaphore", true);
        a.save().unwrap();
        assert!(!a.has_unsaved_changes());
        // Later, b answers wrong and saves; then a saves something else.
        b.mark_predicted("semaphore", false);
        b.save().unwrap();
        a.mark_opened("join");
        assert!(a.has_unsaved_changes());
        a.save().unwrap();
        let (now, _) = Progress::load(&path);
        assert_eq!(
            now.marks("semaphore").predicted,
            Some(Prediction::Wrong),
            "a's old answer, already saved, does not come back over b's newer one"
        );
        assert!(now.marks("join").opened);
        // The same answer again is still news: it wins over b's.
        assert!(a.mark_predicted("semaphore", false));
        assert!(a.mark_predicted("semaphore", true));
        a.save().unwrap();
        assert_eq!(
            Progress::load(&path).0.marks("semaphore").predicted,
            Some(Prediction::Right)
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn refresh_shows_what_another_process_saved() {
        let dir = scratch("refresh");
        let path = dir.join("progress.toml");
        let (mut projector, _) = Progress::load(&path);
        let (mut laptop, _) = Progress::load(&path);
        projector.mark_opened("join");
        laptop.mark_finished("spawn");
        laptop.save().unwrap();
        assert_eq!(projector.refresh(), None);
        assert!(projector.marks("spawn").finished, "the laptop's");
        assert!(projector.marks("join").opened, "its own, unsaved, kept");
        assert!(projector.has_unsaved_changes());
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            laptop.to_toml(),
            "nothing written"
        );
        // A damaged file is reported and left alone; nothing is lost.
        fs::write(&path, "[lesson.join\n").unwrap();
        let problem = projector.refresh().expect("reported");
        assert!(problem.contains("damaged"), "{problem}");
        assert!(projector.marks("spawn").finished);
        assert_eq!(fs::read_to_string(&path).unwrap(), "[lesson.join\n");
        // A kept-in-memory progress has nothing to refresh from.
        assert_eq!(Progress::in_memory().refresh(), None);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_deleted_file_is_a_reset_that_a_save_respects() {
        let dir = scratch("deleted");
        let path = dir.join("progress.toml");
        let (mut progress, _) = Progress::load(&path);
        progress.mark_finished("join");
        progress.save().unwrap();
        // The learner deletes the file while lanes runs.
        fs::remove_file(&path).unwrap();
        progress.mark_opened("spawn");
        progress.save().unwrap();
        let (again, _) = Progress::load(&path);
        assert!(again.marks("spawn").opened);
        assert_eq!(again.marks("join"), Marks::default());
        assert!(fs::read_to_string(&path).unwrap().starts_with("# lanes:"));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_damaged_after_loading_is_kept_not_overwritten() {
        let dir = scratch("damaged-later");
        let path = dir.join("progress.toml");
        let (mut progress, _) = Progress::load(&path);
        progress.mark_finished("join");
        progress.save().unwrap();
        let damaged = "[lesson.join\nopened = tru\n";
        fs::write(&path, damaged).unwrap();

        progress.mark_opened("spawn");
        let notice = progress.save().expect("saved afresh").expect("and said so");
        assert!(!notice.contains('\n'), "one line: {notice}");
        assert!(notice.contains("damaged"), "{notice}");
        assert!(notice.contains("progress.toml.corrupt"), "{notice}");
        assert_eq!(
            fs::read_to_string(dir.join("progress.toml.corrupt")).unwrap(),
            damaged
        );
        // What this process knew is all in the new file.
        let (again, warning) = Progress::load(&path);
        assert_eq!(warning, None);
        assert!(again.marks("join").finished);
        assert!(again.marks("spawn").opened);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_damaged_file_that_cannot_be_moved_is_left_alone() {
        let dir = scratch("damaged-stuck");
        let path = dir.join("progress.toml");
        let (mut progress, _) = Progress::load(&path);
        // A damaged file, and a hundred kept ones already in the way.
        fs::write(&path, "not toml at all [").unwrap();
        fs::write(dir.join("progress.toml.corrupt"), "").unwrap();
        for n in 2..=100 {
            fs::write(dir.join(format!("progress.toml.corrupt.{n}")), "").unwrap();
        }
        progress.mark_opened("join");
        let error = progress.save().unwrap_err();
        assert!(error.starts_with("could not save progress to"), "{error}");
        assert!(error.contains("moved aside"), "{error}");
        assert!(!error.contains('\n'));
        assert_eq!(fs::read_to_string(&path).unwrap(), "not toml at all [");
        assert!(progress.has_unsaved_changes(), "kept for a later save");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn comments_and_unknown_keys_survive_a_save() {
        let dir = scratch("preserve");
        let path = dir.join("progress.toml");
        let by_hand = "\
# My own notes: do chapter 3 next week.

[lesson.join] # the first one
opened = true # yes I did
finished = false
stars = 3

# Settings a newer lanes might write.
[settings]
theme = \"dark\"
";
        fs::write(&path, by_hand).unwrap();
        let (mut progress, warning) = Progress::load(&path);
        assert_eq!(warning, None);
        progress.mark_finished("join");
        progress.mark_predicted("semaphore", false);
        progress.save().unwrap();

        let text = fs::read_to_string(&path).unwrap();
        // Only what changed: the finished value; a new table for the
        // semaphore; everything else byte for byte.
        let expected = "\
# My own notes: do chapter 3 next week.

[lesson.join] # the first one
opened = true # yes I did
finished = true
stars = 3

[lesson.semaphore]
opened = true
predicted = \"wrong\"
finished = false

# Settings a newer lanes might write.
[settings]
theme = \"dark\"
";
        assert_eq!(text, expected);
        let (again, _) = Progress::load(&path);
        assert!(again.marks("join").finished);
        assert_eq!(again.marks("semaphore").predicted, Some(Prediction::Wrong));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_of_only_comments_keeps_them() {
        let dir = scratch("only-comments");
        let path = dir.join("progress.toml");
        fs::write(&path, "# Reset on Monday.\n\n").unwrap();
        let (mut progress, _) = Progress::load(&path);
        progress.mark_opened("join");
        progress.save().unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "# Reset on Monday.\n\n[lesson.join]\nopened = true\nfinished = false\n"
        );
        assert!(Progress::load(&path).0.marks("join").opened);
        // An empty file is a new one, with the usual header.
        fs::write(&path, "").unwrap();
        progress.mark_opened("spawn");
        progress.save().unwrap();
        assert!(fs::read_to_string(&path).unwrap().starts_with(HEADER));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn other_ways_of_writing_the_tables_are_edited_in_their_own_style() {
        let dir = scratch("styles");
        let path = dir.join("progress.toml");
        for by_hand in [
            "lesson.join.opened = true\nlesson.spawn = { opened = true }\n",
            "[lesson]\njoin.opened = true\nspawn = { opened = true }\n",
        ] {
            fs::write(&path, by_hand).unwrap();
            let (mut progress, warning) = Progress::load(&path);
            assert_eq!(warning, None);
            assert!(progress.marks("join").opened && progress.marks("spawn").opened);
            progress.mark_finished("join");
            progress.mark_finished("spawn");
            progress.mark_opened("odd \"id\".with\\dots");
            progress.save().unwrap();
            let (again, warning) = Progress::load(&path);
            assert_eq!(warning, None, "{}", fs::read_to_string(&path).unwrap());
            assert!(again.marks("join").finished);
            assert!(again.marks("spawn").finished);
            assert!(again.marks("odd \"id\".with\\dots").opened);
            assert_eq!(again, progress);
            let text = fs::read_to_string(&path).unwrap();
            assert!(text.starts_with(by_hand.lines().next().unwrap()), "{text}");
        }
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn marks_merge_by_or_and_the_newer_answer() {
        let right = Marks {
            predicted: Some(Prediction::Right),
            ..Marks::default()
        };
        let finished = Marks {
            opened: true,
            finished: true,
            predicted: None,
        };
        assert_eq!(
            finished.merged(right),
            Marks {
                opened: true,
                finished: true,
                predicted: Some(Prediction::Right)
            }
        );
        assert_eq!(right.merged(Marks::default()), right, "no answer keeps one");
        let wrong = Marks {
            predicted: Some(Prediction::Wrong),
            ..Marks::default()
        };
        assert_eq!(right.merged(wrong).predicted, Some(Prediction::Wrong));
        assert!(
            finished.merged(Marks::default()).finished,
            "never taken back"
        );
    }

    #[test]
    fn summary_counts_the_lessons_asked_about() {
        let mut progress = Progress::in_memory();
        progress.mark_finished("join");
        progress.mark_predicted("join", true);
        progress.mark_finished("spawn");
        progress.mark_predicted("spawn", false);
        progress.mark_predicted("timeout", true);
        progress.mark_finished("not-in-the-list");
        assert_eq!(
            progress.summary(["join", "spawn", "timeout", "queue"]),
            Summary {
                lessons: 4,
                finished: 2,
                predicted_right: 2,
                predicted_wrong: 1
            }
        );
        assert_eq!(progress.summary([]), Summary::default());
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
    fn a_symlinked_file_stays_a_symlink() {
        let dir = scratch("symlink");
        let real = dir.join("elsewhere").join("mine.toml");
        fs::create_dir_all(real.parent().unwrap()).unwrap();
        fs::write(&real, "# kept\n").unwrap();
        let path = dir.join("progress.toml");
        std::os::unix::fs::symlink("elsewhere/mine.toml", &path).unwrap();
        let (mut progress, warning) = Progress::load(&path);
        assert_eq!(warning, None);
        progress.mark_opened("join");
        progress.save().unwrap();
        assert!(
            fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let text = fs::read_to_string(&real).unwrap();
        assert!(
            text.starts_with("# kept") && text.contains("[lesson.join]"),
            "{text}"
        );
        assert!(Progress::load(&path).0.marks("join").opened);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_huge_file_is_given_up_on_without_reading_it_all() {
        let dir = scratch("huge");
        let path = dir.join("progress.toml");
        let big = vec![b'#'; (MAX_BYTES as usize) * 3];
        fs::write(&path, &big).unwrap();
        let start = std::time::Instant::now();
        let (progress, warning) = Progress::load(&path);
        let warning = warning.expect("reported");
        assert!(warning.contains("too big"), "{warning}");
        assert!(!warning.contains('\n'));
        assert_eq!(progress.marks("join"), Marks::default());
        // Kept, whole, beside it.
        assert_eq!(
            fs::read(dir.join("progress.toml.corrupt")).unwrap().len(),
            big.len()
        );
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn keys_are_quoted_only_when_needed() {
        assert_eq!(toml_key("task-group"), "task-group");
        assert_eq!(toml_key("a.b"), "\"a.b\"");
        assert_eq!(toml_key("say \"hi\"\\"), "\"say \\\"hi\\\"\\\\\"");
        assert_eq!(toml_key(""), "\"\"");
    }
}
