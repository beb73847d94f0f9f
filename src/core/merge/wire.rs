//! Binary parts of an aggregate record, each as base64 (standard alphabet, padded) inside the
//! JSON: HdrHistograms in the V2-deflate encoding every HdrHistogram implementation reads, host
//! hash sets, and DataSketches HLL sketches. Decoding treats its input as hostile: sizes are
//! checked before anything is allocated from them.

use std::io::Read;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use datasketches::hll::{HllSketch, HllType, HllUnion};
use flate2::read::ZlibDecoder;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::{Counter, Histogram};

use crate::core::distinct::HLL_LG_K;

/// Host hashes sent exactly, at most (32 KiB, 43,692 base64 characters); a set beyond this
/// travels as its HLL sketch (~11 KiB in base64).
pub const WIRE_EXACT_HOSTS: usize = 4096;

/// Histogram headers accepted: 1 to 3 significant digits, lowest discernible value 1 (µs) and a
/// highest trackable value of at most 2^40 µs (12.7 days): at most ~32,000 counters (256 KiB).
pub const MAX_HDR_SIGFIG: u32 = 3;
pub const MAX_HDR_HIGHEST: u64 = 1 << 40;
/// Decompressed V2 payload accepted, at most (a varint per counter is at most 9 bytes).
const MAX_HDR_INFLATED: u64 = 40 + 9 * 33 * 1024;

/// Cookie bases; the cookies as written also carry the word size (0x10) in bits 4 to 7.
const V2_COOKIE: u32 = 0x1c84_9303;
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9304;
const WORD_SIZE_BITS: u32 = 0xf0;
/// V2 header after the cookie: payload length, normalizing offset, significant digits, lowest,
/// highest (u64 each), integer-to-double ratio (f64).
const V2_HEADER: usize = 4 + 4 + 4 + 8 + 8 + 8;

/// What is wrong with a binary field.
pub type WireError = String;

/// `hist` as base64 V2-deflate.
pub fn encode_hdr<C: Counter>(hist: &Histogram<C>) -> String {
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(hist, &mut bytes)
        .expect("serializing into a Vec cannot fail for a valid histogram");
    STANDARD.encode(bytes)
}

/// A base64 V2-deflate (or plain V2) HdrHistogram, header bounds checked before any allocation.
pub fn decode_hdr<C: Counter>(text: &str) -> Result<Histogram<C>, WireError> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|e| format!("not base64: {e}"))?;
    let mut v2 = match be_u32(&bytes, 0).map(cookie_base) {
        Some(V2_COMPRESSED_COOKIE) => {
            let len = be_u32(&bytes, 4).ok_or("truncated V2-deflate header")? as usize;
            let compressed = bytes
                .get(8..8 + len)
                .ok_or("V2-deflate length runs past the data")?;
            let mut inflated = Vec::new();
            ZlibDecoder::new(compressed)
                .take(MAX_HDR_INFLATED + 1)
                .read_to_end(&mut inflated)
                .map_err(|e| format!("bad deflate data: {e}"))?;
            if inflated.len() as u64 > MAX_HDR_INFLATED {
                return Err("inflates beyond any accepted histogram".into());
            }
            inflated
        }
        Some(V2_COOKIE) => bytes,
        _ => return Err("not an HdrHistogram V2 or V2-deflate encoding".into()),
    };
    if be_u32(&v2, 0).map(cookie_base) != Some(V2_COOKIE) {
        return Err("not an HdrHistogram V2 payload".into());
    }
    // Implementations differ in the word-size bits (Java and Rust write 0x10; Python's hdrh its
    // counter size); Java ignores them, the Rust deserializer expects 0x10.
    v2[..4].copy_from_slice(&(V2_COOKIE | 0x10).to_be_bytes());
    check_v2_header(&v2)?;
    Deserializer::new()
        .deserialize(&mut v2.as_slice())
        .map_err(|e| format!("bad HdrHistogram: {e}"))
}

