//! Command-line parsing and the headless commands. Every mistake in the
//! arguments is one line on stderr saying what is valid, and exit code 2.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use clap::{Parser, Subcommand};

use lanes::catalog::{Catalog, Lesson, catalog};
use lanes::engine::run_headless;
use lanes::render::{chrome, jsonl, svg, text};
use lanes::ui::app::App;
use lanes::ui::progress::Progress;
use lanes::ui::theme::Theme;

/// A headless run still going after this much real time is declared hung.
const HEADLESS_WALL_LIMIT: Duration = Duration::from_secs(30);

#[derive(Parser)]
#[command(
    name = "lanes",
    version,
    about = "Watch async Rust run: every task and future of a lesson drawn as a lane on a time axis.",
    after_help = "Run `lanes list` to see the lessons, `lanes run <id>` to watch one."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Draw with ASCII characters only (for terminals without Unicode).
    #[arg(long, global = true)]
    ascii: bool,
}

#[derive(Subcommand)]
enum Command {
    /// List every lesson: id, chapter and title.
    List,
    /// Open the interface on one lesson.
    Open {
        /// The lesson's id, as `lanes list` shows it.
        id: String,
        /// Change a knob from its default, as name=value, once per knob. A whole
        /// number is digits, optionally grouped by _ (10_000); a boolean is true
        /// or false; a choice is one of its names.
        #[arg(long = "knob", value_name = "NAME=VALUE")]
        knobs: Vec<String>,
        /// Start playing at once (for demos and recordings).
        #[arg(long)]
        play: bool,
        /// Start in presenter mode: lanes large, text out of the way.
        #[arg(long)]
        presenter: bool,
    },
    /// Record a walkthrough of a lesson as an asciicast v3 file.
    ///
    /// Play it with `asciinema play`, or make a GIF of it with `agg`. It is
    /// drawn in virtual time: the same command gives the same file.
    Record {
        /// The lesson's id, as `lanes list` shows it.
        id: String,
        /// Change a knob from its default, as name=value, once per knob.
        #[arg(long = "knob", value_name = "NAME=VALUE")]
        knobs: Vec<String>,
        /// What happens, one step a line (keys, `wait 1.5s`, `wait end`,
        /// `marker "text"`, `speed 2`, `tab code`, `select "lane"`). Without
        /// it: the question, the run at 1× to its end, the final screen.
        #[arg(long, value_name = "FILE")]
        script: Option<std::path::PathBuf>,
        /// The terminal's size.
        #[arg(long, value_name = "COLSxROWS", default_value = "120x36")]
        size: String,
        /// Playback speed at the start, 0.1 to 10.
        #[arg(long, value_name = "X", default_value_t = 1.0)]
        speed: f64,
        /// The file to write (`.cast`).
        #[arg(short, long, value_name = "FILE")]
        output: std::path::PathBuf,
    },
    /// Play a recorded trace back in the interface.
    ///
    /// The file is a lanes-trace/1 trace, as `run --format jsonl` writes; it
    /// is played back, not run.
    View {
        /// The trace file.
        file: std::path::PathBuf,
    },
    /// Run a lesson to its end without the interface and print its timeline.
    Run {
        /// The lesson's id, as `lanes list` shows it.
        id: String,
        /// Change a knob from its default, as name=value, once per knob. A whole
        /// number is digits, optionally grouped by _ (10_000); a boolean is true
        /// or false; a choice is one of its names.
        #[arg(long = "knob", value_name = "NAME=VALUE")]
        knobs: Vec<String>,
        /// `text` draws the lanes as plain text; `jsonl` prints the lanes-trace/1
        /// trace; `chrome` prints the Trace Event Format JSON that Perfetto
        /// (ui.perfetto.dev) and chrome://tracing open; `svg` draws the whole
        /// timeline as a picture (in greys when NO_COLOR is set).
        #[arg(long, value_name = "FORMAT", default_value = "text")]
        format: String,
        /// Write to this file instead of stdout. The file appears whole or
        /// not at all: it is written beside and renamed into place.
        #[arg(short, long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
}

/// A mistake in how lanes was called: printed as one line, exit code 2.
struct UsageError(String);

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    let result = match cli.command {
        // Without a terminal (a pipe, a script) there is no interface to
        // open: the list is the useful answer.
        None if !io::stdout().is_terminal() => list(true),
        None => interface(None, cli.ascii),
        Some(Command::List) => list(false),
        Some(Command::Open {
            id,
            knobs,
            play,
            presenter,
        }) => open(&id, &knobs, play, presenter, cli.ascii),
        Some(Command::Run {
            id,
            knobs,
            format,
            output,
        }) => run(&id, &knobs, &format, output.as_deref()),
        Some(Command::View { file }) => view(&file, cli.ascii),
        Some(Command::Record {
            id,
            knobs,
            script,
            size,
            speed,
            output,
        }) => record(
            &id,
            &knobs,
            script.as_deref(),
            &size,
            speed,
            &output,
            cli.ascii,
        ),
    };
    match result {
        Ok(()) => 0,
        // The reader went away (`lanes run … | head`): it has what it wanted.
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(Failure::Output(e)) => {
            eprintln!("error: cannot write the output: {e}");
            1
        }
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            2
        }
        Err(Failure::Runtime(message)) => {
            eprintln!("error: {message}");
            1
        }
        Err(Failure::Signalled(code)) => code,
    }
}

