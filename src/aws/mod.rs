//! AWS SDK configuration shared by the Kinesis source and the S3 metadata fetcher, resolved as
//! the AWS CLI does: the standard credential chain (environment, profile, SSO, container,
//! instance), `--region` / `--profile` overrides, and endpoint URLs for emulators and VPC endpoints.

pub mod backoff;
mod endpoint;
pub mod retry;
mod transport;

pub use endpoint::{check_endpoint_url, EndpointUrlError};
pub use transport::{endpoint_label, one_line, transport_failure, TransportFailure};

use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// Where and as whom to call AWS: the AWS part of the settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsOptions {
    pub region: Option<String>,
    pub profile: Option<String>,
    /// Kinesis endpoint.
    pub endpoint_url: Option<String>,
    pub s3_endpoint_url: Option<String>,
    pub timeouts: AwsTimeouts,
}

/// How long a call may take. Every Kinesis and S3 call has both; a call that runs out of time
/// fails like a network error, and is retried with backoff and said (status bar, stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsTimeouts {
    /// To open the TCP (and TLS) connection (`aws-connect-timeout`, default 3 s).
    pub connect: Duration,
    /// For a whole call, answer included (`aws-operation-timeout`, default 10 s). For
    /// SubscribeToShard, until the event stream opens: the subscription itself lives for
    /// minutes (see [`AwsTimeouts::subscription_silence`]).
    pub operation: Duration,
}

impl AwsTimeouts {
    pub const DEFAULT_CONNECT: Duration = Duration::from_secs(3);
    pub const DEFAULT_OPERATION: Duration = Duration::from_secs(10);

    /// How long an open enhanced fan-out subscription may go without any event before it is
    /// taken for dead and renewed: three operation timeouts. The service sends an event every
    /// few seconds even without records, so a healthy subscription never comes near it.
    pub fn subscription_silence(&self) -> Duration {
        self.operation.saturating_mul(3)
    }
}

impl Default for AwsTimeouts {
    fn default() -> Self {
        AwsTimeouts {
            connect: Self::DEFAULT_CONNECT,
            operation: Self::DEFAULT_OPERATION,
        }
    }
}

/// Region default when an endpoint URL is given but no region is configured anywhere: an
/// emulator does not care, and the SDK refuses to sign without one.
const EMULATOR_REGION: &str = "us-east-1";

/// The shared SDK configuration.
pub async fn sdk_config(opts: &AwsOptions) -> SdkConfig {
    config_loader(opts).load().await
}

/// The loader behind [`sdk_config`], for callers that override more (tests give static
/// credentials).
pub fn config_loader(opts: &AwsOptions) -> aws_config::ConfigLoader {
    // A call that hangs fails after its timeout; our own backoff retries and reports it.
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(opts.timeouts.connect)
            .operation_timeout(opts.timeouts.operation)
            .build(),
    );
    if let Some(profile) = &opts.profile {
        loader = loader.profile_name(profile);
    }
    let has_endpoint = opts.endpoint_url.is_some() || opts.s3_endpoint_url.is_some();
    loader = match (&opts.region, has_endpoint) {
        (Some(r), _) => loader.region(Region::new(r.clone())),
        (None, true) => loader.region(
            RegionProviderChain::default_provider().or_else(Region::from_static(EMULATOR_REGION)),
        ),
        (None, false) => loader,
    };
    loader
}

/// A Kinesis client. The SDK's own retries are off: the consumer backs off itself and shows why
/// in the status bar.
pub async fn kinesis_client(opts: &AwsOptions) -> aws_sdk_kinesis::Client {
    kinesis_client_with(&sdk_config(opts).await, opts)
}

/// A Kinesis client from a given shared configuration.
pub fn kinesis_client_with(shared: &SdkConfig, opts: &AwsOptions) -> aws_sdk_kinesis::Client {
    let mut builder =
        aws_sdk_kinesis::config::Builder::from(shared).retry_config(RetryConfig::disabled());
    if let Some(url) = &opts.endpoint_url {
        builder = builder.endpoint_url(url);
    }
    aws_sdk_kinesis::Client::from_conf(builder.build())
}

/// An S3 client; with an endpoint URL, path-style addressing (emulators have no bucket DNS).
pub async fn s3_client(opts: &AwsOptions) -> aws_sdk_s3::Client {
    s3_client_with(&sdk_config(opts).await, opts)
}

/// An S3 client from a given shared configuration. Its retries are off too: the metadata
/// loader and refresher back off themselves and say why.
pub fn s3_client_with(shared: &SdkConfig, opts: &AwsOptions) -> aws_sdk_s3::Client {
    let mut builder =
        aws_sdk_s3::config::Builder::from(shared).retry_config(RetryConfig::disabled());
    if let Some(url) = &opts.s3_endpoint_url {
        builder = builder.endpoint_url(url).force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(builder.build())
}