/// A cookie without its word-size bits, as HdrHistogram's Java implementation reads it.
fn cookie_base(cookie: u32) -> u32 {
    cookie & !WORD_SIZE_BITS
}

fn check_v2_header(v2: &[u8]) -> Result<(), WireError> {
    if v2.len() < 4 + V2_HEADER {
        return Err("truncated HdrHistogram header".into());
    }
    let field = |at: usize| be_u64(v2, at).expect("length checked");
    let payload_len = be_u32(v2, 4).expect("length checked") as usize;
    let sigfig = be_u32(v2, 12).expect("length checked");
    let (lowest, highest) = (field(16), field(24));
    if payload_len > v2.len() - 4 - V2_HEADER {
        return Err(format!(
            "HdrHistogram payload length {payload_len} runs past the {} bytes present",
            v2.len() - 4 - V2_HEADER
        ));
    }
    if !(1..=MAX_HDR_SIGFIG).contains(&sigfig) {
        return Err(format!(
            "HdrHistogram with {sigfig} significant digits (1 to {MAX_HDR_SIGFIG} accepted)"
        ));
    }
    if lowest != 1 {
        return Err(format!(
            "HdrHistogram lowest discernible value {lowest} (must be 1 µs)"
        ));
    }
    if !(2..=MAX_HDR_HIGHEST).contains(&highest) {
        return Err(format!(
            "HdrHistogram highest trackable value {highest} (2 to 2^40 µs accepted)"
        ));
    }
    Ok(())
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// Host hashes, ascending, as 8 big-endian bytes each.
pub fn encode_hashes(hashes: impl Iterator<Item = u64>) -> String {
    let mut sorted: Vec<u64> = hashes.collect();
    sorted.sort_unstable();
    let bytes: Vec<u8> = sorted.iter().flat_map(|h| h.to_be_bytes()).collect();
    STANDARD.encode(bytes)
}

/// Host hashes: at most [`WIRE_EXACT_HOSTS`], strictly ascending (so no duplicates).
pub fn decode_hashes(text: &str) -> Result<Vec<u64>, WireError> {
    // Checked before decoding: base64 takes 4 characters per 3 bytes.
    if text.len() > (WIRE_EXACT_HOSTS * 8).div_ceil(3) * 4 {
        return Err(format!("more than {WIRE_EXACT_HOSTS} exact host hashes"));
    }
    let bytes = STANDARD
        .decode(text)
        .map_err(|e| format!("not base64: {e}"))?;
    if bytes.len() % 8 != 0 {
        return Err(format!(
            "{} bytes of host hashes: not a multiple of 8",
            bytes.len()
        ));
    }
    let hashes: Vec<u64> = bytes
        .chunks_exact(8)
        .map(|c| u64::from_be_bytes(c.try_into().expect("chunks of 8")))
        .collect();
    if hashes.windows(2).any(|w| w[0] >= w[1]) {
        return Err("host hashes not strictly ascending".into());
    }
    Ok(hashes)
}

/// `sketch` in the compact HLL_4 form (the smallest; ~8 KiB at 2^14 registers).
pub fn encode_hll(sketch: &HllSketch) -> String {
    STANDARD.encode(normalized(sketch, HllType::Hll4).serialize())
}

/// A DataSketches HLL sketch from any implementation (any type, 2^4 to 2^21 registers), brought
/// to this process's precision: one with more registers is folded down to 2^14, so memory stays
/// 16 KiB whatever arrives.
pub fn decode_hll(text: &str) -> Result<HllSketch, WireError> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|e| format!("not base64: {e}"))?;
    let sketch =
        HllSketch::deserialize(&bytes).map_err(|e| format!("bad DataSketches HLL sketch: {e}"))?;
    Ok(normalized(&sketch, HllType::Hll8))
}

