//! The story pane: a lesson's Markdown text, formatted for the terminal.
//!
//! [`story_lines`] parses the Markdown with `pulldown-cmark` and lays it out
//! for one width (headings, wrapped paragraphs, bullet lists with hanging
//! indents, indented code blocks wrapped with a continuation glyph); [`StoryPane`] draws the result. Wrapping
//! is done here rather than by `Paragraph` so that list indents hang and
//! inline styles survive a line break.

use std::borrow::Cow;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

use super::code::{char_width, continuation_glyph, expand_tabs, wrap};
use crate::ui::theme::Theme;

/// How far fenced code blocks are indented from the text around them.
const CODE_INDENT: &str = "  ";

pub struct StoryPane<'a> {
    pub lines: &'a [Line<'static>],
    pub title: &'a str,
    /// Index of the first visible line (0-based).
    pub scroll: u16,
    pub focused: bool,
    pub theme: &'a Theme,
}

/// The story laid out for `width` columns: no line is wider than that.
pub fn story_lines(markdown: &str, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    if width == 0 {
        return Vec::new();
    }
    let mut writer = Writer::new(usize::from(width), theme);
    for event in Parser::new(markdown) {
        writer.event(event);
    }
    writer.finish()
}

/// `text` with typographic characters replaced by ASCII look-alikes, for
/// `--ascii`. Anything without one becomes `?`, so the output is always
/// ASCII.
pub fn to_ascii(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(ascii_for(c));
        }
    }
    Cow::Owned(out)
}

fn ascii_for(c: char) -> &'static str {
    match c {
        '×' => "x",
        '–' | '‐' | '‑' | '−' | '•' | '·' => "-",
        '—' => "--",
        '‘' | '’' | '′' | '‚' => "'",
        '“' | '”' | '″' | '„' | '«' | '»' => "\"",
        '…' => "...",
        '→' | '⟶' => "->",
        '←' => "<-",
        '↔' => "<->",
        '⇒' => "=>",
        '≤' => "<=",
        '≥' => ">=",
        '≠' => "!=",
        '≈' | '∼' => "~",
        '÷' => "/",
        '±' => "+/-",
        'µ' | 'μ' => "u",
        '½' => "1/2",
        '▶' | '▸' => ">",
        '◀' => "<",
        '✔' | '✓' => "*",
        '✘' | '✗' => "x",
        '\u{a0}' | '\u{2009}' | '\u{202f}' | '\u{2002}' | '\u{2003}' => " ",
        '\u{200b}' | '\u{ad}' | '\u{feff}' => "",
        _ => "?",
    }
}

/// A run of inline text in one style. Spaces inside inline code do not
/// break lines (`let _ = x` is read as one thing), unless the code is
/// longer than a line.
struct Piece {
    text: String,
    style: Style,
    keep_together: bool,
}

/// A list item or block quote: what it puts in front of its first line and
/// of the lines after (a hanging indent).
struct Container {
    first: String,
    rest: String,
    style: Style,
    first_used: bool,
}

/// Turns parser events into lines. Inline text collects in `inline` until
/// the block it belongs to ends, then is wrapped in one go.
struct Writer<'t> {
    theme: &'t Theme,
    width: usize,
    out: Vec<Line<'static>>,
    inline: Vec<Piece>,
    /// Bold, italic, underline from `**`, `*` and links, innermost last.
    modifiers: Vec<Modifier>,
    in_heading: bool,
    containers: Vec<Container>,
    /// The next number of each open list; `None` for a bullet list.
    lists: Vec<Option<u64>>,
    /// Text of the fenced or indented code block being read.
    code_block: Option<String>,
}

impl<'t> Writer<'t> {
    fn new(width: usize, theme: &'t Theme) -> Self {
        Writer {
            theme,
            width,
            out: Vec::new(),
            inline: Vec::new(),
            modifiers: Vec::new(),
            in_heading: false,
            containers: Vec::new(),
            lists: Vec::new(),
            code_block: None,
        }
    }

