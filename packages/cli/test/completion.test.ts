import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, EXIT_CODES, main } from '../src/index.js';

/*
 * The completion scripts are run by the real shells: bash calls the completion function as it would on
 * Tab; zsh (when installed; CI installs it) completes in an interactive shell driven through zpty, with
 * the script autoloaded by compinit. Every command of buildProgram()'s tree must be offered.
 */

const ZSH_COMPLETE = fileURLToPath(new URL('./zsh-complete.zsh', import.meta.url));
const HAS_ZSH = spawnSync('zsh', ['-c', 'zmodload zsh/zpty']).status === 0;
const run = promisify(execFile);

interface CommandAt {
  readonly path: readonly string[];
  readonly command: Command;
}

/** The program and every command under it, with the names that lead to it. */
function commandsOf(command: Command, path: readonly string[] = []): CommandAt[] {
  return [{ path, command }, ...command.commands.flatMap((sub) => commandsOf(sub, [...path, sub.name()]))];
}

const tree = commandsOf(buildProgram());
const groups = tree.filter(({ command }) => command.commands.length > 0);
const leaves = tree.filter(({ command }) => command.commands.length === 0);
const longOptions = (command: Command): string[] =>
  command.options.flatMap((option) => (option.long ? [option.long] : []));

let dir: string;

async function completionScript(shell: string): Promise<string> {
  let stdout = '';
  const code = await main(['node', 'emodistill', 'completion', shell], {
    stdout: (text) => (stdout += text),
    stderr: () => undefined,
  });
  expect(code).toBe(EXIT_CODES.ok);
  return stdout;
}

/** What bash's completion function replies for each command line (its words; the last one is being typed). */
async function bashReplies(lines: readonly (readonly string[])[]): Promise<string[][]> {
  const script = join(dir, 'emodistill.bash');
  await writeFile(script, await completionScript('bash'));
  const quote = (word: string): string => `'${word}'`;
  const driver = [
    'source "$1"',
    'reply() { COMP_WORDS=(emodistill "$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _emodistill; echo "${COMPREPLY[*]}"; }',
    ...lines.map((words) => `reply ${words.map(quote).join(' ')}`),
  ].join('\n');
  const { stdout } = await run('bash', ['-c', driver, 'bash', script]);
  return stdout
    .split('\n')
    .slice(0, lines.length)
    .map((line) => line.split(' ').filter(Boolean));
}

/** What zsh offers on Tab after `emodistill <words>`. */
async function zshMatches(words: readonly string[]): Promise<string[]> {
  const { stdout } = await run('zsh', ['-f', ZSH_COMPLETE, dir, ['emodistill', ...words].join(' ')], {
    timeout: 20_000,
  });
  return stdout.split('\n').filter(Boolean);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emodistill-completion-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('emodistill completion', () => {
  it('bash offers every command and subcommand, every option, and option and argument choices', async () => {
    // arrange
    const lines = [
      ...groups.map(({ path }) => [...path, '']),
      ...leaves.map(({ path }) => [...path, '--']),
      ['--log-level', 'info', 'distill', '--backend', ''],
      ['corpus', 'import', '--out', 'x.arrow', ''],
      ['corpus', 'import', 'emodb', ''],
    ];

    // act
    const replies = await bashReplies(lines);

    // assert
    groups.forEach(({ path, command }, i) =>
      expect(replies[i], `emodistill ${path.join(' ')} <Tab>`).toEqual(
        expect.arrayContaining(command.commands.map((sub) => sub.name())),
      ),
    );
    leaves.forEach(({ path, command }, i) =>
      expect(replies[groups.length + i], `emodistill ${path.join(' ')} --<Tab>`).toEqual(
        expect.arrayContaining([...longOptions(command), '--help']),
      ),
    );
    expect(replies.slice(-3)).toEqual([
      ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'],
      // the format, after an option and its value
      ['emodb', 'iemocap', 'manifest', 'folders', 'embeddings'],
      // the corpus path after the format: file names (bash's default completion)
      [],
    ]);
  });

  it.skipIf(!HAS_ZSH)('zsh offers every command and subcommand, and the options of each command', async () => {
    // arrange
    await writeFile(join(dir, '_emodistill'), await completionScript('zsh'));

    // act (the first run writes compinit's dump, which the others then read)
    const backend = await zshMatches(['distill', '--backend', '']);
    const subcommands = await Promise.all(groups.map(({ path }) => zshMatches([...path, ''])));
    const options = await Promise.all(leaves.map(({ path }) => zshMatches([...path, '--'])));

    // assert
    groups.forEach(({ path, command }, i) =>
      expect(subcommands[i], `emodistill ${path.join(' ')} <Tab>`).toEqual(
        expect.arrayContaining(command.commands.map((sub) => sub.name())),
      ),
    );
    leaves.forEach(({ path, command }, i) =>
      expect(options[i], `emodistill ${path.join(' ')} --<Tab>`).toEqual(expect.arrayContaining(longOptions(command))),
    );
    expect(backend.sort()).toEqual(['auto', 'cpu', 'tensorflow', 'tensorflow-gpu', 'wasm']);
  });

  it('says how to install the scripts, and refuses a shell it has no script for', async () => {
    // act
    let help = '';
    await main(['node', 'emodistill', 'completion', '--help'], { stdout: (t) => (help += t), stderr: () => undefined });
    let stderr = '';
    const fish = await main(['node', 'emodistill', 'completion', 'fish'], {
      stdout: () => undefined,
      stderr: (t) => (stderr += t),
    });

    // assert
    expect(help).toContain('source <(emodistill completion bash)');
    expect(help).toContain('emodistill completion zsh > ~/.zfunc/_emodistill');
    expect(fish).toBe(EXIT_CODES.usage);
    expect(stderr).toMatch(/fish.*bash, zsh/);
  });
});
