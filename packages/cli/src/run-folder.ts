import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkWorkingFolderParent } from './checks.js';
import { CLI_ERRORS, CliError } from './errors.js';

/**
 * `demo` and `simulate` own their working folder: a marker file says which run made it, and a
 * re-run in the same folder replaces that run's files (throwaway keys included). Nothing else is
 * ever deleted: a folder without the marker is used only when none of the run's files are there.
 */

/** The marker file a run writes first in its folder. */
export const RUN_MARKER_FILE = '.emodistill-run.json';

export type RunCommand = 'demo' | 'simulate';

/** What each command writes in its folder; a re-run removes exactly these. */
const RUN_ENTRIES: Readonly<Record<RunCommand, readonly string[]>> = {
  demo: ['corpus', 'demo.arrow', 'federation', 'global.bundle', 'report.html', 'report.json'],
  simulate: ['federation', 'global.bundle', 'simulation.json'],
};

interface RunMarker {
  readonly kind: 'emodistill-run';
  readonly command: RunCommand;
  readonly startedAt: string;
}

export interface RunFolder {
  /** The folder, absolute. */
  readonly dir: string;
  /** The previous run whose files were removed, when there was one. */
  readonly replaced?: { readonly command: RunCommand; readonly startedAt: string };
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as unknown;
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The folder's marker; a finished demo of a version before the marker is known by its report.json. */
async function readMarker(dir: string): Promise<RunMarker | undefined> {
  const marker = await readJson(join(dir, RUN_MARKER_FILE));
  if (
    marker?.kind === 'emodistill-run' &&
    typeof marker.command === 'string' &&
    Object.hasOwn(RUN_ENTRIES, marker.command)
  )
    return marker as unknown as RunMarker;
  const demoReport = await readJson(join(dir, 'report.json'));
  if (demoReport?.kind === 'emodistill-demo')
    return { kind: 'emodistill-run', command: 'demo', startedAt: String(demoReport.createdAt) };
  return undefined;
}

/** Whether `name` is one of `entries` or a temporary file of an atomic write of one (`demo.arrow.1234.tmp`). */
const isRunEntry = (name: string, entries: readonly string[]): boolean =>
  entries.some((entry) => name === entry || new RegExp(`^${entry.replace(/\./g, '\\.')}\\.\\d+\\.tmp$`).test(name));

/**
 * Makes `folder` the working folder of a `command` run and writes its marker: creates it (its
 * parent must exist), or removes a previous demo/simulate run's files from it; refuses a folder
 * that holds files of the run's names that no run made. `option` names the folder in errors.
 */
export async function claimRunFolder(option: string, folder: string, command: RunCommand): Promise<RunFolder> {
  const dir = resolve(folder);
  const info = await stat(dir).catch(() => undefined);
  if (info && !info.isDirectory())
    throw new CliError(CLI_ERRORS.runFolderRefused, `${option} ${folder} is a file, not a folder`);
  const names = info ? await readdir(dir) : [];
  const previous = info ? await readMarker(dir) : undefined;
  const removable = names.filter((name) => previous && isRunEntry(name, RUN_ENTRIES[previous.command]));
  const conflicts = names.filter((name) => !removable.includes(name) && isRunEntry(name, RUN_ENTRIES[command]));
  if (conflicts.length > 0) {
    throw new CliError(
      CLI_ERRORS.runFolderRefused,
      `${option} ${folder} already holds ${conflicts.join(', ')}, which ${RUN_MARKER_FILE} does not mark as an earlier demo or simulate run's; give a new or empty folder, or remove them yourself`,
    );
  }
  if (!info) {
    await checkWorkingFolderParent(option, folder);
    await mkdir(dir);
  }
  await Promise.all(removable.map((name) => rm(join(dir, name), { recursive: true, force: true })));
  const marker: RunMarker = { kind: 'emodistill-run', command, startedAt: new Date().toISOString() };
  await writeFile(join(dir, RUN_MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`);
  return { dir, ...(previous && { replaced: { command: previous.command, startedAt: previous.startedAt } }) };
}
