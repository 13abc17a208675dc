//! `dos-notify-slack`'s integration tests as one binary (`cargo test -p
//! dos-notify-slack --test it`), one module per former test file.

mod http;
