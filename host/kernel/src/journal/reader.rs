//! Streaming the verdict journal with the reference's tolerance, reading the
//! file in large chunks (memory: one chunk, or one line if a line is longer).
//!
//! Rules (spec §2.4, with our fix for record splitting):
//! * records are split on `\n` only (a trailing `\r` is stripped with the
//!   rest of the surrounding whitespace), so a raw U+2028 / U+2029 / U+0085
//!   inside a value written by the reference never cuts a record in two;
//! * invalid UTF-8 is read with U+FFFD replacements; blank lines are skipped
//!   (they still count as line indices);
//! * a line that is not JSON is a `_CORRUPT` sentinel — unless it is the
//!   last element of the file (a torn tail), which is dropped silently;
//! * JSON that is not an object is skipped; an object is a record (no schema
//!   gate), read the way Python's `json.loads` reads it ([`super::tolerant`]).
//!
//! The reader works on a snapshot of the file's length taken when it opens,
//! so records appended while a drain runs are left for the next drain and the
//! torn-tail decision is stable.
//!
//! Speed: a line that is exactly the kernel writer's bytes for its event (see
//! [`super::canonical`]) is recognised in one pass straight from the read
//! buffer — the pass also finds the line's end — and handed out borrowed,
//! without a copy or a JSON tree. Every other line takes the general path
//! (find the `\n`, lossy-decode, strip, parse), which decides exactly as
//! before.

use super::canonical::{canonical_prefix, canonical_seq};
use super::record::{read_seq, VerdictEvent};
use super::tolerant;
use dos_py::text::py_strip;
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// One record line.
#[derive(Debug)]
pub struct RecordLine<'a> {
    /// The stripped line text (U+FFFD where the bytes were not UTF-8).
    pub text: &'a str,
    /// The record's seq (`int(seq or 0)`; 0 when out of range).
    pub seq: i64,
    /// Whether the record's `seq` is out of range (see [`super::record::SeqOutOfRange`]).
    pub seq_out_of_range: bool,
    /// Whether `text` is exactly the kernel's line for this event.
    pub canonical: bool,
    /// The parsed object (absent for canonical lines until asked for).
    map: Option<Map<String, Value>>,
}

impl<'a> RecordLine<'a> {
    fn canonical(text: &'a str, seq: i64) -> Self {
        RecordLine {
            text,
            seq,
            seq_out_of_range: false,
            canonical: true,
            map: None,
        }
    }

    fn parsed(text: &'a str, map: Map<String, Value>) -> Self {
        let seq = read_seq(map.get("seq"));
        RecordLine {
            text,
            seq: seq.unwrap_or(0),
            seq_out_of_range: seq.is_err(),
            canonical: false,
            map: Some(map),
        }
    }

    /// The record's `seq` as Python shows it (at most 40 characters), for
    /// a warning about an out-of-range seq.
    pub fn raw_seq(&self) -> String {
        let raw = match self.map.as_ref().and_then(|m| m.get("seq")) {
            Some(v) => dos_py::value::json_repr(v),
            None => self.seq.to_string(),
        };
        match raw.char_indices().nth(40) {
            Some((i, _)) => format!("{}…", &raw[..i]),
            None => raw,
        }
    }

    /// The decoded event (spec §2.5).
    pub fn event(&self) -> VerdictEvent {
        match &self.map {
            Some(m) => VerdictEvent::from_record(m),
            None => match tolerant::parse(self.text).map(|p| p.value) {
                Some(Value::Object(m)) => VerdictEvent::from_record(&m),
                _ => VerdictEvent::default(),
            },
        }
    }

    /// The record in the journal's line shape for an exporter: the line
    /// itself when canonical, else the decoded event re-encoded.
    pub fn export_line(&self) -> std::borrow::Cow<'_, str> {
        if self.canonical {
            std::borrow::Cow::Borrowed(self.text)
        } else {
            std::borrow::Cow::Owned(self.event().to_line())
        }
    }
}

/// What one journal line holds.
#[derive(Debug)]
pub enum Entry<'a> {
    /// A JSON object.
    Record(RecordLine<'a>),
    /// A line that is not JSON (and not the torn tail): the reference's
    /// `{"op": "_CORRUPT", "_raw": …, "_line": …}` sentinel.
    Corrupt {
        /// The stripped line.
        raw: &'a str,
    },
}

