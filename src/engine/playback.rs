//! Playback: what the interface holds to play, pause, change speed, step,
//! rewind, restart and cancel. One [`Mode`] says where it is; every change
//! of mode happens in a method here, called from the interface's `update`.
//! It turns real frame time into virtual-time grants for the run.

use std::time::Duration;

use super::driver::Pacing;
use super::run::{Run, RunSpec};
use crate::trace::{LaneId, Trace};

pub const MIN_SPEED: f64 = 0.1;
pub const MAX_SPEED: f64 = 10.0;
const SPEEDS: [f64; 9] = [0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0];

/// Where the playback is. The view time follows from it (see
/// [`Playback::view_time`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// Nothing has run yet: the moment to ask the question.
    AtStart,
    Playing,
    Paused,
    /// Paused, waiting for the lesson's next event to arrive.
    Stepping,
    /// Looking at the recorded past at `at`; when `replaying`, the view
    /// moves forward at the playback speed and rejoins the live run at its
    /// end.
    Rewound {
        at: Duration,
        replaying: bool,
    },
    /// The run is over and the view is at its end.
    Finished,
}

pub struct Playback {
    spec: RunSpec,
    run: Run,
    mode: Mode,
    speed: f64,
    /// Virtual time let through so far: how far the live run may go.
    live: Duration,
}

impl Playback {
    /// Starts the run at time zero, at once playing or at the start.
    pub fn new(spec: RunSpec, playing: bool) -> Self {
        let run = Run::start(spec.clone(), Pacing::Paced);
        Playback {
            spec,
            run,
            mode: if playing {
                Mode::Playing
            } else {
                Mode::AtStart
            },
            speed: 1.0,
            live: Duration::ZERO,
        }
    }

    pub fn trace(&self) -> &Trace {
        self.run.trace()
    }

