//! Cutting a byte stream into batches of whole lines, with line numbers and bounded memory.
//!
//! A line ends at LF, CRLF or a lone CR (old Mac files, some appliances). A line longer than
//! the maximum is handed on in pieces of at most the maximum, each counted downstream as a
//! (malformed) line: endless input without any line end (`/dev/zero`) then shows progress and
//! memory stays flat, and no byte is dropped silently.

use std::io::{self, Read};

/// Turns reads from a file or pipe into batches of whole lines: the partial line at the end of a
/// read is carried over to the next. Call [`LineChunker::take_lines`] until it returns `None`
/// after each [`LineChunker::fill`].
pub(super) struct LineChunker {
    chunk_size: usize,
    max_line: usize,
    /// The carried partial line, then the bytes of the latest read. At most `max_line` bytes
    /// once `take_lines` returned `None`.
    buf: Vec<u8>,
    /// 1-based number of the first line in `buf`.
    next_line: u64,
    /// The last batch ended with a CR that may be the first half of a CRLF split between two
    /// reads: an LF that comes next belongs to it and is dropped (it is not an empty line).
    after_cr: bool,
}

/// Complete lines ready to send.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Lines {
    pub bytes: Vec<u8>,
    /// 1-based number of the first line in `bytes`. The pieces of an over-long line all carry
    /// that line's number.
    pub first_line: u64,
    /// Line ends in `bytes` (a piece of an over-long line counts as one).
    pub count: u64,
}

impl LineChunker {
    pub fn new(chunk_size: usize, max_line: usize) -> Self {
        let max_line = max_line.max(1);
        // A read never adds more than one over-long line beyond the carried one.
        let chunk_size = chunk_size.clamp(1, max_line);
        LineChunker {
            chunk_size,
            max_line,
            buf: Vec::with_capacity(chunk_size * 2),
            next_line: 1,
            after_cr: false,
        }
    }

    /// Reads once from `reader` (retrying on `Interrupted`); returns the bytes read, 0 at end of
    /// input (for now).
    pub fn fill(&mut self, reader: &mut impl Read) -> io::Result<usize> {
        let start = self.buf.len();
        self.buf.resize(start + self.chunk_size, 0);
        let read = loop {
            match reader.read(&mut self.buf[start..]) {
                Ok(n) => break Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(e),
            }
        };
        let n = *read.as_ref().unwrap_or(&0);
        self.buf.truncate(start + n);
        if self.after_cr && n > 0 {
            self.after_cr = false;
            if self.buf[start] == b'\n' {
                self.buf.remove(start);
            }
        }
        read
    }

    /// The next batch of complete lines, or the next piece of an over-long line; `None` when
    /// what is left is a partial line within the maximum.
    pub fn take_lines(&mut self) -> Option<Lines> {
        let first_line = self.next_line;
        let first_end = memchr::memchr2(b'\n', b'\r', &self.buf);
        if first_end.map_or(self.buf.len(), |at| at) > self.max_line {
            return Some(self.take_piece());
        }
        let last_end = memchr::memrchr2(b'\n', b'\r', &self.buf)?;
        let mut carry = Vec::with_capacity(self.chunk_size * 2);
        carry.extend_from_slice(&self.buf[last_end + 1..]);
        let mut bytes = std::mem::replace(&mut self.buf, carry);
        bytes.truncate(last_end + 1);
        // A CR at the very end may be half of a CRLF whose LF is still to come; a CR with
        // anything after it in the buffer is a line end on its own.
        self.after_cr = bytes.last() == Some(&b'\r') && self.buf.is_empty();
        let count = count_line_ends(&bytes);
        self.next_line += count;
        Some(Lines {
            bytes,
            first_line,
            count,
        })
    }

    /// The first `max_line` bytes of the buffer, as a line of its own. The line goes on (its
    /// next piece, or its end, keeps its number).
    fn take_piece(&mut self) -> Lines {
        let rest = self.buf.split_off(self.max_line);
        let mut bytes = std::mem::replace(&mut self.buf, rest);
        bytes.push(b'\n');
        Lines {
            bytes,
            first_line: self.next_line,
            count: 1,
        }
    }

