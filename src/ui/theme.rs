//! Every style and glyph of the interface, in one place.
//!
//! State is never shown by colour alone: each lane state has its own glyph
//! too, so `NO_COLOR` (no colour at all) and `--ascii` (no characters
//! outside ASCII) both stay readable.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    /// False when `NO_COLOR` is set: styles use modifiers only.
    pub color: bool,
    /// True with `--ascii`: glyphs and borders are plain ASCII.
    pub ascii: bool,
    /// Presenter mode: higher contrast, bigger lanes.
    pub presenter: bool,
}

/// The characters that draw a lane's states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Glyphs {
    pub running: char,
    pub timer: char,
    pub waiting: char,
    pub queued: char,
    pub done: char,
    pub cancelled: char,
    pub failed: char,
    pub playhead: char,
    pub tick: char,
    pub marker: char,
    pub folded: char,
    pub unfolded: char,
}

const UNICODE: Glyphs = Glyphs {
    running: '█',
    timer: '─',
    waiting: '┄',
    queued: '░',
    done: '✔',
    cancelled: '✘',
    failed: '!',
    playhead: '│',
    tick: '┬',
    marker: '▶',
    folded: '▸',
    unfolded: '▾',
};

const ASCII: Glyphs = Glyphs {
    running: '=',
    timer: '-',
    waiting: '.',
    queued: '~',
    done: '*',
    cancelled: 'x',
    failed: '!',
    playhead: '|',
    tick: '+',
    marker: '>',
    folded: '+',
    unfolded: '-',
};

const PRESENTER: Glyphs = Glyphs {
    running: '█',
    timer: '═',
    waiting: '·',
    queued: '░',
    ..UNICODE
};

const ASCII_PRESENTER: Glyphs = Glyphs {
    running: '#',
    timer: '=',
    waiting: '.',
    queued: '~',
    ..ASCII
};

impl Theme {
    /// Colour and Unicode: the usual look.
    pub const COLOR: Theme = Theme {
        color: true,
        ascii: false,
        presenter: false,
    };
    /// As with `NO_COLOR` set.
    pub const NO_COLOR: Theme = Theme {
        color: false,
        ascii: false,
        presenter: false,
    };
    /// As with `--ascii` and `NO_COLOR`: the plainest terminal.
    pub const ASCII: Theme = Theme {
        color: false,
        ascii: true,
        presenter: false,
    };

    /// Colour unless `NO_COLOR` is set to anything non-empty.
    pub fn from_env(ascii: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme {
            color: !no_color,
            ascii,
            presenter: false,
        }
    }

    /// The lane glyphs. Presenter mode tells states apart by shape from
    /// the back of a room: a solid block, a double bar, dots.
    pub fn glyphs(&self) -> &'static Glyphs {
        match (self.ascii, self.presenter) {
            (false, false) => &UNICODE,
            (false, true) => &PRESENTER,
            (true, false) => &ASCII,
            (true, true) => &ASCII_PRESENTER,
        }
    }

    pub fn border_set(&self) -> ratatui::symbols::border::Set<'static> {
        if self.ascii {
            ratatui::symbols::border::Set {
                top_left: "+",
                top_right: "+",
                bottom_left: "+",
                bottom_right: "+",
                vertical_left: "|",
                vertical_right: "|",
                horizontal_top: "-",
                horizontal_bottom: "-",
            }
        } else {
            ratatui::symbols::border::ROUNDED
        }
    }

    fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn text(&self) -> Style {
        Style::new()
    }

    /// Secondary text. On a projector grey washes out, so presenter mode
    /// keeps it at full contrast.
    pub fn dim(&self) -> Style {
        if self.presenter {
            Style::new()
        } else if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn heading(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn border(&self) -> Style {
        if self.presenter {
            self.fg(Color::White)
        } else {
            self.dim()
        }
    }

    pub fn focused_border(&self) -> Style {
        self.fg(Color::Cyan)
    }

    /// The bordered, titled block every pane is drawn in.
    pub fn pane<'a>(
        &self,
        title: impl Into<std::borrow::Cow<'a, str>>,
        focused: bool,
    ) -> Block<'a> {
        Block::new()
            .borders(Borders::ALL)
            .border_set(self.border_set())
            .border_style(if focused {
                self.focused_border()
            } else {
                self.border()
            })
            .title(Span::styled(title, self.title()))
    }

    /// A pane whose text may not fit: where the view is (` 5-9/39 `) on
    /// its bottom border, so the reader knows there is more.
    pub fn scrolled_pane<'a>(
        &self,
        title: impl Into<std::borrow::Cow<'a, str>>,
        focused: bool,
        position: Option<String>,
    ) -> Block<'a> {
        let block = self.pane(title, focused);
        match position {
            Some(text) => {
                block.title_bottom(ratatui::text::Line::styled(text, self.dim()).right_aligned())
            }
            None => block,
        }
    }

    /// The selected row of a list or the lanes view.
    pub fn selected(&self) -> Style {
        if self.color {
            Style::new()
                .bg(Color::Rgb(40, 50, 70))
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn code(&self) -> Style {
        self.fg(Color::LightGreen)
    }

    pub fn error(&self) -> Style {
        self.fg(Color::LightRed).add_modifier(Modifier::BOLD)
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn good(&self) -> Style {
        self.fg(Color::LightGreen).add_modifier(Modifier::BOLD)
    }

    // ----- lane states -------------------------------------------------

    pub fn running(&self) -> Style {
        self.fg(Color::LightGreen).add_modifier(Modifier::BOLD)
    }

    pub fn timer(&self) -> Style {
        self.fg(if self.presenter {
            Color::LightBlue
        } else {
            Color::Blue
        })
    }

    pub fn waiting(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn queued(&self) -> Style {
        self.dim()
    }

    pub fn done(&self) -> Style {
        self.fg(Color::LightGreen).add_modifier(Modifier::BOLD)
    }

    pub fn cancelled(&self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }

    pub fn failed(&self) -> Style {
        self.fg(Color::LightRed).add_modifier(Modifier::BOLD)
    }

    pub fn playhead(&self) -> Style {
        self.fg(Color::White).add_modifier(Modifier::BOLD)
    }

    /// A line of code some lane is parked on.
    pub fn parked_line(&self) -> Style {
        if self.color {
            Style::new().bg(Color::Rgb(60, 50, 20))
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED)
        }
    }
}
