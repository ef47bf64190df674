//! The lesson screen: the text (scenario or story, Rust, asyncio twin,
//! log), the lanes, the selected lane's details, the predict question and
//! its verdict, and the status line. Everything it shows of the run comes
//! from one [`Snapshot`] per frame.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget, Wrap};

use super::code::{CodePane, Highlighted};
use super::lanes::{LanesView, axis_span, clock};
use super::story::{StoryPane, story_lines};
use crate::engine::Mode;
use crate::predict::{NotScored, Verdict};
use crate::render::text::seconds;
use crate::trace::{EndReason, LaneId, LaneNow, Level};
use crate::ui::keymap::{Context, hints};
use crate::ui::lesson::{LessonState, Pane};
use crate::ui::snapshot::{Details, Snapshot, plural};
use crate::ui::theme::Theme;

/// Below this the screen says what size it needs instead of drawing.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// From this width on, the text sits beside the lanes rather than below.
const SIDE_BY_SIDE: u16 = 120;

/// What the lesson screen needs besides its state: the highlighted
/// sources.
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
}

/// What drawing the lesson screen tells input: where things went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LessonDrawn {
    /// Each lane row on screen and its lane, top to bottom.
    pub lane_rows: Vec<(Rect, LaneId)>,
    /// Lane rows that fit: a page, for PgUp/PgDn.
    pub lanes_page: usize,
    pub text: Option<Rect>,
    /// The text pane's first row shown, and the last it could show.
    pub text_rows: (u16, u16),
}

impl Widget for &LessonView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        self.draw(area, buf);
    }
}

