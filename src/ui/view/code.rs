//! The code pane: a lesson's source (or its asyncio twin), syntax-highlighted
//! by `syntect`, with line numbers and the lines waiting lanes are parked on
//! marked.
//!
//! Highlighting happens once, when a lesson opens ([`Highlighted`]); drawing
//! ([`CodePane`]) wraps the prepared lines to the pane's width ([`wrap`]) and
//! copies the visible rows into the buffer, so a frame costs one pass over
//! the lines (counting rows) plus the visible rows. No line is cut: a long
//! one continues on rows marked by a glyph in the gutter, hanging at its
//! own indentation.

use std::ops::Range;
use std::sync::OnceLock;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};
use syntect::easy::ScopeRangeIterator;
use syntect::highlighting::{
    FontStyle, Highlighter, ScopeSelectors, Theme as SyntaxTheme, ThemeSet,
};
use syntect::parsing::{ParseState, ScopeStack, SyntaxReference, SyntaxSet};

use super::story::to_ascii;
use crate::ui::theme::Theme;

/// Columns a tab advances to (multiples of), as rustfmt and black indent.
const TAB_WIDTH: usize = 4;

/// The syntect theme the colours come from. Its palette is mid-toned, so
/// it stays readable on dark and light terminal backgrounds alike; its
/// background is never used, the terminal's own shows through.
const SYNTAX_THEME: &str = "base16-ocean.dark";

/// What NO_COLOR mode still shows: keywords bold, comments dim. (Rust's
/// primitive types share `storage.type` with `let`, so they come out bold
/// too; Python's f-string prefix is `storage.type.string` and does not.)
const KEYWORD_SCOPES: &str =
    "keyword - keyword.operator, storage.type - storage.type.string, storage.modifier";
const COMMENT_SCOPES: &str = "comment";

/// Source prepared for drawing: one styled line per source line.
#[derive(Clone, Debug, Default)]
pub struct Highlighted {
    lines: Vec<Line<'static>>,
}

/// A line some lanes are parked on, and what to say about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    /// 1-based, as the compiler counts lines.
    pub line: u32,
    /// Shown after the code when there is room, e.g. `3 lanes: Sleep 500ms`.
    pub label: String,
}

pub struct CodePane<'a> {
    pub code: &'a Highlighted,
    pub title: &'a str,
    pub markers: &'a [Marker],
    /// Index of the first visible row (0-based), counting the rows long
    /// lines wrap onto; see [`scroll_to_show`].
    pub scroll: u16,
    pub focused: bool,
    pub theme: &'a Theme,
}

/// Syntect's assets, parsed once: loading them takes tens of milliseconds.
struct Assets {
    syntaxes: SyntaxSet,
    theme: SyntaxTheme,
    keywords: ScopeSelectors,
    comments: ScopeSelectors,
}

fn assets() -> &'static Assets {
    static ASSETS: OnceLock<Assets> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let mut themes = ThemeSet::load_defaults().themes;
        Assets {
            syntaxes: SyntaxSet::load_defaults_newlines(),
            // Both names are compiled into syntect; a miss is a programming
            // error that every test would show.
            theme: themes
                .remove(SYNTAX_THEME)
                .expect("syntect ships base16-ocean.dark"),
            keywords: KEYWORD_SCOPES.parse().expect("valid scope selector"),
            comments: COMMENT_SCOPES.parse().expect("valid scope selector"),
        }
    })
}

impl Highlighted {
    pub fn rust(source: &str, theme: &Theme) -> Self {
        Self::highlight(source, "rs", theme)
    }

    pub fn python(source: &str, theme: &Theme) -> Self {
        Self::highlight(source, "py", theme)
    }

