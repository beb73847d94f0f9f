//! Stage 1: raw batches → decoded lines → parsed and enriched hits, in compact owned form.
//!
//! A parsed line borrows from its batch; to hand hits to the aggregation thread without an
//! allocation per field, the fields a window needs are copied into one arena string per batch and
//! referred to by offsets.

use std::sync::Arc;
use std::time::Duration;

use crate::config::duration::Human;
use crate::core::aggregate::{AgentHashes, HitHashes};
use crate::core::hashing::KeyHasher;
use crate::core::merge::record::Record;
use crate::core::topk::{push_cut, AGENT_BYTES};
use crate::decode::{self, LineFormat};
use crate::enrich::{self, AppId, MetadataTable, SharedTable};
use crate::output::sanitize;
use crate::parse::{LogFormat, LogLine, Preset};
use crate::pipeline::snapshot::MalformedSample;
use crate::source::{Payload, RawBatch};

mod relay_records;

pub use relay_records::is_relay_record;
use relay_records::take_record;

/// How many malformed samples one batch keeps: the sample is for people, the count is exact.
const SAMPLES_PER_BATCH: usize = 8;
/// How many characters of a malformed line are kept for display.
const SAMPLE_CHARS: usize = 400;
/// Lines looked at to detect the format when none was given.
const DETECT_LINES: usize = 64;

/// A byte range in a batch's arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    start: u32,
    len: u32,
}

impl Span {
    /// A value the batch does not carry (as opposed to an empty one).
    const ABSENT: Span = Span {
        start: u32::MAX,
        len: 0,
    };

    fn get(self, arena: &str) -> &str {
        &arena[self.start as usize..(self.start + self.len) as usize]
    }

    fn get_carried(self, arena: &str) -> Option<&str> {
        (self != Span::ABSENT).then(|| self.get(arena))
    }
}

/// One enriched hit whose strings live in [`ParsedBatch::arena`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HitRecord {
    pub time: i64,
    pub app: AppId,
    pub status: u16,
    pub bytes: u64,
    pub latency_us: Option<u64>,
    client: Span,
    method: Span,
    path: Span,
    /// The raw line (cut, UTF-8), when the parser keeps lines for the recent-requests view.
    raw: Span,
    /// User agent and referer (cut), [`Span::ABSENT`] unless the parser carries them.
    user_agent: Span,
    referer: Span,
    /// The hit's keys' hashes, made here on a parse worker rather than on the one thread that
    /// records hits.
    hashes: HitHashes,
}

/// Parsed lines of one raw batch, ready for the windows.
#[derive(Debug)]
pub struct ParsedBatch {
    /// The input the lines came from (file, shard, `demo`): event time is tracked per origin.
    pub origin: Arc<str>,
    /// The newest event time among the hits.
    pub max_time: Option<i64>,
    /// The metadata table the hits were enriched with (an `AppId` is only meaningful with it).
    pub table: Arc<MetadataTable>,
    arena: String,
    pub hits: Vec<HitRecord>,
    pub lines: u64,
    pub parsed: u64,
    pub malformed: u64,
    pub bad_records: u64,
    /// Parsed lines refused for a time too far ahead of the wall clock (`--max-skew`).
    pub future: u64,
    /// Parsed lines with text after the last field (also counted in `parsed`).
    pub trailing: u64,
    pub samples: Vec<MalformedSample>,
    /// Relays' aggregate records and heartbeats (a viewer's input), with the time each arrived
    /// at its stream (epoch milliseconds; `None` from a file). Not counted as lines: the relays'
    /// heartbeats carry their counts.
    pub records: Vec<(Record, Option<i64>)>,
}

