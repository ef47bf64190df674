//! A still picture of a whole run, for slides and docs: one row per lane in
//! the order of the lane tree, the time axis above, and each state told
//! apart by its shape first and its colour second, so that it reads the
//! same in black and white (`NO_COLOR`):
//!
//! - running: a tall solid bar;
//! - waiting on a timer: a solid bar, named by its wait (`Sleep 500ms`);
//! - waiting on anything else: a hollow bar with a dashed edge, named too;
//! - spawned, not polled yet: a dotted line;
//! - done: a dot; cancelled: a cross; failed: a diamond, with its error.
//!
//! The end of the run is a line across every row, with how it ended.

use std::io::{self, Write};

use svg::Document;
use svg::node::element::{Circle, Group, Line, Path, Rectangle, Text, Title};

use super::text::{decimals, fixed};
use crate::trace::query::is_timer_wait;
use crate::trace::{LaneEnd, LaneId, SpanState, Trace};

/// Height of a lane's row, in pixels.
const ROW: f64 = 24.0;
/// Width of the time axis.
const CHART: f64 = 840.0;
/// Room for the end marks and a failed lane's error right of the axis.
const RIGHT: f64 = 300.0;
/// The width of a character of the font, for fitting labels.
const CHAR: f64 = 7.2;
/// Indentation of a child lane's name under its parent.
const INDENT: f64 = 14.0;
const MARGIN: f64 = 16.0;
/// Above the first row: the title and the axis labels.
const TOP: f64 = 64.0;
/// Below the last row: the legend.
const BOTTOM: f64 = 56.0;
/// At most this many ticks on the axis.
const MAX_TICKS: u64 = 12;
const FONT: &str = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace";

/// The colours of a picture: one per state, or shades of grey.
struct Palette {
    ink: &'static str,
    faint: &'static str,
    grid: &'static str,
    running: &'static str,
    timer: &'static str,
    timer_text: &'static str,
    waiting: &'static str,
    waiting_fill: &'static str,
    done: &'static str,
    cancelled: &'static str,
    failed: &'static str,
}

const COLOUR: Palette = Palette {
    ink: "#1a202c",
    faint: "#a0aec0",
    grid: "#e2e8f0",
    running: "#2f855a",
    timer: "#3182ce",
    timer_text: "#ffffff",
    waiting: "#b7791f",
    waiting_fill: "#fefcbf",
    done: "#2f855a",
    cancelled: "#97266d",
    failed: "#c53030",
};

const GREY: Palette = Palette {
    ink: "#000000",
    faint: "#999999",
    grid: "#e5e5e5",
    running: "#000000",
    timer: "#666666",
    timer_text: "#ffffff",
    waiting: "#000000",
    waiting_fill: "#ffffff",
    done: "#000000",
    cancelled: "#000000",
    failed: "#000000",
};

/// Writes the picture of `trace`; `colour` false draws in greys only.
pub fn write(trace: &Trace, colour: bool, out: &mut impl Write) -> io::Result<()> {
    svg::write(out, &picture(trace, colour))
}

fn picture(trace: &Trace, colour: bool) -> Document {
    let palette = if colour { &COLOUR } else { &GREY };
    let rows = trace.tree_order();
    let end_us = trace.end().map_or(trace.last_t_us(), |(t, _)| t).max(1);
    let label_width = rows
        .iter()
        .map(|&(lane, depth)| depth as f64 * INDENT + text_width(trace.lane_name(lane)))
        .fold(0.0, f64::max)
        .min(280.0);
    let chart_x = MARGIN + label_width + 16.0;
    let width = chart_x + CHART + RIGHT;
    let height = TOP + rows.len() as f64 * ROW + BOTTOM;
    let scale = Scale {
        x0: chart_x,
        end_us,
    };

    let mut document = Document::new()
        .set("xmlns", "http://www.w3.org/2000/svg")
        .set("viewBox", (0, 0, width, height))
        .set("width", width)
        .set("height", height)
        .set("font-family", FONT)
        .set("font-size", 12)
        .add(Title::new(format!("lanes: {}", trace.header().lesson)))
        .add(
            Rectangle::new()
                .set("width", "100%")
                .set("height", "100%")
                .set("fill", "#ffffff"),
        )
        .add(title(trace, palette))
        .add(axis(&scale, rows.len(), palette));

    for (row, &(lane, depth)) in rows.iter().enumerate() {
        let y = TOP + row as f64 * ROW;
        document = document.add(lane_row(trace, lane, depth, y, &scale, palette));
    }
    document
        .add(run_end(trace, &scale, rows.len(), palette))
        .add(legend(height - BOTTOM + 20.0, palette))
}

