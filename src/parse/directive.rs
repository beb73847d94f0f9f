//! Reading the `%…` directives of an Apache LogFormat string: which parser reads each field and
//! where its value goes.

use std::sync::Arc;

use time::format_description::OwnedFormatItem;

use super::logformat::FormatError;

/// Which nom parser reads the field.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Shape {
    /// Free text (addresses, names, headers, the request line).
    Text,
    /// `[10/Oct/2000:13:55:36 -0700]`
    ClfTime,
    /// `%{strftime format}t`, read with the `time` crate; UTC unless the format has `%z`.
    Strftime(Arc<OwnedFormatItem>),
    /// Epoch number in 1/n seconds.
    Epoch(u64),
    /// Digits scaled to microseconds.
    Micros(u64),
    /// Plain digits.
    Number,
    /// Digits or `-`.
    ClfBytes,
    /// Three digits.
    Status,
}

/// Where the value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HitField {
    Skip,
    Client,
    Ident,
    User,
    Time,
    Request,
    Method,
    Path,
    Protocol,
    Status,
    Bytes,
    Latency,
    Vhost,
    Referer,
    UserAgent,
}

/// One directive as read from the format string, before slots are assigned.
pub(super) struct Directive {
    pub name: &'static str,
    pub shape: Shape,
    /// The field this directive fills when it is the preferred one of its kind.
    pub field: HitField,
    /// Lower wins when several directives could fill the same field (`%>s` over `%s`, `%D` over `%T`).
    pub rank: u8,
}

/// Reads one `%…` directive starting at `start`. Returns `None` for `%%` and the offset after it.
///
/// Apache's syntax: `%`, then in any order `!`, `<`, `>`, status codes separated by commas, and at
/// most one `{argument}`, then the directive letter (or `^ti` / `^to`). Status conditions only
/// decide whether Apache writes the value (`-` otherwise), so they are accepted and ignored; each
/// must be a three-digit status. Digits there are no field width (LogFormat has none), so
/// `%1000000000h` is refused rather than read as something it is not.
pub(super) fn directive(
    spec: &str,
    start: usize,
) -> Result<(Option<Directive>, usize), FormatError> {
    let bytes = spec.as_bytes();
    let mut i = start + 1;
    let mut argument: Option<&str> = None;
    let mut original = false;
    loop {
        let Some(&b) = bytes.get(i) else {
            return Err(FormatError::new(start, "`%` at the end of the format"));
        };
        match b {
            b'%' if i == start + 1 => return Ok((None, i + 1)),
            b'!' | b',' | b'>' => i += 1,
            b'0'..=b'9' => i += status_condition(spec, i)?,
            b'<' => {
                original = true;
                i += 1;
            }
            b'{' => {
                if argument.is_some() {
                    return Err(FormatError::new(i, "two {…} arguments in one directive"));
                }
                let Some(len) = memchr::memchr(b'}', &bytes[i + 1..]) else {
                    return Err(FormatError::new(i, "unterminated `%{`: no closing `}`"));
                };
                argument = Some(&spec[i + 1..i + 1 + len]);
                i += len + 2;
            }
            b'^' => {
                let two = spec.get(i + 1..i + 3);
                if !matches!(two, Some("ti") | Some("to")) {
                    return Err(FormatError::new(start, "unknown directive `%^`"));
                }
                require(argument, start, "%^ti/%^to")?;
                let d = text("%{…}^ti", HitField::Skip);
                return Ok((Some(d), i + 3));
            }
            letter => {
                let d = letter_directive(letter, argument, original, spec, start, i)?;
                return Ok((Some(d), i + 1));
            }
        }
    }
}

