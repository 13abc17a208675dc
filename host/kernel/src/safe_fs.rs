//! Safe file access at the I/O boundary, shared by every writer under
//! `.dos/` and every reader of user-named files.
//!
//! Writes: a file under a workspace's `.dos/` is opened without following a
//! symlink out of the workspace. The workspace is the directory holding the
//! path's last `.dos` component (a path with no `.dos` component is confined
//! to its own directory). The final component is opened with `O_NOFOLLOW`; a
//! symlink there is followed only when its resolved target lies inside the
//! workspace, and the parent directory must resolve inside it too.
//!
//! Reads: only regular files are read, opened `O_NONBLOCK` (a FIFO neither
//! blocks the open nor the read) and with a byte cap, so `/dev/zero`, a FIFO or
//! a huge file can neither hang nor bloat a hook or command.

use rustix::fs::OFlags;
use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

/// Why a path was refused (wrapped in an [`std::io::Error`] so existing
/// `io::Result` call sites report it unchanged).
#[derive(Debug, thiserror::Error)]
pub enum SafeFsError {
    /// The file (or a directory on its way) resolves outside the workspace.
    #[error("refusing to write {path}: it resolves to {target}, outside the workspace {root} (a symlink leads out)")]
    OutsideWorkspace {
        /// The path asked for.
        path: PathBuf,
        /// Where it really leads.
        target: PathBuf,
        /// The workspace it must stay in.
        root: PathBuf,
    },
    /// The file to read is not a regular file (FIFO, device, directory…).
    #[error("refusing to read {path}: it is {kind}, not a regular file")]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is (`a FIFO`, `a character device`, …).
        kind: &'static str,
    },
    /// The file to read is larger than the cap.
    #[error("refusing to read {path}: it is {size} bytes, above the {cap}-byte limit")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        cap: u64,
    },
}

impl From<SafeFsError> for std::io::Error {
    fn from(e: SafeFsError) -> Self {
        let kind = match e {
            SafeFsError::OutsideWorkspace { .. } => std::io::ErrorKind::PermissionDenied,
            SafeFsError::NotRegular { .. } | SafeFsError::TooLarge { .. } => std::io::ErrorKind::InvalidInput,
        };
        std::io::Error::new(kind, e)
    }
}

/// The [`SafeFsError`] inside an I/O error from this module, if that is
/// what it carries (else the I/O error back).
pub fn refusal(e: std::io::Error) -> Result<SafeFsError, std::io::Error> {
    if e.get_ref().is_some_and(|i| i.is::<SafeFsError>()) {
        if let Some(inner) = e.into_inner() {
            if let Ok(r) = inner.downcast::<SafeFsError>() {
                return Ok(*r);
            }
        }
        return Err(std::io::ErrorKind::Other.into());
    }
    Err(e)
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|c| c.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// The directory a write to `path` must stay inside: the parent of its last
/// `.dos` component, else the file's own directory.
pub fn confinement_root(path: &Path) -> PathBuf {
    let abs = absolute(path);
    let comps: Vec<Component<'_>> = abs.components().collect();
    let dos = comps.iter().rposition(|c| c.as_os_str() == OsStr::new(".dos"));
    match dos {
        Some(i) if i + 1 < comps.len() => comps[..i].iter().collect(),
        _ => abs.parent().map(Path::to_path_buf).unwrap_or(abs),
    }
}

fn within(target: &Path, root: &Path) -> bool {
    target.starts_with(root)
}

/// Check that `path`'s parent directory resolves inside its confinement root
/// and, if the final component is a symlink, that its target does too.
/// Returns the path to open: `path` itself, or the resolved target of an
/// in-workspace symlink. Creates missing parent directories when `create_dirs`.
fn vet(path: &Path, create_dirs: bool) -> std::io::Result<PathBuf> {
    let abs = absolute(path);
    let root = confinement_root(&abs);
    let parent = abs.parent().unwrap_or(Path::new("/"));
    if create_dirs && !parent.as_os_str().is_empty() {
        std::fs::create_dir_all(parent)?;
    }
    let real_root = root.canonicalize().unwrap_or(root.clone());
    let real_parent = parent.canonicalize()?;
    if !within(&real_parent, &real_root) {
        return Err(SafeFsError::OutsideWorkspace {
            path: abs.clone(),
            target: real_parent,
            root: real_root,
        }
        .into());
    }
    let Some(name) = abs.file_name() else {
        return Ok(abs);
    };
    let direct = real_parent.join(name);
    match std::fs::symlink_metadata(&direct) {
        Ok(m) if m.file_type().is_symlink() => match direct.canonicalize() {
            Ok(target) if within(&target, &real_root) => Ok(target),
            Ok(target) => Err(SafeFsError::OutsideWorkspace {
                path: abs,
                target,
                root: real_root,
            }
            .into()),
            // A dangling link: where it points is not known to be inside.
            Err(_) => Err(SafeFsError::OutsideWorkspace {
                target: std::fs::read_link(&direct).unwrap_or(direct),
                path: abs,
                root: real_root,
            }
            .into()),
        },
        _ => Ok(direct),
    }
}

fn nofollow(opts: &mut OpenOptions) -> &mut OpenOptions {
    opts.custom_flags(OFlags::NOFOLLOW.bits() as i32)
}

/// Open `path` for appending (and reading, when `read`), creating it and its
/// parent directories, without following a symlink out of the workspace.
pub fn open_append(path: &Path, read: bool) -> std::io::Result<File> {
    let target = vet(path, true)?;
    nofollow(OpenOptions::new().read(read).append(true).create(true)).open(target)
}

/// Open an existing `path` for reading and appending (never creating it),
/// without following a symlink out of the workspace.
pub fn open_existing_append(path: &Path) -> std::io::Result<File> {
    if std::fs::symlink_metadata(path).is_err() {
        return Err(std::io::ErrorKind::NotFound.into());
    }
    let target = vet(path, false)?;
    nofollow(OpenOptions::new().read(true).append(true)).open(target)
}

/// Create `path` for writing, truncating an existing regular file (a temp
/// file before a rename, or a lock body before its link), creating parent
/// directories, without following any symlink at the final component.
pub fn create_truncate(path: &Path) -> std::io::Result<File> {
    let abs = absolute(path);
    vet_parent(&abs)?;
    nofollow(OpenOptions::new().write(true).create(true).truncate(true)).open(abs)
}

/// Create `path` exclusively (`O_EXCL`: fails if anything, even a symlink,
/// is there), creating parent directories inside the workspace.
pub fn create_new(path: &Path) -> std::io::Result<File> {
    let abs = absolute(path);
    vet_parent(&abs)?;
    OpenOptions::new().write(true).create_new(true).open(abs)
}

/// Check that the directory `path` will be written into (e.g. the target of a
/// rename) resolves inside the workspace, creating it if missing.
pub fn vet_parent(path: &Path) -> std::io::Result<()> {
    let abs = absolute(path);
    match abs.file_name() {
        // Vet the parent as if writing a fresh, link-free name there.
        Some(_) => {
            let probe = abs.with_file_name(".dos-safe-fs-probe");
            vet(&probe, true).map(|_| ())
        }
        None => Ok(()),
    }
}

fn kind_name(ft: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Open `path` for reading without blocking on a FIFO, and check it is a
/// regular file. Returns the file and its size.
pub fn open_regular(path: &Path) -> std::io::Result<(File, u64)> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(OFlags::NONBLOCK.bits() as i32)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(SafeFsError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_name(meta.file_type()),
        }
        .into());
    }
    Ok((file, meta.len()))
}

