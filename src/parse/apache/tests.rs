//! The hand-written field readers against the nom combinators they replaced (kept here as the
//! reference): same values, same rest, and failures at the same place.

use nom::bytes::complete::tag;
use nom::character::complete::{char, digit1};
use nom::combinator::{all_consuming, map_opt, opt, recognize};
use proptest::prelude::*;

use super::*;

fn number_nom(input: &str) -> Res<'_, u64> {
    map_opt(digit1, |digits: &str| {
        digits.bytes().try_fold(0u64, |acc, b| {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        })
    })
    .parse(input)
}

fn clf_bytes_nom(input: &str) -> Res<'_, u64> {
    alt((nom::combinator::value(0, char('-')), number_nom)).parse(input)
}

fn request_nom(line: &str) -> Option<Request<'_>> {
    fn http_version(input: &str) -> Res<'_, &str> {
        recognize((tag("HTTP/"), digit1, opt((char('.'), digit1)))).parse(input)
    }
    fn method(input: &str) -> Res<'_, &str> {
        let n = input.bytes().take_while(|&b| is_tchar(b)).count();
        if n == 0 {
            return fail(input, ErrorKind::TakeWhile1);
        }
        Ok((&input[n..], &input[..n]))
    }
    fn parts(input: &str) -> Res<'_, Request<'_>> {
        let (rest, (method, _)) = (method, char(' ')).parse(input)?;
        if rest.is_empty() || rest.starts_with(' ') {
            return fail(rest, ErrorKind::Verify);
        }
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
    all_consuming(parts).parse(line).ok().map(|(_, r)| r)
}

/// A parse result reduced to what callers use: the value and the rest, or where it failed.
fn outcome<T: PartialEq + std::fmt::Debug>(
    input: &str,
    r: Res<'_, T>,
) -> Result<(T, usize), usize> {
    let at = |s: &str| s.as_ptr() as usize - input.as_ptr() as usize;
    match r {
        Ok((rest, value)) => Ok((value, at(rest))),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(at(e.input)),
        Err(nom::Err::Incomplete(_)) => Err(usize::MAX),
    }
}

/// Text made of the characters these fields are made of, so that near misses are common.
fn field_text(alphabet: &'static str, max: usize) -> impl Strategy<Value = String> {
    let chars: Vec<char> = alphabet.chars().collect();
    prop::collection::vec(prop::sample::select(chars), 0..max).prop_map(|v| v.into_iter().collect())
}

/// A `%t` near the common form: a valid stamp, then a few characters replaced by others.
fn clf_time_text() -> impl Strategy<Value = String> {
    let months = prop::sample::select(vec![
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "jan",
        "Foo",
    ]);
    (
        1u32..=31,
        prop::bool::ANY,
        months,
        1960u32..2100,
        0u32..=25,
        0u32..=61,
        0u32..=61,
        prop::sample::select(vec!['+', '-', ' ']),
        0u32..=25,
        prop::sample::select(vec![0u32, 30, 45, 60]),
        prop::collection::vec(
            (
                0usize..32,
                prop::sample::select(vec!['0', '9', ' ', ']', '/', ':', 'x']),
            ),
            0..2,
        ),
        field_text(" \"GET/1", 4),
    )
        .prop_map(
            |(day, pad, month, year, h, m, s, sign, oh, om, edits, after)| {
                let day = if pad {
                    format!("{day:02}")
                } else {
                    day.to_string()
                };
                let mut text: Vec<char> = format!(
                    "[{day}/{month}/{year}:{h:02}:{m:02}:{s:02} {sign}{oh:02}{om:02}]{after}"
                )
                .chars()
                .collect();
                for (at, c) in edits {
                    if at < text.len() {
                        text[at] = c;
                    }
                }
                text.into_iter().collect()
            },
        )
}

proptest! {
    #[test]
    fn clf_time_reads_as_nom_does(text in clf_time_text()) {
        // Twice: the second read may come from the per-thread cache.
        let expected = outcome(&text, clf_time_any(&text));
        prop_assert_eq!(outcome(&text, clf_time(&text)), expected);
        prop_assert_eq!(outcome(&text, clf_time(&text)), expected);
    }

    #[test]
    fn numbers_and_byte_counts_read_as_nom_does(text in field_text("0123456789- x", 24)) {
        prop_assert_eq!(outcome(&text, number(&text)), outcome(&text, number_nom(&text)));
        prop_assert_eq!(outcome(&text, clf_bytes(&text)), outcome(&text, clf_bytes_nom(&text)));
    }

    #[test]
    fn request_lines_split_as_nom_does(text in field_text("GET /a?HTP.1 \\x", 24)) {
        prop_assert_eq!(request(&text), request_nom(&text));
    }

    #[test]
    fn request_lines_near_the_usual_split_as_nom_does(
        method in field_text("GETPOS-\\", 5),
        target in field_text("/ab?= ", 8),
        protocol in field_text("HTP/1.0 ", 10),
    ) {
        for text in [format!("{method} {target} {protocol}"), format!("{method} {target}")] {
            prop_assert_eq!(request(&text), request_nom(&text));
        }
    }
}

#[test]
fn clf_time_cache_keeps_each_text_its_own_value() {
    let a = "[10/Oct/2000:13:55:36 -0700] rest";
    let b = "[10/Oct/2000:13:55:37 -0700] rest";
    let bad = "[31/Feb/2000:13:55:37 -0700] rest";
    for _ in 0..2 {
        assert_eq!(clf_time(a), Ok((" rest", 971_211_336)));
        assert_eq!(clf_time(b), Ok((" rest", 971_211_337)));
        assert!(clf_time(bad).is_err());
    }
    // A one-digit day is Apache's too (rare): read by the general parser.
    assert_eq!(
        clf_time("[1/Oct/2000:13:55:36 -0700]"),
        Ok(("", 970_433_736))
    );
}

#[test]
fn request_examples() {
    let r = request("GET /a?b=1 HTTP/1.1").unwrap();
    assert_eq!(
        (r.method, r.target, r.protocol),
        ("GET", "/a?b=1", "HTTP/1.1")
    );
    let r = request("GET /a b HTTP/2").unwrap();
    assert_eq!((r.method, r.target, r.protocol), ("GET", "/a b", "HTTP/2"));
    assert_eq!(request("GET /x").map(|r| r.protocol), Some(""));
    for junk in [
        "-",
        "GET  /x HTTP/1.1",
        "GET /x HTTP/1.",
        "GET /x FOO",
        "\\x16\\x03 /",
        "GET ",
    ] {
        assert_eq!(request(junk), None, "{junk}");
    }
}
