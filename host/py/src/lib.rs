#![deny(missing_docs)]
//! `dos-py`: Python's observable semantics, written once.
//!
//! The `dos` host and its plugins must produce the `.dos/` files and the hook
//! stdout of the Python reference (`dos-kernel`) byte for byte, and read what
//! it wrote the way it reads it. Every Python behaviour that shows in those
//! bytes lives here, once:
//!
//! - [`dumps`]: `json.dumps`, exact (separators, `ensure_ascii`, `sort_keys`,
//!   `indent`, float `repr`);
//! - [`json`]: the one JSON reader, with `json.loads`' rules (`NaN` /
//!   `Infinity`, integers of any size, duplicate keys, lone surrogates), zero
//!   copy, and the owned [`PyValue`] it decodes to;
//! - [`repr`]: `repr()` / `str()` of strings, floats and decoded values,
//!   with `str.isprintable` from a table generated from CPython itself
//!   ([`unicode_tables`], `tools/gen_unicode_tables.py`);
//! - [`int`]: `int()` of a string or a decoded value;
//! - [`text`]: `str.isspace`, `str.strip`, `str.splitlines`, `s[:n]`, the
//!   text of `str(OSError)`;
//! - [`time`]: the proleptic Gregorian calendar, `datetime.fromisoformat`,
//!   `datetime.strptime` for the formats the reference uses, and the one wall
//!   clock;
//! - [`toml_value`] (feature `toml`): `str()` / `repr()` / truthiness of
//!   what `tomllib` parsed.
//!
//! What it may not depend on: no `abi_stable`, no plugin API, no kernel code,
//! no I/O beyond reading the clock. Its dependencies are `serde_json` (the
//! value type the host and plugins hand around) and `thiserror`.

pub mod dumps;
pub mod int;
pub mod json;
pub mod repr;
pub mod text;
pub mod time;
#[cfg(feature = "toml")]
pub mod toml_value;
/// Unicode tables generated from CPython 3.11 (`tools/gen_unicode_tables.py`):
/// `str.isprintable`, `str.isspace` and the decimal digits `int()` reads.
pub mod unicode_tables;
pub mod value;

pub use value::PyValue;
