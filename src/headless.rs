//! Headless output: JSON Lines on standard output (a contract; see README "Output").

use std::io::Write;

use crate::core::WindowSummary;
use crate::snapshot::Counters;

pub struct JsonLinesWriter<W: Write> {
    out: W,
}

impl<W: Write> JsonLinesWriter<W> {
    pub fn new(out: W) -> Self {
        JsonLinesWriter { out }
    }
    pub fn write_window(&mut self, window: &WindowSummary, width: i64) -> std::io::Result<()> {
        let _ = (window, width, &mut self.out);
        todo!()
    }
    pub fn write_summary(
        &mut self,
        counters: &Counters,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> std::io::Result<()> {
        let _ = (counters, extra);
        todo!()
    }
    pub fn write_value(&mut self, value: &serde_json::Value) -> std::io::Result<()> {
        let _ = value;
        todo!()
    }
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
