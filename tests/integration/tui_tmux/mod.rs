//! The real binary in a real terminal (tmux): see `harness`. Each test is bounded in time and
//! fails, not skips, when tmux is missing under `CI=true`.

mod agents;
mod basics;
mod export;
mod harness;
mod live;
mod search;
mod signals;
mod startup;
