//! Headless output: JSON Lines on standard output. What each line holds is the contract in
//! [`super::lines`]; this writes them. Every string is JSON-escaped including C1 controls and
//! bidi/format characters (`\u009b`, `\u202e`), which plain serde_json writes raw: hostile paths
//! never reach a terminal raw, and decoders still get the exact string.

use std::io::{self, BufWriter, Write};

use serde::Serialize;

use super::lines::WindowLine;
use super::sanitize::is_unsafe;
use crate::core::WindowSummary;

/// Buffered JSON Lines writer. Every method returns the underlying I/O error (for standard output
/// a closed pipe is [`io::ErrorKind::BrokenPipe`]; see [`is_broken_pipe`]): the caller decides,
/// nothing here panics or exits.
#[derive(Debug)]
pub struct JsonLinesWriter<W: Write> {
    out: BufWriter<W>,
}

impl<W: Write> JsonLinesWriter<W> {
    pub fn new(out: W) -> Self {
        JsonLinesWriter {
            out: BufWriter::with_capacity(64 * 1024, out),
        }
    }

    /// Writes one `window` line per application with requests, in the summary's (name) order.
    pub fn write_window(&mut self, window: &WindowSummary) -> io::Result<()> {
        for app in window.apps.iter().filter(|a| a.requests > 0) {
            self.write(&WindowLine::new(window, app))?;
        }
        Ok(())
    }

    /// Writes one line (see [`super::lines`]).
    pub fn write<T: Serialize + ?Sized>(&mut self, line: &T) -> io::Result<()> {
        let mut json = serde_json::Serializer::with_formatter(&mut self.out, TerminalSafe);
        line.serialize(&mut json).map_err(io::Error::from)?;
        self.out.write_all(b"\n")
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> io::Result<W> {
        self.out.into_inner().map_err(|e| e.into_error())
    }
}

/// Compact JSON that also escapes what serde_json leaves raw but a terminal would act on (C1
/// controls, bidi and format characters): every JSON kinetop writes, lines and records alike.
pub struct TerminalSafe;

/// `value` as one compact, terminal-safe JSON text (see [`TerminalSafe`]).
pub fn to_safe_json<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut json = serde_json::Serializer::with_formatter(&mut out, TerminalSafe);
    value.serialize(&mut json)?;
    Ok(out)
}

impl serde_json::ser::Formatter for TerminalSafe {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        out: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some((i, c)) = rest.char_indices().find(|&(_, c)| is_unsafe(c)) {
            out.write_all(&rest.as_bytes()[..i])?;
            // All such characters are in the BMP: one \uXXXX escape each.
            write!(out, "\\u{:04x}", u32::from(c))?;
            rest = &rest[i + c.len_utf8()..];
        }
        out.write_all(rest.as_bytes())
    }
}

/// Whether `err` means the reader went away (`kinetop --headless | head`): end quietly.
pub fn is_broken_pipe(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::BrokenPipe
}
