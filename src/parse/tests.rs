//! Unit tests of the parser: every directive, every escape, the awkward real-world lines.

use std::borrow::Cow;

use super::*;

const LINE: &str = r#"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36""#;
/// 17/May/2015:10:05:03 +0000
const T0: i64 = 1_431_857_103;

fn combined() -> LogFormat {
    LogFormat::preset(Preset::Combined)
}

fn parse<'a>(format: &str, line: &'a str) -> LogLine<'a> {
    LogFormat::new_untimed(format)
        .unwrap_or_else(|e| panic!("{format}: {e}"))
        .parse_line_strict(line.as_bytes())
        .unwrap_or_else(|e| panic!("{line}: {e}"))
}

fn field_error(format: &str, line: &str) -> (&'static str, usize) {
    match LogFormat::new_untimed(format)
        .unwrap()
        .parse_line_strict(line.as_bytes())
    {
        Err(ParseError::Field { field, offset }) => (field, offset),
        other => panic!("expected a field error for {line:?}, got {other:?}"),
    }
}

#[test]
fn combined_line_from_the_shared_data() {
    let line = combined().parse_line_strict(LINE.as_bytes()).unwrap();
    assert_eq!(
        line,
        LogLine {
            client: "83.149.9.216",
            ident: None,
            user: None,
            time: Some(T0),
            request: Some(Request {
                method: "GET",
                target: "/presentations/logstash-monitorama-2013/images/kibana-search.png",
                protocol: "HTTP/1.1",
            }),
            request_line: Some(
                "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1"
            ),
            status: Some(200),
            bytes: Some(203_023),
            latency_us: None,
            vhost: None,
            referer: Some("http://semicomplete.com/presentations/logstash-monitorama-2013/"),
            user_agent: Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36"),
            trailing: None,
        }
    );
}

#[test]
fn presets_by_name_and_spec() {
    for (name, preset) in [
        ("common", Preset::Common),
        ("combined", Preset::Combined),
        ("combined_D", Preset::CombinedD),
        ("combinedD", Preset::CombinedD),
    ] {
        let format = LogFormat::new_untimed(name).unwrap();
        assert_eq!(format.preset_kind(), Some(preset));
        assert_eq!(format.spec(), preset.spec());
        assert_eq!(format.name(), preset.name());
    }
    assert_eq!(
        LogFormat::preset(Preset::CombinedD).spec(),
        r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D"#
    );
    let custom = LogFormat::new_untimed("%h %>s").unwrap();
    assert_eq!(custom.spec(), "%h %>s");
    assert_eq!(custom.preset_kind(), None);
}

#[test]
fn has_latency_and_time() {
    assert!(!combined().has_latency());
    assert!(combined().has_time());
    assert!(LogFormat::preset(Preset::CombinedD).has_latency());
    assert!(LogFormat::new_untimed("%h %T").unwrap().has_latency());
    assert!(LogFormat::new_untimed("%h %{ms}T").unwrap().has_latency());
    assert!(!LogFormat::new_untimed("%h %>s").unwrap().has_time());
    assert!(LogFormat::new_untimed("%h %{sec}t").unwrap().has_time());
}

#[test]
fn common_format() {
    let line = parse(
        "common",
        r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
    );
    assert_eq!(line.client, "127.0.0.1");
    assert_eq!(line.user, Some("frank"));
    assert_eq!(line.time, Some(971_211_336));
    assert_eq!(line.request.unwrap().target, "/apache_pb.gif");
    assert_eq!(line.bytes, Some(2326));
    assert_eq!(line.referer, None);
}

#[test]
fn ident_and_user() {
    let line = parse("%l %u %h", "ident-x bob host");
    assert_eq!(line.ident, Some("ident-x"));
    assert_eq!(line.user, Some("bob"));
    let line = parse("%l %u %h", "- - host");
    assert_eq!((line.ident, line.user), (None, None));
}

