//! `dos completions bash|zsh|fish|powershell` and `dos man`: shell
//! completion scripts and the roff man page, generated from the same clap
//! command tree the parser uses, so they never drift from the real flags.

use super::{Cli, CliError};
use clap::CommandFactory;

/// The shells `dos completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Shell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// PowerShell.
    Powershell,
}

/// Arguments of `dos completions`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Install, e.g.:  dos completions bash > ~/.local/share/bash-completion/completions/dos\n               dos completions zsh > \"${fpath[1]}/_dos\"\n               dos completions fish > ~/.config/fish/completions/dos.fish"
)]
pub(crate) struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Arguments of `dos man`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Install, e.g.:  dos man > ~/.local/share/man/man1/dos.1")]
pub(crate) struct ManArgs {}

/// Write the completion script for `args.shell` to stdout.
pub(crate) fn completions(args: &CompletionsArgs) -> Result<i32, CliError> {
    use clap_complete::Shell as S;
    let shell = match args.shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
        Shell::Powershell => S::PowerShell,
    };
    let mut cmd = Cli::command();
    // Rendered into memory first: clap_complete panics on a failed write
    // (a closed pipe), we report it instead.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "dos", &mut script);
    write_stdout(&script, "completion script")
}

fn write_stdout(bytes: &[u8], what: &str) -> Result<i32, CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| CliError::Failed(format!("cannot write the {what}: {e}")))?;
    Ok(0)
}

/// The man page `dos(1)` as roff.
pub(crate) fn man_page() -> Result<Vec<u8>, CliError> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| CliError::Failed(format!("cannot render the man page: {e}")))?;
    Ok(out)
}

/// Write `dos(1)` to stdout.
pub(crate) fn man(_: &ManArgs) -> Result<i32, CliError> {
    write_stdout(&man_page()?, "man page")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_naming_the_commands() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::PowerShell,
        ] {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "dos", &mut script);
            let script = String::from_utf8(script).unwrap();
            for word in ["init", "exit-codes", "hooks", "dry-run"] {
                assert!(script.contains(word), "{shell:?} lacks {word}");
            }
        }
    }

    #[test]
    fn man_page_names_the_commands() {
        let page = String::from_utf8(super::man_page().unwrap()).unwrap();
        assert!(page.starts_with(".ie"), "{}", &page[..40]);
        assert!(page.contains(".TH dos 1"), "{page}");
        for cmd in ["init", "verify", "exit\\-codes", "completions"] {
            assert!(page.contains(cmd), "{cmd}");
        }
    }
}
