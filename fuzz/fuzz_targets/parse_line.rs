//! Fuzzes the log-line parser: every preset on the raw input, and the input's first line compiled
//! as a LogFormat string and run on the remaining lines. Nothing may panic.
//!
//! `cargo +nightly fuzz run parse_line` (from the repository root, with cargo-fuzz installed).
#![no_main]

use kinetop::parse::{unescape, LogFormat, Preset};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for preset in Preset::ALL {
        let format = LogFormat::preset(preset);
        check(&format, data);
    }
    let _ = LogFormat::detect(data.split(|&b| b == b'\n'));

    let (spec, lines) = match data.iter().position(|&b| b == b'\n') {
        Some(end) => (&data[..end], &data[end + 1..]),
        None => (data, &b""[..]),
    };
    if let Ok(spec) = std::str::from_utf8(spec) {
        assert_eq!(
            LogFormat::new(spec).is_ok(),
            LogFormat::new_untimed(spec).is_ok_and(|f| f.has_time())
        );
        if let Ok(format) = LogFormat::new_untimed(spec) {
            assert!(LogFormat::new_untimed(format.spec()).is_ok());
            for line in lines.split(|&b| b == b'\n') {
                check(&format, line);
            }
        }
    }
});

fn check(format: &LogFormat, line: &[u8]) {
    let lenient = format.parse_line(line);
    let mut scratch = String::new();
    let lossy = format.parse_line_lossy(line, &mut scratch);
    if std::str::from_utf8(line).is_ok() {
        // On UTF-8 the lossy entry point is the lenient one.
        assert_eq!(&lossy, &lenient, "lossy and lenient differ: {line:?}");
    } else if let Ok(parsed) = &lossy {
        // A replaced byte is never part of a client host.
        assert!(!parsed.client.contains('\u{fffd}'), "{line:?}");
    }
    if let Ok(strict) = format.parse_line_strict(line) {
        // What the strict parser accepts, the lenient one accepts too.
        assert!(
            lenient.is_ok(),
            "strict accepted, lenient refused: {line:?}"
        );
        let _ = strict;
    }
    if let Ok(parsed) = lenient {
        for field in [parsed.referer, parsed.user_agent, parsed.request_line]
            .into_iter()
            .flatten()
        {
            let _ = unescape(field);
        }
        if let Some(request) = parsed.request {
            let _ = request.path();
        }
    }
}
