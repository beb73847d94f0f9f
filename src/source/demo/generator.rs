//! The pure demo traffic generator: seeded, no clock inside; time is passed in.

use std::io::Write;
use std::time::Duration;

use super::catalog::{
    AppProfile, Endpoint, APPS, SCANNER, SCANNER_AGENTS, SCANNER_PATHS, SEARCH_TERMS, STRAY_AGENTS,
    STRAY_CALLERS, STRAY_PATHS,
};

/// Tunables of the demo traffic. `Default` gives the traffic the default run shows.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConfig {
    /// Same seed, same calls → same lines.
    pub seed: u64,
    /// Mean requests per second of the named applications (before the daily wobble and incidents).
    pub base_rate: f64,
    /// Mean requests per second of the noisy scanner between its bursts.
    pub scanner_rate: f64,
    /// Requests per second from stray unknown callers.
    pub stray_rate: f64,
    /// The incidents (flood, 5xx spike, latency tail) recur with this period; with the default
    /// 15 minutes any 20-minute view shows each of them.
    pub incident_cycle: Duration,
    /// How much the flooding application multiplies its rate.
    pub flood_factor: f64,
    /// Fraction of hostile lines (truncated, TLS bytes, 408 `-`, terminal escapes).
    pub hostile_rate: f64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            seed: 0x006b_696e_6574_6f70,
            base_rate: 260.0,
            scanner_rate: 3.0,
            stray_rate: 1.0,
            incident_cycle: Duration::from_secs(15 * 60),
            flood_factor: 10.0,
            hostile_rate: 0.001,
        }
    }
}

/// The scripted incidents, in the order they happen within a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incident {
    /// [`FLOOD_APP`] calls at `flood_factor` × its rate.
    Flood,
    /// [`ERROR_APP`] gets 30–60 % 5xx answers.
    ServerErrors,
    /// [`SLOW_APP`]'s p99 latency grows about twentyfold.
    LatencyTail,
}

pub const FLOOD_APP: &str = "inventory";
pub const ERROR_APP: &str = "payments";
pub const SLOW_APP: &str = "search";

/// Where each incident sits in the cycle, as fractions `[start, end)` of it.
const SCHEDULE: [(Incident, f64, f64); 3] = [
    (Incident::Flood, 2.0 / 15.0, 5.5 / 15.0),
    (Incident::ServerErrors, 7.0 / 15.0, 10.5 / 15.0),
    (Incident::LatencyTail, 11.0 / 15.0, 14.5 / 15.0),
];

/// Who a generated event comes from.
#[derive(Clone, Copy)]
enum Caller {
    App(u8),
    Scanner,
    Stray,
}

/// Deterministic, clock-free generator of Apache `combined_D` lines
/// (`%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D`).
pub struct DemoGenerator {
    config: DemoConfig,
    rng: fastrand::Rng,
    events: Vec<(i64, Caller)>,
    flood_app: usize,
    error_app: usize,
    slow_app: usize,
}

fn app_index(name: &str) -> usize {
    APPS.iter()
        .position(|a| a.name == name)
        .expect("incident app in catalog")
}

impl DemoGenerator {
    pub fn new(config: DemoConfig) -> Self {
        DemoGenerator {
            rng: fastrand::Rng::with_seed(config.seed),
            config,
            events: Vec::new(),
            flood_app: app_index(FLOOD_APP),
            error_app: app_index(ERROR_APP),
            slow_app: app_index(SLOW_APP),
        }
    }

    pub fn config(&self) -> &DemoConfig {
        &self.config
    }

