//! Every real combined line of the shared sample, shipped as the Kinesis Agent would (agent JSON),
//! KPL-aggregated, or in a CloudWatch Logs payload, decodes back to exactly the original line.

use kinetop::decode::{encode, Decoder, LineFormat, RecordEncoding};

const APACHE_LOGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/apache_logs");

fn sample_lines() -> Vec<String> {
    let text = std::fs::read_to_string(APACHE_LOGS).expect("the shared sample beside the repo");
    text.lines().map(str::to_owned).collect()
}

fn decode_all(decoder: &mut Decoder, record: &[u8]) -> (RecordEncoding, Vec<(String, LineFormat)>) {
    let mut lines = Vec::new();
    let encoding = decoder
        .decode(record, &mut |line, format| {
            lines.push((String::from_utf8(line.to_vec()).unwrap(), format))
        })
        .expect("a well-formed record");
    (encoding, lines)
}

#[test]
fn agent_json_round_trips_every_sample_line() {
    let lines = sample_lines();
    assert_eq!(lines.len(), 10_000);
    let mut decoder = Decoder::new();
    let mut converted = 0;
    for (number, line) in lines.iter().enumerate() {
        let Some(json) = encode::agent_json_from_combined(line) else {
            // Only the truncated line 8899 is not a combined line.
            assert_eq!(number + 1, 8899, "line {} should convert", number + 1);
            continue;
        };
        converted += 1;
        let (encoding, decoded) = decode_all(&mut decoder, json.as_bytes());
        assert_eq!(encoding, RecordEncoding::AgentJson);
        assert_eq!(
            decoded,
            vec![(line.clone(), LineFormat::Combined)],
            "line {}",
            number + 1
        );
    }
    assert_eq!(converted, 9_999);
}

#[test]
fn kpl_and_cloudwatch_batches_carry_every_sample_line() {
    let lines = sample_lines();
    let mut decoder = Decoder::new();
    let mut decoded = Vec::new();
    for chunk in lines.chunks(250) {
        // Half of each chunk as plain user records, half as agent JSON.
        let (plain, json) = chunk.split_at(chunk.len() / 2);
        let json: Vec<String> = json
            .iter()
            .map(|l| encode::agent_json_from_combined(l).unwrap_or_else(|| l.clone()))
            .collect();
        let mut users: Vec<&[u8]> = plain.iter().map(|l| l.as_bytes()).collect();
        users.extend(json.iter().map(|l| l.as_bytes()));
        let (encoding, out) = decode_all(&mut decoder, &encode::kpl_aggregate(&users));
        assert_eq!(
            encoding,
            RecordEncoding::KplAggregated {
                records: chunk.len()
            }
        );
        decoded.extend(out.into_iter().map(|(line, _)| line));
    }
    assert_eq!(decoded, lines);

    let messages: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (encoding, out) = decode_all(&mut decoder, &encode::cloudwatch_gzip(&messages));
    assert_eq!(encoding, RecordEncoding::CloudWatchLogs { events: 10_000 });
    let out: Vec<String> = out.into_iter().map(|(line, _)| line).collect();
    assert_eq!(out, lines);
}
