//! `dos-export-statsd`'s integration tests as one binary (`cargo test -p
//! dos-export-statsd --test it`), one module per former test file.

mod udp;
