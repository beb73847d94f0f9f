//! Fetching the host-metadata object from S3, with conditional GETs (ETag) so an unchanged file
//! costs one small request per refresh.

use std::sync::Arc;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use futures::future::BoxFuture;
use futures::FutureExt;

use crate::enrich::metadata::{FetchError, Fetched, MetadataFetcher, MetadataLocation};

/// `s3://BUCKET/KEY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub key: String,
}

impl S3Location {
    /// The one `s3://` parser. `None` if `text` is not an `s3://` URL; an error (the reason,
    /// without the text) if it is one without a bucket or an object key.
    pub fn parse(text: &str) -> Option<Result<Self, String>> {
        let rest = text.strip_prefix("s3://")?;
        Some(match rest.split_once('/') {
            Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() && !key.ends_with('/') => {
                Ok(S3Location {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                })
            }
            _ => Err("an S3 metadata location is s3://BUCKET/KEY (the key names an object, not a prefix)".into()),
        })
    }
}

impl std::fmt::Display for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// The result of a fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Fetch {
    /// New or changed content.
    Changed {
        body: Vec<u8>,
        etag: Option<String>,
        last_modified_ms: Option<i64>,
    },
    /// Same ETag as the last fetch (HTTP 304).
    NotModified,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum S3Error {
    #[error("{location}: no such key")]
    NoSuchKey { location: String },
    #[error("{location}: no such bucket")]
    NoSuchBucket { location: String },
    #[error("{location}: access denied ({detail})")]
    AccessDenied { location: String, detail: String },
    /// No answer, connection refused, …: `detail` says which, and where.
    #[error("{location}: {detail}")]
    Unreachable { location: String, detail: String },
    /// A 5xx (or SlowDown): the service's trouble, worth retrying.
    #[error("{location}: {detail}")]
    ServerError { location: String, detail: String },
    #[error("{location}: missing AWS credentials ({detail})")]
    NoCredentials { location: String, detail: String },
    #[error("{location}: {detail}")]
    Other { location: String, detail: String },
}

/// Fetches one object with conditional GETs. Stateless: the caller passes the ETag it holds
/// (as [`MetadataFetcher`] does with its `previous_version`).
#[derive(Debug, Clone)]
pub struct S3MetadataFetcher {
    client: aws_sdk_s3::Client,
    location: S3Location,
    /// Where calls go, for messages (`no answer from http://…`).
    endpoint: String,
}

impl S3MetadataFetcher {
    pub fn new(client: aws_sdk_s3::Client, location: S3Location) -> Self {
        let region = client.config().region().map(|r| r.to_string());
        let endpoint = crate::aws::endpoint_label("s3", None, region.as_deref());
        S3MetadataFetcher {
            client,
            location,
            endpoint,
        }
    }

    /// Names `url` (`--s3-endpoint-url`) in messages.
    pub fn at_endpoint(mut self, url: Option<&str>) -> Self {
        if let Some(url) = url {
            self.endpoint = crate::aws::endpoint_label("s3", Some(url), None);
        }
        self
    }

    /// From the AWS options (`--s3-endpoint-url`, `--region`, `--profile`).
    pub async fn from_options(opts: &crate::aws::AwsOptions, location: S3Location) -> Self {
        S3MetadataFetcher::new(crate::aws::s3_client(opts).await, location)
    }

    /// The fetcher for an `s3://` metadata location (`None` for a local one), ready for
    /// [`crate::enrich::metadata::fetcher_for`]. The client comes from [`crate::aws::s3_client`].
    pub fn for_location(
        location: &MetadataLocation,
        client: &aws_sdk_s3::Client,
    ) -> Option<Arc<dyn MetadataFetcher>> {
        Self::for_location_at(location, client, None)
    }

    /// [`S3MetadataFetcher::for_location`] with the endpoint URL the client was given, for
    /// messages.
    pub fn for_location_at(
        location: &MetadataLocation,
        client: &aws_sdk_s3::Client,
        endpoint_url: Option<&str>,
    ) -> Option<Arc<dyn MetadataFetcher>> {
        match location {
            MetadataLocation::S3(location) => {
                let fetcher = S3MetadataFetcher::new(client.clone(), location.clone())
                    .at_endpoint(endpoint_url);
                Some(Arc::new(fetcher))
            }
            MetadataLocation::Local(_) => None,
        }
    }

    pub fn location(&self) -> &S3Location {
        &self.location
    }

