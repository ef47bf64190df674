//! The lesson screen's state and how actions change it. Pure apart from the
//! `Playback` it drives; nothing here draws.

use std::collections::HashSet;
use std::time::Duration;

use crate::catalog::{DefaultValue, Lesson};
use crate::engine::{CancelBy, Knobs, Mode, Playback, Refusal};
use crate::trace::{KnobValue, LaneId, Trace};

use super::action::Action;

/// The text pane's tabs, in `Tab` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Story,
    Code,
    Twin,
    Log,
}

impl Pane {
    pub fn next(self) -> Pane {
        match self {
            Pane::Story => Pane::Code,
            Pane::Code => Pane::Twin,
            Pane::Twin => Pane::Log,
            Pane::Log => Pane::Story,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Story => "story",
            Pane::Code => "Rust",
            Pane::Twin => "asyncio twin",
            Pane::Log => "log",
        }
    }
}

/// A parent with more children than this starts folded, so that 10,000
/// lanes open as one summarised row.
pub const AUTO_FOLD_CHILDREN: usize = 50;

pub struct LessonState {
    pub lesson: &'static Lesson,
    pub knobs: Knobs,
    /// The one owner of the playback mode (at start, playing, paused,
    /// stepping, rewound, finished).
    pub playback: Playback,
    pub selected: Option<LaneId>,
    /// First lane row shown.
    pub lanes_scroll: usize,
    /// Lane rows that fit, as the last frame drew them (for paging).
    pub lanes_page: usize,
    pub folded: HashSet<LaneId>,
    /// Parents the learner unfolded by hand (auto-folding leaves them be).
    pub unfolded: HashSet<LaneId>,
    pub pane: Pane,
    /// The text pane's first row, once the learner scrolls it (`None`:
    /// the top, or in the code, the line lanes are parked on).
    pub text_scroll: Option<u16>,
    /// The text pane's first row and last possible first row, as drawn.
    pub text_rows: (u16, u16),
    /// The learner's answer to the predict question (1-based), given
    /// before this run started.
    pub answer: Option<u8>,
    pub knob_editor: Option<KnobEditor>,
    /// A one-line message for the status line (e.g. "cannot cancel").
    pub notice: Option<String>,
    /// The live log pane's feed (tui-logger).
    pub log: super::log_feed::LogFeed,
    /// A recorded trace played back instead of running the lesson
    /// (`lanes view`): nothing to predict, no knobs to change.
    pub replay: Option<Replay>,
}

/// A trace read from a file, with where it came from.
pub struct Replay {
    pub trace: std::sync::Arc<Trace>,
    pub file: String,
}

/// The knobs popup: a copy of the values being edited.
pub struct KnobEditor {
    pub values: Vec<(String, KnobValue)>,
    pub selected: usize,
    /// Digits typed for the selected knob, not yet taken.
    pub typed: Option<String>,
    /// Why the last typed value was refused.
    pub error: Option<String>,
}

impl LessonState {
    pub fn new(lesson: &'static Lesson, knobs: Knobs, playing: bool) -> Self {
        Self::with(lesson, knobs, playing, None)
    }

    /// `trace`, which ran `lesson` with `knobs`, played back (paused at
    /// its start).
    pub fn viewing(lesson: &'static Lesson, knobs: Knobs, replay: Replay) -> Self {
        Self::with(lesson, knobs, false, Some(replay))
    }

    fn with(lesson: &'static Lesson, knobs: Knobs, playing: bool, replay: Option<Replay>) -> Self {
        let playback = Playback::new(run_spec(lesson, &knobs, replay.as_ref()), playing);
        LessonState {
            lesson,
            knobs,
            playback,
            selected: None,
            lanes_scroll: 0,
            lanes_page: 10,
            folded: HashSet::new(),
            unfolded: HashSet::new(),
            pane: Pane::Story,
            text_scroll: None,
            text_rows: (0, 0),
            answer: None,
            knob_editor: None,
            notice: None,
            log: super::log_feed::LogFeed::new(),
            replay,
        }
    }

    pub fn trace(&self) -> &Trace {
        self.playback.trace()
    }

    pub fn mode(&self) -> Mode {
        self.playback.mode()
    }

    /// The moment the lanes are drawn at.
    pub fn view_time(&self) -> Duration {
        self.playback.view_time()
    }

