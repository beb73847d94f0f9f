use super::encode::{self, AgentFields};
use super::*;

const LINE_A: &str = r#"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 200 203023 "http://x/" "Mozilla/5.0""#;
const LINE_B: &str =
    r#"10.0.0.2 - bob [17/May/2015:10:05:04 +0000] "POST /b?x=1 HTTP/1.0" 404 - "-" "curl/8""#;

/// Decodes with a fresh decoder; collects lines as strings with their format.
fn decode(data: &[u8]) -> Result<(RecordEncoding, Vec<(String, LineFormat)>), DecodeError> {
    let mut lines = Vec::new();
    let encoding = decode_record(data, &mut |line, format| {
        lines.push((String::from_utf8_lossy(line).into_owned(), format))
    })?;
    Ok((encoding, lines))
}

fn lines_of(data: &[u8]) -> Vec<String> {
    decode(data)
        .unwrap()
        .1
        .into_iter()
        .map(|(line, _)| line)
        .collect()
}

fn decode_err(data: &[u8]) -> DecodeError {
    let mut emitted = 0;
    let result = decode_record(data, &mut |_, _| emitted += 1);
    assert_eq!(emitted, 0, "a failing record emits no lines");
    result.expect_err("expected a decode error")
}

fn agent_line(line: &str) -> String {
    encode::agent_json_from_combined(line).expect("a combined line")
}

#[test]
fn plain_text_one_line_without_newline() {
    let (encoding, lines) = decode(LINE_A.as_bytes()).unwrap();
    assert_eq!(encoding, RecordEncoding::Text);
    assert_eq!(lines, vec![(LINE_A.to_owned(), LineFormat::Configured)]);
}

#[test]
fn plain_text_many_lines_crlf_and_blank_lines() {
    let data = format!("{LINE_A}\r\n\r\n{LINE_B}\n\n");
    assert_eq!(lines_of(data.as_bytes()), vec![LINE_A, LINE_B]);
    let data = format!("{LINE_A}\n{LINE_B}");
    assert_eq!(lines_of(data.as_bytes()), vec![LINE_A, LINE_B]);
}

#[test]
fn a_lone_cr_ends_a_line_in_every_encoding() {
    let lone_cr = format!("{LINE_A}\r{LINE_B}\r\r{LINE_A}\r");
    let three = vec![LINE_A, LINE_B, LINE_A];
    assert_eq!(lines_of(lone_cr.as_bytes()), three);
    assert_eq!(lines_of(&encode::gzip(lone_cr.as_bytes())), three);
    assert_eq!(
        lines_of(&encode::kpl_aggregate(&[lone_cr.as_bytes()])),
        three
    );
    assert_eq!(lines_of(&encode::cloudwatch_gzip(&[&lone_cr])), three);
    // Agent JSON objects separated by a lone CR are one object each.
    let json = format!("{}\r{}", agent_line(LINE_A), agent_line(LINE_B));
    assert_eq!(lines_of(json.as_bytes()), vec![LINE_A, LINE_B]);
}

#[test]
fn empty_and_blank_records_have_no_lines() {
    assert_eq!(decode(b"").unwrap(), (RecordEncoding::Text, vec![]));
    assert_eq!(decode(b"\n\r\n").unwrap(), (RecordEncoding::Text, vec![]));
}

#[test]
fn plain_text_keeps_hostile_bytes_for_the_parser_to_judge() {
    let data = b"\x1b[31mred\xff\xfe line\n";
    let mut lines = Vec::new();
    decode_record(data, &mut |line, _| lines.push(line.to_vec())).unwrap();
    assert_eq!(lines, vec![b"\x1b[31mred\xff\xfe line".to_vec()]);
}

#[test]
fn binary_records_are_errors() {
    assert_eq!(decode_err(b"abc\0def"), DecodeError::Binary { offset: 3 });
    assert_eq!(decode_err(&[0u8; 8]), DecodeError::Binary { offset: 0 });
}

#[test]
fn agent_json_is_rebuilt_as_a_combined_line() {
    let json = r#"{"host":"83.149.9.216","ident":null,"authuser":null,"datetime":"17/May/2015:10:05:03 +0000","request":"GET /a HTTP/1.1","response":"200","bytes":"203023","referer":"http://x/","agent":"Mozilla/5.0"}"#;
    let (encoding, lines) = decode(json.as_bytes()).unwrap();
    assert_eq!(encoding, RecordEncoding::AgentJson);
    assert_eq!(lines, vec![(LINE_A.to_owned(), LineFormat::Combined)]);
}

