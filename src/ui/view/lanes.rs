//! The lanes view: one row per lane on a shared time axis, drawn as it was
//! at the view time (so rewinding redraws the past). Only visible rows are
//! computed, each from its own events, so 10,000 lanes cost what 30 do.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

use crate::render::text::{axis_ticks, seconds};
use crate::trace::query::is_timer_wait;
use crate::trace::timeline::{Cell, paint};
use crate::trace::{LaneId, LaneNow, Trace};
use crate::ui::snapshot::{ShownRow, Tally};
use crate::ui::theme::Theme;

/// How much time the axis shows: a round number of seconds at least 5%
/// beyond `reached`, so the axis rescales rarely while a lesson plays.
pub fn axis_span(reached: Duration) -> Duration {
    const NICE: [f64; 10] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0];
    let want = (reached.as_secs_f64() * 1.05).max(0.5);
    let mut scale = 0.1;
    loop {
        for n in NICE {
            if n * scale >= want {
                return Duration::from_secs_f64(n * scale);
            }
        }
        scale *= 10.0;
    }
}

pub struct LanesView<'a> {
    pub trace: &'a Trace,
    /// The rows on screen, with their lanes' states, from the snapshot.
    pub rows: &'a [ShownRow<'a>],
    pub selected: Option<LaneId>,
    pub view_us: u64,
    pub span: Duration,
    pub theme: &'a Theme,
    /// Screen lines per lane: 2 in presenter mode.
    pub row_height: u16,
}

/// Where the parts of a lane row go.
struct Columns {
    label: u16,
    cells: u16,
    state: u16,
}

