//! Test harness: local AWS emulators on free loopback ports (installed on first use by
//! `scripts/emulators.sh`), SDK clients for them, producers, and a collector of source events.

pub mod binary;
pub mod loopback;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use kinetop::aws::AwsOptions;
use kinetop::pipeline::snapshot::SourceStatus;
use kinetop::source::kinesis::sdk::SdkKinesis;
use kinetop::source::kinesis::{KinesisOptions, KinesisSource};
use kinetop::source::{Payload, Source, SourceEvent, StreamRecord};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Where the emulators are installed.
pub fn emulator_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::var_os("KINETOP_EMULATOR_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").expect("HOME"))
                    .join(".cache/kinetop-emulators")
            });
        let installed = dir.join("venv/bin/moto_server").exists()
            && dir.join("node_modules/kinesis-local/main.js").exists()
            && dir.join("node_modules/kinesalite/package.json").exists()
            && dir.join("kinesalite-loopback.js").exists();
        if !installed {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/emulators.sh");
            let status = Command::new("bash")
                .arg(&script)
                .arg(&dir)
                .status()
                .expect("run scripts/emulators.sh");
            assert!(status.success(), "scripts/emulators.sh failed");
        }
        dir
    })
    .clone()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Kinesalite,
    KinesisLocal,
    Moto,
}

/// A running emulator, stopped on drop.
pub struct Emulator {
    pub kind: Kind,
    pub port: u16,
    child: Option<Child>,
    /// kinesalite keeps its data here, so a restart finds the streams again.
    storage: Option<tempfile::TempDir>,
}

impl Emulator {
    pub fn kinesalite() -> Self {
        Self::start(Kind::Kinesalite, None)
    }

    /// kinesalite with its data on disk: survives [`Emulator::stop`] + [`Emulator::restart`].
    pub fn kinesalite_persistent() -> Self {
        Self::start(Kind::Kinesalite, Some(tempfile::tempdir().unwrap()))
    }

    pub fn kinesis_local() -> Self {
        Self::start(Kind::KinesisLocal, None)
    }

    pub fn moto() -> Self {
        Self::start(Kind::Moto, None)
    }

    fn start(kind: Kind, storage: Option<tempfile::TempDir>) -> Self {
        let mut e = Emulator {
            kind,
            port: free_port(),
            child: None,
            storage,
        };
        e.spawn();
        e
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let dir = emulator_dir();
        let port = self.port.to_string();
        let mut cmd = match self.kind {
            Kind::Kinesalite => {
                let mut c = Command::new("node");
                c.arg(dir.join("kinesalite-loopback.js")).arg(&port);
                if let Some(s) = &self.storage {
                    c.arg(s.path());
                }
                c
            }
            Kind::KinesisLocal => {
                let mut c = Command::new("node");
                c.arg(dir.join("node_modules/kinesis-local/main.js"))
                    .env(
                        "KINESIS_MOCK_CERT_PATH",
                        dir.join("node_modules/kinesis-local/server.json"),
                    )
                    .env("KINESIS_MOCK_PLAIN_PORT", &port)
                    .env("KINESIS_MOCK_TLS_PORT", free_port().to_string())
                    .env("LOG_LEVEL", "WARN");
                for var in [
                    "CREATE_STREAM_DURATION",
                    "DELETE_STREAM_DURATION",
                    "SPLIT_SHARD_DURATION",
                    "MERGE_SHARDS_DURATION",
                    "UPDATE_SHARD_COUNT_DURATION",
                    "REGISTER_STREAM_CONSUMER_DURATION",
                    "DEREGISTER_STREAM_CONSUMER_DURATION",
                    "START_STREAM_ENCRYPTION_DURATION",
                    "STOP_STREAM_ENCRYPTION_DURATION",
                ] {
                    c.env(var, "50ms");
                }
                c
            }
            Kind::Moto => {
                let mut c = Command::new(dir.join("venv/bin/moto_server"));
                c.args(["-H", "127.0.0.1", "-p", &port]);
                c
            }
        };
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start emulator");
        self.child = Some(child);
        let path = match self.kind {
            Kind::Kinesalite => "/",
            Kind::KinesisLocal => "/healthcheck",
            Kind::Moto => "/moto-api/",
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match http_status(self.port, path) {
                Some(200) => return,
                // kinesalite answers unsigned requests with 403: it is up.
                Some(_) if self.kind == Kind::Kinesalite => return,
                _ => {}
            }
            if let Some(Some(status)) = self.child.as_mut().map(|c| c.try_wait().ok().flatten()) {
                panic!("{:?} exited at start: {status}", self.kind);
            }
            assert!(
                Instant::now() < deadline,
                "{:?} not ready on port {} after 30 s",
                self.kind,
                self.port
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the emulator (the port stays reserved for [`Emulator::restart`]).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `GET path` on loopback; the status code, if anything answered.
fn http_status(port: u16, path: &str) -> Option<u16> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).ok()?;
    let head = std::str::from_utf8(&buf[..n]).ok()?;
    head.split_whitespace().nth(1)?.parse().ok()
}

/// A stream, bucket or consumer name no other test uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn options(endpoint: &str) -> AwsOptions {
    AwsOptions {
        region: Some("us-east-1".into()),
        profile: None,
        endpoint_url: Some(endpoint.to_string()),
        s3_endpoint_url: Some(endpoint.to_string()),
        ..AwsOptions::default()
    }
}

/// The app's own SDK configuration, with the emulators' static credentials.
pub async fn shared_config(endpoint: &str) -> SdkConfig {
    let creds = aws_sdk_kinesis::config::Credentials::new("test", "test", None, None, "tests");
    kinetop::aws::config_loader(&options(endpoint))
        .credentials_provider(creds)
        .load()
        .await
}

pub async fn kinesis_client(endpoint: &str) -> aws_sdk_kinesis::Client {
    kinetop::aws::kinesis_client_with(&shared_config(endpoint).await, &options(endpoint))
}

pub async fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    kinetop::aws::s3_client_with(&shared_config(endpoint).await, &options(endpoint))
}

