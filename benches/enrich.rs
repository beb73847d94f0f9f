//! Host → application lookups: what enrichment costs per line.
//!
//! `cargo bench --bench enrich`
#![allow(clippy::unwrap_used)] // test and bench code: a panic is how a failure is reported

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kinetop::enrich::MetadataTable;

/// A realistic table: a few hundred overlapping IPv4 blocks and hosts, IPv6 blocks and hostnames.
fn table() -> MetadataTable {
    let mut csv = String::from("host,application,contact,team\n");
    for a in 0..16u32 {
        csv.push_str(&format!(
            "10.{a}.0.0/16,app{a},ops{a}@example.com,team{a}\n"
        ));
        for b in 0..16u32 {
            csv.push_str(&format!(
                "10.{a}.{b}.0/24,app{a}-{b},ops@example.com,team{a}\n"
            ));
            csv.push_str(&format!("10.{a}.{b}.7,batch{a},ops@example.com,team{a}\n"));
        }
        csv.push_str(&format!(
            "2001:db8:{a:x}::/48,v6app{a},ops@example.com,team{a}\n"
        ));
        csv.push_str(&format!("build{a}.example.com,ci,ci@example.com,tools\n"));
    }
    csv.push_str("10.0.0.0/8,corp,it@example.com,it\n");
    MetadataTable::from_csv(csv.as_bytes(), "bench.csv").expect("valid table")
}

fn lookups(c: &mut Criterion) {
    let table = table();
    let mut group = c.benchmark_group("enrich_lookup");
    group.throughput(Throughput::Elements(1));
    let cases = [
        ("ipv4_host_row", "10.3.4.7"),
        ("ipv4_in_24", "10.3.4.200"),
        ("ipv4_in_8", "10.200.1.1"),
        ("ipv4_unknown", "192.168.1.20"),
        ("ipv4_mapped_ipv6", "::ffff:10.3.4.200"),
        ("ipv6_in_48", "2001:db8:3::1"),
        ("hostname_lowercase", "build3.example.com"),
        ("hostname_mixed_case", "Build3.Example.COM"),
        ("hostname_unknown", "crawler.example.org"),
    ];
    for (name, client) in cases {
        group.bench_function(name, |b| b.iter(|| table.lookup(black_box(client))));
    }
    group.finish();

    c.bench_function("enrich_from_csv_800_rows", |b| {
        let mut csv = String::from("host,application\n");
        for i in 0..800u32 {
            csv.push_str(&format!("10.{}.{}.0/24,app{}\n", i / 256, i % 256, i % 40));
        }
        b.iter(|| MetadataTable::from_csv(black_box(csv.as_bytes()), "bench.csv").unwrap())
    });
}

criterion_group!(benches, lookups);
criterion_main!(benches);