/// Where an entry sits in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Byte offset of the line's first byte.
    pub start: u64,
    /// Byte offset just after the line's `\n` (or the snapshot end).
    pub end: u64,
    /// 0-based line index, counted from where the reader started.
    pub index: u64,
}

/// The read chunk (and the initial buffer size).
const CHUNK: usize = 1 << 20;

/// A streaming journal reader (see the module docs).
pub struct JournalReader {
    file: File,
    /// File offset of the next unconsumed byte (`buf[head]`).
    pos: u64,
    len: u64,
    index: u64,
    /// File offset up to which the file has been read (`buf[filled]`).
    read_to: u64,
    /// Unconsumed bytes are `buf[head..filled]`.
    buf: Vec<u8>,
    head: usize,
    filled: usize,
    text: String,
}

/// Open `path` for reading only if it is a regular file. The open itself
/// never blocks (`O_NONBLOCK`: a FIFO with no writer would otherwise hang
/// the caller forever), and anything but a regular file — a FIFO, a device
/// such as `/dev/zero`, a socket, a directory — is refused with an error
/// naming what it is, so no read can hang or grow without bound.
pub fn open_regular(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let kind = file.metadata()?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    let (error_kind, what) = if kind.is_dir() {
        (std::io::ErrorKind::IsADirectory, "is a directory")
    } else if kind.is_fifo() {
        (
            std::io::ErrorKind::InvalidInput,
            "is a FIFO (named pipe), not a regular file",
        )
    } else if kind.is_char_device() || kind.is_block_device() {
        (
            std::io::ErrorKind::InvalidInput,
            "is a device, not a regular file",
        )
    } else {
        (std::io::ErrorKind::InvalidInput, "is not a regular file")
    };
    Err(std::io::Error::new(error_kind, what))
}

/// Read at most `cap` bytes of the regular file `path` (see
/// [`open_regular`]); a longer file is an error saying how long it is.
pub fn read_regular_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let mut buf = Vec::new();
    file.take(cap + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        let len = std::fs::metadata(path).map_or(cap + 1, |m| m.len());
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("it is {len} bytes long (at most {cap} expected)"),
        ));
    }
    Ok(buf)
}

