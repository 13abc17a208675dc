//! The step adapter's digests: 16-hex truncated SHA-256 over the reference's
//! canonical bytes of a JSON value (a string hashes as its own UTF-8; anything
//! else as `json.dumps(sort_keys=True, ensure_ascii=False)`; lone surrogates
//! and undecodable bytes become `?`). Bytes are streamed into the hasher, so
//! hashing a huge result allocates nothing proportional to it.

use dos_py::dumps::{dump_str, dump_val as dumps};
use dos_py::json::{RawStr, Val};
use sha2::{Digest, Sha256};

pub use dos_py::dumps::Sink;

/// Buffers small writes before feeding SHA-256.
struct Hasher {
    h: Sha256,
    buf: Vec<u8>,
}

impl Sink for Hasher {
    fn put(&mut self, s: &str) {
        if self.buf.len() + s.len() > 8192 {
            self.h.update(&self.buf);
            self.buf.clear();
            if s.len() > 8192 {
                self.h.update(s.as_bytes());
                return;
            }
        }
        self.buf.extend_from_slice(s.as_bytes());
    }
}

/// `digest(bytes)`: the first 16 lowercase hex digits of SHA-256.
pub fn digest_with<F: FnOnce(&mut dyn Sink)>(feed: F) -> String {
    let mut hasher = Hasher {
        h: Sha256::new(),
        buf: Vec::with_capacity(8192),
    };
    feed(&mut hasher);
    let Hasher { mut h, buf } = hasher;
    h.update(&buf);
    let out = h.finalize();
    let mut hex = String::with_capacity(16);
    for b in &out[..8] {
        hex.push(char::from_digit((b >> 4) as u32, 16).unwrap_or('0'));
        hex.push(char::from_digit((b & 15) as u32, 16).unwrap_or('0'));
    }
    hex
}

/// The digest of a value's canonical bytes.
pub fn value_digest(v: &Val<'_>) -> String {
    digest_with(|s| canonical(v, s))
}

/// The args digest: canonical bytes of `{"input": input, "tool": tool}`.
pub fn args_digest(tool: &RawStr<'_>, input: Option<&Val<'_>>) -> String {
    digest_with(|s| {
        s.put("{\"input\": ");
        match input {
            None | Some(Val::Null) => s.put("{}"),
            Some(v) => dumps(v, s),
        }
        s.put(", \"tool\": ");
        dump_str(tool, s);
        s.put("}");
    })
}

/// Canonical bytes of `v`: a string's own text, else its sorted dump.
pub fn canonical(v: &Val<'_>, s: &mut dyn Sink) {
    match v {
        Val::Str(raw) => raw.decode_chunks(|piece, _| s.put(piece)),
        other => dumps(other, s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_py::json::parse;

    #[test]
    fn result_digests_match_the_reference_table() {
        let table: &[(&[u8], &str)] = &[
            (b"\"hello world\"", "b94d27b9934d3e08"),
            (b"\"x\"", "2d711642b726b044"),
            (b"\"A\"", "559aead08264d579"),
            (b"\"B\"", "df7e70e5021544f4"),
            (b"\"\"", "e3b0c44298fc1c14"),
            (b"\"\\ud800\"", "8a8de823d5ed3e12"),
            (b"\"\xff\xfe bad\"", "5caf5dd474aa72d6"),
            (b"\"a\\nb\\t\\\"c\\u0000\"", "178e202cfff8da55"),
            (b"{}", "44136fa355b3678a"),
            (b"[]", "4f53cda18c2baa0c"),
            (br#"{"b": 1, "a": [1, 2.0, "\u00e9"]}"#, "b3b96c0d25d7f009"),
            (br#"{"a": [1, 2.0, "\u00e9"], "b": 1}"#, "b3b96c0d25d7f009"),
            (br#"{"a":1,"a":2}"#, "e5a9d5b0300e0f50"),
            (br#"{"k":"\u00e9\ud83d\ude00"}"#, "0b138a1087b0e92f"),
            (b"0", "5feceb66ffc86f38"),
            (b"true", "b5bea41b6c623f7c"),
            (b"false", "fcbcf165908dd18a"),
            (b"1.0", "d0ff5974b6aa52cf"),
            (b"1e2", "43b87f618caab482"),
            (b"100.0", "43b87f618caab482"),
            (b"0.1", "14be4b45f18e0d8c"),
            (b"-0.0", "c26617c7ccbcaa66"),
            (b"1.5e-7", "d3d74b7715e6c72e"),
            (b"1e16", "a144838520595009"),
            (b"12345678.9", "73199d1fbb23f8e7"),
            (b"123456789012345678901234567890", "f54e5c8f810648e7"),
            (b"NaN", "d5b592c05dc25b50"),
            (b"Infinity", "d0067cad9a63e081"),
            (b"1E400", "d0067cad9a63e081"),
            // Keys sort on the Python string, surrogates included, before `?`
            // replaces them (issue 18): bytes `{"a": 2, "?": 1}`.
            (br#"{"\ud83d":1,"a":2}"#, "72dd44f58c7cd7c6"),
        ];
        for (lit, expected) in table {
            let v = parse(lit).unwrap();
            assert_eq!(value_digest(&v), *expected, "{}", String::from_utf8_lossy(lit));
        }
    }

    #[test]
    fn args_digests_match_the_reference_table() {
        let table: &[(&[u8], &str)] = &[
            (
                br#"{"tool_name":"Bash","tool_input":{"command":"cat out.txt"}}"#,
                "4ab1160183be8631",
            ),
            (
                br#"{"tool_name":"Bash","tool_input":{"command":"ls"}}"#,
                "66468969a379ba21",
            ),
            (
                br#"{"tool_name":"bash","tool_input":{"command":"ls"}}"#,
                "c5cf231b36c03504",
            ),
            (
                br#"{"tool_name":"BASH","tool_input":{"command":"ls"}}"#,
                "c92bb602a789de2d",
            ),
            (br#"{"tool_name":"Bash"}"#, "819d0a5ad0ae641e"),
            (br#"{"tool_name":"Bash","tool_input":null}"#, "819d0a5ad0ae641e"),
            (br#"{"tool_name":"Bash","tool_input":{}}"#, "819d0a5ad0ae641e"),
            (br#"{"tool_name":"Bash","tool_input":"abc"}"#, "293b29222ad195e3"),
            (
                br#"{"tool_name":"Read","tool_input":{"file_path":"/tmp/x"}}"#,
                "20635a4bc3b71fd5",
            ),
        ];
        for (ev, expected) in table {
            let v = parse(ev).unwrap();
            let Some(Val::Str(tool)) = v.get("tool_name") else {
                panic!()
            };
            assert_eq!(args_digest(tool, v.get("tool_input")), *expected);
        }
    }
}
