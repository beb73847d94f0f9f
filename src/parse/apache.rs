//! nom parsers for the individual Apache fields.
//!
//! Each field kind has one small parser with nom's signature (`&str` in, rest and value out). The
//! compiled [`LogFormat`](super::LogFormat) calls them in order; they never allocate and never recurse
//! on the input, so a gigantic line costs time linear in its length and nothing else.

use std::borrow::Cow;

use memchr::{memchr, memchr2, memrchr};
use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::{char, digit1, one_of};
use nom::combinator::{all_consuming, map_opt, opt, recognize, value};
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
    map_opt(digit_run, |digits: &str| {
        digits.bytes().try_fold(0u64, |acc, b| {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        })
    })
    .parse(input)
}

/// `%b`: a byte count, or `-` for none (counted as 0).
pub(super) fn clf_bytes(input: &str) -> Res<'_, u64> {
    alt((value(0, char('-')), number)).parse(input)
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

/// `%t` in Apache's default form `[10/Oct/2000:13:55:36 -0700]`, as UTC epoch seconds.
pub(super) fn clf_time(input: &str) -> Res<'_, i64> {
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

/// A run of ASCII digits (nom's `digit1`, looking at bytes rather than decoding chars).
fn digit_run(input: &str) -> Res<'_, &str> {
    let n = input.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return fail(input, ErrorKind::Digit);
    }
    Ok((&input[n..], &input[..n]))
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
fn month(input: &str) -> Res<'_, u8> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
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
pub(super) fn request(line: &str) -> Option<Request<'_>> {
    all_consuming(request_parts)
        .parse(line)
        .ok()
        .map(|(_, r)| r)
}

fn request_parts(input: &str) -> Res<'_, Request<'_>> {
    let (rest, (method, _)) = (method, char(' ')).parse(input)?;
    if rest.is_empty() || rest.starts_with(' ') {
        return fail(rest, ErrorKind::Verify);
    }
    // The protocol is the last word when it looks like one; otherwise an HTTP/0.9 line has none.
    let (target, protocol) = match memrchr(b' ', rest.as_bytes()) {
        Some(space) => {
            let (_, protocol) = all_consuming(http_version).parse(&rest[space + 1..])?;
            (&rest[..space], protocol)
        }
        None => (rest, ""),
    };
    Ok((
        "",
        Request {
            method,
            target,
            protocol,
        },
    ))
}

fn http_version(input: &str) -> Res<'_, &str> {
    recognize((tag("HTTP/"), digit1, opt((char('.'), digit1)))).parse(input)
}

/// A method: RFC 9110 token characters. A backslash is not one, so escaped binary (`\x16\x03…`)
/// is never mistaken for a method.
fn method(input: &str) -> Res<'_, &str> {
    let n = input.bytes().take_while(|&b| is_tchar(b)).count();
    if n == 0 {
        return fail(input, ErrorKind::TakeWhile1);
    }
    Ok((&input[n..], &input[..n]))
}

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
