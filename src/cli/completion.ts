/**
 * Shell completion. `gitopsc completion bash|zsh|fish` prints a small script that asks the CLI
 * itself for candidates (`gitopsc __complete -- WORD...`), so commands, flags and choices come
 * from commander's command tree (a new command completes without touching this file) and service
 * and environment names from the project found from the current directory (or `--cwd`).
 */
import type { Command, Option } from 'commander';
import { error } from '../core/diagnostics.js';
import type { CommandResult } from './types.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;

const BASH = `# gitopsc completion for bash: source <(gitopsc completion bash), or save it as
# ~/.local/share/bash-completion/completions/gitopsc
_gitopsc() {
  local IFS=$'\\n' cur="\${COMP_WORDS[COMP_CWORD]}"
  COMPREPLY=($(compgen -W "$(command gitopsc __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)" -- "$cur"))
  return 0
}
complete -o default -o nosort -F _gitopsc gitopsc 2>/dev/null || complete -o default -F _gitopsc gitopsc
`;

const ZSH = `#compdef gitopsc
# gitopsc completion for zsh: gitopsc completion zsh > "\${fpath[1]}/_gitopsc", or
# source <(gitopsc completion zsh) after compinit
_gitopsc() {
  local -a cands
  cands=("\${(@f)$(command gitopsc __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  cands=(\${cands:#})
  if (( \${#cands} )); then
    compadd -Q -- "\${cands[@]}"
  else
    _files
  fi
}
if [[ "\${funcstack[1]}" = "_gitopsc" ]]; then
  _gitopsc "$@"
else
  compdef _gitopsc gitopsc
fi
`;

const FISH = `# gitopsc completion for fish: gitopsc completion fish > ~/.config/fish/completions/gitopsc.fish
function __gitopsc_complete
    set -l words (commandline -opc)
    set -e words[1]
    set -l cur (commandline -ct)
    set -l out (command gitopsc __complete -- $words $cur 2>/dev/null)
    if test (count $out) -gt 0
        printf '%s\\n' $out
    else if not string match -q -- '-*' $cur
        __fish_complete_path $cur
    end
end
complete -c gitopsc -f -a '(__gitopsc_complete)'
`;

export function script(shell: string): CommandResult {
  const text = shell === 'bash' ? BASH : shell === 'zsh' ? ZSH : shell === 'fish' ? FISH : undefined;
  if (text === undefined) return { diagnostics: [error('USAGE', `unknown shell "${shell}": one of ${SHELLS.join(', ')}`, { reason: 'bad-argument' })] };
  return { diagnostics: [], stdout: text, data: { script: text } };
}

function visible(cmds: readonly Command[]): Command[] {
  return cmds.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
}

function optionOf(opts: readonly Option[], word: string): Option | undefined {
  const name = word.split('=')[0];
  return opts.find((o) => o.long === name || o.short === name);
}

function takesValue(o: Option): boolean {
  return o.required || o.optional;
}

interface ProjectNames {
  services: string[];
  environments: string[];
}

async function projectNames(cwd: string, config: string | undefined): Promise<ProjectNames> {
  try {
    const { discoverProject } = await import('../config/discover.js');
    const found = await discoverProject({ cwd, config });
    if (!found.ok) return { services: [], environments: [] };
    const { compile, fsSource } = await import('../pipeline.js');
    const state = await compile(fsSource(found.root), { ...found, validateOnly: true });
    return {
      services: (state.project?.services ?? []).map((s) => s.name).sort(),
      environments: state.project?.environments.map((e) => e.name) ?? state.environments,
    };
  } catch {
    return { services: [], environments: [] };
  }
}

/**
 * Candidates for the last of `words` (the words after `gitopsc`, the last one being completed,
 * possibly empty). Pure over the command tree except for reading the project's names.
 */
export async function candidates(program: Command, words: readonly string[], cwd0: string): Promise<string[]> {
  const cur = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const globals = program.options as readonly Option[];
  let cmd: Command | undefined;
  let cwd = cwd0;
  let config: string | undefined;
  let pending: Option | undefined; // an option waiting for its value
  let variadic: Option | undefined; // the last variadic option, still taking values
  let positionals = 0;
  for (const w of before) {
    if (pending) {
      if (pending.long === '--cwd') cwd = w;
      if (pending.long === '--config') config = w;
      if (pending.variadic) variadic = pending;
      pending = undefined;
      continue;
    }
    if (w.startsWith('-')) {
      variadic = undefined;
      const o = optionOf([...globals, ...((cmd?.options as readonly Option[]) ?? [])], w);
      if (o && takesValue(o) && !w.includes('=')) pending = o;
      continue;
    }
    if (variadic) continue;
    if (!cmd) cmd = visible(program.commands).find((c) => c.name() === w || c.aliases().includes(w));
    else positionals++;
  }
  const { resolve } = await import('node:path');
  const names = () => projectNames(resolve(cwd0, cwd), config);
  const valuesFor = async (o: Option): Promise<string[] | undefined> => {
    if (o.argChoices) return [...o.argChoices];
    if (o.long === '--env') return (await names()).environments;
    if (o.long === '--update') return (await names()).services;
    if (o.long === '--input') return (await names()).services.map((s) => `${s}.tag=`);
    return undefined;
  };
  let out: string[] = [];
  if (pending) out = (await valuesFor(pending)) ?? [];
  else if (cur.startsWith('-')) {
    const opts = [...((cmd?.options as readonly Option[]) ?? []), ...globals];
    out = opts.filter((o) => !(o as unknown as { hidden?: boolean }).hidden && o.long).map((o) => o.long!);
    out.push('--help');
  } else if (variadic) out = (await valuesFor(variadic)) ?? [];
  else if (!cmd) out = [...visible(program.commands).map((c) => c.name()), 'help'];
  else if (cmd.name() === 'help') out = visible(program.commands).map((c) => c.name());
  else {
    const arg = cmd.registeredArguments[Math.min(positionals, cmd.registeredArguments.length - 1)];
    if (arg && (positionals < cmd.registeredArguments.length || arg.variadic)) out = [...(arg.argChoices ?? [])];
  }
  return [...new Set(out)].filter((c) => c.startsWith(cur));
}

export async function complete(program: Command, words: readonly string[], cwd: string): Promise<CommandResult> {
  const list = await candidates(program, words, cwd);
  return { diagnostics: [], stdout: list.map((c) => c + '\n').join(''), data: { candidates: list } };
}
