//! Building records in each encoding the decoder reads: used by tests, the Kinesis integration
//! tests and the load benchmark to put realistic records on a stream.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use prost::Message;

use super::kpl::{checksum, AggregatedRecord, Record};
use super::KPL_MAGIC;

/// A KPL aggregate of `records` (all with partition key `kinetop`), with its MD5 trailer.
pub fn kpl_aggregate(records: &[&[u8]]) -> Vec<u8> {
    let keyed: Vec<(&str, &[u8])> = records.iter().map(|data| ("kinetop", *data)).collect();
    kpl_aggregate_with_keys(&keyed)
}

/// A KPL aggregate of `(partition key, data)` user records, with its MD5 trailer.
pub fn kpl_aggregate_with_keys(records: &[(&str, &[u8])]) -> Vec<u8> {
    let mut aggregate = AggregatedRecord::default();
    for (key, data) in records {
        let index = match aggregate.partition_key_table.iter().position(|k| k == key) {
            Some(index) => index,
            None => {
                aggregate.partition_key_table.push((*key).to_owned());
                aggregate.partition_key_table.len() - 1
            }
        };
        aggregate.records.push(Record {
            partition_key_index: index as u64,
            explicit_hash_key_index: None,
            data: data.to_vec(),
            tags: Vec::new(),
        });
    }
    let protobuf = aggregate.encode_to_vec();
    let mut out = Vec::with_capacity(KPL_MAGIC.len() + protobuf.len() + 16);
    out.extend_from_slice(&KPL_MAGIC);
    out.extend_from_slice(&protobuf);
    out.extend_from_slice(&checksum(&protobuf));
    out
}

/// gzip of `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(bytes)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

/// A gzip'd CloudWatch Logs subscription `DATA_MESSAGE` with one log event per message.
pub fn cloudwatch_gzip(messages: &[&str]) -> Vec<u8> {
    let events: Vec<serde_json::Value> = messages
        .iter()
        .enumerate()
        .map(|(i, message)| {
            serde_json::json!({
                "id": format!("{:056}", i),
                "timestamp": 1_431_857_100_000i64 + i as i64,
                "message": message,
            })
        })
        .collect();
    gzip(&envelope("DATA_MESSAGE", events))
}

/// A gzip'd CloudWatch Logs `CONTROL_MESSAGE` (sent when a subscription is created).
pub fn cloudwatch_control_gzip() -> Vec<u8> {
    let events = vec![serde_json::json!({
        "id": "",
        "timestamp": 1_431_857_100_000i64,
        "message": "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.",
    })];
    gzip(&envelope("CONTROL_MESSAGE", events))
}

fn envelope(message_type: &str, events: Vec<serde_json::Value>) -> Vec<u8> {
    let owner = if message_type == "CONTROL_MESSAGE" {
        "CloudwatchLogs"
    } else {
        "123456789012"
    };
    serde_json::to_vec(&serde_json::json!({
        "messageType": message_type,
        "owner": owner,
        "logGroup": "/kinetop/apache/access",
        "logStream": "i-0123456789abcdef0",
        "subscriptionFilters": ["kinetop"],
        "logEvents": events,
    }))
    .expect("JSON values serialize")
}

/// The fields of a combined-format line as the Kinesis Agent's `COMBINEDAPACHELOG` sees them:
/// the text between the delimiters, `None` where the log had `-`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentFields {
    pub host: Option<String>,
    pub ident: Option<String>,
    pub authuser: Option<String>,
    pub datetime: Option<String>,
    pub request: Option<String>,
    pub response: Option<String>,
    pub bytes: Option<String>,
    pub referer: Option<String>,
    pub agent: Option<String>,
    /// Extra fields, e.g. what `ADDEC2METADATA` adds (`privateIp`, `instanceId`, …).
    pub extra: Vec<(String, String)>,
}

impl AgentFields {
    /// Splits a combined-format line (`%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`)
    /// as the agent does; `None` when it is not one (e.g. truncated). Quoted values keep their
    /// Apache escapes (`\"`, `\xhh`, …), as the agent copies them.
    pub fn from_combined(line: &str) -> Option<AgentFields> {
        let mut rest = line;
        let host = bare(&mut rest)?;
        let ident = bare(&mut rest)?;
        let authuser = bare(&mut rest)?;
        let datetime = {
            let inner = rest.strip_prefix('[')?;
            let end = inner.find(']')?;
            rest = inner[end + 1..].strip_prefix(' ')?;
            Some(inner[..end].to_owned())
        };
        let request = quoted(&mut rest)?;
        rest = rest.strip_prefix(' ')?;
        let response = bare(&mut rest)?;
        let bytes = bare(&mut rest)?;
        let referer = quoted(&mut rest)?;
        rest = rest.strip_prefix(' ')?;
        let agent = quoted(&mut rest)?;
        if !rest.trim().is_empty() {
            return None;
        }
        Some(AgentFields {
            host,
            ident,
            authuser,
            datetime,
            request,
            response,
            bytes,
            referer,
            agent,
            extra: Vec::new(),
        })
    }
}

/// A token up to the next space (consumed); `None` inside for `-`.
fn bare(rest: &mut &str) -> Option<Option<String>> {
    let end = rest.find(' ').unwrap_or(rest.len());
    let token = &rest[..end];
    *rest = rest[end..].strip_prefix(' ').unwrap_or(&rest[end..]);
    if token.is_empty() {
        return None;
    }
    Some((token != "-").then(|| token.to_owned()))
}

/// A `"…"` value (consumed up to its closing quote), kept in its escaped form as the agent
/// keeps it; `None` inside for `-`.
fn quoted(rest: &mut &str) -> Option<Option<String>> {
    let inner = rest.strip_prefix('"')?;
    let bytes = inner.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let value = &inner[..i];
                *rest = &inner[i + 1..];
                return Some((value != "-").then(|| value.to_owned()));
            }
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// The JSON object the Kinesis Agent (`LOGTOJSON`, `COMBINEDAPACHELOG`) writes for `fields`,
/// with the fields in the agent's order.
pub fn agent_json(fields: &AgentFields) -> String {
    let named = [
        ("host", &fields.host),
        ("ident", &fields.ident),
        ("authuser", &fields.authuser),
        ("datetime", &fields.datetime),
        ("request", &fields.request),
        ("response", &fields.response),
        ("bytes", &fields.bytes),
        ("referer", &fields.referer),
        ("agent", &fields.agent),
    ];
    let extra = fields
        .extra
        .iter()
        .map(|(name, value)| (name.as_str(), Some(value)));
    let members: Vec<String> = named
        .into_iter()
        .map(|(name, value)| (name, value.as_ref()))
        .chain(extra)
        .map(|(name, value)| {
            let value = value.map_or(serde_json::Value::Null, |v| {
                serde_json::Value::String(v.clone())
            });
            format!("{}:{}", serde_json::Value::from(name), value)
        })
        .collect();
    format!("{{{}}}", members.join(","))
}

/// The agent JSON for a combined-format line; `None` when the line is not one.
pub fn agent_json_from_combined(line: &str) -> Option<String> {
    AgentFields::from_combined(line).map(|fields| agent_json(&fields))
}
