//! The driver: a task inside the lesson's runtime that decides how far
//! virtual time may go.
//!
//! The clock is tokio's paused clock. While the driver waits for a grant
//! inside `spawn_blocking`, tokio does not auto-advance, so the clock holds
//! still however long the interface stays paused. Given a grant, the driver
//! sleeps until the granted instant; auto-advance then fires every lesson
//! timer in order up to it, and no further. Unpaced (headless) runs simply
//! let auto-advance run to the end.

use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::recorder;
use super::signals::{Command, Signals};
use crate::trace::EndReason;

/// How virtual time is handed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pacing {
    /// As fast as possible, for headless runs and tests.
    Unpaced,
    /// Only as far as the interface grants.
    Paced,
}

/// A headless run that has not finished after this much virtual time is stopped.
pub const HEADLESS_TIME_LIMIT: Duration = Duration::from_secs(3600);

/// "Step" looks this far ahead for the next event before giving up.
const STEP_HORIZON: Duration = Duration::from_secs(24 * 3600);

pub(crate) struct Driver {
    pub pacing: Pacing,
    /// A command already received, to act on before waiting for more.
    pub first: Option<Command>,
    pub start: Instant,
    pub signals: Arc<Signals>,
    pub commands: Arc<Mutex<Receiver<Command>>>,
    /// Commands received from the interface so far (not the engine's own
    /// `Wake`s).
    pub received: u64,
}

impl Driver {
    pub async fn run(mut self) -> EndReason {
        // Virtual time the interface has allowed so far.
        let mut granted = Duration::ZERO;
        loop {
            if let Some(reason) = self.signals.finished() {
                return reason;
            }
            self.pay_debt().await;
            match self.pacing {
                Pacing::Unpaced => {
                    let limit = self.start + HEADLESS_TIME_LIMIT;
                    if Instant::now() >= limit {
                        return EndReason::TimeLimit;
                    }
                    self.sleep_until(limit).await;
                }
                Pacing::Paced => {
                    let target = self.start + granted;
                    if Instant::now() < target {
                        self.sleep_until(target).await;
                        continue;
                    }
                    match self.next_command().await {
                        // Absolute, so that the lesson never gets ahead of
                        // the interface's clock (tokio rounds each sleep up
                        // to a whole millisecond; relative grants would
                        // add those roundings up).
                        Command::RunUntil(t) => granted = granted.max(t),
                        Command::Step => {
                            self.step().await;
                            granted = Instant::now() - self.start;
                        }
                        Command::Cancel(lane) => self.cancel(lane),
                        Command::Stop => return EndReason::Stopped,
                        Command::Wake => {}
                    }
                }
            }
        }
    }

    /// Sleeps until `deadline` unless something needs the driver sooner.
    async fn sleep_until(&self, deadline: Instant) {
        let sleep = super::instrument::own_timer(|| tokio::time::sleep_until(deadline));
        tokio::select! {
            biased;
            _ = self.signals.driver_woken() => {}
            _ = sleep => {}
        }
    }

    /// Lets time run until the lesson records its next event.
    async fn step(&self) {
        self.signals.arm_step(true);
        let horizon = Instant::now() + STEP_HORIZON;
        self.sleep_until(horizon).await;
        self.signals.arm_step(false);
    }

    /// Polls that blocked the thread cost virtual time: move the clock by
    /// that much, so every other lane is seen frozen meanwhile.
    async fn pay_debt(&self) {
        let debt = recorder::with(|r| r.take_debt()).unwrap_or(0);
        if debt > 0 {
            tokio::time::advance(Duration::from_micros(debt)).await;
            recorder::with(|r| r.invalidate_time());
        }
    }

    fn cancel(&self, lane: crate::trace::LaneId) {
        // The interface checked first (`Run::can_cancel`); a lane that has
        // ended since, or a lesson that changed its mind, is simply skipped.
        recorder::with(|r| r.cancel_by_you(lane));
    }

    /// Waits for the interface's next command with the clock held still.
    async fn next_command(&mut self) -> Command {
        if let Some(first) = self.first.take() {
            self.received += 1;
            return first;
        }
        recorder::with(|r| r.flush());
        // Everything asked so far is done: once the lanes it woke have run
        // too, the runtime parks and says the run is settled.
        self.signals.waiting_after(self.received);
        let commands = self.commands.clone();
        let wait = tokio::task::spawn_blocking(move || {
            let commands = commands.lock().unwrap_or_else(|p| p.into_inner());
            commands.recv().unwrap_or(Command::Stop)
        });
        let command = wait.await.unwrap_or(Command::Stop);
        if !matches!(command, Command::Wake) {
            self.received += 1;
        }
        command
    }
}
