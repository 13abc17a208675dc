//! `dos-notify-webhook`'s integration tests as one binary (`cargo test -p
//! dos-notify-webhook --test it`), one module per former test file.

mod harness;
mod http;
