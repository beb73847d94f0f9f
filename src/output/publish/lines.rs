//! `--publish file:PATH` and `--publish -`: records as JSON Lines, in the order published.

use std::io::{self, BufWriter, Write};

use super::{OutRecord, RecordTransport};
use crate::pipeline::snapshot::{PartStatus, SourceStatus};
use crate::source::status::PartState;

/// Writes each record's JSON object as one line.
pub struct LinesTransport {
    out: BufWriter<Box<dyn Write + Send>>,
    name: String,
    written: u64,
}

impl LinesTransport {
    /// `name`: the target as given (`file:aggs.jsonl`, `-`), shown in the inputs view.
    pub fn new(out: Box<dyn Write + Send>, name: String) -> Self {
        LinesTransport {
            out: BufWriter::new(out),
            name,
            written: 0,
        }
    }
}

impl RecordTransport for LinesTransport {
    fn put(&mut self, record: OutRecord) -> io::Result<()> {
        // Encoded records are single-line JSON (control characters escaped).
        self.out.write_all(&record.data)?;
        self.out.write_all(b"\n")?;
        self.written += 1;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn status(&self) -> Option<SourceStatus> {
        Some(SourceStatus {
            name: format!("publish {}", self.name),
            details: vec![PartStatus {
                name: format!("publish → {}", self.name),
                state: PartState::Published,
                records: self.written,
                ..PartStatus::default()
            }],
            ..SourceStatus::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn one_line_per_record_in_order() {
        let buf = Shared::default();
        let mut t = LinesTransport::new(Box::new(buf.clone()), "-".into());
        for data in [&b"{\"a\":1}"[..], b"{\"b\":2}"] {
            t.put(OutRecord {
                partition_key: "k".into(),
                explicit_hash_key: None,
                data: data.to_vec(),
            })
            .unwrap();
        }
        t.finish(std::time::Duration::from_secs(1)).unwrap();
        assert_eq!(&*buf.0.lock().unwrap(), b"{\"a\":1}\n{\"b\":2}\n");
        assert_eq!(t.status().unwrap().details[0].records, 2);
    }
}
