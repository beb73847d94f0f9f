use super::*;
use crate::decode::encode;
use crate::enrich::MetadataTable;
use crate::source::StreamRecord;

const LINE: &str =
    r#"10.1.2.3 - - [20/Jan/2017:10:05:00 +0000] "GET /a?x=1 HTTP/1.1" 200 512 "-" "curl/8""#;

fn record(data: Vec<u8>, seq: &str) -> StreamRecord {
    StreamRecord {
        data,
        sequence_number: seq.into(),
        arrival_ms: Some(1_484_906_700_000),
    }
}

#[test]
fn stream_records_of_every_encoding_become_hits() {
    let table =
        MetadataTable::from_csv(b"host,application\n10.0.0.0/8,checkout\n", "m.csv").unwrap();
    // No --format: detected from the plain lines of the first records.
    let mut parser = LineParser::new(None, SharedTable::new(table));
    let plain = format!("{LINE}\r\n{LINE}\n");
    let agent = encode::agent_json_from_combined(LINE).unwrap();
    let kpl = encode::kpl_aggregate(&[LINE.as_bytes(), agent.as_bytes()]);
    let mut corrupt = kpl.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xff; // MD5 no longer matches
    let batch = RawBatch {
        origin: "shardId-000000000000".into(),
        first_line: 0,
        received_ms: 0,
        payload: Payload::Records(vec![
            record(plain.into_bytes(), "1"),
            record(agent.into_bytes(), "2"),
            record(kpl, "3"),
            record(encode::cloudwatch_gzip(&[LINE, LINE, LINE]), "4"),
            record(encode::cloudwatch_control_gzip(), "5"),
            record(corrupt, "6"),
        ]),
    };
    let out = parser.parse_batch(&batch);
    assert!(
        parser.format().is_some(),
        "format detected from the plain lines"
    );
    assert_eq!(
        (out.lines, out.parsed, out.malformed, out.bad_records),
        (9, 8, 1, 1)
    );
    assert_eq!(out.samples.len(), 1);
    assert_eq!(out.samples[0].origin, "shardId-000000000000 seq 6");
    let mut paths = Vec::new();
    out.for_each_hit(|h| {
        assert_eq!(
            (h.application, h.client, h.status, h.time),
            ("checkout", "10.1.2.3", 200, 1_484_906_700)
        );
        paths.push(h.path.to_string());
    });
    assert_eq!(paths, vec!["/a"; 8]);
    assert_eq!(out.max_time, Some(1_484_906_700));
    // The hashes made with each hit are the hit's own.
    let mut hashed = 0;
    out.for_each_hashed_hit(|h, hashes| {
        assert_eq!(hashes, crate::core::aggregate::HitHashes::of(h));
        hashed += 1;
    });
    assert_eq!(hashed, 8);
}

/// A file batch read a minute after `LINE`'s time.
fn file_batch(text: String) -> RawBatch {
    RawBatch {
        origin: "f.log".into(),
        first_line: 1,
        received_ms: 1_484_906_760_000,
        payload: Payload::Lines(text.into_bytes()),
    }
}

fn combined_parser() -> LineParser {
    LineParser::new(
        Some(LogFormat::preset(Preset::Combined)),
        SharedTable::new(MetadataTable::empty()),
    )
}

#[test]
fn a_lone_cr_ends_a_line_like_lf_and_crlf() {
    let mut parser = combined_parser();
    let out = parser.parse_batch(&file_batch(format!("{LINE}\r").repeat(1000)));
    assert_eq!((out.lines, out.parsed, out.malformed), (1000, 1000, 0));
    assert_eq!(out.hits.len(), 1000);

    // Empty lines are numbered but not counted: the bad line is line 6 of the file.
    let mixed = format!("{LINE}\n{LINE}\r\n\r\n{LINE}\r\rbad line\n{LINE}");
    let out = parser.parse_batch(&file_batch(mixed));
    assert_eq!((out.lines, out.parsed, out.malformed), (5, 4, 1));
    assert_eq!(out.samples[0].origin, "f.log:6");
    assert_eq!(out.samples[0].text, "bad line");

    // A stream record of plain text splits the same way.
    let batch = RawBatch {
        origin: "shardId-000000000000".into(),
        first_line: 0,
        received_ms: 0,
        payload: Payload::Records(vec![record(format!("{LINE}\r{LINE}\r{LINE}").into(), "1")]),
    };
    let out = parser.parse_batch(&batch);
    assert_eq!((out.lines, out.parsed, out.malformed), (3, 3, 0));
}