/// What went wrong: a mistake in the arguments (exit 2), a failure while
/// running (exit 1), or the output could not be written (exit 1, or 0 for a
/// closed pipe).
enum Failure {
    Usage(String),
    Runtime(String),
    Output(io::Error),
    /// Ended by a signal: exit with this code (128 + its number), quietly.
    Signalled(i32),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Output(e)
    }
}

impl From<UsageError> for Failure {
    fn from(e: UsageError) -> Self {
        Failure::Usage(e.0)
    }
}

/// A lesson to open straight away.
enum Opening {
    Lesson {
        lesson: &'static Lesson,
        knobs: lanes::engine::Knobs,
        play: bool,
    },
    /// A recorded trace of the lesson, with the knobs it ran with.
    Trace(
        &'static Lesson,
        lanes::engine::Knobs,
        lanes::ui::lesson::Replay,
    ),
}

/// The lesson `id`, with its knobs changed as `settings` say.
fn lesson_with_knobs(
    id: &str,
    settings: &[String],
) -> Result<(&'static Lesson, lanes::engine::Knobs), Failure> {
    let lesson = find(id)?;
    let knobs = lesson
        .knobs_with(settings)
        .map_err(|e| UsageError(e.to_string()))?;
    Ok((lesson, knobs))
}

fn open(
    id: &str,
    settings: &[String],
    play: bool,
    presenter: bool,
    ascii: bool,
) -> Result<(), Failure> {
    let (lesson, knobs) = lesson_with_knobs(id, settings)?;
    let mut theme = Theme::from_env(ascii);
    theme.presenter = presenter;
    interface_with(
        Some(Opening::Lesson {
            lesson,
            knobs,
            play,
        }),
        theme,
    )
}

/// The smallest terminal a recording may have: the interface's own.
const MIN_RECORD_SIZE: (u16, u16) = (80, 24);

fn record(
    id: &str,
    settings: &[String],
    script: Option<&std::path::Path>,
    size: &str,
    speed: f64,
    output: &std::path::Path,
    ascii: bool,
) -> Result<(), Failure> {
    use lanes::ui::record::{Options, Script};
    let (lesson, knobs) = lesson_with_knobs(id, settings)?;
    let (cols, rows) = size
        .split_once(['x', 'X'])
        .and_then(|(c, r)| Some((c.parse::<u16>().ok()?, r.parse::<u16>().ok()?)))
        .filter(|&(c, r)| c >= MIN_RECORD_SIZE.0 && r >= MIN_RECORD_SIZE.1 && c <= 500 && r <= 200)
        .ok_or_else(|| {
            UsageError(format!(
                "size '{}' is not COLSxROWS from {}x{} to 500x200",
                lanes::catalog::printable(size),
                MIN_RECORD_SIZE.0,
                MIN_RECORD_SIZE.1
            ))
        })?;
    if !(lanes::engine::MIN_SPEED..=lanes::engine::MAX_SPEED).contains(&speed) {
        return Err(UsageError(format!(
            "speed {speed} is not from {} to {}",
            lanes::engine::MIN_SPEED,
            lanes::engine::MAX_SPEED
        ))
        .into());
    }
    // The script is read and checked whole before anything is written.
    let script = match script {
        None => Script::walkthrough(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
            Script::parse(&text).map_err(|e| UsageError(format!("{}: {e}", path.display())))?
        }
    };
    let catalog = lessons()?;
    let options = Options { cols, rows, speed };
    let theme = Theme::from_env(ascii);
    lanes::engine::install_quiet_panic_hook();
    let mut failed = None;
    write_file(output, |out| {
        lanes::ui::record::record(catalog, lesson, knobs, &script, options, theme, out).map_err(
            |message| {
                failed = Some(message);
                io::Error::other("the recording failed")
            },
        )
    })
    .map_err(|e| match failed.take() {
        Some(message) => Failure::Runtime(message),
        None => e,
    })
}

