//! Stream record payloads → log lines: plain text, Kinesis Agent JSON, KPL aggregation,
//! gzip'd CloudWatch Logs subscription data.
//!
//! The encoding is detected per record from its first bytes: the KPL magic `F3 89 9A C2`, the
//! gzip magic `1F 8B`, a `{` (Kinesis Agent `LOGTOJSON` objects, one per line) or anything else
//! (plain text lines). KPL inner records and CloudWatch log events hold text or agent JSON in
//! turn. A record is decoded whole or not at all: when any part of it is corrupt, no line of it
//! is emitted and the caller counts one bad record.

mod agent;
mod cloudwatch;
pub mod encode;
mod kpl;
mod lines;
#[cfg(test)]
mod tests;

/// How a decoded line is to be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    /// With the configured (or detected) `--format`.
    Configured,
    /// With the `combined` preset: lines rebuilt from Kinesis Agent `LOGTOJSON` objects.
    Combined,
}

/// What a record turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordEncoding {
    /// Plain text lines (also an empty record).
    Text,
    /// Kinesis Agent `LOGTOJSON` objects, one per line.
    AgentJson,
    /// A KPL aggregate of this many user records.
    KplAggregated { records: usize },
    /// A CloudWatch Logs subscription `DATA_MESSAGE` with this many log events.
    CloudWatchLogs { events: usize },
    /// A CloudWatch Logs `CONTROL_MESSAGE` (a reachability check): no lines.
    CloudWatchControl,
    /// gzip-compressed text or agent JSON that is not a CloudWatch envelope.
    Gzip,
}

/// Decompressed payloads larger than this are refused (a zip bomb must not exhaust memory).
pub const MAX_DECOMPRESSED_BYTES: usize = 16 << 20;

/// Why a record could not be decoded. Shown in malformed samples, so each says what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("KPL aggregate is truncated ({len} bytes, at least 20 needed)")]
    KplTruncated { len: usize },
    #[error(
        "KPL aggregate checksum mismatch (MD5 of the protobuf does not match its last 16 bytes)"
    )]
    KplChecksum,
    #[error("KPL aggregate protobuf is invalid: {0}")]
    KplProtobuf(String),
    #[error("KPL record {index}: {source}")]
    KplRecord {
        index: usize,
        source: Box<DecodeError>,
    },
    #[error("gzip payload is invalid: {0}")]
    Gzip(String),
    #[error("decompressed payload exceeds {limit} bytes")]
    TooLarge { limit: usize },
    #[error("CloudWatch Logs payload is invalid: {0}")]
    CloudWatch(String),
    #[error("CloudWatch Logs event {index}: {source}")]
    CloudWatchEvent {
        index: usize,
        source: Box<DecodeError>,
    },
    #[error("invalid JSON on line {line}: {reason}")]
    Json { line: usize, reason: String },
    #[error("JSON on line {line} is not a Kinesis Agent log record (it has no `host` field)")]
    NotAgentJson { line: usize },
    #[error("binary payload (a NUL byte at offset {offset}) is neither text, KPL nor gzip")]
    Binary { offset: usize },
}

pub use lines::{split_lines, SplitLines};

const KPL_MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
const GZIP_MAGIC: [u8; 2] = [0x1F, 0x8B];

/// Decodes one record, calling `sink` with each non-empty line (without its line ending).
/// On error nothing has been passed to `sink`.
pub fn decode_record(
    data: &[u8],
    sink: &mut dyn FnMut(&[u8], LineFormat),
) -> Result<RecordEncoding, DecodeError> {
    Decoder::new().decode(data, sink)
}

/// A record decoder that keeps its scratch buffers between records: use one per task.
#[derive(Debug, Default)]
pub struct Decoder {
    lines: LineBuffer,
    inflated: Vec<u8>,
}

impl Decoder {
    pub fn new() -> Self {
        Decoder::default()
    }

    /// See [`decode_record`].
    pub fn decode(
        &mut self,
        data: &[u8],
        sink: &mut dyn FnMut(&[u8], LineFormat),
    ) -> Result<RecordEncoding, DecodeError> {
        self.lines.clear();
        let encoding = if data.starts_with(&KPL_MAGIC) {
            kpl::decode(data, &mut self.lines)?
        } else if data.starts_with(&GZIP_MAGIC) {
            let result = cloudwatch::decode_gzip(data, &mut self.inflated, &mut self.lines);
            // Do not keep a huge buffer around for the records after an unusually big one.
            if self.inflated.capacity() > 4 << 20 {
                self.inflated = Vec::new();
            }
            result?
        } else if is_json(data) {
            decode_text_or_json(data, &mut self.lines)?
        } else {
            // Plain text: nothing can fail after the binary check, so lines go out unbuffered.
            check_text(data)?;
            for_each_line(data, |line| sink(line, LineFormat::Configured));
            return Ok(RecordEncoding::Text);
        };
        self.lines.emit(sink);
        Ok(encoding)
    }
}

/// Lines decoded from a record, held until the whole record is known to be good.
#[derive(Debug, Default)]
struct LineBuffer {
    bytes: Vec<u8>,
    spans: Vec<(usize, usize, LineFormat)>,
}

impl LineBuffer {
    fn clear(&mut self) {
        self.bytes.clear();
        self.spans.clear();
    }

    fn push(&mut self, line: &[u8], format: LineFormat) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(line);
        self.spans.push((start, self.bytes.len(), format));
    }

    /// Starts a line written in place with [`LineBuffer::end_line`].
    fn begin_line(&mut self) -> usize {
        self.bytes.len()
    }

    fn end_line(&mut self, start: usize, format: LineFormat) {
        self.spans.push((start, self.bytes.len(), format));
    }

    fn emit(&self, sink: &mut dyn FnMut(&[u8], LineFormat)) {
        for &(start, end, format) in &self.spans {
            sink(&self.bytes[start..end], format);
        }
    }
}

fn is_json(data: &[u8]) -> bool {
    data.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{')
}

/// Access-log text never holds NUL bytes; a record that does is some other binary payload.
fn check_text(data: &[u8]) -> Result<(), DecodeError> {
    match memchr::memchr(0, data) {
        Some(offset) => Err(DecodeError::Binary { offset }),
        None => Ok(()),
    }
}

/// Calls `f` with each non-empty line, without its ending (`\n`, `\r\n` or a lone `\r`).
fn for_each_line(data: &[u8], mut f: impl FnMut(&[u8])) {
    for line in split_lines(data) {
        if !line.is_empty() {
            f(line);
        }
    }
}

/// The content of a KPL user record or a CloudWatch log event: agent JSON or plain text.
fn decode_text_or_json(data: &[u8], out: &mut LineBuffer) -> Result<RecordEncoding, DecodeError> {
    if is_json(data) {
        let mut number = 0;
        let mut result = Ok(());
        for_each_line(data, |line| {
            number += 1;
            if result.is_ok() && !line.iter().all(u8::is_ascii_whitespace) {
                result = agent::rebuild_combined(line, number, out);
            }
        });
        result.map(|()| RecordEncoding::AgentJson)
    } else {
        check_text(data)?;
        for_each_line(data, |line| out.push(line, LineFormat::Configured));
        Ok(RecordEncoding::Text)
    }
}
