//! kinetop: a live terminal monitor for web traffic.
//!
//! Data flows one way (see `README.md` and `../shared/DESIGN.md`):
//! `source` → `decode` → `parse` → `enrich` → `core` (windows, alarms) → `snapshot` → `view` / `headless`.
//! `parse`, `enrich` and `core` are pure: no I/O, no clock, no terminal, no tokio.

pub mod actions;
pub mod app;
pub mod aws;
pub mod cli;
pub mod config;
pub mod core;
pub mod decode;
pub mod enrich;
pub mod headless;
pub mod logging;
pub mod metadata;
pub mod parse;
pub mod pipeline;
pub mod s3_metadata;
pub mod sanitize;
pub mod snapshot;
pub mod source;
pub mod startup;
pub mod tui;
pub mod view;