#[test]
fn clients_ipv4_ipv6_and_hostnames() {
    for client in [
        "10.1.2.3",
        "2001:db8::1",
        "::ffff:10.1.2.3",
        "fe80::1%eth0",
        "::1",
        "crawl-66-249-73-135.googlebot.com",
        "localhost",
    ] {
        assert_eq!(parse("%h %>s", &format!("{client} 200")).client, client);
        assert_eq!(parse("%a %>s", &format!("{client} 200")).client, client);
        assert_eq!(parse("%{c}a %>s", &format!("{client} 200")).client, client);
    }
    // %h wins over %a wherever they are.
    assert_eq!(
        parse("%a %h", "10.0.0.1 host.example").client,
        "host.example"
    );
    assert!(matches!(
        LogFormat::new_untimed("%h %>s")
            .unwrap()
            .parse_line(b" 200"),
        Err(ParseError::Field {
            field: "%h",
            offset: 0
        })
    ));
}

#[test]
fn time_zones() {
    // The same instant, 2000-10-10T20:55:36Z, written at several offsets.
    let utc = 971_211_336;
    for stamp in [
        "[10/Oct/2000:20:55:36 +0000]",
        "[10/Oct/2000:13:55:36 -0700]",
        "[11/Oct/2000:02:25:36 +0530]",
        "[10/Oct/2000:09:25:36 -1130]",
        "[11/Oct/2000:10:55:36 +1400]",
        "[10/Oct/2000:20:55:36 -0000]",
    ] {
        assert_eq!(parse("%t", stamp).time, Some(utc), "{stamp}");
    }
    // Across a year boundary and a leap day.
    assert_eq!(
        parse("%t", "[01/Jan/2021:00:30:00 +0100]").time,
        Some(1_609_457_400)
    );
    assert_eq!(
        parse("%t", "[29/Feb/2024:12:00:00 +0000]").time,
        Some(1_709_208_000)
    );
    // Single-digit day, as some writers produce.
    assert_eq!(
        parse("%t", "[1/Jan/2021:00:00:00 +0000]").time,
        Some(1_609_459_200)
    );
}

#[test]
fn bad_times_are_malformed() {
    for stamp in [
        "[31/Feb/2021:00:00:00 +0000]",
        "[29/Feb/2023:00:00:00 +0000]",
        "[10/oct/2000:13:55:36 -0700]",
        "[10/October/2000:13:55:36 -0700]",
        "[10/Oct/2000:24:00:00 +0000]",
        "[10/Oct/2000:13:60:00 +0000]",
        "[10/Oct/2000:13:55:61 +0000]",
        "[10/Oct/2000:13:55:36 +2400]",
        "[10/Oct/2000:13:55:36 0700]",
        "[10/Oct/2000:13:55:36]",
        "10/Oct/2000:13:55:36 +0000",
        "[10/Oct/00:13:55:36 +0000]",
    ] {
        let (field, _) = field_error("%t", stamp);
        assert_eq!(field, "%t", "{stamp}");
    }
    // The offset points into the timestamp where it went wrong.
    assert_eq!(
        field_error("%h %t", "h [10/oct/2000:13:55:36 -0700]"),
        ("%t", 6)
    );
}

#[test]
fn epoch_times() {
    assert_eq!(parse("%{sec}t", "971211336").time, Some(971_211_336));
    assert_eq!(parse("%{msec}t", "971211336789").time, Some(971_211_336));
    assert_eq!(parse("%{usec}t", "971211336789123").time, Some(971_211_336));
    assert_eq!(parse("%{begin:sec}t", "971211336").time, Some(971_211_336));
    assert_eq!(
        parse("%{end:msec}t", "971211336789").time,
        Some(971_211_336)
    );
    let line = parse("%t %{msec_frac}t", "[10/Oct/2000:13:55:36 -0700] 123");
    assert_eq!(line.time, Some(971_211_336));
    assert_eq!(field_error("%{sec}t", "-"), ("%{sec}t", 0));
}

#[test]
fn strftime_times() {
    let line = parse(
        "%{%Y-%m-%dT%H:%M:%S%z}t %h",
        "2000-10-10T13:55:36-0700 host",
    );
    assert_eq!(line.time, Some(971_211_336));
    assert_eq!(line.client, "host");
    // Without an offset in the format the time is taken as UTC.
    let line = parse("[%{%d/%b/%Y %H:%M:%S}t] %>s", "[10/Oct/2000 20:55:36] 200");
    assert_eq!(line.time, Some(971_211_336));
    let line = parse("%{begin:%Y-%m-%d %H:%M:%S}t", "2000-10-10 20:55:36");
    assert_eq!(line.time, Some(971_211_336));
    assert_eq!(field_error("%{%Y-%m-%d}t", "2021-02-31"), ("%{…}t", 0));
    assert!(LogFormat::new_untimed("%{%Q}t").is_err());
}

