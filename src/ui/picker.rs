//! The lesson picker's state and how actions change it. Pure: no I/O, no
//! terminal; `view::picker` draws it.

use super::action::Action;
use super::progress::Progress;
use crate::catalog::{Catalog, Chapter, Lesson};

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
    /// The first list row shown (an index into `rows`). Changed only by
    /// `keep_in_view`, which moves it only when the selection would leave
    /// the view, so the list does not jump.
    scroll: usize,
}

/// One line of the picker's list.
#[derive(Clone, Copy)]
pub enum Row<'c> {
    /// The blank line between two chapters.
    Gap,
    Chapter(&'c Chapter),
    Lesson(&'static Lesson),
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

    /// Opens where the learner left off: on the first lesson not yet run
    /// to its end (see `select_first_unfinished`).
    pub fn with_progress(catalog: &Catalog, progress: &Progress) -> Self {
        let mut state = PickerState::new(catalog);
        state.select_first_unfinished(catalog, progress);
        state
    }

    /// Selects the first visible lesson that has not run to its end; the
    /// first visible lesson when every one has (or none has). Nothing
    /// changes when the filter hides every lesson.
    pub fn select_first_unfinished(&mut self, catalog: &Catalog, progress: &Progress) {
        let visible = self.visible(catalog);
        let lesson = visible
            .iter()
            .find(|l| !progress.marks(&l.id).finished)
            .or(visible.first());
        if let Some(lesson) = lesson {
            self.select(&lesson.id);
        }
    }

    /// Selects a lesson by id (coming back from a lesson, say).
    pub fn select(&mut self, id: &str) {
        self.selected = Some(id.to_string());
    }

    /// The first list row shown, as last kept in view. The view draws
    /// from here, moved only if this is stale (see `visible_offset`).
    pub fn scroll(&self) -> usize {
        self.scroll
    }

    /// Whether the filter lets a lesson through: every word of it appears,
    /// case-insensitively, in the lesson's id, title or summary, or in the
    /// title of its chapter ("signals" finds the mutex lesson, in "Shared
    /// state and signals").
    pub fn matches(&self, catalog: &Catalog, lesson: &Lesson) -> bool {
        let words: Vec<String> = self
            .filter
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        if words.is_empty() {
            return true;
        }
        let chapter = chapter_of(catalog, lesson).map_or("", |c| c.title.as_str());
        let fields =
            [lesson.id.as_str(), &lesson.title, &lesson.summary, chapter].map(str::to_lowercase);
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
            .filter(|l| self.matches(catalog, l))
            .collect()
    }

    /// The list as drawn: the chapters with at least one lesson the filter
    /// lets through, each followed by those lessons, a blank row between
    /// chapters.
    pub fn rows<'c>(&self, catalog: &'c Catalog) -> Vec<Row<'c>> {
        let mut rows = Vec::new();
        for chapter in &catalog.chapters {
            let mut lessons = chapter
                .lessons
                .iter()
                .copied()
                .filter(|l| self.matches(catalog, l))
                .peekable();
            if lessons.peek().is_none() {
                continue;
            }
            if !rows.is_empty() {
                rows.push(Row::Gap);
            }
            rows.push(Row::Chapter(chapter));
            rows.extend(lessons.map(Row::Lesson));
        }
        rows
    }

    /// The selected lesson's index in `rows`, if it is visible.
    pub fn selected_row(&self, catalog: &Catalog, rows: &[Row]) -> Option<usize> {
        let selected = self.selected_lesson(catalog)?;
        rows.iter()
            .position(|r| matches!(r, Row::Lesson(l) if l.id == selected.id))
    }

    /// The first row to draw when `rows_shown` rows fit: the stored scroll,
    /// moved as little as needed to show the selection. Pure: the view
    /// uses it to draw (and to hit-test clicks) even when the stored
    /// scroll is stale; `keep_in_view` stores it.
    pub fn visible_offset(&self, catalog: &Catalog, rows_shown: usize) -> usize {
        let rows = self.rows(catalog);
        let selected = self.selected_row(catalog, &rows);
        scroll_offset(self.scroll, selected, rows.len(), rows_shown)
    }

    /// Scrolls the list, only if it must, so that the selection is among
    /// the `rows_shown` rows on screen (with a row of context above and
    /// below when there is room). The app calls it after every action and
    /// every frame, with `PickerView::list_rows_shown`.
    pub fn keep_in_view(&mut self, catalog: &Catalog, rows_shown: usize) {
        self.scroll = self.visible_offset(catalog, rows_shown);
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

/// The chapter a lesson is in.
pub fn chapter_of<'c>(catalog: &'c Catalog, lesson: &Lesson) -> Option<&'c Chapter> {
    catalog.chapters.iter().find(|c| c.number == lesson.chapter)
}

