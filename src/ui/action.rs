//! Everything a learner can ask for. Keys and mouse events become actions
//! (see `keymap`); `App::update` applies them.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    // anywhere
    Quit,
    Back,
    ToggleHelp,
    // lists and panes
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    // picker
    StartFilter,
    FilterChar(char),
    FilterBackspace,
    FinishFilter,
    CancelFilter,
    // lesson
    TogglePlay,
    Step,
    Faster,
    Slower,
    Restart,
    Rewind,
    Forward,
    RewindToStart,
    Live,
    NextLesson,
    CancelLane,
    OpenKnobs,
    TogglePresenter,
    SwitchPane,
    ToggleFold,
    TextUp,
    TextDown,
    Answer(u8),
    // knobs editor
    KnobLess,
    KnobMore,
    KnobApply,
    KnobChar(char),
    KnobBackspace,
    // time
    /// A frame's worth of real time has passed.
    Tick(std::time::Duration),
    // mouse
    Click {
        column: u16,
        row: u16,
    },
    ScrollUp {
        column: u16,
        row: u16,
    },
    ScrollDown {
        column: u16,
        row: u16,
    },
}
