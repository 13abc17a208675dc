//! The HTTP provider: one blocking POST to an OpenAI-compatible
//! chat-completions endpoint. Request building and response reading are pure
//! functions; only [`HttpProvider::complete`] does I/O.

use dos_plugin_api::http;
use serde_json::{json, Value};
use std::time::Duration;

/// How much of an error body an error message quotes (code points).
const BODY_QUOTE: usize = 300;

/// An OpenAI-compatible chat-completions endpoint.
#[derive(Clone, PartialEq)]
pub struct HttpProvider {
    /// The full chat-completions URL.
    pub endpoint: String,
    /// The model name, sent when set.
    pub model: Option<String>,
    /// The bearer token, sent when set.
    pub api_key: Option<String>,
    /// Time limit for the whole exchange.
    pub timeout: Duration,
}

impl std::fmt::Debug for HttpProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("HttpProvider")
            .field("endpoint", &self.endpoint)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A model's answer: the reply text and what it cost, in tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The assistant message's text (may be empty).
    pub content: String,
    /// Tokens the endpoint reports for the exchange (0.0 when it reports none).
    pub tokens: f64,
}

/// The request body: one user message holding the prompt, and the model when set.
pub fn request_body(model: Option<&str>, prompt: &str) -> Value {
    let mut body = serde_json::Map::new();
    if let Some(m) = model {
        body.insert("model".into(), Value::String(m.to_string()));
    }
    body.insert("messages".into(), json!([{"role": "user", "content": prompt}]));
    Value::Object(body)
}

/// The tokens a response's `usage` reports: `total_tokens`, else
/// `prompt_tokens + completion_tokens`, else 0.0.
pub fn usage_tokens(response: &Value) -> f64 {
    let usage = &response["usage"];
    let n = |k: &str| {
        usage
            .get(k)
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    n("total_tokens")
        .or_else(|| match (n("prompt_tokens"), n("completion_tokens")) {
            (None, None) => None,
            (p, c) => Some(p.unwrap_or(0.0) + c.unwrap_or(0.0)),
        })
        .unwrap_or(0.0)
}

/// Read a chat-completions response: the first choice's message content (a
/// string, or an array of text parts joined; `null` reads as empty) and the
/// token usage. A body without `choices[0].message` is an error.
pub fn parse_response(response: &Value) -> Result<Answer, String> {
    let message = response
        .get("choices")
        .and_then(|c| c.get(0))
        .and_then(|c| c.get("message"))
        .ok_or_else(|| {
            match response
                .get("error")
                .and_then(|e| e.get("message"))
                .and_then(Value::as_str)
            {
                Some(m) => format!("the endpoint returned an error: {m}"),
                None => "the endpoint's response has no choices[0].message".to_string(),
            }
        })?;
    let content = match message.get("content") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.as_str().or_else(|| p.get("text").and_then(Value::as_str)))
            .collect::<Vec<_>>()
            .join(""),
        Some(other) => return Err(format!("the endpoint's message content is not text: {other}")),
    };
    Ok(Answer {
        content,
        tokens: usage_tokens(response),
    })
}

fn quote(text: &str) -> String {
    let t = text.trim();
    let mut out: String = t.chars().take(BODY_QUOTE).collect();
    if t.chars().count() > BODY_QUOTE {
        out.push('…');
    }
    out
}

impl HttpProvider {
    /// POST the prompt and read the answer. Errors are messages naming the
    /// endpoint and the cause (transport, status, body).
    pub fn complete(&self, prompt: &str) -> Result<Answer, String> {
        let fail = |what: String| format!("llm judge: {} {what}", self.endpoint);
        let body = request_body(self.model.as_deref(), prompt).to_string();
        let mut headers = vec![
            ("Content-Type".to_string(), "application/json".to_string()),
            ("Accept".to_string(), "application/json".to_string()),
            (
                "User-Agent".to_string(),
                concat!("dos-judge-llm/", env!("CARGO_PKG_VERSION")).to_string(),
            ),
        ];
        if let Some(key) = &self.api_key {
            headers.push(("Authorization".to_string(), format!("Bearer {key}")));
        }
        // The SDK's client: no redirects (the bearer token never follows one
        // to another host), a bounded body, Python-style error texts.
        let response = http::post(&self.endpoint, &headers, body.as_bytes(), self.timeout).map_err(|e| {
            let cause = match e {
                http::TransportError::TimedOut => {
                    format!("timeout after {} s", self.timeout.as_secs_f64())
                }
                other => http::describe_error(&other),
            };
            fail(format!("failed: {cause}"))
        })?;
        let (status, text) = (response.status, response.body);
        if !(200..300).contains(&status) {
            return Err(fail(format!("answered HTTP {status}: {}", quote(&text))));
        }
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            fail(format!(
                "answered with a body that is not JSON ({e}): {}",
                quote(&text)
            ))
        })?;
        parse_response(&value).map_err(|e| fail(format!("answered, but {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_shape() {
        assert_eq!(
            request_body(Some("gpt-x"), "hi").to_string(),
            r#"{"model":"gpt-x","messages":[{"role":"user","content":"hi"}]}"#
        );
        assert_eq!(
            request_body(None, "hi").to_string(),
            r#"{"messages":[{"role":"user","content":"hi"}]}"#
        );
    }

    #[test]
    fn usage_table() {
        let table: &[(Value, f64)] = &[
            (
                json!({"usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}),
                15.0,
            ),
            (
                json!({"usage": {"prompt_tokens": 10, "completion_tokens": 5}}),
                15.0,
            ),
            (json!({"usage": {"completion_tokens": 7}}), 7.0),
            (json!({"usage": {"total_tokens": -3}}), 0.0),
            (json!({"usage": null}), 0.0),
            (json!({}), 0.0),
        ];
        for (v, want) in table {
            assert_eq!(usage_tokens(v), *want, "{v}");
        }
    }

    #[test]
    fn response_table() {
        let ok: &[(Value, &str)] = &[
            (
                json!({"choices": [{"message": {"content": "VERDICT: agree"}}]}),
                "VERDICT: agree",
            ),
            (json!({"choices": [{"message": {"content": null}}]}), ""),
            (
                json!({"choices": [{"message": {"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}}]}),
                "ab",
            ),
        ];
        for (v, want) in ok {
            assert_eq!(parse_response(v).unwrap().content, *want, "{v}");
        }
        assert_eq!(
            parse_response(&json!({"error": {"message": "bad key"}})).unwrap_err(),
            "the endpoint returned an error: bad key"
        );
        assert_eq!(
            parse_response(&json!({"choices": []})).unwrap_err(),
            "the endpoint's response has no choices[0].message"
        );
        assert!(parse_response(&json!({"choices": [{"message": {"content": 5}}]})).is_err());
    }

    #[test]
    fn debug_hides_the_key() {
        let p = HttpProvider {
            endpoint: "http://x".into(),
            model: None,
            api_key: Some("sk-secret".into()),
            timeout: Duration::from_secs(1),
        };
        assert!(!format!("{p:?}").contains("sk-secret"));
    }
}