impl ParsedBatch {
    /// Calls `f` with each hit as the aggregator takes it.
    pub fn for_each_hit(&self, mut f: impl FnMut(&crate::core::Hit<'_>)) {
        self.for_each_hashed_hit(|hit, _| f(hit));
    }

    /// [`ParsedBatch::for_each_hit`] with each hit's hashes ([`HitHashes::of`] the hit).
    pub fn for_each_hashed_hit(&self, mut f: impl FnMut(&crate::core::Hit<'_>, HitHashes)) {
        for h in &self.hits {
            f(&self.hit(h), h.hashes);
        }
    }

    /// A kept hit as the aggregator takes it, its text borrowed from the batch's arena.
    fn hit<'a>(&'a self, h: &HitRecord) -> crate::core::Hit<'a> {
        crate::core::Hit {
            time: h.time,
            application: &self.table.application(h.app).name,
            client: h.client.get(&self.arena),
            method: h.method.get(&self.arena),
            path: h.path.get(&self.arena),
            status: h.status,
            bytes: h.bytes,
            latency_us: h.latency_us,
            user_agent: h.user_agent.get_carried(&self.arena),
            referer: h.referer.get_carried(&self.arena),
        }
    }

    /// Each hit with its raw line, for hits whose line was kept ([`LineParser::with_raw_lines`]).
    pub fn for_each_raw(&self, mut f: impl FnMut(&crate::core::Hit<'_>, &str)) {
        for h in self.hits.iter().filter(|h| h.raw.len > 0) {
            f(&self.hit(h), h.raw.get(&self.arena));
        }
    }
}

/// Turns raw batches into parsed batches. Owns the (possibly detected) log format.
pub struct LineParser {
    format: Option<LogFormat>,
    combined: LogFormat,
    table: SharedTable,
    /// Stream records are decoded with buffers kept from one record to the next: the decoder's
    /// scratch space, and the decoded lines of the current record (text + `(range, format)`).
    decoder: decode::Decoder,
    decoded_text: Vec<u8>,
    decoded_lines: Vec<(std::ops::Range<usize>, LineFormat)>,
    /// How far ahead of the time a batch was read an event may be (seconds).
    max_skew: i64,
    /// Copy each parsed line (cut) into the batch, for the TUI's recent requests.
    raw_lines: bool,
    /// Copy each line's user agent and referer (cut) into the batch, for the TUI's panels.
    agents: bool,
}

/// `--max-skew`'s default: 5 minutes.
pub const DEFAULT_MAX_SKEW: i64 = 300;

impl LineParser {
    /// `format`: the configured format, or `None` to detect it from the first lines.
    pub fn new(format: Option<LogFormat>, table: SharedTable) -> Self {
        LineParser {
            format,
            combined: LogFormat::preset(Preset::Combined),
            table,
            decoder: decode::Decoder::new(),
            decoded_text: Vec::new(),
            decoded_lines: Vec::new(),
            max_skew: DEFAULT_MAX_SKEW,
            raw_lines: false,
            agents: false,
        }
    }

    /// Keep each parsed line's text (cut at [`crate::pipeline::recent::LINE_BYTES`]) with its
    /// hit: the TUI shows recent raw requests; headless runs need not pay for the copy.
    pub fn with_raw_lines(mut self, keep: bool) -> Self {
        self.raw_lines = keep;
        self
    }

    /// Carry each hit's user agent and referer (cut at [`AGENT_BYTES`]) when the format has them:
    /// the TUI shows their top-k; headless output has no place for them, so it need not copy
    /// or hash them.
    pub fn with_agents(mut self, keep: bool) -> Self {
        self.agents = keep;
        self
    }

    /// Events dated more than `secs` after the wall-clock time their batch was read are refused
    /// and counted as `future` (with a sample): a wrong clock or a corrupt line, never traffic.
    pub fn with_max_skew(mut self, secs: i64) -> Self {
        self.max_skew = secs.max(0);
        self
    }

    /// The format in use, once known.
    pub fn format(&self) -> Option<&LogFormat> {
        self.format.as_ref()
    }

