//! OTLP/HTTP delivery: the endpoint URL, the retry rules of the OTLP
//! specification (retry 429/502/503/504 and lost connections with bounded
//! exponential backoff, honouring `Retry-After`; never retry other statuses
//! or a partial success), and the blocking `ureq` POST at the edge.

use crate::mapping::epoch_seconds;
pub use dos_plugin_api::pystr::io_error_text;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use prost::Message;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The URL to POST to. An endpoint without a path (or with just `/`) gets
/// the OTLP/HTTP logs path `/v1/logs`; an explicit path is kept as given, as
/// is a query string. Only `http` and `https` are accepted.
pub fn logs_url(endpoint: &str) -> Result<String, String> {
    let e = endpoint.trim();
    let scheme_end = e
        .find("://")
        .ok_or_else(|| "expected http://host[:port][/path]".to_string())?;
    let scheme = &e[..scheme_end];
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(format!("unsupported scheme '{scheme}' (use http or https)"));
    }
    let rest = &e[scheme_end + 3..];
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..auth_end];
    if authority.is_empty() || authority.contains(char::is_whitespace) {
        return Err("missing or invalid host".to_string());
    }
    let tail = &rest[auth_end..];
    let tail = tail.split('#').next().unwrap_or("");
    let (path, query) = match tail.find('?') {
        Some(q) => tail.split_at(q),
        None => (tail, ""),
    };
    let path = if path.is_empty() || path == "/" {
        "/v1/logs"
    } else {
        path
    };
    Ok(format!(
        "{}://{authority}{path}{query}",
        scheme.to_ascii_lowercase()
    ))
}

/// How hard to try one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, including the first (at least 1).
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles each time.
    pub initial: Duration,
    /// Largest backoff between two attempts (a `Retry-After` may ask for more).
    pub max_delay: Duration,
    /// Cap on the total time spent waiting between attempts.
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
            max_total_wait: Duration::from_secs(10),
        }
    }
}

/// Why the next attempt will not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// All attempts are used.
    Attempts,
    /// Waiting would exceed the total wait cap.
    Budget,
}

/// The wait before attempt `done + 1`, after `done` attempts that asked for a
/// retry and `waited` spent waiting so far. `retry_after` (from the server)
/// wins over the backoff; `jitter` in `[0, 1)` spreads the backoff over
/// ±20 %.
pub fn next_delay(
    policy: &RetryPolicy,
    done: u32,
    retry_after: Option<Duration>,
    waited: Duration,
    jitter: f64,
) -> Result<Duration, GiveUp> {
    if done >= policy.max_attempts.max(1) {
        return Err(GiveUp::Attempts);
    }
    let delay = match retry_after {
        Some(d) => d,
        None => {
            let exp = done.saturating_sub(1).min(30);
            let base = policy.initial.saturating_mul(1u32 << exp).min(policy.max_delay);
            base.mul_f64(0.8 + 0.4 * jitter.clamp(0.0, 1.0))
        }
    };
    if waited.saturating_add(delay) > policy.max_total_wait {
        return Err(GiveUp::Budget);
    }
    Ok(delay)
}

/// Parse a `Retry-After` value: delay seconds, or an HTTP date (IMF-fixdate,
/// e.g. `Sun, 06 Nov 1994 08:49:37 GMT`) taken relative to `now`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let parts: Vec<&str> = v.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mo = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let hms: Vec<i64> = time.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let [h, mi, s] = hms.as_slice() else {
        return None;
    };
    let at = epoch_seconds(year.parse().ok()?, mo, day.parse().ok()?, *h, *mi, *s)?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    Some(Duration::from_secs(at.saturating_sub(now).max(0) as u64))
}

/// An HTTP answer, reduced to what the retry rules need.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The response body (possibly truncated).
    pub body: Vec<u8>,
    /// The `Content-Length` the server declared, if any.
    pub content_length: Option<u64>,
    /// Why the body could not be read to its end (a connection closed
    /// mid-body, a body over the size limit); `None` when it was read whole.
    pub body_error: Option<String>,
}

impl Reply {
    /// Whether the server sent no body at all: nothing was received and
    /// nothing was announced (no `Content-Length` above 0).
    pub fn body_is_empty(&self) -> bool {
        self.body.is_empty() && self.content_length.unwrap_or(0) == 0
    }

