//! kinetop: a live terminal monitor for web traffic.
//!
//! Data flows one way (see `README.md` and `../shared/DESIGN.md`):
//! `source` → `decode` → `parse` → `enrich` → `core` (windows, alarms) → `pipeline` (snapshots)
//! → `ui` / `output`. `parse`, `enrich` and `core` are pure: no I/O, no clock, no terminal, no tokio.

#![forbid(unsafe_code)]

pub mod aws;
pub mod cli;
pub mod clock;
pub mod config;
pub mod core;
pub mod decode;
pub mod enrich;
pub mod logging;
pub mod output;
pub mod parse;
pub mod pipeline;
pub mod source;
pub mod ui;
