//! Playing a recorded trace back in place of a lesson (`lanes view`). It
//! answers the interface's commands as the lesson thread does, handing out
//! the recorded events as virtual time is granted, so that playing,
//! pausing, stepping and rewinding work as for a live run. Nothing runs:
//! there is no lane to cancel.

use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

use super::driver::Pacing;
use super::signals::{Command, Signals};
use crate::trace::{Batch, Trace};

/// Serves `recorded` until it has all been sent or the run is stopped.
pub(crate) fn serve(
    recorded: &Trace,
    pacing: Pacing,
    batches: Sender<Batch>,
    commands: Receiver<Command>,
    signals: &Signals,
) {
    let events = recorded.events();
    // Texts first and all at once: the events then name them by the same
    // ids as in the recorded trace.
    let first = Batch {
        texts: recorded.texts().to_vec(),
        events: Vec::new(),
    };
    if batches.send(first).is_err() {
        return;
    }
    let mut sent = 0;
    let send_until = |t_us: u64, sent: &mut usize| {
        let until = *sent + events[*sent..].partition_point(|e| e.t_us <= t_us);
        if until > *sent {
            let batch = Batch {
                texts: Vec::new(),
                events: events[*sent..until].to_vec(),
            };
            *sent = until;
            batches.send(batch).is_ok()
        } else {
            true
        }
    };
    if pacing == Pacing::Unpaced {
        send_until(u64::MAX, &mut sent);
        return;
    }
    // What a live run shows before any grant: the lanes of time zero.
    if !send_until(0, &mut sent) {
        return;
    }
    let mut received = 0;
    while sent < events.len() {
        signals.settled(received);
        let Ok(command) = commands.recv() else { return };
        if !matches!(command, Command::Wake) {
            received += 1;
        }
        let t_us = match command {
            Command::RunUntil(t) => duration_us(t),
            Command::Step => events[sent].t_us,
            Command::Stop => return,
            Command::Cancel(_) | Command::Wake => continue,
        };
        if !send_until(t_us, &mut sent) {
            return;
        }
    }
}

fn duration_us(t: Duration) -> u64 {
    u64::try_from(t.as_micros()).unwrap_or(u64::MAX)
}
