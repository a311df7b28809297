//! Shell completion scripts. clap_complete writes the static part; profile
//! names for `-p` come from `wscope profiles --names` when completing, so
//! they are always current.
//!
//! May import: `cli`.

use clap::CommandFactory;
use clap_complete::{Shell, generate};

use crate::cli::{Cli, CompletionShell};

/// The completion script for `shell`.
pub fn script(shell: CompletionShell) -> String {
    let mut out = Vec::new();
    let generator = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    generate(generator, &mut Cli::command(), "wscope", &mut out);
    let script = String::from_utf8_lossy(&out).into_owned();
    match shell {
        CompletionShell::Bash => format!("{script}\n{BASH_PROFILES}"),
        CompletionShell::Zsh => zsh_with_profiles(&script),
        CompletionShell::Fish => format!("{script}\n{FISH_PROFILES}"),
    }
}

/// Wraps the generated function: after -p/--profile, offer profile names.
const BASH_PROFILES: &str = r#"_wscope_with_profiles() {
    local prev="${COMP_WORDS[COMP_CWORD-1]}"
    if [[ "$prev" == "-p" || "$prev" == "--profile" ]]; then
        COMPREPLY=( $(compgen -W "$(wscope profiles --names 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}") )
        return 0
    fi
    _wscope "$@"
}
complete -F _wscope_with_profiles -o bashdefault -o default wscope
"#;

const FISH_PROFILES: &str =
    "complete -c wscope -s p -l profile -x -a '(wscope profiles --names 2>/dev/null)' -d 'saved profile'\n";

/// zsh: the generated spec completes -p values with `_default`; point it at
/// a function that lists the profiles instead.
fn zsh_with_profiles(script: &str) -> String {
    let function = "_wscope_profiles() {\n    local -a names\n    names=(${(f)\"$(wscope profiles --names 2>/dev/null)\"})\n    _describe 'profile' names\n}\n\n";
    let patched = script
        .lines()
        .map(|line| {
            if (line.contains("-p+[") || line.contains("--profile=[")) && line.contains(":_default") {
                line.replace(":_default", ":_wscope_profiles")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    format!("{function}{patched}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_completes_profile_names() {
        let bash = script(CompletionShell::Bash);
        assert!(bash.contains("_wscope()") && bash.contains("wscope profiles --names"));
        let fish = script(CompletionShell::Fish);
        assert!(fish.contains("-l profile -x -a '(wscope profiles --names"));
        let zsh = script(CompletionShell::Zsh);
        assert!(zsh.contains("_wscope_profiles()"));
        assert!(
            zsh.contains(":NAME:_wscope_profiles"),
            "the -p spec uses the profile lister"
        );
    }
}