    /// Why the body is torn, when it is: a read that failed after (or
    /// instead of) an announced or partly received body, or fewer bytes
    /// than `Content-Length` said.
    pub fn torn(&self) -> Option<String> {
        let got = self.body.len() as u64;
        match (&self.body_error, self.content_length) {
            (Some(_), _) if self.body_is_empty() => None,
            (Some(e), Some(len)) => Some(format!("{got} of {len} byte(s) received: {e}")),
            (Some(e), None) => Some(format!("{got} byte(s) received: {e}")),
            (None, Some(len)) if got < len => Some(format!("{got} of {len} byte(s) received")),
            (None, _) => None,
        }
    }
}

/// A request that got no HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoReply {
    /// Whether trying again may help (refused, reset, timed out).
    pub retryable: bool,
    /// What happened.
    pub reason: String,
}

/// What one attempt means.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Accepted; `rejected` records were refused in a partial success.
    Delivered {
        /// `partial_success.rejected_log_records` (0 for full success).
        rejected: u64,
        /// `partial_success.error_message`.
        message: String,
    },
    /// Worth another attempt, possibly after the server's `Retry-After`.
    Retry {
        /// Why it failed.
        reason: String,
        /// The server's requested delay.
        retry_after: Option<Duration>,
    },
    /// Final failure; do not retry.
    Fail {
        /// Why it failed.
        reason: String,
    },
}

/// The `google.rpc.Status` an OTLP/HTTP server may put in an error body.
#[derive(Clone, PartialEq, Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

fn reason_phrase(status: u16) -> &'static str {
    ureq::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// The server's explanation in an error body: a protobuf `Status` message,
/// or the start of a text body.
fn server_message(reply: &Reply) -> String {
    let ct = reply.content_type.as_deref().unwrap_or("").to_ascii_lowercase();
    let text = if ct.contains("protobuf") {
        RpcStatus::decode(reply.body.as_slice())
            .map(|s| s.message)
            .unwrap_or_default()
    } else if ct.starts_with("text/") || ct.contains("json") {
        String::from_utf8_lossy(&reply.body).into_owned()
    } else {
        String::new()
    };
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = one_line.chars();
    let short: String = chars.by_ref().take(200).collect();
    if chars.next().is_some() {
        format!("{short}…")
    } else {
        short
    }
}

/// `partial_success` of a 2xx answer: `(rejected_log_records, error_message)`,
/// `(0, "")` when absent or unreadable. A JSON body (OTLP/JSON field names)
/// is read as JSON; anything else as the protobuf response.
fn partial_success(reply: &Reply) -> (u64, String) {
    let ct = reply.content_type.as_deref().unwrap_or("").to_ascii_lowercase();
    if ct.contains("json") {
        let v: serde_json::Value = serde_json::from_slice(&reply.body).unwrap_or_default();
        let p = &v["partialSuccess"];
        let rejected = match &p["rejectedLogRecords"] {
            serde_json::Value::Number(n) => n.as_u64().unwrap_or(0),
            serde_json::Value::String(s) => s.trim().parse().unwrap_or(0),
            _ => 0,
        };
        let message = p["errorMessage"].as_str().unwrap_or("").to_string();
        return (rejected, message);
    }
    match ExportLogsServiceResponse::decode(reply.body.as_slice())
        .ok()
        .and_then(|r| r.partial_success)
    {
        Some(p) => (
            u64::try_from(p.rejected_log_records).unwrap_or(0),
            p.error_message,
        ),
        None => (0, String::new()),
    }
}

/// Classify one HTTP answer from `url` (OTLP/HTTP rules): 2xx delivered
/// (reading any partial success), 429/502/503/504 retry, anything else fails.
/// A 2xx whose body was cut off mid-way fails (not retried: the server may
/// have taken the records; the cursor stays, so the next run re-ships);
/// a 2xx with no body at all is delivered, its partial success unknown.
pub fn classify(reply: &Reply, url: &str, now: SystemTime) -> Verdict {
    let status = reply.status;
    let mut reason = format!("HTTP {status} {}", reason_phrase(status))
        .trim_end()
        .to_string();
    reason.push_str(&format!(" from {url}"));
    match status {
        200..=299 => match reply.torn() {
            Some(why) => Verdict::Fail {
                reason: format!("{reason}, but its body was cut off ({why}); delivery is not confirmed"),
            },
            None => {
                let (rejected, message) = partial_success(reply);
                Verdict::Delivered { rejected, message }
            }
        },
        429 | 502 | 503 | 504 => Verdict::Retry {
            reason,
            retry_after: reply
                .retry_after
                .as_deref()
                .and_then(|v| parse_retry_after(v, now)),
        },
        _ => {
            if (300..400).contains(&status) {
                reason.push_str(" (redirects are not followed; point the endpoint at the final URL)");
            } else {
                let msg = server_message(reply);
                if !msg.is_empty() {
                    reason.push_str(": ");
                    reason.push_str(&msg);
                }
            }
            Verdict::Fail { reason }
        }
    }
}

