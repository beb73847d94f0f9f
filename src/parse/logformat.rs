//! Compiling an Apache `LogFormat` string into a line parser.
//!
//! The format string is compiled once into a list of [`Item`]s: literal text and fields, each field
//! knowing its shape (which nom parser reads it), where its value goes in [`LogLine`], and whether
//! it sits between quotes. Parsing a line walks that list; nothing is allocated per line.

use std::fmt;
use std::sync::Arc;

use nom::Parser;

use super::apache::{self, Res};
use super::directive::{HitField, Shape};
use super::{LogLine, ParseError, Request, Trailing};

mod compile;
use compile::compile;

/// Built-in formats, as Apache names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// `%h %l %u %t "%r" %>s %b`
    Common,
    /// `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`
    Combined,
    /// combined + ` %D`
    CombinedD,
}

impl Preset {
    /// Richest first: the order [`LogFormat::detect`] prefers on ties.
    pub const ALL: [Preset; 3] = [Preset::CombinedD, Preset::Combined, Preset::Common];

    /// The name accepted by `--format`.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Common => "common",
            Preset::Combined => "combined",
            Preset::CombinedD => "combined_D",
        }
    }

    /// The LogFormat string.
    pub fn spec(self) -> &'static str {
        match self {
            Preset::Common => r#"%h %l %u %t "%r" %>s %b"#,
            Preset::Combined => r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#,
            Preset::CombinedD => r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D"#,
        }
    }

    /// A preset by name (`common`, `combined`, `combined_D`, also `combinedD`; case-insensitive).
    pub fn from_name(name: &str) -> Option<Preset> {
        match name.to_ascii_lowercase().as_str() {
            "common" | "clf" => Some(Preset::Common),
            "combined" => Some(Preset::Combined),
            "combined_d" | "combinedd" => Some(Preset::CombinedD),
            _ => None,
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A bad `--format` string, with the byte offset of the problem (`None`: the format as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    pub offset: Option<usize>,
    pub reason: String,
}

impl FormatError {
    pub(super) fn new(offset: usize, reason: impl Into<String>) -> Self {
        FormatError {
            offset: Some(offset),
            reason: reason.into(),
        }
    }

    fn whole(reason: impl Into<String>) -> Self {
        FormatError {
            offset: None,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(offset) => write!(f, "bad log format at byte {offset}: {}", self.reason),
            None => write!(f, "bad log format: {}", self.reason),
        }
    }
}

impl std::error::Error for FormatError {}

/// A compiled log format. Cheap to clone and share between threads.
#[derive(Debug, Clone)]
pub struct LogFormat {
    inner: Arc<Compiled>,
}

#[derive(Debug)]
struct Compiled {
    spec: String,
    preset: Option<Preset>,
    items: Vec<Item>,
    has_latency: bool,
    has_time: bool,
    has_user_agent: bool,
    has_referer: bool,
    /// `%m`/`%U`/`%H` stand in for `%r` when it is absent.
    request_from_parts: bool,
}

#[derive(Debug, Clone)]
enum Item {
    /// Text that must appear as is; `field` names the field it leads to, for error messages.
    Literal {
        text: Box<str>,
        field: &'static str,
    },
    Field(Field),
}

#[derive(Debug, Clone)]
struct Field {
    /// The directive as written in error messages (`%>s`, `%{User-Agent}i`, `%{…}i`).
    name: &'static str,
    shape: Shape,
    field: HitField,
    /// Between a literal `"` and a literal starting with `"`: the value is escaped text up to the
    /// closing quote, which starts `closing` (the next literal).
    quoted: Option<Closing>,
    /// Unquoted text fields end at this byte (the first byte of the next literal, else a space).
    stop: u8,
    /// Unquoted text fields followed directly by another field may be empty.
    allow_empty: bool,
    /// Whether a line that is not UTF-8 may have its invalid bytes replaced in this field: text
    /// between quotes on the line (an odd number of `"` in the literal text before it, so `%U`
    /// in `"%m %U %H"` too), except the client host, whose identity a replaced byte would lose.
    lossy_ok: bool,
}

#[derive(Debug, Clone)]
struct Closing {
    text: Box<str>,
    /// The closing literal is the format's last item.
    last: bool,
}

/// The values that are only known once the whole line is read.
#[derive(Default)]
struct Parts<'a> {
    method: Option<&'a str>,
    path: Option<&'a str>,
    protocol: Option<&'a str>,
}

impl LogFormat {
    /// Compiles the format of an access log: an Apache LogFormat string, or a preset name
    /// (`common`, `combined`, `combined_D`). It must have a time directive (`%t`, `%{sec}t`, …):
    /// every request is placed in a window by its time, and a line without one has none.
    pub fn new(spec: &str) -> Result<Self, FormatError> {
        let format = Self::new_untimed(spec)?;
        if !format.has_time() {
            return Err(FormatError::whole(
                "no time directive (%t, %{sec}t, %{msec}t, %{usec}t or a %{…}t strftime format): \
                 every request is placed in a window by its time",
            ));
        }
        Ok(format)
    }

    /// Compiles a format that need not have a time directive, to read fields out of lines
    /// (tests, tools). What reads events uses [`LogFormat::new`].
    pub fn new_untimed(spec: &str) -> Result<Self, FormatError> {
        if let Some(preset) = Preset::from_name(spec.trim()) {
            return Ok(Self::preset(preset));
        }
        compile(spec, None)
    }

    pub fn preset(preset: Preset) -> Self {
        compile(preset.spec(), Some(preset)).expect("preset formats compile")
    }

    /// The LogFormat string this was compiled from (presets expanded).
    pub fn spec(&self) -> &str {
        &self.inner.spec
    }

    /// The preset this format is, when it was made from one (by name or by [`LogFormat::detect`]).
    pub fn preset_kind(&self) -> Option<Preset> {
        self.inner.preset
    }

    /// A short name for status lines: the preset name, else the LogFormat string.
    pub fn name(&self) -> &str {
        match self.inner.preset {
            Some(preset) => preset.name(),
            None => &self.inner.spec,
        }
    }

    /// Picks the preset that parses most of `sample` (the first lines of the input),
    /// preferring the richer one on ties (`combined_D` > `combined` > `common`). `None` when no preset
    /// parses at least one line.
    pub fn detect<'a>(sample: impl IntoIterator<Item = &'a [u8]>) -> Option<Self> {
        let sample: Vec<&[u8]> = sample.into_iter().collect();
        let mut best: Option<(usize, LogFormat)> = None;
        for preset in Preset::ALL {
            let format = Self::preset(preset);
            let parsed = sample
                .iter()
                .filter(|line| format.parse_line(line).is_ok())
                .count();
            // Strictly more: on ties the earlier, richer preset stays.
            if parsed > 0 && best.as_ref().is_none_or(|(most, _)| parsed > *most) {
                best = Some((parsed, format));
            }
        }
        best.map(|(_, format)| format)
    }

    /// Whether the format has a latency field (`%D` or `%T`).
    pub fn has_latency(&self) -> bool {
        self.inner.has_latency
    }

    /// Whether the format has a time field (`%t`).
    pub fn has_time(&self) -> bool {
        self.inner.has_time
    }

    /// Whether the format has `%{User-Agent}i`: only then is a line's `None` a logged `-`.
    pub fn has_user_agent(&self) -> bool {
        self.inner.has_user_agent
    }

    /// Whether the format has `%{Referer}i`: only then is a line's `None` a logged `-`.
    pub fn has_referer(&self) -> bool {
        self.inner.has_referer
    }

    /// The lenient entry point: one line without its line ending (a trailing `\r` is
    /// tolerated). Text after the last field does not make the line malformed: it is returned in
    /// [`LogLine::trailing`] for the caller to count. A line that is not valid UTF-8
    /// is [`ParseError::NotUtf8`]; live input goes through [`LogFormat::parse_line_lossy`].
    pub fn parse_line<'a>(&self, line: &'a [u8]) -> Result<LogLine<'a>, ParseError> {
        self.inner.parse(line, false)
    }

    /// [`LogFormat::parse_line`] for live input, where a line need not be valid UTF-8. Valid lines
    /// (almost all) are read in place. In a line that is not, each invalid sequence becomes
    /// U+FFFD (as [`String::from_utf8_lossy`] does) in `scratch`, which the result then borrows:
    /// inside quotes (the request line, a referer, a user agent, …) that is text to count and show
    /// like any other. Outside quotes (the client host, `%u`, …) Apache never writes raw bytes and
    /// a host's identity cannot be guessed, so the line is [`ParseError::FieldNotUtf8`].
    pub fn parse_line_lossy<'a>(
        &self,
        line: &'a [u8],
        scratch: &'a mut String,
    ) -> Result<LogLine<'a>, ParseError> {
        let line = without_ending(line);
        match std::str::from_utf8(line) {
            Ok(text) => self.inner.parse_text::<false>(text, false),
            Err(_) => {
                scratch.clear();
                for chunk in line.utf8_chunks() {
                    scratch.push_str(chunk.valid());
                    if !chunk.invalid().is_empty() {
                        scratch.push(char::REPLACEMENT_CHARACTER);
                    }
                }
                self.inner.parse_text::<true>(scratch, false)
            }
        }
    }

    /// The strict entry point used by tests: the whole line must match.
    pub fn parse_line_strict<'a>(&self, line: &'a [u8]) -> Result<LogLine<'a>, ParseError> {
        self.inner.parse(line, true)
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Compiled {
    fn parse<'a>(&self, line: &'a [u8], strict: bool) -> Result<LogLine<'a>, ParseError> {
        // Validate once; every field parser then works on `&str` and slices stay borrowed.
        let line = std::str::from_utf8(without_ending(line)).map_err(|_| ParseError::NotUtf8)?;
        self.parse_text::<false>(line, strict)
    }

    /// Parses one line of text. `REPLACED`: invalid UTF-8 in the line was replaced by U+FFFD,
    /// which only some fields may hold (a constant, so valid lines pay nothing for the check).
    fn parse_text<'a, const REPLACED: bool>(
        &self,
        line: &'a str,
        strict: bool,
    ) -> Result<LogLine<'a>, ParseError> {
        if line.is_empty() {
            return Err(ParseError::Empty);
        }
        // Every slice a parser returns or reports points into `line`; clamp anyway so an error can
        // never turn into a panic.
        let offset_of = |at: &str| {
            (at.as_ptr() as usize)
                .saturating_sub(line.as_ptr() as usize)
                .min(line.len())
        };

        let mut out = LogLine::default();
        let mut parts = Parts::default();
        let mut rest = line;
        for item in &self.items {
            rest = match item {
                Item::Literal { text, field } => match literal(rest, text) {
                    Some(after) => after,
                    None => {
                        return Err(ParseError::Field {
                            field,
                            offset: offset_of(rest),
                        })
                    }
                },
                Item::Field(field) => {
                    let after = field
                        .read(rest, strict, &mut out, &mut parts)
                        .map_err(|err| ParseError::Field {
                            field: field.name,
                            offset: match err {
                                nom::Err::Error(e) | nom::Err::Failure(e) => offset_of(e.input),
                                nom::Err::Incomplete(_) => offset_of(rest),
                            },
                        })?;
                    if REPLACED && !field.lossy_ok {
                        let value = &rest[..rest.len() - after.len()];
                        if value.contains(char::REPLACEMENT_CHARACTER) {
                            return Err(ParseError::FieldNotUtf8 { field: field.name });
                        }
                    }
                    after
                }
            };
        }
        if !rest.is_empty() {
            if strict {
                return Err(ParseError::Trailing {
                    offset: offset_of(rest),
                });
            }
            if !rest.bytes().all(|b| b == b' ' || b == b'\t') {
                out.trailing = Some(Trailing {
                    offset: offset_of(rest),
                    text: rest,
                });
            }
        }
        if self.request_from_parts {
            if let Some(target) = parts.path {
                out.request = Some(Request {
                    method: parts.method.unwrap_or(""),
                    target,
                    protocol: parts.protocol.unwrap_or(""),
                });
            }
        }
        Ok(out)
    }
}

