//! The code pane: a lesson's source (or its asyncio twin), syntax-highlighted
//! by `syntect`, with line numbers and the lines waiting lanes are parked on
//! marked.
//!
//! Highlighting happens once, when a lesson opens ([`Highlighted`]); drawing
//! ([`CodePane`]) only copies the prepared lines into the buffer, so a frame
//! costs nothing more than the visible rows.

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
    /// Index of the first visible line (0-based).
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

fn expand_tabs(line: &str) -> String {
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

/// The scroll position that shows 1-based `line` in a view `height` rows
/// tall: `current` if the line is already in view, otherwise one that puts
/// the line a third of the way down, so some context above it shows too.
pub fn scroll_to_show(line: u32, height: u16, current: u16) -> u16 {
    let index = line.saturating_sub(1);
    let top = u32::from(current);
    if height == 0 || (index >= top && index < top + u32::from(height)) {
        return current;
    }
    let above = u32::from(height) / 3;
    u16::try_from(index.saturating_sub(above)).unwrap_or(u16::MAX)
}

/// Digits needed for the largest line number (at least two, so the gutter
/// does not jump as short files grow).
fn number_width(lines: usize) -> usize {
    lines.max(1).to_string().len().max(2)
}

impl CodePane<'_> {
    fn block(&self) -> Block<'_> {
        let theme = self.theme;
        theme.pane(self.title, self.focused)
    }

    /// The first line shown: `scroll`, but never so far that the view
    /// ends in empty rows while there are lines above it.
    fn top(&self, height: u16) -> usize {
        let last_page = self.code.len().saturating_sub(usize::from(height));
        usize::from(self.scroll).min(last_page)
    }

    /// The labels shown after the code: `◀ 3 lanes: …`.
    fn label_text(&self, marker: &Marker) -> String {
        if self.theme.ascii {
            format!("<- {}", to_ascii(&marker.label))
        } else {
            format!("◀ {}", marker.label)
        }
    }

    fn draw_row(
        &self,
        area: Rect,
        number: usize,
        line: &Line<'static>,
        marker: Option<&Marker>,
        buf: &mut Buffer,
    ) {
        let theme = self.theme;
        let digits = number_width(self.code.len());
        // Gutter: the number, the marker column, a space.
        let gutter = (digits + 2).min(usize::from(area.width));
        let number_text = format!("{number:>digits$}");
        buf.set_stringn(area.x, area.y, &number_text, gutter, theme.dim());
        if marker.is_some() && gutter > digits {
            let glyph = theme.glyphs().marker.to_string();
            buf.set_stringn(
                area.x + digits as u16,
                area.y,
                glyph,
                1,
                theme.waiting().add_modifier(Modifier::BOLD),
            );
        }
        let code_x = area.x + gutter as u16;
        let code_width = area.width - gutter as u16;
        let (end_x, _) = buf.set_line(code_x, area.y, line, code_width);
        if let Some(marker) = marker {
            self.draw_label(marker, end_x, area, buf);
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
        let block = self.block();
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        let top = self.top(inner.height);
        let rows = self
            .code
            .lines
            .iter()
            .enumerate()
            .skip(top)
            .take(usize::from(inner.height));
        for (y, (index, line)) in (inner.y..).zip(rows) {
            let number = index + 1;
            let marker = self.markers.iter().find(|m| m.line as usize == number);
            let row = Rect {
                y,
                height: 1,
                ..inner
            };
            self.draw_row(row, number, line, marker, buf);
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

    #[test]
    fn long_lines_are_cut_at_the_edge() {
        let long = format!("let s = \"{}\";\nfn x() {{}}\n", "a".repeat(100));
        let code = Highlighted::rust(&long, &COLOR);
        let buf = render(&pane(&code, &[], 0, &COLOR), 20, 5);
        assert_eq!(row_text(&buf, 1), "│ 1  let s = \"aaaaa│");
        assert_eq!(
            row_text(&buf, 2),
            "│ 2  fn x() {}     │",
            "not wrapped onto the next row"
        );
    }

    #[test]
    fn scroll_moves_the_view_and_stops_at_the_last_page() {
        let source: String = (1..=30).map(|i| format!("let x{i} = {i};\n")).collect();
        let code = Highlighted::rust(&source, &COLOR);
        let buf = render(&pane(&code, &[], 10, &COLOR), 30, 7);
        assert!(row_text(&buf, 1).starts_with("│11  let x11"));
        assert!(row_text(&buf, 5).starts_with("│15  let x15"));
        // Far past the end: the last five lines, not an empty pane.
        let buf = render(&pane(&code, &[], 500, &COLOR), 30, 7);
        assert!(row_text(&buf, 1).starts_with("│26  "));
        assert!(row_text(&buf, 5).starts_with("│30  "));
    }

    #[test]
    fn scroll_to_show_keeps_or_moves_the_view() {
        assert_eq!(scroll_to_show(5, 10, 0), 0, "already in view");
        assert_eq!(scroll_to_show(10, 10, 0), 0, "last visible row");
        assert_eq!(scroll_to_show(11, 10, 0), 7, "a third of the way down");
        assert_eq!(scroll_to_show(2, 10, 20), 0, "above the view");
        assert_eq!(scroll_to_show(0, 10, 3), 0);
        assert_eq!(scroll_to_show(40, 0, 3), 3, "no height, no change");
    }

    #[test]
    fn tiny_areas_do_not_panic() {
        let code = Highlighted::rust(SAMPLE, &COLOR);
        let markers = [marker(1, "1 lane: x")];
        for width in 0..12 {
            for height in 0..5 {
                render(&pane(&code, &markers, 3, &COLOR), width, height);
            }
        }
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
        let scroll = scroll_to_show(sleep_line, 18, 0);
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
        let row = 1 + sleep_line as u16 - 1 - scroll;
        assert!(row_text(&buf, row).contains("sleep(work)"));
        assert_eq!(buf[(40, row)].bg, COLOR.parked_line().bg.unwrap());
        assert_eq!(buf[(40, row - 1)].bg, Color::Reset);
    }
}
