//! `dos-export-otlp`'s integration tests as one binary (`cargo test -p
//! dos-export-otlp --test it`), one module per former test file.

mod http;
