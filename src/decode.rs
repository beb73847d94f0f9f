//! Stream record payloads → log lines: plain text, Kinesis Agent JSON, KPL aggregation,
//! gzip'd CloudWatch Logs subscription data.

/// How a decoded line is to be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    /// With the configured (or detected) `--format`.
    Configured,
    /// With the `combined` preset: lines rebuilt from Kinesis Agent `LOGTOJSON` objects.
    Combined,
}
