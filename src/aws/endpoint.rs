//! Endpoint URLs (`--endpoint-url`, `--s3-endpoint-url`) checked at start: one that can never
//! work (not a URL, not http(s), a port out of range) is an error naming the flag and the value,
//! not a connection retried forever.

const EXPECTED: &str = "expected http://HOST[:PORT] or https://HOST[:PORT]";

/// Why an endpoint URL can never work; each quotes the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointUrlError {
    #[error("{text:?} is not a URL ({reason}); {EXPECTED}")]
    NotAUrl {
        text: String,
        reason: url::ParseError,
    },
    #[error("{text:?}: bad port (a port is a number from 1 to 65535)")]
    BadPort { text: String },
    #[error("{text:?}: the scheme must be http or https, not {scheme}")]
    Scheme { text: String, scheme: String },
    #[error("{text:?} names no host; {EXPECTED}")]
    NoHost { text: String },
}

/// Checks an endpoint URL; the error says what is wrong with it, quoting it.
pub fn check_endpoint_url(text: &str) -> Result<(), EndpointUrlError> {
    let owned = || text.to_string();
    let url = url::Url::parse(text).map_err(|e| match e {
        url::ParseError::InvalidPort => EndpointUrlError::BadPort { text: owned() },
        reason => EndpointUrlError::NotAUrl {
            text: owned(),
            reason,
        },
    })?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(EndpointUrlError::Scheme {
                text: owned(),
                scheme: other.to_string(),
            })
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(EndpointUrlError::NoHost { text: owned() });
    }
    if url.port() == Some(0) {
        return Err(EndpointUrlError::BadPort { text: owned() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_endpoints() {
        for ok in [
            "http://127.0.0.1:4567",
            "https://kinesis.eu-west-1.amazonaws.com",
            "http://[::1]:4567",
            "http://localhost",
            "https://vpce-0123.kinesis.us-east-1.vpce.amazonaws.com/",
        ] {
            assert_eq!(check_endpoint_url(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn bad_endpoints_say_why() {
        for (bad, why) in [
            ("notaurl", "\"notaurl\" is not a URL"),
            ("127.0.0.1:4567", "is not a URL"),
            (
                "localhost:4567",
                "the scheme must be http or https, not localhost",
            ),
            (
                "ftp://127.0.0.1/x",
                "the scheme must be http or https, not ftp",
            ),
            (
                "http://[::1",
                "\"http://[::1\" is not a URL (invalid IPv6 address)",
            ),
            ("http://127.0.0.1:99999", "bad port"),
            ("http://127.0.0.1:0", "bad port"),
            ("http://127.0.0.1:-1", "bad port"),
            ("http://", "is not a URL (empty host)"),
            ("", "is not a URL"),
        ] {
            let e = check_endpoint_url(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
            assert!(!e.contains('\n'), "one line");
        }
    }
}