    /// GETs the object; with `previous_etag`, only if it changed (`If-None-Match`).
    pub async fn fetch(&self, previous_etag: Option<&str>) -> Result<S3Fetch, S3Error> {
        let result = self
            .client
            .get_object()
            .bucket(&self.location.bucket)
            .key(&self.location.key)
            .set_if_none_match(previous_etag.filter(|e| !e.is_empty()).map(str::to_string))
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(err) => return self.classify(err),
        };
        let etag = out.e_tag().map(str::to_string);
        let last_modified_ms = out.last_modified().and_then(|t| t.to_millis().ok());
        // The operation timeout ends with the answer's headers; the body has its own.
        let limit = self
            .client
            .config()
            .timeout_config()
            .and_then(|t| t.operation_timeout())
            .unwrap_or(crate::aws::AwsTimeouts::DEFAULT_OPERATION);
        let body = match tokio::time::timeout(limit, out.body.collect()).await {
            Ok(Ok(body)) => body,
            Ok(Err(e)) => {
                return Err(S3Error::Unreachable {
                    location: self.location.to_string(),
                    detail: format!("reading the body: {e}"),
                })
            }
            Err(_) => {
                return Err(S3Error::Unreachable {
                    location: self.location.to_string(),
                    detail: format!(
                        "no answer from {}: the body did not come within {limit:?}",
                        self.endpoint
                    ),
                })
            }
        };
        Ok(S3Fetch::Changed {
            body: body.into_bytes().to_vec(),
            etag,
            last_modified_ms,
        })
    }

    fn classify(
        &self,
        err: SdkError<GetObjectError, aws_sdk_s3::config::http::HttpResponse>,
    ) -> Result<S3Fetch, S3Error> {
        let location = self.location.to_string();
        // A 304 answers If-None-Match; the SDK does not model it and reports a service error.
        if let Some(raw) = err.raw_response() {
            if raw.status().as_u16() == 304 {
                return Ok(S3Fetch::NotModified);
            }
        }
        match crate::aws::transport_failure(&err, &self.endpoint) {
            Some(crate::aws::TransportFailure::Transient(detail)) => {
                return Err(S3Error::Unreachable { location, detail })
            }
            Some(crate::aws::TransportFailure::NoCredentials(detail)) => {
                return Err(S3Error::NoCredentials { location, detail })
            }
            None => {}
        }
        let detail = crate::aws::one_line(&DisplayErrorContext(&err).to_string(), 300);
        let status = err.raw_response().map(|r| r.status().as_u16());
        Err(match (err.code(), status) {
            (Some("NoSuchKey"), _) => S3Error::NoSuchKey { location },
            (Some("NoSuchBucket"), _) => S3Error::NoSuchBucket { location },
            (Some("AccessDenied"), _) | (_, Some(403)) => {
                S3Error::AccessDenied { location, detail }
            }
            // A HEAD-like 404 without a body names no code.
            (None, Some(404)) => S3Error::NoSuchKey { location },
            (code, Some(status @ 500..=599)) => S3Error::ServerError {
                location,
                detail: format!(
                    "server error {status} from {} ({})",
                    self.endpoint,
                    code.unwrap_or("no code")
                ),
            },
            (Some(code @ ("SlowDown" | "RequestTimeout" | "ThrottlingException")), _) => {
                S3Error::ServerError {
                    location,
                    detail: format!("{code} from {}", self.endpoint),
                }
            }
            _ => S3Error::Other { location, detail },
        })
    }
}

impl MetadataFetcher for S3MetadataFetcher {
    fn origin(&self) -> String {
        self.location.to_string()
    }

    fn fetch<'a>(
        &'a self,
        previous_version: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Fetched, FetchError>> {
        async move {
            match S3MetadataFetcher::fetch(self, previous_version).await {
                Ok(S3Fetch::NotModified) => Ok(Fetched::NotModified),
                // Without an ETag (some S3-compatible stores) every check returns the content;
                // the refresher compares digests, so an unchanged file is still no change.
                Ok(S3Fetch::Changed { body, etag, .. }) => Ok(Fetched::Content {
                    bytes: body,
                    version: etag.unwrap_or_default(),
                }),
                // The reason without the location: the loader and refresher add it.
                Err(e) => Err(FetchError::S3(e)),
            }
        }
        .boxed()
    }
}

impl S3Error {
    /// The reason without the location.
    pub fn reason(&self) -> String {
        match self {
            S3Error::NoSuchKey { .. } => "no such key".into(),
            S3Error::NoSuchBucket { .. } => "no such bucket".into(),
            S3Error::AccessDenied { detail, .. } => format!("access denied ({detail})"),
            S3Error::NoCredentials { detail, .. } => format!("missing AWS credentials ({detail})"),
            S3Error::Unreachable { detail, .. }
            | S3Error::ServerError { detail, .. }
            | S3Error::Other { detail, .. } => detail.clone(),
        }
    }

    /// Whether trying again later can work (no answer, a server error) rather than needing
    /// someone to act (no such key, access denied).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            S3Error::Unreachable { .. } | S3Error::ServerError { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        assert_eq!(
            S3Location::parse("s3://meta/hosts/web.csv"),
            Some(Ok(S3Location {
                bucket: "meta".into(),
                key: "hosts/web.csv".into()
            }))
        );
        assert!(S3Location::parse("/etc/hosts.csv").is_none());
        assert!(S3Location::parse("s3://bucket-only").unwrap().is_err());
        assert!(S3Location::parse("s3:///key").unwrap().is_err());
        assert_eq!(
            S3Location::parse("s3://b/k").unwrap().unwrap().to_string(),
            "s3://b/k"
        );
    }
}