#[test]
fn a_dash_status_is_a_request_of_class_other_whose_bytes_count() {
    let mut parser = combined_parser();
    let no_status = LINE.replace("\" 200 512 ", "\" - 512 ");
    let out = parser.parse_batch(&file_batch(format!("{no_status}\n{LINE}\n")));
    assert_eq!((out.lines, out.parsed, out.malformed), (2, 2, 0));
    let mut windows = crate::core::Aggregator::new(crate::core::WindowConfig::default());
    out.for_each_hit(|hit| {
        windows.record(hit);
    });
    windows.flush();
    let final_windows = windows.take_final();
    let app = &final_windows[0].apps[0];
    assert_eq!((app.requests, app.bytes), (2, 1024));
    assert_eq!((app.status.other, app.status.c2xx), (1, 1));
    assert_eq!(app.status_codes, vec![(0, 1), (200, 1)]);
}

#[test]
fn invalid_utf8_in_a_quoted_field_is_replaced_not_malformed() {
    let mut parser = combined_parser();
    let mut text = Vec::new();
    text.extend_from_slice(LINE.replace("/a?x=1", "/caf\u{e9}").as_bytes());
    let e_acute = text.iter().position(|&b| b == 0xc3).unwrap();
    text.drain(e_acute + 1..e_acute + 2); // `é` loses its continuation byte
    text.extend_from_slice(b"\n\xff");
    text.extend_from_slice(LINE.as_bytes());
    let batch = RawBatch {
        payload: Payload::Lines(text),
        ..file_batch(String::new())
    };
    let out = parser.parse_batch(&batch);
    assert_eq!((out.lines, out.parsed, out.malformed), (2, 1, 1));
    out.for_each_hit(|h| assert_eq!(h.path, "/caf\u{fffd}"));
    assert_eq!(out.samples[0].origin, "f.log:2");
    assert_eq!(out.samples[0].reason, "field %h is not valid UTF-8");
    assert!(out.samples[0].text.starts_with("\\xff10.1.2.3 - -"));
}

