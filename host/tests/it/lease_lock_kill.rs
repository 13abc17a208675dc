//! Issue #12 fault 2: a lease-lock writer killed between creating the lock
//! and writing its owner left an empty lock that wedged every lease verb
//! forever (`lock busy (owner=None)`). Now an ownerless lock goes stale by
//! its file age, and our own locks are born whole.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

fn dos(ws: &Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_dos"))
        .args(["--workspace", ws.to_str().unwrap()])
        .args(args)
        .current_dir(ws)
        .env_remove("DISPATCH_LANE_JOURNAL_PATH")
        .env_remove("DISPATCH_LANE_LEASE_LOCK_PATH")
        .env_remove("DISPATCH_WORKSPACE")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A real process creates the lock exclusively (`set -C`: `O_EXCL`, as the
/// reference's writer does) and is SIGKILLed before it writes a byte.
fn killed_mid_acquire(lock: &Path) {
    let st = Command::new("sh")
        .arg("-c")
        .arg("set -C; : > \"$1\"; kill -KILL $$")
        .arg("sh")
        .arg(lock)
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&st), Some(9));
    assert_eq!(std::fs::read(lock).unwrap(), b"", "an empty lock is left");
}

fn age(p: &Path, secs: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(p)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(secs))
        .unwrap();
}

#[test]
fn an_empty_lock_from_a_killed_writer_is_busy_until_stale_then_taken() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join(".dos")).unwrap();
    let lock = ws.path().join(".dos/.lane-lease.lock");
    killed_mid_acquire(&lock);
    let acquire = [
        "lease-lane",
        "acquire",
        "--lane",
        "main",
        "--owner",
        "w",
        "--retries",
        "1",
        "--retry-interval",
        "0.01",
    ];
    let (code, _, err) = dos(ws.path(), &acquire);
    assert_eq!(code, 4, "fresh empty lock: busy ({err})");
    assert!(err.contains("lane-lease lock busy (owner=None)"), "{err}");
    age(&lock, 301);
    let (code, out, err) = dos(ws.path(), &acquire);
    assert_eq!(code, 0, "a stale empty lock is taken: {out} {err}");
    assert!(out.contains("\"outcome\": \"acquire\""), "{out}");
    assert!(!lock.exists(), "released after the verb");
}

#[test]
fn acquirers_killed_at_random_never_leave_a_partial_lock() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join(".dos")).unwrap();
    let lock = ws.path().join(".dos/.lane-lease.lock");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut left = 0;
    for i in 0..40u64 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = Command::new(env!("CARGO_BIN_EXE_dos"))
            .args([
                "--workspace",
                ws.path().to_str().unwrap(),
                "lease-lane",
                "acquire",
            ])
            .args([
                "--lane",
                &format!("l{}", i % 3),
                "--owner",
                &format!("w{i}"),
                "--retries",
                "0",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(seed % 15_000));
        let _ = child.kill();
        let _ = child.wait();
        if let Ok(body) = std::fs::read_to_string(&lock) {
            left += 1;
            assert!(
                body.starts_with(&format!("owner: w{i}\nacquired_at: "))
                    && body.contains("\npid: ")
                    && body.ends_with('\n'),
                "a partial lock is visible: {body:?}"
            );
            // The killed holder's lock goes stale by its age (here: 0 s).
            let g = dos_core::lanes::mutex::LeaseMutex::acquire(&lock, "checker", 0, Duration::ZERO, 0)
                .expect("a dead holder's lock is stealable once stale");
            drop(g);
        }
    }
    println!("killed 40 acquirers; {left} left a (whole) lock behind");
}
