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
    let height = (knobs.len() as u16 * 2 + 4).min(area.height);
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
            " knobs: ←/→ change, Enter restarts with them, Esc cancels ",
            theme.title(),
        ));
    let block = if theme.ascii {
        block.title(Span::styled(
            " knobs: Left/Right change, Enter restarts, Esc cancels ",
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
        lines.push(Line::from(vec![
            Span::raw(format!("{marker} {:<16}", knob.name)),
            Span::styled(format!(" {value} "), value_style),
            Span::styled(if changed { " (changed)" } else { "" }, theme.warn()),
        ]));
        lines.push(Line::styled(
            format!("    {}; {}", knob.help, knob.accepts()),
            theme.dim(),
        ));
    }
    Paragraph::new(lines)
        .wrap(ratatui::widgets::Wrap { trim: false })
        .render(inner, buf);
}
