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

use std::fmt::Write as _;

use crate::trace::query::{SpanState, is_timer_wait};
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

/// Seconds for people: `0.5 s`, `3.5 s`, `1.234 s`.
pub fn seconds(us: u64) -> String {
    let text = format!("{:.3}", us as f64 / 1e6);
    let text = text.trim_end_matches('0');
    let text = if text.ends_with('.') {
        format!("{text}0")
    } else {
        text.to_string()
    };
    format!("{text} s")
}

pub fn render(trace: &Trace) -> String {
    let mut out = String::new();
    let header = trace.header();
    let knobs: Vec<String> = header
        .knobs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let _ = writeln!(out, "{}  {}", header.lesson, knobs.join(" "));
    let end_us = trace.end().map_or(trace.last_t_us(), |(t, _)| t);
    let step = STEPS_US
        .iter()
        .copied()
        .find(|s| end_us / s < AXIS_WIDTH as u64)
        .unwrap_or(STEPS_US[STEPS_US.len() - 1]);
    let columns = (end_us / step) as usize + 1;

    let rows = lane_rows(trace);
    let label_width = rows
        .iter()
        .map(|(lane, depth)| depth * 2 + trace.lane_name(*lane).len())
        .max()
        .unwrap_or(4)
        .clamp(4, LABEL_WIDTH);

    out.push('\n');
    let (marks, ticks) = axis(columns, step);
    let _ = writeln!(out, "{:label_width$}  {marks}", "");
    let _ = writeln!(out, "{:label_width$}  {ticks}", "");
    for (lane, depth) in &rows {
        let label = format!("{}{}", "  ".repeat(*depth), trace.lane_name(*lane));
        let label = cut(&label, label_width);
        let cells = lane_cells(trace, *lane, columns, step);
        let _ = writeln!(out, "{label:label_width$}  {}", cells.trim_end());
    }
    let _ = writeln!(out, "\n{}", LEGEND[0]);
    let _ = writeln!(out, "{}   one column = {}", LEGEND[1], seconds(step));

    out.push_str("\nlanes\n");
    for (lane, depth) in &rows {
        let label = format!("{}{}", "  ".repeat(*depth), trace.lane_name(*lane));
        let _ = writeln!(
            out,
            "  {:label_width$}  {}",
            cut(&label, label_width),
            fate(trace, *lane)
        );
    }

    let logs = trace.logs();
    if !logs.is_empty() {
        out.push_str("\nlog\n");
        for (t, lane, level, text) in logs {
            let who = lane.map_or("lanes", |l| trace.lane_name(l));
            let level = if level == Level::Info {
                String::new()
            } else {
                format!("{}: ", level.as_str())
            };
            let _ = writeln!(out, "  {:>9}  {}: {level}{text}", seconds(t), who);
        }
    }

    match trace.end() {
        Some((t, reason)) => {
            let _ = writeln!(out, "\nend at {} ({})", seconds(t), reason.as_str());
        }
        None => out.push_str("\n(the run has not ended)\n"),
    }
    out
}

/// Lanes in tree order (each parent followed by its children), with depth.
fn lane_rows(trace: &Trace) -> Vec<(LaneId, usize)> {
    let mut rows = Vec::with_capacity(trace.lanes().len());
    let mut children: Vec<Vec<LaneId>> = vec![Vec::new(); trace.lanes().len() + 1];
    let mut roots = Vec::new();
    for lane in 1..=trace.lanes().len() as LaneId {
        match trace.parent(lane) {
            Some(parent) if (parent as usize) < children.len() => {
                children[parent as usize].push(lane)
            }
            _ => roots.push(lane),
        }
    }
    let mut stack: Vec<(LaneId, usize)> = roots.into_iter().rev().map(|l| (l, 0)).collect();
    while let Some((lane, depth)) = stack.pop() {
        rows.push((lane, depth));
        for &child in children[lane as usize].iter().rev() {
            stack.push((child, depth + 1));
        }
    }
    rows
}

/// The marks line (`0s`, `1s`, …) and the tick line (`|....|`).
fn axis(columns: usize, step: u64) -> (String, String) {
    // A labelled mark every `every` columns, at round times.
    let every = [1usize, 2, 5, 10, 20, 50]
        .into_iter()
        .find(|&n| {
            let t = n as u64 * step;
            n >= 8
                || (n >= 5 && t.is_multiple_of(1_000_000))
                || (n >= 5 && t.is_multiple_of(100_000))
        })
        .unwrap_or(10);
    let mut marks = String::new();
    let mut ticks = String::new();
    let mut col = 0;
    while col < columns {
        if col % every == 0 {
            if marks.len() <= col {
                marks.push_str(&" ".repeat(col - marks.len()));
                marks.push_str(&seconds(col as u64 * step).replace(' ', ""));
            }
            ticks.push('|');
        } else {
            ticks.push(' ');
        }
        col += 1;
    }
    (marks, ticks)
}

fn lane_cells(trace: &Trace, lane: LaneId, columns: usize, step: u64) -> String {
    let spans = trace.spans(lane);
    let spawned = trace.lane(lane).map_or(0, |l| l.spawned_us);
    let end = trace.lane_end(lane);
    let mut cells = String::with_capacity(columns);
    for col in 0..columns {
        let from = col as u64 * step;
        let to = from + step;
        if let Some(end) = &end {
            let t = end.t_us();
            if t >= from && t < to {
                cells.push(match end {
                    LaneEnd::Done(_) => '*',
                    LaneEnd::Cancelled(_) => 'x',
                    LaneEnd::Failed(..) => '!',
                });
                continue;
            }
            if t < from {
                cells.push(' ');
                continue;
            }
        }
        if spawned >= to {
            cells.push(' ');
            continue;
        }
        let at = from.max(spawned);
        let state = spans
            .iter()
            .find(|s| s.from_us <= at && s.to_us.is_none_or(|to| at < to))
            .map(|s| &s.state);
        cells.push(match state {
            Some(SpanState::Running) => '=',
            Some(SpanState::Queued) => '~',
            Some(SpanState::Awaiting { on, .. }) if is_timer_wait(on) => '-',
            Some(SpanState::Awaiting { .. }) => '.',
            None => ' ',
        });
    }
    cells
}

/// "done at 0.5 s", "cancelled at 1.5 s", "failed at 1.5 s: disk full".
fn fate(trace: &Trace, lane: LaneId) -> String {
    let started = match trace.first_run_us(lane) {
        Some(t) => format!("ran from {}", seconds(t)),
        None => "never ran".to_string(),
    };
    let end = match trace.lane_end(lane) {
        Some(LaneEnd::Done(t)) => format!("done at {}", seconds(t)),
        Some(LaneEnd::Cancelled(t)) => format!("cancelled at {}", seconds(t)),
        Some(LaneEnd::Failed(t, detail)) => format!("failed at {}: {detail}", seconds(t)),
        None => match last_wait(trace, lane) {
            Some(on) => format!("still waiting on {on}"),
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
