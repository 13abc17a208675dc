//! The file behind this process's in-flight marker, written through a
//! `MAP_SHARED` mapping.
//!
//! A store into a shared file mapping lands in the page cache at once: it
//! is what any later `read` of the file returns, whether this process exits,
//! crashes or is killed with SIGKILL (the kernel owns the page, not the
//! process). So noting a call as in flight costs a few word stores, not a
//! `pwrite` system call. Where the filesystem cannot map the file shared,
//! the same words go out with one `pwrite` each time instead (slower, same
//! meaning).
//!
//! The file is text: every byte this module writes comes from its callers'
//! words, which the marker keeps to JSON, spaces and newlines. Regions are
//! appended (never moved, never shrunk) and then rewritten in place.

use rustix::mm::{MapFlags, ProtFlags};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Bytes per word: regions start and end on word boundaries.
pub(crate) const WORD: usize = std::mem::size_of::<u64>();

/// How much of the file is mapped up front (address space only: pages are
/// touched as regions are appended). Regions past it are refused.
const WINDOW_BYTES: usize = 1 << 20;

/// How often to retry taking the lock (another run that is sweeping dead
/// markers may hold it for a moment).
const LOCK_TRIES: u32 = 20;

/// A shared read-write mapping of the first [`WINDOW_BYTES`] of a file.
struct Mapping {
    base: NonNull<AtomicU64>,
    words: usize,
}

// SAFETY: the mapping is plain shared memory that is only ever accessed as
// `AtomicU64`s (which are `Sync`), and `munmap` in `Drop` may run on any
// thread.
unsafe impl Send for Mapping {}
// SAFETY: as above: every access goes through atomic operations.
unsafe impl Sync for Mapping {}

impl Mapping {
    fn new(file: &File) -> Option<Mapping> {
        // SAFETY: a null hint lets the kernel pick a fresh range, so no
        // existing memory is replaced; the result is checked before use and
        // unmapped exactly once, in `Drop`.
        let ptr = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                WINDOW_BYTES,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                file,
                0,
            )
        }
        .ok()?;
        Some(Mapping {
            base: NonNull::new(ptr.cast::<AtomicU64>())?,
            words: WINDOW_BYTES / WORD,
        })
    }

    /// Store `value` at word `index`. The caller guarantees that the file
    /// holds that word (a page past the end of the file raises SIGBUS).
    fn store(&self, index: usize, value: u64) {
        assert!(index < self.words, "marker word {index} outside the mapping");
        // SAFETY: `index` is inside the mapped window (checked above) and
        // `base` is page-aligned, so the pointer is in bounds and aligned for
        // `AtomicU64`; the mapping lives as long as `self`. The word is
        // backed by the file because `MarkerFile` only stores below its
        // `backed` length, and the file never shrinks while mapped: this
        // process holds its exclusive `flock`, other runs only touch a marker
        // whose lock they hold, and `MarkerFile` itself never truncates
        // after mapping.
        let word = unsafe { &*self.base.as_ptr().add(index) };
        word.store(value, Ordering::Relaxed);
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `base`/`WINDOW_BYTES` are exactly what `mmap` returned and
        // mapped, and nothing borrows the memory past `self`'s life.
        let _ = unsafe { rustix::mm::munmap(self.base.as_ptr().cast(), WINDOW_BYTES) };
    }
}

/// This process's marker file: created empty, exclusively `flock`ed for
/// the life of the value, grown by appended regions, removed on drop.
pub(crate) struct MarkerFile {
    path: PathBuf,
    /// Declared before `file`: unmapped before the lock is released.
    map: Option<Mapping>,
    file: File,
    /// Words the file holds (only ever grows).
    backed: AtomicUsize,
    /// Serializes appends.
    append: Mutex<()>,
    /// Has the operator-signal handler remove the file (see
    /// [`super::signals`]); released after the file is removed on drop.
    _on_signal: Option<super::signals::Registration>,
}

