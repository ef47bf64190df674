//! The lesson screen: the text (story, Rust, asyncio twin, log), the lanes,
//! the selected lane's details, the predict question and the status line.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::code::{CodePane, Highlighted, Marker};
use super::lanes::{LaneNow, LanesView, axis_span, lane_at, truncate};
use super::story::{StoryPane, story_lines};
use crate::render::text::seconds;
use crate::trace::{EventKind, LaneId, Level, Trace};
use crate::ui::keymap::{Context, hints};
use crate::ui::lesson::{LessonState, Pane};
use crate::ui::theme::Theme;

/// Below this the screen says what size it needs instead of drawing.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// From this width on, the text sits beside the lanes rather than below.
const SIDE_BY_SIDE: u16 = 120;

/// What the lesson screen needs besides its state: the highlighted sources.
pub struct LessonView<'a> {
    pub state: &'a LessonState,
    pub code: &'a Highlighted,
    pub twin: &'a Highlighted,
    pub theme: &'a Theme,
}

/// Where each part of the screen went, for mouse clicks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LessonLayout {
    pub lanes: Rect,
    pub text: Option<Rect>,
    pub status: Rect,
}

impl LessonLayout {
    pub fn compute(area: Rect, presenter: bool) -> LessonLayout {
        let [main, status] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
        if presenter {
            return LessonLayout {
                lanes: main,
                text: None,
                status,
            };
        }
        if area.width >= SIDE_BY_SIDE {
            let [text, lanes] =
                Layout::horizontal([Constraint::Percentage(42), Constraint::Percentage(58)])
                    .areas(main);
            LessonLayout {
                lanes,
                text: Some(text),
                status,
            }
        } else {
            let [lanes, text] =
                Layout::vertical([Constraint::Percentage(65), Constraint::Percentage(35)])
                    .areas(main);
            LessonLayout {
                lanes,
                text: Some(text),
                status,
            }
        }
    }

    /// The rectangle inside the lanes block where lane rows are drawn.
    pub fn lanes_inner(&self) -> Rect {
        Block::new().borders(Borders::ALL).inner(self.lanes)
    }
}

impl Widget for &LessonView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            too_small(area, buf, self.theme);
            return;
        }
        let layout = LessonLayout::compute(area, self.state.presenter);
        self.draw_lanes_block(layout.lanes, buf);
        if let Some(text) = layout.text {
            self.draw_text(text, buf);
        }
        self.draw_status(layout.status, buf);
        if self.state.knob_editor.is_some() {
            super::knobs::draw(self.state, area, buf, self.theme);
        }
    }
}

