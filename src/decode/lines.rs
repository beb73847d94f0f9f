//! Splitting text into log lines. `\n`, `\r\n` and a lone `\r` each end a line: a log written
//! with classic Mac line ends (or a writer that ends records with `\r` alone) must not turn into
//! one giant line whose records after the first vanish.

use memchr::memchr2;

/// The lines of `text`, without their endings. A line ends at `\n`, at `\r\n` (one ending, not
/// two) or at a lone `\r`. Empty lines are yielded too: the caller skips them, and line numbers
/// count them as an editor does. An ending at the very end of `text` does not start another line,
/// and empty `text` has no lines.
pub fn split_lines(text: &[u8]) -> SplitLines<'_> {
    SplitLines { rest: text }
}

/// Iterator of [`split_lines`].
#[derive(Debug, Clone)]
pub struct SplitLines<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for SplitLines<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let Some(at) = memchr2(b'\n', b'\r', self.rest) else {
            return Some(std::mem::take(&mut self.rest));
        };
        let line = &self.rest[..at];
        let crlf = self.rest[at] == b'\r' && self.rest.get(at + 1) == Some(&b'\n');
        self.rest = &self.rest[at + if crlf { 2 } else { 1 }..];
        Some(line)
    }
}

impl std::iter::FusedIterator for SplitLines<'_> {}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn lines(text: &[u8]) -> Vec<&[u8]> {
        split_lines(text).collect()
    }

    #[test]
    fn lf_crlf_and_a_lone_cr_each_end_a_line() {
        assert_eq!(lines(b"a\nb\r\nc\rd"), [&b"a"[..], b"b", b"c", b"d"]);
        assert_eq!(lines(b"a\rb\r"), [&b"a"[..], b"b"]);
        assert_eq!(lines(b"a\r\n"), [&b"a"[..]]);
    }

    #[test]
    fn empty_lines_are_kept_for_numbering() {
        assert_eq!(lines(b"a\n\nb"), [&b"a"[..], b"", b"b"]);
        // `\r\r` is two lone CRs, `\n\r` an LF and then a lone CR: two endings each.
        assert_eq!(lines(b"a\r\rb"), [&b"a"[..], b"", b"b"]);
        assert_eq!(lines(b"a\n\rb"), [&b"a"[..], b"", b"b"]);
        assert_eq!(lines(b"\n"), [&b""[..]]);
        assert!(lines(b"").is_empty());
    }

    #[test]
    fn a_thousand_records_separated_by_lone_crs_are_a_thousand_lines() {
        let text = "GET /x 200\r".repeat(1000);
        let got = lines(text.as_bytes());
        assert_eq!(got.len(), 1000);
        assert!(got.iter().all(|l| *l == b"GET /x 200"));
    }

    fn ending() -> impl Strategy<Value = &'static [u8]> {
        prop_oneof![Just(&b"\n"[..]), Just(&b"\r\n"[..]), Just(&b"\r"[..])]
    }

    proptest! {
        /// Lines joined with any mix of endings split back into exactly those lines.
        #[test]
        fn lines_joined_with_any_endings_split_back(
            parts in proptest::collection::vec(("[^\r\n]{0,12}", ending()), 1..20),
            final_ending in any::<bool>(),
        ) {
            // A lone CR ending followed by an empty line ended by LF is written `\r\n`: one
            // CRLF ending, which is what the bytes say.
            prop_assume!(!parts.windows(2).any(|w| {
                w[0].1 == b"\r" && w[1].0.is_empty() && w[1].1 == b"\n"
            }));
            let mut text = Vec::new();
            for (i, (line, end)) in parts.iter().enumerate() {
                text.extend_from_slice(line.as_bytes());
                if i + 1 < parts.len() || final_ending {
                    text.extend_from_slice(end);
                }
            }
            let mut expected: Vec<&[u8]> = parts.iter().map(|(l, _)| l.as_bytes()).collect();
            // An empty last line without an ending is no line at all.
            if !final_ending && expected.last().is_some_and(|l| l.is_empty()) {
                expected.pop();
            }
            prop_assert_eq!(lines(&text), expected);
        }

        /// Whatever the bytes: no line holds a line-ending byte, and the lines and their endings
        /// account for every byte.
        #[test]
        fn arbitrary_bytes_split_without_loss(text in proptest::collection::vec(
            prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'a'), any::<u8>()], 0..200,
        )) {
            let got = lines(&text);
            prop_assert!(got.iter().all(|l| !l.contains(&b'\n') && !l.contains(&b'\r')));
            let content: usize = got.iter().map(|l| l.len()).sum();
            let endings = text.iter().filter(|&&b| b == b'\n' || b == b'\r').count();
            let crlf = text.windows(2).filter(|w| w == b"\r\n").count();
            prop_assert_eq!(content + endings, text.len());
            let unterminated = usize::from(!matches!(text.last(), None | Some(b'\n' | b'\r')));
            prop_assert_eq!(got.len(), endings - crlf + unterminated);
        }
    }
}