/// A request's final outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server accepted the request; `rejected` records were refused.
    Delivered {
        /// Records the server refused (partial success).
        rejected: u64,
        /// The server's explanation for them.
        message: String,
    },
    /// Nothing was accepted.
    Failed {
        /// Why, including how many attempts were made.
        reason: String,
    },
}

/// Send one request body under `policy`. `post` performs one attempt,
/// `sleep` waits, `jitter` yields values in `[0, 1)`, `now` is the clock for
/// HTTP-date `Retry-After` values.
pub fn deliver(
    url: &str,
    policy: &RetryPolicy,
    mut post: impl FnMut() -> Result<Reply, NoReply>,
    mut sleep: impl FnMut(Duration),
    mut jitter: impl FnMut() -> f64,
    now: impl Fn() -> SystemTime,
) -> Outcome {
    let mut waited = Duration::ZERO;
    let mut done: u32 = 0;
    loop {
        done += 1;
        let (reason, retry_after) = match post() {
            Ok(reply) => match classify(&reply, url, now()) {
                Verdict::Delivered { rejected, message } => return Outcome::Delivered { rejected, message },
                Verdict::Fail { reason } => {
                    let reason = if done > 1 {
                        format!("{reason} (after {done} attempts)")
                    } else {
                        reason
                    };
                    return Outcome::Failed { reason };
                }
                Verdict::Retry { reason, retry_after } => (reason, retry_after),
            },
            Err(NoReply {
                retryable: false,
                reason,
            }) => {
                let reason = if done > 1 {
                    format!("{reason} (after {done} attempts)")
                } else {
                    reason
                };
                return Outcome::Failed { reason };
            }
            Err(NoReply {
                retryable: true,
                reason,
            }) => (reason, None),
        };
        match next_delay(policy, done, retry_after, waited, jitter()) {
            Ok(delay) => {
                sleep(delay);
                waited += delay;
            }
            Err(why) => {
                let tries = if done == 1 {
                    "1 attempt".to_string()
                } else {
                    format!("{done} attempts")
                };
                let note = match (why, retry_after) {
                    (GiveUp::Budget, Some(ra)) => format!(
                        "server asked to retry in {}s, beyond the {}s retry budget; gave up after {tries}",
                        ra.as_secs(),
                        policy.max_total_wait.as_secs_f64()
                    ),
                    _ => format!("gave up after {tries}"),
                };
                return Outcome::Failed {
                    reason: format!("{reason} ({note})"),
                };
            }
        }
    }
}

/// Map a `ureq` failure (no HTTP answer) to a reason and whether to retry.
pub fn no_reply(e: &ureq::Error, url: &str, timeout: Duration) -> NoReply {
    match e {
        ureq::Error::Io(io) => NoReply {
            retryable: true,
            reason: format!("cannot reach {url}: {}", io_error_text(io)),
        },
        ureq::Error::ConnectionFailed => NoReply {
            retryable: true,
            reason: format!("cannot reach {url}: connection failed"),
        },
        ureq::Error::Timeout(_) => NoReply {
            retryable: true,
            reason: format!("no answer from {url} within {} ms", timeout.as_millis()),
        },
        ureq::Error::HostNotFound => NoReply {
            retryable: false,
            reason: format!("cannot reach {url}: host not found"),
        },
        other => NoReply {
            retryable: false,
            reason: format!("cannot send to {url}: {other}"),
        },
    }
}

/// The blocking HTTP client for one export call.
pub struct Client {
    agent: ureq::Agent,
    timeout: Duration,
    headers: Vec<(String, String)>,
}

