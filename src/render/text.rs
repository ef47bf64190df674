//! The plain-text lanes chart, for terminals, docs and diffs. Pure ASCII;
//! state is shown by characters, never by colour:
//!
//! ```text
//! =  running (a poll that took time: the thread was busy)
//! -  waiting on a timer (sleep, timeout)
//! .  waiting on anything else (a lock, a permit, a channel, other lanes)
//! ~  spawned, not polled yet
//! *  done    x  cancelled    !  failed
//! ```

use std::io::{self, Write};

use crate::trace::timeline::{self, Cell};
use crate::trace::{EventKind, LaneEnd, LaneId, Level, Trace};

/// Columns of the time axis at most.
const AXIS_WIDTH: usize = 60;
/// Longest lane label shown (longer names are cut).
const LABEL_WIDTH: usize = 24;

/// Virtual time per column: the smallest of these that fits the run.
const STEPS_US: [u64; 16] = [
    1_000, 2_000, 5_000, 10_000, 20_000, 25_000, 50_000, 100_000, 200_000, 250_000, 500_000,
    1_000_000, 2_000_000, 5_000_000, 10_000_000, 60_000_000,
];

/// Two lines, so that it fits an 80-column terminal.
pub const LEGEND: [&str; 2] = [
    "= running   - waiting on a timer   . waiting on something else   ~ not polled",
    "* done      x cancelled            ! failed",
];

/// Seconds for people, exact to the microsecond: `0.0 s`, `0.5 s`,
/// `0.03 s`, `1.234567 s`. Never rounded, so a time never reads as another
/// (0.0004 s is not `0.0 s`, 0.9996 s is not `1.0 s`).
pub fn seconds(us: u64) -> String {
    let fraction = format!("{:06}", us % 1_000_000);
    let fraction = fraction.trim_end_matches('0');
    let fraction = if fraction.is_empty() { "0" } else { fraction };
    format!("{}.{fraction} s", us / 1_000_000)
}

/// `us` in seconds with exactly `decimals` decimals (at most 6), cut, not
/// rounded: `fixed(2_500_000, 1)` is `2.5`, `fixed(2_000_000, 0)` is `2`.
pub(crate) fn fixed(us: u64, decimals: usize) -> String {
    let whole = us / 1_000_000;
    if decimals == 0 {
        return whole.to_string();
    }
    let fraction = format!("{:06}", us % 1_000_000);
    format!("{whole}.{}", &fraction[..decimals.min(6)])
}

/// Decimals needed to write a time of `us` in seconds exactly.
pub(crate) fn decimals(us: u64) -> usize {
    let mut fraction = us % 1_000_000;
    if fraction == 0 {
        return 0;
    }
    let mut places = 6;
    while fraction.is_multiple_of(10) {
        fraction /= 10;
        places -= 1;
    }
    places
}

/// Columns between two labelled ticks at least (so the axis is not a wall
/// of numbers).
const MIN_TICK_GAP: u64 = 5;

/// The labelled ticks of a time axis of `cells` columns of `cell_us` each:
/// (column, label) pairs, the first at column 0. Ticks fall at round times
/// (1, 2, 2.5 or 5 times a power of ten microseconds) chosen so that every
/// label fits before the next tick with at least one space between them;
/// all labels have the same decimals (`0.0s 2.5s 5.0s`, `0s 2s 4s`). The
/// last label may run past the last column.
pub fn axis_ticks(cells: usize, cell_us: u64) -> Vec<(usize, String)> {
    if cells == 0 || cell_us == 0 {
        return Vec::new();
    }
    let span = (cells as u64 - 1).saturating_mul(cell_us);
    let mut power: u64 = 1;
    for _ in 0..19 {
        for (num, den) in [(1, 1), (2, 1), (5, 2), (5, 1)] {
            let Some(interval) = power.checked_mul(num).map(|i| i / den) else {
                continue;
            };
            if interval * den != power * num {
                continue; // 2.5 µs is not a time
            }
            let gap = interval / cell_us;
            // A lone tick at zero needs no decimals.
            let places = if span < interval {
                0
            } else {
                decimals(interval)
            };
            let last = span / interval * interval;
            let width = fixed(last, places).len() as u64 + 1;
            if gap >= MIN_TICK_GAP.max(width + 1) {
                return (0..=span / interval)
                    .map(|k| {
                        let t = k * interval;
                        ((t / cell_us) as usize, format!("{}s", fixed(t, places)))
                    })
                    .collect();
            }
        }
        power = match power.checked_mul(10) {
            Some(p) => p,
            None => break,
        };
    }
    vec![(0, "0s".to_string())]
}