/// Reads a trace file and opens it in the interface, or says in one line
/// what is wrong with it.
fn view(file: &std::path::Path, ascii: bool) -> Result<(), Failure> {
    let shown = file.display();
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::Runtime(format!("cannot read {shown}: {e}")))?;
    let trace = lanes::trace::read::read(&text)
        .map_err(|e| Failure::Runtime(format!("{shown} is not a lanes trace: {e}")))?;
    let header = trace.header();
    let catalog = lessons()?;
    let (lesson, knobs) = match catalog.lesson(&header.lesson) {
        Some(lesson) => {
            let settings: Vec<String> = header
                .knobs
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            let knobs = lesson.knobs_with(&settings).map_err(|e| {
                Failure::Runtime(format!("{shown}: its knobs do not fit the lesson: {e}"))
            })?;
            (lesson, knobs)
        }
        // A trace of someone's own program: its knobs are whatever it says.
        None => (
            Lesson::for_foreign_trace(&header.lesson, &shown.to_string()),
            lanes::engine::Knobs::new(header.knobs.clone()),
        ),
    };
    let replay = lanes::ui::lesson::Replay {
        trace: std::sync::Arc::new(trace),
        file: shown.to_string(),
    };
    interface_with(
        Some(Opening::Trace(lesson, knobs, replay)),
        Theme::from_env(ascii),
    )
}

fn interface(opening: Option<Opening>, ascii: bool) -> Result<(), Failure> {
    interface_with(opening, Theme::from_env(ascii))
}

fn interface_with(opening: Option<Opening>, theme: Theme) -> Result<(), Failure> {
    let catalog = lessons()?;
    if !io::stdout().is_terminal() {
        return Err(Failure::Runtime(
            "the interface needs a terminal; try `lanes run <id>`".into(),
        ));
    }
    // Panic hooks in a fixed order: the terminal's first, then the one
    // that keeps a lesson's panics to its own lane (it runs first).
    lanes::ui::terminal::install_panic_hook();
    lanes::engine::install_quiet_panic_hook();
    let mut app = App::new(catalog, theme, Progress::default_path());
    match opening {
        Some(Opening::Lesson {
            lesson,
            knobs,
            play,
        }) => {
            app.open_lesson(lesson, knobs, play);
            app.quit_on_back = true;
        }
        Some(Opening::Trace(lesson, knobs, replay)) => {
            app.open_trace(lesson, knobs, replay);
            app.quit_on_back = true;
        }
        None => {}
    }
    match lanes::ui::terminal::run(app).map_err(Failure::Runtime)? {
        0 => Ok(()),
        code => Err(Failure::Signalled(code)),
    }
}

/// Help and version print as clap has them; real errors become one line.
fn clap_error(e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            match e.print().and_then(|()| io::stdout().flush()) {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                    eprintln!("error: cannot write the output: {e}");
                    1
                }
                _ => 0,
            }
        }
        _ => {
            // clap's first paragraph says what is wrong, sometimes over two
            // lines ("...were not provided:" then "  <ID>"): fold it into one.
            let rendered = e.render().to_string();
            let first: Vec<&str> = rendered
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            eprintln!(
                "{} (see 'lanes --help')",
                lanes::catalog::printable(&first.join(" "))
            );
            2
        }
    }
}

fn lessons() -> Result<&'static Catalog, UsageError> {
    catalog().map_err(|e| UsageError(format!("the lessons are inconsistent: {e}")))
}