fn letter_directive(
    letter: u8,
    argument: Option<&str>,
    original: bool,
    spec: &str,
    start: usize,
    at: usize,
) -> Result<Directive, FormatError> {
    let d = match letter {
        b'h' => text("%h", HitField::Client),
        b'a' => match argument {
            None | Some("c") => Directive {
                rank: 1,
                ..text("%a", HitField::Client)
            },
            Some(other) => {
                return Err(FormatError::new(
                    start,
                    format!("unknown %a argument `{other}` (only `c`)"),
                ))
            }
        },
        b'l' => text("%l", HitField::Ident),
        b'u' => text("%u", HitField::User),
        b't' => time_directive(argument, start)?,
        b'r' => text("%r", HitField::Request),
        b'm' => text("%m", HitField::Method),
        b'U' => text("%U", HitField::Path),
        b'H' => text("%H", HitField::Protocol),
        b's' if original => shaped("%<s", Shape::Status, HitField::Status, 1),
        b's' if spec[start..at].contains('>') => shaped("%>s", Shape::Status, HitField::Status, 0),
        b's' => shaped("%s", Shape::Status, HitField::Status, 1),
        b'b' => shaped("%b", Shape::ClfBytes, HitField::Bytes, 0),
        b'B' => shaped("%B", Shape::Number, HitField::Bytes, 0),
        // Bytes on the wire (mod_logio): the byte count only when neither %b nor %B is there.
        b'O' => shaped("%O", Shape::Number, HitField::Bytes, 1),
        b'I' => shaped("%I", Shape::Number, HitField::Skip, 0),
        b'S' => shaped("%S", Shape::Number, HitField::Skip, 0),
        b'D' => shaped("%D", Shape::Micros(1), HitField::Latency, 0),
        b'T' => match argument {
            None | Some("s") => shaped("%T", Shape::Micros(1_000_000), HitField::Latency, 1),
            Some("ms") => shaped("%{ms}T", Shape::Micros(1_000), HitField::Latency, 1),
            Some("us") => shaped("%{us}T", Shape::Micros(1), HitField::Latency, 1),
            Some(other) => {
                return Err(FormatError::new(
                    start,
                    format!("unknown %T unit `{other}` (s, ms or us)"),
                ))
            }
        },
        b'v' | b'V' => text(if letter == b'v' { "%v" } else { "%V" }, HitField::Vhost),
        b'i' => {
            let name = require(argument, start, "%i")?;
            if name.eq_ignore_ascii_case("referer") {
                text("%{Referer}i", HitField::Referer)
            } else if name.eq_ignore_ascii_case("user-agent") {
                text("%{User-Agent}i", HitField::UserAgent)
            } else {
                text("%{…}i", HitField::Skip)
            }
        }
        b'o' => {
            require(argument, start, "%o")?;
            text("%{…}o", HitField::Skip)
        }
        b'C' | b'e' | b'n' => {
            require(argument, start, "this directive")?;
            text(
                match letter {
                    b'C' => "%{…}C",
                    b'e' => "%{…}e",
                    _ => "%{…}n",
                },
                HitField::Skip,
            )
        }
        b'A' => text("%A", HitField::Skip),
        b'f' => text("%f", HitField::Skip),
        b'k' => shaped("%k", Shape::Number, HitField::Skip, 0),
        b'L' => text("%L", HitField::Skip),
        b'p' => text("%p", HitField::Skip),
        b'P' => text("%P", HitField::Skip),
        b'q' => text("%q", HitField::Skip),
        b'R' => text("%R", HitField::Skip),
        b'X' => text("%X", HitField::Skip),
        other => {
            let shown = spec[at..].chars().next().unwrap_or(other as char);
            return Err(FormatError::new(
                start,
                format!("unknown directive `%{shown}`"),
            ));
        }
    };
    Ok(d)
}

/// The length of the status condition (`404` in `%404,500{Referer}i`) at `at`.
fn status_condition(spec: &str, at: usize) -> Result<usize, FormatError> {
    let digits = spec[at..].bytes().take_while(u8::is_ascii_digit).count();
    let code = &spec[at..at + digits];
    if digits == 3 && !code.starts_with('0') {
        return Ok(digits);
    }
    // A pasted run of digits can be any length: quote a bounded part of it.
    let shown = match code.get(..12) {
        Some(head) if digits > 12 => format!("{head}…"),
        _ => code.to_owned(),
    };
    Err(FormatError::new(
        at,
        format!(
            "status condition `{shown}` is not an HTTP status (100 to 999); \
             a LogFormat directive has no field width"
        ),
    ))
}

fn time_directive(argument: Option<&str>, start: usize) -> Result<Directive, FormatError> {
    let Some(argument) = argument else {
        return Ok(shaped("%t", Shape::ClfTime, HitField::Time, 0));
    };
    // `begin:` / `end:` choose the moment Apache took the time; both are the request's time here.
    let unit = argument
        .strip_prefix("begin:")
        .or_else(|| argument.strip_prefix("end:"))
        .unwrap_or(argument);
    Ok(match unit {
        "sec" => shaped("%{sec}t", Shape::Epoch(1), HitField::Time, 0),
        "msec" => shaped("%{msec}t", Shape::Epoch(1_000), HitField::Time, 0),
        "usec" => shaped("%{usec}t", Shape::Epoch(1_000_000), HitField::Time, 0),
        "msec_frac" | "usec_frac" => shaped("%{…_frac}t", Shape::Number, HitField::Skip, 0),
        strftime if strftime.contains('%') => {
            let items =
                time::format_description::parse_strftime_owned(strftime).map_err(|err| {
                    FormatError::new(start, format!("bad %{{…}}t time format: {err}"))
                })?;
            shaped("%{…}t", Shape::Strftime(Arc::new(items)), HitField::Time, 0)
        }
        other => {
            return Err(FormatError::new(
                start,
                format!(
                    "unsupported %t format `{other}` (use %t, %{{sec}}t, %{{msec}}t, %{{usec}}t \
                     or a strftime format such as %{{%Y-%m-%dT%H:%M:%S%z}}t)"
                ),
            ))
        }
    })
}

fn require<'s>(
    argument: Option<&'s str>,
    start: usize,
    what: &str,
) -> Result<&'s str, FormatError> {
    match argument {
        Some(name) if !name.is_empty() => Ok(name),
        _ => Err(FormatError::new(
            start,
            format!("{what} needs a name in braces, like %{{User-Agent}}i"),
        )),
    }
}

fn text(name: &'static str, field: HitField) -> Directive {
    shaped(name, Shape::Text, field, 0)
}

fn shaped(name: &'static str, shape: Shape, field: HitField, rank: u8) -> Directive {
    Directive {
        name,
        shape,
        field,
        rank,
    }
}
