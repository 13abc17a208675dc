//! The arbitrary-exec capability classifier (pure): does a shell command's
//! program (after `VAR=value` assignments and wrapper words) grant arbitrary
//! code execution? Used by `dos exec-capability` and, as an advisory, by
//! `dos hook pretool`.

use dos_py::repr::str_repr as repr;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// The first of the characters that stand for surrogate-escaped bytes:
/// byte `b` (0x80..=0xFF) is carried as U+10FF00+b.
const ESCAPED_BASE: u32 = 0x10_FF00;

/// Decode an argument as Python's `os.fsdecode` (surrogateescape) does. A
/// Rust string cannot hold the lone surrogate U+DC00+b Python makes of an
/// undecodable byte `b`, so it carries the private-use character U+10FF00+b
/// in its place; [`python_escapes`] renders those as Python prints the
/// surrogates. (A genuine U+10FF80..U+10FFFF in an argument would be
/// rendered the same way; those code points are private use and unassigned.)
pub fn decode_os_arg(arg: &OsStr) -> String {
    let mut out = String::new();
    let mut bytes = arg.as_bytes();
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let good = e.valid_up_to();
                out.push_str(std::str::from_utf8(&bytes[..good]).unwrap_or_default());
                let bad = e.error_len().unwrap_or(bytes.len() - good);
                for b in &bytes[good..good + bad] {
                    out.extend(char::from_u32(ESCAPED_BASE + u32::from(*b)));
                }
                bytes = &bytes[good + bad..];
            }
        }
    }
}

/// Whether `s` holds a surrogate-escaped byte (Python cannot encode it as
/// UTF-8: a journal line holding it is not written).
pub fn has_escaped_byte(s: &str) -> bool {
    s.chars()
        .any(|c| (ESCAPED_BASE + 0x80..=ESCAPED_BASE + 0xFF).contains(&(c as u32)))
}

/// Render the escaped-byte stand-ins of `text` (a `repr` or an ASCII-only
/// JSON line) the way Python renders the lone surrogates: `repr` writes
/// `\U0010ffXX` for the stand-in where Python writes `\udcXX`, and the
/// ASCII JSON writer its UTF-16 pair `\udbff\udfXX` where Python writes
/// `\udcXX`.
pub fn python_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let hex = |from: usize| {
            tail.get(from..from + 2)
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
        };
        let stand_in = if tail.starts_with("\\U0010ff") {
            hex(8).filter(|h| h.as_bytes()[0] >= b'8').map(|h| (h, 10))
        } else if tail.starts_with("\\udbff\\udf") {
            hex(10).filter(|h| h.as_bytes()[0] >= b'8').map(|h| (h, 12))
        } else {
            None
        };
        match stand_in {
            Some((h, len)) => {
                out.push_str("\\udc");
                out.push_str(h);
                rest = &tail[len..];
            }
            None => {
                // Keep an escaped backslash pair together.
                let take = if tail.starts_with("\\\\") { 2 } else { 1 };
                out.push_str(&tail[..take]);
                rest = &tail[take..];
            }
        }
    }
    out.push_str(rest);
    out
}
use dos_py::text::is_py_space;

/// The closed default set of arbitrary-exec entry points.
pub const DEFAULT_SET: &[&str] = &[
    "python", "python3", "python2", "node", "deno", "tsx", "ruby", "perl", "php", "lua", "npx", "bunx",
    "npm", "yarn", "pnpm", "bun", "bash", "sh", "zsh", "fish", "eval", "exec", "xargs", "ssh", "sudo",
];

/// Words that run another command.
pub const WRAPPERS: &[&str] = &["env", "sudo", "command", "nice", "nohup", "time"];

/// The classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// No program token.
    Empty,
    /// The command can run any code.
    GrantsArbitraryExec,
    /// Not a known entry point.
    Bounded,
}

impl Capability {
    /// The token.
    pub fn token(self) -> &'static str {
        match self {
            Capability::Empty => "EMPTY",
            Capability::GrantsArbitraryExec => "GRANTS_ARBITRARY_EXEC",
            Capability::Bounded => "BOUNDED",
        }
    }

    /// The CLI exit code.
    pub fn exit_code(self) -> i32 {
        match self {
            Capability::GrantsArbitraryExec => 3,
            _ => 0,
        }
    }
}

/// The verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecVerdict {
    /// The class.
    pub capability: Capability,
    /// The final program token (lower-cased basename), if any.
    pub program: Option<String>,
    /// Why.
    pub reason: String,
}