    /// A parser for another thread, set up as this one is (format, metadata, options) but with its
    /// own scratch space. Once the format is known, batches may be parsed by any of them.
    pub fn worker(&self) -> Self {
        LineParser {
            format: self.format.clone(),
            combined: self.combined.clone(),
            table: self.table.clone(),
            decoder: decode::Decoder::new(),
            decoded_text: Vec::new(),
            decoded_lines: Vec::new(),
            max_skew: self.max_skew,
            raw_lines: self.raw_lines,
            agents: self.agents,
        }
    }

    /// The metadata table in use now (what [`LineParser::parse_batch`] enriches with).
    pub fn table(&self) -> Arc<MetadataTable> {
        self.table.current()
    }

    pub fn parse_batch(&mut self, batch: &RawBatch) -> ParsedBatch {
        let table = self.table.current();
        self.parse_batch_with(batch, table)
    }

    /// [`LineParser::parse_batch`] enriching with `table`: batches parsed on several threads
    /// take the table in input order, so a reload never reaches a later batch before an earlier
    /// one.
    pub fn parse_batch_with(&mut self, batch: &RawBatch, table: Arc<MetadataTable>) -> ParsedBatch {
        let mut out = ParsedBatch {
            origin: batch.origin.clone(),
            max_time: None,
            table,
            arena: String::new(),
            hits: Vec::new(),
            lines: 0,
            parsed: 0,
            malformed: 0,
            bad_records: 0,
            future: 0,
            trailing: 0,
            samples: Vec::new(),
            records: Vec::new(),
        };
        let received_secs = batch.received_ms.div_euclid(1000);
        // A line that is not UTF-8 is read from a repaired copy here (allocated on first use).
        let mut lossy = String::new();
        match &batch.payload {
            Payload::Lines(bytes) => {
                let first = decode::split_lines(bytes).find(|l| !l.is_empty());
                if self.format.is_none() && !first.is_some_and(is_relay_record) {
                    self.detect(bytes);
                }
                // Host, method and path are a third of a typical line, so the arena rarely has to
                // grow (each growth copies it); a kept raw line adds up to the whole line.
                out.arena.reserve(if self.raw_lines {
                    bytes.len() * 3 / 2
                } else {
                    bytes.len() / 2
                });
                out.hits.reserve(bytes.len() / 200);
                for (i, line) in decode::split_lines(bytes).enumerate() {
                    let line_no = if batch.first_line == 0 {
                        0
                    } else {
                        batch.first_line + i as u64
                    };
                    if line.is_empty() {
                        continue;
                    }
                    let origin = Origin::Line(&batch.origin, line_no);
                    if is_relay_record(line) {
                        take_record(line, None, &origin, false, &mut out);
                        continue;
                    }
                    self.parse_one(
                        line,
                        LineFormat::Configured,
                        received_secs,
                        &origin,
                        &mut lossy,
                        &mut out,
                    );
                }
            }
            Payload::Records(records) => {
                for record in records {
                    let origin = Origin::Record(&batch.origin, &record.sequence_number);
                    if is_relay_record(&record.data) {
                        take_record(&record.data, record.arrival_ms, &origin, true, &mut out);
                        continue;
                    }
                    let (text, spans) = (&mut self.decoded_text, &mut self.decoded_lines);
                    text.clear();
                    spans.clear();
                    let result = self.decoder.decode(&record.data, &mut |line, fmt| {
                        let start = text.len();
                        text.extend_from_slice(line);
                        spans.push((start..text.len(), fmt));
                    });
                    match result {
                        Ok(_) => {
                            if self.format.is_none() {
                                let plain: Vec<&[u8]> = self
                                    .decoded_lines
                                    .iter()
                                    .filter(|(_, f)| *f == LineFormat::Configured)
                                    .map(|(r, _)| &self.decoded_text[r.clone()])
                                    .collect();
                                if !plain.is_empty() {
                                    self.format = LogFormat::detect(plain);
                                }
                            }
                            let secs = record
                                .arrival_ms
                                .map_or(received_secs, |ms| ms.div_euclid(1000));
                            for (range, fmt) in &self.decoded_lines {
                                // The decoder split at every line ending: no CR is left.
                                let line = &self.decoded_text[range.clone()];
                                if !line.is_empty() {
                                    self.parse_one(line, *fmt, secs, &origin, &mut lossy, &mut out);
                                }
                            }
                        }
                        Err(e) => {
                            out.lines += 1;
                            out.malformed += 1;
                            out.bad_records += 1;
                            sample(&mut out, &origin, e, &record.data);
                        }
                    }
                }
            }
        }
        out
    }