/// Writes the chart of a finished (or stopped) run.
pub fn write(trace: &Trace, out: &mut impl Write) -> io::Result<()> {
    let header = trace.header();
    let knobs: Vec<String> = header
        .knobs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    writeln!(out, "{}  {}", header.lesson, knobs.join(" "))?;
    let end_us = trace.end().map_or(trace.last_t_us(), |(t, _)| t);
    let step = STEPS_US
        .iter()
        .copied()
        .find(|s| end_us / s < AXIS_WIDTH as u64)
        .unwrap_or(STEPS_US[STEPS_US.len() - 1]);
    let columns = (end_us / step) as usize + 1;

    let rows = shown_rows(trace);
    let label_width = rows
        .iter()
        .map(|row| match row {
            Row::Lane(lane, depth) => depth * 2 + trace.lane_name(*lane).chars().count(),
            Row::Hidden { depth, .. } => depth * 2 + 1,
        })
        .max()
        .unwrap_or(4)
        .clamp(4, LABEL_WIDTH);

    writeln!(out)?;
    let (marks, ticks) = axis(columns, step);
    writeln!(out, "{:label_width$}  {marks}", "")?;
    writeln!(out, "{:label_width$}  {}", "", ticks.trim_end())?;
    for row in &rows {
        let (lane, depth) = match *row {
            Row::Lane(lane, depth) => (lane, depth),
            Row::Hidden { depth, ref lanes } => {
                let label = format!("{}…", "  ".repeat(depth));
                writeln!(
                    out,
                    "{label:label_width$}  {} more lanes, not drawn",
                    lanes.len()
                )?;
                continue;
            }
        };
        let label = format!("{}{}", "  ".repeat(depth), trace.lane_name(lane));
        let label = cut(&label, label_width);
        let cells: String = timeline::paint(trace, lane, 0, step, columns, end_us)
            .into_iter()
            .map(glyph)
            .collect();
        writeln!(out, "{label:label_width$}  {}", cells.trim_end())?;
    }
    writeln!(out, "\n{}", LEGEND[0])?;
    writeln!(out, "{}   one column = {}", LEGEND[1], seconds(step))?;

    writeln!(out, "\nlanes")?;
    for row in &rows {
        let (label, fate) = match row {
            Row::Lane(lane, depth) => (
                format!("{}{}", "  ".repeat(*depth), trace.lane_name(*lane)),
                fate(trace, *lane),
            ),
            Row::Hidden { depth, lanes } => (
                format!("{}…", "  ".repeat(*depth)),
                format!("{} more: {}", lanes.len(), fates(trace, lanes)),
            ),
        };
        writeln!(out, "  {:label_width$}  {fate}", cut(&label, label_width))?;
    }

    let logs = trace.logs();
    if !logs.is_empty() {
        writeln!(out, "\nlog")?;
        let time_width = logs
            .iter()
            .map(|(t, ..)| seconds(*t).len())
            .max()
            .unwrap_or(0);
        for (t, lane, level, text) in logs {
            let who = lane.map_or("lanes", |l| trace.lane_name(l));
            writeln!(
                out,
                "  {:>time_width$}  {who}: {}{text}",
                seconds(t),
                level_tag(level)
            )?;
        }
    }

    match trace.end() {
        Some((t, reason)) => writeln!(out, "\nend at {} ({})", seconds(t), reason.as_str()),
        None => writeln!(out, "\n(the run has not ended)"),
    }
}

/// Siblings past this many are shown as their first and last few and a
/// line for the rest: 10,000 rows of `job N` would hide the shape of the
/// run, not show it (`--format jsonl` has every lane).
const FOLD_SIBLINGS: usize = 50;
/// How many lanes of a folded group are shown at each end.
const FOLD_SHOWN: usize = 5;