#[test]
fn text_after_the_last_field_is_counted_and_sampled() {
    let mut parser = combined_parser();
    let second = LINE.replace(" 200 ", " 500 ");
    let text = format!("{LINE} {second}\n{LINE}\n{LINE} \u{1b}[2J junk\n{LINE}  \n");
    let out = parser.parse_batch(&file_batch(text));
    assert_eq!(
        (out.lines, out.parsed, out.malformed, out.trailing),
        (4, 4, 0, 2)
    );
    // Each line counts once, with its first record: the 500 is not a request of its own.
    let mut statuses = Vec::new();
    out.for_each_hit(|h| statuses.push(h.status));
    assert_eq!(statuses, [200; 4]);
    assert_eq!(out.samples.len(), 2);
    assert_eq!(out.samples[0].origin, "f.log:1");
    assert_eq!(
        out.samples[0].reason,
        format!(
            r#"trailing text at byte {}: " 10.1.2.3 - - [20/Jan/2017:10:05:00 +0000] "GET …""#,
            LINE.len()
        )
    );
    assert!(out.samples[0].text.starts_with(LINE));
    // Terminal controls in the quoted text are escaped like the sample's text.
    assert_eq!(out.samples[1].origin, "f.log:3");
    assert!(
        out.samples[1].reason.ends_with(r#": " \x1b[2J junk""#),
        "{}",
        out.samples[1].reason
    );
}

#[test]
fn hosts_are_counted_by_identity_not_by_spelling() {
    let table = MetadataTable::from_csv(
        b"host,application\n10.0.0.0/8,checkout\n2001:db8::/32,search\nweb-1.example.com,static\n",
        "m.csv",
    )
    .unwrap();
    let mut parser = LineParser::new(
        Some(LogFormat::preset(Preset::Combined)),
        SharedTable::new(table),
    );
    let clients = [
        "2001:db8::1",
        "2001:0db8:0:0:0:0:0:1",
        "2001:DB8::1",
        "::ffff:10.1.2.3",
        "10.1.2.3",
        "Web-1.Example.COM",
        "web-1.example.com.",
    ];
    let text: Vec<String> = clients
        .iter()
        .map(|c| LINE.replacen("10.1.2.3", c, 1))
        .collect();
    let out = parser.parse_batch(&file_batch(text.join("\n")));
    assert_eq!((out.lines, out.parsed), (7, 7));
    let mut windows = crate::core::Aggregator::new(crate::core::WindowConfig::default());
    out.for_each_hit(|hit| {
        windows.record(hit);
    });
    windows.flush();
    let final_windows = windows.take_final();
    let apps: Vec<(&str, u64, u64, &str, u64)> = final_windows[0]
        .apps
        .iter()
        .map(|a| {
            let top = &a.top_callers[0];
            (
                a.application.as_ref(),
                a.requests,
                a.hosts,
                top.host.as_ref(),
                top.requests,
            )
        })
        .collect();
    assert_eq!(
        apps,
        [
            // The IPv4-mapped caller is the IPv4 host and matches its IPv4 row.
            ("checkout", 2, 1, "10.1.2.3", 2),
            ("search", 3, 1, "2001:db8::1", 3),
            ("static", 2, 1, "web-1.example.com", 2),
        ]
    );
}

#[test]
fn user_agents_and_referers_are_carried_only_when_asked_and_logged() {
    let giant = "A".repeat(10_000);
    let hostile = r"\x1b]0;pwned\x07 \x1b[31mred";
    let text = format!(
        "{LINE}\n\
         10.1.2.3 - - [20/Jan/2017:10:05:00 +0000] \"GET / HTTP/1.1\" 200 1 \"https://r/\" \"-\"\n\
         10.1.2.3 - - [20/Jan/2017:10:05:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"{giant}\"\n\
         10.1.2.3 - - [20/Jan/2017:10:05:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"{hostile}\"\n"
    );
    let carried = |parser: &mut LineParser, text: &str| {
        let mut seen = Vec::new();
        parser
            .parse_batch(&file_batch(text.to_string()))
            .for_each_hit(|h| {
                seen.push((
                    h.user_agent.map(str::to_owned),
                    h.referer.map(str::to_owned),
                ))
            });
        seen
    };
    // Headless: not carried at all.
    let seen = carried(&mut combined_parser(), &text);
    assert!(seen.iter().all(|(a, r)| a.is_none() && r.is_none()));

    let seen = carried(&mut combined_parser().with_agents(true), &text);
    assert_eq!(seen[0], (Some("curl/8".into()), Some("-".into())));
    // `-` is a value: the client sent none.
    assert_eq!(seen[1], (Some("-".into()), Some("https://r/".into())));
    // A giant agent is cut at AGENT_BYTES, visibly.
    let cut = seen[2].0.as_deref().unwrap();
    assert_eq!(cut.len(), AGENT_BYTES - 3 + '…'.len_utf8());
    assert!(cut.ends_with('…') && cut.starts_with("AAAA"));
    // Kept as logged (escaped): the view makes it safe to show.
    assert_eq!(seen[3].0.as_deref(), Some(hostile));

    // The hashes made with each hit (on a parse worker) are the hit's own, agents included.
    let mut parser = combined_parser().with_agents(true);
    let batch = parser.parse_batch(&file_batch(text.clone()));
    let mut hashed = 0;
    batch.for_each_hashed_hit(|h, hashes| {
        assert_eq!(hashes, crate::core::aggregate::HitHashes::of(h));
        assert_ne!(hashes.agents.user_agent, 0);
        hashed += 1;
    });
    assert_eq!(hashed, 4);

    // A format without the fields carries nothing, rather than `-` for every line.
    let mut common = LineParser::new(
        Some(LogFormat::preset(Preset::Common)),
        SharedTable::new(MetadataTable::empty()),
    )
    .with_agents(true);
    let line = "10.1.2.3 - - [20/Jan/2017:10:05:00 +0000] \"GET / HTTP/1.1\" 200 1\n";
    let seen = carried(&mut common, line);
    assert_eq!(seen, vec![(None, None)]);
}