impl LanesView<'_> {
    /// Lane rows that fit in a given height (two lines go to the axis).
    pub fn rows_fitting(height: u16, row_height: u16) -> usize {
        (height.saturating_sub(2) / row_height.max(1)) as usize
    }

    fn columns(&self, width: u16) -> Columns {
        let longest = self
            .rows
            .iter()
            .map(|r| {
                r.row.depth as usize * 2 + 2 + self.trace.lane_name(r.row.lane).chars().count()
            })
            .max()
            .unwrap_or(8) as u16;
        let label = longest.clamp(8, (width / 3).max(8));
        // What each lane waits on now, in a column of its own when it fits.
        let state = if width >= 48 {
            (width * 2 / 7).clamp(14, 28)
        } else {
            0
        };
        let cells = width.saturating_sub(label + 1 + state + u16::from(state > 0));
        Columns {
            label,
            cells,
            state,
        }
    }

    fn cell_us(&self, cells: u16) -> u64 {
        (self.span.as_micros() as u64 / cells.max(1) as u64).max(1)
    }

    fn draw_axis(&self, area: Rect, cols: &Columns, buf: &mut Buffer) {
        let theme = self.theme;
        let x0 = area.x + cols.label + 1;
        let cell_us = self.cell_us(cols.cells);
        // Labelled ticks at round times, as the text chart has them: never
        // touching, one label for every tick.
        for (column, label) in axis_ticks(cols.cells as usize, cell_us) {
            let x = x0 + column as u16;
            buf.set_stringn(
                x,
                area.y,
                &label,
                (x0 + cols.cells - x) as usize,
                theme.dim(),
            );
            buf.set_string(x, area.y + 1, theme.glyphs().tick.to_string(), theme.dim());
        }
        let head = x0 + ((self.view_us / cell_us) as u16).min(cols.cells.saturating_sub(1));
        buf.set_string(
            head,
            area.y + 1,
            theme.glyphs().playhead.to_string(),
            theme.playhead(),
        );
        if cols.state > 0 {
            let x = x0 + cols.cells + 1;
            buf.set_stringn(
                x,
                area.y,
                format!("at {}", clock(self.view_us)),
                cols.state as usize,
                theme.title(),
            );
        }
    }

    fn draw_row(&self, shown: &ShownRow<'_>, y: u16, area: Rect, cols: &Columns, buf: &mut Buffer) {
        let theme = self.theme;
        let glyphs = theme.glyphs();
        let row = &shown.row;
        let selected = self.selected == Some(row.lane);
        let cells = paint(
            self.trace,
            row.lane,
            0,
            self.cell_us(cols.cells),
            cols.cells as usize,
            self.view_us,
        );
        for line in 0..self.row_height {
            let yy = y + line;
            if yy >= area.bottom() {
                return;
            }
            if selected {
                buf.set_style(Rect::new(area.x, yy, area.width, 1), theme.selected());
            }
            self.draw_cells(&cells, area.x + cols.label + 1, yy, buf);
        }
        // Label: indent, fold mark, name.
        let fold = match (row.children > 0, row.folded) {
            (false, _) => ' ',
            (true, true) => glyphs.folded,
            (true, false) => glyphs.unfolded,
        };
        let prefix = format!("{}{fold} ", "  ".repeat(row.depth as usize));
        // A long name loses its middle, not its end: lanes named alike
        // ("try_join_all 1", "try_join_all 2") differ at the end.
        let room = (cols.label as usize).saturating_sub(prefix.chars().count());
        let label = prefix + &truncate_middle(self.trace.lane_name(row.lane), room);
        let label_style = if selected {
            theme.selected()
        } else {
            theme.text()
        };
        buf.set_stringn(
            area.x,
            y,
            truncate(&label, cols.label as usize),
            cols.label as usize,
            label_style,
        );
        if cols.state > 0 {
            let (text, style) = self.state_text(shown, cols.state);
            let x = area.x + cols.label + 1 + cols.cells + 1;
            let style = if selected {
                style.patch(theme.selected())
            } else {
                style
            };
            buf.set_stringn(
                x,
                y,
                truncate(&text, cols.state as usize),
                cols.state as usize,
                style,
            );
        }
    }

    /// The row's cells from time zero to the view time: what each column
    /// shows is the trace's own rule (`trace::timeline`), shared with the
    /// text chart.
    fn draw_cells(&self, cells: &[Cell], x0: u16, y: u16, buf: &mut Buffer) {
        let theme = self.theme;
        let glyphs = theme.glyphs();
        for (c, cell) in cells.iter().enumerate() {
            let (glyph, style) = match cell {
                Cell::Empty => continue,
                Cell::Queued => (glyphs.queued, theme.queued()),
                Cell::Running => (glyphs.running, theme.running()),
                Cell::Timer => (glyphs.timer, theme.timer()),
                Cell::Waiting => (glyphs.waiting, theme.waiting()),
                Cell::Done => (glyphs.done, theme.done()),
                Cell::Cancelled => (glyphs.cancelled, theme.cancelled()),
                Cell::Failed => (glyphs.failed, theme.failed()),
            };
            buf.set_string(x0 + c as u16, y, glyph.to_string(), style);
        }
    }

    fn state_text(&self, shown: &ShownRow<'_>, width: u16) -> (String, Style) {
        let theme = self.theme;
        if let Some(tally) = &shown.folded {
            return (summary(tally, width as usize), theme.text());
        }
        match &shown.now {
            LaneNow::Absent => (String::new(), theme.dim()),
            LaneNow::Queued => ("not polled yet".into(), theme.queued()),
            LaneNow::Running { .. } if shown.blocking => {
                ("blocks the thread".into(), theme.running())
            }
            LaneNow::Running { .. } => ("running".into(), theme.running()),
            LaneNow::Waiting { on, .. } if shown.late_us.is_some() => (
                format!("timer late {}", clock(shown.late_us.unwrap_or(0))),
                theme.warn(),
            ),
            LaneNow::Waiting { on, .. } if is_timer_wait(on) => (on.to_string(), theme.timer()),
            LaneNow::Waiting { on, .. } => (on.to_string(), theme.waiting()),
            LaneNow::Done(t) => (format!("done {}", seconds(*t)), theme.done()),
            LaneNow::Cancelled {
                never_polled: true, ..
            } => ("never polled".into(), theme.cancelled()),
            LaneNow::Cancelled {
                at, by_you: true, ..
            } => {
                let long = format!("cancelled by you {}", seconds(*at));
                let text = if long.chars().count() <= width as usize {
                    long
                } else {
                    format!("by you {}", seconds(*at))
                };
                (text, theme.cancelled())
            }
            LaneNow::Cancelled { at, .. } => {
                (format!("cancelled {}", seconds(*at)), theme.cancelled())
            }
            LaneNow::Failed(t, detail) => {
                (format!("failed {}: {detail}", seconds(*t)), theme.failed())
            }
        }
    }
}

