//! What leaves kinetop besides the screen: the JSON Lines contract and alarm actions.

pub mod actions;
pub mod csv_export;
pub mod fault_log;
pub mod jsonl;
pub mod lines;
pub mod publish;
pub mod sanitize;

#[cfg(test)]
mod tests;
