//! Playback: what the interface holds to play, pause, change speed, step,
//! restart and cancel. It turns real frame time into virtual-time grants.

use std::time::Duration;

use super::driver::Pacing;
use super::run::{Run, RunSpec};
use crate::trace::{LaneId, Trace};

pub const MIN_SPEED: f64 = 0.1;
pub const MAX_SPEED: f64 = 10.0;
const SPEEDS: [f64; 9] = [0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0];

pub struct Playback {
    spec: RunSpec,
    run: Run,
    playing: bool,
    speed: f64,
    /// Virtual time let through so far: what the interface shows as "now".
    clock: Duration,
    stepping: bool,
}

impl Playback {
    pub fn new(spec: RunSpec, playing: bool) -> Self {
        let run = Run::start(spec.clone(), Pacing::Paced);
        Playback {
            spec,
            run,
            playing,
            speed: 1.0,
            clock: Duration::ZERO,
            stepping: false,
        }
    }

    pub fn trace(&self) -> &Trace {
        self.run.trace()
    }

    pub fn run(&self) -> &Run {
        &self.run
    }

    /// Virtual time shown now.
    pub fn clock(&self) -> Duration {
        self.clock
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn is_playing(&self) -> bool {
        self.playing && !self.run.is_over()
    }

    pub fn is_finished(&self) -> bool {
        self.run.is_over()
    }

    /// Call once a frame with the real time since the last call.
    /// Returns whether the trace grew.
    pub fn tick(&mut self, real: Duration) -> bool {
        if self.is_playing() {
            self.clock += real.mul_f64(self.speed);
            self.run.run_until(self.clock);
        }
        let grew = self.run.pump();
        if grew && self.stepping {
            self.stepping = false;
            let last = Duration::from_micros(self.run.trace().last_t_us());
            self.clock = self.clock.max(last);
        }
        // A finished run is shown at its end, whatever the clock says.
        if let Some((end, _)) = self.run.trace().end() {
            self.clock = Duration::from_micros(end);
        }
        grew
    }

    pub fn play(&mut self) {
        self.playing = true;
    }

    pub fn pause(&mut self) {
        self.playing = false;
    }

    pub fn toggle(&mut self) {
        self.playing = !self.playing;
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

    /// Pauses and lets the lesson run to its next event.
    pub fn step(&mut self) {
        self.playing = false;
        self.stepping = true;
        self.run.step();
    }

    /// Starts the lesson again from time zero with the same knobs.
    pub fn restart(&mut self) {
        self.restart_with(self.spec.clone());
    }

    /// Starts again with other knobs (or another lesson).
    pub fn restart_with(&mut self, spec: RunSpec) {
        self.run.stop();
        self.spec = spec;
        self.run = Run::start(self.spec.clone(), Pacing::Paced);
        self.clock = Duration::ZERO;
        self.stepping = false;
    }

    pub fn cancel(&self, lane: LaneId) {
        self.run.cancel(lane);
    }
}
