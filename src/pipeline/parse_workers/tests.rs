use std::collections::VecDeque;

use super::*;
use crate::enrich::{MetadataTable, SharedTable};
use crate::parse::{LogFormat, Preset};
use crate::source::Payload;

/// What the windows stage would see of one message, in comparable form.
#[derive(Debug, PartialEq)]
enum Seen {
    Batch {
        origin: String,
        counts: (u64, u64, u64),
        hits: Vec<(i64, String, String, u16, String)>,
        samples: Vec<String>,
    },
    Watermark(i64),
    Status(String),
    AllFinished,
}

fn seen(msg: StageMsg) -> Seen {
    match msg {
        StageMsg::Batch(b) => {
            let mut hits = Vec::new();
            b.for_each_hit(|h| {
                hits.push((
                    h.time,
                    h.client.to_string(),
                    h.path.to_string(),
                    h.status,
                    h.application.to_string(),
                ))
            });
            Seen::Batch {
                origin: b.origin.to_string(),
                counts: (b.lines, b.parsed, b.malformed),
                hits,
                samples: b.samples.iter().map(|s| s.origin.clone()).collect(),
            }
        }
        StageMsg::Watermark(t) => Seen::Watermark(t),
        StageMsg::Status(s) => Seen::Status(s.name),
        StageMsg::AllFinished => Seen::AllFinished,
    }
}

/// Batches of very different sizes (so workers finish out of order), with a malformed line in
/// some, and other events between them; two sources.
fn events() -> Vec<SourceEvent> {
    let mut events = Vec::new();
    for i in 0..60u64 {
        let lines = if i % 7 == 0 { 3000 } else { 1 + i % 5 };
        let mut text = String::new();
        for n in 0..lines {
            let second = i * 10 + n % 10;
            text.push_str(&format!(
                "10.{}.0.{} - - [20/Jan/2017:10:{:02}:{:02} +0000] \"GET /p{i}/{n} HTTP/1.1\" 200 5 \"-\" \"ua\"\n",
                i % 3,
                n % 250,
                second / 60,
                second % 60,
            ));
            if n == 1 && i % 4 == 0 {
                text.push_str("not a log line\n");
            }
        }
        events.push(SourceEvent::Batch(RawBatch {
            origin: if i % 2 == 0 { "a.log" } else { "b.log" }.into(),
            first_line: 1 + i * 10_000,
            received_ms: 1_484_906_700_000,
            payload: Payload::Lines(text.into_bytes()),
        }));
        if i % 9 == 0 {
            events.push(SourceEvent::Watermark(i as i64));
        }
        if i % 13 == 0 {
            events.push(SourceEvent::Status(crate::source::status::SourceStatus {
                name: format!("status {i}"),
                ..Default::default()
            }));
        }
    }
    events.insert(events.len() / 2, SourceEvent::Finished);
    events.push(SourceEvent::Finished);
    events
}

fn table() -> SharedTable {
    SharedTable::new(
        MetadataTable::from_csv(
            b"host,application\n10.1.0.0/16,one\n10.2.0.0/16,two\n",
            "m.csv",
        )
        .unwrap(),
    )
}

/// What one parser on one thread hands on for `events` (the order the windows stage relies on).
fn one_parser(format: Option<LogFormat>, events: &[SourceEvent]) -> Vec<Seen> {
    let mut parser = LineParser::new(format, table());
    let mut out = Vec::new();
    for event in events {
        match event {
            SourceEvent::Batch(b) => out.push(seen(StageMsg::Batch(parser.parse_batch(b)))),
            SourceEvent::Watermark(t) => out.push(Seen::Watermark(*t)),
            SourceEvent::Status(s) => out.push(Seen::Status(s.name.clone())),
            SourceEvent::Finished => {}
        }
    }
    out.push(Seen::AllFinished);
    out
}

fn through_workers(format: Option<LogFormat>, events: &[SourceEvent], workers: usize) -> Vec<Seen> {
    let mut queue: VecDeque<SourceEvent> = events.iter().cloned().collect();
    let (tx, rx) = crossbeam_channel::bounded(1);
    let parser = LineParser::new(format, table());
    let dispatcher = start(parser, move || queue.pop_front(), 2, tx, workers).unwrap();
    let out: Vec<Seen> = rx.iter().map(seen).collect();
    dispatcher.join().unwrap();
    out
}

#[test]
fn workers_hand_on_exactly_what_one_parser_does_in_the_same_order() {
    let events = events();
    for format in [Some(LogFormat::preset(Preset::Combined)), None] {
        let expected = one_parser(format.clone(), &events);
        assert!(expected.len() > 60);
        for workers in [1, 2, 3] {
            for _ in 0..3 {
                assert_eq!(through_workers(format.clone(), &events, workers), expected);
            }
        }
    }
}

#[test]
fn the_stage_ends_when_the_windows_stage_goes_away() {
    let events = events();
    let mut queue: VecDeque<SourceEvent> = events.iter().cloned().collect();
    let (tx, rx) = crossbeam_channel::bounded(1);
    let parser = LineParser::new(Some(LogFormat::preset(Preset::Combined)), table());
    let dispatcher = start(parser, move || queue.pop_front(), 2, tx, 2).unwrap();
    let first = rx.recv().unwrap();
    assert!(matches!(first, StageMsg::Batch(_)));
    drop(rx);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !dispatcher.is_finished() {
        assert!(
            std::time::Instant::now() < deadline,
            "the dispatcher did not end"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