    pub fn view_us(&self) -> u64 {
        self.view_time().as_micros() as u64
    }

    /// Looking at the past rather than the live run.
    pub fn is_rewound(&self) -> bool {
        matches!(self.mode(), Mode::Rewound { .. })
    }

    /// The lesson ran to its end and the view is at its end.
    pub fn is_finished(&self) -> bool {
        self.mode() == Mode::Finished
    }

    /// True before anything has run: the moment to ask the question.
    pub fn at_start(&self) -> bool {
        self.mode() == Mode::AtStart
    }

    /// Whether the knobs are the lesson's own (the ones its texts describe).
    pub fn default_knobs(&self) -> bool {
        self.knobs == self.lesson.default_knobs()
    }

    /// The knobs that differ from the lesson's defaults, as `name=value`.
    pub fn changed_knobs(&self) -> Vec<String> {
        let defaults = self.lesson.default_knobs();
        self.knobs
            .values()
            .iter()
            .zip(defaults.values())
            .filter(|((_, v), (_, d))| v != d)
            .map(|((name, v), _)| format!("{name}={v}"))
            .collect()
    }

    /// One frame: let the playback run, fold new lanes as needed, and log
    /// what the live view has reached. Returns whether anything shown may
    /// have changed.
    pub fn tick(&mut self, real: Duration) -> bool {
        let changed = self.playback.tick(real);
        if changed {
            self.auto_fold();
        }
        if !self.is_rewound() {
            let now = self.view_us();
            self.log.feed(self.playback.trace(), now);
        }
        changed
    }

    fn auto_fold(&mut self) {
        let trace = self.playback.trace();
        let mut counts = vec![0usize; trace.lanes().len() + 1];
        for info in trace.lanes() {
            if let Some(parent) = info.parent {
                counts[parent as usize] += 1;
            }
        }
        for (lane, &count) in counts.iter().enumerate() {
            let lane = lane as LaneId;
            if count > AUTO_FOLD_CHILDREN && !self.unfolded.contains(&lane) {
                self.folded.insert(lane);
            }
        }
    }

    /// Lanes as rows at the view time: each parent followed by its
    /// children unless folded; lanes not yet spawned are left out.
    pub fn rows(&self) -> Vec<Row> {
        lane_rows(self.trace(), &self.folded, self.view_us())
    }

    /// Scrub step: a fiftieth of the time drawn, at least 10 ms.
    fn scrub_step(&self) -> Duration {
        let span = super::view::lanes::axis_span(self.playback.live());
        (span / 50).max(Duration::from_millis(10))
    }

    pub fn apply(&mut self, action: Action) {
        if self.knob_editor.is_some() {
            self.apply_knobs(action);
            return;
        }
        self.notice = None;
        match action {
            Action::TogglePlay => self.playback.toggle(),
            Action::Step => self.playback.step(),
            Action::Faster => self.playback.faster(),
            Action::Slower => self.playback.slower(),
            Action::Restart => self.restart(None),
            Action::Rewind => {
                let step = self.scrub_step();
                self.playback.rewind_by(step);
            }
            Action::Forward => {
                let step = self.scrub_step();
                self.playback.forward_by(step);
            }
            Action::RewindToStart => self.playback.rewind_to_start(),
            Action::Live => self.playback.back_to_live(),
            Action::Up => self.move_selection(-1),
            Action::Down => self.move_selection(1),
            Action::PageUp => self.move_selection(-(self.lanes_page as isize)),
            Action::PageDown => self.move_selection(self.lanes_page as isize),
            Action::Top => self.select_row(0),
            Action::Bottom => self.move_selection(isize::MAX / 2),
            Action::ToggleFold => self.toggle_fold(),
            Action::CancelLane if self.replay.is_some() => {
                self.notice = Some("a recorded trace: nothing runs, so nothing to cancel".into())
            }
            Action::CancelLane => self.cancel_selected(),
            Action::SwitchPane => {
                self.pane = self.pane.next();
                self.text_scroll = None;
            }
            // The log counts back from its newest line.
            Action::TextUp if self.pane == Pane::Log => {
                self.text_scroll = Some(self.text_scroll.unwrap_or(0).saturating_add(3))
            }
            Action::TextDown if self.pane == Pane::Log => {
                self.text_scroll = Some(self.text_scroll.unwrap_or(0).saturating_sub(3))
            }
            // From the row shown, within the text's range.
            Action::TextUp => self.text_scroll = Some(self.text_rows.0.saturating_sub(3)),
            Action::TextDown => {
                self.text_scroll = Some((self.text_rows.0 + 3).min(self.text_rows.1))
            }
            Action::OpenKnobs | Action::Answer(_) if self.replay.is_some() => {
                self.notice = Some("a recorded trace: nothing to answer, knobs as recorded".into())
            }
            Action::OpenKnobs => self.open_knobs(),
            Action::Answer(n) => self.answer_predict(n),
            _ => {}
        }
        self.keep_selection_visible();
    }

