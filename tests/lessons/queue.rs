// Tests for this lesson are written with the lesson.