    fn finish(mut self) -> Vec<Line<'static>> {
        self.flush();
        while self.out.last().is_some_and(|l| l.width() == 0) {
            self.out.pop();
        }
        self.out
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => match &mut self.code_block {
                Some(code) => code.push_str(&text),
                None => self.push_text(&text, self.text_style()),
            },
            Event::Code(code) => self.push_code(&code),
            Event::SoftBreak => self.push_text(" ", self.text_style()),
            Event::HardBreak => self.flush(),
            Event::Rule => {
                self.start_block();
                self.rule();
            }
            // HTML (comments, mostly) is for the Markdown source, not the
            // reader; footnotes, math and task lists are not enabled.
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => self.start_block(),
            Tag::Heading { .. } => {
                self.start_block();
                self.in_heading = true;
            }
            Tag::BlockQuote(_) => {
                self.start_block();
                let bar = if self.theme.ascii { "| " } else { "│ " };
                self.push_container(bar.into(), self.theme.dim());
            }
            Tag::CodeBlock(_) => {
                self.start_block();
                self.code_block = Some(String::new());
            }
            Tag::List(first_number) => {
                // A nested list continues its item; a top-level one is a
                // block of its own.
                if self.lists.is_empty() {
                    self.start_block();
                } else {
                    self.flush();
                }
                self.lists.push(first_number);
            }
            Tag::Item => {
                self.flush();
                let marker = self.next_item_marker();
                self.push_container(marker, self.theme.text());
            }
            Tag::Emphasis => self.modifiers.push(Modifier::ITALIC),
            Tag::Strong => self.modifiers.push(Modifier::BOLD),
            Tag::Strikethrough => self.modifiers.push(Modifier::CROSSED_OUT),
            Tag::Link { .. } => self.modifiers.push(Modifier::UNDERLINED),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.flush(),
            TagEnd::Heading(_) => {
                self.flush();
                self.in_heading = false;
            }
            TagEnd::BlockQuote(_) | TagEnd::Item => {
                self.flush();
                self.containers.pop();
            }
            TagEnd::CodeBlock => {
                let code = self.code_block.take().unwrap_or_default();
                self.code_lines(&code);
            }
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link => {
                self.modifiers.pop();
            }
            _ => {}
        }
    }

    /// `• `, `- ` in ASCII, or `3. ` in a numbered list.
    fn next_item_marker(&mut self) -> String {
        match self.lists.last_mut() {
            Some(Some(number)) => {
                let marker = format!("{number}. ");
                *number += 1;
                marker
            }
            _ if self.theme.ascii => "- ".into(),
            _ => "• ".into(),
        }
    }

    fn push_container(&mut self, first: String, style: Style) {
        let rest = " ".repeat(Span::raw(first.as_str()).width());
        self.containers.push(Container {
            first,
            rest,
            style,
            first_used: false,
        });
    }

    fn modifier(&self) -> Modifier {
        self.modifiers
            .iter()
            .fold(Modifier::empty(), |all, m| all | *m)
    }

    fn text_style(&self) -> Style {
        let base = if self.in_heading {
            self.theme.heading()
        } else {
            self.theme.text()
        };
        base.add_modifier(self.modifier())
    }

    fn push_text(&mut self, text: &str, style: Style) {
        self.push_piece(text, style, false);
    }

    fn push_piece(&mut self, text: &str, style: Style, keep_together: bool) {
        let text = if self.theme.ascii {
            to_ascii(text)
        } else {
            text.into()
        };
        self.inline.push(Piece {
            text: text.into_owned(),
            style,
            keep_together,
        });
    }

    /// Inline code. Without colour, `theme.code()` looks like plain text, so
    /// the backticks stay to set it apart.
    fn push_code(&mut self, code: &str) {
        let style = self.theme.code().add_modifier(self.modifier());
        if self.theme.color {
            self.push_piece(code, style, true);
        } else {
            self.push_piece(&format!("`{code}`"), style, true);
        }
    }

    /// A blank line before every block but the first.
    fn start_block(&mut self) {
        self.flush();
        if self.out.last().is_some_and(|l| l.width() > 0) {
            self.out.push(Line::default());
        }
    }

    /// The prefixes of the open containers for the next line, and the
    /// room left after them. A prefix that leaves no room is dropped, so
    /// deep nesting in a narrow pane still shows its text.
    fn prefix(&mut self) -> (Vec<Span<'static>>, usize) {
        let spans: Vec<Span<'static>> = self
            .containers
            .iter_mut()
            .map(|c| {
                let text = if c.first_used {
                    c.rest.clone()
                } else {
                    c.first.clone()
                };
                c.first_used = true;
                Span::styled(text, c.style)
            })
            .collect();
        let used: usize = spans.iter().map(Span::width).sum();
        if used < self.width {
            (spans, self.width - used)
        } else {
            (Vec::new(), self.width)
        }
    }

    fn emit(&mut self, mut spans: Vec<Span<'static>>) {
        let (mut line, _) = self.prefix();
        line.append(&mut spans);
        self.out.push(Line::from(line));
    }

    /// Wraps the collected inline text into lines. The first line's room
    /// can differ from the rest (a bullet against its hanging indent has
    /// the same width, but a dropped prefix does not), so the room is asked
    /// for line by line.
    fn flush(&mut self) {
        if self.inline.is_empty() {
            return;
        }
        let pieces = std::mem::take(&mut self.inline);
        let mut wrapper = Wrapper::default();
        for token in tokens(&pieces) {
            let room = self.room();
            if let Some(line) = wrapper.push(token, room) {
                self.emit(line);
                // A word longer than a line is split; its tail may need
                // more lines still.
                while let Some(line) = wrapper.split_overflow(self.room()) {
                    self.emit(line);
                }
            }
        }
        if let Some(line) = wrapper.finish() {
            self.emit(line);
        }
    }

    /// The room on the next line, without using up a container's first
    /// prefix.
    fn room(&self) -> usize {
        let used: usize = self
            .containers
            .iter()
            .map(|c| {
                Span::raw(if c.first_used {
                    c.rest.as_str()
                } else {
                    c.first.as_str()
                })
                .width()
            })
            .sum();
        if used < self.width {
            self.width - used
        } else {
            self.width
        }
    }

    /// A code block: indented, in the code style, its layout kept. A line
    /// too long for the room wraps as in the code pane ([`wrap`]): the
    /// continuation glyph, dim, where the indent was, and the rest hanging
    /// at the line's own indentation. Nothing is cut.
    fn code_lines(&mut self, code: &str) {
        let code = if self.theme.ascii {
            to_ascii(code)
        } else {
            code.into()
        };
        let style = self.theme.code();
        let glyph = continuation_glyph(self.theme);
        for text in code.lines() {
            let chars: Vec<char> = expand_tabs(text).chars().collect();
            let room = self.room();
            // The indent, unless it would leave next to no room for code.
            let margin = if room >= 2 * CODE_INDENT.len() {
                CODE_INDENT.len()
            } else {
                0
            };
            let wrapped = wrap(&chars, room - margin);
            for (k, range) in wrapped.rows.into_iter().enumerate() {
                let mut spans = Vec::new();
                if k == 0 {
                    spans.push(Span::styled(" ".repeat(margin), style));
                } else if margin > 0 {
                    spans.push(Span::styled(glyph.to_string(), self.theme.dim()));
                    let pad = margin - 1 + wrapped.hang;
                    spans.push(Span::styled(" ".repeat(pad), style));
                } else {
                    spans.push(Span::styled(" ".repeat(wrapped.hang), style));
                }
                let row: String = chars[range].iter().collect();
                // Spaces at a break may run past the room; they show nothing.
                let room = room - spans.iter().map(Span::width).sum::<usize>();
                spans.push(Span::styled(trim_to_width(&row, room), style));
                spans.retain(|s| !s.content.is_empty());
                self.emit(spans);
            }
        }
    }

    fn rule(&mut self) {
        let room = self.room();
        let glyph = if self.theme.ascii { "-" } else { "─" };
        self.emit(vec![Span::styled(glyph.repeat(room), self.theme.dim())]);
        self.out.push(Line::default());
    }
}

