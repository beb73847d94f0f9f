use super::*;

fn table(csv: &str) -> MetadataTable {
    MetadataTable::from_csv(csv.as_bytes(), "hosts.csv").unwrap_or_else(|e| panic!("{e}"))
}

fn error(csv: &[u8]) -> MetadataError {
    match MetadataTable::from_csv(csv, "hosts.csv") {
        Ok(t) => panic!("expected an error, got a table with {} rows", t.rows()),
        Err(e) => e,
    }
}

fn app_of(t: &MetadataTable, client: &str) -> String {
    t.name(t.lookup(client)).to_string()
}

#[test]
fn empty_table_maps_everything_to_unknown() {
    let t = MetadataTable::empty();
    assert_eq!(t.lookup("10.1.2.3"), AppId::UNKNOWN);
    assert_eq!(t.lookup("host.example.com"), AppId::UNKNOWN);
    assert_eq!(t.applications().len(), 1);
    assert_eq!(&*t.application(AppId::UNKNOWN).name, UNKNOWN);
    assert_eq!(t.rows(), 0);
    assert!(t.is_empty());
}

#[test]
fn empty_file_and_header_only_give_empty_tables() {
    for csv in [
        "",
        "\n\n",
        "# only a comment\n",
        "host,application\n",
        "host,application,contact",
    ] {
        let t = table(csv);
        assert_eq!(t.rows(), 0, "{csv:?}");
        assert_eq!(t.applications().len(), 1, "{csv:?}");
        assert_eq!(t.lookup("10.0.0.1"), AppId::UNKNOWN);
    }
}

#[test]
fn longest_prefix_wins_across_overlapping_ipv4_blocks() {
    let t = table(
        "host,application\n\
         10.0.0.0/8,corp\n\
         10.1.0.0/16,checkout\n\
         10.1.2.3,batch\n\
         10.1.2.3/32,batch\n\
         0.0.0.0/0,internet\n",
    );
    assert_eq!(app_of(&t, "10.1.2.3"), "batch");
    assert_eq!(app_of(&t, "10.1.2.4"), "checkout");
    assert_eq!(app_of(&t, "10.1.255.255"), "checkout");
    assert_eq!(app_of(&t, "10.2.0.1"), "corp");
    assert_eq!(app_of(&t, "10.255.255.255"), "corp");
    assert_eq!(app_of(&t, "11.0.0.1"), "internet");
    assert_eq!(t.rows(), 5);
    assert_eq!(t.key_counts(), (4, 0, 0));
}

#[test]
fn order_of_rows_does_not_matter_for_longest_prefix() {
    let t = table("host,application\n10.1.2.3,batch\n10.1.0.0/16,checkout\n10.0.0.0/8,corp\n");
    assert_eq!(app_of(&t, "10.1.2.3"), "batch");
    assert_eq!(app_of(&t, "10.1.9.9"), "checkout");
    assert_eq!(app_of(&t, "10.9.9.9"), "corp");
    assert_eq!(app_of(&t, "192.168.0.1"), UNKNOWN);
}

#[test]
fn host_bits_in_a_block_are_ignored() {
    let t = table("host,application\n10.1.2.3/16,checkout\n");
    assert_eq!(app_of(&t, "10.1.200.1"), "checkout");
    assert_eq!(app_of(&t, "10.2.0.1"), UNKNOWN);
}

#[test]
fn ipv6_prefixes_and_addresses() {
    let t = table(
        "host,application\n\
         2001:db8::/32,corp6\n\
         2001:db8:aa::/48,search\n\
         2001:db8:aa::1,admin\n\
         fe80::/10,linklocal\n",
    );
    assert_eq!(app_of(&t, "2001:db8:aa::1"), "admin");
    assert_eq!(app_of(&t, "2001:DB8:AA::1"), "admin");
    assert_eq!(app_of(&t, "2001:db8:aa:0:0:0:0:1"), "admin");
    assert_eq!(app_of(&t, "2001:db8:aa::2"), "search");
    assert_eq!(app_of(&t, "2001:db8:bb::2"), "corp6");
    assert_eq!(app_of(&t, "fe80::1"), "linklocal");
    assert_eq!(app_of(&t, "2001:db9::1"), UNKNOWN);
    // No IPv4 rows: an IPv4 client is unknown, and IPv6 rows never match IPv4 clients.
    assert_eq!(app_of(&t, "10.0.0.1"), UNKNOWN);
}

