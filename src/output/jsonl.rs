//! Headless output: JSON Lines on standard output (a contract; see README "Output").
//!
//! One `window` object per final (window, application) with at least one request, in window
//! order and then by application name, and one `summary` object last. The contract's fields come
//! first, in the contract's order; extra fields follow them. Every string is JSON-escaped including
//! C1 controls and bidi/format characters (`\u009b`, `\u202e`), which plain serde_json writes raw:
//! hostile paths never reach a terminal raw, and decoders still get the exact string.

use std::io::{self, BufWriter, Write};

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::core::{
    AppWindow, CallerSummary, Counted, LatencySummary, StatusClasses, WindowSummary,
};
use crate::pipeline::snapshot::Counters;

/// Entries of `top_paths` and `top_callers` in a window line (lines stay short).
pub const TOP_IN_LINE: usize = 5;

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
            self.write_line(&WindowLine::new(window, app))?;
        }
        Ok(())
    }

    /// Writes the `summary` line: the counters, then `extra` fields (e.g. source statistics).
    /// Extra keys that would repeat a counter or `type` are left out.
    pub fn write_summary(
        &mut self,
        counters: &Counters,
        extra: Map<String, Value>,
    ) -> io::Result<()> {
        self.write_line(&SummaryLine { counters, extra })
    }

    /// Writes any other value as one line (e.g. alarm events). An object's `type` comes first,
    /// like in every other line, the other keys follow in name order.
    pub fn write_value(&mut self, value: &Value) -> io::Result<()> {
        self.write_line(&TypeFirst(value))
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> io::Result<W> {
        self.out.into_inner().map_err(|e| e.into_error())
    }

    fn write_line<T: Serialize + ?Sized>(&mut self, line: &T) -> io::Result<()> {
        let mut json = serde_json::Serializer::with_formatter(&mut self.out, TerminalSafe);
        line.serialize(&mut json).map_err(io::Error::from)?;
        self.out.write_all(b"\n")
    }
}

/// Compact JSON that also escapes what serde_json leaves raw but a terminal would act on.
struct TerminalSafe;

impl serde_json::ser::Formatter for TerminalSafe {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        out: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some((i, c)) = rest.char_indices().find(|&(_, c)| acts_on_terminal(c)) {
            out.write_all(&rest.as_bytes()[..i])?;
            // All such characters are in the BMP: one \uXXXX escape each.
            write!(out, "\\u{:04x}", u32::from(c))?;
            rest = &rest[i + c.len_utf8()..];
        }
        out.write_all(rest.as_bytes())
    }
}

/// Controls (C0, DEL, C1) and the invisible format/bidi characters that reorder or hide text.
fn acts_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// Whether `err` means the reader went away (`kinetop --headless | head`): end quietly.
pub fn is_broken_pipe(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::BrokenPipe
}

/// RFC 3339 UTC with `Z`, e.g. `2017-01-20T10:05:00Z`. Times outside years 0..=9999 (which no
/// parsed log line produces) are written as `@<epoch seconds>`.
pub fn rfc3339(epoch_secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(epoch_secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("@{epoch_secs}"))
}

/// Rounds a ratio to 4 decimals so lines stay short.
fn rate(r: f64) -> f64 {
    (r * 10_000.0).round() / 10_000.0
}

struct WindowLine<'a> {
    window: &'a WindowSummary,
    app: &'a AppWindow,
}

impl<'a> WindowLine<'a> {
    fn new(window: &'a WindowSummary, app: &'a AppWindow) -> Self {
        WindowLine { window, app }
    }
}

