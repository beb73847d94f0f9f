//! Longest-prefix match checked against a brute-force scan of the rows, for random IPv4 and
//! IPv6 tables and clients (clients are drawn near the rows' prefixes so that they hit).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use kinetop::enrich::{MetadataTable, UNKNOWN};
use proptest::prelude::*;

/// Brute force: the application of the longest prefix containing `client`, `unknown` if none.
fn expected<const BITS: u32>(rows: &[(u128, u8, usize)], client: u128) -> String {
    rows.iter()
        .filter(|(net, len, _)| {
            let shift = BITS - u32::from(*len);
            *len == 0 || (net >> shift) == (client >> shift)
        })
        .max_by_key(|(_, len, _)| *len)
        .map_or(UNKNOWN.to_owned(), |(_, _, app)| format!("app{app}"))
}

/// Rows with distinct prefixes (the file would be invalid if a prefix mapped twice).
fn dedup(mut rows: Vec<(u128, u8, usize)>, bits: u32) -> Vec<(u128, u8, usize)> {
    for row in &mut rows {
        let shift = bits - u32::from(row.1);
        row.0 = if row.1 == 0 {
            0
        } else {
            (row.0 >> shift) << shift
        };
    }
    let mut seen = std::collections::HashSet::new();
    rows.retain(|(net, len, _)| seen.insert((*net, *len)));
    rows
}

fn table(rows: &[(u128, u8, usize)], addr: impl Fn(u128) -> IpAddr) -> MetadataTable {
    let mut csv = String::from("host,application\n");
    for (net, len, app) in rows {
        csv.push_str(&format!("{}/{len},app{app}\n", addr(*net)));
    }
    MetadataTable::from_csv(csv.as_bytes(), "prop.csv").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn ipv4_lookup_is_the_longest_matching_prefix(
        rows in prop::collection::vec((any::<u32>(), 0u8..=32, 0usize..5), 0..40),
        clients in prop::collection::vec((0usize..40, any::<u32>(), 0u32..=32), 1..40),
    ) {
        let rows = dedup(rows.into_iter().map(|(a, l, p)| (u128::from(a), l, p)).collect(), 32);
        let to_ip = |v: u128| IpAddr::V4(Ipv4Addr::from(v as u32));
        let t = table(&rows, to_ip);
        for (row, noise, keep) in clients {
            // A client sharing `keep` leading bits with a row, or a random one without rows.
            let client = match rows.get(row % rows.len().max(1)) {
                Some((net, _, _)) if keep > 0 => {
                    let mask = u32::MAX.checked_shr(keep).unwrap_or(0);
                    (*net as u32 & !mask) | (noise & mask)
                }
                _ => noise,
            };
            let want = expected::<32>(&rows, u128::from(client));
            let text = Ipv4Addr::from(client).to_string();
            prop_assert_eq!(t.name(t.lookup(&text)).to_string(), want.clone(), "client {}", text);
            let mapped = format!("::ffff:{text}");
            prop_assert_eq!(t.name(t.lookup(&mapped)).to_string(), want, "client {}", mapped);
        }
    }

    #[test]
    fn ipv6_lookup_is_the_longest_matching_prefix(
        rows in prop::collection::vec((any::<u128>(), 0u8..=128, 0usize..5), 0..40),
        clients in prop::collection::vec((0usize..40, any::<u128>(), 0u32..=128), 1..40),
    ) {
        // Keep rows out of the IPv4-mapped range, which the table treats as IPv4.
        let rows: Vec<_> = rows
            .into_iter()
            .map(|(a, l, p)| (a | (1u128 << 127), l.max(1), p))
            .collect();
        let rows = dedup(rows, 128);
        let to_ip = |v: u128| IpAddr::V6(Ipv6Addr::from(v));
        let t = table(&rows, to_ip);
        for (row, noise, keep) in clients {
            let noise = noise | (1u128 << 127);
            let client = match rows.get(row % rows.len().max(1)) {
                Some((net, _, _)) if keep > 0 => {
                    let mask = u128::MAX.checked_shr(keep).unwrap_or(0);
                    (net & !mask) | (noise & mask)
                }
                _ => noise,
            };
            let want = expected::<128>(&rows, client);
            let text = Ipv6Addr::from(client).to_string();
            prop_assert_eq!(t.name(t.lookup(&text)).to_string(), want, "client {}", text);
        }
    }
}