#[test]
fn ipv4_mapped_ipv6_clients_match_ipv4_rows() {
    let t =
        table("host,application\n10.0.0.0/8,corp\n10.1.2.3,batch\n::ffff:192.168.0.0/112,lab\n");
    assert_eq!(app_of(&t, "::ffff:10.1.2.3"), "batch");
    assert_eq!(app_of(&t, "::ffff:10.9.9.9"), "corp");
    assert_eq!(app_of(&t, "::FFFF:10.9.9.9"), "corp");
    // A mapped block in the file is an IPv4 block.
    assert_eq!(app_of(&t, "192.168.7.7"), "lab");
    assert_eq!(app_of(&t, "::ffff:192.168.7.7"), "lab");
    assert_eq!(app_of(&t, "::ffff:11.0.0.1"), UNKNOWN);
}

#[test]
fn hostnames_match_exactly_and_case_insensitively() {
    let t = table(
        "host,application\n\
         Build01.Example.COM,ci\n\
         db.example.com.,database\n\
         10.0.0.0/8,corp\n",
    );
    assert_eq!(app_of(&t, "build01.example.com"), "ci");
    assert_eq!(app_of(&t, "BUILD01.EXAMPLE.COM"), "ci");
    assert_eq!(app_of(&t, "build01.example.com."), "ci");
    assert_eq!(app_of(&t, "db.example.com"), "database");
    assert_eq!(app_of(&t, "DB.example.com."), "database");
    // Exact: no suffix or prefix matching.
    assert_eq!(app_of(&t, "example.com"), UNKNOWN);
    assert_eq!(app_of(&t, "x.build01.example.com"), UNKNOWN);
    assert_eq!(app_of(&t, "build01"), UNKNOWN);
    // Hostnames made of hex digits still work (they are tried as addresses first).
    let t = table("host,application\ncafe.dead.beef,hexy\n");
    assert_eq!(app_of(&t, "CAFE.dead.beef"), "hexy");
    // Very long names fall back to an allocation but still match.
    let long = format!("{}.example.com", "a".repeat(240));
    let t = table(&format!("host,application\n{long},long\n"));
    assert_eq!(app_of(&t, &long.to_uppercase()), "long");
    assert_eq!(app_of(&t, &long), "long");
}

#[test]
fn rfc4180_quoting_with_commas_and_quotes_inside() {
    let t = table(
        "host,application,contact,description\n\
         10.0.0.1,\"checkout, EU\",\"Ops \"\"Night\"\" Team <ops@example.com>\",\"line one\nline two\"\n\
         \"10.0.0.2\",plain,ops@example.com,\"\"\n",
    );
    assert_eq!(app_of(&t, "10.0.0.1"), "checkout, EU");
    let app = t.application(t.lookup("10.0.0.1"));
    assert_eq!(
        app.contacts,
        vec!["Ops \"Night\" Team <ops@example.com>".to_owned()]
    );
    assert_eq!(
        app.attributes,
        vec![(
            "description".to_owned(),
            vec!["line one\nline two".to_owned()]
        )]
    );
    assert_eq!(app_of(&t, "10.0.0.2"), "plain");
    // An empty attribute cell adds no value, and a column without values is left out.
    assert!(t.application(t.lookup("10.0.0.2")).attributes.is_empty());
}