    /// Unhighlighted text, for a source no syntax fits.
    pub fn plain(source: &str, theme: &Theme) -> Self {
        let lines = prepare(source, theme).into_iter().map(Line::from).collect();
        Highlighted { lines }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn lines(&self) -> &[Line<'static>] {
        &self.lines
    }

    fn highlight(source: &str, extension: &str, theme: &Theme) -> Self {
        let assets = assets();
        let Some(syntax) = assets.syntaxes.find_syntax_by_extension(extension) else {
            return Self::plain(source, theme);
        };
        let lines = highlight_lines(&prepare(source, theme), syntax, assets, theme);
        Highlighted { lines }
    }
}

/// Source lines as they will be shown: tabs expanded (the buffer drops
/// control characters, so a tab would vanish), `\r` gone, and ASCII only
/// with `--ascii`.
fn prepare(source: &str, theme: &Theme) -> Vec<String> {
    let source = if theme.ascii {
        to_ascii(source)
    } else {
        source.into()
    };
    source.lines().map(expand_tabs).collect()
}

pub(crate) fn expand_tabs(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut column = 0;
    for c in line.chars() {
        match c {
            '\t' => {
                let next = (column / TAB_WIDTH + 1) * TAB_WIDTH;
                out.extend(std::iter::repeat_n(' ', next - column));
                column = next;
            }
            '\r' => {}
            c => {
                out.push(c);
                column += 1;
            }
        }
    }
    out
}

/// Runs the parser over every line, keeping its state from line to line
/// (a block comment or string can span lines). Should the parser fail, the
/// rest of the file is shown unhighlighted rather than not at all.
fn highlight_lines(
    lines: &[String],
    syntax: &SyntaxReference,
    assets: &Assets,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let highlighter = Highlighter::new(&assets.theme);
    let default_fg = assets.theme.settings.foreground;
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut failed = false;
    let mut out = Vec::with_capacity(lines.len());
    for text in lines {
        // The "newlines" syntaxes expect each line to end in `\n`.
        let with_newline = format!("{text}\n");
        let ops = if failed {
            None
        } else {
            state.parse_line(&with_newline, &assets.syntaxes).ok()
        };
        let Some(ops) = ops else {
            failed = true;
            out.push(Line::from(text.clone()));
            continue;
        };
        let mut spans = Vec::new();
        for (range, op) in ScopeRangeIterator::new(&ops, &with_newline) {
            if stack.apply(op).is_err() {
                failed = true;
            }
            let piece = with_newline[range].trim_end_matches('\n');
            if piece.is_empty() {
                continue;
            }
            let style = if theme.color {
                colour_style(highlighter.style_for_stack(stack.as_slice()), default_fg)
            } else {
                plain_style(stack.as_slice(), assets, theme)
            };
            push_span(&mut spans, piece, style);
        }
        out.push(Line::from(spans));
    }
    out
}

/// Appends `piece`, merging it into the previous span when the style is the
/// same, so a line is a handful of spans rather than one per token.
fn push_span(spans: &mut Vec<Span<'static>>, piece: &str, style: Style) {
    match spans.last_mut() {
        Some(last) if last.style == style => last.content.to_mut().push_str(piece),
        _ => spans.push(Span::styled(piece.to_string(), style)),
    }
}

/// A syntect style as a ratatui one. The theme's default foreground is
/// left unset so plain code takes the terminal's own text colour.
fn colour_style(
    style: syntect::highlighting::Style,
    default_fg: Option<syntect::highlighting::Color>,
) -> Style {
    let fg = style.foreground;
    let mut out = Style::new();
    if Some(fg) != default_fg {
        out = out.fg(Color::Rgb(fg.r, fg.g, fg.b));
    }
    out.add_modifier(modifiers(style.font_style))
}

fn modifiers(font: FontStyle) -> Modifier {
    let mut m = Modifier::empty();
    if font.contains(FontStyle::BOLD) {
        m |= Modifier::BOLD;
    }
    if font.contains(FontStyle::ITALIC) {
        m |= Modifier::ITALIC;
    }
    if font.contains(FontStyle::UNDERLINE) {
        m |= Modifier::UNDERLINED;
    }
    m
}

/// NO_COLOR: the theme's modifiers only, chosen by what the token is.
fn plain_style(scopes: &[syntect::parsing::Scope], assets: &Assets, theme: &Theme) -> Style {
    if assets.comments.does_match(scopes).is_some() {
        theme.dim()
    } else if assets.keywords.does_match(scopes).is_some() {
        theme.text().add_modifier(Modifier::BOLD)
    } else {
        theme.text()
    }
}

/// Columns a continuation row must keep for code after its hanging indent;
/// with less, continuation rows start at the left edge instead.
const MIN_HANG_ROOM: usize = 16;

/// The glyph that starts a continuation row, in the code pane's gutter and
/// in the story's code blocks.
pub(crate) fn continuation_glyph(theme: &Theme) -> char {
    if theme.ascii { '+' } else { '↪' }
}

/// One line of text broken into rows of at most `width` columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Wrapped {
    /// Each row's range of the line's chars, in order; together they hold
    /// every char. Spaces at a break stay at the end of the row before it
    /// (past the width if need be, where nothing shows).
    pub rows: Vec<Range<usize>>,
    /// Columns every row after the first is indented by: the line's own
    /// indentation, or 0 when that would leave too little room.
    pub hang: usize,
}

impl Wrapped {
    /// A line of `chars` chars on one row.
    fn whole(chars: usize) -> Self {
        Wrapped {
            rows: std::iter::once(0..chars).collect(),
            hang: 0,
        }
    }
}

/// Breaks a line of code into rows `width` columns wide, where the code
/// reads best ([`break_before`]), at the width when nowhere else will do.
/// Rows after the first hang at the line's indentation when
/// [`MIN_HANG_ROOM`] columns remain after it.
pub(crate) fn wrap(chars: &[char], width: usize) -> Wrapped {
    let n = chars.len();
    let widths: Vec<usize> = chars.iter().map(|&c| char_width(c)).collect();
    if width == 0 || widths.iter().sum::<usize>() <= width {
        return Wrapped::whole(n);
    }
    let indent = chars.iter().take_while(|&&c| c == ' ').count();
    let hang = if indent + MIN_HANG_ROOM <= width {
        indent
    } else {
        0
    };
    let mut rows = Vec::new();
    let mut start = 0;
    let mut room = width;
    while start < n {
        let mut end = start;
        let mut used = 0;
        while end < n && used + widths[end] <= room {
            used += widths[end];
            end += 1;
        }
        // Spaces at the edge end the row, however many: they show nothing.
        while end < n && chars[end] == ' ' {
            end += 1;
        }
        if end == n {
            rows.push(start..n);
            break;
        }
        let end = if end == start {
            // One char wider than the room: a row of its own.
            start + 1
        } else {
            break_before(chars, &widths, start, end, room)
        };
        rows.push(start..end);
        start = end;
        room = width - hang;
    }
    Wrapped { rows, hang }
}

/// Where to end the row `start..end` (which overflows at `end`): the
/// last good break (a space, before `.`, after `,` or an opening bracket)
/// that leaves the row at least half full, else the last poor one (between
/// a word and punctuation) that does, else a good one leaving it a third
/// full, else `end`, the width.
fn break_before(chars: &[char], widths: &[usize], start: usize, end: usize, room: usize) -> usize {
    let mut used: usize = widths[start..end].iter().sum();
    let (mut poor, mut fair) = (None, None);
    for b in (start + 1..=end).rev() {
        match boundary(chars[b - 1], chars[b]) {
            Some(Break::Good) if used * 2 >= room => return b,
            Some(Break::Good) if fair.is_none() && used * 3 >= room => fair = Some(b),
            Some(Break::Poor) if poor.is_none() && used * 2 >= room => poor = Some(b),
            _ => {}
        }
        used -= widths[b - 1];
    }
    poor.or(fair).unwrap_or(end)
}

enum Break {
    /// Where code reads well split: after a space, before a chained call
    /// (`f()` | `.g()`), after a comma or an opening bracket.
    Good,
    /// Between a word and punctuation: `Semaphore` | `::new`, `x` | `.y`.
    Poor,
}