impl Serialize for WindowLine<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (w, a) = (self.window, self.app);
        let mut m = s.serialize_map(None)?;
        // The contract, in its order.
        m.serialize_entry("type", "window")?;
        m.serialize_entry("start", &rfc3339(w.start))?;
        m.serialize_entry("end", &rfc3339(w.end))?;
        m.serialize_entry("application", a.application.as_ref())?;
        m.serialize_entry("requests", &a.requests)?;
        m.serialize_entry("bytes", &a.bytes)?;
        m.serialize_entry("status", &a.status)?;
        m.serialize_entry("hosts", &a.hosts)?;
        m.serialize_entry("latency_us", &a.latency.as_ref().map(LatencyLine))?;
        // Extras.
        m.serialize_entry("width_s", &(w.end - w.start))?;
        m.serialize_entry("hosts_exact", &a.hosts_exact)?;
        m.serialize_entry("error_rate_4xx", &rate(a.error_rate_4xx()))?;
        m.serialize_entry("error_rate_5xx", &rate(a.error_rate_5xx()))?;
        m.serialize_entry("status_codes", &StatusCodesLine(&a.status_codes))?;
        m.serialize_entry(
            "latency_mean_us",
            &a.latency.as_ref().map(|l| l.mean.round()),
        )?;
        let paths: Vec<PathLine> = a.top_paths.iter().take(TOP_IN_LINE).map(PathLine).collect();
        m.serialize_entry("top_paths", &paths)?;
        let callers: Vec<CallerLine> = a
            .top_callers
            .iter()
            .take(TOP_IN_LINE)
            .map(CallerLine)
            .collect();
        m.serialize_entry("top_callers", &callers)?;
        m.end()
    }
}

/// `{"count","p50","p90","p99","max"}`: exactly the contract.
struct LatencyLine<'a>(&'a LatencySummary);

impl Serialize for LatencyLine<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let l = self.0;
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("count", &l.count)?;
        m.serialize_entry("p50", &l.p50)?;
        m.serialize_entry("p90", &l.p90)?;
        m.serialize_entry("p99", &l.p99)?;
        m.serialize_entry("max", &l.max)?;
        m.end()
    }
}

/// `{"200":1100,"404":40}`, ascending by code.
struct StatusCodesLine<'a>(&'a [(u16, u64)]);

impl Serialize for StatusCodesLine<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(code, n)| (code.to_string(), n)))
    }
}

/// `{"path","requests"}`, plus `error` (space-saving overestimate bound) when not exact.
struct PathLine<'a>(&'a Counted);

impl Serialize for PathLine<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("path", c.key.as_ref())?;
        m.serialize_entry("requests", &c.count)?;
        if c.error > 0 {
            m.serialize_entry("error", &c.error)?;
        }
        m.end()
    }
}

/// `{"host","requests","bytes","status"}`, plus `error` when the count is not exact.
struct CallerLine<'a>(&'a CallerSummary);

impl Serialize for CallerLine<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("host", c.host.as_ref())?;
        m.serialize_entry("requests", &c.requests)?;
        if c.error > 0 {
            m.serialize_entry("error", &c.error)?;
        }
        m.serialize_entry("bytes", &c.bytes)?;
        m.serialize_entry::<_, StatusClasses>("status", &c.status)?;
        m.end()
    }
}

struct TypeFirst<'a>(&'a Value);

impl Serialize for TypeFirst<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Value::Object(fields) = self.0 else {
            return self.0.serialize(s);
        };
        let mut m = s.serialize_map(Some(fields.len()))?;
        if let Some(kind) = fields.get("type") {
            m.serialize_entry("type", kind)?;
        }
        for (key, value) in fields.iter().filter(|(k, _)| *k != "type") {
            m.serialize_entry(key, value)?;
        }
        m.end()
    }
}

struct SummaryLine<'a> {
    counters: &'a Counters,
    extra: Map<String, Value>,
}

