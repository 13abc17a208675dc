//! The worker protocol: length-prefixed frames over the worker's stdin and
//! (a private copy of) its stdout. Pure encoding and decoding, no I/O.
//!
//! A frame is an 8-byte header — magic `b"DW"`, protocol version, kind, and
//! the payload length as a little-endian `u32` — then the payload. The magic
//! makes garbage on the pipe (a plugin writing where it should not) fail on
//! the first header instead of being read as a huge length.
//!
//! Control messages and values travel as JSON; an exporter batch travels
//! compactly as one span table plus one buffer of records.

use dos_plugin_api::EventRef;

/// The first two bytes of every frame.
pub const MAGIC: [u8; 2] = *b"DW";
/// The protocol version byte.
pub const VERSION: u8 = 1;
/// Header length in bytes.
pub const HEADER_LEN: usize = 8;
/// The largest payload either side accepts (a bigger length is garbage).
pub const MAX_PAYLOAD: usize = 1 << 30;

/// Host → worker: construct a driver (JSON [`ConstructRequest`]).
pub const REQ_CONSTRUCT: u8 = 1;
/// Host → worker: export a batch (binary, see [`encode_batch`]).
pub const REQ_EXPORT: u8 = 2;
/// Host → worker: call a JSON-in/JSON-out method (see [`encode_call`]).
pub const REQ_CALL: u8 = 3;
/// Worker → host: the file loaded (or not): JSON [`Ready`].
pub const RESP_READY: u8 = 16;
/// Worker → host: success; construct answers a `u32` id, calls answer text.
pub const RESP_OK: u8 = 17;
/// Worker → host: the driver failed: `u32` error kind, then the message.
pub const RESP_ERR: u8 = 18;

/// Why bytes on the pipe are not a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The header does not start with the magic bytes.
    #[error("garbage on the protocol pipe (frame header {0})")]
    BadMagic(String),
    /// A frame of another protocol version.
    #[error("protocol version {0}, expected {VERSION}")]
    Version(u8),
    /// A length past [`MAX_PAYLOAD`].
    #[error("frame of {0} bytes exceeds the {MAX_PAYLOAD}-byte limit")]
    TooLong(u64),
    /// A frame kind that is not expected here.
    #[error("unexpected frame kind {0}")]
    Kind(u8),
    /// A payload that does not decode.
    #[error("malformed payload: {0}")]
    Payload(String),
}

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The frame kind.
    pub kind: u8,
    /// Payload length.
    pub len: usize,
}

/// Append a frame header for `kind` and a payload of `len` bytes.
pub fn put_header(out: &mut Vec<u8>, kind: u8, len: usize) {
    out.extend_from_slice(&MAGIC);
    out.push(VERSION);
    out.push(kind);
    out.extend_from_slice(&(len as u32).to_le_bytes());
}

/// Start a frame of `kind` in `out` (cleared); finish it with [`finish_frame`].
pub fn begin_frame(out: &mut Vec<u8>, kind: u8) {
    out.clear();
    put_header(out, kind, 0);
}

/// Patch the payload length of a frame begun with [`begin_frame`].
pub fn finish_frame(out: &mut [u8]) {
    let len = (out.len() - HEADER_LEN) as u32;
    out[4..8].copy_from_slice(&len.to_le_bytes());
}

/// A whole frame in one buffer.
pub fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    put_header(&mut out, kind, payload.len());
    out.extend_from_slice(payload);
    out
}

/// Decode and check a header.
pub fn parse_header(bytes: &[u8; HEADER_LEN]) -> Result<Header, ProtocolError> {
    if bytes[..2] != MAGIC {
        let shown: String = bytes
            .iter()
            .map(|b| {
                if b.is_ascii_graphic() || *b == b' ' {
                    (*b as char).to_string()
                } else {
                    format!("\\x{b:02x}")
                }
            })
            .collect();
        return Err(ProtocolError::BadMagic(format!("\"{shown}\"")));
    }
    if bytes[2] != VERSION {
        return Err(ProtocolError::Version(bytes[2]));
    }
    let len = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    if len > MAX_PAYLOAD {
        return Err(ProtocolError::TooLong(len as u64));
    }
    Ok(Header { kind: bytes[3], len })
}

