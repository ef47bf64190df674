//! The lesson picker's state and how actions change it. Pure: no I/O, no
//! terminal; `view::picker` draws it.

use std::cell::Cell;

use super::action::Action;
use crate::catalog::{Catalog, Lesson};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PickerState {
    /// The chosen lesson, by id: an id survives filtering, an index into
    /// the visible list would not. It may name a lesson the filter hides
    /// (when the filter hides every lesson); the selection then falls back
    /// to the first visible one, see `selected_lesson`.
    selected: Option<String>,
    /// What the learner typed after `/`; empty shows every lesson.
    pub filter: String,
    /// The filter line has the keyboard.
    pub filtering: bool,
    /// The first list row drawn in the last frame. Only the view knows the
    /// list's height, so only it can keep the selection in sight; it keeps
    /// this memo so the list scrolls only when the selection would leave it
    /// (instead of jumping every frame). Nothing else depends on it.
    pub(crate) scroll: Cell<usize>,
}

impl PickerState {
    /// The first lesson selected.
    pub fn new(catalog: &Catalog) -> Self {
        let mut state = PickerState::default();
        if let Some(first) = catalog.lessons.first() {
            state.select(&first.id);
        }
        state
    }

    /// Selects a lesson by id (coming back from a lesson, say).
    pub fn select(&mut self, id: &str) {
        self.selected = Some(id.to_string());
    }

    /// Whether the filter lets a lesson through: every word of it appears,
    /// case-insensitively, in the lesson's id, title or summary.
    pub fn matches(&self, lesson: &Lesson) -> bool {
        let words: Vec<String> = self
            .filter
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        if words.is_empty() {
            return true;
        }
        let fields = [&lesson.id, &lesson.title, &lesson.summary].map(|f| f.to_lowercase());
        words
            .iter()
            .all(|w| fields.iter().any(|f| f.contains(w.as_str())))
    }

    /// The lessons the filter lets through, in curriculum order (so a
    /// chapter's lessons stay together).
    pub fn visible(&self, catalog: &Catalog) -> Vec<&'static Lesson> {
        catalog
            .lessons
            .iter()
            .copied()
            .filter(|l| self.matches(l))
            .collect()
    }

    /// The selected lesson if it is visible, else the first visible one;
    /// `None` only when the filter hides every lesson.
    pub fn selected_lesson(&self, catalog: &Catalog) -> Option<&'static Lesson> {
        let visible = self.visible(catalog);
        self.index_in(&visible).map(|i| visible[i])
    }

    /// Applies a picker action. Actions that leave the picker (`Open`,
    /// `Quit`, `Back`, …) are the app's business and change nothing here.
    pub fn apply(&mut self, action: Action, catalog: &Catalog) {
        match action {
            Action::Up => self.move_by(catalog, |_, i| i.saturating_sub(1)),
            Action::Down => self.move_by(catalog, |v, i| (i + 1).min(v.len() - 1)),
            Action::Top => self.move_by(catalog, |_, _| 0),
            Action::Bottom => self.move_by(catalog, |v, _| v.len() - 1),
            Action::PageUp => self.move_by(catalog, chapter_back),
            Action::PageDown => self.move_by(catalog, chapter_forward),
            Action::StartFilter => self.filtering = true,
            Action::FilterChar(c) => {
                self.filter.push(c);
                self.keep_selection_visible(catalog);
            }
            Action::FilterBackspace => {
                self.filter.pop();
                self.keep_selection_visible(catalog);
            }
            Action::FinishFilter => {
                self.filtering = false;
                if self.filter.trim().is_empty() {
                    self.filter.clear();
                }
                self.keep_selection_visible(catalog);
            }
            Action::CancelFilter => {
                // Keep what the learner was looking at while filtering.
                self.keep_selection_visible(catalog);
                self.filter.clear();
                self.filtering = false;
            }
            _ => {}
        }
    }

    /// Index of the selection in `visible`, with the fallback of
    /// `selected_lesson`.
    fn index_in(&self, visible: &[&Lesson]) -> Option<usize> {
        if visible.is_empty() {
            return None;
        }
        let found = self
            .selected
            .as_deref()
            .and_then(|id| visible.iter().position(|l| l.id == id));
        Some(found.unwrap_or(0))
    }

    /// Moves the selection to `to(visible, current index)`, which is only
    /// called with a non-empty list and returns an index inside it.
    fn move_by(&mut self, catalog: &Catalog, to: impl Fn(&[&Lesson], usize) -> usize) {
        let visible = self.visible(catalog);
        if let Some(i) = self.index_in(&visible) {
            self.select(&visible[to(&visible, i)].id);
        }
    }

    /// After the filter changed: if the selection was hidden, the first
    /// visible lesson becomes the selection. When nothing is visible, the
    /// old selection is kept so that deleting a typo brings it back.
    fn keep_selection_visible(&mut self, catalog: &Catalog) {
        if let Some(lesson) = self.selected_lesson(catalog) {
            self.select(&lesson.id);
        }
    }
}

