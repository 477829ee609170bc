import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HARNESS_ERRORS, HarnessError } from './errors.js';

let cliExecutablePath: string | undefined;

/**
 * The `emodistill` executable the harness runs (a JS file, started with this Node; it runs the built CLI).
 *
 * The harness cannot depend on @emodistill/cli: the CLI depends on the harness (its `simulate` and `demo`
 * commands run it), so that would be a package cycle. It finds the CLI the way Node finds an installed
 * package instead: the nearest `node_modules/@emodistill/cli` above this file, and the `emodistill` entry of
 * that package's `bin`. In this repository that is the workspace link to packages/cli (the same
 * installation `npx emodistill` runs); where the CLI is installed from the registry, the harness sits in
 * the CLI's own or a common `node_modules`, so an installed CLI finds itself. Resolved on first use.
 */
export function cliExecutable(): string {
  if (cliExecutablePath) return cliExecutablePath;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const packageDir = join(dir, 'node_modules', '@emodistill', 'cli');
    const manifest = join(packageDir, 'package.json');
    if (existsSync(manifest)) {
      const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: string | Record<string, string> };
      const entry = typeof bin === 'string' ? bin : bin?.emodistill;
      if (entry) return (cliExecutablePath = realpathSync(resolve(packageDir, entry)));
    }
    if (dirname(dir) === dir)
      throw new HarnessError(
        HARNESS_ERRORS.cliNotFound,
        `cannot find the emodistill executable: no node_modules/@emodistill/cli with an emodistill bin above ${start} (run npm install)`,
      );
  }
}

export interface CliProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Everything the process wrote to stdout so far. */
  stdout(): string;
}

/** Runs `emodistill <args>` as a child process; its stderr (JSON logs) goes to `logPath`; `ipc` opens a channel to it. */
export function spawnCli(
  args: readonly string[],
  logPath: string,
  env: NodeJS.ProcessEnv = {},
  options: { readonly ipc?: boolean } = {},
): CliProcess {
  const child = spawn(process.execPath, [cliExecutable(), ...args], {
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const log = createWriteStream(logPath, { flags: 'a' });
  child.stderr!.pipe(log);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { child, exited, stdout: () => out };
}

/** Starts `emodistill coordinator start` (with extra environment, e.g. a fault point) and waits until it prints its URL. */
export async function spawnCoordinator(
  configPath: string,
  logPath: string,
  timeoutMs = 30_000,
  env: NodeJS.ProcessEnv = {},
): Promise<CliProcess & { url: string }> {
  const process = spawnCli(['--log-level', 'info', 'coordinator', 'start', '--config', configPath], logPath, env);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new HarnessError(
            HARNESS_ERRORS.coordinatorStartFailed,
            `coordinator did not start within ${timeoutMs / 1000} s; see ${logPath}`,
          ),
        ),
      timeoutMs,
    );
    const check = (): void => {
      const match = /listening on (\S+)/.exec(process.stdout());
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    process.child.stdout!.on('data', check);
    void process.exited.then((code) => {
      clearTimeout(timer);
      reject(
        new HarnessError(
          HARNESS_ERRORS.coordinatorStartFailed,
          `coordinator exited (${code}) before listening; see ${logPath}`,
        ),
      );
    });
  });
  return { ...process, url };
}
