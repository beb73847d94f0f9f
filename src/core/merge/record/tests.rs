use std::sync::Arc;

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::core::distinct::DistinctCounter;
use crate::core::hashing::KeyHasher;
use crate::core::histogram::LatencyHistogram;
use crate::core::merge::tests::{
    accumulate, config, hits, merge_all, one_process, partials_by_part, summaries, OwnedHit, END,
    START,
};
use crate::core::merge::{
    AppPartial, CallerPartial, TopEntry, TopSummary, WIRE_CALLER_PATHS, WIRE_TOP_CALLERS,
    WIRE_TOP_PATHS,
};
use crate::core::{StatusClasses, WindowSummary};
use crate::output::jsonl::JsonLinesWriter;

const RELAY: RelayStamp = RelayStamp {
    group: 1,
    groups: 3,
    seq: 42,
};

fn round_trip(p: &AppPartial) -> AppPartial {
    let bytes = encode_aggregate(RELAY, p).unwrap();
    match decode(&bytes).unwrap() {
        Record::Aggregate(r) => {
            assert_eq!(r.relay, RELAY);
            r.partial
        }
        Record::Heartbeat(_) => panic!("an aggregate record decoded as a heartbeat"),
    }
}

fn json_of(p: &AppPartial) -> Value {
    serde_json::from_slice(&encode_aggregate(RELAY, p).unwrap()).unwrap()
}

fn small_partials() -> Vec<AppPartial> {
    let hit = |client: &str, path: &str, status, latency_us| OwnedHit {
        app: "checkout",
        client: client.into(),
        path: path.into(),
        status,
        bytes: 1000,
        latency_us,
        part: 0,
    };
    let hits = [
        hit("10.0.0.7", "/cart", 200, Some(8_000)),
        hit("10.0.0.7", "/cart", 200, Some(9_000)),
        hit("10.0.0.8", "/pay", 503, Some(120_000)),
        hit("10.0.0.8", "", 404, None),
    ];
    accumulate(hits.iter()).partials()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Through the wire (encode, decode) and merged, partials give what one process computes.
    #[test]
    fn records_round_trip_and_merge_to_one_process(
        parts in 1usize..5,
        hits in hits(1_500, 30, 8, 4),
    ) {
        let decoded = partials_by_part(&hits, parts).into_iter().flatten().map(|p| round_trip(&p));
        prop_assert_eq!(summaries(&merge_all(decoded)), one_process(&hits));
    }

    /// Whatever bytes arrive, decoding answers with a record or an error, never a panic.
    #[test]
    fn mangled_records_are_refused_without_panicking(
        cut in 0usize..4_000,
        flips in proptest::collection::vec((0usize..4_000, any::<u8>()), 0..6),
    ) {
        let mut bytes = encode_aggregate(RELAY, &small_partials()[0]).unwrap();
        for (at, byte) in flips {
            let len = bytes.len();
            bytes[at % len] = byte;
        }
        bytes.truncate(cut.max(1));
        let _ = decode(&bytes);
    }
}

#[test]
fn the_record_is_the_window_line_plus_mergeable_state() {
    let partial = &small_partials()[0];
    let record = json_of(partial);
    let text = String::from_utf8(encode_aggregate(RELAY, partial).unwrap()).unwrap();
    assert!(text.starts_with(
        r#"{"type":"aggregate","schema":1,"relay_group":1,"relay_groups":3,"seq":42,"start":"2017-01-20T10:05:00Z""#
    ), "{text}");
    // Every field of the headless window line, with the same value (the top lists are longer).
    let summary = WindowSummary {
        relays: None,
        start: START,
        end: END,
        is_final: true,
        apps: vec![partial.summarize(&config())],
    };
    let mut w = JsonLinesWriter::new(Vec::new());
    w.write_window(&summary).unwrap();
    let line: Value = serde_json::from_slice(&w.into_inner().unwrap()).unwrap();
    for (field, value) in line.as_object().unwrap() {
        match field.as_str() {
            "type" => assert_eq!(record["type"], "aggregate"),
            "top_paths" => assert_eq!(&record[field], value),
            "top_callers" => {
                for (i, caller) in value.as_array().unwrap().iter().enumerate() {
                    for (k, v) in caller.as_object().unwrap() {
                        assert_eq!(&record[field][i][k], v, "{field}[{i}].{k}");
                    }
                }
            }
            _ => assert_eq!(&record[field], value, "{field}"),
        }
    }
    // The mergeable state.
    assert_eq!(record["top_paths_bound"], 0);
    assert_eq!(record["top_callers_bound"], 0);
    assert!(record["hosts_sketch"]["exact"].is_string());
    assert_eq!(record["latency"]["min"], 8_000);
    assert_eq!(record["latency"]["max"], 120_000);
    assert_eq!(record["latency"]["values"], json!([8_000, 9_000, 120_000]));
    let caller = &record["top_callers"][0];
    assert_eq!(caller["status_codes"], json!({"200": 2}));
    assert_eq!(
        caller["top_paths"],
        json!([{"path": "/cart", "requests": 2}])
    );
    assert_eq!(caller["latency"]["values"], json!([8_000, 9_000]));
}