impl Client {
    /// A client with a per-request `timeout` that sends `headers` on every request.
    pub fn new(timeout: Duration, headers: Vec<(String, String)>) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("dos-export-otlp/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Client {
            agent,
            timeout,
            headers,
        }
    }

    /// One POST of a protobuf body.
    pub fn post(&self, url: &str, body: &[u8]) -> Result<Reply, NoReply> {
        let mut req = self
            .agent
            .post(url)
            .header("Content-Type", "application/x-protobuf");
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let mut resp = req.send(body).map_err(|e| no_reply(&e, url, self.timeout))?;
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let retry_after = header("retry-after");
        let content_type = header("content-type");
        let content_length = header("content-length").and_then(|v| v.trim().parse::<u64>().ok());
        let (body, body_error) = read_body(resp.body_mut().with_config().limit(BODY_LIMIT).reader());
        Ok(Reply {
            status: resp.status().as_u16(),
            retry_after,
            content_type,
            body,
            content_length,
            body_error,
        })
    }
}

/// The most of a response body that is read.
const BODY_LIMIT: u64 = 1 << 20;

/// Read `r` to its end, keeping what arrived when the read fails part-way.
fn read_body(mut r: impl std::io::Read) -> (Vec<u8>, Option<String>) {
    let mut body = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match r.read(&mut chunk) {
            Ok(0) => return (body, None),
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (body, Some(io_error_text(&e))),
        }
    }
}