/// Whether a row may end between `prev` and `cur`, and how good a place
/// that is. Never before a space (spaces end the row they follow), nor
/// inside `..`, `0.5`, `.await`, `{i}`, or before `!`, `?`, `,`, `;`, a
/// bracket or a quote.
fn boundary(prev: char, cur: char) -> Option<Break> {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    if cur == ' ' {
        None
    } else if prev == ' ' {
        Some(Break::Good)
    } else if cur == '.' {
        // A chain reads well split before a call's `.`; `x` | `.y` less so.
        if matches!(prev, ')' | ']' | '}' | '?') {
            Some(Break::Good)
        } else {
            (word(prev) && !prev.is_ascii_digit()).then_some(Break::Poor)
        }
    } else if prev == '.' || prev == '{' || matches!(cur, ')' | ']' | '}' | '!' | '?' | ',' | ';') {
        // After `{` is most often inside a format string: `{i}`.
        None
    } else if matches!(prev, ',' | ';' | '(' | '[') {
        Some(Break::Good)
    } else if matches!(cur, '(' | '[' | '"' | '\'') {
        None
    } else {
        (word(prev) != word(cur)).then_some(Break::Poor)
    }
}

/// The display width of one character, as the buffer will count it.
pub(crate) fn char_width(c: char) -> usize {
    let mut utf8 = [0; 4];
    Span::raw(&*c.encode_utf8(&mut utf8)).width()
}

fn line_chars(line: &Line<'_>) -> Vec<char> {
    line.spans.iter().flat_map(|s| s.content.chars()).collect()
}

/// The spans of `line` covering its chars `range`, styles kept.
fn slice_line(line: &Line<'_>, range: Range<usize>) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut offset = 0;
    for span in &line.spans {
        let count = span.content.chars().count();
        let (from, to) = (
            range.start.max(offset) - offset,
            range.end.min(offset + count).saturating_sub(offset),
        );
        if from < to {
            let text: String = span.content.chars().skip(from).take(to - from).collect();
            out.push(Span::styled(text, line.style.patch(span.style)));
        }
        offset += count;
        if offset >= range.end {
            break;
        }
    }
    out
}

/// Digits needed for the largest line number (at least two, so the gutter
/// does not jump as short files grow).
fn number_width(lines: usize) -> usize {
    lines.max(1).to_string().len().max(2)
}

/// Columns of the gutter (the number, the marker column, a space) and of
/// the code after it, in a pane `width` columns wide inside its border.
fn columns(code: &Highlighted, width: u16) -> (usize, usize) {
    let width = usize::from(width);
    // However narrow the pane, the code keeps a column: numbers give way.
    let gutter = (number_width(code.len()) + 2).min(width.saturating_sub(1));
    (gutter, width - gutter)
}

/// How many rows each line takes when its code is `width` columns wide.
fn row_counts(code: &Highlighted, width: usize) -> Vec<usize> {
    code.lines
        .iter()
        .map(|line| {
            if line.width() <= width || width == 0 {
                1
            } else {
                wrap(&line_chars(line), width).rows.len()
            }
        })
        .collect()
}

/// The last scroll position (in rows) of a code pane whose inside is
/// `width` × `height`: the one that shows the last page.
pub fn last_top(code: &Highlighted, width: u16, height: u16) -> u16 {
    let (_, text_width) = columns(code, width);
    let total: usize = row_counts(code, text_width).iter().sum();
    u16::try_from(total.saturating_sub(usize::from(height))).unwrap_or(u16::MAX)
}

/// The scroll position (in rows) that shows 1-based `line` in a code pane
/// whose inside (within its border) is `width` × `height`: `current` if
/// the line is already in view whole (or as much of it as fits, from its
/// first row), otherwise one that puts its first row about a third of the
/// way down, so some context above it shows too, with a whole line at the
/// top. Never past the last page.
pub fn scroll_to_show(code: &Highlighted, line: u32, width: u16, height: u16, current: u16) -> u16 {
    if height == 0 || code.is_empty() {
        return current;
    }
    let (_, text_width) = columns(code, width);
    let counts = row_counts(code, text_width);
    let height = usize::from(height);
    let total: usize = counts.iter().sum();
    let last_page = total.saturating_sub(height);
    let index = (line.max(1) as usize - 1).min(code.len() - 1);
    let first: usize = counts[..index].iter().sum();
    let rows = counts[index];
    let top = usize::from(current).min(last_page);
    if first >= top && first + rows.min(height) <= top + height {
        return current;
    }
    let above = if rows + height / 3 <= height {
        height / 3
    } else {
        0
    };
    // From the start of a line, not a continuation row, if the line still
    // shows whole from there; else from the start of the next line.
    let wanted = first.saturating_sub(above);
    let (mut start, mut k) = (0, 0);
    while start + counts[k] <= wanted {
        start += counts[k];
        k += 1;
    }
    if start < wanted && first + rows.min(height) > start + height {
        start += counts[k];
    }
    u16::try_from(start.min(last_page)).unwrap_or(u16::MAX)
}

/// One row of a line, as drawn.
struct Row {
    /// Which row of its line: 0 for the first.
    k: usize,
    /// The line's last row (where its label goes).
    last: bool,
    spans: Vec<Span<'static>>,
    /// Columns before the code: the hanging indent of a continuation row.
    indent: usize,
}

