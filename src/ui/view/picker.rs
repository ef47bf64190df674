//! The lesson picker: on the left the lessons under their chapters, each
//! with the learner's progress marks, and how far they got overall; on the
//! right a preview of the selected lesson. Below `PREVIEW_MIN_WIDTH`
//! columns the list takes the whole width.
//!
//! It only reads: the list's scroll is kept by `PickerState::keep_in_view`,
//! and drawn from even when stale (moved, not stored, to show the
//! selection).

use super::fit;
use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph, Widget, Wrap};

use crate::catalog::{Catalog, Lesson};
use crate::ui::picker::{PickerState, Row, chapter_of};
use crate::ui::progress::{Marks, Prediction, Progress};
use crate::ui::theme::Theme;

/// Narrower than this, a preview beside the list would be too cramped to
/// read, so only the list is drawn.
pub const PREVIEW_MIN_WIDTH: u16 = 60;

/// The preview's text wraps at this width at most, however wide the
/// terminal: long lines are hard to read.
const PREVIEW_MAX_TEXT_WIDTH: u16 = 76;

/// The width of a lesson row before its id: marker, three marks, ` 11 `.
const LESSON_PREFIX: usize = 8;
const HOOK_GAP: &str = "   ";

pub struct PickerView<'a> {
    pub state: &'a PickerState,
    pub catalog: &'a Catalog,
    pub progress: &'a Progress,
    pub theme: &'a Theme,
}

/// The picker's own characters. Lane glyphs live in the theme; these only
/// mean something here. Each mark has its own glyph and column, so the
/// marks read without colour.
struct PickerGlyphs {
    opened: char,
    right: char,
    wrong: char,
    cursor: char,
    more_above: &'static str,
    more_below: &'static str,
    separator: &'static str,
    ellipsis: &'static str,
}

const UNICODE: PickerGlyphs = PickerGlyphs {
    opened: '•',
    right: '★',
    wrong: '✗',
    cursor: '█',
    more_above: " ↑ ",
    more_below: " ↓ ",
    separator: "·",
    ellipsis: "…",
};

const ASCII: PickerGlyphs = PickerGlyphs {
    opened: 'o',
    right: '+',
    wrong: '-',
    cursor: '_',
    more_above: " ^ ",
    more_below: " v ",
    separator: "-",
    ellipsis: "...",
};

/// The lesson rows' columns, the same for every row.
#[derive(Clone, Copy)]
struct Columns {
    id: usize,
    /// Whether the title's first phrase follows the id.
    hooks: bool,
}

/// Where the list's parts go inside its panel.
struct ListLayout {
    /// The panel, border included.
    panel: Rect,
    /// The filter line, when there is a filter to show.
    filter: Option<Rect>,
    /// The rows of lessons and chapters.
    rows: Rect,
}

impl Widget for &PickerView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (list, preview) = split(area);
        self.render_list(list, buf);
        if let Some(preview) = preview {
            self.render_preview(preview, buf);
        }
    }
}