#[test]
fn a_round_trip_keeps_every_figure() {
    for p in small_partials() {
        let back = round_trip(&p);
        assert_eq!(back.summarize(&config()), p.summarize(&config()));
        assert_eq!(back.paths, p.paths);
        assert_eq!((back.start, back.end), (START, END));
    }
}

#[test]
fn many_hosts_travel_as_a_sketch() {
    let mut p = small_partials().remove(0);
    let h = KeyHasher;
    p.hosts = DistinctCounter::default();
    for i in 0..20_000 {
        p.hosts
            .insert(h.hash(&format!("10.1.{}.{}", i >> 8, i & 255)));
    }
    p.requests = 20_000;
    p.status_codes = vec![(200, 20_000)];
    p.status = StatusClasses {
        c2xx: 20_000,
        ..StatusClasses::default()
    };
    let record = json_of(&p);
    assert_eq!(record["hosts"], 20_000);
    assert_eq!(record["hosts_exact"], true, "the relay's own count");
    let sketch = record["hosts_sketch"]["hll"].as_str().unwrap();
    assert!(
        sketch.len() < 12_000,
        "HLL_4 at 2^14 registers: {}",
        sketch.len()
    );
    let back = round_trip(&p);
    assert!(!back.hosts.is_exact());
    let estimate = back.hosts.count() as f64;
    assert!((estimate - 20_000.0).abs() / 20_000.0 < 0.025, "{estimate}");
}

