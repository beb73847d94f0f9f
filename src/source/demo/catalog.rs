//! What the demo traffic is made of: the applications, their callers, endpoints and clients.
//!
//! Every caller address here maps to its application through `assets/demo-metadata.csv` (checked by
//! a test), so the demo's overview shows named applications plus a clearly `unknown` remainder.

/// One endpoint an application calls, with the shape of its responses.
pub(super) struct Endpoint {
    pub method: &'static str,
    /// Path and query; placeholders `{id}` (number), `{sku}`, `{uuid}`, `{q}` (search term),
    /// `{n}` (small number) are filled per request.
    pub template: &'static str,
    pub weight: u32,
    /// Status of a successful call (200, 201, 204).
    pub ok_status: u16,
    /// Median latency in microseconds and the log-normal spread.
    pub median_us: f64,
    pub sigma: f64,
    /// Median response size in bytes.
    pub median_bytes: f64,
}

/// A source application: who it is, where it calls from, what it calls.
pub(super) struct AppProfile {
    pub name: &'static str,
    /// Caller hosts as `%h` shows them: IPv4, IPv6 or a hostname.
    pub callers: &'static [&'static str],
    /// Share of the named applications' base traffic.
    pub share: f64,
    /// Time-zone offset (minutes east of UTC) of the server that logs this application's calls:
    /// the fleet is not all on UTC, and converted times must still line up.
    pub utc_offset_minutes: i32,
    pub endpoints: &'static [Endpoint],
    pub agents: &'static [&'static str],
    /// `%u`: the authenticated user, `-` for most service calls.
    pub user: &'static str,
    pub referers: &'static [&'static str],
    /// Baseline fractions of 5xx and 4xx answers.
    pub server_error_rate: f64,
    pub client_error_rate: f64,
}

const fn ep(
    method: &'static str,
    template: &'static str,
    weight: u32,
    ok_status: u16,
    median_ms: f64,
    sigma: f64,
    median_bytes: f64,
) -> Endpoint {
    Endpoint {
        method,
        template,
        weight,
        ok_status,
        median_us: median_ms * 1000.0,
        sigma,
        median_bytes,
    }
}

