//! Small Python `str` behaviours plugins need to match the reference
//! byte for byte: `str.isspace()`, `str.isprintable()`, `str.strip()`,
//! `str.splitlines()`, `s[:n]`, and the text of `str(OSError)`.
//! Re-exported from `dos-py`.

pub use dos_py::text::{cut, io_error_text, is_printable, is_py_space, os_error, py_splitlines, py_strip};
