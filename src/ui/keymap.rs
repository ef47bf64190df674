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
}

/// One binding: the keys, what they do, and how help shows them.
pub struct Binding {
    pub context: Context,
    pub keys: &'static [KeyCode],
    pub action: Action,
    /// How the keys are written in help and hints.
    pub label: &'static str,
    pub help: &'static str,
    /// Shown in the status line's key hints.
    pub hint: bool,
}

use Context::*;
use KeyCode::*;

const fn bind(
    context: Context,
    keys: &'static [KeyCode],
    action: Action,
    label: &'static str,
    help: &'static str,
    hint: bool,
) -> Binding {
    Binding {
        context,
        keys,
        action,
        label,
        help,
        hint,
    }
}

#[rustfmt::skip]
pub static KEYMAP: &[Binding] = &[
    bind(Picker, &[Up, Char('k')], Action::Up, "↑/k", "previous lesson", false),
    bind(Picker, &[Down, Char('j')], Action::Down, "↓/j", "next lesson", false),
    bind(Picker, &[PageUp], Action::PageUp, "PgUp", "previous chapter", false),
    bind(Picker, &[PageDown], Action::PageDown, "PgDn", "next chapter", false),
    bind(Picker, &[Home, Char('g')], Action::Top, "Home/g", "first lesson", false),
    bind(Picker, &[End, Char('G')], Action::Bottom, "End/G", "last lesson", false),
    bind(Picker, &[Enter, Right, Char('l')], Action::Open, "Enter", "open the lesson", true),
    bind(Picker, &[Char('/')], Action::StartFilter, "/", "filter the list", true),
    bind(Picker, &[Char('?')], Action::ToggleHelp, "?", "help", true),
    bind(Picker, &[Char('q')], Action::Quit, "q", "quit", true),
    bind(Picker, &[Esc], Action::Back, "Esc", "clear the filter, or quit", false),
    bind(Filter, &[Enter], Action::FinishFilter, "Enter", "keep the filter", true),
    bind(Filter, &[Esc], Action::CancelFilter, "Esc", "clear the filter", true),
    bind(Filter, &[Backspace], Action::FilterBackspace, "Bksp", "delete a character", false),
    bind(Filter, &[Up], Action::Up, "↑", "previous match", false),
    bind(Filter, &[Down], Action::Down, "↓", "next match", false),
    bind(Lesson, &[Char(' ')], Action::TogglePlay, "space", "play / pause", true),
    bind(Lesson, &[Char('.')], Action::Step, ".", "step to the next event", true),
    bind(Lesson, &[Char('+'), Char('=')], Action::Faster, "+", "faster (up to 10×)", true),
    bind(Lesson, &[Char('-'), Char('_')], Action::Slower, "-", "slower (down to 0.1×)", true),
    bind(Lesson, &[Left, Char('h')], Action::Rewind, "←/h", "rewind (scrub back)", true),
    bind(Lesson, &[Right, Char('l')], Action::Forward, "→/l", "scrub forward", false),
    bind(Lesson, &[End, Char('L')], Action::Live, "End", "back to live", false),
    bind(Lesson, &[Char('r')], Action::Restart, "r", "restart", true),
    bind(Lesson, &[Up, Char('k')], Action::Up, "↑/k", "select the lane above", false),
    bind(Lesson, &[Down, Char('j')], Action::Down, "↓/j", "select the lane below", false),
    bind(Lesson, &[PageUp], Action::PageUp, "PgUp", "lanes: page up", false),
    bind(Lesson, &[PageDown], Action::PageDown, "PgDn", "lanes: page down", false),
    bind(Lesson, &[Home, Char('g')], Action::Top, "Home/g", "first lane", false),
    bind(Lesson, &[Enter], Action::ToggleFold, "Enter", "fold / unfold the lane's children", false),
    bind(Lesson, &[Char('x')], Action::CancelLane, "x", "cancel the selected lane", false),
    bind(Lesson, &[Tab], Action::SwitchPane, "Tab", "story / Rust / asyncio twin / log", true),
    bind(Lesson, &[Char('K'), Char('[')], Action::TextUp, "[", "scroll the text up", false),
    bind(Lesson, &[Char('J'), Char(']')], Action::TextDown, "]", "scroll the text down", false),
    bind(Lesson, &[Char('o')], Action::OpenKnobs, "o", "knobs", true),
    bind(Lesson, &[Char('p')], Action::TogglePresenter, "p", "presenter mode", true),
    bind(Lesson, &[Char('?')], Action::ToggleHelp, "?", "help", true),
    bind(Lesson, &[Char('q'), Esc], Action::Back, "q", "back to the lessons", true),
    bind(Knobs, &[Up, Char('k')], Action::Up, "↑/k", "previous knob", true),
    bind(Knobs, &[Down, Char('j')], Action::Down, "↓/j", "next knob", true),
    bind(Knobs, &[Left, Char('h'), Char('-')], Action::KnobLess, "←/h", "smaller / other choice", true),
    bind(Knobs, &[Right, Char('l'), Char('+')], Action::KnobMore, "→/l", "bigger / other choice", true),
    bind(Knobs, &[Enter], Action::KnobApply, "Enter", "restart with these knobs", true),
    bind(Knobs, &[Esc, Char('q'), Char('o')], Action::Back, "Esc", "close, change nothing", true),
    bind(Help, &[Esc, Char('q'), Char('?')], Action::ToggleHelp, "Esc", "close help", true),
    bind(Help, &[Up, Char('k')], Action::Up, "↑/k", "scroll help up", false),
    bind(Help, &[Down, Char('j')], Action::Down, "↓/j", "scroll help down", false),
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

/// The status line's hints for a context: `space play / pause  . step …`.
pub fn hints(context: Context) -> Vec<(&'static str, &'static str)> {
    bindings(context)
        .filter(|b| b.hint)
        .map(|b| (b.label, short(b.help)))
        .collect()
}

/// A hint's short form: the help text up to its first parenthesis or
/// slash-separated alternative ("play / pause" stays).
fn short(help: &'static str) -> &'static str {
    help.split(" (").next().unwrap_or(help)
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
        for context in [Picker, Filter, Lesson, Knobs, Help] {
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
        assert!(lesson_hints.contains(&("space", "play / pause")));
        assert!(lesson_hints.contains(&(".", "step to the next event")));
        assert!(lesson_hints.contains(&("+", "faster")));
        for (label, _) in &lesson_hints {
            assert!(
                KEYMAP
                    .iter()
                    .any(|b| b.context == Lesson && b.label == *label && b.hint)
            );
        }
    }
}