    /// The names of the demo's source applications (all mapped in `assets/demo-metadata.csv`).
    pub fn applications() -> impl Iterator<Item = &'static str> {
        APPS.iter().map(|a| a.name)
    }

    /// The caller hosts (`%h`) of an application; empty for an unknown name.
    pub fn callers(application: &str) -> &'static [&'static str] {
        APPS.iter()
            .find(|a| a.name == application)
            .map_or(&[], |a| a.callers)
    }

    /// The incident in effect at `at_ms` (UTC epoch milliseconds), if any.
    pub fn incident_at(&self, at_ms: i64) -> Option<Incident> {
        self.incident_progress(at_ms).map(|(incident, _)| incident)
    }

    /// The incident in effect at `at_ms` and how far through it we are (0 to 1).
    fn incident_progress(&self, at_ms: i64) -> Option<(Incident, f64)> {
        let cycle = self.cycle_ms();
        let phase = at_ms.rem_euclid(cycle) as f64 / cycle as f64;
        SCHEDULE
            .iter()
            .find(|(_, start, end)| phase >= *start && phase < *end)
            .map(|(incident, start, end)| (*incident, (phase - start) / (end - start)))
    }

    /// Where `incident` next starts at or after `at_ms`, and its length, in milliseconds.
    pub fn next_incident(&self, incident: Incident, at_ms: i64) -> (i64, i64) {
        let cycle = self.cycle_ms();
        // Every incident has a row in SCHEDULE (a unit test checks); none would mean "never".
        let Some((_, start, end)) = SCHEDULE.iter().find(|(i, _, _)| *i == incident).copied()
        else {
            return (i64::MAX, 0);
        };
        let cycle_start = at_ms - at_ms.rem_euclid(cycle);
        let mut begin = cycle_start + (start * cycle as f64) as i64;
        if begin < at_ms {
            begin += cycle;
        }
        (begin, ((end - start) * cycle as f64) as i64)
    }

    fn cycle_ms(&self) -> i64 {
        (self.config.incident_cycle.as_millis() as i64).max(60_000)
    }

    /// Daily rhythm plus slower and faster wobbles: between about 0.65 and 1.35.
    fn wobble(at_ms: i64) -> f64 {
        use std::f64::consts::TAU;
        let t = at_ms as f64 / 1000.0;
        let day = (t / 86_400.0).fract();
        1.0 + 0.2 * (TAU * (day - 0.3)).sin()
            + 0.08 * (TAU * t / 540.0).sin()
            + 0.05 * (TAU * t / 97.0).sin()
    }

    /// Expected requests per second of one application at `at_ms`.
    fn app_rate(&self, app: usize, at_ms: i64) -> f64 {
        let mut rate = self.config.base_rate * APPS[app].share * Self::wobble(at_ms);
        if app == self.flood_app && self.incident_at(at_ms) == Some(Incident::Flood) {
            rate *= self.config.flood_factor;
        }
        rate
    }

    /// The scanner comes in bursts: 20 s at 8× its rate every 3 minutes.
    fn scanner_rate(&self, at_ms: i64) -> f64 {
        let burst = at_ms.rem_euclid(180_000) < 20_000;
        self.config.scanner_rate * if burst { 8.0 } else { 1.0 }
    }

    /// Expected total requests per second at `at_ms`.
    pub fn expected_rate(&self, at_ms: i64) -> f64 {
        (0..APPS.len())
            .map(|a| self.app_rate(a, at_ms))
            .sum::<f64>()
            + self.scanner_rate(at_ms)
            + self.config.stray_rate
    }

    /// Expected number of lines in `[from_ms, to_ms)` (sampled once a second).
    pub fn expected_lines(&self, from_ms: i64, to_ms: i64) -> f64 {
        let mut total = 0.0;
        let mut t = from_ms;
        while t < to_ms {
            let end = (t + 1000).min(to_ms);
            total += self.expected_rate(t) * (end - t) as f64 / 1000.0;
            t = end;
        }
        total
    }

    /// Appends the lines of requests made in `[from_ms, to_ms)` (UTC epoch milliseconds) to `out`,
    /// each ending in `\n`, in time order; returns how many.
    pub fn lines_between(&mut self, from_ms: i64, to_ms: i64, out: &mut Vec<u8>) -> usize {
        let mut lines = 0;
        let mut t = from_ms;
        while t < to_ms {
            // Slices end on whole seconds so rates are evaluated the same way however the time
            // range is cut into calls.
            let end = ((t.div_euclid(1000) + 1) * 1000).min(to_ms);
            lines += self.slice(t, end, out);
            t = end;
        }
        lines
    }

    fn slice(&mut self, from_ms: i64, to_ms: i64, out: &mut Vec<u8>) -> usize {
        let secs = (to_ms - from_ms) as f64 / 1000.0;
        let mut events = std::mem::take(&mut self.events);
        events.clear();
        for app in 0..APPS.len() {
            let n = self.poisson(self.app_rate(app, from_ms) * secs);
            for _ in 0..n {
                events.push((self.rng.i64(from_ms..to_ms), Caller::App(app as u8)));
            }
        }
        let n = self.poisson(self.scanner_rate(from_ms) * secs);
        for _ in 0..n {
            events.push((self.rng.i64(from_ms..to_ms), Caller::Scanner));
        }
        let n = self.poisson(self.config.stray_rate * secs);
        for _ in 0..n {
            events.push((self.rng.i64(from_ms..to_ms), Caller::Stray));
        }
        events.sort_by_key(|e| e.0);
        for &(at_ms, caller) in &events {
            if self.rng.f64() < self.config.hostile_rate {
                self.hostile_line(at_ms, out);
            } else {
                match caller {
                    Caller::App(app) => self.app_line(app as usize, at_ms, out),
                    Caller::Scanner => self.scanner_line(at_ms, out),
                    Caller::Stray => self.stray_line(at_ms, out),
                }
            }
        }
        let n = events.len();
        self.events = events;
        n
    }

    /// A Poisson-distributed count (Knuth for small means, normal approximation above).
    fn poisson(&mut self, mean: f64) -> usize {
        if mean <= 0.0 {
            return 0;
        }
        if mean < 30.0 {
            let limit = (-mean).exp();
            let mut k = 0;
            let mut p = self.rng.f64();
            while p > limit {
                k += 1;
                p *= self.rng.f64();
            }
            k
        } else {
            (mean + mean.sqrt() * self.normal()).round().max(0.0) as usize
        }
    }

    /// A standard normal sample (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.rng.f64(); // (0, 1]
        let u2 = self.rng.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.usize(..items.len())]
    }

    fn app_line(&mut self, app: usize, at_ms: i64, out: &mut Vec<u8>) {
        let profile: &AppProfile = &APPS[app];
        let total: u32 = profile.endpoints.iter().map(|e| e.weight).sum();
        let mut roll = self.rng.u32(..total);
        let endpoint: &Endpoint = profile
            .endpoints
            .iter()
            .find(|e| {
                let hit = roll < e.weight;
                roll = roll.saturating_sub(e.weight);
                hit
            })
            .unwrap_or(&profile.endpoints[0]);
        let incident = self.incident_at(at_ms);

        let mut server_errors = profile.server_error_rate;
        if app == self.error_app && incident == Some(Incident::ServerErrors) {
            // 30 % at the edges of the spike, 60 % at its height.
            let through = self.incident_progress(at_ms).map_or(0.0, |(_, p)| p);
            server_errors = 0.3 + 0.3 * (std::f64::consts::PI * through).sin();
        }
        let roll = self.rng.f64();
        let status: u16 = if roll < server_errors {
            *self.pick(&[500, 502, 502, 503, 503, 504])
        } else if roll < server_errors + profile.client_error_rate {
            *self.pick(&[400, 401, 403, 404, 404, 409, 422, 429])
        } else if endpoint.method == "GET" && self.rng.f64() < 0.015 {
            304
        } else {
            endpoint.ok_status
        };

        let mut latency = self.log_normal(endpoint.median_us, endpoint.sigma);
        if self.rng.f64() < 0.005 {
            latency *= self.rng.f64() * 10.0 + 5.0; // the everyday long tail
        }
        if app == self.slow_app && incident == Some(Incident::LatencyTail) && self.rng.f64() < 0.06
        {
            latency *= self.rng.f64() * 30.0 + 20.0;
        }
        match status {
            503 => latency = self.log_normal(1_500.0, 0.5),
            504 => latency = self.log_normal(30_000_000.0, 0.05),
            _ => {}
        }
        let bytes = match status {
            204 | 304 => 0,
            s if s >= 400 => self.rng.u64(90..600),
            _ => self.log_normal(endpoint.median_bytes, 0.5).max(2.0) as u64,
        };

        let host = *self.pick(profile.callers);
        let agent = *self.pick(profile.agents);
        let referer = *self.pick(profile.referers);
        self.write_prefix(out, host, profile.user, at_ms, profile.utc_offset_minutes);
        out.extend_from_slice(endpoint.method.as_bytes());
        out.push(b' ');
        self.fill_template(endpoint.template, out);
        write_tail(out, status, bytes, referer, agent, latency as u64);
    }

    fn scanner_line(&mut self, at_ms: i64, out: &mut Vec<u8>) {
        let path = *self.pick(SCANNER_PATHS);
        let method = if self.rng.u8(..10) == 0 {
            "POST"
        } else {
            "GET"
        };
        let status = match self.rng.u8(..20) {
            0 => 403,
            1 => 400,
            2 => 301,
            _ => 404,
        };
        let agent = *self.pick(SCANNER_AGENTS);
        let latency = self.log_normal(900.0, 0.6) as u64;
        let bytes = self.rng.u64(180..520);
        self.write_prefix(out, SCANNER, "-", at_ms, 0);
        let _ = write!(out, "{method} {path}");
        write_tail(out, status, bytes, "-", agent, latency);
    }

    fn stray_line(&mut self, at_ms: i64, out: &mut Vec<u8>) {
        let host = *self.pick(STRAY_CALLERS);
        let path = *self.pick(STRAY_PATHS);
        let status = match self.rng.u8(..10) {
            0 => 404,
            1 => 301,
            _ => 200,
        };
        let agent = *self.pick(STRAY_AGENTS);
        let latency = self.log_normal(4_000.0, 0.8) as u64;
        let bytes = if status == 200 {
            self.rng.u64(300..9_000)
        } else {
            240
        };
        self.write_prefix(out, host, "-", at_ms, 0);
        out.extend_from_slice(b"GET ");
        self.fill_template(path, out);
        write_tail(out, status, bytes, "-", agent, latency);
    }

    /// Lines a real fleet throws at a log pipeline now and then; Apache escapes control bytes in
    /// quoted fields as `\xhh`, so these are printable text, except the truncated one.
    fn hostile_line(&mut self, at_ms: i64, out: &mut Vec<u8>) {
        let host = *self.pick(STRAY_CALLERS);
        match self.rng.u8(..4) {
            0 => {
                // Cut short by a shipper: a good line missing its end.
                let start = out.len();
                self.stray_line(at_ms, out);
                let full = out.len() - start - 1;
                out.truncate(start + self.rng.usize(8..full / 2));
                out.push(b'\n');
            }
            1 => {
                // A TLS handshake sent to the plain-HTTP port.
                self.write_prefix_raw(out, host, "-", at_ms, 0);
                out.extend_from_slice(
                    br#""\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x9a\x0f" 400 - "-" "-" "#,
                );
                let _ = writeln!(out, "{}", self.rng.u64(200..900));
            }
            2 => {
                // A connection opened and never used: Apache logs `-` as the request.
                self.write_prefix_raw(out, host, "-", at_ms, 0);
                let _ = writeln!(
                    out,
                    r#""-" 408 - "-" "-" {}"#,
                    self.rng.u64(20_000_000..20_100_000)
                );
            }
            _ => {
                // A User-Agent trying to colour the operator's terminal and set its title.
                self.write_prefix(out, host, "-", at_ms, 0);
                out.extend_from_slice(b"GET /");
                write_tail(
                    out,
                    200,
                    self.rng.u64(300..900),
                    "-",
                    r"Mozilla/5.0 \x1b[31mPWNED\x1b[0m\x1b]0;owned\x07",
                    self.rng.u64(900..5_000),
                );
            }
        }
    }

    /// `%h %l %u %t "` — up to the request line.
    fn write_prefix(
        &mut self,
        out: &mut Vec<u8>,
        host: &str,
        user: &str,
        at_ms: i64,
        offset_min: i32,
    ) {
        self.write_prefix_raw(out, host, user, at_ms, offset_min);
        out.push(b'"');
    }

    fn write_prefix_raw(
        &mut self,
        out: &mut Vec<u8>,
        host: &str,
        user: &str,
        at_ms: i64,
        offset_min: i32,
    ) {
        let _ = write!(out, "{host} - {user} ");
        write_apache_time(out, at_ms, offset_min);
        out.push(b' ');
    }

    fn fill_template(&mut self, template: &str, out: &mut Vec<u8>) {
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.extend_from_slice(&rest.as_bytes()[..open]);
            let close = open + rest[open..].find('}').expect("closed placeholder");
            match &rest[open + 1..close] {
                "id" => {
                    let _ = write!(out, "{}", self.rng.u32(10_000..9_999_999));
                }
                "sku" => {
                    let _ = write!(out, "SKU-{:06}", self.rng.u32(..1_000_000));
                }
                "uuid" => {
                    let (a, b) = (self.rng.u64(..), self.rng.u64(..));
                    let _ = write!(
                        out,
                        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
                        a >> 32,
                        (a >> 16) & 0xffff,
                        a & 0xfff,
                        (b >> 48) | 0x8000,
                        b & 0xffff_ffff_ffff
                    );
                }
                "q" => out.extend_from_slice(self.pick(SEARCH_TERMS).as_bytes()),
                "n" => {
                    let _ = write!(out, "{}", self.rng.u32(1..21));
                }
                other => out.extend_from_slice(other.as_bytes()),
            }
            rest = &rest[close + 1..];
        }
        out.extend_from_slice(rest.as_bytes());
    }
}