    /// An answer counts only if given before the run starts; a restart
    /// starts a fresh attempt.
    fn answer_predict(&mut self, n: u8) {
        let choices = self.lesson.predict.choices.len();
        if !(1..=choices).contains(&(n as usize)) {
            self.notice = Some(format!("the choices are 1 to {choices}"));
        } else if !self.at_start() {
            self.notice = Some("answers count only before the run starts; r restarts".into());
        } else {
            self.answer = Some(n);
        }
    }

    /// Whether the learner's answer was right, when the run counts it.
    pub fn answered_right(&self) -> Option<bool> {
        self.verdict().and_then(|v| v.scored.ok())
    }

    /// The verdict, once the run has ended (a recorded trace has none).
    pub fn verdict(&self) -> Option<crate::predict::Verdict> {
        if self.replay.is_some() {
            return None;
        }
        self.playback.is_finished().then(|| {
            self.lesson.verdict(
                &self.knobs,
                self.trace(),
                self.answer.map(|a| a as usize - 1),
            )
        })
    }

    /// A fresh attempt: the run from time zero, the question open again.
    pub fn restart(&mut self, knobs: Option<Knobs>) {
        if let Some(knobs) = knobs {
            self.knobs = knobs;
        }
        self.playback
            .restart_with(run_spec(self.lesson, &self.knobs, self.replay.as_ref()));
        self.log = super::log_feed::LogFeed::new();
        self.answer = None;
        self.selected = None;
        self.lanes_scroll = 0;
        self.folded.clear();
        self.unfolded.clear();
    }

    /// Selects `lane` (a recording's `select "name"`), unfolding its
    /// parents so that its row is shown.
    pub fn select_lane(&mut self, lane: LaneId) {
        let mut parent = self.trace().parent(lane);
        while let Some(p) = parent {
            self.folded.remove(&p);
            self.unfolded.insert(p);
            parent = self.trace().parent(p);
        }
        self.selected = Some(lane);
        self.keep_selection_visible();
    }

    fn move_selection(&mut self, delta: isize) {
        let rows = self.rows();
        if rows.is_empty() {
            return;
        }
        let current = self
            .selected
            .and_then(|lane| rows.iter().position(|r| r.lane == lane))
            .map_or(if delta > 0 { -1 } else { 0 }, |i| i as isize);
        let index = current
            .saturating_add(delta)
            .clamp(0, rows.len() as isize - 1) as usize;
        self.select_row(index);
    }

    fn select_row(&mut self, index: usize) {
        let rows = self.rows();
        if let Some(row) = rows.get(index) {
            self.selected = Some(row.lane);
        }
    }

    /// Scrolls so that the selected lane's row is on screen.
    pub fn keep_selection_visible(&mut self) {
        let rows = self.rows();
        // A lane folded away hands the selection to the folded row that
        // holds it, so the selection stays a row on screen.
        if let Some(lane) = self.selected
            && !rows.iter().any(|r| r.lane == lane)
        {
            let mut up = self.trace().parent(lane);
            while let Some(parent) = up {
                if self.folded.contains(&parent) && rows.iter().any(|r| r.lane == parent) {
                    self.selected = Some(parent);
                    break;
                }
                up = self.trace().parent(parent);
            }
        }
        if let Some(index) = self
            .selected
            .and_then(|lane| rows.iter().position(|r| r.lane == lane))
        {
            self.lanes_scroll = scroll_to_keep(self.lanes_scroll, index, self.lanes_page);
        }
        let max = rows.len().saturating_sub(self.lanes_page.max(1));
        self.lanes_scroll = self.lanes_scroll.min(max);
    }