impl CodePane<'_> {
    fn block(&self, position: Option<String>) -> Block<'_> {
        self.theme.scrolled_pane(self.title, self.focused, position)
    }

    /// The labels shown after the code: `◀ 3 lanes: …`.
    fn label_text(&self, marker: &Marker) -> String {
        if self.theme.ascii {
            format!("<- {}", to_ascii(&marker.label))
        } else {
            format!("◀ {}", marker.label)
        }
    }

    /// One row of a line: its number (or the continuation glyph) in the
    /// gutter, then its code; a marked line's glyph on its first row, its
    /// label after its last, its band on every row.
    fn draw_row(
        &self,
        area: Rect,
        gutter: usize,
        number: usize,
        row: Row,
        marker: Option<&Marker>,
        buf: &mut Buffer,
    ) {
        let Row {
            k,
            last,
            spans,
            indent,
        } = row;
        let theme = self.theme;
        let digits = number_width(self.code.len());
        let marker_x = area.x + digits as u16;
        if k == 0 {
            let number_text = format!("{number:>digits$}");
            buf.set_stringn(area.x, area.y, &number_text, gutter, theme.dim());
            if marker.is_some() && gutter > digits {
                let glyph = theme.glyphs().marker.to_string();
                buf.set_stringn(
                    marker_x,
                    area.y,
                    glyph,
                    1,
                    theme.waiting().add_modifier(Modifier::BOLD),
                );
            }
        } else if gutter > digits {
            let glyph = continuation_glyph(theme).to_string();
            buf.set_stringn(marker_x, area.y, glyph, 1, theme.dim());
        }
        let code_x = area.x + (gutter + indent) as u16;
        let code_width = area.width.saturating_sub((gutter + indent) as u16);
        let (end_x, _) = buf.set_line(code_x, area.y, &Line::from(spans), code_width);
        if let Some(marker) = marker {
            if last {
                self.draw_label(marker, end_x, area, buf);
            }
            // The whole row, so the band reaches past short lines.
            buf.set_style(area, theme.parked_line());
        }
    }

    /// The marker's label, two spaces after the code, cut at the edge; left
    /// out when hardly any of it would show.
    fn draw_label(&self, marker: &Marker, code_end: u16, row: Rect, buf: &mut Buffer) {
        const MIN_LABEL: u16 = 8;
        let x = code_end.saturating_add(2);
        let room = row.right().saturating_sub(x);
        if room < MIN_LABEL {
            return;
        }
        let text = self.label_text(marker);
        let width = Line::from(text.as_str()).width();
        let shown = if width <= usize::from(room) {
            text
        } else {
            super::fit(
                &text,
                usize::from(room),
                if self.theme.ascii { "." } else { "…" },
            )
        };
        buf.set_stringn(x, row.y, shown, usize::from(room), self.theme.waiting());
    }
}