/// Virtual time to pixels.
struct Scale {
    x0: f64,
    end_us: u64,
}

impl Scale {
    fn x(&self, t_us: u64) -> f64 {
        self.x0 + CHART * t_us as f64 / self.end_us as f64
    }
}

fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR
}

fn title(trace: &Trace, palette: &Palette) -> Text {
    let header = trace.header();
    let knobs: Vec<String> = header
        .knobs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    Text::new(format!("{}  {}", header.lesson, knobs.join(" ")))
        .set("x", MARGIN)
        .set("y", 22)
        .set("font-size", 15)
        .set("font-weight", "bold")
        .set("fill", palette.ink)
}

/// Ticks at round times (1, 2, 2.5 or 5 times a power of ten µs), labelled
/// in seconds with the same decimals, each with a faint line down the rows.
fn axis(scale: &Scale, rows: usize, palette: &Palette) -> Group {
    let interval = tick_interval(scale.end_us);
    let places = decimals(interval);
    let bottom = TOP + rows as f64 * ROW;
    let mut group = Group::new();
    for k in 0..=scale.end_us / interval {
        let t = k * interval;
        let x = scale.x(t);
        group = group
            .add(
                Line::new()
                    .set("x1", x)
                    .set("y1", TOP - 6.0)
                    .set("x2", x)
                    .set("y2", bottom)
                    .set("stroke", palette.grid)
                    .set("stroke-width", 1),
            )
            .add(
                Text::new(format!("{}s", fixed(t, places)))
                    .set("x", x)
                    .set("y", TOP - 12.0)
                    .set("text-anchor", "middle")
                    .set("fill", palette.faint),
            );
    }
    group
}

fn tick_interval(end_us: u64) -> u64 {
    let mut power: u64 = 1;
    loop {
        for (num, den) in [(1, 1), (2, 1), (5, 2), (5, 1)] {
            let interval = power * num / den;
            if interval * den == power * num && end_us / interval <= MAX_TICKS {
                return interval;
            }
        }
        power *= 10;
    }
}

fn lane_row(
    trace: &Trace,
    lane: LaneId,
    depth: usize,
    y: f64,
    scale: &Scale,
    palette: &Palette,
) -> Group {
    let mid = y + ROW / 2.0;
    let mut group = Group::new()
        .set("class", "lane")
        .set("data-lane", lane)
        .add(
            Text::new(trace.lane_name(lane))
                .set("x", MARGIN + depth as f64 * INDENT)
                .set("y", mid + 4.0)
                .set("fill", palette.ink),
        );
    for span in trace.spans(lane) {
        let to_us = span.to_us.unwrap_or(scale.end_us);
        let (x1, x2) = (scale.x(span.from_us), scale.x(to_us));
        if to_us <= span.from_us {
            continue;
        }
        group = match &span.state {
            SpanState::Queued => group.add(state_shape(Shape::Queued, x1, x2, mid, palette)),
            SpanState::Running => group.add(state_shape(Shape::Running, x1, x2, mid, palette)),
            SpanState::Awaiting { on, .. } if is_timer_wait(on) => group
                .add(state_shape(Shape::Timer, x1, x2, mid, palette))
                .add(wait_label(on, x1, x2, mid, palette.timer_text)),
            SpanState::Awaiting { on, .. } => group
                .add(state_shape(Shape::Waiting, x1, x2, mid, palette))
                .add(wait_label(on, x1, x2, mid, palette.ink)),
        };
    }
    if let Some(end) = trace.lane_end(lane) {
        group = group.add(end_mark(
            trace,
            lane,
            &end,
            scale.x(end.t_us()),
            mid,
            palette,
        ));
    } else if let Some(SpanState::Awaiting { on, line }) = still_waiting(trace, lane) {
        // The run ended with the lane still waiting (a stall, a stop): its
        // wait goes on past the end, and is named there.
        let x = scale.x(scale.end_us);
        let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
        group = group
            .add(state_shape(Shape::Waiting, x, x + 18.0, mid, palette))
            .add(note(
                &format!("still waiting on {on}{at}"),
                x + 24.0,
                mid,
                palette.ink,
            ));
    }
    group
}

