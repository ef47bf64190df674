//! The knobs popup: change a knob, Enter restarts the lesson with it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::ui::lesson::LessonState;
use crate::ui::theme::Theme;

pub fn draw(state: &LessonState, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let Some(editor) = &state.knob_editor else {
        return;
    };
    let knobs = &state.lesson.knobs;
    let width = area.width.min(84);
    let height = (knobs.len() as u16 * 2 + 4 + u16::from(editor.error.is_some())).min(area.height);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height,
    );
    Clear.render(popup, buf);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_set(theme.border_set())
        .border_style(theme.focused_border())
        .title(Span::styled(
            " knobs: ←/→ or digits change, Enter restarts with them, Esc cancels ",
            theme.title(),
        ));
    let block = if theme.ascii {
        block.title(Span::styled(
            " knobs: Left/Right or digits, Enter restarts, Esc cancels ",
            theme.title(),
        ))
    } else {
        block
    };
    let inner = block.inner(popup);
    block.render(popup, buf);
    let mut lines = Vec::new();
    for (i, (knob, (_, value))) in knobs.iter().zip(&editor.values).enumerate() {
        let selected = i == editor.selected;
        let changed = state.knobs.values().get(i).is_some_and(|(_, v)| v != value);
        let marker = if selected { theme.glyphs().marker } else { ' ' };
        let value_style = if selected {
            theme.selected()
        } else {
            theme.key()
        };
        // Digits being typed show in place of the value, with a cursor.
        let shown = match (&editor.typed, selected) {
            (Some(typed), true) => format!("{typed}{}", if theme.ascii { "_" } else { "█" }),
            _ => value.to_string(),
        };
        lines.push(Line::from(vec![
            Span::raw(format!("{marker} {:<16}", knob.name)),
            Span::styled(format!(" {shown} "), value_style),
            Span::styled(if changed { " (changed)" } else { "" }, theme.warn()),
        ]));
        lines.push(Line::styled(
            format!("    {}; {}", knob.help, knob.accepts()),
            theme.dim(),
        ));
    }
    if let Some(error) = &editor.error {
        lines.push(Line::styled(error.clone(), theme.error()));
    }
    Paragraph::new(lines)
        .wrap(ratatui::widgets::Wrap { trim: false })
        .render(inner, buf);
}
