//! The wire options of `[exporters.statsd]` (pure parsing): `tag_format`
//! (also `dos export --tag-format`) and `max_datagram_bytes`.

use crate::lines::TagFormat;
use crate::packing::{MAX_UDP_PAYLOAD, SAFE_DATAGRAM_BYTES};
use serde_json::{Map, Value};

/// A wire option with a value the exporter cannot use. Nothing is sent when
/// one is present.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    /// `tag_format` names no known format.
    #[error(
        "tag_format {got} is not one of: dogstatsd, graphite, influx (set by --tag-format or [exporters.statsd] tag_format)"
    )]
    TagFormat {
        /// The value as given (JSON text).
        got: String,
    },
    /// `max_datagram_bytes` is not an integer in range.
    #[error(
        "max_datagram_bytes {got} is not an integer from 0 to {MAX_UDP_PAYLOAD} (set by [exporters.statsd] max_datagram_bytes; 0 sends one line per datagram)"
    )]
    MaxDatagramBytes {
        /// The value as given (JSON text).
        got: String,
    },
}

/// How counter lines are written and packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireOptions {
    /// The tag dialect.
    pub tag_format: TagFormat,
    /// Datagram size limit for packing; 0 sends one line per datagram.
    pub max_datagram_bytes: usize,
}

impl WireOptions {
    /// Read `tag_format` and `max_datagram_bytes` from a driver
    /// configuration. Absent, `null` or empty values take the defaults:
    /// `dogstatsd` (the reference's lines, byte for byte) packed into
    /// datagrams of at most [`SAFE_DATAGRAM_BYTES`].
    pub fn from_config(cfg: &Map<String, Value>) -> Result<WireOptions, OptionError> {
        let tag_format = match cfg.get("tag_format") {
            None | Some(Value::Null) => TagFormat::default(),
            Some(Value::String(s)) if s.is_empty() => TagFormat::default(),
            Some(Value::String(s)) => TagFormat::from_name(s).ok_or_else(|| OptionError::TagFormat {
                got: Value::String(s.clone()).to_string(),
            })?,
            Some(other) => {
                return Err(OptionError::TagFormat {
                    got: other.to_string(),
                })
            }
        };
        let max_datagram_bytes = match cfg.get("max_datagram_bytes") {
            None | Some(Value::Null) => SAFE_DATAGRAM_BYTES,
            Some(Value::String(s)) if s.trim().is_empty() => SAFE_DATAGRAM_BYTES,
            Some(v) => {
                datagram_limit(v).ok_or_else(|| OptionError::MaxDatagramBytes { got: v.to_string() })?
            }
        };
        Ok(WireOptions {
            tag_format,
            max_datagram_bytes,
        })
    }
}

/// An integer (or decimal integer string) from 0 to [`MAX_UDP_PAYLOAD`].
fn datagram_limit(v: &Value) -> Option<usize> {
    let n: u64 = match v {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    usize::try_from(n).ok().filter(|n| *n <= MAX_UDP_PAYLOAD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<WireOptions, OptionError> {
        let v: Value = serde_json::from_str(json).unwrap();
        let Value::Object(map) = v else {
            panic!("not an object")
        };
        WireOptions::from_config(&map)
    }

    fn ok(format: TagFormat, max: usize) -> Result<WireOptions, OptionError> {
        Ok(WireOptions {
            tag_format: format,
            max_datagram_bytes: max,
        })
    }

    #[test]
    fn option_table() {
        use TagFormat::*;
        let cases = [
            ("{}", ok(Dogstatsd, 1432)),
            (r#"{"tag_format": null}"#, ok(Dogstatsd, 1432)),
            (r#"{"tag_format": ""}"#, ok(Dogstatsd, 1432)),
            (r#"{"tag_format": "dogstatsd"}"#, ok(Dogstatsd, 1432)),
            (r#"{"max_datagram_bytes": 0}"#, ok(Dogstatsd, 0)),
            (r#"{"tag_format": "graphite"}"#, ok(Graphite, 1432)),
            (r#"{"tag_format": "influx"}"#, ok(Influx, 1432)),
            (
                r#"{"tag_format": "graphite", "max_datagram_bytes": 0}"#,
                ok(Graphite, 0),
            ),
            (r#"{"max_datagram_bytes": 1432}"#, ok(Dogstatsd, 1432)),
            (r#"{"max_datagram_bytes": "512"}"#, ok(Dogstatsd, 512)),
            (r#"{"max_datagram_bytes": 65507}"#, ok(Dogstatsd, 65507)),
            (
                r#"{"tag_format": "influx", "max_datagram_bytes": ""}"#,
                ok(Influx, 1432),
            ),
        ];
        for (json, want) in cases {
            assert_eq!(parse(json), want, "{json}");
        }
    }

    #[test]
    fn bad_values_name_the_key_and_the_allowed_values() {
        let bad_format = [
            (r#"{"tag_format": "Graphite"}"#, "\"Graphite\""),
            (r#"{"tag_format": "statsd"}"#, "\"statsd\""),
            (r#"{"tag_format": 1}"#, "1"),
            (r#"{"tag_format": ["influx"]}"#, "[\"influx\"]"),
        ];
        for (json, got) in bad_format {
            let e = parse(json).unwrap_err();
            assert_eq!(e, OptionError::TagFormat { got: got.into() }, "{json}");
            assert_eq!(
                e.to_string(),
                format!("tag_format {got} is not one of: dogstatsd, graphite, influx (set by --tag-format or [exporters.statsd] tag_format)")
            );
        }
        let bad_size = [
            (r#"{"max_datagram_bytes": -1}"#, "-1"),
            (r#"{"max_datagram_bytes": 65508}"#, "65508"),
            (r#"{"max_datagram_bytes": 1.5}"#, "1.5"),
            (r#"{"max_datagram_bytes": "big"}"#, "\"big\""),
            (r#"{"max_datagram_bytes": true}"#, "true"),
        ];
        for (json, got) in bad_size {
            let e = parse(json).unwrap_err();
            assert_eq!(e, OptionError::MaxDatagramBytes { got: got.into() }, "{json}");
            assert!(e.to_string().starts_with(&format!(
                "max_datagram_bytes {got} is not an integer from 0 to 65507"
            )));
        }
    }
}
