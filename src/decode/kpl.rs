//! KPL (Kinesis Producer Library) aggregated records: magic `F3 89 9A C2`, a protobuf
//! `AggregatedRecord`, then the MD5 of the protobuf bytes.

use md5::{Digest, Md5};
use prost::Message;

use super::{decode_text_or_json, DecodeError, LineBuffer, RecordEncoding, KPL_MAGIC};

const MD5_LEN: usize = 16;

/// `message AggregatedRecord` of the KPL's `messages.proto`.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct AggregatedRecord {
    #[prost(string, repeated, tag = "1")]
    pub partition_key_table: Vec<String>,
    #[prost(string, repeated, tag = "2")]
    pub explicit_hash_key_table: Vec<String>,
    #[prost(message, repeated, tag = "3")]
    pub records: Vec<Record>,
}

/// `message Record`: one user record inside the aggregate.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct Record {
    #[prost(uint64, required, tag = "1")]
    pub partition_key_index: u64,
    #[prost(uint64, optional, tag = "2")]
    pub explicit_hash_key_index: Option<u64>,
    #[prost(bytes = "vec", required, tag = "3")]
    pub data: Vec<u8>,
    #[prost(message, repeated, tag = "4")]
    pub tags: Vec<Tag>,
}

#[derive(Clone, PartialEq, Message)]
pub(crate) struct Tag {
    #[prost(string, required, tag = "1")]
    pub key: String,
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
}

/// The MD5 trailer of a KPL aggregate over `protobuf`.
pub(crate) fn checksum(protobuf: &[u8]) -> [u8; MD5_LEN] {
    Md5::digest(protobuf).into()
}

pub(super) fn decode(data: &[u8], out: &mut LineBuffer) -> Result<RecordEncoding, DecodeError> {
    if data.len() < KPL_MAGIC.len() + MD5_LEN {
        return Err(DecodeError::KplTruncated { len: data.len() });
    }
    let (protobuf, digest) =
        data[KPL_MAGIC.len()..].split_at(data.len() - KPL_MAGIC.len() - MD5_LEN);
    if checksum(protobuf) != digest {
        return Err(DecodeError::KplChecksum);
    }
    let aggregate =
        AggregatedRecord::decode(protobuf).map_err(|e| DecodeError::KplProtobuf(e.to_string()))?;
    for (index, record) in aggregate.records.iter().enumerate() {
        let keys = aggregate.partition_key_table.len() as u64;
        if record.partition_key_index >= keys {
            return Err(DecodeError::KplProtobuf(format!(
                "record {index} names partition key {} of {keys}",
                record.partition_key_index
            )));
        }
        if let Some(hash_key) = record.explicit_hash_key_index {
            let hash_keys = aggregate.explicit_hash_key_table.len() as u64;
            if hash_key >= hash_keys {
                return Err(DecodeError::KplProtobuf(format!(
                    "record {index} names explicit hash key {hash_key} of {hash_keys}"
                )));
            }
        }
        decode_text_or_json(&record.data, out).map_err(|source| DecodeError::KplRecord {
            index,
            source: Box::new(source),
        })?;
    }
    Ok(RecordEncoding::KplAggregated {
        records: aggregate.records.len(),
    })
}