/// Parse `--extra` / `[exec_capability] extra`: split on `,`, trim, drop
/// blanks, lower-case.
pub fn parse_extra(spec: &str) -> Vec<String> {
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn is_assignment(tok: &str) -> bool {
    match tok.split_once('=') {
        Some((name, _)) => !name.is_empty() && name.chars().all(|c| c == '_' || c.is_alphanumeric()),
        None => false,
    }
}

fn base(tok: &str) -> String {
    let t = tok.replace('\\', "/");
    t.rsplit('/').next().unwrap_or("").to_lowercase()
}

/// Classify `command` against the default set plus `extra`.
pub fn classify(command: &str, extra: &[String]) -> ExecVerdict {
    let mut wrappers: Vec<String> = Vec::new();
    let mut program: Option<String> = None;
    for tok in command.split(is_py_space).filter(|t| !t.is_empty()) {
        if is_assignment(tok) {
            continue;
        }
        let b = base(tok);
        if WRAPPERS.contains(&b.as_str()) {
            wrappers.push(b);
            continue;
        }
        program = Some(b);
        break;
    }
    let Some(program) = program else {
        return ExecVerdict {
            capability: Capability::Empty,
            program: None,
            reason: "empty command — no program token to classify".into(),
        };
    };
    let in_set = |t: &str| DEFAULT_SET.contains(&t) || extra.iter().any(|e| e == t);
    let hit = wrappers
        .iter()
        .chain(std::iter::once(&program))
        .find(|t| in_set(t));
    match hit {
        Some(tok) => ExecVerdict {
            capability: Capability::GrantsArbitraryExec,
            reason: format!("the command invokes {}, an arbitrary-code-execution entry point — it can run any code, escaping a narrower per-command gate (GRANTS_ARBITRARY_EXEC)", python_escapes(&repr(tok))),
            program: Some(program.clone()),
        },
        None => ExecVerdict {
            capability: Capability::Bounded,
            reason: format!("the command invokes {}, not a known arbitrary-exec entry point — bounded (NOT a safety guarantee; only 'not in the declared exec set')", python_escapes(&repr(&program))),
            program: Some(program),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undecodable_argument_bytes_render_as_python_surrogates() {
        use std::os::unix::ffi::OsStrExt;
        let arg = decode_os_arg(OsStr::from_bytes(b"python \xff"));
        let v = classify(&arg, &[]);
        assert_eq!(
            (v.capability.token(), v.program.as_deref()),
            ("GRANTS_ARBITRARY_EXEC", Some("python"))
        );
        let arg = decode_os_arg(OsStr::from_bytes(b"\xffbash"));
        let v = classify(&arg, &[]);
        assert!(v.reason.contains(r"'\udcffbash'"), "{}", v.reason);
        assert!(has_escaped_byte(v.program.as_deref().unwrap()));
        assert_eq!(
            python_escapes(r#""\udbff\udfffbash \\U0010ff80""#),
            r#""\udcffbash \\U0010ff80""#
        );
    }

    #[test]
    fn classification_table() {
        use Capability::*;
        let table: &[(&str, Capability, Option<&str>)] = &[
            ("python -c 'import os'", GrantsArbitraryExec, Some("python")),
            ("sudo rm x", GrantsArbitraryExec, Some("rm")),
            ("env A=1 bash", GrantsArbitraryExec, Some("bash")),
            ("ls -la", Bounded, Some("ls")),
            ("", Empty, None),
            ("   ", Empty, None),
            ("env", Empty, None),
            ("env A=1", Empty, None),
            ("sudo", Empty, None),
            ("/usr/bin/python3 x.py", GrantsArbitraryExec, Some("python3")),
            ("PYTHON -V", GrantsArbitraryExec, Some("python")),
            ("FOO=bar BAZ=1 node -e 1", GrantsArbitraryExec, Some("node")),
            ("nice -n 5 time nohup ruby x", Bounded, Some("-n")),
            ("command -v perl", Bounded, Some("-v")),
            ("cat eval.txt", Bounded, Some("cat")),
            ("git status", Bounded, Some("git")),
            ("npx foo", GrantsArbitraryExec, Some("npx")),
            ("xargs rm", GrantsArbitraryExec, Some("xargs")),
            ("./bash", GrantsArbitraryExec, Some("bash")),
            ("=x python", Bounded, Some("=x")),
            ("A-B=1 python", Bounded, Some("a-b=1")),
            ("1A=x python", GrantsArbitraryExec, Some("python")),
            ("C:\\Python\\python.exe -c 1", Bounded, Some("python.exe")),
            ("bash;rm", Bounded, Some("bash;rm")),
            ("timeout 5 python", Bounded, Some("timeout")),
            ("İx", Bounded, Some("i\u{307}x")),
        ];
        for (cmd, cap, program) in table {
            let v = classify(cmd, &[]);
            assert_eq!((v.capability, v.program.as_deref()), (*cap, *program), "{cmd}");
        }
        let extra = parse_extra("MyInterp, other ,");
        assert_eq!(extra, vec!["myinterp", "other"]);
        assert_eq!(classify("myinterp -x", &extra).capability, GrantsArbitraryExec);
        assert_eq!(
            classify("it's", &[]).reason,
            "the command invokes \"it's\", not a known arbitrary-exec entry point — bounded (NOT a safety guarantee; only 'not in the declared exec set')"
        );
    }
}