/// A line without its `\n`, `\r\n` or `\r` ending.
fn without_ending(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `rest` after `text`, if it starts with it. Literals are mostly one or two bytes (` `, `" `):
/// compare them inline rather than through a `memcmp` call.
#[inline]
fn literal<'a>(rest: &'a str, text: &str) -> Option<&'a str> {
    let (r, t) = (rest.as_bytes(), text.as_bytes());
    if r.len() < t.len() || !r.iter().zip(t).all(|(a, b)| a == b) {
        return None;
    }
    // `text` is a whole str, so its end in `rest` is a char boundary.
    Some(&rest[t.len()..])
}

impl Field {
    /// Reads this field from the start of `input` into `out`; returns the rest of the line.
    fn read<'a>(
        &self,
        input: &'a str,
        strict: bool,
        out: &mut LogLine<'a>,
        parts: &mut Parts<'a>,
    ) -> Result<&'a str, nom::Err<nom::error::Error<&'a str>>> {
        if let Some(closing) = &self.quoted {
            let (rest, inside) = apache::quoted(input, &closing.text, strict && closing.last)?;
            let (after, ()) = self.value(inside, out, parts)?;
            if !after.is_empty() {
                return Err(nom::Err::Error(nom::error::Error::new(
                    after,
                    nom::error::ErrorKind::Eof,
                )));
            }
            return Ok(rest);
        }
        let (rest, ()) = if matches!(self.shape, Shape::Text) {
            let (rest, text) = apache::token(self.stop, self.allow_empty).parse(input)?;
            self.value(text, out, parts)?;
            (rest, ())
        } else {
            self.value(input, out, parts)?
        };
        Ok(rest)
    }

    /// Runs the shape's parser on `input` and stores the value. `Text` takes all of `input`.
    fn value<'a>(
        &self,
        input: &'a str,
        out: &mut LogLine<'a>,
        parts: &mut Parts<'a>,
    ) -> Res<'a, ()> {
        let (rest, number) = match &self.shape {
            Shape::Text => {
                self.store_text(input, out, parts);
                return Ok(("", ()));
            }
            Shape::ClfTime => {
                let (rest, epoch) = apache::clf_time(input)?;
                self.store_time(epoch, out);
                return Ok((rest, ()));
            }
            Shape::Strftime(items) => {
                let (rest, epoch) = apache::strftime_time(input, items)?;
                self.store_time(epoch, out);
                return Ok((rest, ()));
            }
            Shape::Epoch(per_second) => {
                let (rest, epoch) = apache::epoch(*per_second)(input)?;
                self.store_time(epoch, out);
                return Ok((rest, ()));
            }
            Shape::Micros(scale) => apache::micros(*scale)(input)?,
            Shape::Number => apache::number(input)?,
            Shape::ClfBytes => apache::clf_bytes(input)?,
            Shape::Status => {
                let (rest, status) = apache::status(input)?;
                if self.field == HitField::Status {
                    out.status = status;
                }
                return Ok((rest, ()));
            }
        };
        match self.field {
            HitField::Bytes => out.bytes = Some(number),
            HitField::Latency => out.latency_us = Some(number),
            _ => {}
        }
        Ok((rest, ()))
    }

    fn store_time(&self, epoch: i64, out: &mut LogLine<'_>) {
        if self.field == HitField::Time {
            out.time = Some(epoch);
        }
    }

    fn store_text<'a>(&self, text: &'a str, out: &mut LogLine<'a>, parts: &mut Parts<'a>) {
        let dash_is_none = |text: &'a str| (text != "-").then_some(text);
        match self.field {
            HitField::Client => out.client = text,
            HitField::Ident => out.ident = dash_is_none(text),
            HitField::User => out.user = dash_is_none(text),
            HitField::Vhost => out.vhost = dash_is_none(text),
            HitField::Referer => out.referer = dash_is_none(text),
            HitField::UserAgent => out.user_agent = dash_is_none(text),
            HitField::Request => {
                out.request_line = Some(text);
                out.request = apache::request(text);
            }
            HitField::Method => parts.method = Some(text),
            HitField::Path => parts.path = Some(text),
            HitField::Protocol => parts.protocol = Some(text),
            _ => {}
        }
    }
}