impl Widget for &CodePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let inner = self.block(None).inner(area);
        let (gutter, text_width) = columns(self.code, inner.width);
        let counts = row_counts(self.code, text_width);
        let total: usize = counts.iter().sum();
        let height = usize::from(inner.height);
        // Never scroll past the last page: the end of the code stays put.
        let top = usize::from(self.scroll).min(total.saturating_sub(height));
        // The first visible line, and how many of its rows are above.
        let (mut index, mut skip) = (0, top);
        while index < counts.len() && skip >= counts[index] {
            skip -= counts[index];
            index += 1;
        }
        // Where the view is, in source lines, when the code does not fit.
        let position = (total > height && height > 0).then(|| {
            let (mut last, mut rows) = (index, counts[index] - skip);
            while rows < height && last + 1 < counts.len() {
                last += 1;
                rows += counts[last];
            }
            format!(" {}-{}/{} ", index + 1, last + 1, counts.len())
        });
        let block = self.block(position);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        let mut y = inner.y;
        for (index, line) in self.code.lines.iter().enumerate().skip(index) {
            if y >= inner.bottom() {
                break;
            }
            let number = index + 1;
            let marker = self.markers.iter().find(|m| m.line as usize == number);
            let wrapped = if counts[index] == 1 {
                Wrapped::whole(usize::MAX)
            } else {
                wrap(&line_chars(line), text_width)
            };
            let rows = wrapped.rows.len();
            for (k, range) in wrapped.rows.into_iter().enumerate().skip(skip) {
                if y >= inner.bottom() {
                    break;
                }
                let row = Rect {
                    y,
                    height: 1,
                    ..inner
                };
                let content = Row {
                    k,
                    last: k + 1 == rows,
                    spans: slice_line(line, range),
                    indent: if k == 0 { 0 } else { wrapped.hang },
                };
                self.draw_row(row, gutter, number, content, marker, buf);
                y += 1;
            }
            skip = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLOR: Theme = Theme::COLOR;
    const NO_COLOR: Theme = Theme::NO_COLOR;
    const ASCII: Theme = Theme::ASCII;

    const SAMPLE: &str = "/// Docs.\nfn main() {\n\tlet x = 1; // one\n    println!(\"{x}\");\n}\n";

    fn render(pane: &CodePane<'_>, width: u16, height: u16) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, width, height));
        pane.render(buf.area, &mut buf);
        buf
    }

    fn pane<'a>(
        code: &'a Highlighted,
        markers: &'a [Marker],
        scroll: u16,
        theme: &'a Theme,
    ) -> CodePane<'a> {
        CodePane {
            code,
            title: " code ",
            markers,
            scroll,
            focused: false,
            theme,
        }
    }

    fn row_text(buf: &Buffer, y: u16) -> String {
        (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
    }

    /// The x of the first cell of `needle` in row `y`.
    fn find(buf: &Buffer, y: u16, needle: &str) -> Option<u16> {
        let row: Vec<String> = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        let chars: Vec<String> = needle.chars().map(String::from).collect();
        (0..row.len())
            .find(|&x| row[x..].starts_with(&chars))
            .map(|x| x as u16)
    }

    fn marker(line: u32, label: &str) -> Marker {
        Marker {
            line,
            label: label.into(),
        }
    }

    #[test]
    fn line_numbers_and_code_are_drawn() {
        let code = Highlighted::rust(SAMPLE, &COLOR);
        assert_eq!(code.len(), 5);
        let buf = render(&pane(&code, &[], 0, &COLOR), 40, 8);
        let row = |text: &str| format!("│{text:<38}│");
        assert_eq!(row_text(&buf, 1), row(" 1  /// Docs."));
        assert_eq!(row_text(&buf, 2), row(" 2  fn main() {"));
        // The tab became spaces up to column 4.
        assert_eq!(row_text(&buf, 3), row(" 3      let x = 1; // one"));
        assert!(row_text(&buf, 0).contains("code"));
    }

    #[test]
    fn keywords_have_colour_only_with_colour() {
        let code = Highlighted::rust(SAMPLE, &COLOR);
        let buf = render(&pane(&code, &[], 0, &COLOR), 40, 8);
        let fn_x = find(&buf, 2, "fn").unwrap();
        assert!(
            matches!(buf[(fn_x, 2)].fg, Color::Rgb(..)),
            "fn is coloured"
        );
        // Plain identifiers keep the terminal's colour.
        let main_x = find(&buf, 2, "main").unwrap();
        assert_ne!(buf[(main_x, 2)].fg, buf[(fn_x, 2)].fg);

        let plain = Highlighted::rust(SAMPLE, &NO_COLOR);
        let buf = render(&pane(&plain, &[], 0, &NO_COLOR), 40, 8);
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                let cell = &buf[(x, y)];
                assert_eq!(
                    (cell.fg, cell.bg),
                    (Color::Reset, Color::Reset),
                    "no colour at {x},{y}"
                );
            }
        }
        let fn_x = find(&buf, 2, "fn").unwrap();
        assert!(
            buf[(fn_x, 2)].modifier.contains(Modifier::BOLD),
            "keywords bold without colour"
        );
        let let_x = find(&buf, 3, "let").unwrap();
        assert!(buf[(let_x, 3)].modifier.contains(Modifier::BOLD));
        let comment_x = find(&buf, 3, "// one").unwrap();
        assert!(
            buf[(comment_x, 3)].modifier.contains(Modifier::DIM),
            "comments dim"
        );
        let main_x = find(&buf, 2, "main").unwrap();
        assert!(buf[(main_x, 2)].modifier.is_empty());
    }

    #[test]
    fn python_is_highlighted_too() {
        let code = Highlighted::python("async def f():\n    await g()  # wait\n", &COLOR);
        let buf = render(&pane(&code, &[], 0, &COLOR), 40, 4);
        let def_x = find(&buf, 1, "def").unwrap();
        assert!(matches!(buf[(def_x, 1)].fg, Color::Rgb(..)));
    }

    #[test]
    fn a_marker_shows_glyph_style_and_label() {
        let code = Highlighted::rust(SAMPLE, &COLOR);
        let markers = [marker(3, "2 lanes: Sleep 1s")];
        let buf = render(&pane(&code, &markers, 0, &COLOR), 50, 8);
        let row = row_text(&buf, 3);
        assert!(row.starts_with("│ 3▶ "), "{row}");
        assert!(row.contains("// one  ◀ 2 lanes: Sleep 1s"), "{row}");
        for x in 1..49 {
            assert_eq!(
                buf[(x, 3)].bg,
                COLOR.parked_line().bg.unwrap(),
                "parked at {x}"
            );
        }
        // Other lines are not marked.
        assert!(row_text(&buf, 2).starts_with("│ 2  "));
        assert_eq!(buf[(5, 2)].bg, Color::Reset);
    }

    #[test]
    fn a_marker_without_colour_is_a_glyph_and_underline() {
        let code = Highlighted::rust(SAMPLE, &NO_COLOR);
        let markers = [marker(2, "1 lane: join")];
        let buf = render(&pane(&code, &markers, 0, &NO_COLOR), 50, 8);
        assert!(row_text(&buf, 2).starts_with("│ 2▶ fn main()"));
        assert!(buf[(6, 2)].modifier.contains(Modifier::UNDERLINED));
        assert!(!buf[(6, 1)].modifier.contains(Modifier::UNDERLINED));
    }

    #[test]
    fn labels_are_cut_or_left_out_when_there_is_no_room() {
        let code = Highlighted::rust(SAMPLE, &COLOR);
        let markers = [marker(3, "20 lanes: Semaphore::acquire")];
        // Room for part of the label: it ends in an ellipsis at the edge.
        let buf = render(&pane(&code, &markers, 0, &COLOR), 40, 8);
        let row = row_text(&buf, 3);
        assert!(row.ends_with("// one  ◀ 20 lanes…│"), "{row}");
        // Hardly any room: no label, but the glyph still shows.
        let buf = render(&pane(&code, &markers, 0, &COLOR), 28, 8);
        let row = row_text(&buf, 3);
        assert!(row.starts_with("│ 3▶ ") && !row.contains('◀'), "{row}");
    }

    /// The source of the wrapping tests: line 2 is 57 columns wide,
    /// indented by four.
    const LONG: &str =
        "fn main() {\n    let total = first_value + second_value + third_value;\n}\n";

    /// The text of the code cells of row `y` (after the four-column
    /// gutter), in a pane drawn at `x = 0`.
    fn code_text(buf: &Buffer, y: u16) -> String {
        (5..buf.area.width - 1)
            .map(|x| buf[(x, y)].symbol())
            .collect()
    }

    /// Every non-space cell of the code (gutters and borders left out), in
    /// reading order, with its style: what must survive wrapping.
    fn code_cells(buf: &Buffer) -> Vec<(String, Color, Modifier)> {
        let mut out = Vec::new();
        for y in 1..buf.area.height.saturating_sub(1) {
            for x in 5..buf.area.width - 1 {
                let cell = &buf[(x, y)];
                if cell.symbol() != " " {
                    out.push((cell.symbol().to_string(), cell.fg, cell.modifier));
                }
            }
        }
        out
    }

    fn wrapped_rows(text: &str, width: usize) -> (Vec<String>, usize) {
        let chars: Vec<char> = text.chars().collect();
        let wrapped = wrap(&chars, width);
        let rows = wrapped
            .rows
            .iter()
            .map(|r| chars[r.clone()].iter().collect())
            .collect();
        (rows, wrapped.hang)
    }

    #[test]
    fn wrap_breaks_at_spaces_then_tokens_then_the_width() {
        // Fits: one row, whatever the width.
        assert_eq!(
            wrapped_rows("let x = 1;", 10),
            (vec!["let x = 1;".into()], 0)
        );
        assert_eq!(wrapped_rows("", 5), (vec!["".into()], 0));
        assert_eq!(wrapped_rows("abc", 0), (vec!["abc".into()], 0));
        // After a space; the space stays on the row it ends.
        assert_eq!(
            wrapped_rows("    let total = first_value + second_value;", 30),
            (
                vec![
                    "    let total = first_value + ".into(),
                    "second_value;".into()
                ],
                4
            )
        );
        // Before a method call when the last space is too far back.
        assert_eq!(
            wrapped_rows(
                "    let permit = semaphore.clone().acquire_owned().await;",
                44
            ),
            (
                vec![
                    "    let permit = semaphore.clone()".into(),
                    ".acquire_owned().await;".into()
                ],
                4
            )
        );
        // Not inside `0.5`, nor before `(` or `!`: the break goes after
        // the `(` instead.
        let (rows, _) = wrapped_rows("println!(value_of_it_all)", 12);
        assert_eq!(rows, ["println!(", "value_of_it_", "all)"]);
        let (rows, _) = wrapped_rows("x = 10.5", 6);
        assert_eq!(rows, ["x = ", "10.5"]);
        // Nor inside `()` or a format string's `{i}`.
        let (rows, _) = wrapped_rows("let s = e.to_string()", 20);
        assert_eq!(rows, ["let s = ", "e.to_string()"]);
        let (rows, _) = wrapped_rows("format!(\"request {i}\")", 18);
        assert_eq!(rows, ["format!(\"request ", "{i}\")"]);
        // No boundary at all: cut at the width.
        let (rows, hang) = wrapped_rows(&"a".repeat(25), 10);
        assert_eq!(rows, ["a".repeat(10), "a".repeat(10), "a".repeat(5)]);
        assert_eq!(hang, 0);
    }

    #[test]
    fn wrap_hangs_at_the_indent_only_with_room() {
        let line = format!("{}call(first, second, third, fourth)", " ".repeat(8));
        // 8 + 16 columns fit in 30: continuation rows start at 8.
        let (rows, hang) = wrapped_rows(&line, 30);
        assert_eq!(hang, 8);
        assert_eq!(rows, ["        call(first, second, ", "third, fourth)"]);
        // In 20 they would not: continuation rows start at the edge.
        let (rows, hang) = wrapped_rows(&line, 20);
        assert_eq!(hang, 0);
        assert_eq!(rows, ["        call(first, ", "second, third, ", "fourth)"]);
    }

    #[test]
    fn wrap_keeps_every_char_at_every_width() {
        let catalog = crate::catalog::catalog().unwrap();
        let lesson = catalog.lesson("semaphore").unwrap();
        let lines = lesson
            .source
            .lines()
            .chain(["漢字 wide ☃ chars", "\u{301}x"]);
        for line in lines {
            let chars: Vec<char> = expand_tabs(line).chars().collect();
            for width in 0..90 {
                let wrapped = wrap(&chars, width);
                // In order, no gaps, nothing twice.
                let mut next = 0;
                for row in &wrapped.rows {
                    assert_eq!(row.start, next, "{line:?} at {width}");
                    assert!(row.end > row.start || chars.is_empty());
                    next = row.end;
                }
                assert_eq!(next, chars.len());
                // No row wider than its room, but for spaces at its end
                // and a lone char wider than the whole room.
                for (k, row) in wrapped.rows.iter().enumerate() {
                    let room = if k == 0 { width } else { width - wrapped.hang };
                    let text: String = chars[row.clone()].iter().collect();
                    let shown = Span::raw(text.trim_end()).width();
                    assert!(
                        width == 0 || shown <= room || row.len() == 1,
                        "{text:?} at {width}"
                    );
                }
            }
        }
    }

    #[test]
    fn long_lines_wrap_with_a_glyph_and_a_hanging_indent() {
        let code = Highlighted::rust(LONG, &COLOR);
        let buf = render(&pane(&code, &[], 0, &COLOR), 36, 7);
        let row = |text: &str| format!("│{text:<34}│");
        assert_eq!(row_text(&buf, 1), row(" 1  fn main() {"));
        assert_eq!(row_text(&buf, 2), row(" 2      let total = first_value + "));
        assert_eq!(row_text(&buf, 3), row("  ↪     second_value + "));
        assert_eq!(row_text(&buf, 4), row("  ↪     third_value;"));
        assert_eq!(row_text(&buf, 5), row(" 3  }"));
        // The glyph is dim, as the line numbers are.
        assert_eq!(buf[(3, 3)].fg, COLOR.dim().fg.unwrap());

        let ascii = Highlighted::rust(LONG, &ASCII);
        let buf = render(&pane(&ascii, &[], 0, &ASCII), 36, 7);
        let row = |text: &str| format!("|{text:<34}|");
        assert_eq!(row_text(&buf, 3), row("  +     second_value + "));
        assert_eq!(row_text(&buf, 4), row("  +     third_value;"));

        // Narrower than the indent and 16 columns: no hanging indent.
        let buf = render(&pane(&code, &[], 0, &COLOR), 24, 8);
        let row = |text: &str| format!("│{text:<22}│");
        assert_eq!(row_text(&buf, 2), row(" 2      let total = "));
        assert_eq!(row_text(&buf, 3), row("  ↪ first_value + "));
        assert_eq!(row_text(&buf, 4), row("  ↪ second_value + "));
        assert_eq!(row_text(&buf, 5), row("  ↪ third_value;"));
    }

    #[test]
    fn styles_survive_the_break() {
        // A string and a comment across the break, in colour and without.
        let source = "fn f() {\n    let greeting = format!(\"hello {}, and welcome\", name); // say hi to them\n}\n";
        for theme in [COLOR, NO_COLOR] {
            let code = Highlighted::rust(source, &theme);
            let wide = code_cells(&render(&pane(&code, &[], 0, &theme), 120, 6));
            for width in [20, 30, 44, 60] {
                let buf = render(&pane(&code, &[], 0, &theme), width, 20);
                assert!(
                    row_text(&buf, 3).contains('↪'),
                    "wrapped at {width}: {}",
                    row_text(&buf, 3)
                );
                assert_eq!(code_cells(&buf), wide, "at {width}");
            }
        }
    }

    #[test]
    fn every_lesson_line_is_shown_whole_at_every_width() {
        let catalog = crate::catalog::catalog().unwrap();
        for lesson in &catalog.lessons {
            for (source, python) in [(lesson.source, false), (lesson.twin, true)] {
                for theme in [COLOR] {
                    let code = if python {
                        Highlighted::python(source, &theme)
                    } else {
                        Highlighted::rust(source, &theme)
                    };
                    let tall = code.len() as u16 + 2;
                    let wide = code_cells(&render(&pane(&code, &[], 0, &theme), 300, tall));
                    for width in [7, 10, 24, 50, 80] {
                        // Every row, a page at a time: a buffer holds at
                        // most 65,535 cells.
                        let (_, text_width) = columns(&code, width - 2);
                        let rows: usize = row_counts(&code, text_width).iter().sum();
                        let page = 60_000 / usize::from(width) - 2;
                        let mut cells = Vec::new();
                        for top in (0..rows).step_by(page) {
                            let height = (page.min(rows - top) + 2) as u16;
                            let buf = render(&pane(&code, &[], top as u16, &theme), width, height);
                            cells.extend(code_cells(&buf));
                        }
                        let text = |cells: &[(String, Color, Modifier)]| -> String {
                            cells.iter().map(|c| c.0.as_str()).collect()
                        };
                        let (shown, whole) = (text(&cells), text(&wide));
                        let same = shown
                            .chars()
                            .zip(whole.chars())
                            .take_while(|(a, b)| a == b)
                            .count();
                        assert_eq!(
                            shown,
                            whole,
                            "{} at {width}: from {:?}",
                            lesson.id,
                            whole
                                .chars()
                                .skip(same.saturating_sub(20))
                                .take(40)
                                .collect::<String>()
                        );
                        assert!(cells == wide, "{} at {width}: styles", lesson.id);
                    }
                }
            }
        }
    }

    #[test]
    fn a_wrapped_marked_line_is_banded_on_every_row() {
        let code = Highlighted::rust(LONG, &COLOR);
        let markers = [marker(2, "2 lanes: Sleep 1s")];
        let buf = render(&pane(&code, &markers, 0, &COLOR), 50, 6);
        let (first, last) = (row_text(&buf, 2), row_text(&buf, 3));
        assert!(first.starts_with("│ 2▶     let total"), "{first}");
        assert!(!first.contains('◀'), "the label is not on the first row");
        assert!(last.starts_with("│  ↪     third_value;"), "{last}");
        // The label after the code's last row, when it fits.
        assert!(last.contains("third_value;  ◀ 2 lanes: Sleep 1s"), "{last}");
        for y in [2, 3] {
            for x in 1..49 {
                assert_eq!(
                    buf[(x, y)].bg,
                    COLOR.parked_line().bg.unwrap(),
                    "parked at {x},{y}"
                );
            }
        }
        assert_eq!(buf[(5, 1)].bg, Color::Reset);
        assert_eq!(buf[(5, 4)].bg, Color::Reset);
        // The marker glyph on the first row only.
        assert_eq!(buf[(3, 3)].symbol(), "↪");

        // Room after the first row too, but the label goes after the last.
        let source =
            "fn main() {\n    let total = first_value + second_value_which_is_really_long;\n}\n";
        let code = Highlighted::rust(source, &COLOR);
        let buf = render(&pane(&code, &markers, 0, &COLOR), 56, 6);
        let (first, last) = (row_text(&buf, 2), row_text(&buf, 3));
        assert!(
            first.starts_with("│ 2▶     let total = first_value +  "),
            "{first}"
        );
        assert!(!first.contains('◀'), "{first}");
        assert!(
            last.ends_with("second_value_which_is_really_long;  ◀ 2 lanes…│"),
            "{last}"
        );
    }

    #[test]
    fn a_label_never_overlaps_code() {
        // The last row is full: no label, and every char of the code shows.
        let source = format!("let s = \"{}\";\n", "x".repeat(79));
        let code = Highlighted::rust(&source, &COLOR);
        let markers = [marker(1, "20 lanes: Semaphore::acquire")];
        let buf = render(&pane(&code, &markers, 0, &COLOR), 36, 8);
        let text: String = (1..7).map(|y| code_text(&buf, y)).collect();
        assert!(!text.contains('◀'), "{text}");
        assert_eq!(text.matches('x').count(), 79, "{text}");
        assert!(text.contains("\";"), "{text}");
        for y in 1..4 {
            assert_eq!(buf[(20, y)].bg, COLOR.parked_line().bg.unwrap());
        }
    }

    /// Thirty short lines, but line 5 takes three rows in a 30-wide pane.
    fn thirty_lines() -> Highlighted {
        let source: String = (1..=30)
            .map(|i| {
                if i == 5 {
                    "let five = alpha + beta + gamma + delta + epsilon + zeta;\n".to_string()
                } else {
                    format!("let x{i} = {i};\n")
                }
            })
            .collect();
        Highlighted::rust(&source, &COLOR)
    }

    #[test]
    fn scroll_counts_rows_and_stops_at_the_last_page() {
        let code = thirty_lines();
        let buf = render(&pane(&code, &[], 0, &COLOR), 30, 12);
        assert!(row_text(&buf, 5).starts_with("│ 5  let five"));
        assert!(row_text(&buf, 6).starts_with("│  ↪ "));
        assert!(row_text(&buf, 7).starts_with("│  ↪ "));
        assert!(row_text(&buf, 8).starts_with("│ 6  let x6"));
        // Row 5 is line 5's second row.
        let buf = render(&pane(&code, &[], 5, &COLOR), 30, 7);
        assert!(
            row_text(&buf, 1).starts_with("│  ↪ "),
            "{}",
            row_text(&buf, 1)
        );
        assert!(row_text(&buf, 3).starts_with("│ 6  let x6"));
        // Far past the end: the last five rows (32 in all), not an empty
        // pane; and where the view is, in lines.
        let buf = render(&pane(&code, &[], 500, &COLOR), 30, 7);
        assert!(row_text(&buf, 1).starts_with("│26  "));
        assert!(row_text(&buf, 5).starts_with("│30  "));
        assert!(
            row_text(&buf, 6).ends_with(" 26-30/30 ╯"),
            "{}",
            row_text(&buf, 6)
        );
        let buf = render(&pane(&code, &[], 0, &COLOR), 30, 7);
        assert!(
            row_text(&buf, 6).ends_with(" 1-5/30 ╯"),
            "{}",
            row_text(&buf, 6)
        );
        // All of it in view: no position.
        let code = Highlighted::rust(SAMPLE, &COLOR);
        let buf = render(&pane(&code, &[], 0, &COLOR), 30, 7);
        assert_eq!(row_text(&buf, 6), format!("╰{}╯", "─".repeat(28)));
    }

    #[test]
    fn scroll_to_show_keeps_or_moves_the_view() {
        let code = thirty_lines();
        // Inside a 30 × 12 pane: 28 × 10; line 5 is rows 4-6, line n > 5
        // is row n + 1, 32 rows, the last page starts at row 22.
        let show = |line, current| scroll_to_show(&code, line, 28, 10, current);
        assert_eq!(show(5, 0), 0, "already in view");
        assert_eq!(show(8, 0), 0, "last visible row");
        assert_eq!(show(9, 0), 7, "a third of the way down");
        assert_eq!(show(5, 4), 4, "whole at the top");
        assert_eq!(show(5, 5), 1, "partly above the view");
        // Row 5 is line 5's second: the view starts at the line's first.
        assert_eq!(show(7, 20), 4, "from the start of a line");
        // Unless the line then would not show whole: the next line's.
        assert_eq!(scroll_to_show(&code, 6, 28, 3, 20), 7);
        assert_eq!(show(2, 20), 0, "above the view");
        assert_eq!(show(30, 0), 22, "no further than the last page");
        assert_eq!(show(30, 500), 500, "in view at the last page");
        assert_eq!(show(0, 3), 0);
        assert_eq!(show(99, 0), 22, "past the end: the last line");
        assert_eq!(
            scroll_to_show(&code, 9, 28, 0, 3),
            3,
            "no height, no change"
        );
        assert_eq!(scroll_to_show(&Highlighted::default(), 9, 28, 10, 3), 3);
        // Taller than the view: its first row at the top.
        assert_eq!(scroll_to_show(&code, 5, 28, 2, 0), 4);
        assert_eq!(scroll_to_show(&code, 5, 28, 2, 4), 4);
        // Narrower, line 5 takes more rows, and the rows below it move.
        assert_eq!(scroll_to_show(&code, 9, 18, 10, 0), 9);
        // What it returns does show the line.
        for line in 1..=30 {
            let scroll = show(line, 0);
            let buf = render(&pane(&code, &[], scroll, &COLOR), 30, 12);
            let number = format!("│{line:>2}  ");
            assert!(
                (1..11).any(|y| row_text(&buf, y).starts_with(&number)),
                "line {line} at {scroll}"
            );
        }
    }

    #[test]
    fn tiny_areas_do_not_panic() {
        let source = format!("{SAMPLE}{LONG}\t\t漢字漢字漢字 // ☃☃☃☃\n");
        for theme in [COLOR, ASCII] {
            let code = Highlighted::rust(&source, &theme);
            let markers = [marker(1, "1 lane: x"), marker(7, "2 lanes: y")];
            for width in 0..14 {
                for height in 0..6 {
                    for scroll in [0, 3, 9, 500] {
                        render(&pane(&code, &markers, scroll, &theme), width, height);
                    }
                    scroll_to_show(&code, 7, width, height, 2);
                }
            }
        }
        let markers = [marker(1, "1 lane: x")];
        let empty = Highlighted::rust("", &COLOR);
        assert!(empty.is_empty());
        render(&pane(&empty, &markers, 9, &COLOR), 20, 5);
    }

    #[test]
    fn ascii_mode_draws_ascii_only() {
        let code = Highlighted::rust("// café → done\nfn main() {}\n", &ASCII);
        let markers = [marker(2, "3 lanes: Sleep 500µs")];
        let buf = render(&pane(&code, &markers, 0, &ASCII), 50, 5);
        let text: String = (0..buf.area.height).map(|y| row_text(&buf, y)).collect();
        assert!(text.is_ascii(), "{text}");
        assert!(row_text(&buf, 2).contains("fn main() {}  <- 3 lanes: Sleep 500us"));
    }

    #[test]
    fn every_lesson_highlights() {
        let catalog = crate::catalog::catalog().unwrap();
        for lesson in &catalog.lessons {
            let code = Highlighted::rust(lesson.source, &COLOR);
            assert_eq!(code.len(), lesson.source.lines().count(), "{}", lesson.id);
            let twin = Highlighted::python(lesson.twin, &COLOR);
            assert_eq!(twin.len(), lesson.twin.lines().count(), "{}", lesson.id);
            // Text survives highlighting unchanged.
            let round_trip: Vec<String> = code
                .lines()
                .iter()
                .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
                .collect();
            let expected: Vec<String> = lesson.source.lines().map(expand_tabs).collect();
            assert_eq!(round_trip, expected, "{}", lesson.id);
        }
    }

    #[test]
    fn snapshot_semaphore_code_with_a_marker() {
        let lesson = crate::catalog::catalog()
            .unwrap()
            .lesson("semaphore")
            .unwrap();
        let code = Highlighted::rust(lesson.source, &COLOR);
        let sleep_line = lesson
            .source
            .lines()
            .position(|l| l.contains("sleep(work)"))
            .unwrap() as u32
            + 1;
        let markers = [marker(sleep_line, "3 lanes: Sleep 500ms")];
        let scroll = scroll_to_show(&code, sleep_line, 78, 18, 0);
        let pane = CodePane {
            code: &code,
            title: " lesson.rs ",
            markers: &markers,
            scroll,
            focused: true,
            theme: &COLOR,
        };
        let buf = render(&pane, 80, 20);
        let text: Vec<String> = (0..buf.area.height).map(|y| row_text(&buf, y)).collect();
        insta::assert_snapshot!(text.join("\n"));
        // The marked row is the sleep line, and it carries the parked style.
        let row = (1..19)
            .find(|&y| row_text(&buf, y).starts_with(&format!("│{sleep_line}▶")))
            .unwrap();
        assert!(row_text(&buf, row).contains("sleep(work)"));
        assert_eq!(buf[(40, row)].bg, COLOR.parked_line().bg.unwrap());
        assert_eq!(buf[(40, row - 1)].bg, Color::Reset);
    }
}