/// The worker's first frame: the file's manifest, or why it did not load.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ready {
    /// The worker's process id.
    pub pid: u32,
    /// The manifest, when the file loaded.
    #[serde(default)]
    pub manifest: Option<dos_plugin_api::Manifest>,
    /// Why the file did not load (one line).
    #[serde(default)]
    pub error: Option<String>,
}

/// Construct the driver `name` of `group` with `config` (a JSON object text).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConstructRequest {
    /// Group key (`exporters`).
    pub group: String,
    /// Driver name.
    pub name: String,
    /// The driver configuration as JSON text.
    pub config: String,
}

fn take_u32(bytes: &[u8], at: usize) -> Result<u32, ProtocolError> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| ProtocolError::Payload(format!("truncated at byte {at}")))
}

/// Append an export request for driver `id` to a frame begun in `out`:
/// `u32 id, u32 n, n × (i64 seq, u32 len), then the records back to back`.
pub fn encode_batch(out: &mut Vec<u8>, id: u32, events: &[EventRef<'_>]) {
    let text: usize = events.iter().map(|e| e.record.len()).sum();
    out.reserve(8 + events.len() * 12 + text);
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&(events.len() as u32).to_le_bytes());
    for e in events {
        out.extend_from_slice(&e.seq.to_le_bytes());
        out.extend_from_slice(&(e.record.len() as u32).to_le_bytes());
    }
    for e in events {
        out.extend_from_slice(e.record.as_str().as_bytes());
    }
}

/// Decode an export request into the driver id and borrowed event views.
pub fn decode_batch(payload: &[u8]) -> Result<(u32, Vec<EventRef<'_>>), ProtocolError> {
    let id = take_u32(payload, 0)?;
    let n = take_u32(payload, 4)? as usize;
    let table_end = n
        .checked_mul(12)
        .and_then(|t| t.checked_add(8))
        .filter(|end| *end <= payload.len())
        .ok_or_else(|| ProtocolError::Payload(format!("span table of {n} events does not fit")))?;
    let text = std::str::from_utf8(&payload[table_end..])
        .map_err(|e| ProtocolError::Payload(format!("records are not UTF-8: {e}")))?;
    let mut events = Vec::with_capacity(n);
    let mut at = 0usize;
    for i in 0..n {
        let base = 8 + i * 12;
        let seq_bytes: [u8; 8] = payload[base..base + 8]
            .try_into()
            .map_err(|_| ProtocolError::Payload("bad seq".into()))?;
        let len = take_u32(payload, base + 8)? as usize;
        let record = text
            .get(at..at + len)
            .ok_or_else(|| ProtocolError::Payload(format!("record {i} overruns the buffer")))?;
        at += len;
        events.push(EventRef {
            seq: i64::from_le_bytes(seq_bytes),
            record: record.into(),
        });
    }
    if at != text.len() {
        return Err(ProtocolError::Payload(format!(
            "{} trailing byte(s) after the records",
            text.len() - at
        )));
    }
    Ok((id, events))
}

/// Append a call request: `u32 id, u32 method length, method, input text`.
pub fn encode_call(out: &mut Vec<u8>, id: u32, method: &str, input: &str) {
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&(method.len() as u32).to_le_bytes());
    out.extend_from_slice(method.as_bytes());
    out.extend_from_slice(input.as_bytes());
}

fn utf8(b: &[u8]) -> Result<&str, ProtocolError> {
    std::str::from_utf8(b).map_err(|e| ProtocolError::Payload(format!("not UTF-8: {e}")))
}