impl MarkerFile {
    /// Create (or take over) the marker at `path`: open it, take its lock,
    /// make sure the path still names the locked file (a sweeping run may
    /// have removed it in between), empty it and map it. `None` when any of
    /// that fails: the caller then runs without a marker.
    pub(crate) fn create(path: &Path) -> Option<MarkerFile> {
        std::fs::create_dir_all(path.parent()?).ok()?;
        let file = Self::open_locked(path)?;
        // Empty it before mapping: whatever was there is a leftover of a
        // dead run with our pid. Never truncated again while mapped.
        file.set_len(0).ok()?;
        let map = Mapping::new(&file);
        Some(MarkerFile {
            path: path.to_path_buf(),
            map,
            file,
            backed: AtomicUsize::new(0),
            append: Mutex::new(()),
            _on_signal: super::signals::register_marker(path),
        })
    }

    fn open_locked(path: &Path) -> Option<File> {
        for _ in 0..LOCK_TRIES {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .ok()?;
            let locked =
                rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_ok();
            if locked && same_file(&file, path) {
                return Some(file);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        None
    }

    /// Whether stores go to a shared mapping (else to `pwrite`).
    #[cfg(test)]
    pub(crate) fn is_mapped(&self) -> bool {
        self.map.is_some()
    }

    /// Append a region holding `words` and return its first word index
    /// (`None` if the file cannot grow or the mapping window is full).
    pub(crate) fn append(&self, words: &[u64]) -> Option<usize> {
        let _serial = self.append.lock().unwrap_or_else(|p| p.into_inner());
        let first = self.backed.load(Ordering::Acquire);
        let end = first.checked_add(words.len())?;
        if self.map.as_ref().is_some_and(|m| end > m.words) {
            return None;
        }
        self.file
            .write_all_at(&to_bytes(words), (first * WORD) as u64)
            .ok()?;
        self.backed.store(end, Ordering::Release);
        Some(first)
    }

    /// Overwrite the region at `first` (returned by [`append`](Self::append))
    /// with `words` (same length as appended).
    pub(crate) fn write(&self, first: usize, words: &[u64]) {
        let backed = self.backed.load(Ordering::Acquire);
        if first.saturating_add(words.len()) > backed {
            return; // not a region of ours: never store past the file's end
        }
        match &self.map {
            Some(map) => {
                for (i, w) in words.iter().enumerate() {
                    map.store(first + i, *w);
                }
            }
            None => {
                let _ = self.file.write_all_at(&to_bytes(words), (first * WORD) as u64);
            }
        }
    }
}

impl Drop for MarkerFile {
    /// A normal exit is not a crash: remove the marker while still holding
    /// its lock (so no other run can take over a path we are about to
    /// remove), then unmap and close.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

fn to_bytes(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_ne_bytes()).collect()
}

/// Words holding `bytes`, padded with `pad` to a whole number of words.
pub(crate) fn words_of(bytes: &[u8], pad: u8) -> Vec<u64> {
    bytes
        .chunks(WORD)
        .map(|c| {
            let mut b = [pad; WORD];
            b[..c.len()].copy_from_slice(c);
            u64::from_ne_bytes(b)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_with_padding() {
        let w = words_of(b"abcdefghij", b' ');
        assert_eq!(w.len(), 2);
        assert_eq!(to_bytes(&w), b"abcdefghij      ".to_vec());
        assert!(words_of(b"", b' ').is_empty());
    }

    #[test]
    fn regions_append_and_rewrite_in_place_through_the_mapping() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m").join("1.jsonl");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "stale leftover\n").unwrap();
        let f = MarkerFile::create(&path).unwrap();
        assert!(f.is_mapped(), "tmpfs/ext4 support shared mappings");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "", "emptied");
        let a = f.append(&words_of(b"       \n", b' ')).unwrap();
        let b = f.append(&words_of(b"               \n", b' ')).unwrap();
        assert_eq!((a, b), (0, 1));
        f.write(b, &words_of(b"{\"x\": 1}       \n", b' '));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "       \n{\"x\": 1}       \n"
        );
        // Out-of-range writes are ignored, never stored past the end.
        f.write(2, &words_of(b"zzzzzzzz", b' '));
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 24);
        // A second marker on a locked path gives up (after brief retries).
        assert!(MarkerFile::create(&path).is_none());
        drop(f);
        assert!(!path.exists());
    }
}
