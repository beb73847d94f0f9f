//! Apache access-log parsing with nom.
//!
//! A [`LogFormat`] is compiled once from an Apache `LogFormat` string (or a preset) into a list of
//! field parsers; [`LogFormat::parse_line`] then turns one line into a [`LogLine`] that borrows from
//! the input: no allocation per field on the hot path. Quoted fields are kept in their escaped form
//! (as Apache wrote them); [`unescape`] decodes `\"`, `\\`, `\xhh`, … when a value is stored or shown.

mod apache;
mod clftime;
mod directive;
mod logformat;
#[cfg(test)]
mod tests;

pub use logformat::{FormatError, LogFormat, Preset};

/// One parsed access-log line. Every `&'a str` points into the input line (escaped form).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogLine<'a> {
    /// `%h` (or `%a` when there is no `%h`): client address or hostname.
    pub client: &'a str,
    /// `%l`; `None` for `-`.
    pub ident: Option<&'a str>,
    /// `%u`; `None` for `-`.
    pub user: Option<&'a str>,
    /// `%t` converted to UTC epoch seconds; `None` when the format has no time.
    pub time: Option<i64>,
    /// `%r` split into its parts; `None` when the format has no `%r`, the request line is `-`
    /// (e.g. 408s) or it is junk (e.g. escaped TLS bytes); see [`LogLine::request_line`].
    pub request: Option<Request<'a>>,
    /// `%r` as written (escaped), also when it could not be split.
    pub request_line: Option<&'a str>,
    /// `%>s` / `%s`; `None` when the format has no status or the line has `-` (Apache writes it
    /// for a request without a status): such a request counts in status class `other`.
    pub status: Option<u16>,
    /// `%b` / `%B` (`-` counts as 0 and is `Some(0)` for `%b`).
    pub bytes: Option<u64>,
    /// `%D` in microseconds, or `%T` (seconds) × 1,000,000 when there is no `%D`.
    pub latency_us: Option<u64>,
    /// `%v` / `%V`.
    pub vhost: Option<&'a str>,
    /// `%{Referer}i`; `None` for `-`.
    pub referer: Option<&'a str>,
    /// `%{User-Agent}i`; `None` for `-`.
    pub user_agent: Option<&'a str>,
    /// Text left after the last field of the format (lenient parsing only; spaces and tabs alone
    /// are not text): a second record run onto this line, or junk appended to it. The line's
    /// values are those of its first record.
    pub trailing: Option<Trailing<'a>>,
}

/// Text after the last field of a line, and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trailing<'a> {
    /// Byte offset in the line (in the repaired text, for a line that was not UTF-8).
    pub offset: usize,
    pub text: &'a str,
}

/// The parts of a request line `METHOD TARGET PROTOCOL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The request target as written, including any query string.
    pub target: &'a str,
    /// `HTTP/1.1` etc.; empty for HTTP/0.9-style lines without a protocol.
    pub protocol: &'a str,
}

impl<'a> Request<'a> {
    /// The target without its query string (`/a/b?x=1` → `/a/b`): what "top paths" count.
    pub fn path(&self) -> &'a str {
        match memchr::memchr(b'?', self.target.as_bytes()) {
            Some(i) => &self.target[..i],
            None => self.target,
        }
    }
}

/// Why a line is malformed. Kept small: it is counted and sampled, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("line is not valid UTF-8")]
    NotUtf8,
    /// Invalid UTF-8 outside quotes (see [`LogFormat::parse_line_lossy`]).
    #[error("field {field} is not valid UTF-8")]
    FieldNotUtf8 { field: &'static str },
    #[error("empty line")]
    Empty,
    #[error("field {field} does not match at byte {offset}")]
    Field { field: &'static str, offset: usize },
    #[error("unexpected text after the last field at byte {offset}")]
    Trailing { offset: usize },
}

pub use apache::unescape;