/// Decode a call request into (id, method, input).
pub fn decode_call(payload: &[u8]) -> Result<(u32, &str, &str), ProtocolError> {
    let id = take_u32(payload, 0)?;
    let mlen = take_u32(payload, 4)? as usize;
    let rest = payload
        .get(8..)
        .filter(|r| r.len() >= mlen)
        .ok_or_else(|| ProtocolError::Payload("method overruns the payload".into()))?;
    Ok((id, utf8(&rest[..mlen])?, utf8(&rest[mlen..])?))
}

/// Encode an error answer.
pub fn encode_err(kind: u32, message: &str) -> Vec<u8> {
    let mut p = Vec::with_capacity(4 + message.len());
    p.extend_from_slice(&kind.to_le_bytes());
    p.extend_from_slice(message.as_bytes());
    p
}

/// Decode an error answer into (kind, message).
pub fn decode_err(payload: &[u8]) -> Result<(u32, String), ProtocolError> {
    let kind = take_u32(payload, 0)?;
    Ok((kind, String::from_utf8_lossy(&payload[4..]).into_owned()))
}

/// Decode a construct answer (the new driver's id).
pub fn decode_id(payload: &[u8]) -> Result<u32, ProtocolError> {
    if payload.len() != 4 {
        return Err(ProtocolError::Payload(format!(
            "driver id of {} bytes",
            payload.len()
        )));
    }
    take_u32(payload, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_and_garbage_is_named() {
        let f = frame(RESP_OK, b"hello");
        let h: [u8; HEADER_LEN] = f[..HEADER_LEN].try_into().unwrap();
        assert_eq!(
            parse_header(&h),
            Ok(Header {
                kind: RESP_OK,
                len: 5
            })
        );
        let table: [(&[u8; 8], &str); 3] = [
            (
                b"garbage!",
                "garbage on the protocol pipe (frame header \"garbage!\")",
            ),
            (b"DW\x02\x11\0\0\0\0", "protocol version 2, expected 1"),
            (
                b"DW\x01\x11\xff\xff\xff\xff",
                "frame of 4294967295 bytes exceeds the 1073741824-byte limit",
            ),
        ];
        for (bytes, text) in table {
            assert_eq!(parse_header(bytes).unwrap_err().to_string(), text);
        }
    }

    #[test]
    fn begin_finish_patches_the_length() {
        let mut out = Vec::new();
        begin_frame(&mut out, REQ_CALL);
        encode_call(&mut out, 7, "m", "{}");
        finish_frame(&mut out);
        let h = parse_header(&out[..HEADER_LEN].try_into().unwrap()).unwrap();
        assert_eq!(h.len, out.len() - HEADER_LEN);
        assert_eq!(decode_call(&out[HEADER_LEN..]), Ok((7, "m", "{}")));
    }

    #[test]
    fn batches_round_trip() {
        let recs = ["{\"seq\": 1}", "", "{\"x\": \"é\"}"];
        let events: Vec<EventRef<'_>> = recs
            .iter()
            .enumerate()
            .map(|(i, r)| EventRef {
                seq: i as i64 * 10 - 5,
                record: (*r).into(),
            })
            .collect();
        let mut out = Vec::new();
        encode_batch(&mut out, 3, &events);
        let (id, back) = decode_batch(&out).unwrap();
        assert_eq!(id, 3);
        assert_eq!(back.len(), 3);
        for (a, b) in events.iter().zip(&back) {
            assert_eq!((a.seq, a.record.as_str()), (b.seq, b.record.as_str()));
        }
    }

    #[test]
    fn malformed_batches_are_errors_not_panics() {
        let mut out = Vec::new();
        encode_batch(
            &mut out,
            1,
            &[EventRef {
                seq: 1,
                record: "abc".into(),
            }],
        );
        for cut in 0..out.len() {
            assert!(decode_batch(&out[..cut]).is_err(), "cut at {cut}");
        }
        let mut extra = out.clone();
        extra.push(b'x');
        assert!(decode_batch(&extra).is_err());
        let mut huge = out.clone();
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_batch(&huge).is_err());
    }
}