/// A row of the chart: a lane, or the middle of a big group of siblings.
enum Row {
    Lane(LaneId, usize),
    Hidden { depth: usize, lanes: Vec<LaneId> },
}

/// The lanes in tree order, big groups of siblings folded (with what is
/// under the lanes folded away).
fn shown_rows(trace: &Trace) -> Vec<Row> {
    let order = trace.tree_order();
    let mut siblings: std::collections::HashMap<Option<LaneId>, Vec<LaneId>> =
        std::collections::HashMap::new();
    for &(lane, _) in &order {
        siblings.entry(trace.parent(lane)).or_default().push(lane);
    }
    let mut rows = Vec::new();
    let mut hidden_from: Option<usize> = None;
    for (lane, depth) in order {
        if hidden_from.is_some_and(|d| depth > d) {
            continue; // under a folded lane
        }
        hidden_from = None;
        let group = &siblings[&trace.parent(lane)];
        let at = group.iter().position(|&l| l == lane).unwrap_or(0);
        let folded =
            group.len() > FOLD_SIBLINGS && at >= FOLD_SHOWN && at < group.len() - FOLD_SHOWN;
        if !folded {
            rows.push(Row::Lane(lane, depth));
            continue;
        }
        hidden_from = Some(depth);
        match rows.last_mut() {
            Some(Row::Hidden { lanes, .. }) => lanes.push(lane),
            _ => rows.push(Row::Hidden {
                depth,
                lanes: vec![lane],
            }),
        }
    }
    rows
}

/// How the lanes of a folded group ended, counted: `9990 done, the last
/// at 10.1 s`.
fn fates(trace: &Trace, lanes: &[LaneId]) -> String {
    let (mut done, mut cancelled, mut failed, mut running) = (0, 0, 0, 0);
    let mut last = 0;
    for &lane in lanes {
        match trace.lane_end(lane) {
            Some(LaneEnd::Done(t)) => {
                done += 1;
                last = last.max(t);
            }
            Some(LaneEnd::Cancelled(t)) => {
                cancelled += 1;
                last = last.max(t);
            }
            Some(LaneEnd::Failed(t, _)) => {
                failed += 1;
                last = last.max(t);
            }
            None => running += 1,
        }
    }
    let mut parts = Vec::new();
    for (count, what) in [
        (done, "done"),
        (cancelled, "cancelled"),
        (failed, "failed"),
        (running, "never ended"),
    ] {
        if count > 0 {
            parts.push(format!("{count} {what}"));
        }
    }
    let mut text = parts.join(", ");
    if done + cancelled + failed > 0 {
        text.push_str(&format!(", the last at {}", seconds(last)));
    }
    text
}