/// "100 running, 0 waiting, 4900 ended" for a folded parent, shorter
/// when the column is narrow.
fn summary(tally: &Tally, width: usize) -> String {
    let (live, ended, total) = (tally.live(), tally.ended(), tally.total);
    let counts = [
        (tally.running, "running", "run"),
        (tally.waiting + tally.queued, "waiting", "wait"),
        (ended, "ended", "end"),
    ];
    // The states that have lanes, in long words, then in short ones.
    let some = |short: bool| -> String {
        let parts: Vec<String> = counts
            .iter()
            .filter(|(n, ..)| *n > 0)
            .map(|(n, long, brief)| format!("{n} {}", if short { brief } else { long }))
            .collect();
        parts.join(", ")
    };
    [
        format!(
            "{} running, {} waiting, {ended} ended",
            counts[0].0, counts[1].0
        ),
        some(false),
        some(true),
        format!("{live} live, {ended} ended"),
    ]
    .into_iter()
    .find(|text| !text.is_empty() && text.chars().count() <= width)
    .unwrap_or_else(|| format!("{live}/{total} live"))
}

impl Widget for &LanesView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width < 12 || area.height < 3 {
            return;
        }
        let cols = self.columns(area.width);
        self.draw_axis(area, &cols, buf);
        let rows_area = Rect::new(area.x, area.y + 2, area.width, area.height - 2);
        let fitting = LanesView::rows_fitting(area.height, self.row_height);
        for (i, row) in self.rows.iter().take(fitting).enumerate() {
            let y = rows_area.y + i as u16 * self.row_height;
            self.draw_row(row, y, rows_area, &cols, buf);
        }
        if self.rows.is_empty() {
            buf.set_string(rows_area.x, rows_area.y, "no lanes yet", self.theme.dim());
        }
    }
}

/// The view clock for people: to the millisecond (a frame's time is not
/// a round number).
pub fn clock(us: u64) -> String {
    seconds((us + 500) / 1_000 * 1_000)
}

/// Cuts `text` to `width` characters, marking the cut with `~`.
/// `text` in `width` columns, a `~` where its middle was cut out; the end
/// keeps up to half the room.
pub fn truncate_middle(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_string();
    }
    if width < 4 {
        return truncate(text, width);
    }
    let tail = (width - 1) / 2;
    let head = width - 1 - tail;
    let mut cut: String = text.chars().take(head).collect();
    cut.push('~');
    cut.extend(text.chars().skip(count - tail));
    cut
}

pub fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else if width == 0 {
        String::new()
    } else {
        let mut cut: String = text.chars().take(width - 1).collect();
        cut.push('~');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_keep_their_ends() {
        assert_eq!(truncate_middle("try_join_all 6", 14), "try_join_all 6");
        assert_eq!(truncate_middle("try_join_all 6", 11), "try_j~all 6");
        assert_eq!(truncate_middle("try_join_all 16", 9), "try_~l 16");
        assert_eq!(truncate_middle("abcdef", 3), "ab~");
        assert_eq!(truncate_middle("abcdef", 0), "");
        for width in 0..20 {
            let cut = truncate_middle("producer (gather) 12", width);
            assert_eq!(cut.chars().count(), width.min(20), "{cut:?}");
        }
    }
}