fn normalized(sketch: &HllSketch, hll_type: HllType) -> HllSketch {
    let mut union = HllUnion::new(HLL_LG_K).expect("HLL_LG_K is in 4..=21");
    union.update(sketch);
    union.to_sketch(hll_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_round_trip() {
        let mut h = Histogram::<u64>::new(3).unwrap();
        for v in [1, 5, 999, 1_000_001, 1 << 36] {
            h.record_n(v, 3).unwrap();
        }
        let back: Histogram<u64> = decode_hdr(&encode_hdr(&h)).unwrap();
        assert_eq!(back, h);
    }

    #[test]
    fn hostile_histogram_headers_are_refused_before_allocating() {
        let encode_v2 = |sigfig: u32, lowest: u64, highest: u64, claimed_len: u32| {
            let mut b = Vec::new();
            b.extend(V2_COOKIE.to_be_bytes());
            b.extend(claimed_len.to_be_bytes());
            b.extend(0u32.to_be_bytes());
            b.extend(sigfig.to_be_bytes());
            b.extend(lowest.to_be_bytes());
            b.extend(highest.to_be_bytes());
            b.extend(1f64.to_be_bytes());
            STANDARD.encode(b)
        };
        let err = |text: String| decode_hdr::<u64>(&text).unwrap_err();
        assert!(err(encode_v2(5, 1, 1 << 40, 0)).contains("significant digits"));
        assert!(err(encode_v2(3, 1, u64::MAX, 0)).contains("highest"));
        assert!(err(encode_v2(3, 1000, 1 << 30, 0)).contains("lowest"));
        // A payload length of 4 GB with nothing behind it.
        assert!(err(encode_v2(3, 1, 1 << 30, u32::MAX)).contains("payload length"));
        assert!(err("AAAA".into()).contains("not an HdrHistogram"));
        assert!(err("!!".into()).contains("base64"));
    }

    #[test]
    fn a_deflate_bomb_is_refused() {
        use flate2::write::ZlibEncoder;
        use std::io::Write;
        let mut z = ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&V2_COOKIE.to_be_bytes()).unwrap();
        z.write_all(&vec![0u8; 50 << 20]).unwrap();
        let compressed = z.finish().unwrap();
        let mut b = Vec::new();
        b.extend(V2_COMPRESSED_COOKIE.to_be_bytes());
        b.extend((compressed.len() as u32).to_be_bytes());
        b.extend(compressed);
        let err = decode_hdr::<u64>(&STANDARD.encode(b)).unwrap_err();
        assert!(err.contains("inflates"), "{err}");
    }

    #[test]
    fn hashes_round_trip_sorted_and_refuse_duplicates() {
        let text = encode_hashes([3u64, u64::MAX, 1].into_iter());
        assert_eq!(decode_hashes(&text).unwrap(), [1, 3, u64::MAX]);
        let dup = STANDARD.encode(
            [1u64, 1]
                .iter()
                .flat_map(|h| h.to_be_bytes())
                .collect::<Vec<_>>(),
        );
        assert!(decode_hashes(&dup).unwrap_err().contains("ascending"));
        assert!(decode_hashes(&STANDARD.encode([0u8; 7]))
            .unwrap_err()
            .contains("multiple of 8"));
        let many = encode_hashes(0..WIRE_EXACT_HOSTS as u64 + 1);
        assert!(decode_hashes(&many).unwrap_err().contains("more than"));
    }

    #[test]
    fn hll_sketches_round_trip_and_big_ones_are_folded_down() {
        let mut big = HllSketch::new(21, HllType::Hll8).unwrap();
        for i in 0..50_000u64 {
            big.update(i);
        }
        let back = decode_hll(&STANDARD.encode(big.serialize())).unwrap();
        assert_eq!(back.lg_config_k(), HLL_LG_K);
        let est = back.estimate();
        assert!((est - 50_000.0).abs() / 50_000.0 < 0.03, "{est}");
        let again = decode_hll(&encode_hll(&back)).unwrap();
        assert!((again.estimate() - est).abs() < 1e-6 * est);
        assert!(decode_hll("AAAA").is_err());
    }
}