#[test]
fn comments_blank_lines_spaces_and_header_case() {
    let t = table(
        "# hosts of the shop\n\
         \n\
         \x20 Host , APPLICATION ,Contact\n\
         # checkout\n\
         10.0.0.1 , checkout , a@example.com\n\
         \n\
         \x20  \n\
         10.0.0.2,search,\n",
    );
    assert_eq!(t.rows(), 2);
    assert_eq!(app_of(&t, "10.0.0.1"), "checkout");
    assert_eq!(app_of(&t, "10.0.0.2"), "search");
    assert_eq!(
        t.application(t.lookup("10.0.0.1")).contacts,
        vec!["a@example.com"]
    );
    assert!(t.application(t.lookup("10.0.0.2")).contacts.is_empty());
}

#[test]
fn crlf_line_endings_and_a_bom_are_fine() {
    let t = table("\u{feff}host,application\r\n10.0.0.1,checkout\r\n");
    assert_eq!(app_of(&t, "10.0.0.1"), "checkout");
}

#[test]
fn contacts_and_attributes_aggregate_across_rows_in_file_order() {
    let t = table(
        "host,application,contact,team,env\n\
         10.0.0.1,checkout,b@example.com,payments,prod\n\
         10.0.0.2,checkout,a@example.com,payments,staging\n\
         10.0.0.3,checkout,b@example.com,,prod\n\
         10.0.1.0/24,search,s@example.com,discovery,\n\
         checkout-batch.example.com,checkout,,payments-batch,prod\n",
    );
    let checkout = t.application(t.find("checkout").unwrap());
    assert_eq!(checkout.rows, 4);
    assert_eq!(checkout.contacts, vec!["b@example.com", "a@example.com"]);
    assert_eq!(
        checkout.attributes,
        vec![
            (
                "team".to_owned(),
                vec!["payments".to_owned(), "payments-batch".to_owned()]
            ),
            (
                "env".to_owned(),
                vec!["prod".to_owned(), "staging".to_owned()]
            ),
        ]
    );
    let search = t.application(t.find("search").unwrap());
    assert_eq!(search.rows, 1);
    assert_eq!(
        search.attributes,
        vec![("team".to_owned(), vec!["discovery".to_owned()])]
    );
    // Applications in order of first appearance after `unknown`.
    let names: Vec<&str> = t.applications().iter().map(|a| &*a.name).collect();
    assert_eq!(names, vec![UNKNOWN, "checkout", "search"]);
    assert_eq!(t.rows(), 5);
}

#[test]
fn application_unknown_in_the_file_is_app_zero() {
    let t = table("host,application\n10.0.0.0/8,corp\n10.6.0.0/16,Unknown\n");
    assert_eq!(t.lookup("10.6.1.1"), AppId::UNKNOWN);
    assert_eq!(app_of(&t, "10.5.1.1"), "corp");
    assert_eq!(t.applications().len(), 2);
    assert_eq!(t.application(AppId::UNKNOWN).rows, 1);
    assert_eq!(t.find("unknown"), Some(AppId::UNKNOWN));
}

#[test]
fn the_same_host_twice_for_the_same_application_is_fine() {
    let t = table("host,application\n10.0.0.1,a\n10.0.0.1/32,a\nHOST.x,a\nhost.x,a\n");
    assert_eq!(t.rows(), 4);
    assert_eq!(t.application(t.find("a").unwrap()).rows, 4);
}

#[test]
fn ids_from_another_table_name_unknown_instead_of_panicking() {
    let t = table("host,application\n10.0.0.1,a\n");
    assert_eq!(&**t.name(AppId(99)), UNKNOWN);
}

