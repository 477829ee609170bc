import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmodistillError } from '@emodistill/core';
import { claimRunFolder, RUN_MARKER_FILE } from './run-folder.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'emodistill-run-folder-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A folder as a finished `command` run leaves it: its marker and the given files (folders end in /). */
async function previousRun(
  dir: string,
  command: 'demo' | 'simulate' | undefined,
  entries: readonly string[],
): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const entry of entries) {
    if (entry.endsWith('/'))
      await mkdir(join(dir, entry, 'site-1'), { recursive: true }).then(() =>
        writeFile(join(dir, entry, 'site-1', 'site.key'), 'old key'),
      );
    else await writeFile(join(dir, entry), 'old');
  }
  if (command)
    await writeFile(
      join(dir, RUN_MARKER_FILE),
      JSON.stringify({ kind: 'emodistill-run', command, startedAt: '2026-01-02T03:04:05.000Z' }),
    );
}

async function refusal(promise: Promise<unknown>): Promise<EmodistillError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EmodistillError);
  return error as EmodistillError;
}

describe('claimRunFolder', () => {
  it('creates a new folder and marks it as the run’s', async () => {
    // arrange
    const dir = join(root, 'emodistill-demo');

    // act
    const claimed = await claimRunFolder('--out', dir, 'demo');

    // assert
    expect(claimed).toEqual({ dir });
    expect(await readdir(dir)).toEqual([RUN_MARKER_FILE]);
    expect(JSON.parse(await readFile(join(dir, RUN_MARKER_FILE), 'utf8'))).toMatchObject({
      kind: 'emodistill-run',
      command: 'demo',
    });
  });

  it('replaces a previous demo run: its files go, the user’s other files stay', async () => {
    // arrange
    const dir = join(root, 'emodistill-demo');
    await previousRun(dir, 'demo', [
      'corpus/',
      'federation/',
      'demo.arrow',
      'demo.arrow.4242.tmp',
      'global.bundle',
      'report.html',
      'report.json',
      'notes.txt',
    ]);

    // act
    const claimed = await claimRunFolder('--out', dir, 'demo');

    // assert
    expect(claimed.replaced).toEqual({ command: 'demo', startedAt: '2026-01-02T03:04:05.000Z' });
    expect((await readdir(dir)).sort()).toEqual([RUN_MARKER_FILE, 'notes.txt']);
  });

  it('replaces a previous simulate run when demo runs in its folder', async () => {
    // arrange
    const dir = join(root, 'work');
    await previousRun(dir, 'simulate', ['federation/', 'global.bundle', 'simulation.json']);

    // act
    const claimed = await claimRunFolder('--out', dir, 'demo');

    // assert
    expect(claimed.replaced?.command).toBe('simulate');
    expect(await readdir(dir)).toEqual([RUN_MARKER_FILE]);
  });

  it('recognises a demo folder of a version before the marker by its report.json', async () => {
    // arrange
    const dir = join(root, 'emodistill-demo');
    await previousRun(dir, undefined, ['corpus/', 'federation/', 'demo.arrow', 'global.bundle', 'report.html']);
    await writeFile(
      join(dir, 'report.json'),
      JSON.stringify({ kind: 'emodistill-demo', version: 2, createdAt: '2026-01-01T00:00:00.000Z' }),
    );

    // act
    const claimed = await claimRunFolder('--out', dir, 'demo');

    // assert
    expect(claimed.replaced).toEqual({ command: 'demo', startedAt: '2026-01-01T00:00:00.000Z' });
    expect(await readdir(dir)).toEqual([RUN_MARKER_FILE]);
  });

  it('uses a folder without a marker when none of the run’s files are in it, deleting nothing', async () => {
    // arrange
    const dir = join(root, 'mine');
    await previousRun(dir, undefined, ['thesis.tex', 'data/']);

    // act
    const claimed = await claimRunFolder('--out', dir, 'simulate');

    // assert
    expect(claimed.replaced).toBeUndefined();
    expect((await readdir(dir)).sort()).toEqual([RUN_MARKER_FILE, 'data', 'thesis.tex']);
  });

  it.each([
    ['no marker', undefined, ['federation/', 'global.bundle', 'keep.txt'], 'simulate', 'federation, global.bundle'],
    ['a marker that is not a run’s', undefined, ['federation/', RUN_MARKER_FILE], 'simulate', 'federation'],
    [
      'the marker of a run that did not write the conflicting folder',
      'simulate',
      ['federation/', 'corpus/'],
      'demo',
      'corpus',
    ],
  ] as const)(
    'refuses a folder with %s holding the run’s file names, and deletes nothing',
    async (_case, command, entries, claimant, named) => {
      // arrange
      const dir = join(root, 'user-folder');
      await previousRun(dir, command, entries);
      const before = (await readdir(dir)).sort();

      // act
      const error = await refusal(claimRunFolder('--out', dir, claimant));

      // assert
      expect(error.message).toContain(`--out ${dir} already holds ${named}, which ${RUN_MARKER_FILE} does not mark`);
      expect((await readdir(dir)).sort()).toEqual(before);
      expect(await readFile(join(dir, 'federation', 'site-1', 'site.key'), 'utf8')).toBe('old key');
    },
  );

  it('refuses a folder whose parent does not exist, and a file given as the folder', async () => {
    // arrange
    const file = join(root, 'file.txt');
    await writeFile(file, 'x');

    // act
    const missingParent = await refusal(claimRunFolder('--out', join(root, 'typo', 'demo'), 'demo'));
    const notAFolder = await refusal(claimRunFolder('--out', file, 'simulate'));

    // assert
    expect(missingParent.message).toBe(
      `--out ${join(root, 'typo', 'demo')}: directory ${join(root, 'typo')} does not exist (create it first)`,
    );
    expect(notAFolder.message).toBe(`--out ${file} is a file, not a folder`);
  });
});