impl PickerView<'_> {
    /// How many list rows the picker shows when drawn into `area` (the
    /// whole picker, list and preview): what `PickerState::keep_in_view`
    /// needs. Depends on the state only through whether a filter line is
    /// shown.
    pub fn list_rows_shown(state: &PickerState, area: Rect) -> usize {
        usize::from(list_layout(state, split(area).0).rows.height)
    }

    /// The lesson under a mouse click, if any: the same layout and scroll
    /// as a frame drawn into `area` now.
    pub fn lesson_at(&self, area: Rect, column: u16, row: u16) -> Option<&'static Lesson> {
        let layout = list_layout(self.state, split(area).0);
        if !layout.rows.contains(Position::new(column, row)) {
            return None;
        }
        let offset = self
            .state
            .visible_offset(self.catalog, usize::from(layout.rows.height));
        let index = offset + usize::from(row - layout.rows.y);
        match self.state.rows(self.catalog).get(index) {
            Some(Row::Lesson(lesson)) => Some(lesson),
            _ => None,
        }
    }

    fn glyphs(&self) -> &'static PickerGlyphs {
        if self.theme.ascii { &ASCII } else { &UNICODE }
    }

    fn render_list(&self, area: Rect, buf: &mut Buffer) {
        let layout = list_layout(self.state, area);
        let rows = self.state.rows(self.catalog);
        let selected_row = self.state.selected_row(self.catalog, &rows);
        let height = usize::from(layout.rows.height);
        // The stored scroll, moved here (not stored) if it is stale.
        let offset = self.state.visible_offset(self.catalog, height);

        let more_below = offset + height < rows.len();
        self.list_block(layout.panel.width, offset > 0, more_below)
            .render(layout.panel, buf);
        if let Some(filter) = layout.filter {
            self.filter_line(filter.width).render(filter, buf);
        }
        if rows.is_empty() {
            let message = Line::styled("No lesson matches this filter.", self.theme.dim());
            message.render(layout.rows, buf);
            return;
        }
        let columns = self.columns(layout.rows.width);
        let lines = rows.iter().enumerate().skip(offset).take(height);
        for (screen_row, (index, row)) in (layout.rows.y..).zip(lines) {
            let area = Rect {
                y: screen_row,
                height: 1,
                ..layout.rows
            };
            let is_selected = Some(index) == selected_row;
            self.row_line(row, is_selected, columns, area.width)
                .render(area, buf);
            if is_selected {
                buf.set_style(area, self.theme.selected());
            }
        }
    }

    /// The list's frame: its title with the learner's overall progress,
    /// the legend of the marks, and arrows when rows are hidden above or
    /// below. Each text takes the longest form that fits beside its arrow.
    fn list_block(&self, width: u16, more_above: bool, more_below: bool) -> Block<'static> {
        let (theme, glyphs) = (self.theme, self.glyphs());
        let room = |arrow: Option<&str>| {
            let arrow = arrow.map_or(0, |a| Span::raw(a).width());
            usize::from(width).saturating_sub(2 + arrow)
        };
        let above = more_above.then_some(glyphs.more_above);
        let below = more_below.then_some(glyphs.more_below);
        let mut block = Block::bordered()
            .border_set(theme.border_set())
            .border_style(theme.focused_border())
            .title(self.title(room(above)))
            .title_bottom(self.legend(room(below)));
        if let Some(arrow) = above {
            block = block.title(Line::styled(arrow, theme.key()).right_aligned());
        }
        if let Some(arrow) = below {
            block = block.title_bottom(Line::styled(arrow, theme.key()).right_aligned());
        }
        block
    }

    /// ` Lessons · 3/8 ran · 2 predicted right `: over the whole
    /// curriculum, whatever the filter shows; shorter when narrow.
    fn title(&self, room: usize) -> Line<'static> {
        let theme = self.theme;
        let summary = self
            .progress
            .summary(self.catalog.lessons.iter().map(|l| l.id.as_str()));
        let sep = self.glyphs().separator;
        let ran = format!("{}/{} ran", summary.finished, summary.lessons);
        let right = summary.predicted_right;
        let name = " Lessons ";
        let tail = [
            format!("{sep} {ran} {sep} {right} predicted right "),
            format!("{sep} {ran} {sep} {right} right "),
            format!("{sep} {ran} "),
        ]
        .into_iter()
        .find(|t| name.len() + Span::raw(t.as_str()).width() <= room)
        .unwrap_or_default();
        Line::from(vec![
            Span::styled(name, theme.title()),
            Span::styled(tail, theme.dim()),
        ])
    }

    /// ` • opened ✔ ran ★ right ✗ wrong `: what the marks mean, each glyph
    /// in its own style; tighter when narrow (a glyph that is a letter, as
    /// ASCII's `o`, keeps its space so it does not read as part of a word).
    fn legend(&self, room: usize) -> Line<'static> {
        let (theme, glyphs) = (self.theme, self.glyphs());
        let items = [
            (glyphs.opened, theme.text(), "opened", "open"),
            (theme.glyphs().done, theme.done(), "ran", "ran"),
            (glyphs.right, theme.good(), "right", "right"),
            (glyphs.wrong, theme.warn(), "wrong", "wrong"),
        ];
        let line = |short: bool, tight: bool| {
            let mut spans = vec![Span::raw(" ")];
            for (glyph, style, long_name, short_name) in items {
                let gap = if tight && !glyph.is_alphanumeric() {
                    ""
                } else {
                    " "
                };
                let name = if short { short_name } else { long_name };
                spans.push(Span::styled(glyph.to_string(), style));
                spans.push(Span::styled(format!("{gap}{name} "), theme.dim()));
            }
            Line::from(spans)
        };
        [line(false, false), line(true, false)]
            .into_iter()
            .find(|l| l.width() <= room)
            .unwrap_or_else(|| line(true, true))
    }

    /// `/sem█  1/8`: the filter (with a cursor while typing) and how many
    /// lessons it lets through.
    fn filter_line(&self, width: u16) -> Line<'static> {
        let theme = self.theme;
        let mut spans = vec![
            Span::styled("/", theme.key()),
            Span::styled(self.state.filter.clone(), theme.text()),
        ];
        if self.state.filtering {
            spans.push(Span::styled(self.glyphs().cursor.to_string(), theme.key()));
        }
        let count = format!(
            "  {}/{}",
            self.state.visible(self.catalog).len(),
            self.catalog.lessons.len()
        );
        let used: usize = spans.iter().map(Span::width).sum();
        if used + count.len() <= usize::from(width) {
            spans.push(Span::styled(count, theme.dim()));
        }
        Line::from(spans)
    }

    /// How wide the id column is and whether the title hooks fit, decided
    /// over the whole catalog (not the filtered rows) so rows do not jump
    /// sideways while the filter changes. Hooks are shown only if every
    /// one fits whole: a column of clipped phrases is noise, and the
    /// preview has the full title anyway.
    fn columns(&self, width: u16) -> Columns {
        let widest = |text: fn(&Lesson) -> &str| {
            self.catalog
                .lessons
                .iter()
                .map(|l| Span::raw(text(l)).width())
                .max()
                .unwrap_or(0)
        };
        let id = widest(|l| &l.id);
        let room = usize::from(width).saturating_sub(LESSON_PREFIX + id + HOOK_GAP.len());
        Columns {
            id,
            hooks: widest(|l| hook(&l.title)) <= room,
        }
    }

    fn row_line(&self, row: &Row, selected: bool, columns: Columns, width: u16) -> Line<'static> {
        let width = usize::from(width);
        match row {
            Row::Gap => Line::default(),
            Row::Chapter(chapter) => Line::styled(
                fit(
                    &format!("{}. {}", chapter.number, chapter.title),
                    width,
                    self.glyphs().ellipsis,
                ),
                self.theme.heading(),
            ),
            Row::Lesson(lesson) => self.lesson_line(lesson, selected, columns, width),
        }
    }

    /// `▶•✔★ 11 semaphore   Waves of three`: selection marker, the three
    /// marks, the folder number, the id, and the title's first phrase when
    /// there is room for it.
    fn lesson_line(
        &self,
        lesson: &Lesson,
        selected: bool,
        columns: Columns,
        width: usize,
    ) -> Line<'static> {
        let theme = self.theme;
        let marker = if selected { theme.glyphs().marker } else { ' ' };
        let mut spans = vec![Span::styled(marker.to_string(), theme.key())];
        spans.extend(self.mark_spans(self.progress.marks(&lesson.id)));
        spans.push(Span::styled(format!(" {:02} ", lesson.number), theme.dim()));

        let room = width.saturating_sub(LESSON_PREFIX);
        let id = fit(&lesson.id, room, self.glyphs().ellipsis);
        let id_style = if selected {
            theme.title()
        } else {
            theme.text()
        };
        let id_width = columns.id;
        spans.push(Span::styled(format!("{id:<id_width$}"), id_style));
        if columns.hooks {
            spans.push(Span::raw(HOOK_GAP));
            spans.push(Span::styled(hook(&lesson.title).to_string(), theme.dim()));
        }
        Line::from(spans)
    }

    /// One column per mark, a blank where the mark is not earned. The
    /// third tells the last answer: a star when right, a cross when wrong
    /// (the learner can try again), blank when never answered.
    fn mark_spans(&self, marks: Marks) -> [Span<'static>; 3] {
        let (theme, glyphs) = (self.theme, self.glyphs());
        let mark = |on: bool, glyph: char, style| {
            Span::styled(if on { glyph } else { ' ' }.to_string(), style)
        };
        let answer = match marks.predicted {
            Some(Prediction::Right) => mark(true, glyphs.right, theme.good()),
            Some(Prediction::Wrong) => mark(true, glyphs.wrong, theme.warn()),
            None => mark(false, ' ', theme.text()),
        };
        // A file edited by hand may say finished without opened.
        let opened = marks.opened || marks.finished || marks.predicted.is_some();
        [
            mark(opened, glyphs.opened, theme.text()),
            mark(marks.finished, theme.glyphs().done, theme.done()),
            answer,
        ]
    }

    fn render_preview(&self, area: Rect, buf: &mut Buffer) {
        let block = Block::bordered()
            .border_set(self.theme.border_set())
            .border_style(self.theme.border())
            .title(Line::styled(" Preview ", self.theme.title()))
            .padding(Padding::horizontal(1));
        let mut inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        // Lines longer than this are hard to read on a wide terminal.
        inner.width = inner.width.min(PREVIEW_MAX_TEXT_WIDTH);
        let lines = match self.state.selected_lesson(self.catalog) {
            Some(lesson) => self.preview_lines(lesson, inner.width),
            None => vec![Line::styled("No lesson selected.", self.theme.dim())],
        };
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(inner, buf);
        // The no-break spaces kept times whole while wrapping; on screen
        // they are plain spaces (and ASCII in `--ascii`).
        for y in inner.top()..inner.bottom() {
            for x in inner.left()..inner.right() {
                if buf[(x, y)].symbol() == "\u{a0}" {
                    buf[(x, y)].set_symbol(" ");
                }
            }
        }
    }

    /// What the selected lesson is about, top to bottom in order of use:
    /// what it is and its scenario, what can be changed, what to predict,
    /// and how the learner did. Never the story: it tells the outcome.
    fn preview_lines(&self, lesson: &Lesson, width: u16) -> Vec<Line<'static>> {
        let theme = self.theme;
        let chapter = chapter_of(self.catalog, lesson);
        let mut lines = vec![
            Line::styled(lesson.title.clone(), theme.title()),
            Line::styled(
                match chapter {
                    Some(c) => format!(
                        "Chapter {} {} {}",
                        c.number,
                        self.glyphs().separator,
                        c.title
                    ),
                    None => format!("Chapter {}", lesson.chapter),
                },
                theme.dim(),
            ),
            Line::default(),
            Line::styled(introduction(lesson), theme.text()),
        ];
        lines.extend(self.knob_lines(lesson, width));
        lines.extend(self.predict_lines(lesson, width));
        lines.push(Line::default());
        lines.push(Line::styled(
            record(self.progress.marks(&lesson.id)),
            theme.dim(),
        ));
        lines
    }

    /// `requests = 20  how many requests are spawned`, one line a knob
    /// (the help cut short if need be: the knobs editor shows it whole),
    /// under a heading.
    fn knob_lines(&self, lesson: &Lesson, width: u16) -> Vec<Line<'static>> {
        if lesson.knobs.is_empty() {
            return Vec::new();
        }
        let theme = self.theme;
        let settings: Vec<String> = lesson
            .knobs
            .iter()
            .map(|k| format!("{} = {}", k.name, k.default_value()))
            .collect();
        let column = settings
            .iter()
            .map(|s| Span::raw(s.as_str()).width())
            .max()
            .unwrap_or(0);
        let room = usize::from(width).saturating_sub(column + 2);
        let mut lines = vec![Line::default(), Line::styled("Knobs", theme.heading())];
        for (knob, setting) in lesson.knobs.iter().zip(settings) {
            let mut spans = vec![Span::styled(format!("{setting:<column$}"), theme.code())];
            if room >= 6 {
                let help = fit(&knob.help, room, self.glyphs().ellipsis);
                spans.push(Span::styled(format!("  {help}"), theme.dim()));
            }
            lines.push(Line::from(spans));
        }
        lines
    }

    /// The question and its numbered choices, packed side by side as far as
    /// the width allows. Never the answer: the learner is to guess.
    fn predict_lines(&self, lesson: &Lesson, width: u16) -> Vec<Line<'static>> {
        let theme = self.theme;
        let mut lines = vec![
            Line::default(),
            Line::styled("Predict", theme.heading()),
            Line::styled(
                super::glue_units(&lesson.question(&lesson.default_knobs())),
                theme.text(),
            ),
        ];
        let mut line: Vec<Span<'static>> = Vec::new();
        for (n, choice) in lesson.predict.choices.iter().enumerate() {
            let item = [
                Span::styled(format!("{}", n + 1), theme.key()),
                Span::styled(format!(") {choice}"), theme.text()),
            ];
            let line_width: usize = line.iter().map(Span::width).sum();
            let item_width: usize = item.iter().map(Span::width).sum();
            let gap = if line.is_empty() { 0 } else { 3 };
            if !line.is_empty() && line_width + gap + item_width > usize::from(width) {
                lines.push(Line::from(std::mem::take(&mut line)));
            } else if !line.is_empty() {
                line.push(Span::raw("   "));
            }
            line.extend(item);
        }
        if !line.is_empty() {
            lines.push(Line::from(line));
        }
        lines
    }
}

