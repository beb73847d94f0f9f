//! Every record encoding the Kinesis Agent, the KPL and CloudWatch Logs put on a stream, mixed on
//! one multi-shard stream, read by the consumer and decoded: exact line counts, corrupt records
//! counted, none fatal.

use crate::support;

use std::time::Duration;

use kinetop::decode::encode::{
    agent_json_from_combined, cloudwatch_control_gzip, cloudwatch_gzip, kpl_aggregate,
};
use kinetop::decode::{Decoder, LineFormat};
use kinetop::source::kinesis::KinesisSource;
use support::*;

fn sample_lines() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/apache_logs");
    let text = std::fs::read(path).expect("the sample log");
    String::from_utf8_lossy(&text)
        .lines()
        .take(2000)
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_encodings_decode_to_exact_line_counts() {
    let lines = sample_lines();
    let mut records: Vec<Vec<u8>> = Vec::new();
    let mut plain_expected: Vec<String> = Vec::new();
    let mut combined_expected = 0usize;

    // Plain text: one line per record with its newline, and ten per record without the last one.
    for line in &lines[0..200] {
        records.push(format!("{line}\n").into_bytes());
        plain_expected.push(line.clone());
    }
    for chunk in lines[200..400].chunks(10) {
        records.push(chunk.join("\n").into_bytes());
        plain_expected.extend(chunk.iter().cloned());
    }
    // Kinesis Agent LOGTOJSON, five objects per record.
    let agent: Vec<String> = lines[400..800]
        .iter()
        .filter_map(|l| agent_json_from_combined(l))
        .collect();
    combined_expected += agent.len();
    for chunk in agent.chunks(5) {
        records.push(chunk.join("\n").into_bytes());
    }
    // KPL aggregates of 20 user records: plain lines, and agent JSON in every other aggregate.
    for (i, chunk) in lines[800..1400].chunks(20).enumerate() {
        let users: Vec<Vec<u8>> = if i % 2 == 0 {
            plain_expected.extend(chunk.iter().cloned());
            chunk.iter().map(|l| l.clone().into_bytes()).collect()
        } else {
            let json: Vec<Vec<u8>> = chunk
                .iter()
                .filter_map(|l| agent_json_from_combined(l))
                .map(String::into_bytes)
                .collect();
            combined_expected += json.len();
            json
        };
        let refs: Vec<&[u8]> = users.iter().map(Vec::as_slice).collect();
        records.push(kpl_aggregate(&refs));
    }
    // CloudWatch Logs subscription payloads of 20 events, and control messages (no lines).
    for chunk in lines[1400..2000].chunks(20) {
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        records.push(cloudwatch_gzip(&refs));
        plain_expected.extend(chunk.iter().cloned());
    }
    for _ in 0..3 {
        records.push(cloudwatch_control_gzip());
    }
    // Corrupt: a KPL aggregate with a wrong MD5, a truncated one, binary garbage.
    let mut bad_md5 = kpl_aggregate(&[b"a".as_slice(), b"b".as_slice()]);
    *bad_md5.last_mut().unwrap() ^= 0xff;
    records.push(bad_md5);
    records.push(kpl_aggregate(&[lines[0].as_bytes()])[..12].to_vec());
    records.push(vec![0x00, 0x01, 0x02, 0xfe, 0xff, 0x00]);
    let bad_expected = 3;

    let emu = Emulator::kinesalite();
    let client = kinesis_client(&emu.endpoint()).await;
    let stream = unique("mixed");
    create_stream(&client, &stream, 3).await;
    put_records(&client, &stream, records.clone()).await;

    let mut options = kinesis_options(&stream);
    options.until_caught_up = true;
    let mut running = Running::start(KinesisSource::new(sdk_api(&emu.endpoint()).await, options));
    assert!(
        running
            .wait_for(Duration::from_secs(60), |c| c.finished)
            .await,
        "not caught up"
    );
    let (got, result) = running.stop().await;
    result.unwrap();
    got.assert_exactly(&records);
    got.assert_no_duplicates();

    let mut decoder = Decoder::new();
    let mut plain_got: Vec<String> = Vec::new();
    let mut combined_got = 0usize;
    let mut bad = Vec::new();
    for (shard, record) in &got.records {
        let result = decoder.decode(&record.data, &mut |line, format| match format {
            LineFormat::Configured => plain_got.push(String::from_utf8_lossy(line).into_owned()),
            LineFormat::Combined => combined_got += 1,
        });
        if let Err(e) = result {
            bad.push(format!("{shard} {}: {e}", record.sequence_number));
        }
    }
    assert_eq!(bad.len(), bad_expected, "{bad:?}");
    assert!(bad.iter().any(|b| b.contains("checksum")), "{bad:?}");
    assert_eq!(combined_got, combined_expected);
    assert!(
        combined_expected > 550,
        "most sample lines are combined-format"
    );
    plain_got.sort();
    plain_expected.sort();
    assert_eq!(plain_got.len(), plain_expected.len());
    assert!(plain_got == plain_expected, "plain lines differ");
}