fn find(id: &str) -> Result<&'static Lesson, UsageError> {
    let catalog = lessons()?;
    catalog.lesson(id).ok_or_else(|| {
        UsageError(format!(
            "unknown lesson '{}'; lessons: {}",
            lanes::catalog::printable(id),
            catalog.ids().join(", ")
        ))
    })
}

fn list(with_hint: bool) -> Result<(), Failure> {
    let catalog = lessons()?;
    let width = catalog
        .lessons
        .iter()
        .map(|l| l.id.len())
        .max()
        .unwrap_or(2);
    write_stdout(|out| {
        for chapter in &catalog.chapters {
            writeln!(out, "{}. {}", chapter.number, chapter.title)?;
            for lesson in &chapter.lessons {
                writeln!(out, "   {:width$}  {}", lesson.id, lesson.title)?;
            }
        }
        if with_hint {
            writeln!(
                out,
                "\nOpen one with `lanes open <id>`, or print its lanes with `lanes run <id>`;\n\
                 change it with `--knob name=value`."
            )?;
        }
        Ok(())
    })
}

fn run(
    id: &str,
    settings: &[String],
    format: &str,
    output: Option<&std::path::Path>,
) -> Result<(), Failure> {
    let (lesson, knobs) = lesson_with_knobs(id, settings)?;
    if !matches!(format, "text" | "jsonl" | "chrome" | "svg") {
        return Err(UsageError(format!(
            "unknown format '{}'; formats: text, jsonl, chrome, svg",
            lanes::catalog::printable(format)
        ))
        .into());
    }
    let trace = run_headless(lesson.run_spec(knobs), HEADLESS_WALL_LIMIT);
    let body = |mut out: &mut dyn Write| match format {
        "jsonl" => jsonl::write(&trace, &mut out),
        "chrome" => chrome::write(&trace, &mut out),
        "svg" => svg::write(&trace, Theme::from_env(false).color, &mut out),
        _ => text::write(&trace, &mut out),
    };
    match output {
        Some(path) => write_file(path, body),
        None => write_stdout(|out| body(out)),
    }
}

/// Streams output into `path` through a temporary file beside it, renamed
/// over `path` only once everything is written and flushed: a failure
/// leaves whatever was there before, and no half-written file. A path that
/// is not a regular file (`/dev/stdout`, a pipe) is written to directly:
/// renaming over it would replace it.
fn write_file(
    path: &std::path::Path,
    body: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Failure> {
    let shown = path.display();
    let fail = |e: io::Error| {
        // Tempfile's errors name its own temporary file: keep only what
        // went wrong.
        let e = match (e.raw_os_error(), e.get_ref()) {
            (None, Some(_)) => io::Error::from(e.kind()),
            _ => e,
        };
        Failure::Runtime(format!("cannot write {shown}: {e}"))
    };
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(fail)?;
        let mut out = io::BufWriter::with_capacity(64 * 1024, file);
        body(&mut out).map_err(fail)?;
        return out.flush().map_err(fail);
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => std::path::Path::new("."),
    };
    if !dir.is_dir() {
        let message = format!("cannot write {shown}: no directory {}", dir.display());
        return Err(Failure::Runtime(message));
    }
    let file = tempfile::Builder::new()
        .prefix(".lanes-")
        .permissions(new_file_permissions())
        .tempfile_in(dir)
        .map_err(fail)?;
    let mut out = io::BufWriter::with_capacity(64 * 1024, file);
    body(&mut out).map_err(fail)?;
    let file = out.into_inner().map_err(|e| fail(e.into_error()))?;
    file.as_file().sync_all().map_err(fail)?;
    file.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// What a file made by `File::create` would get (tempfile's own are
/// private to their owner): readable by all, as output is meant to be.
fn new_file_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o644)
}

/// Streams output to stdout through a buffer. Any write error, the final
/// flush's included, comes back as [`Failure::Output`] (a closed pipe is
/// told apart by `main`).
fn write_stdout(
    body: impl FnOnce(&mut io::BufWriter<io::StdoutLock<'static>>) -> io::Result<()>,
) -> Result<(), Failure> {
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    body(&mut out)?;
    out.flush()?;
    Ok(())
}