pub(super) const APPS: &[AppProfile] = &[
    AppProfile {
        name: "checkout",
        callers: &["10.20.1.11", "10.20.1.12", "10.20.2.40", "10.20.3.7"],
        share: 0.18,
        utc_offset_minutes: 0,
        endpoints: &[
            ep("GET", "/api/v1/cart/{id}", 40, 200, 12.0, 0.5, 2_400.0),
            ep("POST", "/api/v1/cart/{id}/items", 20, 201, 25.0, 0.6, 640.0),
            ep("POST", "/api/v1/checkout", 8, 201, 140.0, 0.7, 1_100.0),
            ep("GET", "/api/v1/orders/{id}", 15, 200, 18.0, 0.5, 3_800.0),
            ep(
                "GET",
                "/api/v1/shipping/quote?zip={id}&items={n}",
                10,
                200,
                45.0,
                0.6,
                420.0,
            ),
            ep(
                "DELETE",
                "/api/v1/cart/{id}/items/{sku}",
                7,
                204,
                20.0,
                0.5,
                0.0,
            ),
        ],
        agents: &[
            "checkout-service/4.12.1 okhttp/4.12.0",
            "Apache-HttpClient/4.5.14 (Java/17.0.9)",
        ],
        user: "-",
        referers: &["-"],
        server_error_rate: 0.004,
        client_error_rate: 0.02,
    },
    AppProfile {
        name: "payments",
        callers: &["10.20.30.5", "10.20.30.6", "10.20.31.9"],
        share: 0.08,
        utc_offset_minutes: 0,
        endpoints: &[
            ep("POST", "/api/v1/payments", 30, 201, 180.0, 0.6, 900.0),
            ep(
                "GET",
                "/api/v1/payments/{uuid}",
                40,
                200,
                15.0,
                0.5,
                1_300.0,
            ),
            ep(
                "POST",
                "/api/v1/payments/{uuid}/capture",
                20,
                200,
                220.0,
                0.7,
                700.0,
            ),
            ep("POST", "/api/v1/refunds", 5, 201, 250.0, 0.7, 650.0),
            ep(
                "GET",
                "/api/v1/payment-methods?customer={id}",
                5,
                200,
                22.0,
                0.5,
                2_100.0,
            ),
        ],
        agents: &["payments-gateway/2.31.0 (Go-http-client/1.1)"],
        user: "-",
        referers: &["-"],
        server_error_rate: 0.003,
        client_error_rate: 0.03,
    },
    AppProfile {
        name: "search",
        callers: &["10.30.4.21", "10.30.4.22", "10.30.5.3", "10.30.5.4"],
        share: 0.20,
        utc_offset_minutes: 60,
        endpoints: &[
            ep(
                "GET",
                "/search?q={q}&page={n}",
                60,
                200,
                35.0,
                0.6,
                14_000.0,
            ),
            ep(
                "GET",
                "/api/v1/suggest?prefix={q}",
                30,
                200,
                6.0,
                0.4,
                900.0,
            ),
            ep("POST", "/api/v1/search/query", 10, 200, 60.0, 0.7, 22_000.0),
        ],
        agents: &["search-frontend/7.3.0 (Node.js/20.10.0; undici)"],
        user: "-",
        referers: &[
            "-",
            "https://shop.example.com/",
            "https://shop.example.com/c/shoes",
        ],
        server_error_rate: 0.002,
        client_error_rate: 0.01,
    },
    AppProfile {
        name: "inventory",
        callers: &["10.40.8.15", "10.40.9.200", "10.40.15.3"],
        share: 0.10,
        utc_offset_minutes: 0,
        endpoints: &[
            ep("GET", "/api/v1/stock/{sku}", 60, 200, 8.0, 0.5, 380.0),
            ep("PUT", "/api/v1/stock/{sku}", 20, 200, 30.0, 0.6, 200.0),
            ep(
                "GET",
                "/api/v1/warehouses/{n}/stock?page={n}",
                15,
                200,
                90.0,
                0.7,
                48_000.0,
            ),
            ep("POST", "/api/v1/reservations", 5, 201, 40.0, 0.6, 310.0),
        ],
        agents: &[
            "python-requests/2.31.0",
            "inventory-sync/1.8.2 python-requests/2.31.0",
        ],
        user: "-",
        referers: &["-"],
        server_error_rate: 0.003,
        client_error_rate: 0.015,
    },
    AppProfile {
        name: "auth",
        callers: &["172.16.5.10", "172.16.5.11", "172.16.9.17"],
        share: 0.14,
        utc_offset_minutes: 0,
        endpoints: &[
            ep("POST", "/oauth2/token", 50, 200, 20.0, 0.5, 1_050.0),
            ep("GET", "/oauth2/jwks.json", 10, 200, 2.0, 0.4, 1_600.0),
            ep("POST", "/api/v1/sessions", 25, 201, 28.0, 0.5, 480.0),
            ep("DELETE", "/api/v1/sessions/{uuid}", 10, 204, 9.0, 0.4, 0.0),
            ep("GET", "/api/v1/users/{id}", 5, 200, 11.0, 0.5, 920.0),
        ],
        agents: &["identity-service/5.0.4 (Java/21.0.1) Apache-HttpClient/5.2.1"],
        user: "svc-identity",
        referers: &["-"],
        server_error_rate: 0.002,
        client_error_rate: 0.05,
    },
    AppProfile {
        name: "recommendations",
        callers: &[
            "2001:db8:42:1::a1",
            "2001:db8:42:1::a2",
            "2001:db8:42:7::1f",
        ],
        share: 0.12,
        utc_offset_minutes: 0,
        endpoints: &[
            ep("GET", "/api/v1/products/{sku}", 45, 200, 9.0, 0.5, 5_200.0),
            ep(
                "GET",
                "/api/v1/products/{sku}/related?limit={n}",
                35,
                200,
                28.0,
                0.6,
                9_800.0,
            ),
            ep(
                "GET",
                "/api/v1/catalog/batch?ids={sku},{sku},{sku}",
                20,
                200,
                55.0,
                0.7,
                24_000.0,
            ),
        ],
        agents: &["recs-ranker/0.19.2 (python-httpx/0.27.0)"],
        user: "-",
        referers: &["-"],
        server_error_rate: 0.003,
        client_error_rate: 0.01,
    },
    AppProfile {
        name: "mobile-bff",
        callers: &["192.168.100.20", "192.168.101.34", "192.168.103.250"],
        share: 0.12,
        utc_offset_minutes: -300,
        endpoints: &[
            ep("GET", "/api/v2/home", 30, 200, 45.0, 0.6, 18_000.0),
            ep("GET", "/api/v2/products/{sku}", 30, 200, 16.0, 0.5, 6_400.0),
            ep("GET", "/api/v1/cart/{id}", 20, 200, 14.0, 0.5, 2_400.0),
            ep(
                "GET",
                "/static/img/p/{sku}-480w.webp",
                15,
                200,
                3.0,
                0.5,
                38_000.0,
            ),
            ep("POST", "/api/v2/events", 5, 204, 4.0, 0.4, 0.0),
        ],
        agents: &[
            "mobile-bff/3.4.0 (Kotlin; okhttp/4.12.0)",
            "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/UQ1A.240205.004)",
            "Shop/5.12 (iPhone; iOS 17.2; Scale/3.00) CFNetwork/1485 Darwin/23.1.0",
        ],
        user: "-",
        referers: &["-", "https://m.shop.example.com/"],
        server_error_rate: 0.004,
        client_error_rate: 0.03,
    },
    AppProfile {
        name: "reporting-batch",
        callers: &[
            "reporting-batch-01.corp.example.com",
            "reporting-batch-02.corp.example.com",
        ],
        share: 0.02,
        utc_offset_minutes: 0,
        endpoints: &[
            ep(
                "GET",
                "/api/v1/orders?since=2026-11-01&page={n}",
                60,
                200,
                320.0,
                0.8,
                180_000.0,
            ),
            ep(
                "GET",
                "/api/v1/export/sales.csv?day={n}",
                10,
                200,
                1_900.0,
                0.6,
                4_500_000.0,
            ),
            ep(
                "GET",
                "/api/v1/customers?page={n}",
                30,
                200,
                260.0,
                0.7,
                120_000.0,
            ),
        ],
        agents: &[
            "curl/8.5.0",
            "reporting-etl/2024.11 (python-requests/2.31.0)",
        ],
        user: "svc-reporting",
        referers: &["-"],
        server_error_rate: 0.005,
        client_error_rate: 0.005,
    },
    AppProfile {
        name: "notifications",
        callers: &["10.50.12.8", "10.50.12.9"],
        share: 0.04,
        utc_offset_minutes: 0,
        endpoints: &[
            ep(
                "POST",
                "/api/v1/notifications/email",
                50,
                202,
                60.0,
                0.6,
                150.0,
            ),
            ep(
                "POST",
                "/api/v1/notifications/push",
                30,
                202,
                35.0,
                0.6,
                150.0,
            ),
            ep(
                "GET",
                "/api/v1/users/{id}/preferences",
                20,
                200,
                7.0,
                0.5,
                640.0,
            ),
        ],
        agents: &["pigeon/1.2.7 (Go-http-client/1.1)"],
        user: "-",
        referers: &["-"],
        server_error_rate: 0.002,
        client_error_rate: 0.01,
    },
];