/// The chart as a string (for tests and callers that want it whole).
pub fn render(trace: &Trace) -> String {
    let mut out = Vec::new();
    write(trace, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("the chart is UTF-8")
}

/// What a log line says before its text: nothing for `info`, else the
/// level's name as the trace format has it (`error: `, `warn: `, `debug: `,
/// `trace: `).
pub fn level_tag(level: Level) -> String {
    if level == Level::Info {
        String::new()
    } else {
        format!("{}: ", level.as_str())
    }
}

/// The chart's character for a column.
fn glyph(cell: Cell) -> char {
    match cell {
        Cell::Empty => ' ',
        Cell::Queued => '~',
        Cell::Running => '=',
        Cell::Timer => '-',
        Cell::Waiting => '.',
        Cell::Done => '*',
        Cell::Cancelled => 'x',
        Cell::Failed => '!',
    }
}

/// The marks line (`0s`, `1s`, …) and the tick line (`|    |`).
fn axis(columns: usize, step: u64) -> (String, String) {
    let mut marks = String::new();
    let mut ticks = vec![b' '; columns];
    for (col, label) in axis_ticks(columns, step) {
        // Labels never overlap (axis_ticks leaves a space): pad to the tick.
        marks.push_str(&" ".repeat(col.saturating_sub(marks.len())));
        marks.push_str(&label);
        ticks[col] = b'|';
    }
    (marks, String::from_utf8(ticks).expect("ASCII"))
}

/// "done at 0.5 s", "cancelled at 1.5 s", "failed at 1.5 s: disk full".
fn fate(trace: &Trace, lane: LaneId) -> String {
    let started = match trace.first_run_us(lane) {
        Some(t) => format!("ran from {}", seconds(t)),
        None => "never ran".to_string(),
    };
    let end = match trace.lane_end(lane) {
        Some(LaneEnd::Done(t)) => format!("done at {}", seconds(t)),
        // "never ran, dropped at 1.0 s": made, never polled, thrown away.
        Some(LaneEnd::Cancelled(t)) if trace.never_polled(lane) => {
            format!("dropped at {}", seconds(t))
        }
        Some(LaneEnd::Cancelled(t)) if trace.cancelled_by_you(lane) => {
            format!("cancelled by you at {}", seconds(t))
        }
        Some(LaneEnd::Cancelled(t)) => format!("cancelled at {}", seconds(t)),
        Some(LaneEnd::Failed(t, detail)) => format!("failed at {}: {detail}", seconds(t)),
        None => match last_wait(trace, lane) {
            Some(on) => match trace.lock_waited(lane, u64::MAX) {
                Some(lock) => {
                    let holders: Vec<String> = trace
                        .lock_holders(lock, u64::MAX)
                        .into_iter()
                        .map(|(h, _)| format!("'{}'", trace.lane_name(h)))
                        .collect();
                    let lock = trace.text(lock);
                    if holders.is_empty() {
                        format!("still waiting on {on} for {lock}")
                    } else {
                        format!(
                            "still waiting on {on} for {lock}, held by {}",
                            holders.join(", ")
                        )
                    }
                }
                None => format!("still waiting on {on}"),
            },
            None => "did not end".to_string(),
        },
    };
    format!("{started}, {end}")
}

fn last_wait(trace: &Trace, lane: LaneId) -> Option<String> {
    trace
        .lane_events(lane)
        .filter_map(|e| match e.kind {
            EventKind::Awaiting { on, .. } => Some(trace.text(on).to_string()),
            _ => None,
        })
        .last()
}

fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(width - 1).collect();
        cut.push('~');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Event, Header};

    #[test]
    fn seconds_are_exact() {
        assert_eq!(seconds(0), "0.0 s");
        assert_eq!(seconds(30_000), "0.03 s");
        assert_eq!(seconds(400), "0.0004 s");
        assert_eq!(seconds(1), "0.000001 s");
        assert_eq!(seconds(500_000), "0.5 s");
        assert_eq!(seconds(3_500_000), "3.5 s");
        assert_eq!(seconds(999_600), "0.9996 s");
        assert_eq!(seconds(1_234_567), "1.234567 s");
        assert_eq!(seconds(60_000_000), "60.0 s");
        assert_eq!(seconds(u64::MAX), "18446744073709.551615 s");
    }

    /// Checks one axis: ticks in order from column 0, labels that never
    /// touch, one label for every tick, and labels that say the tick's time.
    fn check_axis(cells: usize, cell_us: u64) -> Vec<(usize, String)> {
        let ticks = axis_ticks(cells, cell_us);
        assert_eq!(ticks[0].0, 0, "{cells} x {cell_us}");
        for pair in ticks.windows(2) {
            let ((a, label), (b, _)) = (&pair[0], &pair[1]);
            assert!(b > a, "{cells} x {cell_us}: {ticks:?}");
            assert!(
                a + label.len() < *b,
                "{cells} x {cell_us}: {label} runs into the next tick: {ticks:?}"
            );
        }
        assert!(ticks.iter().all(|(col, _)| *col < cells));
        let decimals: Vec<usize> = ticks
            .iter()
            .map(|(_, l)| l.split('.').nth(1).map_or(0, |d| d.len()))
            .collect();
        assert!(decimals.windows(2).all(|d| d[0] == d[1]), "{ticks:?}");
        // The drawn line: as many `|` as labels, each label at its tick.
        let (marks, line) = axis(cells, cell_us);
        assert_eq!(line.matches('|').count(), ticks.len());
        for (col, label) in &ticks {
            assert_eq!(&line[*col..col + 1], "|");
            assert_eq!(&marks[*col..col + label.len()], label);
            // Each label starts at its tick and is followed by a space.
            let after = marks[col + label.len()..].chars().next();
            assert!(after.is_none_or(|c| c == ' '), "{marks}");
        }
        ticks
    }

    #[test]
    fn axis_labels_never_touch_and_every_tick_has_one() {
        for &step in &STEPS_US {
            for columns in 1..=AXIS_WIDTH {
                check_axis(columns, step);
            }
        }
        // Steps the interface uses: the span over any number of cells.
        for cells in [7, 13, 40, 57, 80, 133, 200] {
            for span in [
                1_000,
                500_000,
                600_000,
                2_000_000,
                15_000_000,
                3_600_000_000,
            ] {
                check_axis(cells, (span / cells as u64).max(1));
            }
        }
    }

    #[test]
    fn axis_labels_for_long_runs() {
        let labels = |cells, step| -> Vec<String> {
            check_axis(cells, step)
                .into_iter()
                .map(|(_, label)| label)
                .collect()
        };
        // 150 s at 5 s a column once read `25.0s50.0s75.0s100.0s    150.0s`.
        assert_eq!(
            labels(31, 5_000_000),
            ["0s", "25s", "50s", "75s", "100s", "125s", "150s"]
        );
        // 15 s at 0.25 s a column once read `10.0s12.5s15.0s`.
        assert_eq!(
            labels(61, 250_000),
            ["0s", "2s", "4s", "6s", "8s", "10s", "12s", "14s"]
        );
        assert_eq!(
            labels(51, 10_000),
            ["0.0s", "0.1s", "0.2s", "0.3s", "0.4s", "0.5s"]
        );
        assert_eq!(labels(36, 1_000)[..2], ["0.00s", "0.01s"]);
        assert_eq!(labels(1, 1_000), ["0s"]);
    }

    fn lane_row(chart: &str, name: &str) -> String {
        chart
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap()
            .to_string()
    }

    #[test]
    fn a_short_turn_shows_between_two_waits() {
        // A worker waits 25 ms for a lock, then holds it for a 5 ms sleep,
        // at 10 ms a column: each turn lies inside a column that starts and
        // ends with a wait, so the state at any one instant would hide it.
        let mut trace = Trace::new(Header {
            lesson: "test".into(),
            knobs: Vec::new(),
        });
        let name = trace.intern("worker");
        let lock = trace.intern("Mutex::lock");
        let sleep = trace.intern("Sleep 5ms");
        let mut push = |t_us, kind| {
            trace.push_event(Event {
                t_us,
                lane: Some(1),
                kind,
            })
        };
        push(0, EventKind::Spawned { name, parent: None });
        push(0, EventKind::Running);
        push(
            0,
            EventKind::Awaiting {
                on: lock,
                line: None,
            },
        );
        for turn in 0..10 {
            let t = turn * 30_000;
            push(t + 23_000, EventKind::Running);
            push(
                t + 23_000,
                EventKind::Awaiting {
                    on: sleep,
                    line: None,
                },
            );
            push(t + 28_000, EventKind::Running);
            push(
                t + 28_000,
                EventKind::Awaiting {
                    on: lock,
                    line: None,
                },
            );
        }
        push(300_000, EventKind::Done);
        trace.push_event(Event {
            t_us: 300_000,
            lane: None,
            kind: EventKind::End {
                reason: crate::trace::EndReason::Finished,
            },
        });
        let chart = render(&trace);
        let row = lane_row(&chart, "worker");
        assert_eq!(row.matches('-').count(), 10, "{chart}");
        assert!(row.ends_with("*"), "{row}");
    }

    #[test]
    fn log_levels_use_the_trace_format_names() {
        assert_eq!(level_tag(Level::Warn), "warn: ");
        assert_eq!(level_tag(Level::Error), "error: ");
        assert_eq!(level_tag(Level::Debug), "debug: ");
        assert_eq!(level_tag(Level::Info), "");
    }
}
