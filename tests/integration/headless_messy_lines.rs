//! The real binary over hostile but valid-looking lines: every line is parsed or counted, and
//! hosts are counted by identity, not by how the line spelled them.

use std::process::Command;

use serde_json::{json, Value};

/// A combined line at 2017-01-20T10:05:00Z.
fn line(client: &str, status: &str, bytes: u32, user_agent: &[u8]) -> Vec<u8> {
    let mut out = format!(
        r#"{client} - - [20/Jan/2017:10:05:00 +0000] "GET /a?x=1 HTTP/1.1" {status} {bytes} "-" ""#
    )
    .into_bytes();
    out.extend_from_slice(user_agent);
    out.push(b'"');
    out
}

fn run(file: &std::path::Path, metadata: &std::path::Path) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_kinetop"))
        .args(["--headless", "--format", "combined", "--file"])
        .arg(file)
        .arg("--metadata")
        .arg(metadata)
        .env(
            "KINETOP_LOG_DIR",
            std::env::temp_dir().join("kinetop-test-logs"),
        )
        .output()
        .expect("run kinetop");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn every_line_is_parsed_or_counted_and_hosts_are_counted_by_identity() {
    let dir = tempfile::tempdir().unwrap();
    let metadata = dir.path().join("meta.csv");
    std::fs::write(&metadata, "host,application\n10.0.0.0/8,checkout\n").unwrap();

    let lines: Vec<Vec<u8>> = vec![
        line("2001:db8::1", "200", 100, b"ua"),
        // Two records on one line: the first is the request, the second is trailing text.
        [
            line("::ffff:10.1.2.3", "200", 100, b"ua"),
            b" ".to_vec(),
            line("10.9.9.9", "500", 100, b"ua"),
        ]
        .concat(),
        // No status: a request of class `other` whose bytes count.
        line("2001:0db8:0:0:0:0:0:1", "-", 700, b"ua"),
        // Invalid UTF-8 in the user agent: replaced, not malformed.
        line("2001:DB8::1", "200", 100, b"caf\xe9 \xff"),
        // Invalid UTF-8 in the host: malformed.
        [&b"10.1.2.\xff"[..], &line("", "200", 100, b"ua")].concat(),
        line("Web-1.Example.COM", "200", 100, b"ua"),
        line("web-1.example.com", "200", 100, b"ua"),
        line("10.1.2.3", "200", 100, b"ua"),
    ];
    // The last two lines end with a lone CR: still two lines.
    let mut text = lines[..6].join(&b'\n');
    for l in &lines[6..] {
        text.push(b'\r');
        text.extend_from_slice(l);
    }
    let file = dir.path().join("messy.log");
    std::fs::write(&file, &text).unwrap();

    let got = run(&file, &metadata);
    let summary = got.last().unwrap();
    assert_eq!(
        (
            &summary["lines"],
            &summary["parsed"],
            &summary["malformed"],
            &summary["trailing"]
        ),
        (&json!(8), &json!(7), &json!(1), &json!(1)),
        "{summary}"
    );
    let windows: Vec<&Value> = got.iter().filter(|v| v["type"] == "window").collect();
    assert_eq!(windows.len(), 2, "{got:?}");
    let (checkout, unknown) = (windows[0], windows[1]);
    assert_eq!(checkout["application"], "checkout");
    // `::ffff:10.1.2.3` is the IPv4 caller 10.1.2.3: it matches the IPv4 row, one host.
    assert_eq!(
        (
            &checkout["requests"],
            &checkout["hosts"],
            &checkout["bytes"]
        ),
        (&json!(2), &json!(1), &json!(200))
    );
    assert_eq!(checkout["top_callers"][0]["host"], "10.1.2.3");
    assert_eq!(checkout["top_callers"][0]["requests"], 2);
    // Three spellings of 2001:db8::1 and two of web-1.example.com: two hosts.
    assert_eq!(unknown["application"], "unknown");
    assert_eq!(
        (&unknown["requests"], &unknown["hosts"], &unknown["bytes"]),
        (&json!(5), &json!(2), &json!(1100))
    );
    assert_eq!(
        unknown["status"],
        json!({"1xx": 0, "2xx": 4, "3xx": 0, "4xx": 0, "5xx": 0, "other": 1})
    );
    assert_eq!(unknown["status_codes"], json!({"0": 1, "200": 4}));
    let callers: Vec<(&Value, &Value)> = unknown["top_callers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (&c["host"], &c["requests"]))
        .collect();
    assert_eq!(
        callers,
        [
            (&json!("2001:db8::1"), &json!(3)),
            (&json!("web-1.example.com"), &json!(2))
        ]
    );
}
