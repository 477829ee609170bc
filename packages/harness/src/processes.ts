import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EmodistillError, ERROR_CODES } from '@emodistill/core';

/** The `emodistill` executable of this installation (runs the built CLI). */
export const CLI_BIN: string = fileURLToPath(new URL('../../bin/emodistill.js', import.meta.url));

export interface CliProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Everything the process wrote to stdout so far. */
  stdout(): string;
}

/** Runs `emodistill <args>` as a child process; its stderr (JSON logs) goes to `logPath`. */
export function spawnCli(args: readonly string[], logPath: string, env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
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
          new EmodistillError(
            ERROR_CODES.internal,
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
        new EmodistillError(ERROR_CODES.internal, `coordinator exited (${code}) before listening; see ${logPath}`),
      );
    });
  });
  return { ...process, url };
}
