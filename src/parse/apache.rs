//! Parsers for the individual Apache fields.
//!
//! Each field kind has one small parser with nom's signature (`&str` in, rest and value out). The
//! compiled [`LogFormat`](super::LogFormat) calls them in order; they never allocate and never recurse
//! on the input, so a gigantic line costs time linear in its length and nothing else. The ones that
//! run on every line of the common formats (`%t`, `%b`, `%r`'s parts) read bytes by hand; nom
//! reads the rest, and `%t` in its rarer forms.

use std::borrow::Cow;
use std::cell::Cell;

use memchr::{memchr, memchr2, memrchr};
use nom::branch::alt;
use nom::character::complete::{char, one_of};
use nom::combinator::map_opt;
use nom::error::{Error, ErrorKind};
use nom::{IResult, Parser};

use time::format_description::OwnedFormatItem;
use time::parsing::Parsed;
use time::UtcDateTime;

use super::clftime;
use super::Request;

/// What every field parser returns: the rest of the line and the value.
pub(super) type Res<'a, T> = IResult<&'a str, T>;

fn fail<T>(input: &str, kind: ErrorKind) -> Res<'_, T> {
    Err(nom::Err::Error(Error::new(input, kind)))
}

/// An unsigned decimal number; overflow is a mismatch, not a wrap.
pub(super) fn number(input: &str) -> Res<'_, u64> {
    // By hand rather than `map_opt(digit1, …)`: it runs on every line (`%b`, `%D`). Every
    // failure points at the start of the field, as the combinator did.
    let digits = input.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return fail(input, ErrorKind::Digit);
    }
    let value = input.as_bytes()[..digits].iter().try_fold(0u64, |acc, b| {
        acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    });
    match value {
        Some(n) => Ok((&input[digits..], n)),
        None => fail(input, ErrorKind::MapOpt),
    }
}

/// `%b`: a byte count, or `-` for none (counted as 0).
pub(super) fn clf_bytes(input: &str) -> Res<'_, u64> {
    match input.strip_prefix('-') {
        Some(rest) => Ok((rest, 0)),
        None => number(input),
    }
}

/// `%s` / `%>s`: exactly three digits, or `-` (`None`): Apache writes `-` when the request has no
/// status (≤ 0), e.g. when the client went away before a response was chosen.
pub(super) fn status(input: &str) -> Res<'_, Option<u16>> {
    // Digits first, and `-` compared as a byte: this runs on every line.
    match fixed_digits(3)(input) {
        Ok((rest, code)) => Ok((rest, u16::try_from(code).ok())),
        Err(err) => match input.strip_prefix('-') {
            Some(rest) => Ok((rest, None)),
            None => Err(err),
        },
    }
}

/// The length of `[10/Oct/2000:13:55:36 -0700]`: `%t` with a two-digit day, as Apache writes it.
const CLF_TIME_LEN: usize = 28;

thread_local! {
    /// The last `%t` text read on this thread and its epoch: lines come in time order, so most
    /// share their second with the line before (a comparison instead of a conversion). Per
    /// thread, so parse workers never contend; the text is the whole key, so it is exact.
    static LAST_CLF_TIME: Cell<Option<([u8; CLF_TIME_LEN], i64)>> = const { Cell::new(None) };
}

/// `%t` in Apache's default form `[10/Oct/2000:13:55:36 -0700]`, as UTC epoch seconds.
pub(super) fn clf_time(input: &str) -> Res<'_, i64> {
    if let Some(text) = input.as_bytes().first_chunk::<CLF_TIME_LEN>() {
        if let Some((last, epoch)) = LAST_CLF_TIME.get() {
            if *text == last {
                return Ok((&input[CLF_TIME_LEN..], epoch));
            }
        }
        if let Some(epoch) = clf_time_fixed(text) {
            LAST_CLF_TIME.set(Some((*text, epoch)));
            return Ok((&input[CLF_TIME_LEN..], epoch));
        }
    }
    clf_time_any(input)
}

