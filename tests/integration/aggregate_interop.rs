//! Aggregate records read by other implementations of the formats they carry: Python's hdrh
//! (HdrHistogram V2-deflate, both ways), Apache DataSketches (the HLL sketch of distinct hosts, and
//! the hashing of its input) and xxhash (XXH3-64 host hashes). The packages are installed by
//! `scripts/interop.sh`; without them the test says so and passes, except under `CI=true`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use kinetop::core::hashing::KeyHasher;
use kinetop::core::histogram::LatencyHistogram;
use kinetop::core::merge::record::{decode, encode_aggregate, Record, RelayStamp};
use kinetop::core::merge::AppPartial;
use kinetop::core::{Hit, OpenWindow, WindowConfig};
use serde_json::{json, Value};

const START: i64 = 1_484_906_700;
const RELAY: RelayStamp = RelayStamp {
    group: 0,
    groups: 2,
    seq: 1,
};

/// The interop venv's python, installed on first use; `None` (test skipped) only outside CI.
fn python() -> Option<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/interop.sh");
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .expect("run scripts/interop.sh");
    if out.status.success() {
        let stdout = String::from_utf8(out.stdout).unwrap();
        return Some(PathBuf::from(
            stdout.lines().last().expect("python path").trim(),
        ));
    }
    let why = String::from_utf8_lossy(&out.stderr).into_owned();
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("scripts/interop.sh failed under CI, the interop test cannot run:\n{why}");
    }
    eprintln!("SKIPPED aggregate interop test: scripts/interop.sh failed:\n{why}");
    None
}

/// Latencies spread over 1 µs .. ~16 s.
fn latency(i: u64) -> u64 {
    let octave = 1u64 << (i % 24);
    octave + i.wrapping_mul(7_919) % octave
}

/// Three applications: `checkout` (40 hosts, exact; 300 latencies), `search` (6,000 hosts: a
/// sketch on the wire; 30 latencies, kept exactly) and `static` (one host, no latency).
fn window() -> (OpenWindow, BTreeMap<&'static str, Vec<String>>) {
    let config = WindowConfig::default();
    let h = KeyHasher;
    let mut window = OpenWindow::new(START, START + 300);
    let mut hosts: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut record = |app: &'static str, client: String, i: u64, latency_us: Option<u64>| {
        let path = format!("/p/{}", i % 7);
        let hit = Hit {
            time: START,
            application: app,
            client: &client,
            method: "GET",
            path: &path,
            status: if i.is_multiple_of(10) { 503 } else { 200 },
            bytes: i,
            latency_us,
            user_agent: None,
            referer: None,
        };
        window.record(&hit, h.hash(&client), h.hash(&path), &config);
        hosts.entry(app).or_default().push(client);
    };
    for i in 0..300 {
        record(
            "checkout",
            format!("10.0.0.{}", i % 40),
            i,
            Some(latency(i)),
        );
    }
    for i in 0..6_000 {
        let client = format!("2001:db8::{:x}", i);
        record("search", client, i, (i < 30).then(|| latency(i)));
    }
    record("static", "static-1.example".into(), 1, None);
    for list in hosts.values_mut() {
        list.sort();
        list.dedup();
    }
    (window, hosts)
}

#[test]
fn other_implementations_read_aggregate_records() {
    let Some(python) = python() else { return };
    let (window, hosts) = window();
    let partials = window.partials();
    let records: Vec<String> = partials
        .iter()
        .map(|p| String::from_utf8(encode_aggregate(RELAY, p).unwrap()).unwrap())
        .collect();
    let values: Vec<u64> = (0..250).map(|i| latency(i * 3 + 1)).collect();
    let spec = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        spec.path(),
        json!({"records": records, "hosts": hosts, "values": values}).to_string(),
    )
    .unwrap();
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/aggregate_interop.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(spec.path())
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Value = serde_json::from_slice(&out.stdout).unwrap();

    // XXH3-64: the same hash of every host.
    let h = KeyHasher;
    for host in hosts.values().flatten() {
        assert_eq!(
            theirs["hashes"][host].as_u64(),
            Some(h.hash(host)),
            "{host}"
        );
    }

    let seen_records = theirs["records"].as_array().unwrap();
    for ((partial, text), seen) in partials.iter().zip(&records).zip(seen_records) {
        let app = partial.application.as_ref();
        assert_eq!(seen["application"], app);
        check_latency(partial, &seen["latency"]);
        match app {
            "checkout" | "static" => assert_eq!(seen["exact_hashes_match"], true, "{app}"),
            _ => {
                let Record::Aggregate(decoded) = decode(text.as_bytes()).unwrap() else {
                    panic!("not an aggregate record")
                };
                check_sketch(&decoded.partial, &seen["hll"]);
            }
        }
    }
    assert_eq!(theirs["records"].as_array().unwrap().len(), 3);

    // The other way: a histogram hdrh encoded, read back through a record.
    let mut record: Value = serde_json::from_str(&records[0]).unwrap();
    assert_eq!(record["application"], "checkout");
    let (min, max) = (*values.iter().min().unwrap(), *values.iter().max().unwrap());
    record["latency"] = json!({"hdr": theirs["hdr"], "min": min, "max": max});
    let Record::Aggregate(decoded) = decode(record.to_string().as_bytes()).unwrap() else {
        panic!("not an aggregate record")
    };
    let want = LatencyHistogram::<u64>::from_values(3, &values).summary();
    assert_eq!(decoded.partial.latency.unwrap().summary(), want);
}

/// hdrh's count and percentiles of the record's histogram are ours (ours are clamped into the
/// exact `[min, max]`, and exact while at most 64 values).
fn check_latency(partial: &AppPartial, seen: &Value) {
    let Some(ours) = partial.latency.as_ref().and_then(LatencyHistogram::summary) else {
        assert!(seen.is_null(), "{seen}");
        return;
    };
    assert_eq!(seen["count"].as_u64(), Some(ours.count));
    let exact = partial.latency.as_ref().unwrap().exact_values().is_some();
    for (q, our) in [("p50", ours.p50), ("p90", ours.p90), ("p99", ours.p99)] {
        let theirs = seen[q].as_u64().unwrap();
        if exact {
            assert!(
                theirs.abs_diff(our) <= our / 500 + 1,
                "{q}: {theirs} vs {our}"
            );
        } else {
            assert_eq!(theirs.clamp(ours.min, ours.max), our, "{q}");
        }
    }
}

/// DataSketches reads the record's sketch to the estimate we decode from it, and a sketch it
/// builds itself from the hosts' XXH3-64 hashes has the very same registers.
fn check_sketch(decoded: &AppPartial, seen: &Value) {
    let ours = decoded.hosts.count() as f64;
    let theirs = seen["estimate"].as_f64().unwrap();
    assert!((theirs - ours).abs() <= 0.5, "{theirs} vs {ours}");
    assert_eq!(seen["registers_match"], true, "{seen}");
    let own = seen["own_estimate"].as_f64().unwrap();
    assert!(
        (own - 6_000.0).abs() / 6_000.0 < 0.025,
        "their own sketch: {own}"
    );
}