impl LessonView<'_> {
    fn block<'b>(&self, title: String, focused: bool) -> Block<'b> {
        let theme = self.theme;
        theme.pane(title, focused)
    }

    fn draw_lanes_block(&self, area: Rect, buf: &mut Buffer) {
        let state = self.state;
        let lesson = state.lesson;
        let title = format!(" {} · {} ", lesson.id, lesson.title);
        let block = self.block(title, true);
        let inner = block.inner(area);
        block.render(area, buf);

        // Under the lanes: the predict question or its outcome, and the
        // selected lane's details.
        let predict = self.predict_lines(inner.width);
        let details = self.details_lines(inner.width);
        let (lanes_area, below_area) = split_below(inner, predict.len() + details.len());
        let rows = state.rows();
        let row_height = row_height(state.presenter, rows.len(), lanes_area.height);
        let view = LanesView {
            trace: state.trace(),
            rows: &rows,
            scroll: state.lanes_scroll.min(rows.len().saturating_sub(1)),
            selected: state.selected,
            view_us: state.view_us(),
            span: axis_span(state.playback.clock()),
            theme: self.theme,
            row_height,
        };
        view.render(lanes_area, buf);
        if rows.len() > LanesView::rows_fitting(lanes_area.height, row_height) {
            let shown = LanesView::rows_fitting(lanes_area.height, row_height);
            let text = format!(
                " rows {}–{} of {} ",
                state.lanes_scroll + 1,
                (state.lanes_scroll + shown).min(rows.len()),
                rows.len()
            );
            let text = if self.theme.ascii {
                text.replace('–', "-")
            } else {
                text
            };
            let x = area.right().saturating_sub(text.chars().count() as u16 + 2);
            buf.set_string(x, area.bottom() - 1, text, self.theme.dim());
        }
        let mut lines = predict;
        lines.extend(details);
        Paragraph::new(lines).render(below_area, buf);
    }

    /// How many lane rows the screen of `area` shows (for paging).
    pub fn lane_rows_shown(&self, area: Rect) -> usize {
        let inner = LessonLayout::compute(area, self.state.presenter).lanes_inner();
        let below = self.predict_lines(inner.width).len() + self.details_lines(inner.width).len();
        let (lanes_area, _) = split_below(inner, below);
        let rows = self.state.rows().len();
        LanesView::rows_fitting(
            lanes_area.height,
            row_height(self.state.presenter, rows, lanes_area.height),
        )
    }

    /// The predict question before the run, the answer after it.
    fn predict_lines(&self, width: u16) -> Vec<Line<'static>> {
        let state = self.state;
        let theme = self.theme;
        let predict = &state.lesson.predict;
        let glyphs = theme.glyphs();
        if state.playback.is_finished() {
            let verdict = state.verdict();
            let shown = verdict
                .as_ref()
                .and_then(|v| v.shown.as_ref())
                .map_or("nothing".to_string(), |v| v.to_string());
            return match (state.answer, state.answered_right()) {
                (Some(a), Some(true)) => vec![Line::from(vec![
                    Span::styled(
                        format!(
                            "{} You predicted {} ",
                            glyphs.done,
                            predict.choices[a as usize - 1]
                        ),
                        theme.good(),
                    ),
                    Span::raw(format!("and the run shows {shown}. Right!")),
                ])],
                (Some(a), _) => vec![Line::from(vec![
                    Span::styled(
                        format!(
                            "{} You predicted {}; ",
                            glyphs.cancelled,
                            predict.choices[a as usize - 1]
                        ),
                        theme.warn(),
                    ),
                    Span::raw(format!("the run shows {shown}.")),
                ])],
                (None, _) => wrap(
                    &format!(
                        "Predict: {} The run shows {shown}.",
                        state.lesson.question(&state.knobs)
                    ),
                    width as usize,
                )
                .into_iter()
                .map(Line::raw)
                .collect(),
            };
        }
        if !state.at_start() {
            // Running: the question is out of the way, the answer kept.
            return match state.answer {
                Some(a) => vec![Line::from(vec![
                    Span::styled("Your prediction: ", theme.heading()),
                    Span::raw(format!(
                        "{} (checked when the run ends)",
                        predict.choices[a as usize - 1]
                    )),
                ])],
                None => Vec::new(),
            };
        }
        let mut lines: Vec<Line<'static>> = wrap(
            &format!("Predict: {}", state.lesson.question(&state.knobs)),
            width as usize,
        )
        .into_iter()
        .enumerate()
        .map(|(i, text)| match text.strip_prefix("Predict: ") {
            Some(rest) if i == 0 => Line::from(vec![
                Span::styled("Predict: ", theme.heading()),
                Span::raw(rest.to_string()),
            ]),
            _ => Line::raw(text),
        })
        .collect();
        let mut choices = Vec::new();
        for (i, choice) in predict.choices.iter().enumerate() {
            let picked = state.answer == Some(i as u8 + 1);
            let style = if picked {
                theme.selected()
            } else {
                theme.text()
            };
            choices.push(Span::styled(format!(" {} ", i + 1), theme.key()));
            choices.push(Span::styled(format!("{choice} "), style));
        }
        lines.push(Line::from(choices));
        let hint = match state.answer {
            None => "press a number to answer, or space to run without one",
            Some(_) => "space runs the lesson; your answer is checked at the end",
        };
        lines.push(Line::styled(hint, theme.dim()));
        lines
    }
}

/// The lanes block's inside, split into the lanes and `below` lines under them.
fn split_below(inner: Rect, below: usize) -> (Rect, Rect) {
    let below = (below as u16).min(inner.height.saturating_sub(5));
    let [lanes, under] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(below)]).areas(inner);
    (lanes, under)
}

/// Presenter mode draws each lane two lines high when they all fit so.
fn row_height(presenter: bool, rows: usize, height: u16) -> u16 {
    if presenter && rows * 2 + 2 <= height as usize {
        2
    } else {
        1
    }
}