/// `text` without the trailing spaces that would take it past `width`,
/// which are all [`wrap`] puts there, but for a char wider than a whole
/// row (a wide one in one column): that is left out rather than overflow.
fn trim_to_width(text: &str, width: usize) -> String {
    let mut out = text.to_string();
    while Span::raw(out.as_str()).width() > width && out.ends_with(' ') {
        out.pop();
    }
    if Span::raw(out.as_str()).width() > width {
        let mut used = 0;
        out.retain(|c| {
            used += char_width(c);
            used <= width
        });
    }
    out
}

/// A unit of wrapping: a word (which may mix styles, as in `**bold**,`) or
/// the space between two words, in the style the space had.
enum Token {
    Word(Vec<(String, Style)>),
    Space(Style),
}

/// Splits styled text at whitespace; runs of whitespace count as one.
fn tokens(pieces: &[Piece]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word: Vec<(String, Style)> = Vec::new();
    for Piece {
        text,
        style,
        keep_together,
    } in pieces
    {
        for c in text.chars() {
            let c = if *keep_together && c.is_whitespace() {
                ' '
            } else {
                c
            };
            if c.is_whitespace() && !keep_together {
                if !word.is_empty() {
                    out.push(Token::Word(std::mem::take(&mut word)));
                }
                if !matches!(out.last(), Some(Token::Space(_))) {
                    out.push(Token::Space(*style));
                }
            } else {
                match word.last_mut() {
                    Some((last, last_style)) if last_style == style => last.push(c),
                    _ => word.push((c.to_string(), *style)),
                }
            }
        }
    }
    if !word.is_empty() {
        out.push(Token::Word(word));
    }
    glue_units(out)
}

