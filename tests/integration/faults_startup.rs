//! What cannot work is said at once: exit 2 and one line on standard error naming the cause and
//! the value (the flag, the file and line).

use std::time::Duration;

use crate::support::binary::Kinetop;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/apache_logs");

/// Runs to the end (bounded) and checks exit 2 with one line mentioning every `must`.
fn exits_2(args: &[&str], must: &[&str]) -> String {
    let ended = Kinetop::start(args).wait(Duration::from_secs(30));
    let stderr = ended.stderr_text();
    assert_eq!(ended.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(ended.stdout.is_empty(), "{args:?}: nothing on stdout");
    assert_eq!(ended.stderr.len(), 1, "{args:?}: one line: {stderr}");
    for m in must {
        assert!(
            stderr.contains(m),
            "{args:?}: {stderr:?} should mention {m:?}"
        );
    }
    stderr
}

#[test]
fn metadata_names_and_contacts_with_control_characters_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hosts.csv");
    std::fs::write(
        &path,
        b"host,application,contact\n10.0.0.1,checkout,ops@example.com\n10.0.0.2,pay\x07ments,x\n",
    )
    .unwrap();
    let meta = path.to_str().unwrap();
    exits_2(
        &["--file", SAMPLE, "--headless", "--metadata", meta],
        &["hosts.csv:3:", "pay\\u{7}ments", "control character"],
    );
    std::fs::write(
        &path,
        b"host,application,contact\n10.0.0.1,checkout,\"ops\x1b[2J@example.com\"\n",
    )
    .unwrap();
    exits_2(
        &["--file", SAMPLE, "--headless", "--metadata", meta],
        &["hosts.csv:2:", "contact", "control character (U+001B)"],
    );
}

#[test]
fn endpoints_that_can_never_work_are_named_with_their_flag() {
    let kinesis = |url: &str, must: &[&str]| {
        let args = ["--kinesis", "web", "--endpoint-url", url, "--headless"];
        let mut with_flag = vec!["--endpoint-url"];
        with_flag.extend_from_slice(must);
        exits_2(&args, &with_flag);
    };
    kinesis("notaurl", &["\"notaurl\" is not a URL"]);
    kinesis("ftp://127.0.0.1:4567", &["must be http or https, not ftp"]);
    kinesis("http://[::1", &["\"http://[::1\" is not a URL", "IPv6"]);
    kinesis("http://127.0.0.1:99999", &["99999", "bad port"]);
    exits_2(
        &[
            "--file",
            SAMPLE,
            "--headless",
            "--metadata",
            "s3://bucket/hosts.csv",
            "--s3-endpoint-url",
            "localhost:9000",
        ],
        &["--s3-endpoint-url", "localhost:9000", "not localhost"],
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kinetop.toml");
    std::fs::write(
        &config,
        "window = \"1m\"\nendpoint-url = \"http://127.0.0.1:70000\"\n",
    )
    .unwrap();
    exits_2(
        &[
            "--kinesis",
            "web",
            "--config",
            config.to_str().unwrap(),
            "--headless",
        ],
        &["kinetop.toml:2:", "endpoint-url", "bad port"],
    );
}

#[test]
fn a_start_time_in_the_future_is_refused() {
    exits_2(
        &[
            "--kinesis",
            "web",
            "--from",
            "2999-01-01T00:00:00Z",
            "--headless",
        ],
        &["--from", "2999-01-01T00:00:00Z is in the future"],
    );
}

#[test]
fn missing_credentials_are_a_start_up_error() {
    let endpoint = format!(
        "http://127.0.0.1:{}",
        crate::support::loopback::closed_port()
    );
    let home = tempfile::tempdir().unwrap();
    let none = home.path().join("none");
    let ended = Kinetop::start_with(
        &[
            "--kinesis",
            "web",
            "--endpoint-url",
            &endpoint,
            "--headless",
        ],
        &[
            // No key in the environment (these override the harness's test credentials).
            ("AWS_ACCESS_KEY_ID", ""),
            ("AWS_SECRET_ACCESS_KEY", ""),
            ("AWS_CONFIG_FILE", none.to_str().unwrap()),
        ],
    )
    .wait(Duration::from_secs(30));
    let stderr = ended.stderr_text();
    assert_eq!(ended.status.code(), Some(2), "{stderr}");
    assert_eq!(ended.stderr.len(), 1, "{stderr}");
    assert!(
        stderr.starts_with("kinetop: Kinesis stream web: missing AWS credentials ("),
        "{stderr}"
    );
}

#[test]
fn access_denied_is_a_start_up_error() {
    let denied = crate::support::loopback::CannedServer::start(
        400,
        "application/x-amz-json-1.1",
        r#"{"__type":"AccessDeniedException","message":"User: arn:aws:iam::123456789012:user/ops is not authorized to perform: kinesis:DescribeStreamSummary"}"#,
    );
    let endpoint = denied.endpoint();
    exits_2(
        &[
            "--kinesis",
            "web",
            "--endpoint-url",
            &endpoint,
            "--headless",
        ],
        &["Kinesis stream web", "access denied", "not authorized"],
    );
}
