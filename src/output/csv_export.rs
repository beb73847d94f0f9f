//! `e` in the TUI: the rows of the view on screen written to a CSV file (RFC 4180, a header row
//! first), in the current directory or the config's `export-dir`. A file is never overwritten:
//! the name carries the view and the time, and `-2`, `-3`… when that name is taken.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The rows of one view, ready to write: values as text, raw numbers where the view has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportTable {
    /// What the rows are (`overview`, `callers`, `paths`, `alarms`, `requests`…): part of the
    /// file name.
    pub view: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// Names tried for one export before giving up (a directory full of same-second exports).
const NAME_TRIES: u32 = 100;

/// Writes `table` into `dir` as `kinetop-<view>-<YYYYMMDD-HHMMSS>.csv` (UTC `now_secs`) and
/// returns the file's path.
pub fn write_csv(table: &ExportTable, dir: &Path, now_secs: i64) -> io::Result<PathBuf> {
    let stamp = stamp(now_secs);
    let (mut file, path) = (1..=NAME_TRIES)
        .find_map(|n| {
            let name = if n == 1 {
                format!("kinetop-{}-{stamp}.csv", table.view)
            } else {
                format!("kinetop-{}-{stamp}-{n}.csv", table.view)
            };
            let path = dir.join(name);
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => Some(Ok((file, path))),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => None,
                Err(e) => Some(Err(e)),
            }
        })
        .unwrap_or_else(|| {
            Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "every file name for this second is taken",
            ))
        })?;
    let mut writer = csv::Writer::from_writer(io::BufWriter::new(&mut file));
    writer
        .write_record(&table.headers)
        .map_err(io::Error::from)?;
    for row in &table.rows {
        writer.write_record(row).map_err(io::Error::from)?;
    }
    writer.flush()?;
    drop(writer);
    file.flush()?;
    Ok(path)
}

/// `20261202-001500` (UTC).
fn stamp(secs: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}{:02}{:02}-{:02}{:02}{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => secs.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> ExportTable {
        ExportTable {
            view: "callers",
            headers: vec!["caller", "requests", "line"],
            rows: vec![
                vec!["10.0.0.1".into(), "12".into(), "GET /a,b \"q\"".into()],
                vec!["10.0.0.2".into(), "3".into(), String::new()],
            ],
        }
    }

    #[test]
    fn writes_a_header_and_quoted_rows_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        // 2026-12-02T00:15:00Z
        let first = write_csv(&table(), dir.path(), 1_796_170_500).unwrap();
        assert_eq!(
            first.file_name().unwrap(),
            "kinetop-callers-20261202-001500.csv"
        );
        let text = std::fs::read_to_string(&first).unwrap();
        assert_eq!(
            text,
            "caller,requests,line\n10.0.0.1,12,\"GET /a,b \"\"q\"\"\"\n10.0.0.2,3,\n"
        );
        let second = write_csv(&table(), dir.path(), 1_796_170_500).unwrap();
        assert_eq!(
            second.file_name().unwrap(),
            "kinetop-callers-20261202-001500-2.csv"
        );
        assert_eq!(std::fs::read_to_string(&first).unwrap(), text);
    }

    #[test]
    fn a_missing_directory_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        assert!(write_csv(&table(), &missing, 0).is_err());
    }
}
