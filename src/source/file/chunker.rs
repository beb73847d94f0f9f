//! Cutting a byte stream into batches of whole lines, with line numbers and bounded memory.

use std::io::{self, Read};

/// Turns reads from a file or pipe into batches of whole lines: the partial line at the end of a
/// read is carried over to the next; a line longer than `max_line` is cut to `max_line` bytes
/// (the rest up to its newline is dropped) so memory stays bounded whatever the input.
pub(super) struct LineChunker {
    chunk_size: usize,
    max_line: usize,
    /// The carried partial line, then the bytes of the latest read.
    buf: Vec<u8>,
    /// 1-based number of the first line in `buf`.
    next_line: u64,
    /// Inside a line that was cut: drop bytes up to its newline.
    discarding: bool,
}

/// Complete lines ready to send.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Lines {
    pub bytes: Vec<u8>,
    pub first_line: u64,
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
            discarding: false,
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
        if self.discarding && n > 0 {
            match memchr::memchr(b'\n', &self.buf[start..]) {
                Some(at) => {
                    self.buf.drain(start..=start + at);
                    self.discarding = false;
                }
                None => self.buf.truncate(start),
            }
        }
        read
    }

    /// The complete lines buffered so far, if any (or the cut head of an over-long line).
    pub fn take_lines(&mut self) -> Option<Lines> {
        let first_line = self.next_line;
        let Some(first_newline) = memchr::memchr(b'\n', &self.buf) else {
            if self.buf.len() <= self.max_line {
                return None;
            }
            let mut bytes =
                std::mem::replace(&mut self.buf, Vec::with_capacity(self.chunk_size * 2));
            bytes.truncate(self.max_line);
            bytes.push(b'\n');
            self.discarding = true;
            self.next_line += 1;
            return Some(Lines {
                bytes,
                first_line,
                count: 1,
            });
        };
        let last_newline = memchr::memrchr(b'\n', &self.buf).unwrap_or(first_newline);
        let mut carry = Vec::with_capacity(self.chunk_size * 2);
        carry.extend_from_slice(&self.buf[last_newline + 1..]);
        let mut bytes = std::mem::replace(&mut self.buf, carry);
        bytes.truncate(last_newline + 1);
        if first_newline > self.max_line {
            // The carried line ended in this read but is too long: keep its head only.
            bytes.drain(self.max_line..first_newline);
        }
        let count = memchr::memchr_iter(b'\n', &bytes).count() as u64;
        self.next_line += count;
        Some(Lines {
            bytes,
            first_line,
            count,
        })
    }

    /// At the end of a file: the last line if it has no newline.
    pub fn take_rest(&mut self) -> Option<Lines> {
        self.discarding = false;
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
        self.discarding = false;
        self.next_line = 1;
    }

    /// Lines delivered so far from the current file.
    pub fn lines_done(&self) -> u64 {
        self.next_line - 1
    }
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
            out.extend(chunker.take_lines());
        }
        out.extend(chunker.take_rest());
        out
    }

    #[test]
    fn batches_hold_whole_lines_with_their_numbers() {
        let input = b"alpha\nbeta\r\ngamma delta\n\nepsilon";
        for chunk in 1..input.len() + 2 {
            let batches = chunk_all(input, chunk, 1 << 20);
            let joined: Vec<u8> = batches.iter().flat_map(|b| b.bytes.clone()).collect();
            assert_eq!(joined, input, "chunk {chunk}");
            let mut expected_line = 1;
            for batch in &batches {
                assert_eq!(batch.first_line, expected_line, "chunk {chunk}");
                let text = std::str::from_utf8(&batch.bytes).unwrap();
                assert!(text.ends_with('\n') || text == "epsilon");
                expected_line += batch.count;
            }
            assert_eq!(expected_line, 6);
        }
    }

    #[test]
    fn over_long_lines_are_cut_and_counted_once() {
        let mut input = b"short\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 100));
        input.extend_from_slice(b"\nafter\n");
        input.extend(std::iter::repeat_n(b'y', 50)); // last line, no newline, too long
        for chunk in [3, 7, 16, 64] {
            let batches = chunk_all(&input, chunk, 16);
            let joined: Vec<u8> = batches.iter().flat_map(|b| b.bytes.clone()).collect();
            let text = String::from_utf8(joined).unwrap();
            assert_eq!(
                text,
                format!("short\n{}\nafter\n{}\n", "x".repeat(16), "y".repeat(16))
            );
            let lines: u64 = batches.iter().map(|b| b.count).sum();
            assert_eq!(lines, 4);
            assert!(
                batches.iter().all(|b| b.bytes.len() <= 16 + chunk + 1),
                "bounded"
            );
        }
    }
}