#[test]
fn errors_name_the_origin_and_line() {
    let cases: &[(&[u8], usize, &str)] = &[
        (b"application,contact\n10.0.0.1,a\n", 1, "no `host` column"),
        (
            b"# c\nhost,contact\n10.0.0.1,a\n",
            2,
            "no `application` column",
        ),
        (b"name,contact\n", 1, "no `host` or `application` column"),
        (b"host,application,host\n", 1, "twice"),
        (b"host,application,,x\n", 1, "column 3 has no name"),
        (b"host,application\n10.0.0.1,a\n,b\n", 3, "empty host"),
        (
            b"host,application\n10.0.0.1,a\n\n10.0.0.2,  \n",
            4,
            "empty application",
        ),
        (b"host,application\n10.0.0.0/33,a\n", 2, "at most /32"),
        (b"host,application\n2001:db8::/129,a\n", 2, "at most /128"),
        (
            b"host,application\n10.0.0.0/x,a\n",
            2,
            "not a prefix length",
        ),
        (b"host,application\n10.0.0.0/,a\n", 2, "not a prefix length"),
        (b"host,application\n10.0.0/8,a\n", 2, "not an IP address"),
        (b"host,application\n10.0.0.300,a\n", 2, "invalid host"),
        (b"host,application\nbad host!,a\n", 2, "invalid host"),
        (b"host,application\n2001:db8::zz,a\n", 2, "invalid host"),
        (
            b"host,application\n10.0.0.1,a,extra\n",
            2,
            "expected 2 fields like the header, found 3",
        ),
        (
            b"host,application,contact\n# c\n10.0.0.1,a\n",
            3,
            "expected 3 fields",
        ),
        (
            b"host,application\n10.0.0.1,a\n10.0.0.2,b\xff\n",
            3,
            "not valid UTF-8",
        ),
        (b"host,appl\xe9cation\n", 1, "not valid UTF-8"),
        (
            b"host,application\n10.0.0.1,a\n10.0.0.2,bad\x00name\n",
            3,
            "application \"bad\\0name\" contains a control character (U+0000)",
        ),
        (
            b"host,application\n10.0.0.2,\"two\nlines\"\n",
            2,
            "contains a control character (U+000A)",
        ),
        (
            b"host,application,contact\n10.0.0.1,a,ops\x1b[31m@example.com\n",
            2,
            "contact \"ops\\u{1b}[31m@example.com\" contains a control character (U+001B)",
        ),
        (
            b"host,application,contact\n10.0.0.1,a,x\n10.0.0.2,b,\"tab\there\"\n",
            3,
            "contains a control character (U+0009)",
        ),
    ];
    for (csv, line, reason) in cases {
        let e = error(csv);
        assert_eq!(e.origin, "hosts.csv", "{}", String::from_utf8_lossy(csv));
        assert_eq!(e.line, *line, "{e} for {:?}", String::from_utf8_lossy(csv));
        assert!(e.reason.contains(reason), "{e} should say {reason:?}");
        assert!(
            e.to_string().starts_with(&format!("hosts.csv:{line}: ")),
            "{e}"
        );
    }
}

#[test]
fn a_host_mapped_to_two_applications_names_both_lines() {
    let e = error(b"host,application\n10.0.0.0/8,a\n# x\n10.1.0.0/16,b\n10.0.0.0/8,c\n");
    assert_eq!(e.line, 5);
    assert!(e.reason.contains("10.0.0.0/8"), "{e}");
    assert!(e.reason.contains("`c` here but to `a` on line 2"), "{e}");
    // The same block written differently is still the same block.
    let e = error(b"host,application\n10.1.2.3/8,a\n10.0.0.0/8,b\n");
    assert_eq!(e.line, 3);
    assert!(e.reason.contains("on line 2"), "{e}");
    let e = error(b"host,application\nWeb.Example.com,a\nweb.example.com.,b\n");
    assert_eq!(e.line, 3);
    assert!(e.reason.contains("web.example.com"), "{e}");
    let e = error(b"host,application\n::ffff:10.0.0.1,a\n10.0.0.1,b\n");
    assert_eq!(e.line, 3);
}

#[test]
fn line_numbers_count_quoted_newlines() {
    let e = error(b"host,application,note\n10.0.0.1,a,\"two\nlines\"\n10.0.0.0/40,b,x\n");
    assert_eq!(e.line, 4, "{e}");
}

#[test]
fn shared_table_swaps_atomically() {
    let shared = SharedTable::new(MetadataTable::empty());
    let before = shared.current();
    shared.replace(table("host,application\n10.0.0.1,a\n"));
    assert_eq!(before.lookup("10.0.0.1"), AppId::UNKNOWN);
    let after = shared.current();
    assert_eq!(&**after.name(after.lookup("10.0.0.1")), "a");
}