#[test]
fn agent_json_several_objects_per_record_with_nulls() {
    let data = format!("{}\n{}\n", agent_line(LINE_A), agent_line(LINE_B));
    assert!(data.contains(r#""bytes":null"#) && data.contains(r#""referer":null"#));
    assert_eq!(lines_of(data.as_bytes()), vec![LINE_A, LINE_B]);
    // CRLF, blank lines and leading spaces are fine too.
    let data = format!("  {}\r\n\r\n{}", agent_line(LINE_A), agent_line(LINE_B));
    assert_eq!(lines_of(data.as_bytes()), vec![LINE_A, LINE_B]);
}

#[test]
fn agent_json_numbers_missing_fields_aliases_and_extra_fields() {
    let json = r#"{"host":"10.0.0.1","datetime":"17/May/2015:10:05:03 +0000","request":"GET / HTTP/1.1","response":200,"bytes":512,"referrer":"http://r/","agent":"ua","privateIp":"172.31.0.5","instanceId":"i-0abc","nested":{"a":[1,2]}}"#;
    assert_eq!(
        lines_of(json.as_bytes()),
        vec![
            r#"10.0.0.1 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 512 "http://r/" "ua""#
        ]
    );
}

#[test]
fn agent_json_values_are_escaped_as_apache_would() {
    let fields = AgentFields {
        host: Some("10.0.0.1".into()),
        datetime: Some("17/May/2015:10:05:03 +0000".into()),
        request: Some("GET /q?a=\"x\"&b=\\ HTTP/1.1".into()),
        response: Some("200".into()),
        bytes: Some("1".into()),
        referer: Some("line\nbreak\ttab\u{7}bell".into()),
        agent: Some("caf\u{e9} \u{1b}[31m".into()),
        ..AgentFields::default()
    };
    let lines = lines_of(encode::agent_json(&fields).as_bytes());
    assert_eq!(
        lines,
        vec![
            r#"10.0.0.1 - - [17/May/2015:10:05:03 +0000] "GET /q?a=\"x\"&b=\\ HTTP/1.1" 200 1 "line\nbreak\ttab\x07bell" "caf\xc3\xa9 \x1b[31m""#
        ]
    );
}

#[test]
fn agent_values_already_in_apache_escaped_form_are_kept() {
    // What the agent copies from a line with escapes: the escapes themselves.
    let line = r#"10.0.0.1 - - [17/May/2015:10:05:03 +0000] "\x16\x03\x01\x00" 400 226 "a \"quoted\" \\ ref" "ua\tx""#;
    let json = agent_line(line);
    assert!(
        json.contains(r#""request":"\\x16\\x03\\x01\\x00""#),
        "{json}"
    );
    assert_eq!(lines_of(json.as_bytes()), vec![line]);
    // A backslash that starts no escape sequence is a lone one.
    let fields = AgentFields {
        host: Some("h".into()),
        request: Some("GET /\\q\\xZZ\\".into()),
        ..AgentFields::default()
    };
    assert_eq!(
        lines_of(encode::agent_json(&fields).as_bytes()),
        vec![r#"h - - [-] "GET /\\q\\xZZ\\" - - "-" "-""#]
    );
}

#[test]
fn invalid_agent_json_is_an_error_and_emits_nothing() {
    let data = format!("{}\n{{\"host\": \"10.0.0.1\", \n", agent_line(LINE_A));
    match decode_err(data.as_bytes()) {
        DecodeError::Json { line: 2, .. } => {}
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        decode_err(b"{not json}"),
        DecodeError::Json { line: 1, .. }
    ));
    assert!(matches!(
        decode_err(b"{\"host\": [1]}"),
        DecodeError::Json { line: 1, .. }
    ));
    // A JSON object that is not an agent record.
    assert_eq!(
        decode_err(br#"{"msg":"hello","level":"info"}"#),
        DecodeError::NotAgentJson { line: 1 }
    );
    // Plain text after JSON in the same record.
    let data = format!("{}\n{LINE_B}\n", agent_line(LINE_A));
    assert!(matches!(
        decode_err(data.as_bytes()),
        DecodeError::Json { line: 2, .. }
    ));
}

#[test]
fn kpl_aggregate_of_text_and_agent_json() {
    let json = agent_line(LINE_B);
    let two_lines = format!("{LINE_A}\n{LINE_B}\n");
    let data = encode::kpl_aggregate(&[LINE_A.as_bytes(), json.as_bytes(), two_lines.as_bytes()]);
    assert_eq!(&data[..4], &[0xF3, 0x89, 0x9A, 0xC2]);
    let (encoding, lines) = decode(&data).unwrap();
    assert_eq!(encoding, RecordEncoding::KplAggregated { records: 3 });
    assert_eq!(
        lines,
        vec![
            (LINE_A.to_owned(), LineFormat::Configured),
            (LINE_B.to_owned(), LineFormat::Combined),
            (LINE_A.to_owned(), LineFormat::Configured),
            (LINE_B.to_owned(), LineFormat::Configured),
        ]
    );
}

#[test]
fn kpl_aggregate_with_several_partition_keys_and_no_records() {
    let data = encode::kpl_aggregate_with_keys(&[
        ("a", LINE_A.as_bytes()),
        ("b", LINE_B.as_bytes()),
        ("a", LINE_B.as_bytes()),
    ]);
    assert_eq!(lines_of(&data), vec![LINE_A, LINE_B, LINE_B]);
    let empty = encode::kpl_aggregate(&[]);
    assert_eq!(
        decode(&empty).unwrap(),
        (RecordEncoding::KplAggregated { records: 0 }, vec![])
    );
}

/// A KPL record around `protobuf` with a correct MD5 trailer.
fn kpl_with_protobuf(protobuf: &[u8]) -> Vec<u8> {
    let mut data = KPL_MAGIC.to_vec();
    data.extend_from_slice(protobuf);
    data.extend_from_slice(&kpl::checksum(protobuf));
    data
}

#[test]
fn kpl_corruptions_are_errors() {
    let good = encode::kpl_aggregate(&[LINE_A.as_bytes(), LINE_B.as_bytes()]);

    // A flipped bit anywhere in the protobuf or the trailer breaks the checksum.
    for i in [4, good.len() / 2, good.len() - 1] {
        let mut bad = good.clone();
        bad[i] ^= 0x01;
        assert_eq!(decode_err(&bad), DecodeError::KplChecksum, "byte {i}");
    }
    // Cut short.
    assert_eq!(
        decode_err(&good[..19]),
        DecodeError::KplTruncated { len: 19 }
    );
    assert_eq!(decode_err(&good[..4]), DecodeError::KplTruncated { len: 4 });
    assert_eq!(
        decode_err(&good[..good.len() - 3]),
        DecodeError::KplChecksum
    );

    // A protobuf cut in the middle of a record, with a matching MD5.
    let protobuf = &good[4..good.len() - 16];
    let truncated = kpl_with_protobuf(&protobuf[..protobuf.len() - 5]);
    assert!(
        matches!(decode_err(&truncated), DecodeError::KplProtobuf(_)),
        "{:?}",
        decode_err(&truncated)
    );
    // Not a protobuf at all, with a matching MD5.
    let garbage = kpl_with_protobuf(&[0xff; 12]);
    assert!(matches!(decode_err(&garbage), DecodeError::KplProtobuf(_)));

    // A record pointing past the partition key table.
    use prost::Message;
    let aggregate = kpl::AggregatedRecord {
        partition_key_table: vec!["a".into()],
        explicit_hash_key_table: vec![],
        records: vec![kpl::Record {
            partition_key_index: 3,
            explicit_hash_key_index: None,
            data: LINE_A.as_bytes().to_vec(),
            tags: vec![],
        }],
    };
    let err = decode_err(&kpl_with_protobuf(&aggregate.encode_to_vec()));
    assert!(err.to_string().contains("partition key 3 of 1"), "{err}");

    // One inner record with broken agent JSON fails the aggregate, naming the record.
    let data = encode::kpl_aggregate(&[LINE_A.as_bytes(), b"{\"host\":"]);
    match decode_err(&data) {
        DecodeError::KplRecord { index: 1, source } => {
            assert!(matches!(*source, DecodeError::Json { line: 1, .. }))
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn cloudwatch_data_message_with_text_and_agent_json_events() {
    let json = agent_line(LINE_B);
    let data = encode::cloudwatch_gzip(&[LINE_A, &json, &format!("{LINE_A}\n{LINE_B}")]);
    assert_eq!(&data[..2], &[0x1F, 0x8B]);
    let (encoding, lines) = decode(&data).unwrap();
    assert_eq!(encoding, RecordEncoding::CloudWatchLogs { events: 3 });
    assert_eq!(
        lines,
        vec![
            (LINE_A.to_owned(), LineFormat::Configured),
            (LINE_B.to_owned(), LineFormat::Combined),
            (LINE_A.to_owned(), LineFormat::Configured),
            (LINE_B.to_owned(), LineFormat::Configured),
        ]
    );
}

#[test]
fn cloudwatch_control_message_has_no_lines() {
    let data = encode::cloudwatch_control_gzip();
    assert_eq!(
        decode(&data).unwrap(),
        (RecordEncoding::CloudWatchControl, vec![])
    );
}

#[test]
fn gzip_of_plain_text_or_agent_json_is_decoded_too() {
    let text = format!("{LINE_A}\n{LINE_B}\n");
    let (encoding, lines) = decode(&encode::gzip(text.as_bytes())).unwrap();
    assert_eq!(encoding, RecordEncoding::Gzip);
    assert_eq!(lines.len(), 2);
    let json = agent_line(LINE_A);
    let (encoding, lines) = decode(&encode::gzip(json.as_bytes())).unwrap();
    assert_eq!(encoding, RecordEncoding::Gzip);
    assert_eq!(lines, vec![(LINE_A.to_owned(), LineFormat::Combined)]);
}

#[test]
fn gzip_and_cloudwatch_corruptions_are_errors() {
    let good = encode::cloudwatch_gzip(&[LINE_A, LINE_B]);
    // Truncated gzip stream.
    assert!(matches!(
        decode_err(&good[..good.len() / 2]),
        DecodeError::Gzip(_)
    ));
    assert!(matches!(decode_err(&good[..2]), DecodeError::Gzip(_)));
    // Corrupted deflate data or CRC.
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 6] ^= 0xff;
    assert!(matches!(decode_err(&bad), DecodeError::Gzip(_)));
    // Garbage after the gzip magic.
    assert!(matches!(
        decode_err(b"\x1f\x8bnot really gzip"),
        DecodeError::Gzip(_)
    ));

    // Valid gzip, broken envelope JSON.
    let broken = encode::gzip(br#"{"messageType":"DATA_MESSAGE","logEvents":[{"message":"#);
    assert!(matches!(decode_err(&broken), DecodeError::CloudWatch(_)));
    let unknown = encode::gzip(br#"{"messageType":"SURPRISE","logEvents":[]}"#);
    let err = decode_err(&unknown);
    assert!(
        err.to_string().contains("unknown messageType `SURPRISE`"),
        "{err}"
    );
    let no_message = encode::gzip(br#"{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1"}]}"#);
    assert!(matches!(
        decode_err(&no_message),
        DecodeError::CloudWatch(_)
    ));
    // An event holding broken agent JSON fails the whole payload.
    let data = encode::cloudwatch_gzip(&[LINE_A, "{\"host\""]);
    assert!(matches!(
        decode_err(&data),
        DecodeError::CloudWatchEvent { index: 1, .. }
    ));
}

#[test]
fn decompression_is_bounded() {
    // 17 MiB of newlines compresses to a few KiB: refused, not inflated.
    let bomb = encode::gzip(&vec![b'\n'; MAX_DECOMPRESSED_BYTES + (1 << 20)]);
    assert!(bomb.len() < 100_000);
    assert_eq!(
        decode_err(&bomb),
        DecodeError::TooLarge {
            limit: MAX_DECOMPRESSED_BYTES
        }
    );
    // Exactly at the limit is fine.
    let edge = encode::gzip(&vec![b'\n'; MAX_DECOMPRESSED_BYTES]);
    assert_eq!(decode(&edge).unwrap(), (RecordEncoding::Gzip, vec![]));
}

#[test]
fn a_decoder_is_reused_across_mixed_records() {
    let json = agent_line(LINE_B);
    let records: Vec<Vec<u8>> = vec![
        LINE_A.as_bytes().to_vec(),
        json.clone().into_bytes(),
        encode::kpl_aggregate(&[LINE_A.as_bytes(), json.as_bytes()]),
        b"{broken".to_vec(),
        encode::cloudwatch_gzip(&[LINE_B]),
        encode::cloudwatch_control_gzip(),
    ];
    let mut decoder = Decoder::new();
    let mut lines = Vec::new();
    let mut errors = 0;
    for record in &records {
        if decoder
            .decode(record, &mut |line, _| {
                lines.push(String::from_utf8_lossy(line).into_owned())
            })
            .is_err()
        {
            errors += 1;
        }
    }
    assert_eq!(errors, 1);
    assert_eq!(lines, vec![LINE_A, LINE_B, LINE_A, LINE_B, LINE_B]);
}
