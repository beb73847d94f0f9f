//! The identity of a client host: one spelling per host, so that distinct hosts and top callers
//! count hosts, not the ways a log writer spelled them.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Appends the canonical spelling of a client host (`%h` / `%a`) to `out`:
///
/// - an IPv6 address in its RFC 5952 form (lower case, leading zeros dropped, the longest run of
///   zero groups compressed): `2001:0DB8:0:0:0:0:0:1` and `2001:DB8::1` are `2001:db8::1`;
/// - an IPv4-mapped IPv6 address as the IPv4 address it maps: `::ffff:10.1.2.3` is `10.1.2.3`.
///   A dual-stack server logs its IPv4 callers that way; it is the same caller, so it is counted
///   once with `10.1.2.3` and matches the IPv4 rows of the metadata (see
///   [`MetadataTable::lookup_ip`](super::MetadataTable::lookup_ip));
/// - anything else (a hostname, or text that is no address) in ASCII lower case without trailing
///   dots, as DNS compares names: `Web-1.Example.COM.` is `web-1.example.com`. IPv4 addresses are
///   already canonical: Rust's parser, like the metadata table, refuses leading zeros.
///
/// Text that is already canonical, as almost every IPv4 address and lower-case hostname is, is
/// copied after one pass over its bytes; nothing is allocated (`out` grows as any arena does).
///
/// Returns the address when the host is one (IPv4 or IPv6 text; an IPv4-mapped address as its IPv4
/// address), so the metadata lookup need not parse it again.
pub fn push_canonical_host(out: &mut String, host: &str) -> Option<IpAddr> {
    let (mut colon, mut upper) = (false, false);
    for &b in host.as_bytes() {
        colon |= b == b':';
        upper |= b.is_ascii_uppercase();
    }
    let name = match host.trim_end_matches('.') {
        "" => host,
        name => name,
    };
    if colon {
        if let Ok(ip) = name.parse::<Ipv6Addr>() {
            return Some(push_ipv6(out, ip));
        }
    }
    let start = out.len();
    out.push_str(name);
    if upper {
        out[start..].make_ascii_lowercase();
        return None;
    }
    parse_ipv4(name).map(IpAddr::V4)
}

/// An IPv4 address in dotted-quad form, exactly as `Ipv4Addr::from_str` reads it (four decimal
/// parts of at most three digits, each ≤ 255, no leading zeros), in one pass over the bytes: this
/// runs on nearly every line, and the standard parser's generic machinery cost three times as
/// much.
fn parse_ipv4(text: &str) -> Option<Ipv4Addr> {
    let bytes = text.as_bytes();
    if !bytes.first()?.is_ascii_digit() || bytes.len() > 15 {
        return None;
    }
    let mut parts = [0u8; 4];
    let mut at = 0;
    for (i, part) in parts.iter_mut().enumerate() {
        if i > 0 {
            if bytes.get(at) != Some(&b'.') {
                return None;
            }
            at += 1;
        }
        let digits = bytes[at..]
            .iter()
            .take(4)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || digits > 3 || (digits > 1 && bytes[at] == b'0') {
            return None;
        }
        let value = bytes[at..at + digits]
            .iter()
            .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
        *part = u8::try_from(value).ok()?;
        at += digits;
    }
    (at == bytes.len()).then(|| Ipv4Addr::from(parts))
}

fn push_ipv6(out: &mut String, ip: Ipv6Addr) -> IpAddr {
    match ip.to_ipv4_mapped() {
        Some(v4) => {
            // Writing to a `String` cannot fail.
            let _ = write!(out, "{v4}");
            IpAddr::V4(v4)
        }
        None => {
            push_rfc5952(out, ip);
            IpAddr::V6(ip)
        }
    }
}

