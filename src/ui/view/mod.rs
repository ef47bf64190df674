//! Rendering: every function here reads state and draws; none changes it.

pub mod code;
pub mod help;
pub mod knobs;
pub mod lanes;
pub mod lesson;
pub mod picker;
pub mod story;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::app::{App, Screen};
use super::theme::Theme;
use lesson::{LessonDrawn, LessonView, MIN_HEIGHT, MIN_WIDTH, too_small};
use picker::PickerView;

/// What drawing tells input: the layout facts that clicks, scrolling and
/// paging need, as the frame drew them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drawn {
    /// The terminal's size.
    pub size: (u16, u16),
    /// The "terminal too small" screen was drawn instead.
    pub too_small: bool,
    pub lesson: LessonDrawn,
}

/// Draws the whole screen for the app's state, and says where things went.
pub fn draw(frame: &mut Frame, app: &App) -> Drawn {
    let area = frame.area();
    let buf = frame.buffer_mut();
    let mut drawn = Drawn {
        size: (area.width, area.height),
        ..Drawn::default()
    };
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(area, buf, &app.theme);
        if app.theme.ascii {
            ascii_only(buf);
        }
        drawn.too_small = true;
        return drawn;
    }
    match &app.screen {
        Screen::Picker => draw_picker(app, area, buf),
        Screen::Lesson(open) => {
            let view = LessonView {
                state: &open.state,
                code: &open.code,
                twin: &open.twin,
                theme: &app.theme,
            };
            drawn.lesson = view.draw(area, buf);
            if let Some(notice) = &app.notice {
                let above_status = Rect {
                    height: area.height.saturating_sub(1),
                    ..area
                };
                draw_notice(notice, above_status, buf, &app.theme);
            }
        }
    }
    if app.help {
        help::draw(
            app.context_under_help(),
            app.help_scroll,
            area,
            buf,
            &app.theme,
        );
    }
    if app.theme.ascii {
        ascii_only(frame.buffer_mut());
    }
    drawn
}

/// `--ascii` is a promise about every cell, whatever text a lesson or a
/// widget brought: anything outside ASCII is replaced here, last.
fn ascii_only(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        let symbol = cell.symbol();
        if !symbol.is_ascii() {
            let ascii = story::to_ascii(symbol);
            let first = ascii.chars().find(|c| c.is_ascii()).unwrap_or('?');
            cell.set_char(first);
        }
    }
}

fn draw_picker(app: &App, area: Rect, buf: &mut ratatui::buffer::Buffer) {
    let [main, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let view = PickerView {
        state: &app.picker,
        catalog: app.catalog,
        progress: &app.progress,
        theme: &app.theme,
    };
    view.render(main, buf);
    let theme = &app.theme;
    if let Some(notice) = &app.notice {
        draw_notice(notice, main, buf, theme);
    }
    let mut spans = vec![Span::styled(" lanes ", theme.title())];
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    spans.extend(lesson::hint_spans(
        app.context(),
        (status.width as usize).saturating_sub(used),
        u8::MAX,
        theme,
    ));
    Paragraph::new(Line::from(spans)).render(status, buf);
}

/// An app notice (a progress file problem) in a box over the bottom of `area`,
/// wrapped whole: a path and a reason do not fit one status line. It is
/// gone with the next key.
pub(super) fn draw_notice(
    notice: &str,
    area: Rect,
    buf: &mut ratatui::buffer::Buffer,
    theme: &Theme,
) {
    use ratatui::widgets::{Clear, Wrap};
    let inner_width = area.width.saturating_sub(2).max(1) as usize;
    let lines = Span::raw(notice).width().div_ceil(inner_width).clamp(1, 6) as u16 + 1;
    let height = (lines + 2).min(area.height);
    let rect = Rect::new(
        area.x,
        area.bottom().saturating_sub(height),
        area.width,
        height,
    );
    Clear.render(rect, buf);
    let block = theme.pane(" notice ", true);
    let inner = block.inner(rect);
    block.render(rect, buf);
    Paragraph::new(vec![
        Line::styled(notice.to_string(), theme.warn()),
        Line::styled("(gone with the next key you use)", theme.dim()),
    ])
    .wrap(Wrap { trim: true })
    .render(inner, buf);
}

/// `text`, cut to `width` columns with `ellipsis` at the end when it does
/// not fit.
pub(crate) fn fit(text: &str, width: usize, ellipsis: &str) -> String {
    if Span::raw(text).width() <= width {
        return text.to_string();
    }
    let ellipsis_width = Span::raw(ellipsis).width();
    let (room, ellipsis) = if width > ellipsis_width {
        (width - ellipsis_width, ellipsis)
    } else {
        (width, "")
    };
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = Span::raw(c.encode_utf8(&mut [0; 4]) as &str).width();
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push_str(ellipsis);
    out
}

/// `text` with a no-break space between a number and its time unit, so
/// that wrapping never leaves "s" at the start of a line ("1.0 s").
pub(crate) fn glue_units(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let rest = &text[i + c.len_utf8()..];
        let is_unit = |unit: &str| {
            rest.strip_prefix(unit)
                .is_some_and(|after| !after.starts_with(char::is_alphanumeric))
        };
        let after_digit = out.ends_with(|d: char| d.is_ascii_digit());
        if c == ' ' && after_digit && (is_unit("ms") || is_unit("s")) {
            out.push('\u{a0}');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::glue_units;

    #[test]
    fn a_time_is_glued_to_its_unit() {
        assert_eq!(
            glue_units("takes 1.0 s. Then 250 ms, 3 items, 2 steps"),
            "takes 1.0\u{a0}s. Then 250\u{a0}ms, 3 items, 2 steps"
        );
        // Any text at all: other scripts, a unit at the very end, words
        // that only start like a unit.
        assert_eq!(glue_units("café → 2 s"), "café → 2\u{a0}s");
        assert_eq!(glue_units("ü 1 sec, 2 msgs"), "ü 1 sec, 2 msgs");
    }
}
