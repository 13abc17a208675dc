//! JSON text exactly as Python's `json.dumps` writes it (`", "` / `": "`
//! separators, Python's float `repr`, lower-case `\uXXXX` escapes, optional
//! `sort_keys` / `ensure_ascii` / `indent`). Re-exported from `dos-py`,
//! where the host's `.dos/` writers take it from too.

pub use dos_py::dumps::*;