/// A partial with every list full of the longest keys, every character escaped six-fold in JSON,
/// histograms with every bucket used, and the most exact hosts.
fn monstrous_partial() -> AppPartial {
    let long = |i: usize| -> Arc<str> {
        let mut key = format!("{i:05}");
        key.push_str(&"\u{1}".repeat(crate::core::topk::MAX_KEY_BYTES - key.len()));
        Arc::from(key)
    };
    // Log-uniform over 1 µs .. 2^36 µs: every bucket of every octave gets values.
    let spread = |n: u64| -> Vec<u64> {
        (0..n)
            .map(|i| {
                let octave = 1u64 << (i % 36);
                octave + i.wrapping_mul(7_919) % octave
            })
            .collect()
    };
    let requests = 1_000_000_000u64;
    let paths = |n: usize, base: usize, count: u64| {
        TopSummary::new(
            (0..n)
                .map(|i| TopEntry {
                    key: long(base + i),
                    count: count - i as u64,
                    error: 1,
                    detail: (),
                })
                .collect(),
            count / 2,
        )
    };
    let caller_hits = 3_000_000u64;
    let callers = (0..WIRE_TOP_CALLERS)
        .map(|i| TopEntry {
            key: long(i),
            count: caller_hits + 10 - i as u64,
            error: 10 - i as u64 % 10,
            detail: CallerPartial {
                bytes: u64::MAX,
                status: StatusClasses {
                    c2xx: caller_hits + 10 - i as u64 - (10 - i as u64 % 10),
                    ..Default::default()
                },
                status_codes: vec![(200, caller_hits + 10 - i as u64 - (10 - i as u64 % 10))],
                latency: Some(LatencyHistogram::from_values(2, &spread(20_000))),
                paths: paths(WIRE_CALLER_PATHS, 10_000 + i * 100, 1_000),
            },
        })
        .collect();
    let mut hosts = DistinctCounter::default();
    (0..4096u64).for_each(|h| hosts.insert(h.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    AppPartial {
        start: START,
        end: END,
        application: long(99_999),
        requests,
        bytes: u64::MAX,
        status: StatusClasses {
            c2xx: requests,
            ..Default::default()
        },
        status_codes: vec![(200, requests)],
        hosts,
        latency: Some(LatencyHistogram::from_values(3, &spread(200_000))),
        paths: paths(WIRE_TOP_PATHS, 50_000, 900_000),
        callers: TopSummary::new(callers, 100),
    }
}

#[test]
fn any_partial_fits_the_size_bound_and_stays_true() {
    let p = monstrous_partial();
    let bytes = encode_aggregate(RELAY, &p).unwrap();
    assert!(bytes.len() <= MAX_RECORD_BYTES, "{} bytes", bytes.len());
    let record: Value = serde_json::from_slice(&bytes).unwrap();
    let kept = record["top_callers"].as_array().unwrap().len();
    assert!(kept < WIRE_TOP_CALLERS, "callers were trimmed");
    // What was trimmed raised the bound: the first caller dropped counted this much.
    let dropped = &p.callers.entries()[kept];
    assert!(record["top_callers_bound"].as_u64().unwrap() >= dropped.count);
    let back = round_trip(&p);
    assert_eq!(back.requests, p.requests);
    assert_eq!(back.hosts.count(), 4096);
    assert_eq!(
        back.latency.as_ref().and_then(LatencyHistogram::summary),
        p.latency.as_ref().and_then(LatencyHistogram::summary)
    );
}

fn valid() -> Value {
    json_of(&small_partials()[0])
}

/// Decodes `record` after `change`; returns the error text.
fn refused(change: impl FnOnce(&mut Value)) -> String {
    let mut record = valid();
    change(&mut record);
    match decode(&serde_json::to_vec(&record).unwrap()) {
        Ok(_) => panic!("accepted: {record}"),
        Err(e) => e.to_string(),
    }
}

type Change = Box<dyn FnOnce(&mut Value)>;

#[test]
fn hostile_or_inconsistent_records_are_refused_naming_the_field() {
    let cases: Vec<(&str, Change)> = vec![
        ("schema 2", Box::new(|r| r["schema"] = json!(2))),
        (
            "without a `schema`",
            Box::new(|r| drop(r.as_object_mut().unwrap().remove("schema"))),
        ),
        (
            "unknown record type `window`",
            Box::new(|r| r["type"] = json!("window")),
        ),
        (
            "`relay_group` is 3",
            Box::new(|r| r["relay_group"] = json!(3)),
        ),
        (
            "`relay_groups` is 0",
            Box::new(|r| r["relay_groups"] = json!(0)),
        ),
        (
            "missing field `seq`",
            Box::new(|r| drop(r.as_object_mut().unwrap().remove("seq"))),
        ),
        (
            "`start` is not an RFC 3339",
            Box::new(|r| r["start"] = json!("yesterday")),
        ),
        ("`width_s` is 200", Box::new(|r| r["width_s"] = json!(200))),
        (
            "`start` is not a multiple",
            Box::new(|r| {
                r["start"] = json!("2017-01-20T10:05:01Z");
                r["end"] = json!("2017-01-20T10:10:01Z");
            }),
        ),
        (
            "`status` does not match",
            Box::new(|r| r["status"]["2xx"] = json!(3)),
        ),
        (
            "`status_codes` add up to 4, not to the 5",
            Box::new(|r| r["requests"] = json!(5)),
        ),
        (
            "has `abc`",
            Box::new(|r| r["status_codes"]["abc"] = json!(0)),
        ),
        (
            "`top_paths[0]` counts 9 with error 0",
            Box::new(|r| r["top_paths"][0]["requests"] = json!(9)),
        ),
        (
            "`top_paths[2]` lists a key twice",
            Box::new(|r| {
                let first = r["top_paths"][0].clone();
                r["top_paths"].as_array_mut().unwrap().push(first);
            }),
        ),
        (
            "`top_paths[0].path` is longer than 1024",
            Box::new(|r| r["top_paths"][0]["path"] = json!("/".repeat(1025))),
        ),
        (
            "`top_paths_bound` is above",
            Box::new(|r| r["top_paths_bound"] = json!(5)),
        ),
        (
            "`top_callers[0].status_codes` add up to 2, not to the 1",
            Box::new(|r| r["top_callers"][0]["error"] = json!(1)),
        ),
        (
            "`top_callers[0].latency.min` is above max",
            Box::new(|r| r["top_callers"][0]["latency"]["max"] = json!(1)),
        ),
        (
            "`top_callers[0].latency.values` do not match",
            Box::new(|r| r["top_callers"][0]["latency"]["max"] = json!(8_500)),
        ),
        (
            "`latency.hdr` counts 3, more than the 2",
            Box::new(|r| {
                r["requests"] = json!(2);
                r["status_codes"] = json!({"200": 2});
                r["status"] = json!({"1xx":0,"2xx":2,"3xx":0,"4xx":0,"5xx":0});
            }),
        ),
        (
            "`latency.hdr` not base64",
            Box::new(|r| r["latency"]["hdr"] = json!("#")),
        ),
        (
            "`hosts_sketch.exact` host hashes not strictly",
            Box::new(|r| r["hosts_sketch"]["exact"] = json!("AAAAAAAAAAEAAAAAAAAAAQ==")),
        ),
        (
            "`hosts_sketch.hll` bad DataSketches",
            Box::new(|r| r["hosts_sketch"] = json!({"hll": "AAAA"})),
        ),
        (
            "unknown variant `set`",
            Box::new(|r| r["hosts_sketch"] = json!({"set": ""})),
        ),
        (
            "invalid type: floating point",
            Box::new(|r| r["bytes"] = json!(1.5)),
        ),
        (
            "invalid value: integer `-1`",
            Box::new(|r| r["requests"] = json!(-1)),
        ),
    ];
    for (want, change) in cases {
        let err = refused(change);
        assert!(err.contains(want), "wanted {want:?} in: {err}");
    }
}

#[test]
fn unknown_fields_are_ignored_and_oversized_or_non_json_refused() {
    let mut record = valid();
    record["added_later"] = json!({"anything": [1, 2]});
    assert!(decode(&serde_json::to_vec(&record).unwrap()).is_ok());
    let huge = format!(
        r#"{{"type":"aggregate","schema":1,"pad":"{}"}}"#,
        "x".repeat(MAX_RECORD_BYTES)
    );
    assert!(matches!(
        decode(huge.as_bytes()),
        Err(RecordError::TooLarge(_))
    ));
    assert!(matches!(
        decode(b"10.0.0.1 - - [20/Jan/2017:10:05:00 +0000]"),
        Err(RecordError::Json(_))
    ));
    assert!(matches!(decode(b"{}"), Err(RecordError::NoType)));
    assert!(matches!(decode(b"[1]"), Err(RecordError::Json(_))));
}

fn heartbeat() -> Heartbeat {
    Heartbeat {
        relay: RELAY,
        time: 1_700_000_000,
        width_s: 300,
        lateness_s: 60,
        final_until: Some(START),
        watermark: Some(START + 360),
        lag_ms: Some(1_250),
        shards: vec!["shardId-000000000001".into(), "shardId-000000000004".into()],
        counters: RelayCounters {
            lines: 1_000,
            parsed: 990,
            malformed: 10,
            late: 3,
            future: 1,
            trailing: 2,
            bad_records: 0,
        },
    }
}

#[test]
fn heartbeats_round_trip_and_read_like_the_summary_line() {
    let bytes = encode_heartbeat(&heartbeat()).unwrap();
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        concat!(
            r#"{"type":"heartbeat","schema":1,"relay_group":1,"relay_groups":3,"seq":42,"#,
            r#""time":"2023-11-14T22:13:20Z","width_s":300,"lateness_s":60,"#,
            r#""final_until":"2017-01-20T10:05:00Z","watermark":"2017-01-20T10:11:00Z","lag_ms":1250,"#,
            r#""shards":["shardId-000000000001","shardId-000000000004"],"#,
            r#""lines":1000,"parsed":990,"malformed":10,"late":3,"future":1,"trailing":2,"bad_records":0}"#
        )
    );
    match decode(&bytes).unwrap() {
        Record::Heartbeat(beat) => assert_eq!(beat, heartbeat()),
        Record::Aggregate(_) => panic!("a heartbeat decoded as an aggregate"),
    }
    let mut idle = heartbeat();
    (idle.final_until, idle.watermark, idle.lag_ms) = (None, None, None);
    let back = decode(&encode_heartbeat(&idle).unwrap()).unwrap();
    assert!(matches!(back, Record::Heartbeat(b) if b == idle));
}

#[test]
fn bad_heartbeats_are_refused() {
    let bad = |change: fn(&mut Value)| {
        let mut v: Value =
            serde_json::from_slice(&encode_heartbeat(&heartbeat()).unwrap()).unwrap();
        change(&mut v);
        decode(&serde_json::to_vec(&v).unwrap())
            .unwrap_err()
            .to_string()
    };
    assert!(bad(|v| v["shards"][0] = json!("")).contains("`shards[0]`"));
    assert!(bad(|v| v["parsed"] = json!(2_000)).contains("above lines"));
    assert!(bad(|v| v["width_s"] = json!(0)).contains("`width_s`"));
    assert!(bad(|v| v["schema"] = json!(7)).contains("heartbeat record of schema 7"));
    let mut too_many = heartbeat();
    too_many.shards = vec!["shardId-000000000000".into(); MAX_SHARDS + 1];
    let text = String::from_utf8(encode_heartbeat(&too_many).unwrap()).unwrap();
    assert!(decode(text.as_bytes())
        .unwrap_err()
        .to_string()
        .contains("more than 10000"));
    let mut bad_relay = heartbeat();
    bad_relay.relay.group = 3;
    assert!(encode_heartbeat(&bad_relay).is_err());
}

#[test]
fn control_characters_never_travel_raw() {
    let mut p = small_partials().remove(0);
    p.application = Arc::from("app\u{9b}31m\u{202e}\u{1b}[2J");
    let text = String::from_utf8(encode_aggregate(RELAY, &p).unwrap()).unwrap();
    assert!(
        text.contains(r#""application":"app\u009b31m\u202e\u001b[2J""#),
        "{text}"
    );
    assert_eq!(round_trip(&p).application, p.application);
}