    /// At the end of a file: the last line if it has no line end.
    pub fn take_rest(&mut self) -> Option<Lines> {
        self.after_cr = false;
        if self.buf.is_empty() {
            return None;
        }
        let bytes = std::mem::replace(&mut self.buf, Vec::with_capacity(self.chunk_size * 2));
        let first_line = self.next_line;
        self.next_line += 1;
        Some(Lines {
            bytes,
            first_line,
            count: 1,
        })
    }

    /// A new file starts (after rotation or truncation): line numbers start again at 1.
    pub fn restart(&mut self) {
        self.buf.clear();
        self.after_cr = false;
        self.next_line = 1;
    }

    /// Lines delivered so far from the current file.
    pub fn lines_done(&self) -> u64 {
        self.next_line - 1
    }
}

/// Line ends in `bytes`: each LF, each CR not followed by an LF (CRLF is one line end).
fn count_line_ends(bytes: &[u8]) -> u64 {
    memchr::memchr2_iter(b'\n', b'\r', bytes)
        .filter(|&at| bytes[at] == b'\n' || bytes.get(at + 1) != Some(&b'\n'))
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads everything with tiny chunks; returns the batches.
    fn chunk_all(input: &[u8], chunk: usize, max_line: usize) -> Vec<Lines> {
        let mut chunker = LineChunker::new(chunk, max_line);
        let mut reader = input;
        let mut out = Vec::new();
        while chunker.fill(&mut reader).unwrap() > 0 {
            while let Some(lines) = chunker.take_lines() {
                out.push(lines);
            }
        }
        out.extend(chunker.take_rest());
        out
    }

    /// Every line as the parse stage sees it, with its number: split at LF, CRLF or lone CR,
    /// numbered from each batch's first line.
    fn numbered(batches: &[Lines]) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        for batch in batches {
            let text = String::from_utf8_lossy(&batch.bytes).replace("\r\n", "\n");
            let body = text.strip_suffix(['\n', '\r']).unwrap_or(&text);
            for (i, line) in body.split(['\n', '\r']).enumerate() {
                out.push((batch.first_line + i as u64, line.to_string()));
            }
        }
        out
    }

    /// The text with every line end (LF, CRLF, lone CR) written as LF.
    fn line_ends_as_lf_of(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes)
            .replace("\r\n", "\n")
            .replace('\r', "\n")
    }

    fn line_ends_as_lf(batches: &[Lines]) -> String {
        let joined: Vec<u8> = batches.iter().flat_map(|b| b.bytes.clone()).collect();
        line_ends_as_lf_of(&joined)
    }

    #[test]
    fn batches_hold_whole_lines_with_their_numbers() {
        let input = b"alpha\nbeta\r\ngamma delta\n\nepsilon";
        for chunk in 1..input.len() + 2 {
            let batches = chunk_all(input, chunk, 1 << 20);
            assert_eq!(
                line_ends_as_lf(&batches),
                line_ends_as_lf_of(input),
                "chunk {chunk}"
            );
            let mut expected_line = 1;
            for batch in &batches {
                assert_eq!(batch.first_line, expected_line, "chunk {chunk}");
                let text = std::str::from_utf8(&batch.bytes).unwrap();
                assert!(
                    text.ends_with('\n') || text.ends_with('\r') || text == "epsilon",
                    "chunk {chunk}: {text:?}"
                );
                expected_line += batch.count;
            }
            assert_eq!(expected_line, 6);
        }
    }

    #[test]
    fn a_lone_cr_ends_a_line_and_a_split_crlf_is_one_line_end() {
        let input = b"one\rtwo\r\nthree\n\rfive\r\r\nseven";
        let expected: Vec<(u64, String)> = ["one", "two", "three", "", "five", "", "seven"]
            .iter()
            .enumerate()
            .map(|(i, l)| (i as u64 + 1, l.to_string()))
            .collect();
        // Every chunk size, so that every CRLF is split between two reads at least once.
        for chunk in 1..input.len() + 2 {
            let batches = chunk_all(input, chunk, 1 << 20);
            assert_eq!(numbered(&batches), expected, "chunk {chunk}");
            let lines: u64 = batches.iter().map(|b| b.count).sum();
            assert_eq!(lines, 7, "chunk {chunk}");
            // Nothing lost or added (the LF of a CRLF split between batches is left out).
            assert_eq!(
                line_ends_as_lf(&batches),
                line_ends_as_lf_of(input),
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn a_crlf_split_between_two_reads_of_a_growing_file_is_one_line_end() {
        let mut chunker = LineChunker::new(64, 1024);
        chunker.fill(&mut &b"first\r"[..]).unwrap();
        let batch = chunker.take_lines().unwrap();
        assert_eq!((batch.bytes.as_slice(), batch.count), (&b"first\r"[..], 1));
        // Nothing new for a while: the flag survives empty reads.
        assert_eq!(chunker.fill(&mut &b""[..]).unwrap(), 0);
        chunker.fill(&mut &b"\nsecond\n"[..]).unwrap();
        let batch = chunker.take_lines().unwrap();
        assert_eq!(batch.bytes, b"second\n");
        assert_eq!((batch.first_line, batch.count), (2, 1));
        assert_eq!(chunker.lines_done(), 2);
    }

    #[test]
    fn over_long_lines_are_handed_on_in_pieces_of_the_maximum() {
        let mut input = b"short\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 100));
        input.extend_from_slice(b"\nafter\n");
        input.extend(std::iter::repeat_n(b'y', 50)); // last line, no newline, too long
        for chunk in [3, 7, 16, 64] {
            let batches = chunk_all(&input, chunk, 16);
            let lines = numbered(&batches);
            let x = |n| "x".repeat(n);
            let y = |n| "y".repeat(n);
            let expected: Vec<(u64, String)> = vec![
                (1, "short".into()),
                (2, x(16)),
                (2, x(16)),
                (2, x(16)),
                (2, x(16)),
                (2, x(16)),
                (2, x(16)),
                (2, x(4)),
                (3, "after".into()),
                (4, y(16)),
                (4, y(16)),
                (4, y(16)),
                (4, y(2)),
            ];
            assert_eq!(lines, expected, "chunk {chunk}");
            // Every byte is handed on: only the line ends added after pieces differ.
            let joined: Vec<u8> = batches.iter().flat_map(|b| b.bytes.clone()).collect();
            let kept: Vec<u8> = joined.iter().copied().filter(|&b| b != b'\n').collect();
            let given: Vec<u8> = input.iter().copied().filter(|&b| b != b'\n').collect();
            assert_eq!(kept, given, "chunk {chunk}");
            assert!(
                batches.iter().all(|b| b.bytes.len() <= 16 + chunk + 1),
                "bounded"
            );
        }
    }

    #[test]
    fn endless_input_without_a_line_end_comes_in_pieces_and_memory_stays_flat() {
        // Like /dev/zero: every read returns more, none has a line end.
        struct Zeros;
        impl Read for Zeros {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                buf.fill(0);
                Ok(buf.len())
            }
        }
        let mut chunker = LineChunker::new(4096, 10_000);
        let mut pieces = 0u64;
        for _ in 0..1000 {
            chunker.fill(&mut Zeros).unwrap();
            while let Some(piece) = chunker.take_lines() {
                assert_eq!(piece.bytes.len(), 10_001);
                assert_eq!((piece.first_line, piece.count), (1, 1));
                pieces += 1;
            }
            assert!(chunker.buf.len() <= 10_000);
            assert!(chunker.buf.capacity() <= 3 * 10_000, "memory stays flat");
        }
        // 1000 reads of 4096 bytes: 409 pieces of 10,000 bytes.
        assert_eq!(pieces, 4_096_000 / 10_000);
    }

    #[test]
    fn line_ends_are_counted_once_per_crlf() {
        assert_eq!(count_line_ends(b""), 0);
        assert_eq!(count_line_ends(b"a\r\nb\nc\rd"), 3);
        assert_eq!(count_line_ends(b"a\r"), 1);
        assert_eq!(count_line_ends(b"\r\r\n"), 2);
    }
}
