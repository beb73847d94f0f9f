//! Property test: random field values, written out the way Apache writes them (a small formatter
//! with Apache's escaping, below), parsed back; every field must round-trip.

use std::net::{Ipv4Addr, Ipv6Addr};

use kinetop::parse::{unescape, LogFormat, Preset, Request};
use proptest::prelude::*;
use time::{OffsetDateTime, UtcOffset};

/// Apache's `ap_escape_logitem`: `"` and `\` and every byte that is not printable ASCII.
fn apache_escape(text: &[u8]) -> String {
    let mut out = String::new();
    for &b in text {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0b => out.push_str("\\v"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// `%t`: `[dd/Mon/yyyy:HH:MM:SS ±hhmm]` in the writer's local offset.
fn clf_time(epoch: i64, offset_minutes: i32) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let offset = UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap();
    let local = OffsetDateTime::from_unix_timestamp(epoch)
        .unwrap()
        .to_offset(offset);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let abs = offset_minutes.abs();
    format!(
        "[{:02}/{}/{:04}:{:02}:{:02}:{:02} {sign}{:02}{:02}]",
        local.day(),
        MONTHS[local.month() as usize - 1],
        local.year(),
        local.hour(),
        local.minute(),
        local.second(),
        abs / 60,
        abs % 60
    )
}

#[derive(Debug, Clone)]
enum RequestLine {
    Full {
        method: String,
        target: String,
        protocol: &'static str,
    },
    /// HTTP/0.9: no protocol.
    Simple { method: String, target: String },
    /// `-`, as on 408s.
    Dash,
    /// Bytes that are no request (a TLS handshake sent to the HTTP port).
    Junk(Vec<u8>),
}

#[derive(Debug, Clone)]
struct Entry {
    client: String,
    ident: Option<String>,
    user: Option<String>,
    epoch: i64,
    offset_minutes: i32,
    request: RequestLine,
    status: u16,
    bytes: Option<u64>,
    referer: Option<String>,
    user_agent: Option<String>,
    latency_us: Option<u64>,
    preset: Preset,
    crlf: bool,
}

fn client() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|o| Ipv4Addr::from(o).to_string()),
        any::<[u16; 8]>().prop_map(|s| Ipv6Addr::from(s).to_string()),
        // Zero runs so `::` compression shows up often.
        (any::<u16>(), 0usize..8).prop_map(|(v, i)| {
            let mut s = [0u16; 8];
            s[i] = v;
            Ipv6Addr::from(s).to_string()
        }),
        any::<[u8; 4]>().prop_map(|o| Ipv4Addr::from(o).to_ipv6_mapped().to_string()),
        "[a-z0-9][a-z0-9-]{0,20}(\\.[a-z]{2,6}){0,3}",
    ]
}

fn name() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[A-Za-z0-9_.@]{1,12}")
}

/// Any text, biased towards the characters that need escaping.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\"\\\\ \\x00-\\x1f\\x7f a-z/é€]{0,40}",
        Just(String::new()),
    ]
}

fn request() -> impl Strategy<Value = RequestLine> {
    let method = "[A-Z]{1,10}";
    // No spaces in a target: a client that sends one gets a 400 and a junk request line.
    let target = "/[^ ]{0,60}";
    prop_oneof![
        (
            method,
            target,
            prop_oneof![Just("HTTP/1.0"), Just("HTTP/1.1"), Just("HTTP/2.0")]
        )
            .prop_map(|(method, target, protocol)| RequestLine::Full {
                method,
                target,
                protocol
            }),
        (method, target).prop_map(|(method, target)| RequestLine::Simple { method, target }),
        Just(RequestLine::Dash),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(|mut bytes| {
            // A TLS record starts with 0x16: never a method character.
            bytes.insert(0, 0x16);
            RequestLine::Junk(bytes)
        }),
    ]
}

fn entry() -> impl Strategy<Value = Entry> {
    (
        (
            client(),
            name(),
            name(),
            0i64..4_000_000_000,
            -(14 * 60)..=(14 * 60),
        ),
        (request(), 100u16..1000, proptest::option::of(any::<u64>())),
        (
            proptest::option::of(text()),
            proptest::option::of(text()),
            any::<u64>(),
        ),
        (
            prop_oneof![
                Just(Preset::Common),
                Just(Preset::Combined),
                Just(Preset::CombinedD)
            ],
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (client, ident, user, epoch, offset_minutes),
                (request, status, bytes),
                (referer, user_agent, latency),
                (preset, crlf),
            )| Entry {
                client,
                ident,
                user,
                epoch,
                offset_minutes,
                request,
                status,
                bytes,
                referer,
                user_agent,
                latency_us: (preset == Preset::CombinedD).then_some(latency),
                preset,
                crlf,
            },
        )
}

fn dash_or(value: &Option<String>, escape: bool) -> String {
    match value {
        Some(v) if escape => apache_escape(v.as_bytes()),
        Some(v) => v.clone(),
        None => "-".to_owned(),
    }
}