    fn detect(&mut self, bytes: &[u8]) {
        let sample: Vec<&[u8]> = decode::split_lines(bytes)
            .filter(|l| !l.is_empty())
            .take(DETECT_LINES)
            .collect();
        if !sample.is_empty() {
            self.format = LogFormat::detect(sample);
            if let Some(f) = &self.format {
                tracing::info!(format = f.spec(), "detected log format");
            }
        }
    }

    fn parse_one(
        &self,
        line: &[u8],
        fmt: LineFormat,
        received_secs: i64,
        origin: &Origin<'_>,
        lossy: &mut String,
        out: &mut ParsedBatch,
    ) {
        out.lines += 1;
        let format = match fmt {
            LineFormat::Combined => Some(&self.combined),
            LineFormat::Configured => self.format.as_ref(),
        };
        let Some(format) = format else {
            out.malformed += 1;
            sample(
                out,
                origin,
                "no known log format matches the first lines",
                line,
            );
            return;
        };
        match format.parse_line_lossy(line, lossy) {
            Ok(parsed) => {
                out.parsed += 1;
                let limit = received_secs.saturating_add(self.max_skew);
                if let Some(t) = parsed.time.filter(|&t| t > limit) {
                    out.future += 1;
                    let reason = format!(
                        "dated {}, {} ahead of the clock (--max-skew {})",
                        crate::output::lines::rfc3339(t),
                        Human(Duration::from_secs(
                            t.saturating_sub(received_secs).unsigned_abs()
                        )),
                        Human(Duration::from_secs(self.max_skew.unsigned_abs())),
                    );
                    sample(out, origin, &reason, line);
                    return;
                }
                let kept = Kept {
                    raw: self.raw_lines.then_some(line),
                    user_agent: self.agents && format.has_user_agent(),
                    referer: self.agents && format.has_referer(),
                };
                push_hit(out, &parsed, received_secs, kept);
                if let Some(trailing) = parsed.trailing {
                    // Counted and shown, never swallowed: it may be a second request whose
                    // status the windows cannot see.
                    out.trailing += 1;
                    sample(out, origin, TrailingReason(trailing), line);
                }
            }
            Err(e) => {
                out.malformed += 1;
                sample(out, origin, e, line);
            }
        }
    }
}

/// What a batch keeps of a line beyond what every window needs.
struct Kept<'a> {
    raw: Option<&'a [u8]>,
    user_agent: bool,
    referer: bool,
}

