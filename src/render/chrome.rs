//! The Trace Event Format (the JSON that Perfetto and `chrome://tracing`
//! open): one track per lane, in the order of the lane tree, named by its
//! path (`main › worker › step 1`); a slice per stretch of unchanged state,
//! named by what the lane waits on; log lines and lane ends as instant
//! events; times in virtual microseconds, as the format counts them.
//!
//! Written as it goes, one event a line, so that a big trace streams.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Value, json};

use crate::trace::{EventKind, LaneEnd, LaneId, SpanState, Trace};

/// Every lane lives in this one process of the format.
const PID: u32 = 1;

#[derive(Serialize)]
struct TraceEvent<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    cat: &'a str,
    ph: &'static str,
    ts: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    dur: Option<u64>,
    pid: u32,
    tid: u32,
    /// Scope of an instant event: `t` its track, `g` the whole trace.
    #[serde(skip_serializing_if = "Option::is_none")]
    s: Option<&'static str>,
    #[serde(skip_serializing_if = "Value::is_null")]
    args: Value,
}

impl<'a> TraceEvent<'a> {
    fn new(name: &'a str, ph: &'static str, ts: u64, tid: u32) -> Self {
        TraceEvent {
            name,
            cat: "",
            ph,
            ts,
            dur: None,
            pid: PID,
            tid,
            s: None,
            args: Value::Null,
        }
    }
}

/// Writes `trace` as a Trace Event Format JSON object.
pub fn write(trace: &Trace, out: &mut impl Write) -> io::Result<()> {
    let mut events = EventWriter { out, first: true };
    events.out.write_all(b"{\"traceEvents\":[\n")?;

    let mut process = TraceEvent::new("process_name", "M", 0, 0);
    process.args = json!({ "name": format!("lanes: {}", trace.header().lesson) });
    events.push(&process)?;
    // Track 0 carries what no lane said: the runner's own lines.
    let mut runner = TraceEvent::new("thread_name", "M", 0, 0);
    runner.args = json!({ "name": "(runner)" });
    events.push(&runner)?;

    let end_us = trace.end().map_or(trace.last_t_us(), |(t, _)| t);
    for (order, (lane, path)) in lanes_in_tree_order(trace).into_iter().enumerate() {
        let mut name = TraceEvent::new("thread_name", "M", 0, lane);
        name.args = json!({ "name": path });
        events.push(&name)?;
        let mut sort = TraceEvent::new("thread_sort_index", "M", 0, lane);
        sort.args = json!({ "sort_index": order });
        events.push(&sort)?;
        write_spans(trace, lane, end_us, &mut events)?;
        write_lane_end(trace, lane, &mut events)?;
    }

    for e in trace.events() {
        match e.kind {
            EventKind::Log { level, detail } => {
                let mut log = TraceEvent::new(trace.text(detail), "i", e.t_us, e.lane.unwrap_or(0));
                log.cat = "log";
                log.s = Some(if e.lane.is_some() { "t" } else { "g" });
                log.args = json!({ "level": level.as_str() });
                events.push(&log)?;
            }
            EventKind::End { reason } => {
                let name = format!("end: {}", reason.as_str());
                let mut end = TraceEvent::new(&name, "i", e.t_us, 0);
                end.cat = "end";
                end.s = Some("g");
                events.push(&end)?;
            }
            _ => {}
        }
    }

    let header = trace.header();
    let knobs: serde_json::Map<String, Value> = header
        .knobs
        .iter()
        .map(|(name, value)| (name.clone(), Value::String(value.to_string())))
        .collect();
    let other = json!({ "lesson": header.lesson, "knobs": knobs, "clock": "virtual" });
    write!(
        events.out,
        "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{other}}}\n"
    )
}

struct EventWriter<'w, W: Write> {
    out: &'w mut W,
    first: bool,
}

impl<W: Write> EventWriter<'_, W> {
    fn push(&mut self, event: &TraceEvent<'_>) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        serde_json::to_writer(&mut *self.out, event).map_err(io::Error::from)
    }
}

/// A slice for each stretch of the lane's life; one still open at the end
/// of the trace runs to the end.
fn write_spans<W: Write>(
    trace: &Trace,
    lane: LaneId,
    end_us: u64,
    events: &mut EventWriter<'_, W>,
) -> io::Result<()> {
    for span in trace.spans(lane) {
        let to_us = span.to_us.unwrap_or(end_us).max(span.from_us);
        // Polls take no virtual time: an empty slice would only clutter.
        if to_us == span.from_us {
            continue;
        }
        let (name, cat, line) = match &span.state {
            SpanState::Queued => ("not polled yet", "queued", None),
            SpanState::Running => ("running", "running", None),
            SpanState::Awaiting { on, line } => (on.as_str(), "waiting", *line),
        };
        let mut slice = TraceEvent::new(name, "X", span.from_us, lane);
        slice.cat = cat;
        slice.dur = Some(to_us - span.from_us);
        if let Some(line) = line {
            slice.args = json!({ "line": line });
        }
        events.push(&slice)?;
    }
    Ok(())
}

fn write_lane_end<W: Write>(
    trace: &Trace,
    lane: LaneId,
    events: &mut EventWriter<'_, W>,
) -> io::Result<()> {
    let Some(end) = trace.lane_end(lane) else {
        return Ok(());
    };
    let (name, args) = match &end {
        LaneEnd::Done(_) => ("done", Value::Null),
        LaneEnd::Cancelled(_) if trace.cancelled_by_you(lane) => ("cancelled by you", Value::Null),
        LaneEnd::Cancelled(_) => ("cancelled", Value::Null),
        LaneEnd::Failed(_, why) => ("failed", json!({ "error": why })),
    };
    let mut marker = TraceEvent::new(name, "i", end.t_us(), lane);
    marker.cat = "end";
    marker.s = Some("t");
    marker.args = args;
    events.push(&marker)
}

/// Every lane in the order of the tree, each with its path of names.
fn lanes_in_tree_order(trace: &Trace) -> Vec<(LaneId, String)> {
    let mut path: Vec<&str> = Vec::new();
    trace
        .tree_order()
        .into_iter()
        .map(|(lane, depth)| {
            path.truncate(depth);
            path.push(trace.lane_name(lane));
            (lane, path.join(" › "))
        })
        .collect()
}
