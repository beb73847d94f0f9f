//! The terminal UI: the terminal guard and event loop, app state, view models, views, mouse,
//! sanitizing. `app` (state and view models) depends on neither `view` nor `terminal`; `view`
//! draws the app; `mouse` and `terminal` connect the two.

pub mod app;
pub mod mouse;
pub mod sanitize;
pub mod terminal;
pub mod view;
