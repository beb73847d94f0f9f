//! Relays' aggregate records and heartbeats among the input (a viewer reading `--kinesis AGG` or
//! `--file aggs.jsonl`): recognised by themselves and decoded as hostile input.

use super::{sample, Origin, ParsedBatch};
use crate::core::merge::record;

/// Whether `data` is a relay's record: a JSON object whose first field is `"type"` with the
/// value `"aggregate"` or `"heartbeat"` (the format puts `type` first). Recognised by itself,
/// without `--format`.
pub fn is_relay_record(data: &[u8]) -> bool {
    fn skip_ws(d: &[u8]) -> &[u8] {
        let n = d.iter().take_while(|b| b.is_ascii_whitespace()).count();
        &d[n..]
    }
    let Some(rest) = skip_ws(data).strip_prefix(b"{") else {
        return false;
    };
    let Some(rest) = skip_ws(rest).strip_prefix(b"\"type\"") else {
        return false;
    };
    let Some(rest) = skip_ws(rest).strip_prefix(b":") else {
        return false;
    };
    let rest = skip_ws(rest);
    rest.starts_with(b"\"aggregate\"") || rest.starts_with(b"\"heartbeat\"")
}

/// Decodes a relay's record into the batch; one that cannot be read is counted and sampled like
/// a malformed line (and a bad record, from a stream).
pub(super) fn take_record(
    data: &[u8],
    arrival_ms: Option<i64>,
    origin: &Origin<'_>,
    from_stream: bool,
    out: &mut ParsedBatch,
) {
    match record::decode(data) {
        Ok(r) => out.records.push((r, arrival_ms)),
        Err(e) => {
            out.lines += 1;
            out.malformed += 1;
            if from_stream {
                out.bad_records += 1;
            }
            sample(out, origin, e, data);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_records_are_recognised_by_their_first_field() {
        for yes in [
            &b"{\"type\":\"aggregate\",\"schema\":1}"[..],
            b"  { \"type\" : \"heartbeat\" }",
        ] {
            assert!(is_relay_record(yes), "{}", String::from_utf8_lossy(yes));
        }
        for no in [
            &b"{\"type\":\"window\"}"[..],
            b"{\"message\":\"{\\\"type\\\":\\\"aggregate\\\"}\"}",
            b"10.0.0.1 - - [01/Jan/2026:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1",
            b"",
        ] {
            assert!(!is_relay_record(no), "{}", String::from_utf8_lossy(no));
        }
    }
}
