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

/// The encoding a record turned out to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordEncoding {
    Plain,
}

/// A record that is none of the known encodings, or corrupt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

/// Decodes one record, calling `sink` with each non-empty line.
pub fn decode_record(
    data: &[u8],
    sink: &mut dyn FnMut(&[u8], LineFormat),
) -> Result<RecordEncoding, DecodeError> {
    let _ = (data, sink);
    todo!()
}
