//! The one table of key bindings. It turns keys into actions, and the help
//! overlay and the status-line hints are made from it, so they can never
//! disagree with what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};

use super::action::Action;

/// Where the keys are pressed: each has its own bindings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Picker,
    /// Typing a filter in the picker.
    Filter,
    Lesson,
    Knobs,
    Help,
    /// Behind the "terminal too small" screen: only quitting works.
    TooSmall,
}

/// One binding: the keys, what they do, and how help shows them.
pub struct Binding {
    pub context: Context,
    pub keys: &'static [KeyCode],
    pub action: Action,
    /// How the keys are written in help and hints.
    pub label: &'static str,
    pub help: &'static str,
    /// The help overlay's heading this binding is listed under.
    pub group: &'static str,
    /// Its place among the status line's key hints: 1 is always shown,
    /// higher numbers as the width allows, 0 never.
    pub hint: u8,
}

use Context::*;
use KeyCode::*;

const fn bind(
    context: Context,
    keys: &'static [KeyCode],
    action: Action,
    label: &'static str,
    help: &'static str,
    group: &'static str,
    hint: u8,
) -> Binding {
    Binding {
        context,
        keys,
        action,
        label,
        help,
        group,
        hint,
    }
}

const MOVE: &str = "Moving";
const FILTER: &str = "Filtering";
const GO: &str = "Opening and leaving";
const PLAY: &str = "Playing";
const TIME: &str = "Going back in time";
const LANES: &str = "Lanes";
const TEXT: &str = "Text";
const LESSON: &str = "The lesson";
const KNOBS: &str = "Knobs";
const HELP: &str = "Help";

#[rustfmt::skip]
pub static KEYMAP: &[Binding] = &[
    bind(Picker, &[Up, Char('k')], Action::Up, "↑/k", "previous lesson", MOVE, 0),
    bind(Picker, &[Down, Char('j')], Action::Down, "↓/j", "next lesson", MOVE, 0),
    bind(Picker, &[PageUp], Action::PageUp, "PgUp", "previous chapter", MOVE, 0),
    bind(Picker, &[PageDown], Action::PageDown, "PgDn", "next chapter", MOVE, 0),
    bind(Picker, &[Home, Char('g')], Action::Top, "Home/g", "first lesson", MOVE, 0),
    bind(Picker, &[End, Char('G')], Action::Bottom, "End/G", "last lesson", MOVE, 0),
    bind(Picker, &[Char('/')], Action::StartFilter, "/", "filter the list", FILTER, 2),
    bind(Picker, &[Enter, Right, Char('l')], Action::Open, "Enter", "open the lesson", GO, 1),
    bind(Picker, &[Char('?')], Action::ToggleHelp, "?", "help", GO, 1),
    bind(Picker, &[Char('q')], Action::Quit, "q", "quit", GO, 1),
    bind(Picker, &[Esc], Action::Back, "Esc", "clear the filter, or quit", GO, 0),
    bind(Filter, &[Enter], Action::FinishFilter, "Enter", "keep the filter", FILTER, 1),
    bind(Filter, &[Esc], Action::CancelFilter, "Esc", "clear the filter", FILTER, 1),
    bind(Filter, &[Backspace], Action::FilterBackspace, "Bksp", "delete a character", FILTER, 0),
    bind(Filter, &[Up], Action::Up, "↑", "previous match", FILTER, 0),
    bind(Filter, &[Down], Action::Down, "↓", "next match", FILTER, 0),
    bind(Lesson, &[Char(' ')], Action::TogglePlay, "space", "play / pause", PLAY, 1),
    bind(Lesson, &[Char('.')], Action::Step, ".", "step to the next event", PLAY, 1),
    bind(Lesson, &[Char('+'), Char('=')], Action::Faster, "+", "faster (up to 10×)", PLAY, 3),
    bind(Lesson, &[Char('-'), Char('_')], Action::Slower, "-", "slower (down to 0.1×)", PLAY, 3),
    bind(Lesson, &[Char('r')], Action::Restart, "r", "restart (a fresh attempt)", PLAY, 2),
    bind(Lesson, &[Left, Char('h')], Action::Rewind, "←/h", "rewind (scrub back)", TIME, 2),
    bind(Lesson, &[Right, Char('l')], Action::Forward, "→/l", "scrub forward", TIME, 0),
    bind(Lesson, &[Home], Action::RewindToStart, "Home", "back to time zero", TIME, 0),
    bind(Lesson, &[End, Char('L')], Action::Live, "End", "back to the live run", TIME, 0),
    bind(Lesson, &[Up, Char('k')], Action::Up, "↑/k", "select the lane above", LANES, 0),
    bind(Lesson, &[Down, Char('j')], Action::Down, "↓/j", "select the lane below", LANES, 0),
    bind(Lesson, &[PageUp], Action::PageUp, "PgUp", "lanes: page up", LANES, 0),
    bind(Lesson, &[PageDown], Action::PageDown, "PgDn", "lanes: page down", LANES, 0),
    bind(Lesson, &[Char('g')], Action::Top, "g", "first lane", LANES, 0),
    bind(Lesson, &[Char('G')], Action::Bottom, "G", "last lane", LANES, 0),
    bind(Lesson, &[Enter], Action::ToggleFold, "Enter", "fold / unfold the lane's children", LANES, 0),
    bind(Lesson, &[Char('x')], Action::CancelLane, "x", "cancel the selected lane", LANES, 0),
    bind(Lesson, &[Tab], Action::SwitchPane, "Tab", "text pane: story, Rust, asyncio twin, log", TEXT, 2),
    bind(Lesson, &[Char('K'), Char('[')], Action::TextUp, "[", "scroll the text up", TEXT, 0),
    bind(Lesson, &[Char('J'), Char(']')], Action::TextDown, "]", "scroll the text down", TEXT, 0),
    bind(Lesson, &[Char('o')], Action::OpenKnobs, "o", "knobs", LESSON, 2),
    bind(Lesson, &[Char('p')], Action::TogglePresenter, "p", "presenter mode", LESSON, 4),
    bind(Lesson, &[Char('n')], Action::NextLesson, "n", "next lesson", LESSON, 3),
    bind(Lesson, &[Char('?')], Action::ToggleHelp, "?", "help", LESSON, 1),
    bind(Lesson, &[Char('q'), Esc], Action::Back, "q", "back to the lessons", LESSON, 1),
    bind(Knobs, &[Up, Char('k')], Action::Up, "↑/k", "previous knob", KNOBS, 2),
    bind(Knobs, &[Down, Char('j')], Action::Down, "↓/j", "next knob", KNOBS, 2),
    bind(Knobs, &[Left, Char('h'), Char('-')], Action::KnobLess, "←/h", "smaller / other choice", KNOBS, 1),
    bind(Knobs, &[Right, Char('l'), Char('+')], Action::KnobMore, "→/l", "bigger / other choice", KNOBS, 1),
    bind(Knobs, &[Backspace], Action::KnobBackspace, "Bksp", "delete a typed digit", KNOBS, 0),
    bind(Knobs, &[Enter], Action::KnobApply, "Enter", "restart with these knobs", KNOBS, 1),
    bind(Knobs, &[Esc, Char('q'), Char('o')], Action::Back, "Esc", "close, change nothing", KNOBS, 1),
    bind(Help, &[Esc, Char('q'), Char('?')], Action::ToggleHelp, "Esc", "close help", HELP, 1),
    bind(TooSmall, &[Char('q')], Action::Quit, "q", "quit", HELP, 1),
    bind(Help, &[Up, Char('k')], Action::Up, "↑/k", "scroll help up", HELP, 0),
    bind(Help, &[Down, Char('j')], Action::Down, "↓/j", "scroll help down", HELP, 0),
];