/// ` HTTP/1.1" %>s %b "%{Referer}i" "%{User-Agent}i" %D\n` — after the request target.
fn write_tail(
    out: &mut Vec<u8>,
    status: u16,
    bytes: u64,
    referer: &str,
    agent: &str,
    latency_us: u64,
) {
    let _ = write!(out, " HTTP/1.1\" {status} ");
    if bytes == 0 {
        out.push(b'-');
    } else {
        let _ = write!(out, "{bytes}");
    }
    let _ = writeln!(out, " \"{referer}\" \"{agent}\" {}", latency_us.max(50));
}

/// `[26/Nov/2026:10:05:00 +0100]`: the request time in the logging server's time zone.
fn write_apache_time(out: &mut Vec<u8>, at_ms: i64, offset_min: i32) {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let offset =
        time::UtcOffset::from_whole_seconds(offset_min * 60).unwrap_or(time::UtcOffset::UTC);
    let utc = time::OffsetDateTime::from_unix_timestamp(at_ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let local = utc.to_offset(offset);
    let sign = if offset_min < 0 { '-' } else { '+' };
    let abs = offset_min.unsigned_abs();
    let _ = write!(
        out,
        "[{:02}/{}/{}:{:02}:{:02}:{:02} {sign}{:02}{:02}]",
        local.day(),
        MONTHS[local.month() as usize - 1],
        local.year(),
        local.hour(),
        local.minute(),
        local.second(),
        abs / 60,
        abs % 60
    );
}
