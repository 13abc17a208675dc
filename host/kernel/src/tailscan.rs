//! Finding the highest sequence number in an append-only JSONL file from its
//! tail, shared by the verdict journal and the lane journal: the window
//! starts small and doubles until it holds a record with a seq (or covers the
//! whole file), so appends never re-read a long journal from the start.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// The first window read from the end of the file.
pub const TAIL_WINDOW: u64 = 64 * 1024;

/// The highest seq `max_in` finds in the file's tail, and whether the file is
/// empty or ends with a newline. `max_in` gets whole lines only (a partial
/// first line of a window is skipped) and answers `None` when the bytes hold
/// no seq, which widens the window.
pub fn max_seq_in_tail(
    file: &mut File,
    max_in: impl Fn(&[u8]) -> Option<i64>,
) -> std::io::Result<(i64, bool)> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok((0, true));
    }
    let mut window = TAIL_WINDOW;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::with_capacity((len - start) as usize);
        Read::by_ref(file).take(len - start).read_to_end(&mut buf)?;
        let ends_with_newline = buf.last() == Some(&b'\n');
        let body: &[u8] = if start > 0 {
            match buf.iter().position(|b| *b == b'\n') {
                Some(i) => &buf[i + 1..],
                None => &[],
            }
        } else {
            &buf
        };
        match max_in(body) {
            Some(max) => return Ok((max, ends_with_newline)),
            None if start == 0 => return Ok((0, ends_with_newline)),
            None => window = window.saturating_mul(2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn scan(bytes: &[u8]) -> (i64, bool) {
        let dir = tempfile::tempdir().expect("temp");
        let p = dir.path().join("j.jsonl");
        std::fs::File::create(&p)
            .and_then(|mut f| f.write_all(bytes))
            .expect("write");
        let mut f = std::fs::File::open(&p).expect("open");
        max_seq_in_tail(&mut f, |body| {
            let seqs: Vec<i64> = String::from_utf8_lossy(body)
                .lines()
                .filter_map(|l| l.strip_prefix("seq=").and_then(|n| n.trim().parse().ok()))
                .collect();
            seqs.into_iter().reduce(i64::max)
        })
        .expect("scan")
    }

    #[test]
    fn table() {
        assert_eq!(scan(b""), (0, true));
        assert_eq!(scan(b"seq=3\nseq=9\n"), (9, true));
        assert_eq!(scan(b"seq=3\nseq=9\ntorn"), (9, false));
        assert_eq!(scan(b"no seq here\n"), (0, true));
    }

    #[test]
    fn the_window_widens_past_a_long_seq_less_tail() {
        let mut bytes = b"seq=41\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', 3 * TAIL_WINDOW as usize));
        bytes.push(b'\n');
        assert_eq!(scan(&bytes), (41, true));
    }
}