/// PageDown: the first lesson of the next chapter, or the last lesson.
fn chapter_forward(visible: &[&Lesson], i: usize) -> usize {
    let chapter = visible[i].chapter;
    visible[i..]
        .iter()
        .position(|l| l.chapter != chapter)
        .map_or(visible.len() - 1, |k| i + k)
}

/// PageUp: the first lesson of this chapter, or of the previous chapter
/// when already there.
fn chapter_back(visible: &[&Lesson], i: usize) -> usize {
    let start = chapter_start(visible, i);
    if start < i || i == 0 {
        start
    } else {
        chapter_start(visible, i - 1)
    }
}

fn chapter_start(visible: &[&Lesson], i: usize) -> usize {
    let chapter = visible[i].chapter;
    visible[..i]
        .iter()
        .rposition(|l| l.chapter != chapter)
        .map_or(0, |k| k + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::catalog;

    fn cat() -> &'static Catalog {
        catalog().expect("the lessons are consistent")
    }

    fn selected(state: &PickerState) -> Option<&'static str> {
        state.selected_lesson(cat()).map(|l| l.id.as_str())
    }

    fn apply_all(state: &mut PickerState, actions: &[Action]) {
        for &a in actions {
            state.apply(a, cat());
        }
    }

    fn type_filter(state: &mut PickerState, text: &str) {
        state.apply(Action::StartFilter, cat());
        for c in text.chars() {
            state.apply(Action::FilterChar(c), cat());
        }
    }

    /// The first lesson of each chapter, in order (the tests do not hard-code
    /// the curriculum, which grows).
    fn chapter_firsts() -> Vec<&'static str> {
        cat()
            .chapters
            .iter()
            .filter_map(|c| c.lessons.first())
            .map(|l| l.id.as_str())
            .collect()
    }

    #[test]
    fn starts_on_the_first_lesson() {
        let first = cat().lessons[0].id.as_str();
        assert_eq!(selected(&PickerState::new(cat())), Some(first));
        // Even a default state has a selection to show.
        assert_eq!(selected(&PickerState::default()), Some(first));
    }

    #[test]
    fn up_down_top_bottom_stay_in_the_list() {
        let lessons = &cat().lessons;
        let mut state = PickerState::new(cat());
        state.apply(Action::Up, cat());
        assert_eq!(
            selected(&state),
            Some(lessons[0].id.as_str()),
            "no wrap at the top"
        );
        apply_all(&mut state, &[Action::Down, Action::Down]);
        assert_eq!(selected(&state), Some(lessons[2].id.as_str()));
        state.apply(Action::Up, cat());
        assert_eq!(selected(&state), Some(lessons[1].id.as_str()));
        state.apply(Action::Bottom, cat());
        let last = lessons.last().unwrap().id.as_str();
        assert_eq!(selected(&state), Some(last));
        state.apply(Action::Down, cat());
        assert_eq!(selected(&state), Some(last), "no wrap at the bottom");
        state.apply(Action::Top, cat());
        assert_eq!(selected(&state), Some(lessons[0].id.as_str()));
    }

    #[test]
    fn page_keys_jump_chapter_to_chapter() {
        let firsts = chapter_firsts();
        assert!(firsts.len() >= 3, "the test needs a few chapters");
        let mut state = PickerState::new(cat());
        for expected in &firsts[1..] {
            state.apply(Action::PageDown, cat());
            assert_eq!(selected(&state), Some(*expected));
        }
        state.apply(Action::PageDown, cat());
        assert_eq!(
            selected(&state),
            Some(cat().lessons.last().unwrap().id.as_str()),
            "past the last chapter: the last lesson"
        );
        // Back up, from the start of the last chapter.
        state.select(firsts[firsts.len() - 1]);
        for expected in firsts.iter().rev().skip(1) {
            state.apply(Action::PageUp, cat());
            assert_eq!(selected(&state), Some(*expected));
        }
        state.apply(Action::PageUp, cat());
        assert_eq!(selected(&state), Some(firsts[0]), "stays at the top");
    }

    #[test]
    fn page_keys_inside_a_chapter_of_several_lessons() {
        let chapter = cat()
            .chapters
            .iter()
            .find(|c| c.lessons.len() >= 2)
            .expect("a chapter with two lessons");
        let mut state = PickerState::new(cat());
        state.select(&chapter.lessons[1].id);
        state.apply(Action::PageUp, cat());
        assert_eq!(selected(&state), Some(chapter.lessons[0].id.as_str()));
    }

    #[test]
    fn filter_matches_id_title_or_summary_ignoring_case() {
        let mut state = PickerState::new(cat());
        state.filter = "SEMA".into();
        let ids: Vec<_> = state.visible(cat()).iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["semaphore"]);
        // A word of a title ("Wait for a permit: tokio::sync::Semaphore").
        state.filter = "permit".into();
        assert_eq!(state.visible(cat()).len(), 1);
        // A word of a summary ("… at most 3 at a time …"), and two words
        // that must both appear.
        state.filter = "at most".into();
        assert_eq!(state.visible(cat())[0].id, "semaphore");
        state.filter = "tokio::sync".into();
        assert!(state.visible(cat()).len() >= 2);
        state.filter = "sync nothing-like-this".into();
        assert!(state.visible(cat()).is_empty());
        state.filter = "   ".into();
        assert_eq!(state.visible(cat()).len(), cat().lessons.len());
    }

    #[test]
    fn the_selection_stays_valid_while_filtering() {
        let mut state = PickerState::new(cat());
        type_filter(&mut state, "sem");
        assert!(state.filtering);
        assert_eq!(state.filter, "sem");
        assert_eq!(
            selected(&state),
            Some("semaphore"),
            "the first match is selected"
        );

        // Nothing matches: nothing selected, nothing to open.
        type_filter(&mut state, "zzz");
        assert!(state.selected_lesson(cat()).is_none());
        apply_all(
            &mut state,
            &[Action::Down, Action::Up, Action::PageDown, Action::Bottom],
        );
        assert!(state.selected_lesson(cat()).is_none());
        // Deleting the typo brings the selection back.
        apply_all(&mut state, &[Action::FilterBackspace; 3]);
        assert_eq!(selected(&state), Some("semaphore"));

        // Enter keeps the filter, Esc clears it and keeps the selection.
        state.apply(Action::FinishFilter, cat());
        assert!(!state.filtering);
        assert_eq!(state.filter, "sem");
        state.apply(Action::CancelFilter, cat());
        assert_eq!(state.filter, "");
        assert_eq!(selected(&state), Some("semaphore"));
        assert_eq!(state.visible(cat()).len(), cat().lessons.len());
    }

    #[test]
    fn a_visible_selection_survives_a_filter() {
        let mut state = PickerState::new(cat());
        state.select("semaphore");
        // "tokio" is in many titles, the semaphore's among them.
        type_filter(&mut state, "tokio");
        assert!(state.visible(cat()).len() >= 2);
        assert_eq!(selected(&state), Some("semaphore"));
        // Moving among matches only.
        state.apply(Action::Top, cat());
        let first_match = state.visible(cat())[0].id.as_str();
        assert_eq!(selected(&state), Some(first_match));
    }

    #[test]
    fn an_empty_filter_is_dropped_on_enter() {
        let mut state = PickerState::new(cat());
        type_filter(&mut state, "  ");
        state.apply(Action::FinishFilter, cat());
        assert_eq!(state.filter, "");
        assert!(!state.filtering);
    }

    #[test]
    fn actions_for_the_app_change_nothing() {
        let mut state = PickerState::new(cat());
        state.apply(Action::Down, cat());
        let before = state.clone();
        for action in [Action::Open, Action::Quit, Action::Back, Action::ToggleHelp] {
            state.apply(action, cat());
        }
        assert_eq!(state, before);
    }
}
