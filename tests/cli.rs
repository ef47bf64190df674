//! The `lanes` binary as a user runs it.

use std::collections::HashMap;
use std::process::{Command, Output};
use std::time::Duration;

use lanes::catalog::Lesson;
use lanes::engine::{Clock, run_headless};
use serde_json::Value;

fn lanes(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lanes"))
        .args(args)
        .output()
        .expect("lanes runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// A usage error: exit code 2, nothing on stdout, one line on stderr that
/// contains every `expected` piece.
fn assert_usage_error(args: &[&str], expected: &[&str]) {
    let out = lanes(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    assert!(
        out.stdout.is_empty(),
        "{args:?} printed on stdout: {}",
        stdout(&out)
    );
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{args:?}: not one line: {err:?}");
    assert!(err.starts_with("error: "), "{err}");
    for piece in expected {
        assert!(err.contains(piece), "{args:?}: {err:?} lacks {piece:?}");
    }
}

#[test]
fn list_shows_every_lesson_with_its_chapter() {
    let out = lanes(&["list"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("1. Foundations"));
    for lesson in &lanes::catalog::catalog().unwrap().lessons {
        let row = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(&lesson.id));
        assert!(
            row.is_some_and(|r| r.contains(&lesson.title)),
            "{} missing",
            lesson.id
        );
    }
}

#[test]
fn run_draws_the_semaphore_waves_as_text() {
    let out = lanes(&["run", "semaphore"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let row = |name: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap()
            .to_string()
    };
    // One column is 0.1 s: request 1 sleeps 5 columns then is done; request
    // 4 waits 5 columns for a permit first.
    assert!(
        row("request 1 ").ends_with("-----*"),
        "{}",
        row("request 1 ")
    );
    assert!(
        row("request 4 ").ends_with(".....-----*"),
        "{}",
        row("request 4 ")
    );
    assert!(row("request 20").ends_with(&format!("{}-----*", ".".repeat(30))));
    assert!(text.contains("request 20  ran from 0.0 s, done at 3.5 s"));
    assert!(text.contains("end at 3.5 s (finished)"));
    assert!(text.contains("* done"), "the legend explains the glyphs");
    assert!(text.is_ascii());
}

#[test]
fn knobs_change_the_run() {
    let out = lanes(&[
        "run",
        "semaphore",
        "--knob",
        "permits=5",
        "--knob",
        "requests=10",
    ]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.starts_with("semaphore  requests=10 permits=5 work_ms=500"));
    assert!(text.contains("end at 1.0 s (finished)"));
}

/// Checks one `lanes-trace/1` document; returns its parsed lines.
fn validate_trace(jsonl: &str, lesson: &str) -> Vec<Value> {
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON {l:?}: {e}")))
        .collect();
    let header = &lines[0];
    assert_eq!(header["format"], "lanes-trace/1");
    assert_eq!(header["lesson"], lesson);
    assert!(header["knobs"].is_object());
    let first_keys: Vec<&str> = jsonl
        .lines()
        .next()
        .unwrap()
        .split('"')
        .skip(1)
        .step_by(2)
        .take(3)
        .collect();
    assert_eq!(first_keys, ["format", "lanes-trace/1", "lesson"]);

    let events = &lines[1..];
    let mut last_t = 0;
    let mut lanes: HashMap<u64, Vec<String>> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        let t = e["t_us"].as_u64().expect("t_us");
        assert!(t >= last_t, "time went back at line {}", i + 2);
        last_t = t;
        let kind = e["event"].as_str().expect("event");
        match kind {
            "spawned" => {
                assert!(e["name"].is_string());
                assert!(
                    e.get("parent").is_some(),
                    "spawned has a parent key (maybe null)"
                );
                let lane = e["lane"].as_u64().unwrap();
                assert_eq!(
                    lane as usize,
                    lanes.len() + 1,
                    "lanes are numbered in order"
                );
                if let Some(parent) = e["parent"].as_u64() {
                    assert!(lanes.contains_key(&parent), "parent {parent} exists");
                }
            }
            "running" | "done" | "cancelled" => {}
            "acquired" | "released" => assert!(e["lock"].is_string()),
            "awaiting" => assert!(e["on"].is_string()),
            "failed" => assert!(e["detail"].is_string()),
            "log" => {
                assert!(
                    ["error", "warn", "info", "debug", "trace"]
                        .contains(&e["level"].as_str().unwrap())
                );
                assert!(e["detail"].is_string());
            }
            "end" => assert_eq!(i, events.len() - 1, "end is last"),
            other => panic!("unknown event {other}"),
        }
        if let Some(lane) = e["lane"].as_u64()
            && kind != "log"
        {
            lanes.entry(lane).or_default().push(kind.to_string());
        }
    }
    assert_eq!(events.last().unwrap()["event"], "end");
    for (lane, kinds) in &lanes {
        assert_eq!(kinds[0], "spawned", "lane {lane}");
        let terminal = kinds
            .iter()
            .filter(|k| ["done", "cancelled", "failed"].contains(&k.as_str()))
            .count();
        assert!(terminal <= 1, "lane {lane} ends twice");
        if terminal == 1 {
            assert!(
                ["done", "cancelled", "failed"].contains(&kinds.last().unwrap().as_str()),
                "lane {lane}"
            );
        }
    }
    lines
}

#[test]
fn jsonl_is_a_valid_lanes_trace() {
    let out = lanes(&["run", "semaphore", "--format", "jsonl"]);
    assert!(out.status.success());
    let text = stdout(&out);
    let lines = validate_trace(&text, "semaphore");
    assert_eq!(
        text.lines().next().unwrap(),
        r#"{"format":"lanes-trace/1","lesson":"semaphore","knobs":{"requests":20,"permits":3,"work_ms":500}}"#
    );
    assert_eq!(
        text.lines().nth(1).unwrap(),
        r#"{"t_us":0,"lane":1,"event":"spawned","name":"main","parent":null}"#
    );
    let end = lines.last().unwrap();
    assert_eq!(end["t_us"], 3_500_000);
    let done: Vec<&Value> = lines.iter().filter(|l| l["event"] == "done").collect();
    assert_eq!(done.len(), 21);
}

/// Runs every lesson in `format` and checks each output with `validate`.
fn every_lesson_in(format: &str, validate: impl Fn(&str, &str)) {
    every_lesson_of_catalog_in(format, |output, lesson| validate(output, &lesson.id));
}

/// `every_lesson_in`, for checks that need more of a lesson than its id.
fn every_lesson_of_catalog_in(format: &str, validate: impl Fn(&str, &Lesson)) {
    for lesson in &lanes::catalog::catalog().unwrap().lessons {
        let out = lanes(&["run", &lesson.id, "--format", format]);
        assert!(out.status.success(), "{}", lesson.id);
        validate(&stdout(&out), lesson);
    }
}

#[test]
fn every_lesson_prints_a_valid_trace() {
    every_lesson_in("jsonl", |text, lesson| {
        validate_trace(text, lesson);
    });
}

#[test]
fn bad_input_is_one_line_and_exit_code_2() {
    assert_usage_error(&["run", "nope"], &["unknown lesson 'nope'", "semaphore"]);
    assert_usage_error(
        &["run", "semaphore", "--knob", "speed=2"],
        &["no knob 'speed'", "permits"],
    );
    assert_usage_error(
        &["run", "semaphore", "--knob", "permits=0"],
        &["'0'", "from 1 to 1000"],
    );
    assert_usage_error(
        &["run", "semaphore", "--knob", "permits=many"],
        &["'many'", "whole number"],
    );
    assert_usage_error(
        &["run", "semaphore", "--knob", "permits=99999"],
        &["from 1 to 1000"],
    );
    assert_usage_error(&["run", "semaphore", "--knob", "permits"], &["name=value"]);
    assert_usage_error(
        &["run", "semaphore", "--format", "xml"],
        &["unknown format 'xml'", "text, jsonl, chrome, svg"],
    );
    assert_usage_error(&["run", "semaphore", "--colour"], &["--colour"]);
    assert_usage_error(&["run"], &["<ID>"]);
    assert_usage_error(&["fly"], &["fly"]);
}

#[test]
fn bool_knobs_say_what_they_take() {
    let lesson = lanes::catalog::catalog().unwrap().lesson("mutex");
    if lesson.is_some() {
        assert_usage_error(
            &["run", "mutex", "--knob", "lock=maybe"],
            &["'maybe'", "true or false"],
        );
        assert!(
            lanes(&["run", "mutex", "--knob", "lock=false"])
                .status
                .success()
        );
    }
}

#[test]
fn help_is_there_everywhere() {
    for args in [
        &["--help"][..],
        &["run", "--help"],
        &["list", "--help"],
        &["help", "run"],
    ] {
        let out = lanes(args);
        assert!(out.status.success(), "{args:?}");
        assert!(stdout(&out).contains("Usage: lanes"), "{args:?}");
    }
    let run_help = stdout(&lanes(&["run", "--help"]));
    assert!(run_help.contains("--knob <NAME=VALUE>") && run_help.contains("--format <FORMAT>"));
    assert!(stdout(&lanes(&["--version"])).starts_with("lanes "));
}

#[test]
fn without_a_command_it_lists_the_lessons() {
    let out = lanes(&[]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("semaphore"));
}

/// Runs lanes with stdout going to `/dev/full`, where every write fails.
#[cfg(target_os = "linux")]
fn lanes_to_full_disk(args: &[&str]) -> Output {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    Command::new(env!("CARGO_BIN_EXE_lanes"))
        .args(args)
        .stdout(full)
        .output()
        .expect("lanes runs")
}

#[cfg(target_os = "linux")]
#[test]
fn a_write_error_is_one_line_and_exit_code_1() {
    for args in [
        &["run", "semaphore"][..],
        &["run", "semaphore", "--format", "jsonl"],
        &["run", "mutex", "--knob", "lock=false"],
        &["list"],
        &[],
        &["--help"],
    ] {
        let out = lanes_to_full_disk(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: not one line: {err:?}");
        assert!(
            err.starts_with("error: cannot write the output: "),
            "{args:?}: {err:?}"
        );
        assert!(err.contains("No space left on device"), "{args:?}: {err:?}");
    }
}

/// Reads one line of the output, then closes the pipe while lanes still
/// has far more to write (more than a pipe's buffer).
fn lanes_into_head(args: &[&str]) -> (String, Output) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_lanes"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lanes runs");
    let mut first = String::new();
    {
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        reader.read_line(&mut first).unwrap();
    } // the read end closes here
    (first, child.wait_with_output().unwrap())
}

#[test]
fn a_pipe_closed_early_is_not_an_error() {
    for (args, first) in [
        (
            &[
                "run",
                "semaphore",
                "--knob",
                "requests=1000",
                "--format",
                "jsonl",
            ][..],
            r#"{"format":"lanes-trace/1""#,
        ),
        (
            &["run", "semaphore", "--knob", "requests=1000"],
            "semaphore  requests=1000",
        ),
    ] {
        let (line, out) = lanes_into_head(args);
        assert!(line.starts_with(first), "{args:?}: {line}");
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_eq!(stderr(&out), "", "{args:?}");
    }
}

/// The marks line and the tick line of a text chart.
fn axis_of(text: &str) -> (String, String) {
    let mut lines = text.lines().skip(2);
    let marks = lines.next().unwrap().to_string();
    let ticks = lines.next().unwrap().to_string();
    assert!(ticks.trim().starts_with('|'), "{ticks:?}");
    (marks, ticks)
}

#[test]
fn axis_labels_never_touch_and_every_tick_has_one() {
    for args in [
        &["run", "semaphore"][..],
        &["run", "semaphore", "--knob", "requests=100"],
        &["run", "semaphore", "--knob", "requests=1000"],
        &["run", "semaphore", "--knob", "requests=200"],
        &["run", "semaphore", "--knob", "requests=45"],
        &["run", "semaphore", "--knob", "work_ms=10"],
        &[
            "run",
            "semaphore",
            "--knob",
            "work_ms=1",
            "--knob",
            "requests=3",
        ],
        &["run", "mutex"],
        &["run", "join", "--knob", "users=1"],
        &["run", "blocking"],
    ] {
        let out = lanes(args);
        assert!(out.status.success(), "{args:?}");
        let (marks, ticks) = axis_of(&stdout(&out));
        let tick_cols: Vec<usize> = ticks.match_indices('|').map(|(i, _)| i).collect();
        // Each label starts at a tick, and each tick has a label.
        let label_cols: Vec<usize> = marks
            .char_indices()
            .filter(|&(i, c)| c != ' ' && (i == 0 || marks.as_bytes()[i - 1] == b' '))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(tick_cols, label_cols, "{args:?}\n{marks}\n{ticks}");
        // Labels are separate words, each a time in seconds.
        for label in marks.split_whitespace() {
            let number = label
                .strip_suffix('s')
                .unwrap_or_else(|| panic!("{args:?}: {label:?} in {marks:?} is not one time"));
            assert!(
                number.parse::<f64>().is_ok() && number.matches('.').count() <= 1,
                "{args:?}: {label:?} in {marks:?}"
            );
        }
    }
}

/// Each worker's lane in the mutex lesson's chart and its turns: stretches
/// of `-` (holding the lock, sleeping), the last of which may share its
/// column with the worker's end, `*`.
fn mutex_turns(knobs: &[&str]) -> Vec<(String, usize)> {
    let mut args = vec!["run", "mutex"];
    for knob in knobs {
        args.extend(["--knob", knob]);
    }
    let text = stdout(&lanes(&args));
    // The chart ends at the legend; the lanes list below repeats the names.
    text.lines()
        .take_while(|l| !l.starts_with("= running"))
        .filter(|l| l.trim_start().starts_with("worker"))
        .map(|l| {
            let cells = &l[l.find("  ").unwrap()..];
            let turns = cells
                .split(|c| c != '-' && c != '*')
                .filter(|run| !run.is_empty())
                .count();
            (l.to_string(), turns)
        })
        .collect()
}

#[test]
fn the_mutex_chart_shows_every_turn() {
    // Columns of 10 ms: default turns fit whole columns; 20 turns in 1 s
    // give 20 ms columns; 7 ms pauses straddle columns. At one instant per
    // column, half of those turns vanished behind the lock waits.
    for (knobs, turns) in [
        (&[][..], 10),
        (&["increments=20"], 20),
        (&["pause_ms=7"], 10),
        (&["pause_ms=13", "workers=3"], 10),
    ] {
        let rows = mutex_turns(knobs);
        assert!(!rows.is_empty(), "{knobs:?}");
        for (row, count) in rows {
            assert_eq!(count, turns, "{knobs:?}: {row}");
        }
    }
}

/// One syntax for knob values, on the command line as in the knobs popup:
/// digits (grouped by `_` if wished) with no sign, space or leading zero;
/// `true` or `false` in any case; a repeated knob is refused.
#[test]
fn knob_values_have_one_syntax() {
    for bad in [
        "requests=+5",
        "requests= 5",
        "requests=00005",
        "requests=-0",
        "requests=5_",
        "requests=_5",
    ] {
        assert_usage_error(
            &["run", "semaphore", "--knob", bad],
            &[
                "knob 'requests' cannot be",
                "a whole number from 1 to 10000",
            ],
        );
    }
    for good in ["requests=10_000", "requests=5"] {
        let out = lanes(&["run", "semaphore", "--knob", good, "--knob", "permits=100"]);
        assert_eq!(out.status.code(), Some(0), "{good}: {}", stderr(&out));
    }
    for (value, shown) in [("TRUE", "lock=true"), ("False", "lock=false")] {
        let out = lanes(&["run", "mutex", "--knob", &format!("lock={value}")]);
        assert!(
            stdout(&out).starts_with(&format!("mutex  {shown}")),
            "{}",
            stdout(&out)
        );
    }
    for bad in ["lock=yes", "lock=1", "lock=on"] {
        assert_usage_error(&["run", "mutex", "--knob", bad], &["takes true or false"]);
    }
    assert_usage_error(
        &[
            "run",
            "semaphore",
            "--knob",
            "requests=5",
            "--knob",
            "requests=6",
        ],
        &["knob 'requests' is given twice"],
    );
}

/// An id or a knob with a newline or an escape in it is shown escaped, on
/// one line: an error message never drives the terminal.
#[test]
fn control_characters_in_arguments_are_escaped() {
    for args in [
        vec!["run", "sem\naphore"],
        vec!["run", "semaphore", "--knob", "requ\u{1b}[31mests=5"],
        vec!["run", "semaphore", "--knob", "requests=5\n"],
        vec!["run", "semaphore", "--format", "te\rxt"],
        // clap's own errors too.
        vec!["run", "semaphore", "--forma\u{1b}[31m"],
        vec!["ru\nn"],
    ] {
        let out = lanes(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
        assert!(
            !err.trim_end().chars().any(char::is_control),
            "{args:?}: {err:?}"
        );
    }
}

/// Checks a Trace Event Format file against the `jsonl` trace of the same
/// run: a named track for every lane, slices that stay inside the run and
/// name what the lane waits on, every log line as an instant event, the
/// end marked.
fn validate_chrome(json: &str, trace_text: &str, lesson: &str) {
    let doc: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{lesson}: {e}"));
    assert_eq!(doc["displayTimeUnit"], "ms", "{lesson}");
    assert_eq!(doc["otherData"]["lesson"], lesson);
    let events = doc["traceEvents"].as_array().expect("traceEvents");
    let trace = validate_trace(trace_text, lesson);
    let end_us = trace.last().unwrap()["t_us"].as_u64().unwrap();

    let tracks: HashMap<u64, &str> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .map(|e| {
            (
                e["tid"].as_u64().unwrap(),
                e["args"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    for spawned in trace.iter().filter(|l| l["event"] == "spawned") {
        let lane = spawned["lane"].as_u64().unwrap();
        let name = spawned["name"].as_str().unwrap();
        let track = tracks
            .get(&lane)
            .unwrap_or_else(|| panic!("{lesson}: no track for {name}"));
        assert!(track.ends_with(name), "{lesson}: track {track} for {name}");
    }
    for slice in events.iter().filter(|e| e["ph"] == "X") {
        let (ts, dur) = (
            slice["ts"].as_u64().unwrap(),
            slice["dur"].as_u64().unwrap(),
        );
        assert!(dur > 0 && ts + dur <= end_us, "{lesson}: {slice}");
        assert!(
            tracks.contains_key(&slice["tid"].as_u64().unwrap()),
            "{lesson}: {slice}"
        );
    }
    // Every wait of the trace that lasts is a slice named by what it waits on.
    let slices: std::collections::HashSet<(u64, u64, u64, &str)> = events
        .iter()
        .filter(|e| e["ph"] == "X")
        .map(|e| {
            let n = |key: &str| e[key].as_u64().unwrap();
            (n("tid"), n("ts"), n("dur"), e["name"].as_str().unwrap())
        })
        .collect();
    let changes = [
        "spawned",
        "running",
        "awaiting",
        "done",
        "cancelled",
        "failed",
    ];
    let mut by_lane: HashMap<u64, Vec<&Value>> = HashMap::new();
    let is_change = |l: &&Value| l["event"].as_str().is_some_and(|e| changes.contains(&e));
    for line in trace.iter().filter(is_change) {
        by_lane
            .entry(line["lane"].as_u64().unwrap())
            .or_default()
            .push(line);
    }
    for (lane, steps) in &by_lane {
        for (i, wait) in steps.iter().enumerate() {
            let t = wait["t_us"].as_u64().unwrap();
            let until = steps
                .get(i + 1)
                .map_or(end_us, |next| next["t_us"].as_u64().unwrap());
            if wait["event"] != "awaiting" || until == t {
                continue;
            }
            let slice = (*lane, t, until - t, wait["on"].as_str().unwrap());
            assert!(slices.contains(&slice), "{lesson}: no slice for {wait}");
        }
    }
    let logs = trace.iter().filter(|l| l["event"] == "log").count();
    let instants = events
        .iter()
        .filter(|e| e["ph"] == "i" && e["cat"] == "log")
        .count();
    assert_eq!(logs, instants, "{lesson}");
    let end = events
        .iter()
        .find(|e| e["cat"] == "end" && e["s"] == "g")
        .expect("end");
    assert_eq!(end["ts"].as_u64(), Some(end_us), "{lesson}");
}

#[test]
fn every_lesson_opens_in_perfetto_as_chrome_trace_json() {
    every_lesson_of_catalog_in("chrome", |json, lesson| {
        // A lesson on the virtual clock runs the same every time, so a
        // second run gives the trace this one drew. One on the real clock
        // is timed afresh by each run: its two formats are checked on one
        // run of the library instead.
        if lesson.clock == Clock::Virtual {
            let trace_text = stdout(&lanes(&["run", &lesson.id, "--format", "jsonl"]));
            validate_chrome(json, &trace_text, &lesson.id);
        } else {
            let _: Value = serde_json::from_str(json).expect("the binary's chrome trace");
            let trace = run_headless(
                lesson.run_spec(lesson.default_knobs()),
                Duration::from_secs(60),
            );
            let (mut chrome, mut jsonl) = (Vec::new(), Vec::new());
            lanes::render::chrome::write(&trace, &mut chrome).unwrap();
            lanes::render::jsonl::write(&trace, &mut jsonl).unwrap();
            let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
            validate_chrome(&text(chrome), &text(jsonl), &lesson.id);
        }
    });
}

#[test]
fn a_chrome_trace_nests_lane_names_and_says_where_a_wait_is() {
    let out = lanes(&["run", "semaphore", "--format", "chrome"]);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let events = doc["traceEvents"].as_array().unwrap();
    let names: Vec<&str> = events
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(&names[..3], ["(runner)", "main", "main › request 1"]);
    let first_wait = events
        .iter()
        .find(|e| e["ph"] == "X" && e["cat"] == "waiting" && e["tid"] == 2)
        .unwrap();
    assert_eq!(first_wait["name"], "Sleep 500ms");
    assert_eq!(
        (first_wait["ts"].as_u64(), first_wait["dur"].as_u64()),
        (Some(0), Some(500_000))
    );
    assert!(
        first_wait["args"]["line"].as_u64().is_some(),
        "{first_wait}"
    );
}

#[test]
fn output_to_a_file_appears_whole_and_readable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("semaphore.json");
    let out = lanes(&[
        "run",
        "semaphore",
        "--format",
        "chrome",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        written,
        stdout(&lanes(&["run", "semaphore", "--format", "chrome"]))
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o644);
    let entries = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(entries, 1, "a temporary file was left behind");
}

/// A write that fails half way (here the file-size limit, 4 KiB, is
/// reached) leaves the file that was there before, and nothing else.
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_to_a_file_leaves_the_old_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.jsonl");
    std::fs::write(&path, "the old trace\n").unwrap();
    let script = format!(
        "ulimit -f 8; trap '' XFSZ; exec '{}' run semaphore --format jsonl -o '{}'",
        env!("CARGO_BIN_EXE_lanes"),
        path.display()
    );
    let out = Command::new("sh").args(["-c", &script]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: cannot write "), "{err}");
    assert!(err.contains("trace.jsonl"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "the old trace\n");
    let entries = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(entries, 1, "a temporary file was left behind");
}

#[test]
fn output_to_a_missing_directory_is_one_line() {
    let out = lanes(&["run", "join", "-o", "/nonexistent/lanes/trace.txt"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: cannot write /nonexistent/lanes/trace.txt: no directory /nonexistent/lanes\n"
    );
}

/// The picture of a lesson: valid SVG, a row for every lane of its trace
/// with the lane's name, and how the run ended.
fn validate_svg(svg: &str, lesson: &str) {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{lesson}: {e}"));
    let trace_text = stdout(&lanes(&["run", lesson, "--format", "jsonl"]));
    let trace = validate_trace(&trace_text, lesson);
    let rows: HashMap<&str, &str> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("lane"))
        .map(|row| {
            let name = row
                .children()
                .find(|c| c.has_tag_name("text"))
                .and_then(|t| t.text())
                .unwrap_or_default();
            // The writer puts a text's content on a line of its own, which
            // SVG reads as spaces around it, and drops.
            (row.attribute("data-lane").unwrap(), name.trim())
        })
        .collect();
    let spawned: Vec<&Value> = trace.iter().filter(|l| l["event"] == "spawned").collect();
    assert_eq!(rows.len(), spawned.len(), "{lesson}");
    for lane in spawned {
        let id = lane["lane"].to_string();
        assert_eq!(
            rows.get(id.as_str()).copied(),
            lane["name"].as_str(),
            "{lesson}"
        );
    }
    let reason = trace.last().unwrap()["reason"].as_str().unwrap();
    let end = doc
        .descendants()
        .find(|n| n.attribute("class") == Some("end"))
        .expect("the end");
    let said = end
        .descendants()
        .filter_map(|n| n.text())
        .collect::<String>();
    let said = said.trim();
    assert!(
        said.starts_with(&format!("{reason} at ")),
        "{lesson}: {said}"
    );
}

#[test]
fn every_lesson_draws_as_an_svg_picture() {
    every_lesson_in("svg", validate_svg);
}

#[test]
fn without_colour_the_picture_is_in_greys_and_names_the_waits() {
    let out = Command::new(env!("CARGO_BIN_EXE_lanes"))
        .args(["run", "deadlock", "--format", "svg"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let svg = stdout(&out);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    for node in doc.descendants() {
        for attr in ["fill", "stroke"] {
            if let Some(value) = node.attribute(attr) {
                let grey =
                    value.len() == 7 && value[1..3] == value[3..5] && value[3..5] == value[5..7];
                assert!(grey || value == "none", "{attr}={value} on {node:?}");
            }
        }
    }
    // A stalled run: both lanes still wait on the other's lock, past the end.
    let notes: Vec<&str> = doc
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    let still = notes
        .iter()
        .filter(|t| t.starts_with("still waiting on Mutex::lock (line "))
        .count();
    assert_eq!(still, 2, "{notes:?}");
}

/// The picture in the README is what the command beside it makes today.
#[test]
fn the_readme_picture_is_up_to_date() {
    let readme = include_str!("../README.md");
    let command =
        "cargo run --release -- run semaphore --format svg -o lessons/11-semaphore/timeline.svg";
    assert!(readme.contains(command), "the README gives its command");
    let out = Command::new(env!("CARGO_BIN_EXE_lanes"))
        .args(["run", "semaphore", "--format", "svg"])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let kept = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/lessons/11-semaphore/timeline.svg"
    ))
    .unwrap();
    assert!(
        stdout(&out) == kept,
        "lessons/11-semaphore/timeline.svg is stale: run `{command}`"
    );
}

/// What `lanes run --format jsonl` writes reads back as the same trace.
#[test]
fn every_lesson_trace_reads_back_as_written() {
    for lesson in &lanes::catalog::catalog().unwrap().lessons {
        let written = stdout(&lanes(&["run", &lesson.id, "--format", "jsonl"]));
        let trace =
            lanes::trace::read::read(&written).unwrap_or_else(|e| panic!("{}: {e}", lesson.id));
        assert!(
            lanes::render::jsonl::to_string(&trace) == written,
            "{}: read and written again, the trace differs",
            lesson.id
        );
    }
}

#[test]
fn a_broken_trace_is_named_by_its_first_wrong_line() {
    let header =
        r#"{"format":"lanes-trace/1","lesson":"join","knobs":{"users":10,"fetch_ms":500}}"#;
    let main = r#"{"t_us":0,"lane":1,"event":"spawned","name":"main","parent":null}"#;
    let end = r#"{"t_us":10,"event":"end","reason":"finished"}"#;
    let cases: [(&[&str], &str); 10] = [
        (&[], "line 1: the file is empty"),
        (&["not json"], "line 1: not a header line"),
        (
            &[r#"{"format":"otel","lesson":"x"}"#],
            "line 1: format 'otel' is not lanes-trace/1",
        ),
        (&[header, main], "line 2: the trace has no end"),
        (
            &[
                header,
                main,
                r#"{"t_us":0,"lane":3,"event":"running"}"#,
                end,
            ],
            "line 3: lane 3 was never spawned",
        ),
        (
            &[
                header,
                r#"{"t_us":0,"lane":2,"event":"spawned","name":"x"}"#,
                end,
            ],
            "line 2: lane 2 is spawned out of turn",
        ),
        (
            &[header, main, r#"{"t_us":5,"lane":1,"event":"dance"}"#, end],
            "line 3: unknown event 'dance'",
        ),
        (
            &[
                header,
                main,
                r#"{"t_us":5,"lane":1,"event":"awaiting"}"#,
                end,
            ],
            "line 3: a \"awaiting\" event needs \"on\"",
        ),
        (
            &[
                header,
                r#"{"t_us":9,"lane":1,"event":"spawned","name":"main"}"#,
                r#"{"t_us":2,"lane":1,"event":"done"}"#,
                end,
            ],
            "line 3: time goes back: t_us 2 after 9",
        ),
        (
            &[header, main, end, r#"{"t_us":11,"lane":1,"event":"done"}"#],
            "line 4: nothing may follow the end (line 3)",
        ),
    ];
    for (lines, expected) in cases {
        let text = lines.join("\n");
        let error = lanes::trace::read::read(&text).expect_err(expected);
        assert!(
            error.to_string().starts_with(expected),
            "{error} (wanted {expected})"
        );
    }
}

#[test]
fn view_refuses_a_broken_trace_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(
        &broken,
        "{\"format\":\"lanes-trace/1\",\"lesson\":\"join\"}\n{\"t_us\":0}\n",
    )
    .unwrap();
    let out = lanes(&["view", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "error: {} is not a lanes trace: line 2: no \"event\"\n",
            broken.display()
        )
    );

    let out = lanes(&["view", "/nonexistent/trace.jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: cannot read /nonexistent/trace.jsonl: "));
}

/// Runs `lanes record semaphore` with a script; returns the output and
/// the file, if one was written.
fn record_with_script(script: &str, extra: &[&str]) -> (Output, Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let script_file = dir.path().join("walk.txt");
    std::fs::write(&script_file, script).unwrap();
    let cast = dir.path().join("walk.cast");
    let mut args = vec![
        "record",
        "semaphore",
        "--script",
        script_file.to_str().unwrap(),
        "-o",
        cast.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = lanes(&args);
    (out, std::fs::read_to_string(&cast).ok())
}

#[test]
fn a_bad_script_line_is_refused_by_number_and_nothing_is_written() {
    for (script, expected) in [
        (
            "wait 1s\nspace\nfly away\n",
            "line 3: 'fly away' is not a step",
        ),
        (
            "speed 20\n",
            "line 1: speed '20' is not a speed from 0.1 to 10",
        ),
        (
            "# intro\nwait soon\n",
            "line 2: 'soon' is not a time to wait",
        ),
        (
            "marker intro\n",
            "line 1: 'intro' should be in double quotes",
        ),
        (
            "tab notes\n",
            "line 1: no pane 'notes'; panes: story, code, twin, log",
        ),
        ("\n\nctrl-x\n", "line 3: no key 'ctrl-x'"),
    ] {
        let (out, written) = record_with_script(script, &[]);
        assert_eq!(out.status.code(), Some(2), "{script:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(expected), "{err} (wanted {expected})");
        assert_eq!(written, None, "{script:?} wrote a file");
    }
    assert_usage_error(
        &["record", "semaphore", "--size", "10x5", "-o", "x.cast"],
        &["size '10x5' is not COLSxROWS from 80x24"],
    );
    assert_usage_error(
        &["record", "semaphore", "--speed", "0", "-o", "x.cast"],
        &["speed 0 is not from 0.1 to 10"],
    );
}

#[test]
fn a_script_steers_the_recording() {
    let script = "marker \"question\"\nwait 1s\nspace\nwait 0.5s\nselect \"request 4\"\n\
                  tab code\nspeed 2\nwait end\nmarker \"end\"\n";
    let (out, cast) = record_with_script(script, &["--size", "100x30"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let cast = cast.unwrap();
    // The code pane included: the same script, the same bytes.
    let (_, again) = record_with_script(script, &["--size", "100x30"]);
    assert!(again.as_ref() == Some(&cast), "two recordings differ");
    let mut lines = cast.lines();
    let header: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["term"]["cols"], 100);
    assert_eq!(header["term"]["rows"], 30);
    let events: Vec<(f64, String, String)> =
        lines.map(|l| serde_json::from_str(l).unwrap()).collect();
    let markers: Vec<&str> = events
        .iter()
        .filter(|e| e.1 == "m")
        .map(|e| e.2.as_str())
        .collect();
    assert_eq!(markers, ["question", "end"]);
    // 1 s, 0.5 s, then the 3 s left of the lesson at 2×: 1.5 s.
    let length: f64 = events.iter().map(|e| e.0).sum();
    assert!((length - 3.0).abs() < 0.1, "{length}");
    let drawn: String = events
        .iter()
        .filter(|e| e.1 == "o")
        .map(|e| e.2.as_str())
        .collect();
    // The details of the selected lane (drawn in pieces, between colours).
    assert!(drawn.contains("request 4"), "the lane was selected");
    assert!(
        drawn.contains("child of main · spawned 0.0 s"),
        "the lane was selected"
    );
    assert!(drawn.contains("prelude"), "the code was shown");

    let (out, _) = record_with_script("wait end\n", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: script line 1: `wait end` before the run was started (space)\n"
    );
}
