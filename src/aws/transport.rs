//! What a failed AWS call means to an operator, when it failed before the service could say
//! anything: no answer in time, the connection refused, the endpoint unreachable, or no
//! credentials to sign with. Named with the endpoint, so the message says where.

use std::error::Error;
use std::io;

use aws_sdk_kinesis::error::SdkError;

/// Where calls go, for messages: the endpoint URL given, or the service's regional endpoint.
pub fn endpoint_label(service: &str, endpoint_url: Option<&str>, region: Option<&str>) -> String {
    match (endpoint_url, region) {
        (Some(url), _) => url.trim_end_matches('/').to_string(),
        (None, Some(region)) => format!("https://{service}.{region}.amazonaws.com"),
        (None, None) => format!("{service} (no region)"),
    }
}

/// How a call failed on the way, before any answer from the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportFailure {
    /// Retry with backoff; the text names the endpoint (`no answer from http://…`).
    Transient(String),
    /// No credentials could be found or loaded: retrying will not make them appear.
    NoCredentials(String),
}

/// `None` when the service answered (a service error, to be read by its code), or the request
/// could not even be built.
pub fn transport_failure<E, R>(err: &SdkError<E, R>, endpoint: &str) -> Option<TransportFailure>
where
    E: Error + Send + Sync + 'static,
    R: std::fmt::Debug + 'static,
{
    let transient = |what: String| Some(TransportFailure::Transient(what));
    match err {
        SdkError::TimeoutError(_) => transient(format!("no answer from {endpoint}")),
        SdkError::DispatchFailure(failure) => {
            let chain = error_chain(err);
            if failure.is_timeout() {
                transient(format!("no answer from {endpoint}"))
            } else if io_kind(err) == Some(io::ErrorKind::ConnectionRefused) {
                transient(format!("connection refused by {endpoint}"))
            } else if failure.is_other() && chain.contains("credential") {
                // Past the SDK's own framing: the provider chain's account of what it tried.
                let why = chain
                    .split_once("other: ")
                    .map_or(chain.as_str(), |(_, why)| why);
                Some(TransportFailure::NoCredentials(one_line(why, 400)))
            } else {
                transient(format!(
                    "cannot reach {endpoint} ({})",
                    one_line(&innermost(err), 200)
                ))
            }
        }
        SdkError::ResponseError(_) => transient(format!(
            "broken answer from {endpoint} ({})",
            one_line(&innermost(err), 200)
        )),
        _ => None,
    }
}

/// The kind of the first I/O error in the chain of causes, if any.
fn io_kind(err: &(dyn Error + 'static)) -> Option<io::ErrorKind> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        next = e.source();
    }
    None
}

/// Every cause, outermost first, joined with `: `.
fn error_chain(err: &(dyn Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        parts.push(e.to_string());
        next = e.source();
    }
    parts.join(": ")
}

/// The deepest cause: the most specific words (`Connection reset by peer`).
fn innermost(err: &(dyn Error + 'static)) -> String {
    let mut last = err;
    while let Some(source) = last.source() {
        last = source;
    }
    last.to_string()
}

/// One line of at most `max` bytes (status bars and stderr lines).
pub fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.len() <= max {
        return flat;
    }
    let mut end = max;
    while !flat.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &flat[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_endpoint() {
        assert_eq!(
            endpoint_label("kinesis", Some("http://127.0.0.1:4567/"), Some("eu-west-1")),
            "http://127.0.0.1:4567"
        );
        assert_eq!(
            endpoint_label("kinesis", None, Some("eu-west-1")),
            "https://kinesis.eu-west-1.amazonaws.com"
        );
    }

    #[test]
    fn one_line_flattens_and_cuts() {
        assert_eq!(one_line("a\n  b\tc", 100), "a b c");
        assert_eq!(one_line("ééé", 3), "é…");
    }

    #[test]
    fn io_kinds_are_found_anywhere_in_the_chain() {
        #[derive(Debug)]
        struct Outer(io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("tcp connect error")
            }
        }
        impl Error for Outer {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
        let err = Outer(io::Error::from(io::ErrorKind::ConnectionRefused));
        assert_eq!(io_kind(&err), Some(io::ErrorKind::ConnectionRefused));
        assert!(error_chain(&err).starts_with("tcp connect error: "));
        assert_eq!(
            innermost(&err),
            io::Error::from(io::ErrorKind::ConnectionRefused).to_string()
        );
    }
}