/// The RFC 5952 text of an address that is not IPv4-mapped: lower-case hex groups without
/// leading zeros, the longest run of two or more zero groups (the first of equals) as `::`. That
/// is what `Display` writes (the tests check it against `Display`), without the formatting
/// machinery, which costs as much as the parse on a log of IPv6 callers.
fn push_rfc5952(out: &mut String, ip: Ipv6Addr) {
    let groups = ip.segments();
    let (mut zeros_at, mut zeros) = (groups.len(), 0);
    let mut run = 0;
    for (i, &group) in groups.iter().enumerate() {
        run = if group == 0 { run + 1 } else { 0 };
        if run > zeros.max(1) {
            (zeros_at, zeros) = (i + 1 - run, run);
        }
    }
    push_groups(out, &groups[..zeros_at]);
    if zeros > 0 {
        out.push_str("::");
        push_groups(out, &groups[zeros_at + zeros..]);
    }
}

fn push_groups(out: &mut String, groups: &[u16]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, &group) in groups.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let digits = (4 - group.leading_zeros() as usize / 4).max(1);
        for shift in (0..digits).rev() {
            out.push(char::from(HEX[usize::from(group >> (shift * 4)) & 0xf]));
        }
    }
}

/// The canonical spelling of `host` as a new string (see [`push_canonical_host`]).
pub fn canonical_host(host: &str) -> String {
    let mut out = String::with_capacity(host.len());
    push_canonical_host(&mut out, host);
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn ipv6_spellings_of_one_address_are_one_host() {
        for spelling in [
            "2001:db8::1",
            "2001:0db8:0:0:0:0:0:1",
            "2001:DB8::1",
            "2001:0DB8:0000:0000:0000:0000:0000:0001",
            "2001:db8:0::0:1",
        ] {
            assert_eq!(canonical_host(spelling), "2001:db8::1", "{spelling}");
        }
        // RFC 5952: one zero group is not compressed; the longest run is, the first of equals.
        assert_eq!(
            canonical_host("2001:db8:0:1:1:1:1:1"),
            "2001:db8:0:1:1:1:1:1"
        );
        assert_eq!(canonical_host("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");
        assert_eq!(canonical_host("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
        assert_eq!(canonical_host("::1"), "::1");
        assert_eq!(canonical_host("0:0:0:0:0:0:0:0"), "::");
    }

    #[test]
    fn ipv4_mapped_addresses_are_the_ipv4_host() {
        assert_eq!(canonical_host("::ffff:10.1.2.3"), "10.1.2.3");
        assert_eq!(canonical_host("::FFFF:0a01:0203"), "10.1.2.3");
        assert_eq!(canonical_host("0:0:0:0:0:ffff:10.1.2.3"), "10.1.2.3");
        // Only mapped addresses: the deprecated IPv4-compatible form and NAT64 stay IPv6.
        assert_eq!(canonical_host("::10.1.2.3"), "::a01:203");
        assert_eq!(canonical_host("64:ff9b::10.1.2.3"), "64:ff9b::a01:203");
    }

    #[test]
    fn ipv4_addresses_and_lower_case_names_are_kept_as_they_are() {
        for host in [
            "10.1.2.3",
            "255.255.255.255",
            "web-1.example.com",
            "localhost",
            "-",
        ] {
            assert_eq!(canonical_host(host), host);
        }
        // Not an address (leading zeros): a name made of digits, kept as written.
        assert_eq!(canonical_host("010.001.002.003"), "010.001.002.003");
    }

    #[test]
    fn hostnames_are_case_insensitive_without_a_trailing_dot() {
        assert_eq!(canonical_host("Web-1.Example.COM"), "web-1.example.com");
        assert_eq!(canonical_host("web-1.example.com."), "web-1.example.com");
        assert_eq!(canonical_host("WEB-1.EXAMPLE.COM.."), "web-1.example.com");
        assert_eq!(canonical_host("10.1.2.3."), "10.1.2.3");
        assert_eq!(canonical_host("2001:DB8::1."), "2001:db8::1");
        assert_eq!(canonical_host("..."), "...");
        // Only ASCII letters change: DNS folds no other case.
        assert_eq!(canonical_host("ÉCOLE.Example"), "École.example");
        // A colon that is no address (a zone index, junk) is text like any other.
        assert_eq!(canonical_host("FE80::1%ETH0"), "fe80::1%eth0");
        assert_eq!(canonical_host("Not:An:Address"), "not:an:address");
    }

    #[test]
    fn appends_to_what_is_there_and_returns_the_address_it_parsed() {
        let mut arena = String::from("GET/x");
        let v6 = push_canonical_host(&mut arena, "2001:DB8::1");
        let name = push_canonical_host(&mut arena, "Host");
        let mapped = push_canonical_host(&mut arena, "::ffff:10.1.2.3");
        // IPv4 text is canonical as it is, and parsed for the lookup; text that only looks
        // like one (a leading zero, a fifth part) is a name.
        let v4 = push_canonical_host(&mut arena, "10.1.2.4");
        let not_v4 = push_canonical_host(&mut arena, "10.01.2.4");
        let five = push_canonical_host(&mut arena, "1.2.3.4.5");
        assert_eq!(
            arena,
            "GET/x2001:db8::1host10.1.2.310.1.2.410.01.2.41.2.3.4.5"
        );
        assert_eq!(v6, Some("2001:db8::1".parse().unwrap()));
        assert_eq!(mapped, Some("10.1.2.3".parse().unwrap()));
        assert_eq!(v4, Some("10.1.2.4".parse().unwrap()));
        assert_eq!((name, not_v4, five), (None, None, None));
    }

    proptest! {
        /// Every spelling of an address is the address's `Display` text (RFC 5952), and
        /// canonical text stays as it is.
        #[test]
        fn canonical_form_is_the_address_and_is_stable(
            // Zero groups often, so that every shape of zero run comes up.
            groups in proptest::array::uniform8(prop_oneof![
                3 => Just(0u16),
                1 => Just(1u16),
                1 => Just(0xffff_u16),
                3 => any::<u16>(),
            ]),
            upper in any::<bool>(),
            padded in any::<bool>(),
        ) {
            let ip = Ipv6Addr::from(groups);
            let mut spelled = if padded {
                groups.iter().map(|g| format!("{g:04x}")).collect::<Vec<_>>().join(":")
            } else {
                ip.to_string()
            };
            if upper {
                spelled = spelled.to_ascii_uppercase();
            }
            let canonical = canonical_host(&spelled);
            let expected = match ip.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => ip.to_string(),
            };
            prop_assert_eq!(canonical_host(&canonical), expected.clone());
            prop_assert_eq!(canonical, expected);
        }

        /// Any text: canonicalising twice changes nothing more, and only case and trailing dots
        /// ever change in text that is no address.
        #[test]
        fn canonical_form_is_idempotent(host in "[a-fA-F0-9.:%x-]{0,40}") {
            let once = canonical_host(&host);
            prop_assert_eq!(canonical_host(&once), once.clone());
            let name = match host.trim_end_matches('.') {
                "" => host.as_str(),
                name => name,
            };
            if name.parse::<Ipv6Addr>().is_err() {
                prop_assert_eq!(once, name.to_ascii_lowercase());
            }
        }

        /// The hand-written IPv4 reader takes exactly what the standard one takes.
        #[test]
        fn ipv4_reader_agrees_with_the_standard_one(
            text in prop_oneof![
                "[0-9.]{0,18}",
                (0u32..300, 0u32..300, 0u32..300, 0u32..300)
                    .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
                any::<[u8; 4]>().prop_map(|a| std::net::Ipv4Addr::from(a).to_string()),
                "0?[0-9]{1,3}\\.0?[0-9]{1,3}\\.[0-9]{1,4}\\.[0-9]{1,3}[.a ]?",
            ]
        ) {
            prop_assert_eq!(parse_ipv4(&text), text.parse::<Ipv4Addr>().ok());
            let mut out = String::new();
            let address = push_canonical_host(&mut out, &text);
            if let Ok(v4) = text.trim_end_matches('.').parse::<Ipv4Addr>() {
                prop_assert_eq!(address, Some(IpAddr::V4(v4)));
            }
        }
    }
}