/// Is `path` (following symlinks) something other than a regular file that
/// exists? `Some(kind)` names it; `None` for a regular file or a missing path.
pub fn non_regular_kind(path: &Path) -> Option<&'static str> {
    match std::fs::metadata(path) {
        Ok(m) if !m.file_type().is_file() => Some(kind_name(m.file_type())),
        _ => None,
    }
}

/// Read a whole regular file of at most `cap` bytes (a larger one is an
/// error naming the file, as is a FIFO or device).
pub fn read_regular(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let (file, size) = open_regular(path)?;
    if size > cap {
        return Err(SafeFsError::TooLarge {
            path: path.to_path_buf(),
            size,
            cap,
        }
        .into());
    }
    let mut buf = Vec::with_capacity(size as usize);
    // The file may grow after the stat: never read past the cap.
    file.take(cap + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(SafeFsError::TooLarge {
            path: path.to_path_buf(),
            size: buf.len() as u64,
            cap,
        }
        .into());
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::symlink;

    #[test]
    fn confinement_root_is_the_workspace_of_the_last_dos() {
        assert_eq!(
            confinement_root(Path::new("/w/.dos/streams/s.jsonl")),
            PathBuf::from("/w")
        );
        assert_eq!(
            confinement_root(Path::new("/w/.dos/x/.dos/a")),
            PathBuf::from("/w/.dos/x")
        );
        assert_eq!(
            confinement_root(Path::new("/j/journal.jsonl")),
            PathBuf::from("/j")
        );
        assert_eq!(confinement_root(Path::new("/w/.dos")), PathBuf::from("/w"));
    }

    #[test]
    fn symlinks_out_of_the_workspace_are_refused() {
        let ws = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, "keep\n").unwrap();
        let dos = ws.path().join(".dos");
        std::fs::create_dir_all(&dos).unwrap();
        // Final component links out.
        symlink(&victim, dos.join("j.jsonl")).unwrap();
        let e = open_append(&dos.join("j.jsonl"), true).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
        assert!(e.to_string().contains("outside the workspace"), "{e}");
        // A parent directory links out.
        symlink(outside.path(), dos.join("streams")).unwrap();
        assert!(open_append(&dos.join("streams/s.jsonl"), false).is_err());
        assert!(create_truncate(&dos.join("streams/t.tmp")).is_err());
        assert!(!outside.path().join("s.jsonl").exists());
        assert!(!outside.path().join("t.tmp").exists());
        // A dangling link is refused too.
        symlink(outside.path().join("nope"), dos.join("d.jsonl")).unwrap();
        assert!(open_append(&dos.join("d.jsonl"), false).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep\n");
        // A link that stays inside the workspace is followed.
        std::fs::write(ws.path().join("inside.jsonl"), "").unwrap();
        symlink(ws.path().join("inside.jsonl"), dos.join("in.jsonl")).unwrap();
        open_append(&dos.join("in.jsonl"), false)
            .unwrap()
            .write_all(b"x\n")
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(ws.path().join("inside.jsonl")).unwrap(),
            "x\n"
        );
        // Plain files work, parents are created.
        open_append(&dos.join("a/b/c.jsonl"), false).unwrap();
        assert!(dos.join("a/b/c.jsonl").is_file());
    }

    #[test]
    fn reads_refuse_fifos_devices_and_oversize() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::from_raw_mode(0o600)).unwrap();
        let e = read_regular(&fifo, 10).unwrap_err();
        assert!(e.to_string().contains("is a FIFO"), "{e}");
        let e = read_regular(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        let f = dir.path().join("f");
        std::fs::write(&f, "aa\nbb\ncc\n").unwrap();
        assert!(read_regular(&f, 8).is_err());
        assert_eq!(read_regular(&f, 9).unwrap(), b"aa\nbb\ncc\n");
        assert_eq!(non_regular_kind(&fifo), Some("a FIFO"));
        assert_eq!(non_regular_kind(&f), None);
    }
}