/// Writes the entry as Apache would with the entry's preset.
fn write(entry: &Entry) -> String {
    let request = match &entry.request {
        RequestLine::Full {
            method,
            target,
            protocol,
        } => format!("{method} {} {protocol}", apache_escape(target.as_bytes())),
        RequestLine::Simple { method, target } => {
            format!("{method} {}", apache_escape(target.as_bytes()))
        }
        RequestLine::Dash => "-".to_owned(),
        RequestLine::Junk(bytes) => apache_escape(bytes),
    };
    let mut line = format!(
        "{} {} {} {} \"{request}\" {} {}",
        entry.client,
        dash_or(&entry.ident, false),
        dash_or(&entry.user, false),
        clf_time(entry.epoch, entry.offset_minutes),
        entry.status,
        entry.bytes.map_or("-".to_owned(), |b| b.to_string()),
    );
    if entry.preset != Preset::Common {
        line.push_str(&format!(
            " \"{}\" \"{}\"",
            dash_or(&entry.referer, true),
            dash_or(&entry.user_agent, true)
        ));
    }
    if let Some(latency) = entry.latency_us {
        line.push_str(&format!(" {latency}"));
    }
    if entry.crlf {
        line.push('\r');
    }
    line
}

/// A quoted header field: `None` for `-` (Apache writes `-` for a missing header and for `-`).
fn expected_header(value: &Option<String>) -> Option<String> {
    value
        .as_ref()
        .map(|v| apache_escape(v.as_bytes()))
        .filter(|escaped| escaped != "-")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_field_round_trips(entry in entry()) {
        let text = write(&entry);
        let format = LogFormat::preset(entry.preset);
        let line = format.parse_line_strict(text.as_bytes())
            .map_err(|e| TestCaseError::fail(format!("{e}: {text:?}")))?;
        let lenient = format.parse_line(text.as_bytes());
        prop_assert_eq!(lenient.as_ref(), Ok(&line));

        prop_assert_eq!(line.client, entry.client.as_str());
        prop_assert_eq!(line.ident, entry.ident.as_deref());
        prop_assert_eq!(line.user, entry.user.as_deref());
        prop_assert_eq!(line.time, Some(entry.epoch));
        prop_assert_eq!(line.status, Some(entry.status));
        prop_assert_eq!(line.bytes, Some(entry.bytes.unwrap_or(0)));
        prop_assert_eq!(line.latency_us, entry.latency_us);
        prop_assert_eq!(line.vhost, None);

        let request_line = line.request_line.unwrap();
        match &entry.request {
            RequestLine::Full { method, target, protocol } => {
                let request = line.request.unwrap();
                prop_assert_eq!(request.method, method.as_str());
                prop_assert_eq!(request.protocol, *protocol);
                prop_assert_eq!(unescape(request.target), target.as_str());
            }
            RequestLine::Simple { method, target } => {
                let Request { method: m, target: t, protocol } = line.request.unwrap();
                prop_assert_eq!(m, method.as_str());
                prop_assert_eq!(protocol, "");
                prop_assert_eq!(unescape(t), target.as_str());
            }
            RequestLine::Dash => {
                prop_assert_eq!(line.request, None);
                prop_assert_eq!(request_line, "-");
            }
            RequestLine::Junk(bytes) => {
                prop_assert_eq!(line.request, None);
                prop_assert_eq!(request_line, apache_escape(bytes));
                prop_assert_eq!(unescape(request_line), String::from_utf8_lossy(bytes));
            }
        }

        if entry.preset == Preset::Common {
            prop_assert_eq!(line.referer, None);
            prop_assert_eq!(line.user_agent, None);
        } else {
            prop_assert_eq!(line.referer.map(str::to_owned), expected_header(&entry.referer));
            prop_assert_eq!(line.user_agent.map(str::to_owned), expected_header(&entry.user_agent));
            // The escaped form decodes back to the original text.
            if let (Some(parsed), Some(original)) = (line.referer, &entry.referer) {
                prop_assert_eq!(unescape(parsed), original.as_str());
            }
            if let (Some(parsed), Some(original)) = (line.user_agent, &entry.user_agent) {
                prop_assert_eq!(unescape(parsed), original.as_str());
            }
        }
    }

    /// Whatever the bytes, parsing returns; it never panics. The lossy entry point agrees with
    /// the plain one on UTF-8 and never yields a client host with a replaced byte.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut scratch = String::new();
        for preset in Preset::ALL {
            let format = LogFormat::preset(preset);
            let plain = format.parse_line(&bytes);
            let _ = format.parse_line_strict(&bytes);
            let lossy = format.parse_line_lossy(&bytes, &mut scratch);
            if std::str::from_utf8(&bytes).is_ok() {
                prop_assert_eq!(&lossy, &plain);
            } else if let Ok(line) = &lossy {
                prop_assert!(!line.client.contains(char::REPLACEMENT_CHARACTER), "client {:?}", line.client);
            }
        }
    }

    /// Whatever the format string, compiling returns an error or a parser that never panics.
    #[test]
    fn arbitrary_format_strings_never_panic(
        spec in "([%{}<>!,0-9 \"\\\\a-zA-Z^]|%[a-zA-Z%]|%\\{[a-zA-Z-]{0,8}\\}[a-zA-Z]){0,12}",
        line in "[ -~]{0,80}",
    ) {
        // Events need a time: `new` is `new_untimed` plus that check.
        let timed = LogFormat::new(&spec).is_ok();
        let untimed = LogFormat::new_untimed(&spec);
        prop_assert_eq!(timed, untimed.as_ref().is_ok_and(LogFormat::has_time));
        if let Ok(format) = untimed {
            let _ = format.parse_line(line.as_bytes());
            let _ = format.parse_line_strict(line.as_bytes());
        }
    }
}
