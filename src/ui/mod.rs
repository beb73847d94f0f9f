//! The terminal UI: the terminal guard and event loop, app state, view models, views, sanitizing.

pub mod app;
pub mod sanitize;
pub mod terminal;
pub mod view;
