//! Decoding never panics on arbitrary bytes (hostile records), and text carried in any
//! container comes out line for line.

use kinetop::decode::{decode_record, encode, LineFormat};
use proptest::prelude::*;

fn decode_lines(record: &[u8]) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    decode_record(record, &mut |line, format| {
        assert_eq!(format, LineFormat::Configured);
        lines.push(line.to_vec());
    })
    .expect("a well-formed record");
    lines
}

/// Printable text lines without NUL, not starting with `{` (which would make them agent JSON).
fn text_line() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 .:/\\[\\]\"-]{1,60}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_record(&data, &mut |_, _| {});
    }

    #[test]
    fn corrupted_containers_never_panic(
        lines in prop::collection::vec(text_line(), 1..8),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let bytes: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        let texts: Vec<&str> = lines.iter().map(String::as_str).collect();
        for mut record in [encode::kpl_aggregate(&bytes), encode::cloudwatch_gzip(&texts)] {
            for (index, value) in &flips {
                let i = index.index(record.len());
                record[i] ^= value | 1;
            }
            let _ = decode_record(&record, &mut |_, _| {});
            let _ = decode_record(&record[..cut.index(record.len())], &mut |_, _| {});
        }
    }

    #[test]
    fn text_lines_survive_every_container(lines in prop::collection::vec(text_line(), 0..10)) {
        let expected: Vec<Vec<u8>> = lines
            .iter()
            .map(|l| l.as_bytes().to_vec())
            .collect();
        let joined = lines.join("\n");
        prop_assert_eq!(decode_lines(joined.as_bytes()), expected.clone());
        let bytes: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        prop_assert_eq!(decode_lines(&encode::kpl_aggregate(&bytes)), expected.clone());
        let texts: Vec<&str> = lines.iter().map(String::as_str).collect();
        prop_assert_eq!(decode_lines(&encode::cloudwatch_gzip(&texts)), expected.clone());
        prop_assert_eq!(decode_lines(&encode::gzip(joined.as_bytes())), expected);
    }
}
