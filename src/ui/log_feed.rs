//! The log pane's feed: the lesson's `tracing` lines, as the view reveals
//! them, go to tui-logger, which draws the live log.
//!
//! tui-logger keeps one global buffer that only grows, so each run logs
//! under a target of its own and the pane shows that target alone: a
//! restart starts with an empty log. The buffer cannot go back in time, so
//! a rewound view draws its log from the trace instead.

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

use log::LevelFilter;
use tui_logger::TuiWidgetState;

use crate::render::text::seconds;
use crate::trace::{EventKind, Level, Trace};

pub struct LogFeed {
    target: String,
    /// Index of the next trace event to look at.
    next: usize,
    pub state: TuiWidgetState,
}

impl LogFeed {
    pub fn new() -> Self {
        static INIT: Once = Once::new();
        static RUNS: AtomicU64 = AtomicU64::new(1);
        INIT.call_once(|| {
            // Fails only if another logger is set (never, in lanes).
            let _ = tui_logger::init_logger(LevelFilter::Trace);
            tui_logger::set_default_level(LevelFilter::Trace);
        });
        let target = format!("lanes-run-{}", RUNS.fetch_add(1, Ordering::Relaxed));
        let state = TuiWidgetState::new()
            .set_default_display_level(LevelFilter::Off)
            .set_level_for_target(&target, LevelFilter::Trace);
        LogFeed {
            target,
            next: 0,
            state,
        }
    }

    /// Logs every lesson log line up to `until_us` not logged yet.
    pub fn feed(&mut self, trace: &Trace, until_us: u64) {
        let events = trace.events();
        let mut sent = 0;
        while let Some(event) = events.get(self.next) {
            if event.t_us > until_us {
                break;
            }
            if let EventKind::Log { level, detail } = event.kind {
                let who = event.lane.map_or("lanes", |l| trace.lane_name(l));
                let text = trace.text(detail);
                // The same words as the trace and the text chart.
                let tag = crate::render::text::level_tag(level);
                let level = match level {
                    Level::Error => log::Level::Error,
                    Level::Warn => log::Level::Warn,
                    Level::Info => log::Level::Info,
                    Level::Debug => log::Level::Debug,
                    Level::Trace => log::Level::Trace,
                };
                log::log!(target: &self.target, level, "{:>9}  {who}: {tag}{text}", seconds(event.t_us));
                sent += 1;
                // tui-logger's intake buffer is bounded: empty it as we go.
                if sent % 500 == 0 {
                    tui_logger::move_events();
                }
            }
            self.next += 1;
        }
        if sent > 0 {
            tui_logger::move_events();
        }
    }
}

impl Default for LogFeed {
    fn default() -> Self {
        LogFeed::new()
    }
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::widgets::Widget;

    use super::*;
    use crate::trace::{Event, Header};

    fn trace() -> Trace {
        let mut trace = Trace::new(Header {
            lesson: "t".into(),
            knobs: vec![],
        });
        let name = trace.intern("worker");
        trace.push_event(Event {
            t_us: 0,
            lane: Some(1),
            kind: EventKind::Spawned { name, parent: None },
        });
        for (t_us, text) in [(0, "first"), (1_000_000, "second"), (2_000_000, "third")] {
            let detail = trace.intern(text);
            trace.push_event(Event {
                t_us,
                lane: Some(1),
                kind: EventKind::Log {
                    level: Level::Info,
                    detail,
                },
            });
        }
        trace
    }

    fn shown(feed: &LogFeed) -> Vec<String> {
        let area = Rect::new(0, 0, 40, 6);
        let mut buf = Buffer::empty(area);
        tui_logger::TuiLoggerWidget::default()
            .state(&feed.state)
            .output_timestamp(None)
            .output_level(None)
            .output_target(false)
            .output_file(false)
            .output_line(false)
            .render(area, &mut buf);
        (0..area.height)
            .map(|y| {
                (0..area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .trim()
                    .to_string()
            })
            .filter(|line| !line.is_empty())
            .collect()
    }

    #[test]
    fn lines_are_logged_once_and_only_up_to_the_view_time() {
        let trace = trace();
        let mut feed = LogFeed::new();
        feed.feed(&trace, 1_000_000);
        assert_eq!(
            shown(&feed),
            ["0.0 s  worker: first", "1.0 s  worker: second"]
        );
        feed.feed(&trace, 1_000_000);
        feed.feed(&trace, 2_500_000);
        assert_eq!(shown(&feed).len(), 3);
        assert_eq!(shown(&feed)[2], "2.0 s  worker: third");
    }

    #[test]
    fn a_new_run_starts_with_an_empty_log() {
        let mut old = LogFeed::new();
        old.feed(&trace(), u64::MAX);
        assert_eq!(shown(&LogFeed::new()), Vec::<String>::new());
    }
}
