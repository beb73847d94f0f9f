//! gzip'd payloads: CloudWatch Logs subscription envelopes, or plain text / agent JSON.

use std::io::Read;

use flate2::read::MultiGzDecoder;
use serde::Deserialize;

use super::{decode_text_or_json, DecodeError, LineBuffer, RecordEncoding, MAX_DECOMPRESSED_BYTES};

/// What a CloudWatch Logs subscription filter delivers (after gunzip).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    message_type: String,
    #[serde(default)]
    log_events: Vec<LogEvent>,
}

#[derive(Deserialize)]
struct LogEvent {
    message: String,
}

pub(super) fn decode_gzip(
    data: &[u8],
    inflated: &mut Vec<u8>,
    out: &mut LineBuffer,
) -> Result<RecordEncoding, DecodeError> {
    inflated.clear();
    MultiGzDecoder::new(data)
        .take(MAX_DECOMPRESSED_BYTES as u64 + 1)
        .read_to_end(inflated)
        .map_err(|e| DecodeError::Gzip(e.to_string()))?;
    if inflated.len() > MAX_DECOMPRESSED_BYTES {
        return Err(DecodeError::TooLarge {
            limit: MAX_DECOMPRESSED_BYTES,
        });
    }
    if memchr::memmem::find(inflated, b"\"messageType\"").is_none() {
        decode_text_or_json(inflated, out)?;
        return Ok(RecordEncoding::Gzip);
    }
    let envelope: Envelope =
        serde_json::from_slice(inflated).map_err(|e| DecodeError::CloudWatch(e.to_string()))?;
    match envelope.message_type.as_str() {
        "CONTROL_MESSAGE" => Ok(RecordEncoding::CloudWatchControl),
        "DATA_MESSAGE" => {
            for (index, event) in envelope.log_events.iter().enumerate() {
                decode_text_or_json(event.message.as_bytes(), out).map_err(|source| {
                    DecodeError::CloudWatchEvent {
                        index,
                        source: Box::new(source),
                    }
                })?;
            }
            Ok(RecordEncoding::CloudWatchLogs {
                events: envelope.log_events.len(),
            })
        }
        other => Err(DecodeError::CloudWatch(format!(
            "unknown messageType `{other}`"
        ))),
    }
}