/// The first row to draw so that the selected row is on screen, with one
/// row of context above and below when there is room (so a chapter's title
/// shows with its first lesson). Starts from the previous offset and
/// moves it as little as possible, so the list does not jump.
fn scroll_offset(previous: usize, selected: Option<usize>, rows: usize, height: usize) -> usize {
    let last = rows.saturating_sub(height);
    let Some(selected) = selected else {
        return previous.min(last);
    };
    let margin = if height >= 5 { 1 } else { 0 };
    let lowest = (selected + margin + 1).saturating_sub(height);
    let highest = selected.saturating_sub(margin).max(lowest);
    previous.clamp(lowest, highest).min(last)
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
    fn the_filter_matches_chapter_titles_too() {
        let mut state = PickerState::new(cat());
        let mutex = cat().lesson("mutex").unwrap();
        let own = [&mutex.id, &mutex.title, &mutex.summary].map(|f| f.to_lowercase());
        assert!(
            !own.iter().any(|f| f.contains("signals")),
            "the test needs a word only the chapter has"
        );
        state.filter = "signals".into();
        let ids: Vec<_> = state.visible(cat()).iter().map(|l| l.id.as_str()).collect();
        assert!(ids.contains(&"mutex"), "{ids:?}");
        // Every lesson of the chapter, and with a word of a lesson too.
        let chapter = chapter_of(cat(), mutex).unwrap();
        assert!(chapter.title.starts_with("Shared"));
        for lesson in &chapter.lessons {
            assert!(ids.contains(&lesson.id.as_str()));
        }
        state.filter = "SHARED mutex".into();
        assert_eq!(state.visible(cat())[0].id, "mutex");
        state.filter = "shared semaphore".into();
        assert!(
            state.visible(cat()).is_empty(),
            "every word must match one lesson"
        );
    }

    #[test]
    fn rows_are_chapters_with_their_lessons_and_gaps_between() {
        let mut state = PickerState::new(cat());
        let rows = state.rows(cat());
        let chapters = cat().chapters.len();
        assert_eq!(rows.len(), chapters + (chapters - 1) + cat().lessons.len());
        assert!(matches!(rows[0], Row::Chapter(c) if c.number == 1));
        assert!(matches!(rows[1], Row::Lesson(l) if l.id == cat().lessons[0].id));
        assert_eq!(
            rows.iter().filter(|r| matches!(r, Row::Gap)).count(),
            chapters - 1
        );
        // A filter keeps only the chapters with a match.
        state.filter = "sema".into();
        let rows = state.rows(cat());
        assert_eq!(rows.len(), 2);
        assert!(matches!(rows[1], Row::Lesson(l) if l.id == "semaphore"));
        assert_eq!(state.selected_row(cat(), &rows), Some(1));
        state.filter = "zzz".into();
        assert!(state.rows(cat()).is_empty());
        assert_eq!(state.selected_row(cat(), &[]), None);
    }

    #[test]
    fn opens_on_the_first_unfinished_lesson() {
        let lessons = &cat().lessons;
        let mut progress = Progress::in_memory();
        let at = |progress: &Progress| {
            PickerState::with_progress(cat(), progress)
                .selected_lesson(cat())
                .map(|l| l.id.clone())
        };
        assert_eq!(at(&progress), Some(lessons[0].id.clone()), "nothing done");
        // Opened or predicted is not finished.
        progress.mark_opened(&lessons[0].id);
        progress.mark_predicted(&lessons[0].id, true);
        assert_eq!(at(&progress), Some(lessons[0].id.clone()));
        progress.mark_finished(&lessons[0].id);
        progress.mark_finished(&lessons[1].id);
        assert_eq!(at(&progress), Some(lessons[2].id.clone()));
        // A gap: the first one not done, not the one after the last done.
        progress.mark_finished(&lessons[3].id);
        assert_eq!(at(&progress), Some(lessons[2].id.clone()));
        for lesson in lessons {
            progress.mark_finished(&lesson.id);
        }
        assert_eq!(
            at(&progress),
            Some(lessons[0].id.clone()),
            "all done: the first"
        );
    }

    #[test]
    fn select_first_unfinished_looks_among_visible_lessons() {
        let mut progress = Progress::in_memory();
        progress.mark_finished("semaphore");
        let mut state = PickerState::new(cat());
        state.filter = "tokio::sync".into();
        let visible = state.visible(cat());
        assert_eq!(visible[0].id, "semaphore", "the test needs it first");
        state.select_first_unfinished(cat(), &progress);
        assert_eq!(selected(&state), Some(visible[1].id.as_str()));
        // Nothing visible: the selection is kept.
        state.filter = "zzz".into();
        state.select_first_unfinished(cat(), &progress);
        state.filter.clear();
        assert_eq!(selected(&state), Some(visible[1].id.as_str()));
    }

    #[test]
    fn keep_in_view_scrolls_only_when_the_selection_would_leave() {
        let rows = PickerState::new(cat()).rows(cat()).len();
        let shown = 8;
        assert!(rows > shown + 4, "the test needs a list taller than 8");
        let mut state = PickerState::new(cat());
        state.keep_in_view(cat(), shown);
        assert_eq!(state.scroll(), 0);
        let mut last_scroll = 0;
        let visible = state.visible(cat());
        for lesson in &visible[1..] {
            state.apply(Action::Down, cat());
            state.keep_in_view(cat(), shown);
            let all = state.rows(cat());
            let row = state.selected_row(cat(), &all).unwrap();
            let scroll = state.scroll();
            assert!(
                scroll <= row && row < scroll + shown,
                "{}: row {row} not in {scroll}..{}",
                lesson.id,
                scroll + shown
            );
            assert!(scroll >= last_scroll, "down never scrolls up");
            // Only as far as needed: one row of context below.
            assert!(
                scroll == last_scroll || row + 2 == scroll + shown || row + 1 == rows,
                "{}: jumped from {last_scroll} to {scroll} for row {row}",
                lesson.id
            );
            last_scroll = scroll;
        }
        assert_eq!(state.scroll(), rows - shown, "never past the end");
        // Up a row from the bottom: the view stays.
        state.apply(Action::Up, cat());
        state.keep_in_view(cat(), shown);
        assert_eq!(state.scroll(), rows - shown);
        // A taller view shows everything from the top.
        state.keep_in_view(cat(), rows + 5);
        assert_eq!(state.scroll(), 0);
    }

    #[test]
    fn a_stale_scroll_is_corrected_for_drawing_without_being_stored() {
        let mut state = PickerState::new(cat());
        state.keep_in_view(cat(), 6);
        assert_eq!(state.scroll(), 0);
        // The selection moves, and no one has called keep_in_view yet.
        state.apply(Action::Bottom, cat());
        let rows = state.rows(cat()).len();
        assert_eq!(state.visible_offset(cat(), 6), rows - 6);
        assert_eq!(state.scroll(), 0, "drawing does not write");
        state.keep_in_view(cat(), 6);
        assert_eq!(state.scroll(), rows - 6);
        // A filter shrinks the list: the offset follows.
        state.apply(Action::StartFilter, cat());
        for c in "sema".chars() {
            state.apply(Action::FilterChar(c), cat());
        }
        assert_eq!(state.visible_offset(cat(), 6), 0);
        // Keeping in view is idempotent.
        state.keep_in_view(cat(), 6);
        let once = state.clone();
        state.keep_in_view(cat(), 6);
        assert_eq!(state, once);
    }

    #[test]
    fn scroll_offset_moves_as_little_as_it_can() {
        // 40 rows, 10 on screen.
        assert_eq!(scroll_offset(0, Some(3), 40, 10), 0);
        assert_eq!(
            scroll_offset(0, Some(9), 40, 10),
            1,
            "one row of context below"
        );
        assert_eq!(
            scroll_offset(5, Some(8), 40, 10),
            5,
            "already in sight: stays"
        );
        assert_eq!(
            scroll_offset(5, Some(5), 40, 10),
            4,
            "one row of context above"
        );
        assert_eq!(scroll_offset(0, Some(39), 40, 10), 30, "never past the end");
        assert_eq!(scroll_offset(35, None, 40, 10), 30);
        assert_eq!(
            scroll_offset(7, Some(2), 40, 1),
            2,
            "a single row shows the selection"
        );
        assert_eq!(scroll_offset(3, Some(2), 0, 0), 0);
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
