//! The parser over the 10,000 real combined-format lines in `../shared/data/apache_logs`, checked
//! against the counts in that file's README (computed independently, by script).

use std::collections::BTreeMap;

use kinetop::parse::{unescape, LogFormat, ParseError, Preset};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/apache_logs");

fn data() -> Vec<u8> {
    std::fs::read(DATA).unwrap_or_else(|e| panic!("{DATA}: {e}"))
}

fn lines(data: &[u8]) -> Vec<&[u8]> {
    data.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn detects_combined_from_the_first_lines() {
    let data = data();
    let sample = lines(&data).into_iter().take(100);
    let format = LogFormat::detect(sample).expect("a preset parses the sample");
    assert_eq!(format.preset_kind(), Some(Preset::Combined));
}

#[test]
fn parses_9999_of_10000_lines_with_the_readme_counts() {
    let data = data();
    let lines = lines(&data);
    assert_eq!(lines.len(), 10_000);
    let format = LogFormat::preset(Preset::Combined);

    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut methods: BTreeMap<&str, usize> = BTreeMap::new();
    let mut protocols: BTreeMap<&str, usize> = BTreeMap::new();
    let mut dash_bytes = 0;
    let mut failures = Vec::new();
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for (index, line) in lines.iter().enumerate() {
        // Strict: every field of every good line must match, with nothing left over.
        match format.parse_line_strict(line) {
            Ok(parsed) => {
                *statuses.entry(parsed.status.unwrap()).or_default() += 1;
                let request = parsed.request.expect("every request line is well formed");
                *methods.entry(request.method).or_default() += 1;
                *protocols.entry(request.protocol).or_default() += 1;
                assert_eq!(parsed.ident, None);
                assert_eq!(parsed.user, None);
                let time = parsed.time.unwrap();
                first = first.min(time);
                last = last.max(time);
                if parsed.bytes == Some(0) {
                    dash_bytes += 1;
                }
                // The lenient parser agrees on good lines.
                assert_eq!(format.parse_line(line), Ok(parsed));
            }
            Err(err) => failures.push((index + 1, err)),
        }
    }
    // Line 8899 is truncated: its User-Agent has no closing quote.
    assert_eq!(failures.len(), 1, "{failures:?}");
    let (number, err) = &failures[0];
    assert_eq!(*number, 8899);
    assert!(
        matches!(
            err,
            ParseError::Field {
                field: "%{User-Agent}i",
                ..
            }
        ),
        "{err}"
    );
    assert!(format.parse_line(lines[8898]).is_err());

    // README counts are over all 10,000 lines; line 8899 is a GET HTTP/1.1 200 with 235 bytes.
    let expected: BTreeMap<u16, usize> = [
        (200, 9126 - 1),
        (304, 445),
        (404, 213),
        (301, 164),
        (206, 45),
        (500, 3),
        (403, 2),
        (416, 2),
    ]
    .into_iter()
    .collect();
    assert_eq!(statuses, expected);
    let expected: BTreeMap<&str, usize> =
        [("GET", 9952 - 1), ("HEAD", 42), ("POST", 5), ("OPTIONS", 1)]
            .into_iter()
            .collect();
    assert_eq!(methods, expected);
    let expected: BTreeMap<&str, usize> = [("HTTP/1.1", 9300 - 1), ("HTTP/1.0", 700)]
        .into_iter()
        .collect();
    assert_eq!(protocols, expected);
    // `%b` is `-` on 669 lines and never a literal 0.
    assert_eq!(dash_bytes, 669);
    // 17/May/2015:10:05:00 +0000 … 20/May/2015:21:05:59 +0000.
    assert_eq!(first, 1_431_857_100);
    assert_eq!(last, 1_432_155_959);
}

#[test]
fn escaped_cp1251_referers_decode_to_replacement_characters() {
    let data = data();
    let lines = lines(&data);
    let format = LogFormat::preset(Preset::Combined);
    // Lines 5851, 5853 and 5860 carry a referer Apache escaped byte by byte (Windows-1251 text).
    for number in [5851, 5853, 5860] {
        let parsed = format.parse_line_strict(lines[number - 1]).unwrap();
        let referer = parsed.referer.unwrap();
        assert!(referer.starts_with(r"http://\xe4\xe5\xe3"), "{referer}");
        let decoded = unescape(referer);
        assert!(decoded.starts_with("http://\u{fffd}"), "{decoded}");
        assert!(decoded.ends_with("/"));
        assert!(!decoded.contains('\\'));
    }
}
