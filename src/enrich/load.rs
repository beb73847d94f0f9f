//! Building a [`MetadataTable`] from the CSV file: header, rows, host keys, aggregation of
//! contacts and attributes per application, and errors that name the line.

use std::collections::hash_map::Entry;
use std::net::IpAddr;
use std::sync::Arc;

use ip_network_table_deps_treebitmap::IpLookupTable;
use ipnet::{Ipv4Net, Ipv6Net};

use super::{AppId, Application, MetadataError, MetadataTable, UNKNOWN};

/// What a `host` cell names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum HostKey {
    V4(Ipv4Net),
    V6(Ipv6Net),
    /// Lowercased, without a trailing dot.
    Name(Box<str>),
}

impl std::fmt::Display for HostKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostKey::V4(net) => net.fmt(f),
            HostKey::V6(net) => net.fmt(f),
            HostKey::Name(name) => f.write_str(name),
        }
    }
}

/// Where the columns are.
struct Columns {
    count: usize,
    host: usize,
    application: usize,
    contact: Option<usize>,
    /// Extra columns: (index, name).
    extra: Vec<(usize, String)>,
}

/// An application while rows are read: values deduplicated in file order.
#[derive(Default)]
struct AppBuilder {
    contacts: DistinctValues,
    /// Parallel to `Columns::extra`.
    attributes: Vec<DistinctValues>,
    rows: usize,
}

impl AppBuilder {
    fn for_columns(columns: &Columns) -> Self {
        AppBuilder {
            attributes: columns.extra.iter().map(|_| Default::default()).collect(),
            ..AppBuilder::default()
        }
    }
}

#[derive(Default)]
struct DistinctValues {
    order: Vec<String>,
    seen: ahash::HashSet<String>,
}

impl DistinctValues {
    fn add(&mut self, value: &str) {
        if !value.is_empty() && !self.seen.contains(value) {
            self.seen.insert(value.to_owned());
            self.order.push(value.to_owned());
        }
    }
}

pub(super) fn parse_csv(bytes: &[u8], origin: &str) -> Result<MetadataTable, MetadataError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(bytes);

    let mut table = MetadataTable::empty();
    let mut v4 = IpLookupTable::new();
    let mut v6 = IpLookupTable::new();
    let mut columns: Option<Columns> = None;
    let mut builders: Vec<AppBuilder> = vec![AppBuilder::default()];
    let mut app_ids: ahash::HashMap<String, AppId> = Default::default();
    // Key → (application, line that mapped it), to report conflicting rows.
    let mut keys: ahash::HashMap<HostKey, (AppId, usize)> = Default::default();

    let mut record = csv::ByteRecord::new();
    loop {
        let more = reader.read_byte_record(&mut record).map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            MetadataError::new(origin, line, format!("unreadable CSV: {}", csv_reason(&e)))
        })?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, |p| {
            first_line_of_record(bytes, p.byte() as usize, p.line() as usize)
        });
        // A line of only spaces trims to a single empty field: treat it as blank.
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        let fields = record
            .iter()
            .map(std::str::from_utf8)
            .collect::<Result<Vec<&str>, _>>()
            .map_err(|_| MetadataError::new(origin, line, "not valid UTF-8"))?;

        let Some(cols) = &columns else {
            let header = parse_header(&fields, origin, line)?;
            builders[0] = AppBuilder::for_columns(&header);
            columns = Some(header);
            continue;
        };
        if fields.len() != cols.count {
            return Err(MetadataError::new(
                origin,
                line,
                format!(
                    "expected {} fields like the header, found {}",
                    cols.count,
                    fields.len()
                ),
            ));
        }
        let host = fields[cols.host];
        let app_name = fields[cols.application];
        if host.is_empty() {
            return Err(MetadataError::new(origin, line, "empty host"));
        }
        if app_name.is_empty() {
            return Err(MetadataError::new(origin, line, "empty application"));
        }
        // Names and contacts reach alarm actions' arguments and environment, files and the
        // screen: one with a control character (a NUL cannot even be passed to a command) is
        // refused here rather than failing every action later.
        refuse_control_characters("application", app_name, origin, line)?;
        if let Some(contact) = cols.contact {
            refuse_control_characters("contact", fields[contact], origin, line)?;
        }
        let key = parse_host(host).map_err(|reason| MetadataError::new(origin, line, reason))?;

        let app = if app_name.eq_ignore_ascii_case(UNKNOWN) {
            AppId::UNKNOWN
        } else {
            match app_ids.get(app_name) {
                Some(id) => *id,
                None => {
                    let id = AppId(table.applications.len() as u32);
                    table.applications.push(Application {
                        name: Arc::from(app_name),
                        ..Application::default()
                    });
                    builders.push(AppBuilder::for_columns(cols));
                    app_ids.insert(app_name.to_owned(), id);
                    id
                }
            }
        };

        match keys.entry(key) {
            Entry::Occupied(seen) => {
                let (other_app, other_line) = *seen.get();
                if other_app != app {
                    return Err(MetadataError::new(
                        origin,
                        line,
                        format!(
                            "host {} maps to application `{}` here but to `{}` on line {}",
                            seen.key(),
                            app_name,
                            table.applications[other_app.0 as usize].name,
                            other_line
                        ),
                    ));
                }
            }
            Entry::Vacant(slot) => {
                match slot.key() {
                    // Blocks are truncated to their network address, as the table requires.
                    HostKey::V4(net) => {
                        v4.insert(net.network(), u32::from(net.prefix_len()), app);
                    }
                    HostKey::V6(net) => {
                        v6.insert(net.network(), u32::from(net.prefix_len()), app);
                    }
                    HostKey::Name(name) => {
                        table.hostnames.insert(name.clone(), app);
                    }
                }
                slot.insert((app, line));
            }
        }

        let builder = &mut builders[app.0 as usize];
        builder.rows += 1;
        if let Some(contact) = cols.contact {
            builder.contacts.add(fields[contact]);
        }
        for (values, (index, _)) in builder.attributes.iter_mut().zip(&cols.extra) {
            values.add(fields[*index]);
        }
        table.rows += 1;
    }

    table.v4 = Arc::new(v4);
    table.v6 = Arc::new(v6);
    let extra_names: Vec<&str> = columns
        .as_ref()
        .map(|c| c.extra.iter().map(|(_, name)| name.as_str()).collect())
        .unwrap_or_default();
    for (app, builder) in table.applications.iter_mut().zip(builders) {
        app.rows = builder.rows;
        app.contacts = builder.contacts.order;
        app.attributes = extra_names
            .iter()
            .zip(builder.attributes)
            .filter(|(_, values)| !values.order.is_empty())
            .map(|(name, values)| (name.to_string(), values.order))
            .collect();
    }
    Ok(table)
}

