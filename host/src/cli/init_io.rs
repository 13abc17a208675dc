//! File access for `dos init`: resolve a path under the workspace without
//! following a symlink out of it, read a config bounded (a FIFO or a huge
//! file is refused, never waited on), and write atomically (temp + rename).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The largest config file `dos init` reads.
pub(crate) const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

/// Why a config file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FileError {
    /// A symlink on the path leads outside the workspace.
    #[error("{path} leads outside the workspace (to {target}); refusing to write through it")]
    Outside {
        /// The symlink.
        path: PathBuf,
        /// Where it points.
        target: PathBuf,
    },
    /// A symlink on the path points nowhere.
    #[error("{0} is a dangling symlink; refusing to write through it")]
    Dangling(PathBuf),
    /// Not a regular file (FIFO, device, directory).
    #[error("{0} is not a regular file")]
    NotRegular(PathBuf),
    /// Larger than [`MAX_CONFIG_BYTES`].
    #[error("{0} is larger than {MAX_CONFIG_BYTES} bytes")]
    TooLarge(PathBuf),
    /// Not UTF-8 text.
    #[error("{0} is not UTF-8 text")]
    NotText(PathBuf),
    /// Any other I/O failure.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether `path` is a regular file with an execute bit (what `sh` runs).
pub(crate) fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The real path of `parts` under `root` (which must be canonical): every
/// existing symlink on the way is resolved and must stay inside `root`.
pub(crate) fn resolve_inside(root: &Path, parts: &[String]) -> Result<PathBuf, FileError> {
    let mut cur = root.to_path_buf();
    let mut missing = false;
    for part in parts {
        let next = cur.join(part);
        if missing {
            cur = next;
            continue;
        }
        match std::fs::symlink_metadata(&next) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                missing = true;
                cur = next;
            }
            Err(e) => return Err(io(&next)(e)),
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::canonicalize(&next).map_err(|_| FileError::Dangling(next.clone()))?;
                if !target.starts_with(root) {
                    return Err(FileError::Outside { path: next, target });
                }
                cur = target;
            }
            Ok(_) => cur = next,
        }
    }
    Ok(cur)
}

/// Read `path` as text: `None` when it does not exist. Opened non-blocking
/// so a FIFO cannot hang the read; only a regular file up to the cap is read.
pub(crate) fn read_text(path: &Path) -> Result<Option<String>, FileError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path);
    let file = match file {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        other => other.map_err(io(path))?,
    };
    let meta = file.metadata().map_err(io(path))?;
    if !meta.is_file() {
        return Err(FileError::NotRegular(path.to_path_buf()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io(path))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(FileError::TooLarge(path.to_path_buf()));
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| FileError::NotText(path.to_path_buf()))
}

/// Write `text` to `path` atomically: a temp file beside it, fsynced, then
/// renamed over it (keeping an existing file's permissions). `root` bounds
/// the directories created on the way.
pub(crate) fn write_atomic(root: &Path, path: &Path, text: &str) -> Result<(), FileError> {
    let dir = path.parent().unwrap_or(root);
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let real_dir = std::fs::canonicalize(dir).map_err(io(dir))?;
    if !real_dir.starts_with(root) {
        return Err(FileError::Outside {
            path: dir.to_path_buf(),
            target: real_dir,
        });
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = real_dir.join(format!(".{name}.dos-init.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io(&tmp))?;
        if let Ok(meta) = std::fs::metadata(path) {
            f.set_permissions(meta.permissions()).map_err(io(&tmp))?;
        }
        f.write_all(text.as_bytes()).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, real_dir.join(&name)).map_err(io(path))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_symlink_out_and_fifo() {
        let outside = tempfile::tempdir().unwrap();
        let ws = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(ws.path()).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join(".claude")).unwrap();
        let parts = vec![".claude".to_string(), "settings.json".to_string()];
        assert!(matches!(
            resolve_inside(&root, &parts),
            Err(FileError::Outside { .. })
        ));
        std::fs::create_dir(root.join("real")).unwrap();
        std::os::unix::fs::symlink(root.join("real"), root.join(".cursor")).unwrap();
        let p = resolve_inside(&root, &[".cursor".into(), "hooks.json".into()]).unwrap();
        assert_eq!(p, root.join("real/hooks.json"));
        rustix::fs::mknodat(
            rustix::fs::CWD,
            root.join("fifo"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        assert!(matches!(
            read_text(&root.join("fifo")),
            Err(FileError::NotRegular(_))
        ));
        assert_eq!(read_text(&root.join("none")).unwrap(), None);
        write_atomic(&root, &root.join("a/b/c.json"), "x").unwrap();
        assert_eq!(read_text(&root.join("a/b/c.json")).unwrap().as_deref(), Some("x"));
    }
}