/// The common form of `%t` (two-digit day) read by position; `None` for anything else (a
/// one-digit day, a bad field), which [`clf_time_any`] then reads or reports.
fn clf_time_fixed(b: &[u8; CLF_TIME_LEN]) -> Option<i64> {
    let digits = |range: std::ops::Range<usize>| {
        b[range].iter().try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let punctuation = [
        (0, b'['),
        (3, b'/'),
        (7, b'/'),
        (12, b':'),
        (15, b':'),
        (18, b':'),
    ];
    if punctuation.iter().any(|&(at, c)| b[at] != c) || b[21] != b' ' || b[27] != b']' {
        return None;
    }
    let month = MONTHS.iter().position(|m| m[..] == b[4..7])? as u8 + 1;
    let (offset_hours, offset_minutes) = (digits(23..25)?, digits(25..27)?);
    if offset_hours > 23 || offset_minutes > 59 {
        return None;
    }
    let offset = (offset_hours * 3600 + offset_minutes * 60) as i32;
    let offset = match b[22] {
        b'+' => offset,
        b'-' => -offset,
        _ => return None,
    };
    let civil = clftime::Civil {
        year: digits(8..12)? as i32,
        month,
        day: digits(1..3)?,
        hour: digits(13..15)?,
        minute: digits(16..18)?,
        second: digits(19..21)?,
    };
    clftime::to_epoch(civil, offset)
}

/// `%t` in any form Apache's default can take (one- or two-digit day), with nom; also what
/// reports a malformed one.
fn clf_time_any(input: &str) -> Res<'_, i64> {
    let (rest, (_, day, _, month, _, year, _, hour, _, minute, _, second, _, offset, _)) = (
        char('['),
        alt((fixed_digits(2), fixed_digits(1))),
        char('/'),
        month,
        char('/'),
        fixed_digits(4),
        char(':'),
        fixed_digits(2),
        char(':'),
        fixed_digits(2),
        char(':'),
        fixed_digits(2),
        char(' '),
        utc_offset,
        char(']'),
    )
        .parse(input)?;
    let civil = clftime::Civil {
        year: year as i32,
        month,
        day,
        hour,
        minute,
        second,
    };
    match clftime::to_epoch(civil, offset) {
        Some(epoch) => Ok((rest, epoch)),
        // Point at the start of the timestamp: the date as a whole is impossible (31/Feb, 25:00).
        None => fail(input, ErrorKind::Verify),
    }
}

/// `%{strftime format}t`, as UTC epoch seconds (the format's `%z` offset applied; UTC without one).
pub(super) fn strftime_time<'a>(input: &'a str, items: &OwnedFormatItem) -> Res<'a, i64> {
    let mut parsed = Parsed::new();
    let Ok(rest) = parsed.parse_item(input.as_bytes(), items) else {
        return fail(input, ErrorKind::Verify);
    };
    let consumed = input.len() - rest.len();
    match (UtcDateTime::try_from(parsed), input.get(consumed..)) {
        (Ok(time), Some(rest)) => Ok((rest, time.unix_timestamp())),
        _ => fail(input, ErrorKind::Verify),
    }
}

/// `%{sec}t`, `%{msec}t`, `%{usec}t`: an epoch number in units of 1/`per_second` s, as whole seconds.
pub(super) fn epoch(per_second: u64) -> impl Fn(&str) -> Res<'_, i64> {
    move |input| map_opt(number, |n| i64::try_from(n / per_second).ok()).parse(input)
}

/// A count scaled to microseconds (`%D` ×1, `%{ms}T` ×1,000, `%T` ×1,000,000).
pub(super) fn micros(scale: u64) -> impl Fn(&str) -> Res<'_, u64> {
    move |input| map_opt(number, |n| n.checked_mul(scale)).parse(input)
}

/// Exactly `n` ASCII digits (at most 9), as a number.
fn fixed_digits(n: usize) -> impl Fn(&str) -> Res<'_, u32> {
    move |input| match input.as_bytes().get(..n) {
        Some(digits) if digits.iter().all(u8::is_ascii_digit) => {
            let value = digits
                .iter()
                .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
            Ok((&input[n..], value))
        }
        _ => fail(input, ErrorKind::Digit),
    }
}

/// English three-letter month names, case-sensitive as Apache writes them.
/// English three-letter month names, case-sensitive as Apache writes them.
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

fn month(input: &str) -> Res<'_, u8> {
    let found = input
        .as_bytes()
        .get(..3)
        .and_then(|name| MONTHS.iter().position(|m| &m[..] == name));
    match found {
        Some(index) => Ok((&input[3..], index as u8 + 1)),
        None => fail(input, ErrorKind::Tag),
    }
}

/// `+hhmm` / `-hhmm` as signed seconds east of UTC.
fn utc_offset(input: &str) -> Res<'_, i32> {
    let (rest, (sign, hours, minutes)) =
        (one_of("+-"), fixed_digits(2), fixed_digits(2)).parse(input)?;
    if hours > 23 || minutes > 59 {
        return fail(input, ErrorKind::Verify);
    }
    let seconds = (hours * 3600 + minutes * 60) as i32;
    Ok((rest, if sign == '-' { -seconds } else { seconds }))
}

/// An unquoted field: everything up to `stop` (or the end of the line). Apache writes no spaces in
/// these, so `stop` is the first byte of the literal text that follows the field.
pub(super) fn token(stop: u8, allow_empty: bool) -> impl Fn(&str) -> Res<'_, &str> {
    move |input| {
        let end = memchr(stop, input.as_bytes()).unwrap_or(input.len());
        if end == 0 && !allow_empty {
            return fail(input, ErrorKind::TakeTill1);
        }
        // `stop` is ASCII or the lead byte of a UTF-8 sequence, so `end` is a char boundary.
        Ok((&input[end..], &input[..end]))
    }
}

