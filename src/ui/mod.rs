//! The terminal UI: the terminal guard and event loop, app state, view models and views.

pub mod app;
pub mod terminal;
pub mod view;