    pub fn scroll_lanes(&mut self, delta: isize) {
        let max = self.rows().len().saturating_sub(self.lanes_page.max(1));
        self.lanes_scroll = (self.lanes_scroll as isize + delta).clamp(0, max as isize) as usize;
    }

    fn toggle_fold(&mut self) {
        let Some(lane) = self.selected else { return };
        if !self.folded.remove(&lane) {
            self.folded.insert(lane);
            self.unfolded.remove(&lane);
        } else {
            self.unfolded.insert(lane);
        }
    }

    fn cancel_selected(&mut self) {
        let Some(lane) = self.selected else {
            self.notice = Some("select a lane first (↑/↓ or a click)".into());
            return;
        };
        if self.is_rewound() {
            self.notice = Some("cancel in the live run: End goes back to it".into());
            return;
        }
        if self.trace().lane_end(lane).is_some() {
            self.notice = Some("that lane has already ended".into());
            return;
        }
        let result = self.playback.cancel(lane);
        self.notice = Some(cancel_notice(self.trace(), lane, result));
    }

    // ----- knobs ------------------------------------------------------

    fn open_knobs(&mut self) {
        if self.lesson.knobs.is_empty() {
            self.notice = Some("this lesson has no knobs".into());
            return;
        }
        self.knob_editor = Some(KnobEditor {
            values: self.knobs.values().to_vec(),
            selected: 0,
            typed: None,
            error: None,
        });
    }

    fn apply_knobs(&mut self, action: Action) {
        let Some(editor) = self.knob_editor.as_mut() else {
            return;
        };
        let count = editor.values.len();
        let knob = &self.lesson.knobs[editor.selected];
        match action {
            Action::KnobChar(c) => {
                if matches!(knob.default, DefaultValue::Int(_)) && c.is_ascii_digit() {
                    editor.typed.get_or_insert_with(String::new).push(c);
                    editor.error = None;
                }
                return;
            }
            Action::KnobBackspace => {
                if let Some(typed) = editor.typed.as_mut() {
                    typed.pop();
                    if typed.is_empty() {
                        editor.typed = None;
                    }
                }
                return;
            }
            _ => {}
        }
        // Anything else first takes what was typed, or refuses it.
        if let Some(typed) = editor.typed.take() {
            match knob.parse(&typed) {
                Ok(value) => editor.values[editor.selected].1 = value,
                Err(e) => {
                    editor.error = Some(e.to_string());
                    if action != Action::Back {
                        return;
                    }
                }
            }
        }
        match action {
            Action::Up => editor.selected = (editor.selected + count - 1) % count,
            Action::Down => editor.selected = (editor.selected + 1) % count,
            Action::KnobLess | Action::KnobMore => {
                let more = action == Action::KnobMore;
                let value = &mut editor.values[editor.selected].1;
                *value = nudge(knob, value, more);
            }
            Action::KnobApply => {
                let knobs = Knobs::new(editor.values.clone());
                self.knob_editor = None;
                self.restart(Some(knobs));
            }
            Action::Back | Action::OpenKnobs => self.knob_editor = None,
            _ => {}
        }
        if let Some(editor) = self.knob_editor.as_mut() {
            editor.error = None;
        }
    }
}

/// The first row to show so that row `index` is among `page` rows shown,
/// moving `scroll` as little as possible.
/// What to run: the lesson, or the recorded trace played back.
fn run_spec(
    lesson: &'static Lesson,
    knobs: &Knobs,
    replay: Option<&Replay>,
) -> crate::engine::RunSpec {
    let spec = lesson.run_spec(knobs.clone());
    match replay {
        Some(replay) => spec.replaying(replay.trace.clone()),
        None => spec,
    }
}

pub fn scroll_to_keep(scroll: usize, index: usize, page: usize) -> usize {
    let page = page.max(1);
    if index < scroll {
        index
    } else if index >= scroll + page {
        index + 1 - page
    } else {
        scroll
    }
}

