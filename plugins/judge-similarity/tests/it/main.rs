//! `dos-judge-similarity`'s integration tests as one binary (`cargo test -p
//! dos-judge-similarity --test it`), one module per former test file.

mod parity;
