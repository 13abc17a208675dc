//! `dos quickstart`: the caught-lie demo in a throwaway repo. A real commit
//! stamps AUTH1; an agent claims AUTH1 and AUTH2; git backs one. [`build`]
//! does the I/O and returns a [`Demo`]; [`transcript`] renders it. Callers
//! (the CLI, later the hook and export acts) extend the demo by running more
//! steps in [`Demo::work`] and appending their own lines.

use super::{scaffold, Base, Oracle, ShipVerdict};
use crate::config::Config;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum QuickstartError {
    /// `git` is not on PATH.
    #[error("`dos quickstart` needs git on PATH (it builds a tiny real git repo to verify against)")]
    NoGit,
    /// A file or directory could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A git command failed.
    #[error("`git {args}` failed in {dir}: {stderr}")]
    Git {
        /// The git arguments.
        args: String,
        /// The repo.
        dir: PathBuf,
        /// What git said.
        stderr: String,
    },
    /// The verdicts did not come out SHIPPED / NOT_SHIPPED.
    #[error("quickstart did not produce the expected SHIPPED/NOT_SHIPPED contrast — your git or environment may be unusual")]
    NoContrast,
}

/// The built demo: where it lives and what the oracle said.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The throwaway repo (a workspace with `dos.toml`).
    pub work: PathBuf,
    /// `dos init`'s summary line.
    pub init_summary: String,
    /// The short sha of the AUTH1 commit.
    pub head: String,
    /// `dos verify AUTH AUTH1` (SHIPPED).
    pub shipped: ShipVerdict,
    /// `dos verify AUTH AUTH2` (NOT_SHIPPED).
    pub not_shipped: ShipVerdict,
}

fn write(path: &Path, text: &str) -> Result<(), QuickstartError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| QuickstartError::Io {
            path: parent.into(),
            source,
        })?;
    }
    std::fs::write(path, text).map_err(|source| QuickstartError::Io {
        path: path.into(),
        source,
    })
}

/// Run `git` in `dir` with a throwaway identity and no signing; stdout on success.
pub fn git(dir: &Path, args: &[&str]) -> Result<String, QuickstartError> {
    let out = Command::new("git")
        .args([
            "-c",
            "user.email=quickstart@example.com",
            "-c",
            "user.name=DOS Quickstart",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                QuickstartError::NoGit
            } else {
                QuickstartError::Io {
                    path: dir.into(),
                    source: e,
                }
            }
        })?;
    if !out.status.success() {
        return Err(QuickstartError::Git {
            args: args.join(" "),
            dir: dir.into(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Build the demo repo in `work` (created if missing) and ask the oracle.
pub fn build(work: &Path) -> Result<Demo, QuickstartError> {
    std::fs::create_dir_all(work.join("src")).map_err(|source| QuickstartError::Io {
        path: work.join("src"),
        source,
    })?;
    write(&work.join("docs").join("notes.md"), "# demo notes\n")?;
    let (config_text, init_summary) = scaffold::render_config(&scaffold::detect_source_dirs(work));
    write(&work.join("dos.toml"), &config_text)?;
    git(work, &["init", "-q"])?;
    write(&work.join("src").join("login.py"), "def login(): ...\n")?;
    git(work, &["add", "-A"])?;
    git(work, &["commit", "-q", "-m", "AUTH1: ship the login endpoint"])?;
    let head = git(work, &["rev-parse", "--short", "HEAD"])?;
    let config = Config::parse(&config_text, &work.join("dos.toml")).unwrap_or_default();
    let oracle = Oracle::new(work, &config, Base::Generic, &mut Vec::new());
    let shipped = oracle.is_shipped("AUTH", "AUTH1");
    let not_shipped = oracle.is_shipped("AUTH", "AUTH2");
    if !shipped.shipped || not_shipped.shipped {
        return Err(QuickstartError::NoContrast);
    }
    Ok(Demo {
        work: work.to_path_buf(),
        init_summary,
        head,
        shipped,
        not_shipped,
    })
}

/// The demo's transcript lines (what `dos quickstart` prints).
pub fn transcript(demo: &Demo) -> Vec<String> {
    let code = |v: &ShipVerdict| if v.shipped { 0 } else { 1 };
    vec![
        "$ dos init .    # the demo repo has src/ and docs/ — top-level dirs become lanes".into(),
        format!("  wrote {}", demo.work.join("dos.toml").display()),
        format!("  {}", demo.init_summary),
        String::new(),
        "$ git commit -m 'AUTH1: ship the login endpoint'".into(),
        format!("  [committed {}]", demo.head),
        String::new(),
        "# An agent says AUTH1 shipped. True? Ask git, not the agent:".into(),
        "$ dos verify AUTH AUTH1".into(),
        format!("  {}", demo.shipped.to_text(false)),
        format!("  exit={}  (0 = the verdict is SHIPPED)", code(&demo.shipped)),
        String::new(),
        "# Now an agent claims AUTH2 is done too — but nothing ever landed:".into(),
        "$ dos verify AUTH AUTH2".into(),
        format!("  {}", demo.not_shipped.to_text(false)),
        format!(
            "  exit={}  (1 = NOT_SHIPPED — the claim is contradicted by the artifacts)",
            code(&demo.not_shipped)
        ),
        String::new(),
        "That contrast is DOS in two lines: a claim is only believed when the artifacts back it.".into(),
    ]
}
