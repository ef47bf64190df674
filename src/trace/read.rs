//! Reading a `lanes-trace/1` file (see `render::jsonl` for the writer and
//! the README for the format) back into a [`Trace`]. The file may come from
//! `lanes run --format jsonl` or from anyone's own program, so every line
//! is checked, and the first wrong one is named with what is wrong: the
//! header, each event's keys, lanes that exist, time that never goes back,
//! and the `end` last. Keys the format does not know are ignored, so that
//! a writer may add its own.

use std::fmt;

use serde::Deserialize;

use super::{EndReason, Event, EventKind, Header, KnobValue, LaneId, Level, Trace};
use crate::render::jsonl::FORMAT;

/// The first thing wrong with a trace file, and on which line (from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ReadError {}

#[derive(Deserialize)]
struct HeaderLine {
    format: Option<String>,
    lesson: Option<String>,
    #[serde(default)]
    knobs: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct EventLine {
    t_us: Option<u64>,
    lane: Option<LaneId>,
    event: Option<String>,
    name: Option<String>,
    parent: Option<LaneId>,
    on: Option<String>,
    line: Option<u32>,
    level: Option<String>,
    detail: Option<String>,
    reason: Option<String>,
    by: Option<String>,
    lock: Option<String>,
}

/// Reads a whole trace file.
pub fn read(text: &str) -> Result<Trace, ReadError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(_, line)| !line.trim().is_empty());
    let Some((number, first)) = lines.next() else {
        return Err(error(
            1,
            "the file is empty: a trace starts with its header line",
        ));
    };
    let mut reader = Reader {
        trace: Trace::new(header(number, first)?),
        last_t_us: 0,
        ended: None,
    };
    for (number, line) in lines {
        if let Some(end_line) = reader.ended {
            return Err(error(
                number,
                format!("nothing may follow the end (line {end_line})"),
            ));
        }
        reader.event(number, line)?;
    }
    if reader.ended.is_none() {
        let last = text.lines().count().max(1);
        return Err(error(
            last,
            "the trace has no end: its last line must be an `end` event",
        ));
    }
    Ok(reader.trace)
}

fn error(line: usize, message: impl Into<String>) -> ReadError {
    ReadError {
        line,
        message: message.into(),
    }
}

fn header(number: usize, line: &str) -> Result<Header, ReadError> {
    let header: HeaderLine =
        serde_json::from_str(line).map_err(|e| error(number, format!("not a header line: {e}")))?;
    match header.format.as_deref() {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(error(number, format!("format '{other}' is not {FORMAT}")));
        }
        None => {
            return Err(error(
                number,
                format!("the header has no \"format\": \"{FORMAT}\""),
            ));
        }
    }
    let lesson = header
        .lesson
        .ok_or_else(|| error(number, "the header has no \"lesson\""))?;
    let knobs = header
        .knobs
        .into_iter()
        .map(|(name, value)| {
            let value = match value {
                serde_json::Value::Bool(b) => KnobValue::Bool(b),
                serde_json::Value::Number(ref n) if n.is_u64() => {
                    KnobValue::Int(n.as_u64().unwrap_or_default())
                }
                serde_json::Value::String(s) => KnobValue::Text(s),
                other => {
                    return Err(error(
                        number,
                        format!("knob '{name}' is {other}: a knob is a whole number, a boolean or a name"),
                    ));
                }
            };
            Ok((name, value))
        })
        .collect::<Result<_, _>>()?;
    Ok(Header { lesson, knobs })
}

struct Reader {
    trace: Trace,
    last_t_us: u64,
    /// The line of the `end` event, once read.
    ended: Option<usize>,
}

