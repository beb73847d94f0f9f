//! Kinesis Agent `LOGTOJSON` / `COMBINEDAPACHELOG` objects → combined-format lines.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use super::{DecodeError, LineBuffer, LineFormat};

/// One agent object. Fields the agent found as `-` are `null`; unknown fields (such as those
/// `ADDEC2METADATA` adds) are ignored.
#[derive(Deserialize)]
struct AgentRecord<'a> {
    /// `Some(None)` for `"host": null`, `None` when there is no `host` key at all.
    #[serde(default, borrow, deserialize_with = "present")]
    host: Option<Option<Value<'a>>>,
    #[serde(default, borrow)]
    ident: Option<Value<'a>>,
    #[serde(default, borrow)]
    authuser: Option<Value<'a>>,
    #[serde(default, borrow)]
    datetime: Option<Value<'a>>,
    #[serde(default, borrow)]
    request: Option<Value<'a>>,
    #[serde(default, borrow)]
    response: Option<Value<'a>>,
    #[serde(default, borrow)]
    bytes: Option<Value<'a>>,
    /// The agent writes `referer`; hand-made `customFieldNames` often say `referrer`.
    #[serde(default, borrow, alias = "referrer")]
    referer: Option<Value<'a>>,
    #[serde(default, borrow)]
    agent: Option<Value<'a>>,
}

/// A field value: a string (borrowed when it has no JSON escapes) or a number, kept as text.
struct Value<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Value<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = Value<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, a number or null")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Value(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Value(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Value(Cow::Owned(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Value(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Value(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Value(Cow::Owned(v.to_string())))
            }
        }
        let value: Value<'de> = deserializer.deserialize_any(ValueVisitor)?;
        Ok(value)
    }
}

/// Tells a missing field (`None`, via `default`) from a `null` one (`Some(None)`).
fn present<'de: 'a, 'a, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<Value<'a>>>, D::Error> {
    Option::<Value<'a>>::deserialize(deserializer).map(Some)
}

/// Parses one agent JSON line and appends
/// `host ident authuser [datetime] "request" response bytes "referer" "agent"` to `out`.
pub(super) fn rebuild_combined(
    json: &[u8],
    line: usize,
    out: &mut LineBuffer,
) -> Result<(), DecodeError> {
    let record: AgentRecord<'_> = serde_json::from_slice(json).map_err(|e| DecodeError::Json {
        line,
        reason: e.to_string(),
    })?;
    let Some(host) = record.host else {
        return Err(DecodeError::NotAgentJson { line });
    };
    let start = out.begin_line();
    let buf = &mut out.bytes;
    push_bare(buf, host.as_ref());
    buf.push(b' ');
    push_bare(buf, record.ident.as_ref());
    buf.push(b' ');
    push_bare(buf, record.authuser.as_ref());
    buf.extend_from_slice(b" [");
    push_bare(buf, record.datetime.as_ref());
    buf.extend_from_slice(b"] ");
    push_quoted(buf, record.request.as_ref());
    buf.push(b' ');
    push_bare(buf, record.response.as_ref());
    buf.push(b' ');
    push_bare(buf, record.bytes.as_ref());
    buf.push(b' ');
    push_quoted(buf, record.referer.as_ref());
    buf.push(b' ');
    push_quoted(buf, record.agent.as_ref());
    out.end_line(start, LineFormat::Combined);
    Ok(())
}

fn push_bare(buf: &mut Vec<u8>, value: Option<&Value<'_>>) {
    match value {
        Some(Value(text)) if !text.is_empty() => escape_like_apache(buf, text),
        _ => buf.push(b'-'),
    }
}

fn push_quoted(buf: &mut Vec<u8>, value: Option<&Value<'_>>) {
    buf.push(b'"');
    push_bare(buf, value);
    buf.push(b'"');
}

/// Writes a value so that the rebuilt line reads back as Apache would have logged it.
///
/// The agent copies text from between the delimiters of the original line, so its values are
/// usually in Apache's escaped form already (`\"`, `\\`, `\xhh`, `\n`, …): such escape
/// sequences are kept as they are. Everything else is escaped like `ap_escape_logitem` does: a
/// lone `"` or `\` gets a backslash, `\b \n \r \t \v` their C escapes, other non-printable bytes
/// (controls, DEL, non-ASCII) `\xhh`. The result stays on one line and its quotes delimit.
pub(crate) fn escape_like_apache(buf: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\\' => {
                let kept = escape_sequence_len(&bytes[i..]);
                if kept > 0 {
                    buf.extend_from_slice(&bytes[i..i + kept]);
                    i += kept;
                    continue;
                }
                buf.extend_from_slice(b"\\\\");
            }
            b'"' => buf.extend_from_slice(b"\\\""),
            0x08 => buf.extend_from_slice(b"\\b"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            0x0b => buf.extend_from_slice(b"\\v"),
            0x20..=0x7e => buf.push(b),
            _ => buf.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[(b >> 4) as usize],
                HEX[(b & 15) as usize],
            ]),
        }
        i += 1;
    }
}

/// The length of the Apache escape sequence `text` starts with (`\"`, `\\`, `\n`, `\xhh`, …),
/// or 0 when its backslash is a lone one.
fn escape_sequence_len(text: &[u8]) -> usize {
    match text {
        [b'\\', b'"' | b'\\' | b'b' | b'n' | b'r' | b't' | b'v', ..] => 2,
        [b'\\', b'x', h1, h2, ..] if h1.is_ascii_hexdigit() && h2.is_ascii_hexdigit() => 4,
        _ => 0,
    }
}