/// Units that stay on the line of the number before them: `0.5 s`, not
/// `0.5` at the end of one line and `s` at the start of the next.
const UNITS: [&str; 5] = ["s", "ms", "µs", "us", "ns"];

/// Joins `<number> <unit>` into one word, the space included.
fn glue_units(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut rest = tokens.into_iter().peekable();
    while let Some(token) = rest.next() {
        if let Token::Space(style) = token
            && let (Some(Token::Word(number)), Some(Token::Word(unit))) =
                (out.last_mut(), rest.peek())
            && ends_in_digit(number)
            && is_unit(unit)
        {
            number.push((" ".into(), style));
            if let Some(Token::Word(unit)) = rest.next() {
                number.extend(unit);
            }
            continue;
        }
        out.push(token);
    }
    out
}

fn ends_in_digit(word: &[(String, Style)]) -> bool {
    word.last()
        .and_then(|(text, _)| text.chars().last())
        .is_some_and(|c| c.is_ascii_digit())
}

/// A unit, perhaps followed by punctuation (`0.5 s,` or `3.5 s.`).
fn is_unit(word: &[(String, Style)]) -> bool {
    let text: String = word.iter().map(|(t, _)| t.as_str()).collect();
    UNITS.contains(&text.trim_end_matches(|c: char| c.is_ascii_punctuation()))
}

/// Greedy word wrap, one token at a time.
#[derive(Default)]
struct Wrapper {
    line: Vec<Span<'static>>,
    used: usize,
    space: Option<Style>,
    /// The part of an over-long word that did not fit on its line yet.
    overflow: Vec<(char, Style)>,
}

