import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cliExecutable, spawnCli } from './processes.js';

const dir = await mkdtemp(join(tmpdir(), 'emodistill-harness-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the emodistill executable', () => {
  it("is the workspace's installed CLI, packages/cli/bin/emodistill.js", () => {
    expect(cliExecutable()).toBe(fileURLToPath(new URL('../../cli/bin/emodistill.js', import.meta.url)));
  });

  it('runs as a child process with its stdout collected and its stderr in the log', async () => {
    const cli = spawnCli(['--version'], join(dir, 'version.log'));
    expect(await cli.exited).toBe(0);
    expect(cli.stdout().trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const unknown = spawnCli(['no-such-command'], join(dir, 'unknown.log'));
    expect(await unknown.exited).not.toBe(0);
    expect(await readFile(join(dir, 'unknown.log'), 'utf8')).toMatch(/no-such-command/);
  });
});
