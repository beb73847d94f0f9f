//! The JSON Lines contract, byte for byte, and the writer's behaviour on closed pipes.

use std::io::{self, Write};
use std::sync::Arc;

use serde_json::Value;

use super::jsonl::{is_broken_pipe, JsonLinesWriter};
use super::lines::{rfc3339, AlarmLine, SummaryLine, TOP_IN_LINE};
use crate::core::alarms::{AlarmRule, AlarmState, AlarmTransition, Comparison, Metric};
use crate::core::{
    AppWindow, CallerSummary, Counted, LatencySummary, StatusClasses, WindowSummary,
};
use crate::pipeline::snapshot::Counters;

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
        agents: Default::default(),
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
        agents: Default::default(),
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
        agents: Default::default(),
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
        relays: None,
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
fn summary_line_is_exact_with_extras_last() {
    let counters = Counters {
        lines: 10_000,
        parsed: 9_999,
        malformed: 1,
        late: 3,
        bad_records: 0,
        future: 2,
        closed_early: 0,
        trailing: 2,
        before_since: 4,
        after_until: 5,
    };
    let mut line = SummaryLine::new(&counters, "apache_logs");
    line.lag_ms = Some(42);
    let out = output(|w| w.write(&line));
    assert_eq!(
        out,
        concat!(
            r#"{"type":"summary","lines":10000,"parsed":9999,"malformed":1,"late":3,"#,
            r#""bad_records":0,"future":2,"closed_early":0,"trailing":2,"before_since":4,"after_until":5,"#,
            r#""source":"apache_logs","lag_ms":42}"#,
            "\n"
        )
    );
}

#[test]
fn lines_are_one_line_each() {
    let mut t = transition(Some(0.12));
    t.alarm = Arc::from("a\nb");
    let out = output(|w| {
        w.write(&AlarmLine::new(&t))?;
        w.write(&AlarmLine::new(&t))
    });
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        out.starts_with("{\"type\":\"alarm\",\"alarm\":\"a\\nb\""),
        "{out}"
    );
}

#[test]
fn terminal_controls_are_escaped_and_round_trip() {
    let evil = "/p\u{9b}31m\u{202e}x\u{7f}\u{1b}]0;t\u{7}é";
    let mut t = transition(None);
    t.application = Arc::from(evil);
    let out = output(|w| w.write(&AlarmLine::new(&t)));
    assert!(
        out.contains(r#""application":"/p\u009b31m\u202ex\u007f\u001b]0;t\u0007é""#),
        "{out}"
    );
    let back: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(back["application"], evil);
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

fn transition(value: Option<f64>) -> AlarmTransition {
    AlarmTransition {
        alarm: Arc::from("checkout-5xx"),
        application: Arc::from("checkout"),
        state: AlarmState::Alarm,
        previous: AlarmState::Ok,
        window_start: 1_484_907_300,
        value,
        threshold: 0.05,
        band: None,
    }
}

fn json(line: &AlarmLine<'_>) -> String {
    serde_json::to_string(line).unwrap()
}

#[test]
fn alarm_line_is_exactly_the_contract() {
    assert_eq!(
        json(&AlarmLine::new(&transition(Some(0.12)))),
        r#"{"type":"alarm","alarm":"checkout-5xx","application":"checkout","state":"ALARM","previous":"OK","window_start":"2017-01-20T10:15:00Z","value":0.12,"threshold":0.05}"#
    );
}

#[test]
fn missing_value_is_null_and_whole_numbers_are_integers() {
    let line: Value = serde_json::from_str(&json(&AlarmLine::new(&transition(None)))).unwrap();
    assert_eq!(line["value"], Value::Null);
    let mut t = transition(Some(1_250_000.0));
    t.threshold = 1_000_000.0;
    t.state = AlarmState::InsufficientData;
    let text = json(&AlarmLine::new(&t));
    assert!(text.contains(r#""state":"INSUFFICIENT_DATA""#), "{text}");
    assert!(
        text.ends_with(r#""value":1250000,"threshold":1000000}"#),
        "{text}"
    );
}

#[test]
fn with_rule_adds_fields_after_the_contract() {
    let rule = AlarmRule::new(
        "checkout-5xx",
        "checkout",
        Metric::ErrorRate5xx,
        Comparison::Greater,
        0.05,
    )
    .m_of_n(2, 3);
    let t = transition(Some(0.12));
    let text = json(&AlarmLine::with_rule(&t, &rule));
    assert!(
        text.ends_with(r#""threshold":0.05,"metric":"error-rate-5xx","comparison":">","evaluation_periods":3,"datapoints_to_alarm":2}"#),
        "{text}"
    );
}

#[test]
fn a_band_alarm_line_gives_the_band_after_the_contract() {
    let rule = AlarmRule::band(
        "checkout-anomaly",
        "checkout",
        Metric::Requests,
        Comparison::OutsideBand,
        2.0,
        12,
    );
    let mut t = transition(Some(1800.0));
    t.alarm = Arc::from("checkout-anomaly");
    t.threshold = 2.0;
    t.band = Some(crate::core::alarms::Band {
        low: 950.5,
        high: 1210.0,
    });
    assert_eq!(
        json(&AlarmLine::new(&t)),
        concat!(
            r#"{"type":"alarm","alarm":"checkout-anomaly","application":"checkout","#,
            r#""state":"ALARM","previous":"OK","window_start":"2017-01-20T10:15:00Z","#,
            r#""value":1800,"threshold":2,"band_low":950.5,"band_high":1210}"#
        )
    );
    let text = json(&AlarmLine::with_rule(&t, &rule));
    assert!(
        text.ends_with(concat!(
            r#""threshold":2,"band_low":950.5,"band_high":1210,"metric":"requests","#,
            r#""comparison":"outside-band","evaluation_periods":1,"datapoints_to_alarm":1,"#,
            r#""band_windows":12}"#
        )),
        "{text}"
    );
    // Too little history for a band: no bounds, rather than made-up ones.
    t.band = None;
    assert!(json(&AlarmLine::new(&t)).ends_with(r#""threshold":2}"#));
}
