//! The interactive interface: a lesson picker and a live lesson screen.
//!
//! State (`app`, `picker`, `lesson`, `progress`), update (`App::update`,
//! fed by `keymap`) and view (`view`) are kept apart: views only read state,
//! and the engine is only reached through its `Playback` handle.

pub mod action;
pub mod app;
pub mod keymap;
pub mod lesson;
pub mod log_feed;
pub mod picker;
pub mod progress;
pub mod record;
pub mod snapshot;
pub mod terminal;
pub mod theme;
pub mod view;
