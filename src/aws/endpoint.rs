//! Endpoint URLs (`--endpoint-url`, `--s3-endpoint-url`) checked at start: one that can never
//! work (not a URL, not http(s), a port out of range) is an error naming the flag and the value,
//! not a connection retried forever.

/// Checks an endpoint URL; the error says what is wrong with it, quoting it.
pub fn check_endpoint_url(text: &str) -> Result<(), String> {
    const EXPECTED: &str = "expected http://HOST[:PORT] or https://HOST[:PORT]";
    let url = url::Url::parse(text).map_err(|e| match e {
        url::ParseError::InvalidPort => {
            format!("{text:?}: bad port (a port is a number from 1 to 65535)")
        }
        other => format!("{text:?} is not a URL ({other}); {EXPECTED}"),
    })?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(format!(
                "{text:?}: the scheme must be http or https, not {other}"
            ))
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{text:?} names no host; {EXPECTED}"));
    }
    if url.port() == Some(0) {
        return Err(format!(
            "{text:?}: bad port (a port is a number from 1 to 65535)"
        ));
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
            let e = check_endpoint_url(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
            assert!(!e.contains('\n'), "one line");
        }
    }
}