/// The next value of a knob, up or down: booleans flip, choices cycle,
/// numbers move by a step that suits their size (1, 2, 5, 10, 20, 50 …).
pub fn nudge(knob: &crate::catalog::Knob, value: &KnobValue, more: bool) -> KnobValue {
    match (value, &knob.default) {
        (KnobValue::Bool(b), _) => KnobValue::Bool(!b),
        (KnobValue::Text(t), DefaultValue::Text(_)) => {
            let choices = knob.choices.as_deref().unwrap_or_default();
            let at = choices.iter().position(|c| c == t).unwrap_or(0);
            let next = if more {
                at + 1
            } else {
                at + choices.len().saturating_sub(1)
            };
            KnobValue::Text(
                choices
                    .get(next % choices.len().max(1))
                    .cloned()
                    .unwrap_or_else(|| t.clone()),
            )
        }
        (KnobValue::Int(v), _) => {
            let (min, max) = (knob.min.unwrap_or(0), knob.max.unwrap_or(u64::MAX));
            let step = nice_step(*v, more);
            let next = if more {
                v.saturating_add(step)
            } else {
                v.saturating_sub(step)
            };
            KnobValue::Int(next.clamp(min, max))
        }
        (other, _) => other.clone(),
    }
}

/// A step about a tenth of the value, rounded to 1, 2 or 5 times a power of ten.
fn nice_step(value: u64, up: bool) -> u64 {
    let base = if up { value } else { value.saturating_sub(1) };
    let target = (base / 10).max(1);
    let mut step = 1;
    while step * 10 <= target {
        step *= 10;
    }
    if target >= step * 5 {
        step * 5
    } else if target >= step * 2 {
        step * 2
    } else {
        step
    }
}

/// One lane as drawn: its depth in the tree, and how many descendants are
/// hidden under it when folded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    pub lane: LaneId,
    pub depth: u16,
    pub children: usize,
    pub folded: bool,
}

/// Lanes spawned by `until_us`, in tree order, skipping the children of
/// folded lanes.
pub fn lane_rows(trace: &Trace, folded: &HashSet<LaneId>, until_us: u64) -> Vec<Row> {
    let count = trace.lanes().len();
    let mut children: Vec<Vec<LaneId>> = vec![Vec::new(); count + 1];
    let mut roots = Vec::new();
    for (lane, info) in (1..=count as LaneId).zip(trace.lanes()) {
        if info.spawned_us > until_us {
            continue;
        }
        match trace.parent(lane) {
            Some(parent) if (parent as usize) <= count => children[parent as usize].push(lane),
            _ => roots.push(lane),
        }
    }
    let mut rows = Vec::with_capacity(count);
    let mut stack: Vec<(LaneId, u16)> = roots.into_iter().rev().map(|l| (l, 0)).collect();
    while let Some((lane, depth)) = stack.pop() {
        let kids = &children[lane as usize];
        let is_folded = folded.contains(&lane) && !kids.is_empty();
        rows.push(Row {
            lane,
            depth,
            children: kids.len(),
            folded: is_folded,
        });
        if !is_folded {
            for &child in kids.iter().rev() {
                stack.push((child, depth + 1));
            }
        }
    }
    rows
}

/// What `x` says: what it did, or why it could not.
fn cancel_notice(
    trace: &crate::trace::Trace,
    lane: LaneId,
    result: Result<CancelBy, Refusal>,
) -> String {
    let name = trace.lane_name(lane);
    match result {
        Ok(CancelBy::Abort) => format!("you aborted '{name}': it stops at its next .await"),
        Ok(CancelBy::Token) => format!("you cancelled '{name}' through its token"),
        Err(Refusal::NotStarted) => format!("'{name}' has not run yet: cancel it once it starts"),
        Err(Refusal::InPlace) => {
            let owner = trace.parent(lane).map_or("?", |p| trace.lane_name(p));
            format!("'{name}' is a future inside '{owner}', not a task: only its owner can drop it")
        }
        Err(Refusal::KeptByLesson) => {
            format!("this lesson keeps the handle of task '{name}': only its spawner can abort it")
        }
        Err(Refusal::Lesson) => format!("'{name}' is the lesson itself: r restarts it"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_follow_the_value() {
        assert_eq!(nice_step(3, true), 1);
        assert_eq!(nice_step(20, true), 2);
        assert_eq!(nice_step(500, true), 50);
        assert_eq!(nice_step(1000, true), 100);
        assert_eq!(nice_step(10, false), 1);
    }
}