/// The list's panel and the preview's, side by side; only the list below
/// `PREVIEW_MIN_WIDTH`. The list gets two fifths, within reason.
fn split(area: Rect) -> (Rect, Option<Rect>) {
    if area.width < PREVIEW_MIN_WIDTH {
        return (area, None);
    }
    let list_width = (area.width * 2 / 5).clamp(30, 56);
    let list = Rect {
        width: list_width,
        ..area
    };
    let preview = Rect {
        x: area.x + list_width,
        width: area.width - list_width,
        ..area
    };
    (list, Some(preview))
}

/// Where the list's parts go in its panel: a filter line on top when
/// there is a filter to show.
fn list_layout(state: &PickerState, panel: Rect) -> ListLayout {
    let inner = Block::bordered().inner(panel);
    let has_filter = state.filtering || !state.filter.is_empty();
    if !has_filter || inner.height == 0 {
        return ListLayout {
            panel,
            filter: None,
            rows: inner,
        };
    }
    let (filter, rows) = take_top_row(inner);
    ListLayout {
        panel,
        filter: Some(filter),
        rows,
    }
}

/// The first row of `area`, and the rest.
fn take_top_row(area: Rect) -> (Rect, Rect) {
    let top = Rect { height: 1, ..area };
    let rest = Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    };
    (top, rest)
}