impl LessonView<'_> {
    /// Draws the screen and says where its parts went.
    pub fn draw(&self, area: Rect, buf: &mut Buffer) -> LessonDrawn {
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            too_small(area, buf, self.theme);
            return LessonDrawn::default();
        }
        let layout = LessonLayout::compute(area, self.theme.presenter);
        let block = self.theme.pane(self.title(), true);
        let inner = block.inner(layout.lanes);
        block.render(layout.lanes, buf);

        let under_width = inner.width as usize;
        let mut predict = self.predict_lines(under_width);
        // A run that stalled says why, the deadlock named, once it is over.
        if self.state.mode() == Mode::Finished
            && let Some(report) = self.state.trace().stall_report()
        {
            predict.extend(styled_wrap(report, under_width, self.theme.failed()));
        }
        let legend = self.legend_lines(under_width);
        let presenter = self.theme.presenter;
        // The lanes get what the lines under them leave; those lines are
        // known before the rows, except the details, which need the snapshot.
        let mut lanes_area = Rect::default();
        let mut below_area = Rect::default();
        let mut row_h = 1;
        let snapshot = Snapshot::of(self.state, |rows, details| {
            let below = predict.len()
                + legend.len()
                + details.map_or(0, |d| self.details_lines(d, under_width).len());
            (lanes_area, below_area) = split_below(inner, below);
            row_h = row_height(presenter, rows, lanes_area.height);
            LanesView::rows_fitting(lanes_area.height, row_h)
        });
        let page = LanesView::rows_fitting(lanes_area.height, row_h);
        let view = LanesView {
            trace: snapshot.trace,
            rows: &snapshot.shown,
            selected: self.state.selected,
            view_us: snapshot.view_us,
            span: axis_span(self.state.playback.live()),
            theme: self.theme,
            row_height: row_h,
        };
        view.render(lanes_area, buf);
        if snapshot.rows.len() > page {
            self.draw_rows_position(&snapshot, page, layout.lanes, buf);
        }
        let mut lines = predict;
        if let Some(details) = &snapshot.details {
            lines.extend(self.details_lines(details, under_width));
        }
        lines.extend(legend);
        Paragraph::new(lines).render(below_area, buf);

        let text_rows = layout
            .text
            .map_or((0, 0), |text| self.draw_text(text, &snapshot, buf));
        let notice_shown = self.draw_status(layout.status, &snapshot, buf);
        // A notice too long for the status line gets a box above it.
        if let (Some(notice), false) = (&self.state.notice, notice_shown) {
            let above_status = Rect {
                height: layout.status.y.saturating_sub(area.y),
                ..area
            };
            super::draw_notice(notice, above_status, buf, self.theme);
        }
        if self.state.knob_editor.is_some() {
            super::knobs::draw(self.state, area, buf, self.theme);
        }
        let rows_top = lanes_area.y + 2;
        LessonDrawn {
            lane_rows: snapshot
                .shown
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let y = rows_top + i as u16 * row_h;
                    (
                        Rect::new(lanes_area.x, y, lanes_area.width, row_h),
                        r.row.lane,
                    )
                })
                .filter(|(rect, _)| rect.bottom() <= lanes_area.bottom())
                .collect(),
            lanes_page: page,
            text: layout.text,
            text_rows,
        }
    }

    /// ` semaphore · Limits … · permits=5 `: the knobs that differ from
    /// the lesson's are in the title, so nothing on screen contradicts them.
    fn title(&self) -> String {
        let lesson = self.state.lesson;
        let changed = self.state.changed_knobs();
        if changed.is_empty() {
            format!(" {} · {} ", lesson.id, lesson.title)
        } else {
            format!(" {} · {} · {} ", lesson.id, lesson.title, changed.join(" "))
        }
    }

    fn draw_rows_position(
        &self,
        snapshot: &Snapshot<'_>,
        page: usize,
        area: Rect,
        buf: &mut Buffer,
    ) {
        let total = snapshot.rows.len();
        let text = format!(
            " rows {}{}{} of {total} ",
            snapshot.scroll + 1,
            if self.theme.ascii { "-" } else { "–" },
            (snapshot.scroll + page).min(total),
        );
        let x = area.right().saturating_sub(text.chars().count() as u16 + 2);
        buf.set_string(x, area.bottom() - 1, text, self.theme.dim());
    }

    /// The predict question before the run, the prediction while it runs,
    /// the verdict after it.
    fn predict_lines(&self, width: usize) -> Vec<Line<'static>> {
        let state = self.state;
        let theme = self.theme;
        let lesson = state.lesson;
        let choices = &lesson.predict.choices;
        let answered = state.answer.map(|a| choices[a as usize - 1].as_str());
        if let Some(replay) = &state.replay {
            let text = format!(
                "Recorded trace {}: played back, not run; nothing to predict.",
                replay.file
            );
            return styled_wrap(&text, width, theme.dim());
        }
        if let Some(verdict) = state.verdict() {
            return self.verdict_lines(&verdict, answered, width);
        }
        if !state.at_start() {
            // While it runs, the lanes get the room; the verdict says
            // at the end whether there was a prediction.
            return match answered {
                Some(a) => styled_wrap(
                    &format!("Your prediction: {a} (judged by the run when it ends)"),
                    width,
                    theme.dim(),
                ),
                None => Vec::new(),
            };
        }
        let question = lesson.question(&state.knobs);
        let mut lines = Vec::new();
        for (i, text) in wrap(&format!("Predict: {question}"), width)
            .into_iter()
            .enumerate()
        {
            lines.push(match text.strip_prefix("Predict: ") {
                Some(rest) if i == 0 => Line::from(vec![
                    Span::styled("Predict: ", theme.heading()),
                    Span::raw(rest.to_string()),
                ]),
                _ => Line::raw(text),
            });
        }
        // The choices, as many to a line as fit.
        let mut line: Vec<Span<'static>> = Vec::new();
        let mut used = 0;
        for (i, choice) in choices.iter().enumerate() {
            // "1) 0.5 s", as in the picker's preview: the key apart from
            // the choice, which may be a number itself.
            let cost = 4 + Span::raw(choice.as_str()).width() + 2;
            if used > 0 && used + cost > width {
                lines.push(Line::from(std::mem::take(&mut line)));
                used = 0;
            }
            let style = if state.answer == Some(i as u8 + 1) {
                theme.selected()
            } else {
                theme.text()
            };
            line.push(Span::styled(format!(" {})", i + 1), theme.key()));
            line.push(Span::styled(format!(" {choice}  "), style));
            used += cost;
        }
        lines.push(Line::from(line));
        let hint = match answered {
            None => "press a number to answer, then space to run (or run without answering)".into(),
            Some(a) => format!("your answer: {a}; space runs the lesson, and the run judges it"),
        };
        lines.extend(styled_wrap(&hint, width, theme.dim()));
        lines
    }

    fn verdict_lines(
        &self,
        verdict: &Verdict,
        answered: Option<&str>,
        width: usize,
    ) -> Vec<Line<'static>> {
        let theme = self.theme;
        let glyphs = theme.glyphs();
        let choices = &self.state.lesson.predict.choices;
        let shown = match &verdict.shown {
            Some(value) => value.to_string(),
            None => String::new(),
        };
        let (text, style) = match (&verdict.scored, answered) {
            (Ok(true), Some(a)) => (
                format!(
                    "{} You predicted {a} and the run shows {shown}. Right!",
                    glyphs.done
                ),
                theme.good(),
            ),
            (Ok(false), Some(a)) => (
                format!(
                    "{} You predicted {a}; the run shows {shown}.",
                    glyphs.cancelled
                ),
                theme.warn(),
            ),
            (Err(NotScored::KnobsChanged), Some(a)) => (
                format!(
                    "You predicted {a}; the run shows {shown}{}. Not scored: the knobs \
                     differ from the lesson's.",
                    if verdict.matches() == Some(true) {
                        ", as you said"
                    } else {
                        ""
                    }
                ),
                theme.text(),
            ),
            (Err(NotScored::YouCancelled), Some(a)) => (
                format!(
                    "You predicted {a}; this run shows {shown}. Not scored: you cancelled a \
                     lane, so it is not the run the question asked about (r runs it again)."
                ),
                theme.text(),
            ),
            (Err(NotScored::NoChoiceFits), _) => (
                format!(
                    "{}The run shows {shown}: none of the choices fits these knobs. Not scored.",
                    answered.map_or(String::new(), |a| format!("You predicted {a}. "))
                ),
                theme.text(),
            ),
            (Err(NotScored::NotMeasured(why)), _) => (
                format!("The run does not answer the question ({why}). Not scored."),
                theme.warn(),
            ),
            _ => (
                format!(
                    "The run shows {shown}{}. No prediction this time: r restarts and asks again.",
                    verdict.fitting.map_or(String::new(), |i| format!(
                        " (choice {}: {})",
                        i + 1,
                        choices[i]
                    ))
                ),
                theme.text(),
            ),
        };
        styled_wrap(&text, width, style)
    }

    /// The selected lane: parent, times, what it waits on now and on which
    /// line, and what it waited on before; wrapped, never cut.
    fn details_lines(&self, d: &Details<'_>, width: usize) -> Vec<Line<'static>> {
        let theme = self.theme;
        let now = match &d.now {
            LaneNow::Waiting {
                on,
                line: Some(line),
                since_us,
            } => format!(
                "waiting on {on} at line {line} since {}",
                seconds(*since_us)
            ),
            LaneNow::Waiting { on, since_us, .. } => format!(
                "waiting on {on} since {} (its line in the code is not known)",
                seconds(*since_us)
            ),
            LaneNow::Done(t) => format!("done at {}", seconds(*t)),
            LaneNow::Cancelled {
                at,
                never_polled: true,
                ..
            } => format!(
                "dropped at {} without ever being polled: none of its code ran",
                seconds(*at)
            ),
            LaneNow::Cancelled {
                at, by_you: true, ..
            } => format!("cancelled by you at {}", seconds(*at)),
            LaneNow::Cancelled { at, .. } => format!("cancelled at {}", seconds(*at)),
            LaneNow::Failed(t, why) => format!("failed at {}: {why}", seconds(*t)),
            LaneNow::Running { .. } if d.blocking => {
                "running, and blocking the thread: no other lane can run".into()
            }
            LaneNow::Running { .. } => "running".into(),
            LaneNow::Queued => "spawned, not polled yet".into(),
            LaneNow::Absent => "not spawned yet".into(),
        };
        let waited: Vec<String> = d
            .waited
            .iter()
            .map(|(on, us)| format!("{} on {on}", seconds(*us)))
            .collect();
        let head = format!(
            "{} · child of {} · spawned {} · {}",
            d.name,
            d.parent.unwrap_or("none"),
            seconds(d.spawned_us),
            plural(d.polls, "poll", "polls"),
        );
        let mut lines = styled_wrap(&head, width, theme.text());
        if let Some(first) = lines.first_mut() {
            // The lane's name stands out.
            let text: String = first.spans.iter().map(|s| s.content.as_ref()).collect();
            let name_len = d.name.len().min(text.len());
            *first = Line::from(vec![
                Span::styled(text[..name_len].to_string(), theme.heading()),
                Span::raw(text[name_len..].to_string()),
            ]);
        }
        lines.extend(styled_wrap(&format!("now: {now}"), width, theme.text()));
        if let Some((lock, holders)) = &d.lock {
            let held = match holders.as_slice() {
                [] => format!("for {lock}, which no lane holds"),
                [(name, since)] => {
                    format!("for {lock}, held by '{name}' since {}", seconds(*since))
                }
                many => {
                    let names: Vec<String> = many.iter().map(|(n, _)| format!("'{n}'")).collect();
                    format!("for {lock}, held by {}", names.join(", "))
                }
            };
            lines.extend(styled_wrap(&held, width, theme.warn()));
        }
        let history = format!(
            "ran {} · waited {}",
            seconds(d.running_us),
            if waited.is_empty() {
                "nothing".to_string()
            } else {
                waited.join(", ")
            }
        );
        lines.extend(styled_wrap(&history, width, theme.dim()));
        lines
    }

    /// Presenter mode's legend: what each glyph means, on screen.
    fn legend_lines(&self, width: usize) -> Vec<Line<'static>> {
        if !self.theme.presenter {
            return Vec::new();
        }
        let theme = self.theme;
        let g = theme.glyphs();
        let items = [
            (g.running, theme.running(), "running"),
            (g.timer, theme.timer(), "sleeping"),
            (g.waiting, theme.waiting(), "waiting"),
            (g.queued, theme.queued(), "not polled"),
            (g.done, theme.done(), "done"),
            (g.cancelled, theme.cancelled(), "cancelled"),
            (g.failed, theme.failed(), "failed"),
        ];
        let mut lines = Vec::new();
        let mut line = Vec::new();
        let mut used = 0;
        for (glyph, style, what) in items {
            let cost = 2 + what.len() + 3;
            if used > 0 && used + cost > width {
                lines.push(Line::from(std::mem::take(&mut line)));
                used = 0;
            }
            line.push(Span::styled(format!("{glyph}{glyph} "), style));
            line.push(Span::styled(format!("{what}   "), theme.text()));
            used += cost;
        }
        lines.push(Line::from(line));
        lines
    }

    /// Draws the text pane; returns the first row it shows and the last
    /// first row it could show (its scroll range).
    fn draw_text(&self, area: Rect, snapshot: &Snapshot<'_>, buf: &mut Buffer) -> (u16, u16) {
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
        let (width, height) = (area.width.saturating_sub(2), area.height.saturating_sub(2));
        match state.pane {
            Pane::Story => {
                let lines = story_lines(&self.story_markdown(), width, theme);
                let last = u16::try_from(lines.len().saturating_sub(usize::from(height)))
                    .unwrap_or(u16::MAX);
                let top = state.text_scroll.unwrap_or(0).min(last);
                StoryPane {
                    lines: &lines,
                    title: &title,
                    scroll: top,
                    focused: false,
                    theme,
                }
                .render(area, buf);
                (top, last)
            }
            Pane::Code | Pane::Twin => {
                let (code, markers) = match state.pane {
                    Pane::Code => (self.code, &snapshot.markers[..]),
                    _ => (self.twin, &[][..]),
                };
                let last = super::code::last_top(code, width, height);
                // Until the learner scrolls, the code follows the first
                // line a lane is parked on.
                let top = match state.text_scroll {
                    Some(top) => top,
                    None => markers.first().map_or(0, |m| {
                        super::code::scroll_to_show(code, m.line, width, height, 0)
                    }),
                }
                .min(last);
                CodePane {
                    code,
                    title: &title,
                    markers,
                    scroll: top,
                    focused: false,
                    theme,
                }
                .render(area, buf);
                (top, last)
            }
            Pane::Log => {
                self.draw_log(area, &title, buf);
                (0, 0)
            }
        }
    }

    /// Before the run, the scenario alone: the story tells what happens.
    /// After it starts, the story, said to describe the default knobs when
    /// the run uses others.
    fn story_markdown(&self) -> String {
        let state = self.state;
        let lesson = state.lesson;
        let text = if state.at_start() {
            lesson.scenario
        } else {
            lesson.story
        };
        let changed = state.changed_knobs();
        if changed.is_empty() {
            text.to_string()
        } else {
            format!(
                "> This text tells the lesson's own run. Yours has {}: the question \
                 and the lanes tell yours.\n\n{text}",
                changed.join(", "),
            )
        }
    }

    /// The lesson's log lines up to the view time, newest at the bottom.
    fn draw_log(&self, area: Rect, title: &str, buf: &mut Buffer) {
        let theme = self.theme;
        let block = theme.pane(title.to_string(), false);
        if !self.state.is_rewound() {
            // Live: tui-logger, fed as the view advances (see `log_feed`).
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
            .saturating_sub(fit + self.state.text_scroll.unwrap_or(0) as usize);
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
                let tag = crate::render::text::level_tag(*level);
                Line::from(vec![
                    Span::styled(format!("{:>9}  ", seconds(*t)), theme.dim()),
                    Span::styled(format!("{who}: "), theme.heading()),
                    Span::styled(format!("{tag}{text}"), style),
                ])
            })
            .collect();
        if lines.is_empty() {
            buf.set_string(inner.x, inner.y, "no log lines yet", theme.dim());
        }
        Paragraph::new(lines).render(inner, buf);
    }

    /// Draws the status line; says whether the notice, if any, fit in it.
    fn draw_status(&self, area: Rect, snapshot: &Snapshot<'_>, buf: &mut Buffer) -> bool {
        let state = self.state;
        let theme = self.theme;
        let (mode, style) = mode_text(
            state.mode(),
            state.trace().end().map(|(_, reason)| reason),
            state.playback.live(),
            theme,
        );
        let speed = format!(
            "{}{} ",
            format_speed(state.playback.speed()),
            if theme.ascii { "x" } else { "×" }
        );
        let bar = if theme.ascii { "|" } else { "│" };
        let mut spans = vec![
            Span::styled(
                format!(" {mode} "),
                style.add_modifier(ratatui::style::Modifier::BOLD),
            ),
            Span::styled(format!("t {} ", clock(snapshot.view_us)), theme.title()),
            Span::raw(speed),
        ];
        let width = area.width as usize;
        let used: usize = spans.iter().map(|s| s.width()).sum();
        let notice = state.notice.as_deref();
        let context = if state.knob_editor.is_some() {
            Context::Knobs
        } else {
            Context::Lesson
        };
        // The keys a learner cannot do without come before the counts;
        // the counts shrink to fit, then more keys fill what is left.
        let essential: usize = hint_spans(context, 0, 1, theme)
            .iter()
            .map(|s| s.width())
            .sum();
        // A notice that does not fit beside the mode and time is drawn in a
        // box instead (see `draw`), and the line keeps its hints.
        let notice = notice.filter(|n| used + Span::raw(*n).width() < width);
        let room = width.saturating_sub(used + if notice.is_some() { 0 } else { essential });
        let counts = [
            format!("{} {bar} ", snapshot.counts.describe()),
            format!("{} {bar} ", plural(snapshot.counts.total, "lane", "lanes")),
        ]
        .into_iter()
        .find(|c| Span::raw(c.as_str()).width() <= room);
        if let Some(counts) = counts {
            spans.push(Span::raw(counts));
        }
        if let Some(notice) = notice {
            spans.push(Span::styled(format!("{notice} "), theme.warn()));
        } else {
            let used: usize = spans.iter().map(|s| s.width()).sum();
            spans.extend(hint_spans(
                context,
                width.saturating_sub(used),
                u8::MAX,
                theme,
            ));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
        notice.is_some()
    }
}