    pub fn run(&self) -> &Run {
        &self.run
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// How far the live run has been let go (its end, once over).
    pub fn live(&self) -> Duration {
        self.live
    }

    /// The moment the lanes are drawn at.
    pub fn view_time(&self) -> Duration {
        match self.mode {
            Mode::Rewound { at, .. } => at,
            _ => self.live,
        }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Live time is moving.
    pub fn is_playing(&self) -> bool {
        self.mode == Mode::Playing
    }

    /// The run has ended (whatever the view shows).
    pub fn is_finished(&self) -> bool {
        self.run.is_over()
    }

    /// Call once a frame with the real time since the last call. Returns
    /// whether anything the screen shows may have changed.
    pub fn tick(&mut self, real: Duration) -> bool {
        let before = (self.mode, self.live);
        let elapsed = real.mul_f64(self.speed);
        match self.mode {
            Mode::Playing if !self.run.is_over() => {
                self.live += elapsed;
                self.run.run_until(self.live);
            }
            Mode::Rewound {
                at,
                replaying: true,
            } => {
                let at = at + elapsed;
                self.mode = if at >= self.live {
                    self.rejoin(true)
                } else {
                    Mode::Rewound {
                        at,
                        replaying: true,
                    }
                };
            }
            _ => {}
        }
        let grew = self.absorb();
        grew || before != (self.mode, self.live)
    }

    /// Takes in what the run has sent, and follows it: a step ends with
    /// the event it waited for, a run that ended is shown at its end.
    fn absorb(&mut self) -> bool {
        // A step is over once the run has carried it out and sent what it
        // recorded meanwhile (asked first, so that all of it is read now).
        // Any batch will not do: one sent before the step (the last of a
        // grant, when the lesson thread runs late) holds no later event.
        let step_done = self.mode == Mode::Stepping && self.run.settled();
        let grew = self.run.pump();
        if step_done {
            let last = Duration::from_micros(self.run.trace().last_t_us());
            self.live = self.live.max(last);
            self.mode = Mode::Paused;
        }
        if let Some((end, _)) = self.run.trace().end() {
            // A finished run is shown at its end, whatever the clock says.
            self.live = Duration::from_micros(end);
            if matches!(self.mode, Mode::Playing | Mode::Paused | Mode::Stepping) {
                self.mode = Mode::Finished;
            }
        }
        grew
    }

    /// Waits (at most `limit` of real time) until the run has carried out
    /// everything asked of it, and takes in what it recorded: the state
    /// then depends on virtual time alone, not on how fast threads ran.
    /// Returns whether it settled in time.
    pub fn settle(&mut self, limit: Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let settled = self.run.settled();
            self.absorb();
            if settled || self.run.is_over() {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// The live mode to return to from the past: playing on, or paused.
    fn rejoin(&self, playing: bool) -> Mode {
        if self.run.is_over() {
            Mode::Finished
        } else if playing {
            Mode::Playing
        } else {
            Mode::Paused
        }
    }

    /// Space: play or pause whatever is shown; from the end, watch the
    /// recorded run again from the start.
    pub fn toggle(&mut self) {
        self.mode = match self.mode {
            Mode::AtStart | Mode::Paused | Mode::Stepping => self.rejoin(true),
            Mode::Playing => Mode::Paused,
            Mode::Rewound { at, replaying } => Mode::Rewound {
                at,
                replaying: !replaying,
            },
            Mode::Finished => Mode::Rewound {
                at: Duration::ZERO,
                replaying: true,
            },
        };
    }

    /// Sets the speed, held within 0.1×–10×.
    pub fn set_speed(&mut self, speed: f64) {
        if speed.is_finite() {
            self.speed = speed.clamp(MIN_SPEED, MAX_SPEED);
        }
    }

    pub fn faster(&mut self) {
        let next = SPEEDS.iter().copied().find(|&s| s > self.speed + 1e-9);
        self.set_speed(next.unwrap_or(MAX_SPEED));
    }

    pub fn slower(&mut self) {
        let next = SPEEDS
            .iter()
            .rev()
            .copied()
            .find(|&s| s < self.speed - 1e-9);
        self.set_speed(next.unwrap_or(MIN_SPEED));
    }

    /// One event forward: the lesson's next event live, or the next
    /// recorded event when looking at the past.
    pub fn step(&mut self) {
        match self.mode {
            Mode::AtStart | Mode::Playing | Mode::Paused | Mode::Stepping => {
                if !self.run.is_over() {
                    self.mode = Mode::Stepping;
                    self.run.step();
                }
            }
            Mode::Rewound { at, .. } => {
                let at_us = at.as_micros() as u64;
                let events = self.run.trace().events();
                let next = events.partition_point(|e| e.t_us <= at_us);
                self.mode = match events.get(next) {
                    Some(e) if Duration::from_micros(e.t_us) < self.live => Mode::Rewound {
                        at: Duration::from_micros(e.t_us),
                        replaying: false,
                    },
                    _ => self.rejoin(false),
                };
            }
            Mode::Finished => {}
        }
    }

    /// Looks `by` further into the past (not before zero).
    pub fn rewind_by(&mut self, by: Duration) {
        if self.mode == Mode::AtStart {
            return;
        }
        self.mode = Mode::Rewound {
            at: self.view_time().saturating_sub(by),
            replaying: false,
        };
    }

    /// Moves a rewound view `by` later; reaching the live time rejoins it.
    pub fn forward_by(&mut self, by: Duration) {
        if let Mode::Rewound { at, replaying } = self.mode {
            let at = at + by;
            self.mode = if at >= self.live {
                self.rejoin(false)
            } else {
                Mode::Rewound { at, replaying }
            };
        }
    }

    /// Looks at time zero of what has run.
    pub fn rewind_to_start(&mut self) {
        if self.mode != Mode::AtStart {
            self.mode = Mode::Rewound {
                at: Duration::ZERO,
                replaying: false,
            };
        }
    }

    /// Back from the past to the live run, paused.
    pub fn back_to_live(&mut self) {
        if matches!(self.mode, Mode::Rewound { .. }) {
            self.mode = self.rejoin(false);
        }
    }

    /// Starts the lesson again from time zero with the same knobs.
    pub fn restart(&mut self) {
        self.restart_with(self.spec.clone());
    }

    /// Starts again with other knobs (or another lesson), at the start.
    pub fn restart_with(&mut self, spec: RunSpec) {
        self.run.stop();
        self.spec = spec;
        self.run = Run::start(self.spec.clone(), Pacing::Paced);
        self.live = Duration::ZERO;
        self.mode = Mode::AtStart;
    }

    /// Cancels `lane` live the way the lesson allows (see `Run::can_cancel`).
    pub fn cancel(&self, lane: LaneId) -> Result<super::CancelBy, super::Refusal> {
        let how = self.run.can_cancel(lane)?;
        self.run.cancel(lane);
        Ok(how)
    }
}
