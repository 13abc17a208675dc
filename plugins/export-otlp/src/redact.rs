//! Secrets never reach an export detail: URL userinfo (`user:pass@`), the
//! values of configured request headers (API keys, `Authorization`), and
//! `Bearer`/`Basic` credentials a server echoes back in an error body are
//! replaced with `***` in every detail the exporter returns.

/// What replaces a secret.
pub const MASK: &str = "***";

/// Shorter values are not treated as secrets on their own (they would mask
/// ordinary words); URL userinfo and `Bearer`/`Basic` credentials are
/// masked whatever their length.
const MIN_SECRET_LEN: usize = 4;

/// The secret strings of one export call.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    /// Secrets of the endpoint's userinfo and of every header value (and the
    /// credential after an `Authorization` scheme word).
    pub fn new(endpoint: &str, headers: &[(String, String)]) -> Secrets {
        let mut values = Vec::new();
        if let Some(info) = userinfo(endpoint) {
            values.push(info.to_string());
            values.extend(info.split(':').map(str::to_string));
        }
        for (_, v) in headers {
            let v = v.trim();
            values.push(v.to_string());
            if let Some((_, credential)) = v.split_once(char::is_whitespace) {
                values.push(credential.trim().to_string());
            }
        }
        values.retain(|v| v.len() >= MIN_SECRET_LEN);
        // Longest first, so a secret that contains another is masked whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        Secrets { values }
    }

    /// `text` with every secret, every URL userinfo and every
    /// `Bearer`/`Basic` credential masked.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = strip_userinfo(text);
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), MASK);
            }
        }
        mask_credentials(&out)
    }
}

/// The userinfo of the first URL in `text` (`user:pass` of
/// `http://user:pass@host/…`), if any.
fn userinfo(text: &str) -> Option<&str> {
    let start = text.find("://")? + 3;
    let rest = &text[start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    authority.rfind('@').map(|at| &authority[..at])
}

/// `text` with the userinfo of every URL in it replaced by [`MASK`].
pub fn strip_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace() || c == '\'' || c == '"')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str(MASK);
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `text` with the word after every `Bearer` / `Basic` (any case) masked.
fn mask_credentials(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let hit = ["bearer ", "basic "]
            .iter()
            .filter_map(|w| lower[i..].find(w).map(|k| (i + k, w.len())))
            .min();
        let Some((at, len)) = hit else { break };
        let word_start = at + len;
        let skip = text[word_start..]
            .find(|c: char| !c.is_whitespace())
            .map_or(text.len(), |k| word_start + k);
        let end = text[skip..]
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '"' | '\'' | '}' | ']' | ')' | '>'))
            .map_or(text.len(), |k| skip + k);
        out.push_str(&text[i..skip]);
        if end > skip {
            out.push_str(MASK);
        }
        i = end;
    }
    out.push_str(&text[i.min(text.len())..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_masked_in_every_url() {
        let table = [
            ("http://u:p@h:1/v1/logs", "http://***@h:1/v1/logs"),
            (
                "cannot reach http://user@h/x: refused",
                "cannot reach http://***@h/x: refused",
            ),
            ("a http://h:1 b https://x:y@z c", "a http://h:1 b https://***@z c"),
            ("no url here", "no url here"),
            ("'http://a:b@h'", "'http://***@h'"),
        ];
        for (text, want) in table {
            assert_eq!(strip_userinfo(text), want, "{text}");
        }
    }

    #[test]
    fn secrets_and_credentials_are_masked() {
        let headers = vec![
            ("Authorization".to_string(), "Bearer s3cr3t-token".to_string()),
            ("x-api-key".to_string(), "k-12345".to_string()),
            ("x-flag".to_string(), "on".to_string()),
        ];
        let s = Secrets::new("http://alice:pa55word@h:4318", &headers);
        let text = "HTTP 401 from http://alice:pa55word@h:4318/v1/logs: bad token s3cr3t-token \
                    (key k-12345, password pa55word, got Authorization: basic QWxhZGRpbg==) on";
        let got = s.scrub(text);
        for secret in ["s3cr3t-token", "k-12345", "pa55word", "alice", "QWxhZGRpbg=="] {
            assert!(!got.contains(secret), "{secret} in {got}");
        }
        assert_eq!(
            got,
            "HTTP 401 from http://***@h:4318/v1/logs: bad token *** (key ***, password ***, \
             got Authorization: basic ***) on"
        );
        assert_eq!(Secrets::default().scrub("Bearer abc, x"), "Bearer ***, x");
        assert_eq!(Secrets::default().scrub("trailing bearer "), "trailing bearer ");
    }
}