impl Reader {
    fn event(&mut self, number: usize, text: &str) -> Result<(), ReadError> {
        let fail = |message: String| error(number, message);
        let line: EventLine =
            serde_json::from_str(text).map_err(|e| fail(format!("not a JSON event: {e}")))?;
        let t_us = line.t_us.ok_or_else(|| fail("no \"t_us\"".into()))?;
        if t_us < self.last_t_us {
            return Err(fail(format!(
                "time goes back: t_us {t_us} after {}",
                self.last_t_us
            )));
        }
        self.last_t_us = t_us;
        let event = line
            .event
            .as_deref()
            .ok_or_else(|| fail("no \"event\"".into()))?;
        let lanes = self.trace.lanes().len() as LaneId;
        // Every event but `spawned`, `log` and `end` is about a lane there is.
        let known_lane = || match line.lane {
            Some(lane) if (1..=lanes).contains(&lane) => Ok(lane),
            Some(lane) => Err(fail(format!("lane {lane} was never spawned"))),
            None => Err(fail(format!("a \"{event}\" event needs a \"lane\""))),
        };
        let text_of = |key: &str, value: &Option<String>| {
            value
                .clone()
                .ok_or_else(|| fail(format!("a \"{event}\" event needs \"{key}\"")))
        };
        let (lane, kind) = match event {
            "spawned" => {
                let lane = line
                    .lane
                    .ok_or_else(|| fail("a \"spawned\" event needs a \"lane\"".into()))?;
                if lane != lanes + 1 {
                    return Err(fail(format!(
                        "lane {lane} is spawned out of turn: lanes are numbered 1, 2, 3… as they are spawned, and the next is {}",
                        lanes + 1
                    )));
                }
                if let Some(parent) = line.parent
                    && !(1..=lanes).contains(&parent)
                {
                    return Err(fail(format!("parent lane {parent} was never spawned")));
                }
                let name = text_of("name", &line.name)?;
                let name = self.trace.intern(&name);
                (
                    Some(lane),
                    EventKind::Spawned {
                        name,
                        parent: line.parent,
                    },
                )
            }
            "running" => (Some(known_lane()?), EventKind::Running),
            "awaiting" => {
                let lane = known_lane()?;
                let on = text_of("on", &line.on)?;
                let on = self.trace.intern(&on);
                self.trace.push_event(Event {
                    t_us,
                    lane: Some(lane),
                    kind: EventKind::Awaiting {
                        on,
                        line: line.line,
                    },
                });
                match &line.lock {
                    Some(lock) => {
                        let lock = self.trace.intern(lock);
                        (Some(lane), EventKind::WaitsForLock { lock })
                    }
                    None => return Ok(()),
                }
            }
            "done" => (Some(known_lane()?), EventKind::Done),
            "cancelled" => {
                let by_you = match line.by.as_deref() {
                    None => false,
                    Some("you") => true,
                    Some(other) => {
                        return Err(fail(format!("\"by\" is '{other}': it can only be \"you\"")));
                    }
                };
                (Some(known_lane()?), EventKind::Cancelled { by_you })
            }
            "failed" => {
                let lane = known_lane()?;
                let detail = text_of("detail", &line.detail)?;
                (
                    Some(lane),
                    EventKind::Failed {
                        detail: self.trace.intern(&detail),
                    },
                )
            }
            "log" => {
                let lane = match line.lane {
                    Some(_) => Some(known_lane()?),
                    None => None,
                };
                let level = match line.level.as_deref() {
                    Some(name) => Level::parse(name).ok_or_else(|| {
                        fail(format!(
                            "level '{name}' is not one of error, warn, info, debug, trace"
                        ))
                    })?,
                    None => return Err(fail("a \"log\" event needs a \"level\"".into())),
                };
                let detail = text_of("detail", &line.detail)?;
                (
                    lane,
                    EventKind::Log {
                        level,
                        detail: self.trace.intern(&detail),
                    },
                )
            }
            "acquired" | "released" => {
                let lane = known_lane()?;
                let lock = text_of("lock", &line.lock)?;
                let lock = self.trace.intern(&lock);
                let kind = if event == "acquired" {
                    EventKind::Acquired { lock }
                } else {
                    EventKind::Released { lock }
                };
                (Some(lane), kind)
            }
            "end" => {
                let reason = match line.reason.as_deref() {
                    Some(name) => EndReason::parse(name).ok_or_else(|| {
                        fail(format!(
                            "reason '{name}' is not one of finished, stalled, hung, stopped, \
                             time limit, trace limit"
                        ))
                    })?,
                    None => return Err(fail("an \"end\" event needs a \"reason\"".into())),
                };
                self.ended = Some(number);
                (None, EventKind::End { reason })
            }
            other => {
                return Err(fail(format!(
                    "unknown event '{other}'; events: spawned, running, awaiting, done, cancelled, failed, log, acquired, released, end"
                )));
            }
        };
        self.trace.push_event(Event { t_us, lane, kind });
        Ok(())
    }
}