/// The action for a key in a context. Ctrl-C quits everywhere; in the
/// lesson screen, the digits answer the predict question; while filtering,
/// printable characters are typed.
pub fn action_for(context: Context, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return (key.code == Char('c')).then_some(Action::Quit);
    }
    if let Some(binding) = KEYMAP
        .iter()
        .find(|b| b.context == context && b.keys.contains(&key.code))
    {
        return Some(binding.action);
    }
    match (context, key.code) {
        (Filter, Char(c)) => Some(Action::FilterChar(c)),
        (Lesson, Char(c @ '1'..='9')) => Some(Action::Answer(c as u8 - b'0')),
        (Knobs, Char(c @ '0'..='9')) => Some(Action::KnobChar(c)),
        _ => None,
    }
}

/// Mouse events become clicks and scrolls at a screen position.
pub fn action_for_mouse(mouse: MouseEvent) -> Option<Action> {
    let (column, row) = (mouse.column, mouse.row);
    match mouse.kind {
        MouseEventKind::Down(crossterm::event::MouseButton::Left) => {
            Some(Action::Click { column, row })
        }
        MouseEventKind::ScrollUp => Some(Action::ScrollUp { column, row }),
        MouseEventKind::ScrollDown => Some(Action::ScrollDown { column, row }),
        _ => None,
    }
}

/// The bindings of a context, in table order (for help).
pub fn bindings(context: Context) -> impl Iterator<Item = &'static Binding> {
    KEYMAP.iter().filter(move |b| b.context == context)
}

/// The status line's hints for a context, `(keys, what, priority)` in
/// table order: `space play/pause  . step …`.
pub fn hints(context: Context) -> Vec<(&'static str, &'static str, u8)> {
    bindings(context)
        .filter(|b| b.hint > 0)
        .map(|b| (b.label, short(b.help), b.hint))
        .collect()
}

