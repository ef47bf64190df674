//! The help overlay, made from the keymap table that handles the keys.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use super::lesson::key_label;
use crate::ui::keymap::{Context, groups};
use crate::ui::theme::Theme;

pub fn draw(context: Context, scroll: u16, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let mut lines = vec![Line::styled(
        match context {
            Context::Picker | Context::Filter => "The lesson list",
            _ => "The lesson screen",
        },
        theme.heading(),
    )];
    let contexts: &[Context] = match context {
        Context::Picker | Context::Filter => &[Context::Picker, Context::Filter],
        _ => &[Context::Lesson, Context::Knobs],
    };
    let key = |label: &str| Span::styled(format!("  {:<10}", key_label(label, theme)), theme.key());
    for &ctx in contexts {
        for (group, bindings) in groups(ctx) {
            lines.push(Line::styled(group, theme.heading()));
            for binding in bindings {
                lines.push(Line::from(vec![
                    key(binding.label),
                    Span::raw(binding.help),
                ]));
            }
            if ctx == Context::Lesson && group == "Playing" {
                lines.push(Line::from(vec![
                    key("1-9"),
                    Span::raw("answer the question, before the run starts"),
                ]));
            }
            if ctx == Context::Knobs {
                lines.push(Line::from(vec![key("0-9"), Span::raw("type a number")]));
            }
        }
    }
    lines.push(Line::styled("Anywhere", theme.heading()));
    lines.push(Line::from(vec![
        key("Ctrl-C"),
        Span::raw("quit, from anywhere"),
    ]));
    lines.push(Line::from(vec![
        key("mouse"),
        Span::raw("click a lane or a lesson; the wheel scrolls"),
    ]));
    let g = theme.glyphs();
    lines.push(Line::styled("Lanes", theme.heading()));
    for (glyph, style, what) in [
        (
            g.running,
            theme.running(),
            "running (a poll that took time)",
        ),
        (
            g.timer,
            theme.timer(),
            "waiting on a timer (sleep, timeout, interval)",
        ),
        (
            g.waiting,
            theme.waiting(),
            "waiting on a lock, permit, channel or task",
        ),
        (g.queued, theme.queued(), "spawned, not polled yet"),
        (g.done, theme.done(), "done"),
        (
            g.cancelled,
            theme.cancelled(),
            "cancelled (dropped before it finished)",
        ),
        (g.failed, theme.failed(), "failed (an error or a panic)"),
    ] {
        lines.push(Line::from(vec![
            Span::styled(format!("  {glyph}  "), style),
            Span::raw(what),
        ]));
    }

    // Two columns when there is room, so that it fits without scrolling.
    let columns: u16 = if area.width >= 110 { 2 } else { 1 };
    let per_column = lines.len().div_ceil(columns as usize);
    let width = area.width.min(76 * columns);
    let height = (per_column as u16 + 2).min(area.height);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    Clear.render(popup, buf);
    let more = per_column as u16 > height.saturating_sub(2);
    let title = if more {
        format!(" help ({} scroll, Esc closes) ", key_label("↑/↓", theme))
    } else {
        " help (Esc closes) ".to_string()
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_set(theme.border_set())
        .border_style(theme.focused_border())
        .title(Span::styled(title, theme.title()));
    let inner = block.inner(popup);
    block.render(popup, buf);
    let scroll = scroll.min((per_column as u16).saturating_sub(inner.height));
    let column_width = inner.width / columns;
    let mut rest = lines;
    for c in 0..columns {
        let take = per_column.min(rest.len());
        let column: Vec<Line> = rest.drain(..take).collect();
        let area = Rect::new(
            inner.x + c * column_width,
            inner.y,
            column_width,
            inner.height,
        );
        Paragraph::new(column).scroll((scroll, 0)).render(area, buf);
    }
}