#[test]
fn request_lines() {
    let r = parse(r#""%r""#, r#""GET /a/b?x=1&y=2 HTTP/1.1""#)
        .request
        .unwrap();
    assert_eq!(
        (r.method, r.target, r.path(), r.protocol),
        ("GET", "/a/b?x=1&y=2", "/a/b", "HTTP/1.1")
    );
    let r = parse(r#""%r""#, r#""OPTIONS * HTTP/2.0""#).request.unwrap();
    assert_eq!(
        (r.method, r.target, r.protocol),
        ("OPTIONS", "*", "HTTP/2.0")
    );
    let r = parse(r#""%r""#, r#""PRI * HTTP/2""#).request.unwrap();
    assert_eq!(r.protocol, "HTTP/2");
    // HTTP/0.9: no protocol.
    let line = parse(r#""%r""#, r#""GET /""#);
    assert_eq!(
        line.request,
        Some(Request {
            method: "GET",
            target: "/",
            protocol: ""
        })
    );
    // Escapes stay escaped in the target.
    let r = parse(r#""%r""#, r#""GET /q\"x\\y HTTP/1.1""#)
        .request
        .unwrap();
    assert_eq!(r.target, r#"/q\"x\\y"#);
}

#[test]
fn dash_request_line_of_a_408() {
    let line = combined()
        .parse_line_strict(br#"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "-" 408 - "-" "-""#)
        .unwrap();
    assert_eq!(line.request, None);
    assert_eq!(line.request_line, Some("-"));
    assert_eq!(line.status, Some(408));
    assert_eq!(line.bytes, Some(0));
    assert_eq!((line.referer, line.user_agent), (None, None));
}

#[test]
fn junk_request_lines_still_parse() {
    for junk in [
        r#"\x16\x03\x01\x02"#,
        r#"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"#,
        "GET",
        "",
        "GET  HTTP/1.1",
        "GET /a b c",
        r#"\"GET / HTTP/1.1"#,
    ] {
        let text = format!(r#"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "{junk}" 400 226 "-" "-""#);
        let line = combined()
            .parse_line_strict(text.as_bytes())
            .unwrap_or_else(|e| panic!("{junk}: {e}"));
        assert_eq!(line.request, None, "{junk}");
        assert_eq!(line.request_line, Some(junk));
        assert_eq!(line.status, Some(400));
    }
}

#[test]
fn statuses() {
    assert_eq!(parse("%>s", "200").status, Some(200));
    assert_eq!(parse("%s", "404").status, Some(404));
    assert_eq!(parse("%<s", "301").status, Some(301));
    // The final status wins over the original one, in either order.
    assert_eq!(parse("%<s %>s", "301 200").status, Some(200));
    assert_eq!(parse("%>s %s", "200 301").status, Some(200));
    // `-`: Apache's "no status" (≤ 0). The line is a request all the same; its bytes count.
    assert_eq!(parse("%>s", "-").status, None);
    let line = parse("%h %>s %b", "h - 1234");
    assert_eq!((line.status, line.bytes), (None, Some(1234)));
    assert_eq!(parse("%<s %>s", "301 -").status, None);
    assert_eq!(field_error("%>s", "20"), ("%>s", 0));
    assert_eq!(field_error("%h %>s", "h OK"), ("%>s", 2));
    assert!(matches!(
        LogFormat::new_untimed("%>s")
            .unwrap()
            .parse_line_strict(b"2000"),
        Err(ParseError::Trailing { offset: 3 })
    ));
}

#[test]
fn byte_counts() {
    assert_eq!(parse("%b", "-").bytes, Some(0));
    assert_eq!(parse("%b", "1234").bytes, Some(1234));
    assert_eq!(parse("%B", "0").bytes, Some(0));
    assert_eq!(parse("%B", "18446744073709551615").bytes, Some(u64::MAX));
    assert_eq!(field_error("%B", "-"), ("%B", 0));
    // Overflow is a mismatch, never a wrap.
    assert_eq!(field_error("%b", "18446744073709551616"), ("%b", 0));
    // %O only counts when there is no %b / %B.
    assert_eq!(parse("%I %O", "10 20").bytes, Some(20));
    assert_eq!(parse("%O %b", "20 5").bytes, Some(5));
    assert_eq!(parse("%h", "x").bytes, None);
}

#[test]
fn latencies() {
    assert_eq!(parse("%D", "1234").latency_us, Some(1234));
    assert_eq!(parse("%T", "2").latency_us, Some(2_000_000));
    assert_eq!(parse("%{s}T", "3").latency_us, Some(3_000_000));
    assert_eq!(parse("%{ms}T", "15").latency_us, Some(15_000));
    assert_eq!(parse("%{us}T", "15").latency_us, Some(15));
    // %D is more precise than %T: it wins whatever the order.
    assert_eq!(parse("%T %D", "1 1500000").latency_us, Some(1_500_000));
    assert_eq!(parse("%D %T", "1500000 1").latency_us, Some(1_500_000));
    assert_eq!(parse("%h", "x").latency_us, None);
    assert_eq!(field_error("%T", "-"), ("%T", 0));
}

#[test]
fn vhosts() {
    assert_eq!(
        parse("%v %h", "www.example.com h").vhost,
        Some("www.example.com")
    );
    assert_eq!(
        parse("%V:%p %h", "example.org:443 h").vhost,
        Some("example.org")
    );
    assert_eq!(parse("%v %h", "- h").vhost, None);
}

#[test]
fn request_and_response_headers() {
    let format = r#"%h "%{referer}i" "%{user-agent}i" "%{X-Forwarded-For}i" %{Content-Type}o"#;
    let line = parse(
        format,
        r#"h "http://a/" "curl/8.0" "1.2.3.4, 5.6.7.8" text/html"#,
    );
    assert_eq!(line.referer, Some("http://a/"));
    assert_eq!(line.user_agent, Some("curl/8.0"));
    let line = parse(format, r#"h "-" "-" "-" -"#);
    assert_eq!((line.referer, line.user_agent), (None, None));
    // Unquoted headers end at the following literal.
    let line = parse("%{Referer}i|%{User-Agent}i", "ref|ua");
    assert_eq!((line.referer, line.user_agent), (Some("ref"), Some("ua")));
}

#[test]
fn other_directives_are_parsed_and_skipped() {
    let format = "%A %f %k %L %p %P %{pid}P %q %R %X %I %O %S %{c}C %{HOME}e %{note}n %{Trailer}^ti %{Trailer}^to %{msec_frac}t %{usec_frac}t";
    let line = "10.0.0.2 /var/www/index.html 0 XyZ 443 1234 1234 ?a=1 handler + 100 200 300 cookie /root note tr tr 123 123456";
    let parsed = parse(format, line);
    assert_eq!(parsed.bytes, Some(200));
    assert_eq!(parsed.client, "");
}

#[test]
fn method_path_and_protocol_stand_in_for_a_missing_request_line() {
    let line = parse(r#""%m %U%q %H" %>s"#, r#""POST /api/v1?x=1 HTTP/1.1" 201"#);
    let request = line.request.unwrap();
    assert_eq!(
        (request.method, request.target, request.protocol),
        ("POST", "/api/v1?x=1", "HTTP/1.1")
    );
    assert_eq!(line.request_line, None);
    // With %r present, %U does not override it.
    let line = parse(r#""%r" %U"#, r#""GET /a HTTP/1.1" /b"#);
    assert_eq!(line.request.unwrap().target, "/a");
}

#[test]
fn status_conditions_are_accepted_and_ignored() {
    let line = parse(
        r#"%h %400,501{User-agent}i %!200,304,302{Referer}i "%!200r" %>s"#,
        r#"h ua ref "GET / HTTP/1.1" 200"#,
    );
    assert_eq!(line.user_agent, Some("ua"));
    assert_eq!(line.referer, Some("ref"));
    assert_eq!(line.request.unwrap().target, "/");
}

#[test]
fn percent_and_literal_text() {
    let line = parse("%% %h [x] %>s%%", "% host [x] 200%");
    assert_eq!(line.client, "host");
    assert_eq!(line.status, Some(200));
    // Non-ASCII literal text.
    let line = parse("%h → %>s", "host → 200");
    assert_eq!(line.status, Some(200));
    // httpd.conf escapes in the format string.
    let line = parse(r#"%h \"%r\"\t%>s"#, "h \"GET / HTTP/1.0\"\t200");
    assert_eq!(line.status, Some(200));
    assert_eq!(field_error("%h [%>s]", "h (200)"), ("%>s", 1));
}

#[test]
fn format_errors_name_the_byte() {
    let cases: [(&str, usize); 8] = [
        ("%h %Z", 3),
        ("%h %{Referer", 4),
        ("%h %", 3),
        ("%h %{x}a", 3),
        ("%h %{fortnights}T", 3),
        ("%h %{fortnight}t", 3),
        ("%i", 0),
        ("%h %^xx", 3),
    ];
    for (spec, offset) in cases {
        let err = LogFormat::new_untimed(spec).unwrap_err();
        assert_eq!(err.offset, Some(offset), "{spec}: {err}");
        assert!(err.to_string().contains(&format!("byte {offset}")));
    }
    assert!(LogFormat::new_untimed("%h %Z")
        .unwrap_err()
        .reason
        .contains("`%Z`"));
    let whole = LogFormat::new_untimed("no directives").unwrap_err();
    assert_eq!(whole.offset, None);
    assert_eq!(
        whole.to_string(),
        "bad log format: no % directives: nothing to parse"
    );
}

#[test]
fn a_format_without_time_is_refused_for_events() {
    for spec in ["%h", r#"%h "%r" %>s %b"#, "%h %{msec_frac}t %>s"] {
        let err = LogFormat::new(spec).unwrap_err();
        assert_eq!(err.offset, None, "{spec}");
        assert!(
            err.to_string()
                .starts_with("bad log format: no time directive (%t, %{sec}t,"),
            "{err}"
        );
        assert!(!LogFormat::new_untimed(spec).unwrap().has_time());
    }
    for spec in [
        "combined",
        "%h %t",
        "%h %{sec}t",
        "%h %{end:msec}t",
        "%h %{%Y-%m-%dT%H:%M:%S%z}t",
    ] {
        assert!(LogFormat::new(spec).is_ok(), "{spec}");
    }
}

#[test]
fn status_conditions_are_statuses_not_field_widths() {
    for (spec, offset, shown) in [
        ("%1000000000h %t", 1, "`1000000000`"),
        ("%h %5t", 4, "`5`"),
        ("%h %t %200,30{Referer}i", 11, "`30`"),
        ("%h %t %!099>s", 8, "`099`"),
        ("%h %t %4000s", 7, "`4000`"),
    ] {
        let err = LogFormat::new(spec).unwrap_err();
        assert_eq!(err.offset, Some(offset), "{spec}: {err}");
        assert!(err.reason.contains(shown), "{spec}: {err}");
        assert!(err.reason.contains("no field width"), "{err}");
    }
    let huge = format!("%h %t %{}h", "9".repeat(100_000));
    let err = LogFormat::new(&huge).unwrap_err();
    assert!(err.reason.contains("`999999999999…`"), "{err}");
    assert!(
        err.to_string().len() < 200,
        "the message quotes a bounded part"
    );
    // Valid conditions, as Apache's documentation writes them.
    assert!(LogFormat::new(r#"%h %t %400,501{User-agent}i %!200,304,302{Referer}i %>s"#).is_ok());
    assert!(LogFormat::new("%h %t %{%Y-%m-%d %H:%M:%S}t").is_ok());
}

#[test]
fn strftime_field_widths_are_refused_too() {
    let err = LogFormat::new("%h %{%1000000000Y}t").unwrap_err();
    assert_eq!(err.offset, Some(3), "{err}");
}

#[test]
fn every_escape_is_found_and_kept_escaped() {
    let escaped = r#"a\"b\\c\x1b[31m\n\t\r\v\b\xff\xc3\xa9"#;
    let text = format!(r#"h "{escaped}""#);
    let line = parse(r#"%h "%{User-Agent}i""#, &text);
    assert_eq!(line.user_agent, Some(escaped));
    assert_eq!(
        unescape(escaped),
        "a\"b\\c\u{1b}[31m\n\t\r\u{0b}\u{08}\u{fffd}é"
    );
    // A backslash right before the closing quote is escaped itself.
    let line = parse(r#""%{User-Agent}i" %>s"#, r#""ends with \\" 200"#);
    assert_eq!(line.user_agent, Some(r#"ends with \\"#));
    // An escaped quote followed by the closing literal is not the end.
    let line = parse(r#""%{Referer}i" "%{User-Agent}i""#, r#""a\" \"b" "ua""#);
    assert_eq!(line.referer, Some(r#"a\" \"b"#));
    assert_eq!(line.user_agent, Some("ua"));
}

#[test]
fn unescape_decodes_each_escape() {
    assert!(matches!(
        unescape("plain text"),
        Cow::Borrowed("plain text")
    ));
    assert_eq!(unescape(r#"\""#), "\"");
    assert_eq!(unescape(r"\\"), "\\");
    assert_eq!(unescape(r"\n"), "\n");
    assert_eq!(unescape(r"\t"), "\t");
    assert_eq!(unescape(r"\r"), "\r");
    assert_eq!(unescape(r"\v"), "\u{0b}");
    assert_eq!(unescape(r"\b"), "\u{08}");
    assert_eq!(unescape(r"\f"), "\u{0c}");
    assert_eq!(unescape(r"\x41\x7e"), "A~");
    assert_eq!(unescape(r"\xE2\x82\xAC"), "€");
    // Invalid UTF-8 after decoding becomes U+FFFD.
    assert_eq!(unescape(r"a\x80b"), "a\u{fffd}b");
    assert_eq!(unescape(r"\x16\x03\x01"), "\u{16}\u{3}\u{1}");
    // Not escapes Apache writes: kept as text.
    assert_eq!(unescape(r"\q"), r"\q");
    assert_eq!(unescape(r"\x4"), r"\x4");
    assert_eq!(unescape(r"\xzz"), r"\xzz");
    assert_eq!(unescape("trailing\\"), "trailing\\");
}

#[test]
fn crlf_and_line_endings() {
    let with_crlf = format!("{LINE}\r");
    let line = combined().parse_line_strict(with_crlf.as_bytes()).unwrap();
    assert_eq!(line.status, Some(200));
    assert!(line.user_agent.unwrap().ends_with("Safari/537.36"));
    let with_crlf_lf = format!("{LINE}\r\n");
    assert!(combined()
        .parse_line_strict(with_crlf_lf.as_bytes())
        .is_ok());
}

#[test]
fn truncated_line_is_malformed() {
    // Line 8899 of the shared data: the User-Agent has no closing quote.
    let truncated = r#"46.118.127.106 - - [20/May/2015:12:05:17 +0000] "GET /scripts/grok-py-test/configlib.py HTTP/1.1" 200 235 "-" "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html"#;
    let expected = Err(ParseError::Field {
        field: "%{User-Agent}i",
        offset: truncated.find("Mozilla").unwrap(),
    });
    assert_eq!(combined().parse_line(truncated.as_bytes()), expected);
    assert_eq!(combined().parse_line_strict(truncated.as_bytes()), expected);
    // Cut anywhere: always an error, never a panic.
    for end in 0..LINE.len() {
        let cut = &LINE.as_bytes()[..end];
        assert!(combined().parse_line(cut).is_err(), "cut at {end}");
    }
}

#[test]
fn empty_and_non_utf8_lines() {
    assert_eq!(combined().parse_line(b""), Err(ParseError::Empty));
    assert_eq!(combined().parse_line(b"\r"), Err(ParseError::Empty));
    let mut bytes = LINE.as_bytes().to_vec();
    let at = LINE.find("Mozilla").unwrap();
    bytes[at] = 0xff;
    assert_eq!(combined().parse_line(&bytes), Err(ParseError::NotUtf8));
}

#[test]
fn invalid_utf8_inside_quotes_is_replaced_outside_it_is_malformed() {
    let mut scratch = String::new();
    let mut bytes = LINE.as_bytes().to_vec();
    bytes[LINE.find("Mozilla").unwrap()] = 0xff;
    // A lead byte whose continuation is missing, in the path of the request line.
    bytes[LINE.find("/presentations").unwrap() + 1] = 0xc3;
    assert_eq!(combined().parse_line(&bytes), Err(ParseError::NotUtf8));
    let line = combined().parse_line_lossy(&bytes, &mut scratch).unwrap();
    assert!(line
        .user_agent
        .unwrap()
        .starts_with("\u{fffd}ozilla/5.0 (Macintosh"));
    let request = line.request.unwrap();
    assert!(request.target.starts_with("/\u{fffd}resentations/"));
    assert_eq!((request.method, request.protocol), ("GET", "HTTP/1.1"));
    assert_eq!(
        (line.time, line.status, line.bytes),
        (Some(T0), Some(200), Some(203_023))
    );

    // `%U` between the quotes of `"%m %U %H"` is inside quotes too.
    let format = LogFormat::new_untimed(r#"%h %t "%m %U %H" %>s"#).unwrap();
    let text = b"h [17/May/2015:10:05:03 +0000] \"GET /caf\xe9 HTTP/1.1\" 200";
    let line = format.parse_line_lossy(text, &mut scratch).unwrap();
    assert_eq!(line.request.unwrap().target, "/caf\u{fffd}");

    // Outside quotes: the client host and the user are malformed.
    let mut bad_host = LINE.as_bytes().to_vec();
    bad_host[2] = 0xff;
    assert_eq!(
        combined().parse_line_lossy(&bad_host, &mut scratch),
        Err(ParseError::FieldNotUtf8 { field: "%h" })
    );
    let bad_user = [&LINE.as_bytes()[..15], b"b\xffb", &LINE.as_bytes()[16..]].concat();
    assert_eq!(
        combined().parse_line_lossy(&bad_user, &mut scratch),
        Err(ParseError::FieldNotUtf8 { field: "%u" })
    );
    // The client host never holds a replaced byte, even between quotes.
    let format = LogFormat::new_untimed(r#""%h" %t"#).unwrap();
    assert_eq!(
        format.parse_line_lossy(b"\"h\xff\" [17/May/2015:10:05:03 +0000]", &mut scratch),
        Err(ParseError::FieldNotUtf8 { field: "%h" })
    );
    assert_eq!(
        ParseError::FieldNotUtf8 { field: "%h" }.to_string(),
        "field %h is not valid UTF-8"
    );
}

#[test]
fn valid_lines_are_read_in_place_by_the_lossy_entry_point() {
    let mut scratch = String::new();
    let with_crlf = format!("{LINE}\r\n");
    let line = combined()
        .parse_line_lossy(with_crlf.as_bytes(), &mut scratch)
        .unwrap();
    assert_eq!(line, combined().parse_line(LINE.as_bytes()).unwrap());
    assert_eq!(
        line.client.as_ptr(),
        with_crlf.as_ptr(),
        "borrowed from the input"
    );
    assert_eq!(
        combined().parse_line_lossy(b"\r\n", &mut scratch),
        Err(ParseError::Empty)
    );
}

#[test]
fn strict_versus_lenient() {
    let extra = format!("{LINE} 1234 extra");
    let lenient = combined().parse_line(extra.as_bytes()).unwrap();
    assert_eq!(
        lenient.user_agent,
        combined().parse_line(LINE.as_bytes()).unwrap().user_agent
    );
    assert_eq!(
        lenient.trailing,
        Some(Trailing {
            offset: LINE.len(),
            text: " 1234 extra"
        })
    );
    assert_eq!(
        combined().parse_line_strict(extra.as_bytes()),
        Err(ParseError::Trailing { offset: LINE.len() })
    );
    // Common parses a combined line leniently, not strictly.
    let common = LogFormat::preset(Preset::Common);
    let as_common = common.parse_line(LINE.as_bytes()).unwrap();
    assert_eq!(as_common.bytes, Some(203_023));
    assert!(as_common
        .trailing
        .unwrap()
        .text
        .starts_with(r#" "http://semicomplete.com/"#));
    assert!(matches!(
        common.parse_line_strict(LINE.as_bytes()),
        Err(ParseError::Trailing { .. })
    ));
    // Strict mode: the last quoted field ends at the end of the line, so a bare quote inside it
    // (written by a non-Apache server) stays in the field.
    let bare = r#"h "say "hi" now""#;
    let format = LogFormat::new_untimed(r#"%h "%{User-Agent}i""#).unwrap();
    assert_eq!(
        format
            .parse_line_strict(bare.as_bytes())
            .unwrap()
            .user_agent,
        Some(r#"say "hi" now"#)
    );
    let lenient = format.parse_line(bare.as_bytes()).unwrap();
    assert_eq!(lenient.user_agent, Some("say "));
    assert_eq!(lenient.trailing.unwrap().text, r#"hi" now""#);
}

#[test]
fn a_second_record_on_the_line_is_trailing_text() {
    let second = LINE
        .replace("83.149.9.216", "10.0.0.9")
        .replace(" 200 ", " 500 ");
    let two = format!("{LINE} {second}");
    let line = combined().parse_line(two.as_bytes()).unwrap();
    assert_eq!((line.client, line.status), ("83.149.9.216", Some(200)));
    assert_eq!(
        line.trailing,
        Some(Trailing {
            offset: LINE.len(),
            text: &two[LINE.len()..]
        })
    );
    // Glued without a space, too.
    let glued = format!("{LINE}{second}");
    let line = combined().parse_line(glued.as_bytes()).unwrap();
    assert_eq!(line.trailing.unwrap().text, second);
    // Spaces and tabs alone are not text; a whole line has none.
    let spaced = format!("{LINE} \t ");
    assert_eq!(
        combined().parse_line(spaced.as_bytes()).unwrap().trailing,
        None
    );
    assert_eq!(
        combined().parse_line(LINE.as_bytes()).unwrap().trailing,
        None
    );
    // Strict parsing still refuses any of it.
    assert_eq!(
        combined().parse_line_strict(spaced.as_bytes()),
        Err(ParseError::Trailing { offset: LINE.len() })
    );
}

#[test]
fn mismatches_name_field_and_offset() {
    let bad_status = LINE.replace("\" 200 ", "\" 2x0 ");
    let at = bad_status.find(" 2x0").unwrap() + 1;
    assert_eq!(
        combined().parse_line(bad_status.as_bytes()),
        Err(ParseError::Field {
            field: "%>s",
            offset: at
        })
    );
    // A missing separator is reported against the field it leads to.
    assert_eq!(
        combined().parse_line(b"10.0.0.1 - -"),
        Err(ParseError::Field {
            field: "%t",
            offset: 12
        })
    );
}

#[test]
fn detect_picks_the_richest_preset_that_parses_most() {
    let combined_lines = [LINE.as_bytes(), LINE.as_bytes()];
    assert_eq!(
        LogFormat::detect(combined_lines).unwrap().preset_kind(),
        Some(Preset::Combined)
    );
    let with_d = format!("{LINE} 5321");
    assert_eq!(
        LogFormat::detect([with_d.as_bytes(), b"garbage"])
            .unwrap()
            .preset_kind(),
        Some(Preset::CombinedD)
    );
    let common =
        br#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#;
    assert_eq!(
        LogFormat::detect([&common[..], LINE.as_bytes(), &common[..]])
            .unwrap()
            .preset_kind(),
        Some(Preset::Common)
    );
    assert!(LogFormat::detect([&b"garbage"[..], b""]).is_none());
    assert!(LogFormat::detect(std::iter::empty()).is_none());
}

#[test]
fn gigantic_lines_are_linear_and_do_not_overflow() {
    // 8 MB of backslash-quote pairs and quotes: no recursion, one pass.
    let mut ua = String::with_capacity(8 << 20);
    while ua.len() < 8 << 20 {
        ua.push_str(r#"\"x\\ ""#);
    }
    let text = format!(r#"h "{ua}"#);
    let format = LogFormat::new_untimed(r#"%h "%{User-Agent}i" %>s"#).unwrap();
    assert!(format.parse_line(text.as_bytes()).is_err());
    let huge_target = format!(r#"h "GET /{} HTTP/1.1" 200"#, "a".repeat(8 << 20));
    let line = LogFormat::new_untimed(r#"%h "%r" %>s"#)
        .unwrap()
        .parse_line(huge_target.as_bytes())
        .unwrap();
    assert_eq!(line.request.unwrap().target.len(), (8 << 20) + 1);
}

#[test]
fn log_format_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<LogFormat>();
    assert_eq!(combined().to_string(), "combined");
}