impl Serialize for SummaryLine<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.counters;
        let fixed = [
            ("lines", c.lines),
            ("parsed", c.parsed),
            ("malformed", c.malformed),
            ("late", c.late),
            ("bad_records", c.bad_records),
        ];
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", "summary")?;
        for (key, n) in fixed {
            m.serialize_entry(key, &n)?;
        }
        for (key, value) in &self.extra {
            if key != "type" && !fixed.iter().any(|(k, _)| k == key) {
                m.serialize_entry(key, value)?;
            }
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;

    fn window() -> WindowSummary {
        let caller = CallerSummary {
            host: Arc::from("10.0.0.7"),
            requests: 900,
            error: 0,
            bytes: 4_000_000,
            status: StatusClasses {
                c2xx: 880,
                c5xx: 20,
                ..Default::default()
            },
            status_codes: vec![(200, 880), (503, 20)],
            latency: None,
            top_paths: vec![],
        };
        let checkout = AppWindow {
            application: Arc::from("checkout"),
            requests: 1234,
            bytes: 5_678_901,
            status: StatusClasses {
                c1xx: 0,
                c2xx: 1100,
                c3xx: 80,
                c4xx: 40,
                c5xx: 14,
                other: 0,
            },
            status_codes: vec![(200, 1100), (304, 80), (404, 40), (500, 14)],
            hosts: 17,
            hosts_exact: true,
            latency: Some(LatencySummary {
                count: 1234,
                min: 300,
                p50: 8123,
                p90: 30011,
                p99: 120_335,
                max: 480_000,
                mean: 12_345.6,
                buckets: vec![(1_000_000, 1234)],
            }),
            top_paths: vec![
                Counted {
                    key: Arc::from("/cart"),
                    count: 700,
                    error: 0,
                },
                Counted {
                    key: Arc::from("/pay\u{1b}[2J"),
                    count: 30,
                    error: 3,
                },
            ],
            top_callers: vec![caller],
        };
        let idle = AppWindow {
            application: Arc::from("idle"),
            requests: 0,
            bytes: 0,
            status: StatusClasses::default(),
            status_codes: vec![],
            hosts: 0,
            hosts_exact: true,
            latency: None,
            top_paths: vec![],
            top_callers: vec![],
        };
        let unknown = AppWindow {
            application: Arc::from("unknown"),
            requests: 2,
            bytes: 10,
            status: StatusClasses {
                c4xx: 1,
                other: 1,
                ..Default::default()
            },
            status_codes: vec![(404, 1), (999, 1)],
            hosts: 2,
            latency: None,
            ..idle.clone()
        };
        WindowSummary {
            start: 1_484_906_700,
            end: 1_484_907_000,
            is_final: true,
            apps: vec![checkout, idle, unknown],
        }
    }

    fn output(write: impl FnOnce(&mut JsonLinesWriter<Vec<u8>>) -> io::Result<()>) -> String {
        let mut w = JsonLinesWriter::new(Vec::new());
        write(&mut w).unwrap();
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn window_lines_are_exact() {
        let out = output(|w| w.write_window(&window()));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "the app without requests is left out");
        assert_eq!(
            lines[0],
            concat!(
                r#"{"type":"window","start":"2017-01-20T10:05:00Z","end":"2017-01-20T10:10:00Z","#,
                r#""application":"checkout","requests":1234,"bytes":5678901,"#,
                r#""status":{"1xx":0,"2xx":1100,"3xx":80,"4xx":40,"5xx":14},"hosts":17,"#,
                r#""latency_us":{"count":1234,"p50":8123,"p90":30011,"p99":120335,"max":480000},"#,
                r#""width_s":300,"hosts_exact":true,"error_rate_4xx":0.0324,"error_rate_5xx":0.0113,"#,
                r#""status_codes":{"200":1100,"304":80,"404":40,"500":14},"latency_mean_us":12346.0,"#,
                r#""top_paths":[{"path":"/cart","requests":700},"#,
                r#"{"path":"/pay\u001b[2J","requests":30,"error":3}],"#,
                r#""top_callers":[{"host":"10.0.0.7","requests":900,"bytes":4000000,"#,
                r#""status":{"1xx":0,"2xx":880,"3xx":0,"4xx":0,"5xx":20}}]}"#,
            )
        );
        assert_eq!(
            lines[1],
            concat!(
                r#"{"type":"window","start":"2017-01-20T10:05:00Z","end":"2017-01-20T10:10:00Z","#,
                r#""application":"unknown","requests":2,"bytes":10,"#,
                r#""status":{"1xx":0,"2xx":0,"3xx":0,"4xx":1,"5xx":0,"other":1},"hosts":2,"#,
                r#""latency_us":null,"width_s":300,"hosts_exact":true,"error_rate_4xx":0.5,"#,
                r#""error_rate_5xx":0.0,"status_codes":{"404":1,"999":1},"latency_mean_us":null,"#,
                r#""top_paths":[],"top_callers":[]}"#,
            )
        );
    }

    #[test]
    fn top_lists_are_cut_to_five() {
        let mut w = window();
        let path = w.apps[0].top_paths[0].clone();
        w.apps[0].top_paths = vec![path; 9];
        let caller = w.apps[0].top_callers[0].clone();
        w.apps[0].top_callers = vec![caller; 9];
        let out = output(|o| o.write_window(&w));
        let v: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
        assert_eq!(v["top_paths"].as_array().unwrap().len(), TOP_IN_LINE);
        assert_eq!(v["top_callers"].as_array().unwrap().len(), TOP_IN_LINE);
    }

    #[test]
    /// Extras keep the order the caller gave them (serde_json `preserve_order`).
    fn summary_line_is_exact_with_extras_last() {
        let counters = Counters {
            lines: 10_000,
            parsed: 9_999,
            malformed: 1,
            late: 3,
            bad_records: 0,
        };
        let mut extra = Map::new();
        extra.insert("source".into(), json!("apache_logs"));
        extra.insert("lines".into(), json!(-1)); // may not shadow a counter
        extra.insert("elapsed_ms".into(), json!(42));
        let out = output(|w| w.write_summary(&counters, extra));
        assert_eq!(
            out,
            concat!(
                r#"{"type":"summary","lines":10000,"parsed":9999,"malformed":1,"late":3,"#,
                r#""bad_records":0,"source":"apache_logs","elapsed_ms":42}"#,
                "\n"
            )
        );
    }

    #[test]
    fn other_values_are_one_line_each() {
        let out = output(|w| {
            w.write_value(&json!({"type": "alarm", "text": "a\nb"}))?;
            w.write_value(&json!({"type": "alarm"}))
        });
        assert_eq!(
            out,
            "{\"type\":\"alarm\",\"text\":\"a\\nb\"}\n{\"type\":\"alarm\"}\n"
        );
    }

    #[test]
    fn terminal_controls_are_escaped_and_round_trip() {
        let evil = "/p\u{9b}31m\u{202e}x\u{7f}\u{1b}]0;t\u{7}é";
        let out = output(|w| w.write_value(&json!({ "type": "t", "path": evil })));
        assert_eq!(
            out,
            "{\"type\":\"t\",\"path\":\"/p\\u009b31m\\u202ex\\u007f\\u001b]0;t\\u0007é\"}\n"
        );
        let back: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back["path"], evil);
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(-300), "1969-12-31T23:55:00Z");
        assert_eq!(rfc3339(i64::MAX), format!("@{}", i64::MAX));
    }

    /// A writer whose reader has gone away, like stdout piped into `head`.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }

        fn flush(&mut self) -> io::Result<()> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn a_closed_pipe_is_an_error_not_a_panic() {
        let mut w = JsonLinesWriter::new(ClosedPipe);
        // Buffered: the window fits the buffer, the flush reports the closed pipe.
        w.write_window(&window()).unwrap();
        let err = w.flush().unwrap_err();
        assert!(is_broken_pipe(&err));
        // Dropping a writer with buffered data must not panic either.
        w.write_window(&window()).unwrap();
        drop(w);
    }
}