/// Plain text wrapped at word boundaries to `width` columns.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("never empty");
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if len > 0 {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

impl LessonView<'_> {
    /// The selected lane: parent, times, what it waited on and for how long.
    fn details_lines(&self, width: u16) -> Vec<Line<'static>> {
        let Some(lane) = self.state.selected else {
            return Vec::new();
        };
        let trace = self.state.trace();
        let stats = LaneStats::of(trace, lane, self.state.view_us());
        let theme = self.theme;
        let parent = trace
            .parent(lane)
            .map_or("none".to_string(), |p| trace.lane_name(p).to_string());
        let now = match lane_at(trace, lane, self.state.view_us()) {
            LaneNow::Waiting {
                on,
                line: Some(line),
            } => format!("waiting on {on} (line {line})"),
            LaneNow::Waiting { on, .. } => format!("waiting on {on}"),
            LaneNow::Done(t) => format!("done at {}", seconds(t)),
            LaneNow::Cancelled(t) => format!("cancelled at {}", seconds(t)),
            LaneNow::Failed(t, why) => format!("failed at {}: {why}", seconds(t)),
            LaneNow::Running => "running".into(),
            LaneNow::Queued => "spawned, not polled yet".into(),
            LaneNow::Absent => "not spawned yet".into(),
        };
        let mut waits: Vec<String> = stats
            .waited
            .iter()
            .map(|(on, us)| format!("{} on {on}", seconds(*us)))
            .collect();
        if waits.is_empty() {
            waits.push("nothing".into());
        }
        let w = width as usize;
        vec![
            Line::from(vec![
                Span::styled(truncate(trace.lane_name(lane), w / 2), theme.heading()),
                Span::raw(truncate(
                    &format!(
                        "  child of {parent} · spawned {} · {} polls · {now}",
                        seconds(stats.spawned_us),
                        stats.polls
                    ),
                    w.saturating_sub(trace.lane_name(lane).chars().count().min(w / 2)),
                )),
            ]),
            Line::from(truncate(
                &format!(
                    "ran {} · waited {}",
                    seconds(stats.running_us),
                    waits.join(", ")
                ),
                w,
            )),
        ]
    }

    fn draw_text(&self, area: Rect, buf: &mut Buffer) {
        let state = self.state;
        let theme = self.theme;
        let tabs: Vec<String> = [Pane::Story, Pane::Code, Pane::Twin, Pane::Log]
            .iter()
            .map(|p| {
                if *p == state.pane {
                    format!("[{}]", p.title())
                } else {
                    p.title().to_string()
                }
            })
            .collect();
        let title = format!(" {} ", tabs.join(" "));
        match state.pane {
            Pane::Story => {
                let width = area.width.saturating_sub(2);
                let lines = story_lines(state.lesson.story, width, theme);
                StoryPane {
                    lines: &lines,
                    title: &title,
                    scroll: state.text_scroll,
                    focused: false,
                    theme,
                }
                .render(area, buf);
            }
            Pane::Code => {
                let markers = parked_markers(state.trace(), state.view_us());
                let scroll = if state.text_scroll == 0 {
                    markers.first().map_or(0, |m| {
                        super::code::scroll_to_show(
                            self.code,
                            m.line,
                            area.width.saturating_sub(2),
                            area.height.saturating_sub(2),
                            0,
                        )
                    })
                } else {
                    state.text_scroll
                };
                CodePane {
                    code: self.code,
                    title: &title,
                    markers: &markers,
                    scroll,
                    focused: false,
                    theme,
                }
                .render(area, buf);
            }
            Pane::Twin => {
                CodePane {
                    code: self.twin,
                    title: &title,
                    markers: &[],
                    scroll: state.text_scroll,
                    focused: false,
                    theme,
                }
                .render(area, buf);
            }
            Pane::Log => self.draw_log(area, &title, buf),
        }
    }

    /// The lesson's log lines up to the view time, newest at the bottom.
    fn draw_log(&self, area: Rect, title: &str, buf: &mut Buffer) {
        let theme = self.theme;
        if self.state.scrub.is_none() {
            // Live: tui-logger, fed as the view advances (see `log_feed`).
            let block = self.block(title.to_string(), false);
            tui_logger::TuiLoggerWidget::default()
                .block(block)
                .state(&self.state.log.state)
                .output_timestamp(None)
                .output_level(None)
                .output_target(false)
                .output_file(false)
                .output_line(false)
                .style(theme.text())
                .style_error(theme.error())
                .style_warn(theme.warn())
                .style_info(theme.text())
                .style_debug(theme.dim())
                .style_trace(theme.dim())
                .render(area, buf);
            return;
        }
        // Rewound: the log as it was at the view time, from the trace.
        let block = self.block(title.to_string(), false);
        let inner = block.inner(area);
        block.render(area, buf);
        let trace = self.state.trace();
        let view_us = self.state.view_us();
        let logs: Vec<_> = trace
            .logs()
            .into_iter()
            .filter(|(t, ..)| *t <= view_us)
            .collect();
        let fit = inner.height as usize;
        let skip = logs
            .len()
            .saturating_sub(fit + self.state.text_scroll as usize);
        let lines: Vec<Line> = logs
            .iter()
            .skip(skip)
            .take(fit)
            .map(|(t, lane, level, text)| {
                let who = lane.map_or("lanes", |l| trace.lane_name(l));
                let style = match level {
                    Level::Error => theme.error(),
                    Level::Warn => theme.warn(),
                    _ => theme.text(),
                };
                Line::from(vec![
                    Span::styled(format!("{:>9}  ", seconds(*t)), theme.dim()),
                    Span::styled(format!("{who}: "), theme.heading()),
                    Span::styled(text.to_string(), style),
                ])
            })
            .collect();
        if lines.is_empty() {
            buf.set_string(inner.x, inner.y, "no log lines yet", theme.dim());
        }
        Paragraph::new(lines).render(inner, buf);
    }

    fn draw_status(&self, area: Rect, buf: &mut Buffer) {
        let state = self.state;
        let theme = self.theme;
        let (mode, style) = if state.scrub.is_some() {
            (
                format!(
                    "rewound (live {})",
                    seconds(state.playback.clock().as_micros() as u64)
                ),
                theme.warn(),
            )
        } else if state.playback.is_finished() {
            ("finished".to_string(), theme.good())
        } else if state.playback.is_playing() {
            ("playing".to_string(), theme.good())
        } else {
            ("paused".to_string(), theme.warn())
        };
        let counts = LaneCounts::at(state.trace(), state.view_us());
        let speed = format!(
            "{}{} ",
            format_speed(state.playback.speed()),
            if theme.ascii { "x" } else { "×" }
        );
        let mut spans = vec![
            Span::styled(
                format!(" {mode} "),
                style.add_modifier(ratatui::style::Modifier::BOLD),
            ),
            Span::styled(format!("t {} ", seconds(state.view_us())), theme.title()),
            Span::raw(speed),
            Span::raw(format!(
                "{} {} ",
                counts.describe(),
                if theme.ascii { "|" } else { "│" }
            )),
        ];
        if let Some(notice) = &state.notice {
            spans.push(Span::styled(format!("{notice} "), theme.warn()));
        } else {
            let context = if state.knob_editor.is_some() {
                Context::Knobs
            } else {
                Context::Lesson
            };
            let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
            spans.extend(hint_spans(
                context,
                (area.width as usize).saturating_sub(used),
                theme,
            ));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}

/// The key hints that fit in `width` columns, whole ones only, with `?`
/// (help, where every other key is listed) always first.
pub fn hint_spans(context: Context, width: usize, theme: &Theme) -> Vec<Span<'static>> {
    let mut all = hints(context);
    if let Some(help) = all.iter().position(|(key, _)| *key == "?") {
        let help = all.remove(help);
        all.insert(0, help);
    }
    let mut spans = Vec::new();
    let mut left = width;
    for (key, what) in all {
        let key = format!(" {} ", key_label(key, theme));
        let cost = key.chars().count() + what.chars().count();
        if cost > left {
            break;
        }
        left -= cost;
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::styled(what.to_string(), theme.dim()));
    }
    spans
}