/// The help overlay's headings for a context, in table order, each with
/// its bindings.
pub fn groups(context: Context) -> Vec<(&'static str, Vec<&'static Binding>)> {
    let mut groups: Vec<(&'static str, Vec<&'static Binding>)> = Vec::new();
    for binding in bindings(context) {
        match groups.iter_mut().find(|(g, _)| *g == binding.group) {
            Some((_, list)) => list.push(binding),
            None => groups.push((binding.group, vec![binding])),
        }
    }
    groups
}

/// A hint's short form: the help text up to its first parenthesis, comma
/// or "to" ("step to the next event" is "step"); "play / pause" stays.
fn short(help: &'static str) -> &'static str {
    let cut = [" (", ", ", ": ", " to the", " to "]
        .iter()
        .filter_map(|sep| help.find(sep))
        .min()
        .unwrap_or(help.len());
    &help[..cut]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn arrows_and_vim_keys_do_the_same() {
        for (arrow, vim) in [(Up, Char('k')), (Down, Char('j'))] {
            for context in [Picker, Lesson, Knobs] {
                assert_eq!(
                    action_for(context, key(arrow)),
                    action_for(context, key(vim))
                );
            }
        }
        assert_eq!(action_for(Lesson, key(Left)), Some(Action::Rewind));
        assert_eq!(action_for(Lesson, key(Char('h'))), Some(Action::Rewind));
        assert_eq!(action_for(Lesson, key(Right)), Some(Action::Forward));
        assert_eq!(action_for(Lesson, key(Char('l'))), Some(Action::Forward));
    }

    #[test]
    fn the_lesson_keys_of_the_issue() {
        let expect = [
            (Char(' '), Action::TogglePlay),
            (Char('.'), Action::Step),
            (Char('+'), Action::Faster),
            (Char('-'), Action::Slower),
            (Char('r'), Action::Restart),
            (Char('x'), Action::CancelLane),
            (Char('o'), Action::OpenKnobs),
            (Char('p'), Action::TogglePresenter),
            (Char('?'), Action::ToggleHelp),
            (Char('q'), Action::Back),
            (Esc, Action::Back),
            (Tab, Action::SwitchPane),
            (Char('3'), Action::Answer(3)),
        ];
        for (code, action) in expect {
            assert_eq!(action_for(Lesson, key(code)), Some(action), "{code:?}");
        }
    }

    #[test]
    fn ctrl_c_quits_everywhere() {
        let ctrl_c = KeyEvent::new(Char('c'), KeyModifiers::CONTROL);
        for context in [Picker, Filter, Lesson, Knobs, Help, TooSmall] {
            assert_eq!(action_for(context, ctrl_c), Some(Action::Quit));
        }
    }

    #[test]
    fn typing_a_filter_types_letters_that_are_keys_elsewhere() {
        assert_eq!(
            action_for(Filter, key(Char('q'))),
            Some(Action::FilterChar('q'))
        );
        assert_eq!(
            action_for(Filter, key(Char('j'))),
            Some(Action::FilterChar('j'))
        );
        assert_eq!(action_for(Filter, key(Esc)), Some(Action::CancelFilter));
        assert_eq!(
            action_for(Picker, key(Char('/'))),
            Some(Action::StartFilter)
        );
    }

    #[test]
    fn key_releases_are_ignored() {
        let mut release = key(Char(' '));
        release.kind = KeyEventKind::Release;
        assert_eq!(action_for(Lesson, release), None);
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for context in [Picker, Filter, Lesson, Knobs, Help] {
            let mut seen = Vec::new();
            for binding in bindings(context) {
                for code in binding.keys {
                    assert!(!seen.contains(code), "{code:?} twice in {context:?}");
                    seen.push(*code);
                }
            }
        }
    }

    #[test]
    fn hints_come_from_the_table() {
        let lesson_hints = hints(Lesson);
        assert!(lesson_hints.contains(&("space", "play / pause", 1)));
        assert!(lesson_hints.contains(&(".", "step", 1)));
        assert!(lesson_hints.contains(&("q", "back", 1)));
        assert!(lesson_hints.contains(&("+", "faster", 3)));
        for (label, _, _) in &lesson_hints {
            assert!(
                KEYMAP
                    .iter()
                    .any(|b| b.context == Lesson && b.label == *label && b.hint > 0)
            );
        }
        // The keys a learner cannot do without are always hinted.
        let always: Vec<&str> = lesson_hints
            .iter()
            .filter(|h| h.2 == 1)
            .map(|h| h.0)
            .collect();
        assert_eq!(always, ["space", ".", "?", "q"]);
    }
}