/// What the lane was waiting on when the trace ended, if it was.
fn still_waiting(trace: &Trace, lane: LaneId) -> Option<SpanState> {
    let last = trace.spans(lane).pop()?;
    (last.to_us.is_none()).then_some(last.state)
}

/// The shapes of the states a lane is in between its spawn and its end.
#[derive(Clone, Copy)]
enum Shape {
    Running,
    Timer,
    Waiting,
    Queued,
}

/// A state's shape from `x1` to `x2`, centred on `mid`: the same in the
/// rows and in the legend.
fn state_shape(shape: Shape, x1: f64, x2: f64, mid: f64, palette: &Palette) -> Box<dyn svg::Node> {
    match shape {
        Shape::Running => Box::new(bar(x1, x2, mid, 16.0).set("fill", palette.running)),
        Shape::Timer => Box::new(bar(x1, x2, mid, 10.0).set("fill", palette.timer)),
        Shape::Waiting => Box::new(
            bar(x1 + 0.5, x2 - 0.5, mid, 10.0)
                .set("fill", palette.waiting_fill)
                .set("stroke", palette.waiting)
                .set("stroke-width", 1)
                .set("stroke-dasharray", "3 2"),
        ),
        Shape::Queued => Box::new(
            Line::new()
                .set("x1", x1)
                .set("y1", mid)
                .set("x2", x2)
                .set("y2", mid)
                .set("stroke", palette.faint)
                .set("stroke-width", 2)
                .set("stroke-dasharray", "1 4")
                .set("stroke-linecap", "round"),
        ),
    }
}

fn bar(x1: f64, x2: f64, mid: f64, height: f64) -> Rectangle {
    Rectangle::new()
        .set("x", x1)
        .set("y", mid - height / 2.0)
        .set("width", (x2 - x1).max(1.0))
        .set("height", height)
        .set("rx", 2)
}

/// What a wait is on, inside its bar when it fits there, else nothing: the
/// bar's own shape still says what kind of wait it is.
fn wait_label(on: &str, x1: f64, x2: f64, mid: f64, fill: &str) -> Group {
    let group = Group::new();
    if x2 - x1 < text_width(on) * 0.85 + 8.0 {
        return group;
    }
    group.add(
        Text::new(on)
            .set("x", x1 + 4.0)
            .set("y", mid + 3.5)
            .set("font-size", 10)
            .set("fill", fill),
    )
}

#[derive(Clone, Copy)]
enum EndShape {
    Done,
    Cancelled,
    Failed,
}

/// A dot, a cross or a diamond, centred on (`x`, `mid`).
fn end_shape(shape: EndShape, x: f64, mid: f64, palette: &Palette) -> Group {
    let group = Group::new();
    match shape {
        EndShape::Done => group.add(
            Circle::new()
                .set("cx", x)
                .set("cy", mid)
                .set("r", 4.5)
                .set("fill", palette.done),
        ),
        EndShape::Cancelled => {
            let (a, b) = (4.5, -4.5);
            let cross = format!(
                "M{} {} L{} {} M{} {} L{} {}",
                x + b,
                mid + b,
                x + a,
                mid + a,
                x + b,
                mid + a,
                x + a,
                mid + b
            );
            group.add(
                Path::new()
                    .set("d", cross)
                    .set("stroke", palette.cancelled)
                    .set("stroke-width", 2.5)
                    .set("stroke-linecap", "round"),
            )
        }
        EndShape::Failed => {
            let diamond = format!(
                "M{x} {} L{} {mid} L{x} {} L{} {mid} Z",
                mid - 6.0,
                x + 6.0,
                mid + 6.0,
                x - 6.0
            );
            group.add(Path::new().set("d", diamond).set("fill", palette.failed))
        }
    }
}