/// Key labels in ASCII when asked: arrows become words.
pub fn key_label(label: &str, theme: &Theme) -> String {
    if theme.ascii {
        label
            .replace('↑', "Up")
            .replace('↓', "Down")
            .replace('←', "Left")
            .replace('→', "Right")
    } else {
        label.to_string()
    }
}

fn format_speed(speed: f64) -> String {
    if speed >= 1.0 && speed.fract() == 0.0 {
        format!("{speed:.0}")
    } else {
        format!("{speed}")
    }
}

/// The code lines lanes are parked on at `t_us`, with who and on what.
pub fn parked_markers(trace: &Trace, t_us: u64) -> Vec<Marker> {
    let mut by_line: std::collections::BTreeMap<u32, (usize, String)> = Default::default();
    for lane in 1..=trace.lanes().len() as LaneId {
        if let LaneNow::Waiting {
            on,
            line: Some(line),
        } = lane_at(trace, lane, t_us)
        {
            let entry = by_line.entry(line).or_insert((0, on));
            entry.0 += 1;
        }
    }
    by_line
        .into_iter()
        .map(|(line, (count, on))| Marker {
            line,
            label: if count == 1 {
                format!("1 lane: {on}")
            } else {
                format!("{count} lanes: {on}")
            },
        })
        .collect()
}