impl Wrapper {
    /// Adds a token to the line; returns a finished line when it is full.
    fn push(&mut self, token: Token, room: usize) -> Option<Vec<Span<'static>>> {
        match token {
            Token::Space(style) => {
                if self.used > 0 {
                    self.space = Some(style);
                }
                None
            }
            Token::Word(parts) => self.push_word(parts, room),
        }
    }

    fn push_word(
        &mut self,
        parts: Vec<(String, Style)>,
        room: usize,
    ) -> Option<Vec<Span<'static>>> {
        let width: usize = parts
            .iter()
            .flat_map(|(t, _)| t.chars())
            .map(char_width)
            .sum();
        let gap = usize::from(self.space.is_some());
        if self.used > 0 && self.used + gap + width > room {
            // The word starts the next line.
            self.space = None;
            let full = self.take_line();
            if width > room {
                self.overflow = chars_of(parts);
            } else {
                self.append(parts, width);
            }
            return Some(full);
        }
        if let Some(style) = self.space.take() {
            self.append(vec![(" ".into(), style)], 1);
        }
        if self.used + width > room {
            // Longer than a whole line: cut it where the line ends.
            self.overflow = chars_of(parts);
            return self.split_overflow(room);
        }
        self.append(parts, width);
        None
    }

    /// Moves as much of the over-long word as fits onto the line; returns
    /// the line when it is full and more remains.
    fn split_overflow(&mut self, room: usize) -> Option<Vec<Span<'static>>> {
        while let Some(&(c, style)) = self.overflow.first() {
            if c == ' ' && self.used == 0 {
                // A split inline code span does not start a line with a space.
                self.overflow.remove(0);
                continue;
            }
            let w = char_width(c);
            if self.used + w > room {
                if self.used == 0 {
                    // Wider than the whole line (a wide character in one
                    // column): leave it out rather than overflow.
                    self.overflow.remove(0);
                    continue;
                }
                return Some(self.take_line());
            }
            self.overflow.remove(0);
            self.append(vec![(c.to_string(), style)], w);
        }
        None
    }

    fn append(&mut self, parts: Vec<(String, Style)>, width: usize) {
        for (text, style) in parts {
            match self.line.last_mut() {
                Some(last) if last.style == style => last.content.to_mut().push_str(&text),
                _ => self.line.push(Span::styled(text, style)),
            }
        }
        self.used += width;
    }

    fn take_line(&mut self) -> Vec<Span<'static>> {
        self.used = 0;
        std::mem::take(&mut self.line)
    }

    fn finish(mut self) -> Option<Vec<Span<'static>>> {
        (self.used > 0).then(|| self.take_line())
    }
}

fn chars_of(parts: Vec<(String, Style)>) -> Vec<(char, Style)> {
    parts
        .into_iter()
        .flat_map(|(text, style)| text.chars().map(move |c| (c, style)).collect::<Vec<_>>())
        .collect()
}

impl StoryPane<'_> {
    fn block(&self, position: Option<String>) -> Block<'_> {
        self.theme.scrolled_pane(self.title, self.focused, position)
    }
}