/// The line a record really starts on. The reader reports where it began reading, which is
/// before any comment and blank lines it skipped on the way.
fn first_line_of_record(data: &[u8], mut offset: usize, mut line: usize) -> usize {
    while let Some(&byte) = data.get(offset) {
        match byte {
            b'#' => match memchr::memchr(b'\n', &data[offset..]) {
                Some(end) => {
                    offset += end + 1;
                    line += 1;
                }
                None => break,
            },
            b'\n' => {
                offset += 1;
                line += 1;
            }
            b'\r' => offset += 1,
            _ => break,
        }
    }
    line
}

fn refuse_control_characters(
    column: &str,
    value: &str,
    origin: &str,
    line: usize,
) -> Result<(), MetadataError> {
    match value.chars().find(|c| c.is_control()) {
        None => Ok(()),
        Some(c) => Err(MetadataError::new(
            origin,
            line,
            format!(
                "{column} {value:?} contains a control character (U+{:04X})",
                u32::from(c)
            ),
        )),
    }
}

fn csv_reason(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Io(e) => e.to_string(),
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_owned(),
        other => format!("{other:?}"),
    }
}

fn parse_header(fields: &[&str], origin: &str, line: usize) -> Result<Columns, MetadataError> {
    let mut host = None;
    let mut application = None;
    let mut contact = None;
    let mut extra = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (index, name) in fields.iter().enumerate() {
        let lower = name.to_ascii_lowercase();
        if lower.is_empty() {
            return Err(MetadataError::new(
                origin,
                line,
                format!("header column {} has no name", index + 1),
            ));
        }
        if seen.contains(&lower) {
            return Err(MetadataError::new(
                origin,
                line,
                format!("header names column `{name}` twice"),
            ));
        }
        seen.push(lower.clone());
        match lower.as_str() {
            "host" => host = Some(index),
            "application" => application = Some(index),
            "contact" => contact = Some(index),
            _ => extra.push((index, name.to_string())),
        }
    }
    let missing: Vec<&str> = [("host", host), ("application", application)]
        .iter()
        .filter(|(_, index)| index.is_none())
        .map(|(name, _)| *name)
        .collect();
    match (host, application) {
        (Some(host), Some(application)) => Ok(Columns {
            count: fields.len(),
            host,
            application,
            contact,
            extra,
        }),
        _ => Err(MetadataError::new(
            origin,
            line,
            format!(
                "header has no `{}` column (a header row naming `host` and `application` must come first)",
                missing.join("` or `")
            ),
        )),
    }
}

/// An address, a CIDR block or a hostname.
fn parse_host(cell: &str) -> Result<HostKey, String> {
    if let Some((addr, len)) = cell.split_once('/') {
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("invalid CIDR block `{cell}`: `{addr}` is not an IP address"))?;
        let len: u8 = len
            .parse()
            .map_err(|_| format!("invalid CIDR block `{cell}`: `{len}` is not a prefix length"))?;
        return match addr {
            IpAddr::V4(v4) => Ipv4Net::new(v4, len)
                .map(|net| HostKey::V4(net.trunc()))
                .map_err(|_| format!("invalid CIDR block `{cell}`: an IPv4 prefix is at most /32")),
            IpAddr::V6(v6) => {
                let net = Ipv6Net::new(v6, len).map_err(|_| {
                    format!("invalid CIDR block `{cell}`: an IPv6 prefix is at most /128")
                })?;
                // `::ffff:10.0.0.0/104` is `10.0.0.0/8`: clients in that form are matched as IPv4.
                match v6.to_ipv4_mapped() {
                    Some(v4) if len >= 96 => Ok(HostKey::V4(
                        Ipv4Net::new(v4, len - 96)
                            .expect("96..=128 - 96 is a valid IPv4 prefix")
                            .trunc(),
                    )),
                    _ => Ok(HostKey::V6(net.trunc())),
                }
            }
        };
    }
    if let Ok(addr) = cell.parse::<IpAddr>() {
        return Ok(match addr {
            IpAddr::V4(v4) => HostKey::V4(Ipv4Net::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => HostKey::V4(Ipv4Net::from(v4)),
                None => HostKey::V6(Ipv6Net::from(v6)),
            },
        });
    }
    let name = cell.strip_suffix('.').unwrap_or(cell);
    let valid_chars = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    let numeric = name.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if name.is_empty() || name.len() > 253 || !valid_chars || numeric || name.contains("..") {
        return Err(format!(
            "invalid host `{cell}`: not an IP address, a CIDR block or a hostname"
        ));
    }
    Ok(HostKey::Name(name.to_ascii_lowercase().into_boxed_str()))
}
