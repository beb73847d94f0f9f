//! The terminal UI: the terminal guard and event loop, app state, view models, views and mouse.
//! `app` (state and view models) depends on neither `view` nor `terminal`; `view` draws the app;
//! `mouse` and `terminal` connect the two. Untrusted text is escaped by `output::sanitize`.

pub mod app;
pub mod mouse;
pub mod terminal;
pub mod view;