/// Copies what the windows need of a parsed line into the batch, the client host in its canonical
/// spelling (one host, one key), and looks its application up by that.
fn push_hit(out: &mut ParsedBatch, line: &LogLine<'_>, received_secs: i64, kept: Kept<'_>) {
    let (method, path) = match &line.request {
        Some(r) => (r.method, r.path()),
        None => ("", ""),
    };
    let start = out.arena.len();
    let address = enrich::push_canonical_host(&mut out.arena, line.client);
    let client = Span {
        start: start as u32,
        len: (out.arena.len() - start) as u32,
    };
    let app = match address {
        Some(ip) => out.table.lookup_ip(ip),
        None => out.table.lookup(client.get(&out.arena)),
    };
    let method = push_str(&mut out.arena, method);
    let path = push_str(&mut out.arena, path);
    // `-` (none sent) is a value like any other: bots and scripts often send none.
    let user_agent = if kept.user_agent {
        push_cut_str(&mut out.arena, line.user_agent.unwrap_or("-"))
    } else {
        Span::ABSENT
    };
    let referer = if kept.referer {
        push_cut_str(&mut out.arena, line.referer.unwrap_or("-"))
    } else {
        Span::ABSENT
    };
    let raw = kept.raw.map_or(Span::default(), |raw| {
        let start = out.arena.len();
        crate::pipeline::recent::push_kept_line(&mut out.arena, raw);
        Span {
            start: start as u32,
            len: (out.arena.len() - start) as u32,
        }
    });
    // As `HitHashes::of` the hit would make them (an absent value hashes to 0).
    let hash_kept = |kept: bool, span: Span| {
        if kept {
            KeyHasher.hash(span.get(&out.arena))
        } else {
            0
        }
    };
    let hashes = HitHashes {
        client: KeyHasher.hash(client.get(&out.arena)),
        path: KeyHasher.hash(path.get(&out.arena)),
        agents: AgentHashes {
            user_agent: hash_kept(kept.user_agent, user_agent),
            referer: hash_kept(kept.referer, referer),
        },
    };
    let time = line.time.unwrap_or(received_secs);
    out.max_time = Some(out.max_time.map_or(time, |t| t.max(time)));
    out.hits.push(HitRecord {
        time,
        app,
        // No status (`-`): 0, status class `other`.
        status: line.status.unwrap_or(0),
        bytes: line.bytes.unwrap_or(0),
        latency_us: line.latency_us,
        client,
        method,
        path,
        raw,
        user_agent,
        referer,
        hashes,
    });
}

/// [`push_str`] of at most [`AGENT_BYTES`], cut visibly (a user agent is whatever a client sent).
fn push_cut_str(arena: &mut String, s: &str) -> Span {
    let start = arena.len();
    push_cut(arena, s, AGENT_BYTES);
    Span {
        start: start as u32,
        len: (arena.len() - start) as u32,
    }
}

fn push_str(arena: &mut String, s: &str) -> Span {
    let start = arena.len() as u32;
    arena.push_str(s);
    Span {
        start,
        len: s.len() as u32,
    }
}

enum Origin<'a> {
    Line(&'a str, u64),
    Record(&'a str, &'a str),
}

impl std::fmt::Display for Origin<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Line(name, 0) => write!(f, "{name}"),
            Origin::Line(name, n) => write!(f, "{name}:{n}"),
            Origin::Record(shard, seq) => write!(f, "{shard} seq {seq}"),
        }
    }
}

/// Keeps a sample of a bad line while the batch has room; the reason is only formatted then.
fn sample(
    out: &mut ParsedBatch,
    origin: &Origin<'_>,
    reason: impl std::fmt::Display,
    bytes: &[u8],
) {
    if out.samples.len() < SAMPLES_PER_BATCH {
        out.samples.push(MalformedSample {
            origin: origin.to_string(),
            reason: reason.to_string(),
            text: sanitize::bytes_for_display(bytes, SAMPLE_CHARS),
        });
    }
}

/// How many characters of trailing text a sample's reason quotes (the sample's text may be cut
/// before the trailing text starts).
const TRAILING_QUOTED_CHARS: usize = 48;

/// `trailing text at byte 187: " 10.0.0.2 - - [20/Jan/2017…"`, made safe to show. It starts with
/// what it is: the malformed view shows the first words of a reason.
struct TrailingReason<'a>(crate::parse::Trailing<'a>);

impl std::fmt::Display for TrailingReason<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let quoted = sanitize::for_display(self.0.text, TRAILING_QUOTED_CHARS);
        write!(f, "trailing text at byte {}: \"{quoted}\"", self.0.offset)
    }
}

#[cfg(test)]
mod tests;