/// `Waves of three: tokio::sync::Semaphore` → `Waves of three`: titles
/// lead with a short phrase, then the API, and the list has room for the
/// phrase.
fn hook(title: &str) -> &str {
    title.split_once(": ").map_or(title, |(hook, _)| hook)
}

/// What the preview says the lesson is: the first paragraph of its
/// scenario (written to be read before the run), or its one-line summary
/// while it has no scenario.
fn introduction(lesson: &Lesson) -> String {
    let scenario = first_paragraph(lesson.scenario);
    if scenario.is_empty() {
        lesson.summary.clone()
    } else {
        scenario
    }
}

/// How the learner did, in words (the list says it in glyphs):
/// `Ran to the end; last prediction wrong.`
fn record(marks: Marks) -> String {
    let done = if marks.finished {
        "Ran to the end"
    } else if marks.opened || marks.predicted.is_some() {
        "Opened, not yet run to the end"
    } else {
        "Not opened yet"
    };
    match marks.predicted {
        Some(Prediction::Right) => format!("{done}; last prediction right."),
        Some(Prediction::Wrong) => format!("{done}; last prediction wrong."),
        None => format!("{done}."),
    }
}

/// A Markdown text's first paragraph as plain text: headings and other
/// blocks before it skipped, markup dropped, lines joined.
fn first_paragraph(markdown: &str) -> String {
    let mut text = String::new();
    let mut inside = false;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Paragraph) => inside = true,
            Event::End(TagEnd::Paragraph) if inside => break,
            Event::Text(t) | Event::Code(t) if inside => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak if inside => text.push(' '),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use ratatui::style::Modifier;

    use super::*;
    use crate::catalog::catalog;
    use crate::ui::action::Action;

    fn cat() -> &'static Catalog {
        catalog().expect("the lessons are consistent")
    }

    const COLOR: Theme = Theme::COLOR;

    fn render(state: &PickerState, progress: &Progress, theme: &Theme, w: u16, h: u16) -> Buffer {
        let view = PickerView {
            state,
            catalog: cat(),
            progress,
            theme,
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        (&view).render(buf.area, &mut buf);
        buf
    }

    /// The buffer as text, one line a row, trailing blanks trimmed.
    fn text(buf: &Buffer) -> String {
        let area = buf.area;
        (area.top()..area.bottom())
            .map(|y| {
                let row: String = (area.left()..area.right())
                    .map(|x| buf[(x, y)].symbol())
                    .collect();
                row.trim_end().to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The row (its text) where `needle` first appears.
    fn row_with(buf: &Buffer, needle: &str) -> Option<(u16, String)> {
        text(buf)
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(needle))
            .map(|(y, l)| (y as u16, l.to_string()))
    }

    /// The screen column where `needle` starts in a row of text.
    fn column_of(row: &str, needle: &str) -> u16 {
        row[..row.find(needle).unwrap()].chars().count() as u16
    }

    fn on(id: &str) -> PickerState {
        let mut state = PickerState::new(cat());
        state.select(id);
        state
    }

    /// Some progress: the first lesson done and predicted right, the second
    /// opened, the semaphore answered wrongly.
    fn some_progress() -> Progress {
        let mut progress = Progress::in_memory();
        let first = &cat().lessons[0].id;
        progress.mark_finished(first);
        progress.mark_predicted(first, true);
        progress.mark_opened(&cat().lessons[1].id);
        progress.mark_predicted("queue", false);
        progress
    }

    #[test]
    fn lists_every_chapter_and_lesson_with_a_preview() {
        let buf = render(&on("semaphore"), &Progress::in_memory(), &COLOR, 200, 60);
        let screen = text(&buf);
        for chapter in &cat().chapters {
            assert!(
                screen.contains(&format!("{}. {}", chapter.number, chapter.title)),
                "{screen}"
            );
        }
        for lesson in &cat().lessons {
            assert!(
                screen.contains(&format!("{:02} {}", lesson.number, lesson.id)),
                "{screen}"
            );
        }
        let semaphore = cat().lesson("semaphore").unwrap();
        let intro = introduction(semaphore);
        let intro_start = intro.split(' ').take(5).collect::<Vec<_>>().join(" ");
        for expected in [
            " Lessons ",
            " Preview ",
            semaphore.title.as_str(),
            "Chapter 3 · Limits and flow",
            intro_start.as_str(),
            "Knobs",
            "permits = 3    how many requests may work at once",
            "Predict",
            "1) 0.5 s   2) 3.3 s   3) 3.5 s   4) 10.0 s",
            "Not opened yet.",
        ] {
            assert!(
                screen.contains(expected),
                "missing {expected:?} in\n{screen}"
            );
        }
        // The question is there; the story that would answer it is not yet.
        assert!(screen.contains("When does the last request finish?"));
        assert!(!screen.contains("done at 3.5 s"), "{screen}");
    }

    #[test]
    fn the_story_never_shows_in_the_picker() {
        // Answered, run: the story (which tells what happens, and when)
        // stays out of the picker all the same.
        let story = first_paragraph(cat().lesson("semaphore").unwrap().story);
        assert!(!story.is_empty());
        let story_start = story.split(' ').take(5).collect::<Vec<_>>().join(" ");
        let mut progress = Progress::in_memory();
        for step in 0..3 {
            match step {
                1 => {
                    progress.mark_predicted("semaphore", false);
                }
                2 => {
                    progress.mark_finished("semaphore");
                }
                _ => {}
            }
            let screen = text(&render(&on("semaphore"), &progress, &COLOR, 200, 60));
            assert!(!screen.contains(&story_start), "{screen}");
            assert!(!screen.contains("done at 3.5 s"), "{screen}");
        }
        let screen = text(&render(&on("semaphore"), &progress, &COLOR, 200, 60));
        assert!(
            screen.contains("Ran to the end; last prediction wrong."),
            "{screen}"
        );
    }

    #[test]
    fn the_preview_introduces_with_the_scenario_or_the_summary() {
        for lesson in &cat().lessons {
            let intro = introduction(lesson);
            assert!(!intro.is_empty(), "{}", lesson.id);
            if lesson.scenario.trim().is_empty() {
                assert_eq!(intro, lesson.summary, "{}", lesson.id);
            } else {
                assert_eq!(intro, first_paragraph(lesson.scenario), "{}", lesson.id);
                assert!(!intro.contains('`') && !intro.contains("**"), "{intro}");
            }
        }
    }

    #[test]
    fn the_record_says_the_marks_in_words() {
        let marks = |opened, finished, predicted| Marks {
            opened,
            finished,
            predicted,
        };
        assert_eq!(record(Marks::default()), "Not opened yet.");
        assert_eq!(
            record(marks(true, false, None)),
            "Opened, not yet run to the end."
        );
        assert_eq!(
            record(marks(true, true, Some(Prediction::Right))),
            "Ran to the end; last prediction right."
        );
        assert_eq!(
            record(marks(true, false, Some(Prediction::Wrong))),
            "Opened, not yet run to the end; last prediction wrong."
        );
        // A file edited by hand may leave `opened` out.
        assert_eq!(
            record(marks(false, false, Some(Prediction::Wrong))),
            "Opened, not yet run to the end; last prediction wrong."
        );
        assert_eq!(record(marks(false, true, None)), "Ran to the end.");
    }

    #[test]
    fn finished_or_answered_shows_as_opened_too() {
        let (state, progress) = (on("semaphore"), Progress::in_memory());
        let view = PickerView {
            state: &state,
            catalog: cat(),
            progress: &progress,
            theme: &COLOR,
        };
        let glyphs = |marks| {
            view.mark_spans(marks)
                .iter()
                .map(|s| s.content.to_string())
                .collect::<String>()
        };
        let marks = |opened, finished, predicted| Marks {
            opened,
            finished,
            predicted,
        };
        assert_eq!(glyphs(marks(false, true, None)), "•✔ ");
        assert_eq!(glyphs(marks(false, false, Some(Prediction::Wrong))), "• ✗");
        assert_eq!(glyphs(marks(true, false, None)), "•  ");
        assert_eq!(glyphs(Marks::default()), "   ");
    }

    #[test]
    fn marks_are_glyphs_in_their_own_columns() {
        let progress = some_progress();
        let first = cat().lessons[0];
        let second = cat().lessons[1];
        let buf = render(&on("semaphore"), &progress, &COLOR, 80, 24);
        let (_, row) = row_with(&buf, &format!("{:02} {}", first.number, first.id)).unwrap();
        assert!(
            row.starts_with("│ •✔★ "),
            "opened, ran, predicted right: {row:?}"
        );
        let (_, row) = row_with(&buf, &format!("{:02} {}", second.number, second.id)).unwrap();
        assert!(row.starts_with("│ •   "), "opened only: {row:?}");
        let (y, row) = row_with(&buf, "14 queue").unwrap();
        assert!(
            row.starts_with("│ • ✗ "),
            "a wrong answer has its own mark, not the star: {row:?}"
        );
        assert_eq!(buf[(4, y)].fg, COLOR.warn().fg.unwrap());
        let (_, row) = row_with(&buf, "11 semaphore").unwrap();
        assert!(row.starts_with("│▶    "), "nothing yet: {row:?}");
        // The legend, tightened beside the scroll arrow (the list is longer
        // than the screen).
        assert!(
            text(&buf).contains("╰ •open ✔ran ★right ✗wrong ─ ↓ ╯"),
            "the legend: {}",
            text(&buf)
        );
        // Without colour, the same glyphs tell the same marks.
        let plain = render(&on("semaphore"), &progress, &Theme::NO_COLOR, 80, 24);
        assert_eq!(
            row_with(&plain, "14 queue").unwrap().1,
            row_with(&buf, "14 queue").unwrap().1
        );
    }

    #[test]
    fn ascii_draws_only_ascii() {
        let theme = Theme {
            ascii: true,
            ..COLOR
        };
        let mut state = on("semaphore");
        state.apply(Action::StartFilter, cat());
        let buf = render(&state, &some_progress(), &theme, 80, 24);
        let screen = text(&buf);
        assert!(screen.is_ascii(), "{screen}");
        let first = cat().lessons[0];
        let (_, row) = row_with(&buf, &format!("{:02} {}", first.number, first.id)).unwrap();
        assert!(row.starts_with("| o*+ "), "{row:?}");
        assert!(
            row_with(&buf, "14 queue").unwrap().1.starts_with("| o - "),
            "a wrong answer: {screen}"
        );
        assert!(
            screen.contains("+ o open *ran +right -wrong  v +"),
            "{screen}"
        );
        // Tight beside the arrow, the letter `o` keeps its space.
        let screen = text(&render(&state, &some_progress(), &theme, 80, 10));
        assert!(
            screen.contains("+ o open *ran +right -wrong  v +"),
            "{screen}"
        );
        assert!(
            row_with(&buf, "11 semaphore")
                .unwrap()
                .1
                .starts_with("|>    ")
        );
        assert!(screen.contains("/_"), "the cursor: {screen}");
        assert!(screen.contains("Chapter 3 - Limits and flow"));
    }

    #[test]
    fn the_selection_is_highlighted_and_marked() {
        let buf = render(&on("semaphore"), &Progress::in_memory(), &COLOR, 80, 24);
        let (y, row) = row_with(&buf, "11 semaphore").unwrap();
        assert!(row.contains('▶'));
        let x = column_of(&row, "semaphore");
        let cell = &buf[(x - 2, y)];
        assert_eq!(cell.bg, COLOR.selected().bg.unwrap());
        assert!(cell.modifier.contains(Modifier::BOLD));
        // Other rows are not.
        let (y, _) = row_with(&buf, "14 queue").unwrap();
        assert_ne!(buf[(5, y)].bg, COLOR.selected().bg.unwrap());
        let (y, row) = row_with(&buf, "14 queue").unwrap();
        assert!(!row.contains('▶'), "{y}: {row}");
    }

    #[test]
    fn without_colour_the_selection_is_reversed() {
        let theme = Theme {
            color: false,
            ..COLOR
        };
        let buf = render(&on("semaphore"), &Progress::in_memory(), &theme, 80, 24);
        let (y, _) = row_with(&buf, "11 semaphore").unwrap();
        assert!(buf[(10, y)].modifier.contains(Modifier::REVERSED));
        let colours = buf
            .content()
            .iter()
            .any(|c| c.fg != ratatui::style::Color::Reset || c.bg != ratatui::style::Color::Reset);
        assert!(!colours, "NO_COLOR: no colour at all");
    }

    #[test]
    fn the_filter_line_while_typing_and_after() {
        let mut state = PickerState::new(cat());
        state.apply(Action::StartFilter, cat());
        for c in "sem".chars() {
            state.apply(Action::FilterChar(c), cat());
        }
        let total = cat().lessons.len();
        let screen = text(&render(&state, &Progress::in_memory(), &COLOR, 80, 24));
        assert!(screen.contains(&format!("│/sem█  1/{total}")), "{screen}");
        assert!(screen.contains("3. Limits and flow"));
        assert!(
            !screen.contains("1. Foundations"),
            "chapters without a match are hidden"
        );
        assert!(!screen.contains("14 queue"));
        assert!(
            row_with(
                &render(&state, &Progress::in_memory(), &COLOR, 80, 24),
                "11 semaphore"
            )
            .unwrap()
            .1
            .contains('▶')
        );

        state.apply(Action::FinishFilter, cat());
        let screen = text(&render(&state, &Progress::in_memory(), &COLOR, 80, 24));
        assert!(
            screen.contains(&format!("│/sem  1/{total}")),
            "no cursor once kept: {screen}"
        );

        state.apply(Action::CancelFilter, cat());
        let screen = text(&render(&state, &Progress::in_memory(), &COLOR, 80, 24));
        assert!(!screen.contains("│/"), "{screen}");
    }

    #[test]
    fn a_filter_that_matches_nothing_says_so() {
        let mut state = PickerState::new(cat());
        state.apply(Action::StartFilter, cat());
        for c in "zzz".chars() {
            state.apply(Action::FilterChar(c), cat());
        }
        let screen = text(&render(&state, &Progress::in_memory(), &COLOR, 80, 24));
        assert!(
            screen.contains("No lesson matches this filter."),
            "{screen}"
        );
        assert!(screen.contains("No lesson selected."), "{screen}");
    }

    /// The app's part: after each action, keep the selection in view.
    fn keep_in_view(state: &mut PickerState, w: u16, h: u16) {
        let shown = PickerView::list_rows_shown(state, Rect::new(0, 0, w, h));
        state.keep_in_view(cat(), shown);
    }

    /// The first list row drawn (the row under the top border), without
    /// the preview beside it.
    fn first_row_drawn(buf: &Buffer) -> String {
        let width = usize::from(split(buf.area).0.width);
        let line = text(buf).lines().nth(1).unwrap_or_default().to_string();
        line.chars().take(width).collect()
    }

    #[test]
    fn scrolling_keeps_the_selection_in_sight() {
        // Ten rows: fewer than the chapters and lessons need.
        let mut state = PickerState::new(cat());
        let progress = Progress::in_memory();
        for step in 0..cat().lessons.len() * 2 {
            let id = state.selected_lesson(cat()).unwrap().id.clone();
            let buf = render(&state, &progress, &COLOR, 80, 10);
            let number = cat().lesson(&id).unwrap().number;
            let (_, row) = row_with(&buf, &format!("{number:02} {id}"))
                .unwrap_or_else(|| panic!("step {step}: {id} not shown:\n{}", text(&buf)));
            assert!(row.contains('▶'));
            // Drawing with the scroll kept, or with a stale one, shows the
            // same: the view draws from the state's scroll when it is good.
            let stale = render(&state, &progress, &COLOR, 80, 10);
            keep_in_view(&mut state, 80, 10);
            let kept = render(&state, &progress, &COLOR, 80, 10);
            assert_eq!(text(&stale), text(&kept), "step {step}");
            let action = if step < cat().lessons.len() {
                Action::Down
            } else {
                Action::Up
            };
            state.apply(action, cat());
        }
        // Back at the top, the first chapter's title shows again.
        state.apply(Action::Top, cat());
        let screen = text(&render(&state, &progress, &COLOR, 80, 10));
        assert!(screen.contains("1. Foundations"), "{screen}");
    }

    #[test]
    fn the_view_does_not_write_the_scroll_and_does_not_jump() {
        let progress = Progress::in_memory();
        let mut state = PickerState::new(cat());
        state.apply(Action::Bottom, cat());
        let before = state.clone();
        let buf = render(&state, &progress, &COLOR, 80, 10);
        assert_eq!(state, before, "drawing changed nothing");
        assert_eq!(state.scroll(), 0, "stale");
        let last = cat().lessons.last().unwrap();
        let (_, row) = row_with(&buf, &format!("{:02} {}", last.number, last.id)).unwrap();
        assert!(row.contains('▶'), "still shows the selection");

        // Kept in view at the bottom, one step up does not move the list.
        keep_in_view(&mut state, 80, 10);
        let top = first_row_drawn(&render(&state, &progress, &COLOR, 80, 10));
        state.apply(Action::Up, cat());
        keep_in_view(&mut state, 80, 10);
        let buf = render(&state, &progress, &COLOR, 80, 10);
        assert_eq!(first_row_drawn(&buf), top, "{}", text(&buf));
    }

    #[test]
    fn list_rows_shown_is_the_row_area_drawn() {
        let state = PickerState::new(cat());
        let area = Rect::new(0, 0, 80, 24);
        assert_eq!(
            PickerView::list_rows_shown(&state, area),
            22,
            "less the border"
        );
        let mut filtering = state.clone();
        filtering.apply(Action::StartFilter, cat());
        assert_eq!(
            PickerView::list_rows_shown(&filtering, area),
            21,
            "less the filter line"
        );
        assert_eq!(
            PickerView::list_rows_shown(&state, Rect::new(0, 0, 40, 10)),
            8
        );
        assert_eq!(
            PickerView::list_rows_shown(&state, Rect::new(0, 0, 5, 1)),
            0
        );
        assert_eq!(PickerView::list_rows_shown(&filtering, Rect::default()), 0);
    }

    #[test]
    fn scroll_arrows_say_there_is_more() {
        let mut state = PickerState::new(cat());
        let progress = Progress::in_memory();
        let screen = text(&render(&state, &progress, &COLOR, 80, 10));
        assert!(screen.lines().last().unwrap().contains(" ↓ "), "{screen}");
        assert!(!screen.lines().next().unwrap().contains(" ↑ "));
        state.apply(Action::Bottom, cat());
        let screen = text(&render(&state, &progress, &COLOR, 80, 10));
        assert!(screen.lines().next().unwrap().contains(" ↑ "), "{screen}");
        assert!(!screen.lines().last().unwrap().contains(" ↓ "));
    }

    #[test]
    fn narrow_screens_drop_the_preview() {
        let buf = render(
            &on("semaphore"),
            &Progress::in_memory(),
            &COLOR,
            PREVIEW_MIN_WIDTH - 1,
            24,
        );
        let screen = text(&buf);
        assert!(!screen.contains("Preview"), "{screen}");
        assert!(screen.contains("11 semaphore"));
        let buf = render(
            &on("semaphore"),
            &Progress::in_memory(),
            &COLOR,
            PREVIEW_MIN_WIDTH,
            24,
        );
        assert!(text(&buf).contains(" Preview "));
    }

    #[test]
    fn tiny_areas_do_not_panic() {
        let mut state = on("semaphore");
        let progress = some_progress();
        for (w, h) in [(0, 0), (1, 1), (10, 3), (3, 10), (30, 2), (61, 3), (200, 1)] {
            render(&state, &progress, &COLOR, w, h);
            let theme = Theme {
                ascii: true,
                color: false,
                ..COLOR
            };
            render(&state, &progress, &theme, w, h);
        }
        state.apply(Action::StartFilter, cat());
        for (w, h) in [(1, 1), (10, 3), (4, 4)] {
            render(&state, &progress, &COLOR, w, h);
        }
    }

    #[test]
    fn a_click_finds_the_lesson_under_it() {
        let state = on("semaphore");
        let progress = Progress::in_memory();
        let theme = COLOR;
        let view = PickerView {
            state: &state,
            catalog: cat(),
            progress: &progress,
            theme: &theme,
        };
        let area = Rect::new(0, 0, 80, 24);
        let mut buf = Buffer::empty(area);
        (&view).render(area, &mut buf);
        let (y, _) = row_with(&buf, "14 queue").unwrap();
        assert_eq!(
            view.lesson_at(area, 10, y).map(|l| l.id.as_str()),
            Some("queue")
        );
        let (y, _) = row_with(&buf, "1. Foundations").unwrap();
        assert!(view.lesson_at(area, 10, y).is_none(), "a chapter title");
        assert!(view.lesson_at(area, 0, y + 1).is_none(), "the border");
        assert!(view.lesson_at(area, 60, y + 1).is_none(), "the preview");
    }

    #[test]
    fn a_click_agrees_with_what_is_drawn_even_with_a_stale_scroll() {
        let progress = Progress::in_memory();
        let theme = COLOR;
        let area = Rect::new(0, 0, 80, 10);
        let mut state = PickerState::new(cat());
        for kept in [false, true] {
            for action in [
                Action::Bottom,
                Action::Top,
                Action::PageDown,
                Action::Bottom,
            ] {
                state.apply(action, cat());
                if kept {
                    keep_in_view(&mut state, area.width, area.height);
                }
                let view = PickerView {
                    state: &state,
                    catalog: cat(),
                    progress: &progress,
                    theme: &theme,
                };
                let mut buf = Buffer::empty(area);
                (&view).render(area, &mut buf);
                for lesson in &cat().lessons {
                    let clicked = row_with(&buf, &format!("{:02} {}", lesson.number, lesson.id))
                        .and_then(|(y, _)| view.lesson_at(area, 10, y));
                    let shown = text(&buf).contains(&format!("{:02} {}", lesson.number, lesson.id));
                    assert_eq!(
                        clicked.map(|l| l.id.as_str()),
                        shown.then_some(lesson.id.as_str()),
                        "{}",
                        text(&buf)
                    );
                }
            }
        }
    }

    #[test]
    fn the_title_tells_the_overall_progress_as_room_allows() {
        let progress = some_progress();
        let n = cat().lessons.len();
        let screen = text(&render(&on("semaphore"), &progress, &COLOR, 120, 36));
        assert!(
            screen.contains(&format!(" Lessons · 1/{n} ran · 1 predicted right ")),
            "{screen}"
        );
        let screen = text(&render(&on("semaphore"), &progress, &COLOR, 80, 24));
        assert!(
            screen.contains(&format!(" Lessons · 1/{n} ran · 1 right ")),
            "{screen}"
        );
        // Narrow, beside the scroll arrow: the count still fits.
        let screen = text(&render(&on("semaphore"), &progress, &COLOR, 26, 10));
        let top = screen.lines().next().unwrap();
        assert!(top.contains(&format!(" Lessons · 1/{n} ran ")), "{top}");
        let screen = text(&render(&on("semaphore"), &progress, &COLOR, 14, 10));
        assert!(screen.lines().next().unwrap().contains(" Lessons "));
        let ascii = Theme {
            ascii: true,
            ..COLOR
        };
        let screen = text(&render(&on("semaphore"), &progress, &ascii, 120, 36));
        assert!(
            screen.contains(&format!(" Lessons - 1/{n} ran - 1 predicted right ")),
            "{screen}"
        );
    }

    #[test]
    fn the_legend_tightens_to_fit_beside_the_arrow() {
        let progress = Progress::in_memory();
        // 80 columns: a 32-column list, 30 inside, 27 beside the arrow.
        let screen = text(&render(&on("semaphore"), &progress, &COLOR, 80, 10));
        let bottom = screen.lines().last().unwrap();
        assert_eq!(
            bottom
                .split('╮')
                .next()
                .unwrap_or(bottom)
                .chars()
                .take(32)
                .collect::<String>(),
            "╰ •open ✔ran ★right ✗wrong ─ ↓ ╯"
        );
        let screen = text(&render(&on("semaphore"), &progress, &COLOR, 120, 36));
        let bottom = screen.lines().last().unwrap();
        assert!(
            bottom.contains("• opened ✔ ran ★ right ✗ wrong"),
            "{bottom}"
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(fit("semaphore", 9, "…"), "semaphore");
        assert_eq!(fit("semaphore", 5, "…"), "sema…");
        assert_eq!(fit("semaphore", 5, "..."), "se...");
        assert_eq!(fit("semaphore", 2, "..."), "se");
        assert_eq!(fit("semaphore", 0, "…"), "");
        assert_eq!(
            hook("Waves of three: tokio::sync::Semaphore"),
            "Waves of three"
        );
        assert_eq!(hook("No colon"), "No colon");
        assert_eq!(
            first_paragraph("## What happens\n\n`main` spawns\ntwo tasks.\n\nMore."),
            "main spawns two tasks."
        );
        assert_eq!(first_paragraph("Plain.\n## Next"), "Plain.");
        assert_eq!(first_paragraph(""), "");
        assert_eq!(first_paragraph("# Only a heading\n"), "");
        assert_eq!(
            first_paragraph("**Twenty** requests, _three_ [permits](https://docs.rs).  \nThen"),
            "Twenty requests, three permits. Then"
        );
    }

    #[test]
    fn snapshot_80x24() {
        let mut state = on("semaphore");
        state.apply(Action::Down, cat());
        state.apply(Action::Up, cat());
        let buf = render(&state, &some_progress(), &COLOR, 80, 24);
        insta::assert_snapshot!(text(&buf));
    }

    #[test]
    fn snapshot_200x60() {
        let mut progress = some_progress();
        progress.mark_finished("semaphore");
        let buf = render(&on("semaphore"), &progress, &COLOR, 200, 60);
        insta::assert_snapshot!(text(&buf));
    }
}
