//! The blocking HTTP edge shared by the notifiers (feature `http`, which
//! pulls in `ureq`): one POST with a total timeout, no redirects followed,
//! every status returned as a response, failures classified and described
//! the way Python's `urllib` words them.

use std::time::Duration;

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The `Retry-After` header, when present.
    pub retry_after: Option<String>,
    /// The body as text (lossy), at most [`MAX_BODY`] bytes.
    pub body: String,
}

/// The largest response body read.
pub const MAX_BODY: u64 = 1 << 20;

/// Why a request did not produce a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The URL has no scheme at all (the whole URL is kept).
    NoScheme(String),
    /// The URL's scheme is neither `http` nor `https` (lower-cased scheme kept).
    UnsupportedScheme(String),
    /// The connection or the answer took longer than the timeout.
    TimedOut,
    /// An operating-system error (`errno`, message without the `(os error N)` suffix).
    Os(i32, String),
    /// The host name did not resolve.
    HostNotFound,
    /// Anything else, described.
    Other(String),
}

/// Python `urllib`'s view of a URL's scheme: the text before the first `:`
/// when it holds no `/`, lower-cased.
pub fn check_url(url: &str) -> Result<(), TransportError> {
    let scheme = match url.split_once(':') {
        Some((s, _)) if !s.is_empty() && !s.contains('/') => s.to_ascii_lowercase(),
        _ => return Err(TransportError::NoScheme(url.to_string())),
    };
    match scheme.as_str() {
        "http" | "https" => Ok(()),
        _ => Err(TransportError::UnsupportedScheme(scheme)),
    }
}

/// The canonical reason phrase for a status, or `HTTP error` (the reference's
/// fallback) for a code without one.
pub fn reason_phrase(status: u16) -> &'static str {
    ureq::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("HTTP error")
}

fn classify_io(e: &std::io::Error) -> TransportError {
    match (e.kind(), dos_py::text::os_error(e)) {
        (std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock, _) => TransportError::TimedOut,
        (_, Some((code, text))) => TransportError::Os(code, text),
        _ => TransportError::Other(e.to_string()),
    }
}

fn classify(e: ureq::Error) -> TransportError {
    match e {
        ureq::Error::Timeout(_) => TransportError::TimedOut,
        ureq::Error::HostNotFound => TransportError::HostNotFound,
        ureq::Error::Io(io) => classify_io(&io),
        other => TransportError::Other(other.to_string()),
    }
}

/// A plain description of a transport failure (`[Errno 111] Connection refused`,
/// `timed out`, …).
pub fn describe_error(e: &TransportError) -> String {
    match e {
        TransportError::NoScheme(url) => format!("unknown url type: {}", py_repr(url)),
        TransportError::UnsupportedScheme(s) => format!("unknown url type: {s}"),
        TransportError::TimedOut => "timed out".to_string(),
        TransportError::Os(code, text) => format!("[Errno {code}] {text}"),
        TransportError::HostNotFound => "[Errno -2] Name or service not known".to_string(),
        TransportError::Other(text) => text.clone(),
    }
}

/// A string as Python's `repr` writes it (`urllib`'s `unknown url type: %r`):
/// `dos_py`'s, with CPython's `str.isprintable` table.
pub use dos_py::repr::str_repr as py_repr;

/// POST `body` to `url` with `headers`, bounded by `timeout` in total.
/// Redirects are not followed: a 3xx comes back as a response.
pub fn post(
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    timeout: Duration,
) -> Result<HttpResponse, TransportError> {
    check_url(url)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .build()
        .into();
    let mut request = agent.post(url);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request.send(body).map_err(classify)?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string());
    let mut response_body = response.into_body();
    let bytes = response_body
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .map_err(classify)?;
    Ok(HttpResponse {
        status,
        retry_after,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_scheme_table() {
        let table: &[(&str, Result<(), TransportError>)] = &[
            ("http://h/x?y=1", Ok(())),
            ("HTTPS://h", Ok(())),
            ("not-a-url", Err(TransportError::NoScheme("not-a-url".into()))),
            ("/path:x", Err(TransportError::NoScheme("/path:x".into()))),
            ("ftp://h", Err(TransportError::UnsupportedScheme("ftp".into()))),
            (
                "localhost:8080/x",
                Err(TransportError::UnsupportedScheme("localhost".into())),
            ),
        ];
        for (url, expected) in table {
            assert_eq!(&check_url(url), expected, "{url}");
        }
    }

    #[test]
    fn descriptions() {
        assert_eq!(
            describe_error(&TransportError::NoScheme("not-a-url".into())),
            "unknown url type: 'not-a-url'"
        );
        assert_eq!(
            describe_error(&TransportError::Os(111, "Connection refused".into())),
            "[Errno 111] Connection refused"
        );
        assert_eq!(describe_error(&TransportError::TimedOut), "timed out");
    }

    #[test]
    fn repr_table() {
        let table: &[(&str, &str)] = &[
            ("", "''"),
            ("ops", "'ops'"),
            ("it's", "\"it's\""),
            ("a'b\"c", "'a\\'b\"c'"),
            ("a\\b\n", "'a\\\\b\\n'"),
            ("\u{1}", "'\\x01'"),
            ("é", "'é'"),
            // CPython 3.11: repr('\xa0\u200b') == "'\\xa0\\u200b'"
            ("\u{a0}\u{200b}", "'\\xa0\\u200b'"),
        ];
        for (s, expected) in table {
            assert_eq!(py_repr(s), *expected, "{s:?}");
        }
    }

    #[test]
    fn reason_phrases() {
        assert_eq!(reason_phrase(404), "Not Found");
        assert_eq!(reason_phrase(599), "HTTP error");
    }
}
