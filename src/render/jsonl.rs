//! The public trace format, `lanes-trace/1`: one JSON object per line, the
//! header first, then events in time order, the `end` last.

use std::io::{self, Write};

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::trace::{Event, EventKind, Header, KnobValue, Trace};

pub const FORMAT: &str = "lanes-trace/1";

#[derive(Serialize)]
struct HeaderLine<'a> {
    format: &'static str,
    lesson: &'a str,
    knobs: KnobMap<'a>,
}

/// Knobs as a JSON object in declaration order.
struct KnobMap<'a>(&'a [(String, KnobValue)]);

impl Serialize for KnobMap<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            match value {
                KnobValue::Int(v) => map.serialize_entry(name, v)?,
                KnobValue::Bool(v) => map.serialize_entry(name, v)?,
                KnobValue::Text(v) => map.serialize_entry(name, v)?,
            }
        }
        map.end()
    }
}

/// One event line. Field order is the format's: `t_us`, `lane`, `event`,
/// then the event's own keys.
#[derive(Serialize)]
struct EventLine<'a> {
    t_us: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    lane: Option<u32>,
    event: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    /// `Some(None)` is written as `"parent":null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<Option<u32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    on: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    /// Who cancelled the lane, when it was the learner (`"you"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    by: Option<&'static str>,
    /// The lock an `acquired`, `released` or `awaiting` event is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    lock: Option<&'a str>,
}

fn event_line<'a>(trace: &'a Trace, event: &Event) -> EventLine<'a> {
    let mut line = EventLine {
        t_us: event.t_us,
        lane: event.lane,
        event: "",
        name: None,
        parent: None,
        on: None,
        line: None,
        level: None,
        detail: None,
        reason: None,
        by: None,
        lock: None,
    };
    match event.kind {
        EventKind::Spawned { name, parent } => {
            line.event = "spawned";
            line.name = Some(trace.text(name));
            line.parent = Some(parent);
        }
        EventKind::Running => line.event = "running",
        EventKind::Awaiting { on, line: at } => {
            line.event = "awaiting";
            line.on = Some(trace.text(on));
            line.line = at;
        }
        EventKind::Done => line.event = "done",
        EventKind::Cancelled { by_you } => {
            line.event = "cancelled";
            line.by = by_you.then_some("you");
        }
        EventKind::Failed { detail } => {
            line.event = "failed";
            line.detail = Some(trace.text(detail));
        }
        EventKind::Log { level, detail } => {
            line.event = "log";
            line.level = Some(level.as_str());
            line.detail = Some(trace.text(detail));
        }
        EventKind::Acquired { lock } => {
            line.event = "acquired";
            line.lock = Some(trace.text(lock));
        }
        EventKind::Released { lock } => {
            line.event = "released";
            line.lock = Some(trace.text(lock));
        }
        // Written as a key of the `awaiting` line before it (see `write`).
        EventKind::WaitsForLock { lock } => {
            line.event = "awaiting";
            line.lock = Some(trace.text(lock));
        }
        EventKind::End { reason } => {
            line.event = "end";
            line.reason = Some(reason.as_str());
        }
    }
    line
}

pub fn header_line(header: &Header) -> String {
    let line = HeaderLine {
        format: FORMAT,
        lesson: &header.lesson,
        knobs: KnobMap(&header.knobs),
    };
    serde_json::to_string(&line).expect("a header always serializes")
}

/// Writes the whole trace, line by line (give it a buffered writer).
pub fn write(trace: &Trace, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{}", header_line(trace.header()))?;
    let events = trace.events();
    for (i, event) in events.iter().enumerate() {
        // A lock wait is a key of the `awaiting` line just before it.
        if matches!(event.kind, EventKind::WaitsForLock { .. }) {
            continue;
        }
        let mut line = event_line(trace, event);
        if let Some(Event {
            lane,
            kind: EventKind::WaitsForLock { lock },
            ..
        }) = events.get(i + 1)
            && *lane == event.lane
        {
            line.lock = Some(trace.text(*lock));
        }
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The whole trace as one string, for tests and small traces; output to a
/// file or a pipe streams with [`write`] instead.
pub fn to_string(trace: &Trace) -> String {
    let mut out = Vec::new();
    write(trace, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("JSON is UTF-8")
}
