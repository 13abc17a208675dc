//! The one locked append of the kernel's append-only JSONL files: the
//! verdict journal, the hooks' per-session streams and tallies, and the lane
//! journal all write through [`LockedAppend`].
//!
//! Opening creates the parent directories and the file without following a
//! symlink out of the workspace ([`crate::safe_fs`]) and takes an exclusive
//! advisory lock (`File::lock`) held until the value is dropped, so a
//! writer's read-decide-append (find the next seq, count a run, a tally) is
//! atomic among our writers. A record is one `write` of one line; when the
//! file's last line is torn (a writer died mid-append) the record starts
//! with a `\n`, so it never glues onto the fragment.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// An open append-only file, exclusively locked while this value lives.
#[derive(Debug)]
pub struct LockedAppend {
    file: File,
    /// The file's path.
    pub path: PathBuf,
}

impl LockedAppend {
    /// Create the parent directories and the file if needed, open it for
    /// reading and appending, and take the lock (blocking).
    pub fn open(path: &Path) -> std::io::Result<LockedAppend> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file = crate::safe_fs::open_append(path, true)?;
        file.lock()?;
        Ok(LockedAppend {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Open an existing file for reading and appending and take the lock;
    /// `None` if it does not exist (nothing is created).
    pub fn open_existing(path: &Path) -> std::io::Result<Option<LockedAppend>> {
        match crate::safe_fs::open_existing_append(path) {
            Ok(file) => {
                file.lock()?;
                Ok(Some(LockedAppend {
                    file,
                    path: path.to_path_buf(),
                }))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The locked file, for a reader of its own (a seq scan of the tail).
    pub fn file_mut(&mut self) -> &mut File {
        &mut self.file
    }

    /// Walk the file's lines from the end.
    pub fn rev_lines(&mut self) -> std::io::Result<RevLines<'_>> {
        RevLines::new(&mut self.file)
    }

    /// Whether the file is empty or its last byte is a `\n`.
    pub fn ends_with_newline(&mut self) -> std::io::Result<bool> {
        let len = self.file.seek(SeekFrom::End(0))?;
        if len == 0 {
            return Ok(true);
        }
        let mut last = [0u8; 1];
        self.file.seek(SeekFrom::Start(len - 1))?;
        self.file.read_exact(&mut last)?;
        Ok(last[0] == b'\n')
    }

    /// Append `line` (without its newline) as one record in one `write`,
    /// preceded by a `\n` when `torn_tail` (the caller found the file not
    /// ending with a newline). Not synced: see [`LockedAppend::sync`].
    pub fn write_record(&mut self, line: &str, torn_tail: bool) -> std::io::Result<()> {
        let mut out = String::with_capacity(line.len() + 2);
        if torn_tail {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        self.file.write_all(out.as_bytes())
    }

    /// Flush the appended records to the disk (`fdatasync`).
    pub fn sync(&self) -> std::io::Result<()> {
        self.file.sync_data()
    }

    /// Append `line` as one record (checking the tail for a torn last line
    /// first) and sync it; the first error is returned.
    pub fn append_line(&mut self, line: &str) -> std::io::Result<()> {
        let torn = !self.ends_with_newline()?;
        self.write_record(line, torn)?;
        self.sync()
    }
}

impl Drop for LockedAppend {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// The lines of a file from the last one backwards, read in growing chunks
/// from the end. Splits on `\n` only (a CR before it is trimmed by callers).
pub struct RevLines<'f> {
    file: &'f mut File,
    pos: u64,
    buf: Vec<u8>,
    chunk: usize,
    done: bool,
    /// Bytes read so far (for diagnostics and tests).
    pub bytes_read: u64,
}

impl<'f> RevLines<'f> {
    /// Start at the end of `file`.
    pub fn new(file: &'f mut File) -> std::io::Result<RevLines<'f>> {
        let len = file.seek(SeekFrom::End(0))?;
        Ok(RevLines {
            file,
            pos: len,
            buf: Vec::new(),
            chunk: 8 * 1024,
            done: false,
            bytes_read: 0,
        })
    }

    /// The next line towards the start of the file (without its `\n`).
    pub fn next_line(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        loop {
            if self.done {
                return Ok(None);
            }
            if let Some(i) = self.buf.iter().rposition(|b| *b == b'\n') {
                let line = self.buf.split_off(i + 1);
                self.buf.truncate(i);
                return Ok(Some(line));
            }
            if self.pos == 0 {
                self.done = true;
                return Ok(Some(std::mem::take(&mut self.buf)));
            }
            let n = (self.chunk as u64).min(self.pos) as usize;
            self.pos -= n as u64;
            self.file.seek(SeekFrom::Start(self.pos))?;
            let mut fresh = vec![0u8; n];
            self.file.read_exact(&mut fresh)?;
            self.bytes_read += n as u64;
            fresh.extend_from_slice(&self.buf);
            self.buf = fresh;
            self.chunk = (self.chunk * 2).min(1 << 20);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_after_a_torn_tail_starts_on_its_own_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/f.jsonl");
        let mut f = LockedAppend::open(&p).unwrap();
        assert!(f.ends_with_newline().unwrap(), "an empty file needs no separator");
        f.append_line("{\"a\": 1}").unwrap();
        drop(f);
        std::fs::write(&p, b"{\"a\": 1}\n{\"tor").unwrap();
        let mut f = LockedAppend::open(&p).unwrap();
        f.append_line("{\"b\": 2}").unwrap();
        drop(f);
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "{\"a\": 1}\n{\"tor\n{\"b\": 2}\n"
        );
    }

    #[test]
    fn open_existing_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing.jsonl");
        assert!(LockedAppend::open_existing(&p).unwrap().is_none());
        assert!(!p.exists());
    }

    #[test]
    fn the_lock_is_exclusive_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.jsonl");
        let held = LockedAppend::open(&p).unwrap();
        let other = File::open(&p).unwrap();
        assert!(other.try_lock().is_err(), "a second writer must wait");
        drop(held);
        assert!(other.try_lock().is_ok());
    }

    #[test]
    fn rev_lines_walks_backwards_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let mut body = String::new();
        for i in 0..5000 {
            body.push_str(&format!("line {i}\n"));
        }
        body.push_str("torn");
        std::fs::write(&p, &body).unwrap();
        let mut f = File::open(&p).unwrap();
        let mut r = RevLines::new(&mut f).unwrap();
        assert_eq!(r.next_line().unwrap().unwrap(), b"torn");
        assert_eq!(r.next_line().unwrap().unwrap(), b"line 4999");
        let mut n = 2;
        while let Some(l) = r.next_line().unwrap() {
            if l.is_empty() {
                continue;
            }
            n += 1;
        }
        assert_eq!(n, 5001);
    }
}