impl Widget for &StoryPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let height = usize::from(area.height.saturating_sub(2));
        let total = self.lines.len();
        // Never scroll past the last page: the end of the text stays put.
        let top = usize::from(self.scroll).min(total.saturating_sub(height));
        let bottom = (top + height).min(total);
        // Where the view is, when the text does not fit, so the reader
        // knows there is more.
        let position =
            (total > height && height > 0).then(|| format!(" {}-{}/{} ", top + 1, bottom, total));
        let block = self.block(position);
        let inner = block.inner(area);
        block.render(area, buf);
        for (y, line) in (inner.y..inner.bottom()).zip(&self.lines[top..bottom]) {
            buf.set_line(inner.x, y, line, inner.width);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLOR: Theme = Theme::COLOR;
    const NO_COLOR: Theme = Theme::NO_COLOR;
    const ASCII: Theme = Theme::ASCII;

    fn text(line: &Line<'_>) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    fn texts(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(text).collect()
    }

    /// The style of the first character of `needle` in `line`.
    fn style_at(line: &Line<'_>, needle: &str) -> Style {
        let start = text(line).find(needle).expect(needle);
        let mut offset = 0;
        for span in &line.spans {
            if start < offset + span.content.len() {
                return line.style.patch(span.style);
            }
            offset += span.content.len();
        }
        unreachable!()
    }

    #[test]
    fn headings_and_paragraphs_with_blank_lines_between() {
        let lines = story_lines(
            "## What happens\n\nOne two.\nThree.\n\n## Why\n\nBecause.",
            40,
            &COLOR,
        );
        assert_eq!(
            texts(&lines),
            [
                "What happens",
                "",
                "One two. Three.",
                "",
                "Why",
                "",
                "Because."
            ]
        );
        assert_eq!(lines[0].spans[0].style, COLOR.heading());
        assert_eq!(lines[2].spans[0].style, COLOR.text());
    }

    #[test]
    fn paragraphs_wrap_at_the_width() {
        let lines = story_lines("aaa bbb ccc ddd eee fff", 11, &COLOR);
        assert_eq!(texts(&lines), ["aaa bbb ccc", "ddd eee fff"]);
        let lines = story_lines("aaa bbb ccc ddd", 10, &COLOR);
        assert_eq!(texts(&lines), ["aaa bbb", "ccc ddd"]);
        // A word longer than the line is split rather than overflowing.
        let lines = story_lines("ab abcdefghijkl cd", 5, &COLOR);
        assert_eq!(texts(&lines), ["ab", "abcde", "fghij", "kl cd"]);
        // A number keeps its unit; inline code keeps its spaces.
        let lines = story_lines("wait 0.5 s now", 8, &COLOR);
        assert_eq!(texts(&lines), ["wait", "0.5 s", "now"]);
        let lines = story_lines("Use `let _ = x` here", 12, &COLOR);
        assert_eq!(texts(&lines), ["Use", "let _ = x", "here"]);
        // ...unless the code is longer than a line.
        let lines = story_lines("`let _ = x`", 5, &COLOR);
        assert_eq!(texts(&lines), ["let _", "= x"]);
    }

    #[test]
    fn inline_styles_survive_wrapping() {
        let md = "Use `Semaphore::acquire` with **care** and *taste*, please.";
        let lines = story_lines(md, 24, &COLOR);
        assert_eq!(
            texts(&lines),
            ["Use Semaphore::acquire", "with care and taste,", "please."]
        );
        assert_eq!(style_at(&lines[0], "Semaphore"), COLOR.code());
        assert_eq!(style_at(&lines[0], "Use"), COLOR.text());
        assert!(
            style_at(&lines[1], "care")
                .add_modifier
                .contains(Modifier::BOLD)
        );
        assert!(
            style_at(&lines[1], "taste")
                .add_modifier
                .contains(Modifier::ITALIC)
        );
        // The comma after *taste* sticks to its word but is not italic.
        assert!(
            !style_at(&lines[1], ",")
                .add_modifier
                .contains(Modifier::ITALIC)
        );
    }

    #[test]
    fn inline_code_keeps_backticks_without_colour() {
        let lines = story_lines("Call `join_all` now.", 40, &NO_COLOR);
        assert_eq!(texts(&lines), ["Call `join_all` now."]);
        assert_eq!(style_at(&lines[0], "`join_all`").fg, None);
    }

    #[test]
    fn bullets_hang() {
        let md = "Intro.\n\n- first item that is long\n- second\n  - nested one\n\nAfter.";
        let lines = story_lines(md, 16, &COLOR);
        assert_eq!(
            texts(&lines),
            [
                "Intro.",
                "",
                "• first item",
                "  that is long",
                "• second",
                "  • nested one",
                "",
                "After."
            ]
        );
        let lines = story_lines(md, 16, &ASCII);
        assert_eq!(texts(&lines)[2], "- first item");
        let lines = story_lines("1. one\n2. two", 16, &COLOR);
        assert_eq!(texts(&lines), ["1. one", "2. two"]);
    }

    #[test]
    fn code_blocks_are_indented_and_wrapped() {
        let md =
            "Before.\n\n```rust\nlet x = 1;\n\tlet total = first + second + third;\n```\n\nAfter.";
        let lines = story_lines(md, 30, &COLOR);
        assert_eq!(
            texts(&lines),
            [
                "Before.",
                "",
                "  let x = 1;",
                // The break is after a space, which stays on its row.
                "      let total = first + ",
                // The glyph where the indent was; the rest hangs at the
                // line's own indentation.
                "↪     second + third;",
                "",
                "After."
            ]
        );
        assert_eq!(lines[2].spans[0].style, COLOR.code());
        assert_eq!(style_at(&lines[3], "let"), COLOR.code());
        assert_eq!(style_at(&lines[4], "↪"), COLOR.dim());
        assert_eq!(style_at(&lines[4], "second"), COLOR.code());
        let lines = story_lines(md, 30, &ASCII);
        assert_eq!(texts(&lines)[4], "+     second + third;");
        // Too narrow for the hanging indent: continuation rows start at
        // the glyph, and a word longer than a row is split.
        let lines = story_lines(md, 14, &COLOR);
        assert_eq!(
            texts(&lines)[2..8],
            [
                "  let x = 1;",
                "      let ",
                "↪ total = ",
                "↪ first + ",
                "↪ second + ",
                "↪ third;"
            ]
        );
        let lines = story_lines("```\nabcdefghijklmnopqrstuvwxyz\n```", 12, &COLOR);
        assert_eq!(texts(&lines), ["  abcdefghij", "↪ klmnopqrst", "↪ uvwxyz"]);
        // Inside a list item, under its hanging indent.
        let lines = story_lines("- item\n\n  ```\n  call(first, second)\n  ```", 16, &COLOR);
        assert_eq!(
            texts(&lines),
            ["• item", "", "    call(first, ", "  ↪ second)"]
        );
    }

    #[test]
    fn ascii_mode_is_ascii_only() {
        let md = "## Times × ten\n\n10 × 0.5 s – then — “quoted” it’s… a → b ≤ c, `µs`\n\n- • odd\n\n> quoted\n\n---";
        let lines = story_lines(md, 60, &ASCII);
        for line in &lines {
            assert!(text(line).is_ascii(), "{:?}", text(line));
        }
        let all = texts(&lines).join("\n");
        assert!(
            all.contains("10 x 0.5 s - then -- \"quoted\" it's... a -> b"),
            "{all}"
        );
        assert!(all.contains("<= c, `us`"), "{all}");
    }

    #[test]
    fn no_colour_means_no_colour() {
        let catalog = crate::catalog::catalog().unwrap();
        for lesson in &catalog.lessons {
            for line in story_lines(lesson.story, 50, &NO_COLOR) {
                for span in &line.spans {
                    assert_eq!(
                        (span.style.fg, span.style.bg),
                        (None, None),
                        "{}: {span:?}",
                        lesson.id
                    );
                }
            }
        }
    }

    /// The non-space characters of `lines`, leaving out dim spans (the
    /// continuation glyphs and quote bars, which repeat on every row).
    fn shown_chars(lines: &[Line<'_>], theme: &Theme) -> String {
        lines
            .iter()
            .flat_map(|l| &l.spans)
            .filter(|s| s.style != theme.dim())
            .flat_map(|s| s.content.chars())
            .filter(|c| !c.is_whitespace())
            .collect()
    }

    /// The non-space characters of each code block in `markdown`.
    fn code_block_chars(markdown: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut block: Option<String> = None;
        for event in Parser::new(markdown) {
            match event {
                Event::Start(Tag::CodeBlock(_)) => block = Some(String::new()),
                Event::End(TagEnd::CodeBlock) => out.extend(block.take()),
                Event::Text(text) => {
                    if let Some(block) = &mut block {
                        block.extend(text.chars().filter(|c| !c.is_whitespace()));
                    }
                }
                _ => {}
            }
        }
        out
    }

    #[test]
    fn every_lesson_fits_every_width() {
        let catalog = crate::catalog::catalog().unwrap();
        for lesson in &catalog.lessons {
            // Add the lesson's own code as a code block, at the top level
            // and in a list, after any the story has.
            let indented: String = lesson.source.lines().map(|l| format!("  {l}\n")).collect();
            let story = format!(
                "{}\n\n```rust\n{}```\n\n- The code:\n\n  ```\n{indented}  ```\n",
                lesson.story, lesson.source,
            );
            let own = code_block_chars(lesson.story).len();
            let blocks = code_block_chars(&story);
            assert_eq!(blocks.len(), own + 2, "{}", lesson.id);
            let (top, listed) = (&blocks[own], &blocks[own + 1]);
            assert!(top.len() > lesson.source.len() / 2, "{}", lesson.id);
            assert_eq!(top, listed, "{}", lesson.id);
            for theme in [COLOR, ASCII] {
                let whole = story_lines(&story, 1000, &theme);
                for width in [1, 5, 10, 13, 20, 27, 40, 61, 100] {
                    let lines = story_lines(&story, width, &theme);
                    assert!(!lines.is_empty());
                    for line in &lines {
                        assert!(
                            line.width() <= usize::from(width),
                            "{} at {width}: {:?}",
                            lesson.id,
                            text(line)
                        );
                    }
                    // Nothing lost: the same non-space characters in order
                    // (markup aside) as with room for everything, and
                    // every character of the code.
                    if width >= 10 {
                        let shown = shown_chars(&lines, &theme);
                        assert_eq!(
                            shown,
                            shown_chars(&whole, &theme),
                            "{} at {width}",
                            lesson.id
                        );
                        let code = if theme.ascii {
                            to_ascii(top).replace(char::is_whitespace, "")
                        } else {
                            top.clone()
                        };
                        assert_eq!(shown.matches(&code).count(), 2, "{} at {width}", lesson.id);
                    }
                }
            }
        }
        assert!(story_lines("text", 0, &COLOR).is_empty());
    }

    fn render(pane: &StoryPane<'_>, width: u16, height: u16) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, width, height));
        pane.render(buf.area, &mut buf);
        buf
    }

    fn row_text(buf: &Buffer, y: u16) -> String {
        (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
    }

    #[test]
    fn the_pane_scrolls_and_says_where_it_is() {
        let md: String = (1..=20).map(|i| format!("Paragraph {i}.\n\n")).collect();
        let lines = story_lines(&md, 18, &COLOR);
        assert_eq!(lines.len(), 39);
        let pane = StoryPane {
            lines: &lines,
            title: " story ",
            scroll: 4,
            focused: true,
            theme: &COLOR,
        };
        let buf = render(&pane, 20, 7);
        assert_eq!(row_text(&buf, 1), "│Paragraph 3.      │");
        assert_eq!(row_text(&buf, 3), "│Paragraph 4.      │");
        assert_eq!(row_text(&buf, 6), "╰────────── 5-9/39 ╯");
        assert_eq!(buf[(0, 0)].fg, COLOR.focused_border().fg.unwrap());
        // Past the end: the last page.
        let pane = StoryPane {
            scroll: 900,
            ..pane
        };
        let buf = render(&pane, 20, 7);
        assert_eq!(row_text(&buf, 5), "│Paragraph 20.     │");
        // Tiny areas draw what fits and do not panic.
        for width in 0..6 {
            for height in 0..6 {
                render(&pane, width, height);
            }
        }
        let empty = StoryPane { lines: &[], ..pane };
        render(&empty, 10, 5);
    }

    #[test]
    fn snapshot_semaphore_story() {
        let lesson = crate::catalog::catalog()
            .unwrap()
            .lesson("semaphore")
            .unwrap();
        // Without colour, so the inline code shows (by its backticks) in
        // the snapshot's plain text.
        let lines = story_lines(lesson.story, 60, &NO_COLOR);
        insta::assert_snapshot!(texts(&lines).join("\n"));
        assert_eq!(lines[0].spans[0].style, NO_COLOR.heading());
        // With colour, the same words in the same places, less backticks.
        let coloured = story_lines(lesson.story, 60, &COLOR);
        assert_eq!(coloured[0].spans[0].style, COLOR.heading());
        let code = coloured
            .iter()
            .flat_map(|l| &l.spans)
            .find(|s| s.style == COLOR.code())
            .unwrap();
        assert_eq!(code.content, "main");
    }
}