/// Creates a stream and waits until it is ACTIVE.
pub async fn create_stream(client: &aws_sdk_kinesis::Client, name: &str, shards: i32) {
    client
        .create_stream()
        .stream_name(name)
        .shard_count(shards)
        .send()
        .await
        .expect("CreateStream");
    wait_active(client, name).await;
}

pub async fn wait_active(client: &aws_sdk_kinesis::Client, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = client
            .describe_stream_summary()
            .stream_name(name)
            .send()
            .await
            .expect("DescribeStreamSummary");
        if out
            .stream_description_summary()
            .unwrap()
            .stream_status()
            .as_str()
            == "ACTIVE"
        {
            return;
        }
        assert!(Instant::now() < deadline, "stream {name} not ACTIVE");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Puts records (in PutRecords batches of up to 500, resending failed entries); each record
/// goes to a partition key derived from its index, so it spreads over every shard.
pub async fn put_records(client: &aws_sdk_kinesis::Client, stream: &str, records: Vec<Vec<u8>>) {
    let mut pending: Vec<(String, Vec<u8>)> = records
        .into_iter()
        .enumerate()
        .map(|(i, data)| (format!("key-{i}-{}", i * 7919), data))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !pending.is_empty() {
        assert!(Instant::now() < deadline, "PutRecords kept failing");
        let batch: Vec<(String, Vec<u8>)> = pending.drain(..pending.len().min(500)).collect();
        let entries = batch
            .iter()
            .map(|(key, data)| {
                PutRecordsRequestEntry::builder()
                    .partition_key(key)
                    .data(Blob::new(data.clone()))
                    .build()
                    .unwrap()
            })
            .collect();
        match client
            .put_records()
            .stream_name(stream)
            .set_records(Some(entries))
            .send()
            .await
        {
            Ok(out) => {
                for (entry, result) in batch.into_iter().zip(out.records()) {
                    if result.error_code().is_some() {
                        pending.push(entry);
                    }
                }
            }
            Err(e) => {
                eprintln!("PutRecords failed, retrying: {e}");
                pending.extend(batch);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// `count` plain-text records `tag-0 … tag-(count-1)`.
pub fn tagged(tag: &str, count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| format!("{tag}-{i}\n").into_bytes())
        .collect()
}

/// Everything a source sent, in order.
#[derive(Debug, Default)]
pub struct Collected {
    /// (shard, record)
    pub records: Vec<(String, StreamRecord)>,
    pub statuses: Vec<SourceStatus>,
    pub watermarks: usize,
    pub finished: bool,
}

impl Collected {
    /// Fails if any (shard, sequence number) came twice.
    pub fn assert_no_duplicates(&self) {
        let mut seen = std::collections::HashSet::new();
        for (shard, r) in &self.records {
            assert!(
                seen.insert((shard.clone(), r.sequence_number.clone())),
                "record read twice: {shard} {}",
                r.sequence_number
            );
        }
    }

    /// Fails unless the records' data are exactly `expected` (as a multiset).
    pub fn assert_exactly(&self, expected: &[Vec<u8>]) {
        let mut got: Vec<&[u8]> = self
            .records
            .iter()
            .map(|(_, r)| r.data.as_slice())
            .collect();
        let mut want: Vec<&[u8]> = expected.iter().map(Vec::as_slice).collect();
        got.sort();
        want.sort();
        assert_eq!(got.len(), want.len(), "record count");
        assert!(got == want, "records differ from what was put");
    }

    pub fn last_status(&self) -> Option<&SourceStatus> {
        self.statuses.last()
    }

    /// Every problem shown: the source's line, and each shard's (the line names only the first
    /// of several shards with problems).
    pub fn problems(&self) -> Vec<String> {
        self.statuses
            .iter()
            .flat_map(|s| {
                let shards = s.details.iter().filter_map(|d| d.problem.clone());
                s.problem.clone().into_iter().chain(shards)
            })
            .collect()
    }
}

/// A source running in its own task, its events collected on demand.
pub struct Running {
    rx: mpsc::Receiver<SourceEvent>,
    pub cancel: CancellationToken,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
    pub got: Collected,
}

impl Running {
    pub fn start(source: KinesisSource) -> Self {
        let (tx, rx) = mpsc::channel(64);
        let cancel = CancellationToken::new();
        let handle = tokio::spawn(Box::new(source).run(tx, cancel.clone()));
        Running {
            rx,
            cancel,
            handle: Some(handle),
            got: Collected::default(),
        }
    }

    fn absorb(&mut self, event: SourceEvent) {
        match event {
            SourceEvent::Batch(b) => match b.payload {
                Payload::Records(rs) => self
                    .got
                    .records
                    .extend(rs.into_iter().map(|r| (b.origin.to_string(), r))),
                Payload::Lines(_) => panic!("Kinesis sends records"),
            },
            SourceEvent::Status(s) => self.got.statuses.push(s),
            SourceEvent::Watermark(_) => self.got.watermarks += 1,
            SourceEvent::Finished => self.got.finished = true,
        }
    }

    /// Collects events until `done` holds (true) or `timeout` passes (false).
    pub async fn wait_for(&mut self, timeout: Duration, done: impl Fn(&Collected) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while !done(&self.got) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(ev)) => self.absorb(ev),
                Ok(None) => return done(&self.got),
                Err(_) => return false,
            }
        }
        true
    }

    /// Collects for a while longer (to see that nothing more arrives).
    pub async fn settle(&mut self, d: Duration) {
        self.wait_for(d, |_| false).await;
    }

    /// Cancels the source and returns what it sent and how it ended.
    pub async fn stop(mut self) -> (Collected, anyhow::Result<()>) {
        self.cancel.cancel();
        while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_secs(5), self.rx.recv()).await
        {
            self.absorb(ev);
        }
        let result = tokio::time::timeout(Duration::from_secs(10), self.handle.take().unwrap())
            .await
            .expect("source stops when cancelled")
            .expect("source task panicked");
        (self.got, result)
    }
}

/// A source on `stream` through the SDK, polling from trim-horizon, with short timings.
pub fn kinesis_options(stream: &str) -> KinesisOptions {
    let tuning = kinetop::source::kinesis::Tuning {
        relist_interval: Duration::from_secs(2),
        status_interval: Duration::from_millis(250),
        idle_interval: Duration::from_millis(300),
        ..Default::default()
    };
    KinesisOptions {
        stream: stream.to_string(),
        from: kinetop::source::kinesis::api::Position::TrimHorizon,
        consumer: None,
        until_caught_up: false,
        shard_group: None,
        tuning,
    }
}

pub async fn sdk_api(endpoint: &str) -> Arc<SdkKinesis> {
    Arc::new(SdkKinesis::new(
        kinesis_client(endpoint).await,
        Some(endpoint),
    ))
}

/// Runs `cmd` to its end with standard output and error captured, like `Command::output`, but
/// kills it (through its own handle, never by a saved PID) if it is still running at `limit`;
/// the test then fails on the output it gets.
pub fn output_within(cmd: &mut std::process::Command, limit: Duration) -> std::process::Output {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the command");
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the command") {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            eprintln!("command still running after {limit:?}: killed");
            let _ = child.kill();
            break child.wait().expect("wait for the killed command");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}