/// A jitter source in `[0, 1)` from the clock (no RNG dependency needed).
pub fn clock_jitter() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    // Scramble the low bits so consecutive calls differ.
    let mixed = nanos.wrapping_mul(2_654_435_761) >> 8;
    f64::from(mixed % 1_000_000) / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsPartialSuccess;
    use std::cell::RefCell;

    #[test]
    fn url_table() {
        for (endpoint, want) in [
            ("http://localhost:4318", "http://localhost:4318/v1/logs"),
            ("http://localhost:4318/", "http://localhost:4318/v1/logs"),
            ("HTTP://h:1", "http://h:1/v1/logs"),
            ("https://otlp.example.com", "https://otlp.example.com/v1/logs"),
            ("http://h:4318/v1/logs", "http://h:4318/v1/logs"),
            ("http://h:4318/custom/path/", "http://h:4318/custom/path/"),
            ("http://h:4318?tenant=a", "http://h:4318/v1/logs?tenant=a"),
            ("http://h:4318/p?x=1#frag", "http://h:4318/p?x=1"),
            ("http://[::1]:4318", "http://[::1]:4318/v1/logs"),
            ("  http://h:1  ", "http://h:1/v1/logs"),
        ] {
            assert_eq!(logs_url(endpoint).as_deref(), Ok(want), "{endpoint}");
        }
        for bad in ["localhost:4318", "ftp://h", "http://", "http:///v1/logs", ""] {
            assert!(logs_url(bad).is_err(), "{bad}");
        }
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            initial: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
            max_total_wait: Duration::from_secs(1),
        }
    }

    #[test]
    fn delay_table() {
        let ms = Duration::from_millis;
        let p = policy();
        type Case = (u32, Option<Duration>, Duration, f64, Result<Duration, GiveUp>);
        let cases: &[Case] = &[
            (1, None, ms(0), 0.5, Ok(ms(100))),
            (2, None, ms(100), 0.5, Ok(ms(200))),
            (3, None, ms(300), 0.5, Ok(ms(300))),
            (1, None, ms(0), 0.0, Ok(ms(80))),
            (1, Some(ms(700)), ms(0), 0.5, Ok(ms(700))),
            (1, Some(ms(0)), ms(0), 0.5, Ok(ms(0))),
            (2, Some(ms(950)), ms(100), 0.5, Err(GiveUp::Budget)),
            (4, None, ms(0), 0.5, Err(GiveUp::Attempts)),
            (3, None, ms(900), 0.5, Err(GiveUp::Budget)),
        ];
        for (done, ra, waited, jitter, want) in cases {
            assert_eq!(
                next_delay(&p, *done, *ra, *waited, *jitter),
                *want,
                "{done} {ra:?} {waited:?}"
            );
        }
        let single = RetryPolicy { max_attempts: 1, ..p };
        assert_eq!(next_delay(&single, 1, None, ms(0), 0.5), Err(GiveUp::Attempts));
        let zero = RetryPolicy { max_attempts: 0, ..p };
        assert_eq!(next_delay(&zero, 1, None, ms(0), 0.5), Err(GiveUp::Attempts));
    }

    #[test]
    fn retry_after_table() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        for (v, want) in [
            ("0", Some(0)),
            (" 7 ", Some(7)),
            ("Sun, 06 Nov 1994 08:49:47 GMT", Some(10)),
            ("Sun, 06 Nov 1994 08:49:00 GMT", Some(0)),
            ("soon", None),
            ("-1", None),
            ("1.5", None),
            ("Sun, 06 Nov 1994 08:49:47 PST", None),
        ] {
            assert_eq!(parse_retry_after(v, now), want.map(Duration::from_secs), "{v}");
        }
    }

    fn reply(status: u16) -> Reply {
        Reply {
            status,
            ..Default::default()
        }
    }

    #[test]
    fn classify_table() {
        let now = SystemTime::now();
        let u = "http://h/v1/logs";
        assert_eq!(
            classify(&reply(200), u, now),
            Verdict::Delivered {
                rejected: 0,
                message: String::new()
            }
        );
        assert!(matches!(
            classify(&reply(204), u, now),
            Verdict::Delivered { rejected: 0, .. }
        ));
        for s in [429, 502, 503, 504] {
            assert!(
                matches!(classify(&reply(s), u, now), Verdict::Retry { .. }),
                "{s}"
            );
        }
        for s in [400, 401, 404, 408, 413, 500, 501, 307] {
            assert!(matches!(classify(&reply(s), u, now), Verdict::Fail { .. }), "{s}");
        }
        let partial = ExportLogsServiceResponse {
            partial_success: Some(ExportLogsPartialSuccess {
                rejected_log_records: 2,
                error_message: "too old".into(),
            }),
        };
        let r = Reply {
            status: 200,
            body: partial.encode_to_vec(),
            ..Default::default()
        };
        assert_eq!(
            classify(&r, u, now),
            Verdict::Delivered {
                rejected: 2,
                message: "too old".into()
            }
        );
        let r = Reply {
            status: 200,
            content_type: Some("application/json".into()),
            body: br#"{"partialSuccess": {"rejectedLogRecords": "3", "errorMessage": "dup"}}"#.to_vec(),
            ..Default::default()
        };
        assert_eq!(
            classify(&r, u, now),
            Verdict::Delivered {
                rejected: 3,
                message: "dup".into()
            }
        );
        let r = Reply {
            status: 200,
            content_type: Some("application/json".into()),
            body: b"{}".to_vec(),
            ..Default::default()
        };
        assert!(matches!(
            classify(&r, u, now),
            Verdict::Delivered { rejected: 0, .. }
        ));
        // Bodies of a 2xx: torn → fail; none at all (even unreadable) →
        // delivered, partial success unknown.
        let torn = |body: &[u8], content_length: Option<u64>, body_error: Option<&str>| Reply {
            status: 200,
            body: body.to_vec(),
            content_length,
            body_error: body_error.map(str::to_string),
            ..Default::default()
        };
        let table = [
            (torn(b"\x0a\x02", Some(40), Some("unexpected end of file")), false),
            (torn(b"", Some(40), Some("unexpected end of file")), false),
            (torn(b"\x0a\x02", None, Some("connection reset")), false),
            (torn(b"\x0a\x02", Some(40), None), false),
            (torn(b"", None, Some("connection reset")), true),
            (torn(b"", Some(0), Some("connection reset")), true),
            (torn(b"", Some(0), None), true),
        ];
        for (r, delivered) in table {
            let v = classify(&r, u, now);
            match v {
                Verdict::Delivered { rejected: 0, .. } if delivered => {}
                Verdict::Fail { ref reason } if !delivered => {
                    assert!(reason.contains("but its body was cut off ("), "{reason}");
                    assert!(reason.ends_with("; delivery is not confirmed"), "{reason}");
                }
                other => panic!("{r:?}: {other:?}"),
            }
        }
        let r = Reply {
            status: 503,
            retry_after: Some("3".into()),
            ..Default::default()
        };
        assert_eq!(
            classify(&r, u, now),
            Verdict::Retry {
                reason: format!("HTTP 503 Service Unavailable from {u}"),
                retry_after: Some(Duration::from_secs(3))
            }
        );
        let status = RpcStatus {
            code: 3,
            message: "bad  attribute\nvalue".into(),
        };
        let r = Reply {
            status: 400,
            content_type: Some("application/x-protobuf".into()),
            body: status.encode_to_vec(),
            ..Default::default()
        };
        assert_eq!(
            classify(&r, u, now),
            Verdict::Fail {
                reason: format!("HTTP 400 Bad Request from {u}: bad attribute value")
            }
        );
        let r = Reply {
            status: 401,
            content_type: Some("text/plain".into()),
            body: b"no key".to_vec(),
            ..Default::default()
        };
        assert_eq!(
            classify(&r, u, now),
            Verdict::Fail {
                reason: format!("HTTP 401 Unauthorized from {u}: no key")
            }
        );
    }

    fn run(script: Vec<Result<Reply, NoReply>>, policy: &RetryPolicy) -> (Outcome, usize, Vec<Duration>) {
        let script = RefCell::new(script.into_iter());
        let calls = RefCell::new(0usize);
        let sleeps = RefCell::new(Vec::new());
        let out = deliver(
            "http://h/v1/logs",
            policy,
            || {
                *calls.borrow_mut() += 1;
                script.borrow_mut().next().unwrap_or_else(|| Ok(reply(200)))
            },
            |d| sleeps.borrow_mut().push(d),
            || 0.5,
            SystemTime::now,
        );
        (out, calls.into_inner(), sleeps.into_inner())
    }

    #[test]
    fn deliver_retries_only_what_the_spec_allows() {
        let p = policy();
        let ms = Duration::from_millis;
        let refused = || {
            Err(NoReply {
                retryable: true,
                reason: "cannot reach x: refused".into(),
            })
        };
        // Success first time.
        let (o, calls, sleeps) = run(vec![Ok(reply(200))], &p);
        assert!(matches!(o, Outcome::Delivered { rejected: 0, .. }));
        assert_eq!((calls, sleeps.len()), (1, 0));
        // 503 then 200: one backoff.
        let (o, calls, sleeps) = run(vec![Ok(reply(503)), Ok(reply(200))], &p);
        assert!(matches!(o, Outcome::Delivered { .. }));
        assert_eq!((calls, sleeps), (2, vec![ms(100)]));
        // Refused every time: bounded by max_attempts, growing backoff.
        let (o, calls, sleeps) = run(vec![refused(), refused(), refused(), refused(), refused()], &p);
        assert_eq!(
            o,
            Outcome::Failed {
                reason: "cannot reach x: refused (gave up after 4 attempts)".into()
            }
        );
        assert_eq!((calls, sleeps), (4, vec![ms(100), ms(200), ms(300)]));
        // 400 is final at once.
        let (o, calls, _) = run(vec![Ok(reply(400))], &p);
        assert_eq!(
            o,
            Outcome::Failed {
                reason: "HTTP 400 Bad Request from http://h/v1/logs".into()
            }
        );
        assert_eq!(calls, 1);
        // 503 then 400: final, with the attempt count.
        let (o, calls, _) = run(vec![Ok(reply(503)), Ok(reply(400))], &p);
        assert_eq!(
            o,
            Outcome::Failed {
                reason: "HTTP 400 Bad Request from http://h/v1/logs (after 2 attempts)".into()
            }
        );
        assert_eq!(calls, 2);
        // Retry-After beyond the budget: no pointless wait.
        let far = Reply {
            status: 429,
            retry_after: Some("3600".into()),
            ..Default::default()
        };
        let (o, calls, sleeps) = run(vec![Ok(far)], &p);
        assert_eq!(calls, 1);
        assert!(sleeps.is_empty());
        assert_eq!(
            o,
            Outcome::Failed {
                reason: "HTTP 429 Too Many Requests from http://h/v1/logs (server asked to retry in 3600s, beyond the 1s retry budget; gave up after 1 attempt)".into()
            }
        );
        // Retry-After within the budget is honoured exactly.
        let soon = Reply {
            status: 503,
            retry_after: Some("0".into()),
            ..Default::default()
        };
        let (_, calls, sleeps) = run(vec![Ok(soon), Ok(reply(200))], &p);
        assert_eq!((calls, sleeps), (2, vec![ms(0)]));
        // A non-retryable transport failure is final.
        let (o, calls, _) = run(
            vec![Err(NoReply {
                retryable: false,
                reason: "host not found".into(),
            })],
            &p,
        );
        assert_eq!(
            o,
            Outcome::Failed {
                reason: "host not found".into()
            }
        );
        assert_eq!(calls, 1);
    }

    #[test]
    fn jitter_stays_in_range() {
        for _ in 0..100 {
            let j = clock_jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }
}
