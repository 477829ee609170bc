import { Argument, Command } from 'commander';
import { COMPLETION_SHELLS, completionScript, type CompletionShell } from '../completion.js';
import type { CommandContext } from '../context.js';

const INSTALL = `
Install (the script completes the \`emodistill\` command on your PATH; regenerate it after upgrading):
  bash, for the current shell:     source <(emodistill completion bash)
  bash, for every new shell:       emodistill completion bash > ~/.local/share/bash-completion/completions/emodistill
                                   (needs the bash-completion package; without it, add the \`source\` line to ~/.bashrc)
  zsh, for the current shell:      autoload -U compinit && compinit && source <(emodistill completion zsh)
  zsh, for every new shell:        mkdir -p ~/.zfunc && emodistill completion zsh > ~/.zfunc/_emodistill
                                   and in ~/.zshrc, before compinit: fpath=(~/.zfunc $fpath)
                                   (then \`rm -f ~/.zcompdump; compinit\` once)`;

/** The root of the program tree `command` belongs to. */
function programOf(command: Command): Command {
  let root = command;
  while (root.parent) root = root.parent;
  return root;
}

export function completionCommand(context: () => CommandContext): Command {
  return new Command('completion')
    .description(
      "print a completion script for bash or zsh: every command, subcommand and option, from the program's own command tree",
    )
    .addArgument(new Argument('<shell>', 'the shell').choices(COMPLETION_SHELLS))
    .addHelpText('after', INSTALL)
    .action((shell: CompletionShell, _flags: unknown, command: Command) =>
      context().print(completionScript(programOf(command), shell)),
    );
}