/// How the lane ended, where it ended; a failure says why, and a lane the
/// learner cancelled says so.
fn end_mark(
    trace: &Trace,
    lane: LaneId,
    end: &LaneEnd,
    x: f64,
    mid: f64,
    palette: &Palette,
) -> Group {
    match end {
        LaneEnd::Done(_) => end_shape(EndShape::Done, x, mid, palette),
        LaneEnd::Cancelled(_) if trace.cancelled_by_you(lane) => end_shape(
            EndShape::Cancelled,
            x,
            mid,
            palette,
        )
        .add(note("by you", x + 9.0, mid, palette.cancelled)),
        LaneEnd::Cancelled(_) => end_shape(EndShape::Cancelled, x, mid, palette),
        LaneEnd::Failed(_, why) => {
            let why: String = if why.chars().count() > 28 {
                why.chars().take(27).chain(['…']).collect()
            } else {
                why.clone()
            };
            end_shape(EndShape::Failed, x, mid, palette).add(note(
                &why,
                x + 10.0,
                mid,
                palette.failed,
            ))
        }
    }
}

fn note(text: &str, x: f64, mid: f64, fill: &str) -> Text {
    Text::new(text)
        .set("x", x)
        .set("y", mid + 4.0)
        .set("font-size", 11)
        .set("fill", fill)
}

/// The end of the run: a line across every row, and how the run ended.
fn run_end(trace: &Trace, scale: &Scale, rows: usize, palette: &Palette) -> Group {
    let x = scale.x(scale.end_us);
    let reason = trace.end().map_or("running", |(_, reason)| reason.as_str());
    Group::new()
        .set("class", "end")
        .add(
            Line::new()
                .set("x1", x)
                .set("y1", TOP - 6.0)
                .set("x2", x)
                .set("y2", TOP + rows as f64 * ROW)
                .set("stroke", palette.ink)
                .set("stroke-width", 1.5)
                .set("stroke-dasharray", "4 3"),
        )
        .add(
            Text::new(format!(
                "{reason} at {}",
                super::text::seconds(scale.end_us)
            ))
            .set("x", x)
            .set("y", 42)
            .set("text-anchor", "middle")
            .set("font-weight", "bold")
            .set("fill", palette.ink),
        )
}

/// One sample of each shape, with what it means, in a line.
fn legend(y: f64, palette: &Palette) -> Group {
    let state = |shape| move |x: f64| Group::new().add(state_shape(shape, x, x + 24.0, y, palette));
    let end = |shape| move |x: f64| end_shape(shape, x + 12.0, y, palette);
    type Sample<'a> = Box<dyn Fn(f64) -> Group + 'a>;
    let shapes: [(&str, Sample); 7] = [
        ("running", Box::new(state(Shape::Running))),
        ("waiting on a timer", Box::new(state(Shape::Timer))),
        ("waiting on something else", Box::new(state(Shape::Waiting))),
        ("not polled yet", Box::new(state(Shape::Queued))),
        ("done", Box::new(end(EndShape::Done))),
        ("cancelled", Box::new(end(EndShape::Cancelled))),
        ("failed", Box::new(end(EndShape::Failed))),
    ];
    let mut group = Group::new().set("class", "legend");
    let mut x = MARGIN;
    for (label, shape) in shapes {
        group = group.add(shape(x)).add(
            Text::new(label)
                .set("x", x + 30.0)
                .set("y", y + 4.0)
                .set("fill", palette.ink),
        );
        x += 30.0 + text_width(label) + 22.0;
    }
    group
}