/// How many lanes are in each state at one time.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct LaneCounts {
    pub total: usize,
    pub waiting: usize,
    pub done: usize,
    pub cancelled: usize,
    pub failed: usize,
}

impl LaneCounts {
    /// "21 lanes: 12 waiting, 9 done" (states with no lane left out).
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            (self.waiting, "waiting"),
            (self.done, "done"),
            (self.cancelled, "cancelled"),
            (self.failed, "failed"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        format!("{} lanes: {}", self.total, parts.join(", "))
    }

    pub fn at(trace: &Trace, t_us: u64) -> LaneCounts {
        let mut counts = LaneCounts::default();
        for lane in 1..=trace.lanes().len() as LaneId {
            match lane_at(trace, lane, t_us) {
                LaneNow::Absent => continue,
                LaneNow::Waiting { .. } | LaneNow::Queued | LaneNow::Running => counts.waiting += 1,
                LaneNow::Done(_) => counts.done += 1,
                LaneNow::Cancelled(_) => counts.cancelled += 1,
                LaneNow::Failed(..) => counts.failed += 1,
            }
            counts.total += 1;
        }
        counts
    }
}

/// A lane's life up to a time, summed up.
#[derive(Default, Debug)]
pub struct LaneStats {
    pub spawned_us: u64,
    pub polls: usize,
    pub running_us: u64,
    /// Time waited on each thing, in order of first wait.
    pub waited: Vec<(String, u64)>,
}

impl LaneStats {
    pub fn of(trace: &Trace, lane: LaneId, until_us: u64) -> LaneStats {
        let mut stats = LaneStats::default();
        let mut open: Option<(u64, Option<String>)> = None; // (since, waiting on)
        let close = |stats: &mut LaneStats, open: &mut Option<(u64, Option<String>)>, t: u64| {
            if let Some((since, on)) = open.take() {
                let span = t.saturating_sub(since);
                match on {
                    None => stats.running_us += span,
                    Some(on) => match stats.waited.iter_mut().find(|(o, _)| *o == on) {
                        Some(entry) => entry.1 += span,
                        None => stats.waited.push((on, span)),
                    },
                }
            }
        };
        for event in trace.lane_events(lane) {
            if event.t_us > until_us {
                break;
            }
            match event.kind {
                EventKind::Spawned { .. } => stats.spawned_us = event.t_us,
                EventKind::Running => {
                    close(&mut stats, &mut open, event.t_us);
                    stats.polls += 1;
                    open = Some((event.t_us, None));
                }
                EventKind::Awaiting { on, .. } => {
                    close(&mut stats, &mut open, event.t_us);
                    open = Some((event.t_us, Some(trace.text(on).to_string())));
                }
                EventKind::Done | EventKind::Cancelled | EventKind::Failed { .. } => {
                    close(&mut stats, &mut open, event.t_us);
                }
                _ => {}
            }
        }
        close(&mut stats, &mut open, until_us);
        stats
    }
}

/// Says what size is needed instead of drawing a broken screen.
pub fn too_small(area: Rect, buf: &mut Buffer, theme: &Theme) {
    Clear.render(area, buf);
    let text = format!(
        "lanes needs a terminal of at least {MIN_WIDTH}×{MIN_HEIGHT}; this one is {}×{}.",
        area.width, area.height
    );
    let text = if theme.ascii {
        text.replace('×', "x")
    } else {
        text
    };
    Paragraph::new(text)
        .style(Style::new())
        .wrap(Wrap { trim: true })
        .render(area, buf);
}