/// The status line's first word: where the playback is, and for a run
/// that ended early, why (`ended: stalled`, `ended: trace limit`).
fn mode_text(
    mode: Mode,
    end: Option<EndReason>,
    live: std::time::Duration,
    theme: &Theme,
) -> (String, Style) {
    let live = clock(live.as_micros() as u64);
    match mode {
        Mode::AtStart => ("ready".to_string(), theme.warn()),
        Mode::Playing => ("playing".to_string(), theme.good()),
        Mode::Paused => ("paused".to_string(), theme.warn()),
        Mode::Stepping => ("stepping".to_string(), theme.warn()),
        Mode::Rewound {
            replaying: true, ..
        } => (format!("replaying (live {live})"), theme.good()),
        Mode::Rewound { .. } => (format!("rewound (live {live})"), theme.warn()),
        Mode::Finished => match end {
            Some(EndReason::Finished) | None => ("finished".to_string(), theme.good()),
            Some(reason) => (format!("ended: {}", reason.as_str()), theme.error()),
        },
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

/// The words of `text`, a time's unit kept with its number: "1.0 s" and
/// "250 ms." are one word each, never split across lines.
fn words(text: &str) -> Vec<String> {
    super::glue_units(text)
        .split(|c: char| c.is_whitespace() && c != '\u{a0}')
        .filter(|w| !w.is_empty())
        .map(|w| w.replace('\u{a0}', " "))
        .collect()
}

/// Plain text wrapped at word boundaries to `width` columns; a word longer
/// than a line is split.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = vec![String::new()];
    for mut word in words(text) {
        loop {
            let line = lines.last_mut().expect("never empty");
            let len = line.chars().count();
            let word_len = word.chars().count();
            if len > 0 && len + 1 + word_len > width {
                lines.push(String::new());
                continue;
            }
            if len == 0 && word_len > width {
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                line.push_str(&head);
                lines.push(String::new());
                continue;
            }
            if len > 0 {
                line.push(' ');
            }
            line.push_str(&word);
            break;
        }
    }
    if lines.len() > 1 && lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

fn styled_wrap(text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    wrap(text, width)
        .into_iter()
        .map(|l| Line::styled(l, style))
        .collect()
}

/// The key hints that fit in `width` columns, whole ones only, chosen by
/// their priority in the keymap (1: space, `.`, `?` and `q`, always, even
/// past `width`) up to `up_to`, and shown in the keymap's order.
pub fn hint_spans(context: Context, width: usize, up_to: u8, theme: &Theme) -> Vec<Span<'static>> {
    let all = hints(context);
    let cost = |(key, what, _): &(&str, &str, u8)| {
        Span::raw(format!(" {} ", key_label(key, theme))).width() + Span::raw(*what).width()
    };
    let mut by_priority: Vec<usize> = (0..all.len()).filter(|&i| all[i].2 <= up_to).collect();
    by_priority.sort_by_key(|&i| all[i].2);
    let mut chosen = vec![false; all.len()];
    let mut left = width;
    for i in by_priority {
        let c = cost(&all[i]);
        if all[i].2 == 1 || c <= left {
            left = left.saturating_sub(c);
            chosen[i] = true;
        } else {
            // Lower priorities do not squeeze in past a higher one that
            // did not fit: the hints stay in order of importance.
            break;
        }
    }
    let mut spans = Vec::new();
    for (i, (key, what, _)) in all.into_iter().enumerate() {
        if chosen[i] {
            spans.push(Span::styled(
                format!(" {} ", key_label(key, theme)),
                theme.key(),
            ));
            spans.push(Span::styled(what.to_string(), theme.dim()));
        }
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

/// Says what size is needed instead of drawing a broken screen.
pub fn too_small(area: Rect, buf: &mut Buffer, theme: &Theme) {
    Clear.render(area, buf);
    let text = format!(
        "lanes needs a terminal of at least {MIN_WIDTH}×{MIN_HEIGHT}; this one is {}×{}. \
         q or Ctrl-C quits.",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_stays_with_its_unit_when_text_wraps() {
        let text = "main awaits fetch_user(1), which takes 1.0 s. Then 250 ms, then 3 items";
        // Wide enough for "1.0 s." whole (narrower, any word may split).
        for width in 6..80 {
            for line in wrap(text, width) {
                assert!(
                    !line.starts_with("s.") && !line.starts_with("ms,"),
                    "{width}: {line:?}"
                );
                assert!(line.chars().count() <= width, "{width}: {line:?}");
            }
        }
        assert_eq!(
            wrap(text, 40),
            [
                "main awaits fetch_user(1), which takes",
                "1.0 s. Then 250 ms, then 3 items"
            ]
        );
        // "3 items" is not a time: the words part as usual.
        assert_eq!(wrap("take 3 items", 6), ["take 3", "items"]);
    }

    #[test]
    fn the_status_says_why_a_run_ended() {
        let theme = Theme::COLOR;
        let at = std::time::Duration::from_millis(3_500);
        let text = |end| mode_text(Mode::Finished, end, at, &theme).0;
        assert_eq!(text(Some(EndReason::Finished)), "finished");
        assert_eq!(text(Some(EndReason::TraceLimit)), "ended: trace limit");
        assert_eq!(text(Some(EndReason::Stalled)), "ended: stalled");
        assert_eq!(text(Some(EndReason::TimeLimit)), "ended: time limit");
        let rewound = Mode::Rewound {
            at: std::time::Duration::ZERO,
            replaying: false,
        };
        assert_eq!(
            mode_text(rewound, None, at, &theme).0,
            "rewound (live 3.5 s)"
        );
    }
}