/// Parse a stripped line the tolerant way; `Some` only for objects.
pub fn parse_line(text: &str) -> Option<Map<String, Value>> {
    match tolerant::parse(py_strip(text))?.value {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

impl JournalReader {
    /// Open `path` from its start. A missing file reads as empty (`Ok(None)`);
    /// any other failure (a directory, permissions) is returned.
    pub fn open(path: &Path) -> std::io::Result<Option<JournalReader>> {
        JournalReader::open_range(path, 0, None)
    }

    /// Open `path` at byte `start` (a line start), reading up to `len` bytes
    /// of the file (default: its current length).
    pub fn open_range(path: &Path, start: u64, len: Option<u64>) -> std::io::Result<Option<JournalReader>> {
        JournalReader::open_chunked(path, start, len, CHUNK)
    }

    /// [`open_range`](Self::open_range) with a given first buffer size
    /// (tests use tiny ones to put lines across chunk boundaries).
    fn open_chunked(
        path: &Path,
        start: u64,
        len: Option<u64>,
        chunk: usize,
    ) -> std::io::Result<Option<JournalReader>> {
        let mut file = match open_regular(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let meta = file.metadata()?;
        let len = len.unwrap_or(meta.len()).min(meta.len());
        let start = start.min(len);
        file.seek(SeekFrom::Start(start))?;
        let want = usize::try_from(len - start)
            .unwrap_or(usize::MAX)
            .clamp(1, chunk.max(1));
        Ok(Some(JournalReader {
            file,
            pos: start,
            len,
            index: 0,
            read_to: start,
            buf: vec![0; want],
            head: 0,
            filled: 0,
            text: String::new(),
        }))
    }

    /// Read more of the snapshot into the buffer (compacting it, and growing
    /// it when one line fills it). `false` when nothing more can be read: the
    /// snapshot is exhausted or the file ended early.
    fn fill(&mut self) -> std::io::Result<bool> {
        if self.head > 0 {
            self.buf.copy_within(self.head..self.filled, 0);
            self.filled -= self.head;
            self.head = 0;
        }
        if self.filled == self.buf.len() {
            let bigger = self.buf.len().saturating_mul(2);
            self.buf.resize(bigger, 0);
        }
        let room = self.buf.len() - self.filled;
        let want = usize::try_from(self.len.saturating_sub(self.read_to)).map_or(room, |w| w.min(room));
        if want == 0 {
            return Ok(false);
        }
        loop {
            match self.file.read(&mut self.buf[self.filled..self.filled + want]) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.filled += n;
                    self.read_to += n as u64;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Consume `n` bytes (one line and its `\n`) as the next line index.
    fn consume(&mut self, n: usize) -> Span {
        let span = Span {
            start: self.pos,
            end: self.pos + n as u64,
            index: self.index,
        };
        self.head += n;
        self.pos += n as u64;
        self.index += 1;
        span
    }

    /// The snapshot length this reader stops at.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the snapshot is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The offset of the next unread byte.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The next entry, or `None` at the end (or at a torn tail).
    pub fn next_entry(&mut self) -> std::io::Result<Option<(Entry<'_>, Span)>> {
        loop {
            if self.pos >= self.len {
                return Ok(None);
            }
            if self.head == self.filled && !self.fill()? {
                self.pos = self.len;
                return Ok(None);
            }
            // Fast path: a canonical record followed by its `\n`.
            let h = self.head;
            let avail = &self.buf[h..self.filled];
            let fast = canonical_prefix(avail).filter(|&(_, end)| avail.get(end) == Some(&b'\n'));
            if let Some((seq, end)) = fast {
                let span = self.consume(end + 1);
                let bytes = &self.buf[h..h + end];
                let entry = match std::str::from_utf8(bytes) {
                    Ok(text) => Entry::Record(RecordLine::canonical(text, seq)),
                    Err(_) => {
                        // Only string contents can hold non-ASCII bytes, so
                        // the U+FFFD-decoded line is still a JSON object.
                        self.text.clear();
                        self.text.push_str(&String::from_utf8_lossy(bytes));
                        decoded_object(&self.text)
                    }
                };
                return Ok(Some((entry, span)));
            }
            // General path: find the line's end; with no `\n` in the buffer,
            // read on and look again (the fast path included).
            let nl = find_newline(&self.buf[h..self.filled]).map(|k| h + k);
            if nl.is_none() && self.fill()? {
                continue;
            }
            let h = self.head;
            let (body_end, n) = match nl {
                Some(i) => (i, i + 1 - h),
                None => (self.filled, self.filled - h),
            };
            let span = self.consume(n);
            let is_last = self.pos >= self.len;
            let body = &self.buf[h..body_end];
            self.text.clear();
            match std::str::from_utf8(body) {
                Ok(s) => self.text.push_str(s),
                Err(_) => self.text.push_str(&String::from_utf8_lossy(body)),
            }
            let stripped = py_strip(&self.text);
            if stripped.is_empty() {
                continue;
            }
            // Re-borrow to satisfy the borrow checker: the span of the
            // stripped text within `self.text`.
            let off = stripped.as_ptr() as usize - self.text.as_ptr() as usize;
            let range = off..off + stripped.len();
            if let Some(seq) = canonical_seq(&self.text[range.clone()]) {
                let line = RecordLine::canonical(&self.text[range], seq);
                return Ok(Some((Entry::Record(line), span)));
            }
            match tolerant::parse(&self.text[range.clone()]) {
                None if is_last => {
                    self.pos = self.len;
                    return Ok(None);
                }
                None => {
                    return Ok(Some((
                        Entry::Corrupt {
                            raw: &self.text[range],
                        },
                        span,
                    )))
                }
                Some(parsed) => {
                    if let Value::Object(map) = parsed.value {
                        let line = RecordLine::parsed(&self.text[range], map);
                        return Ok(Some((Entry::Record(line), span)));
                    }
                }
            }
        }
    }
}

/// The entry for a line that is known to be a JSON object once decoded.
fn decoded_object(text: &str) -> Entry<'_> {
    if let Some(seq) = canonical_seq(text) {
        return Entry::Record(RecordLine::canonical(text, seq));
    }
    match tolerant::parse(text).map(|p| p.value) {
        Some(Value::Object(map)) => Entry::Record(RecordLine::parsed(text, map)),
        // Unreachable for a line the canonical pass accepted; kept total.
        _ => Entry::Corrupt { raw: text },
    }
}

/// The index of the first `\n` in `b` (eight bytes at a time).
fn find_newline(b: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(chunk) = b.get(i..).and_then(|r| r.first_chunk::<8>()) {
        let x = u64::from_le_bytes(*chunk) ^ (LO * u64::from(b'\n'));
        let m = x.wrapping_sub(LO) & !x & HI;
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..].iter().position(|c| *c == b'\n').map(|k| i + k)
}

/// Where the last `n` entries (records and sentinels) of the journal start,
/// and the snapshot length they were counted in: the streaming equivalent of
/// the reference's `read_all()[-n:]`. Memory is one offset per kept entry.
pub fn tail_start(path: &Path, n: usize) -> std::io::Result<Option<(u64, u64)>> {
    let Some(mut r) = JournalReader::open(path)? else {
        return Ok(None);
    };
    let mut ring: VecDeque<u64> = VecDeque::new();
    while let Some((_, span)) = r.next_entry()? {
        if ring.len() == n {
            ring.pop_front();
        }
        ring.push_back(span.start);
    }
    Ok(Some((ring.front().copied().unwrap_or(r.len()), r.len())))
}

/// Read `len` bytes of `file` ending at `end` (for verifying a stored offset).
pub fn read_before(file: &mut File, end: u64, len: u64) -> std::io::Result<Vec<u8>> {
    let start = end.saturating_sub(len);
    file.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::with_capacity((end - start) as usize);
    Read::by_ref(file).take(end - start).read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Read a whole file the way the reference's `read_all` would, as
    /// `(kind, text-or-seq)` pairs.
    fn read_all(bytes: &[u8]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
        let mut r = JournalReader::open(&p).unwrap().unwrap();
        let mut out = Vec::new();
        while let Some((e, span)) = r.next_entry().unwrap() {
            out.push(match e {
                Entry::Record(l) => format!("rec:{}", l.text),
                Entry::Corrupt { raw } => format!("corrupt@{}:{raw}", span.index),
            });
        }
        out
    }

    #[test]
    fn tolerance_table() {
        let table: Vec<(&[u8], Vec<&str>)> = vec![
            (b"", vec![]),
            (b"{\"a\":1}\ngarbage\n", vec!["rec:{\"a\":1}"]),
            (
                b"{\"a\":1}\ngarbage\n\n",
                vec!["rec:{\"a\":1}", "corrupt@1:garbage"],
            ),
            (
                b"{\"a\":1}\ngarbage\n   \n",
                vec!["rec:{\"a\":1}", "corrupt@1:garbage"],
            ),
            (b"garbage\n{\"a\":1}", vec!["corrupt@0:garbage", "rec:{\"a\":1}"]),
            (
                b"{\"a\":1}\r\n{\"b\":2}\r\n",
                vec!["rec:{\"a\":1}", "rec:{\"b\":2}"],
            ),
            (b"[1,2,3]\n42\n\"s\"\nnull\n{\"a\":1}\n", vec!["rec:{\"a\":1}"]),
            (b"\xef\xbb\xbf{\"a\":1}\n", vec![]),
            (
                b"\xef\xbb\xbf{\"a\":1}\n{\"b\":2}\n",
                vec!["corrupt@0:\u{feff}{\"a\":1}", "rec:{\"b\":2}"],
            ),
            (
                "{\"a\":\"x\u{2028}y\"}\n".as_bytes(),
                vec!["rec:{\"a\":\"x\u{2028}y\"}"],
            ),
            (b"{\"a\":\"\xff\"}\n", vec!["rec:{\"a\":\"\u{fffd}\"}"]),
            (b"{\"a\":NaN}\n{\"t\":1", vec!["rec:{\"a\":NaN}"]),
            (b"{\"a\":1}\n{\"t\":", vec!["rec:{\"a\":1}"]),
        ];
        for (bytes, expected) in table {
            assert_eq!(read_all(bytes), expected, "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn tail_start_counts_sentinels_and_skips_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        std::fs::write(&p, "{\"seq\":1}\nbad\n\n{\"seq\":2}\n{\"seq\":3}\ntorn").unwrap();
        let (start, len) = tail_start(&p, 3).unwrap().unwrap();
        assert_eq!(len, std::fs::metadata(&p).unwrap().len());
        assert_eq!(start, 10); // the line "bad"
        let (start, _) = tail_start(&p, 100).unwrap().unwrap();
        assert_eq!(start, 0);
        assert!(tail_start(&dir.path().join("missing"), 3).unwrap().is_none());
    }

    /// What reading `bytes` yields, from the rules in the module docs applied
    /// the plain way: split on `\n`, decode, strip, classify.
    fn model(bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        let pieces: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
        let (mut start, mut index) = (0usize, 0usize);
        for (k, piece) in pieces.iter().enumerate() {
            let is_last = k + 1 == pieces.len();
            let span = format!("{start}..{}#{index}", start + piece.len());
            start += piece.len();
            index += 1;
            let text = String::from_utf8_lossy(piece.strip_suffix(b"\n").unwrap_or(piece)).into_owned();
            let t = py_strip(&text);
            if t.is_empty() {
                continue;
            }
            if let Some(seq) = canonical_seq(t) {
                out.push(format!("rec:{seq}:true:{t}@{span}"));
                continue;
            }
            match tolerant::parse(t).map(|p| p.value) {
                None if is_last => break,
                None => out.push(format!("corrupt:{t}@{span}")),
                Some(Value::Object(m)) => out.push(format!(
                    "rec:{}:false:{t}@{span}",
                    crate::journal::record::coerce_seq(m.get("seq"))
                )),
                Some(_) => {}
            }
        }
        out
    }

    fn read_chunked(bytes: &[u8], chunk: usize) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        std::fs::write(&p, bytes).unwrap();
        let mut r = JournalReader::open_chunked(&p, 0, None, chunk).unwrap().unwrap();
        let mut out = Vec::new();
        while let Some((e, span)) = r.next_entry().unwrap() {
            let at = format!("{}..{}#{}", span.start, span.end, span.index);
            out.push(match e {
                Entry::Record(l) => format!("rec:{}:{}:{}@{at}", l.seq, l.canonical, l.text),
                Entry::Corrupt { raw } => format!("corrupt:{raw}@{at}"),
            });
        }
        out
    }

    fn canonical_line(seq: i64, subject: &str) -> String {
        let mut e = VerdictEvent::new("liveness", "STALLED");
        e.seq = seq;
        e.subject = subject.into();
        e.ts = "2026-11-21T21:23:14Z".into();
        e.detail.insert("code".into(), 2.into());
        e.to_line()
    }

    proptest::proptest! {
        /// The chunked reader (fast path included) yields exactly what the
        /// plain rules yield, wherever the chunk boundaries fall.
        #[test]
        fn chunked_reader_matches_the_plain_rules(
            kinds in proptest::collection::vec((0u8..10, -3i64..1000), 0..12),
            final_newline in proptest::bool::ANY,
            chunk in 1usize..96,
        ) {
            let mut bytes = Vec::new();
            for (kind, seq) in &kinds {
                let line: Vec<u8> = match kind {
                    0 | 1 => canonical_line(*seq, "plän").into_bytes(),
                    2 => format!("{}\r", canonical_line(*seq, "")).into_bytes(),
                    3 => format!("  {}", canonical_line(*seq, "x")).into_bytes(),
                    4 => canonical_line(*seq, "\u{2028}").replace("\\u2028", "\u{2028}").into_bytes(),
                    5 => canonical_line(*seq, "AB").replace("AB", "A\u{fffd}").into_bytes().iter().map(|b| if *b == 0xef { 0xff } else { *b }).collect(),
                    6 => format!("{{\"seq\": {seq}}}").into_bytes(),
                    7 => b"garbage".to_vec(),
                    8 => b"  ".to_vec(),
                    _ => canonical_line(*seq, "t").as_bytes()[..20].to_vec(),
                };
                bytes.extend_from_slice(&line);
                bytes.push(b'\n');
            }
            if !final_newline {
                bytes.pop();
            }
            proptest::prop_assert_eq!(read_chunked(&bytes, chunk), model(&bytes));
            proptest::prop_assert_eq!(read_chunked(&bytes, CHUNK), model(&bytes));
        }
    }
}