/// The noisy unknown caller: a scanner from an address in no metadata block.
pub(super) const SCANNER: &str = "203.0.113.66";

pub(super) const SCANNER_PATHS: &[&str] = &[
    "/wp-login.php",
    "/.env",
    "/admin",
    "/.git/config",
    "/phpmyadmin/index.php",
    "/cgi-bin/luci/;stok=/locale",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/actuator/env",
    "/server-status",
    "/xmlrpc.php",
    "/wp-content/plugins/wp-file-manager/readme.txt",
    "/api/v1/users?id=1%27%20OR%20%271%27=%271",
];

pub(super) const SCANNER_AGENTS: &[&str] = &[
    "Mozilla/5.0 zgrab/0.x",
    "python-requests/2.25.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.124 Safari/537.36",
];

/// Stray unknown callers: a handful of addresses in no block, calling ordinary public paths.
pub(super) const STRAY_CALLERS: &[&str] = &[
    "198.51.100.23",
    "198.51.100.141",
    "192.0.2.77",
    "192.0.2.200",
    "100.70.3.9",
    "2001:db8:beef::7",
];

pub(super) const STRAY_PATHS: &[&str] = &[
    "/",
    "/robots.txt",
    "/favicon.ico",
    "/api/v1/products/{sku}",
    "/api/v1/health",
    "/search?q={q}&page=1",
];

pub(super) const STRAY_AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "curl/7.88.1",
    "Go-http-client/1.1",
    "Prometheus/2.48.0",
];

pub(super) const SEARCH_TERMS: &[&str] = &[
    "running+shoes",
    "rain+jacket",
    "usb-c+cable",
    "coffee%20grinder",
    "lego",
    "wool+socks",
    "espresso",
    "standing+desk",
    "k%C3%BChlschrank",
    "headphones",
];