/// The inside of a quoted field, still escaped: up to the first unescaped `"` that is followed by
/// the rest of the format's literal text (`closing`, which starts with that quote). Checking what
/// follows the quote keeps the line in step even when a non-Apache writer left a bare `"` inside a
/// field. With `at_end` (strict mode, last item) a quote whose closing text ends the line is
/// preferred; failing that, the first candidate is taken and the caller reports the trailing text.
///
/// One forward pass with memchr: linear in the field length whatever it contains.
pub(super) fn quoted<'a>(input: &'a str, closing: &str, at_end: bool) -> Res<'a, &'a str> {
    let bytes = input.as_bytes();
    let mut first: Option<usize> = None;
    let mut from = 0;
    while let Some(found) = memchr2(b'"', b'\\', &bytes[from..]) {
        let at = from + found;
        if bytes[at] == b'\\' {
            // Skip the escaped byte, whatever it is: `\"` does not close the field.
            from = at + 2;
            if from > bytes.len() {
                break;
            }
            continue;
        }
        let rest = &input[at..];
        if starts_with(rest, closing) {
            if !at_end || rest.len() == closing.len() {
                return Ok((rest, &input[..at]));
            }
            first.get_or_insert(at);
        }
        from = at + 1;
    }
    match first {
        Some(at) => Ok((&input[at..], &input[..at])),
        // Unterminated (e.g. a truncated line): point at the start of the field.
        None => fail(input, ErrorKind::Char),
    }
}

/// `str::starts_with` inline: `closing` is one or two bytes, not worth a `memcmp` call.
#[inline]
fn starts_with(text: &str, prefix: &str) -> bool {
    let (t, p) = (text.as_bytes(), prefix.as_bytes());
    t.len() >= p.len() && t.iter().zip(p).all(|(a, b)| a == b)
}

/// `%r` split into method, target and protocol; `None` for anything that is not a request line
/// (`-` on 408s, escaped TLS handshakes, garbage from scanners).
///
/// `METHOD SP TARGET [SP HTTP/d[.d]]`: the method is one or more token characters, then one space;
/// the target is not empty and does not start with a space; the protocol is the last word when
/// there is a space after the target, and must then be a version (else the line is no request).
pub(super) fn request(line: &str) -> Option<Request<'_>> {
    let method_len = line.bytes().take_while(|&b| is_tchar(b)).count();
    if method_len == 0 {
        return None;
    }
    let rest = line[method_len..].strip_prefix(' ')?;
    if rest.is_empty() || rest.starts_with(' ') {
        return None;
    }
    let (target, protocol) = match memrchr(b' ', rest.as_bytes()) {
        Some(space) => {
            let protocol = &rest[space + 1..];
            if !is_http_version(protocol) {
                return None;
            }
            (&rest[..space], protocol)
        }
        None => (rest, ""),
    };
    Some(Request {
        method: &line[..method_len],
        target,
        protocol,
    })
}

/// `HTTP/` digits, optionally `.` digits, and nothing else.
fn is_http_version(text: &str) -> bool {
    let Some(version) = text.strip_prefix("HTTP/") else {
        return false;
    };
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let major = digits(version);
    if major == 0 {
        return false;
    }
    match version[major..].strip_prefix('.') {
        None => major == version.len(),
        Some(minor) => {
            let n = digits(minor);
            n > 0 && n == minor.len()
        }
    }
}

/// A method's characters: RFC 9110 token characters. A backslash is not one, so escaped binary
/// (`\x16\x03…`) is never mistaken for a method.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Decodes Apache's escaping in a quoted field (`\"`, `\\`, `\xhh`, `\n`, `\t`, …). Borrows when there
/// is nothing to decode. Bytes that do not form UTF-8 after decoding are replaced (U+FFFD).
pub fn unescape(field: &str) -> Cow<'_, str> {
    let bytes = field.as_bytes();
    let Some(first) = memchr(b'\\', bytes) else {
        return Cow::Borrowed(field);
    };
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    let mut i = first;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let (decoded, used) = match bytes.get(i + 1) {
            Some(b'"') => (Some(b'"'), 2),
            Some(b'\\') => (Some(b'\\'), 2),
            Some(b'n') => (Some(b'\n'), 2),
            Some(b't') => (Some(b'\t'), 2),
            Some(b'r') => (Some(b'\r'), 2),
            Some(b'b') => (Some(0x08), 2),
            Some(b'v') => (Some(0x0b), 2),
            Some(b'f') => (Some(0x0c), 2),
            Some(b'x') => match (
                bytes.get(i + 2).and_then(hex),
                bytes.get(i + 3).and_then(hex),
            ) {
                (Some(hi), Some(lo)) => (Some(hi << 4 | lo), 4),
                _ => (None, 1),
            },
            // Not an escape Apache writes: keep the backslash as text.
            _ => (None, 1),
        };
        match decoded {
            Some(byte) => out.push(byte),
            None => out.push(b'\\'),
        }
        i += used;
    }
    match String::from_utf8(out) {
        Ok(text) => Cow::Owned(text),
        Err(err) => Cow::Owned(String::from_utf8_lossy(err.as_bytes()).into_owned()),
    }
}

fn hex(b: &u8) -> Option<u8> {
    (*b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests;
