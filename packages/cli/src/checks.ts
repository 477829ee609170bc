import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { FeatureSet } from '@emodistill/core';
import { CLI_ERRORS, CliError } from './errors.js';

/**
 * Checks a command runs before its work, so that a mistake in the command line is reported at
 * once, not after minutes of extraction or training whose result would then be lost.
 */

/** One file a command will write: the option that names it and its path. */
export interface OutputPath {
  readonly option: string;
  readonly path: string;
}

async function directoryProblem(directory: string): Promise<string | undefined> {
  const info = await stat(directory).catch(() => undefined);
  if (!info) return `directory ${directory} does not exist (create it first)`;
  if (!info.isDirectory()) return `${directory} is not a directory`;
  return access(directory, constants.W_OK).then(
    () => undefined,
    () => `directory ${directory} is not writable`,
  );
}

/** Why `output` cannot be written, or undefined when it can. */
async function outputProblem(output: OutputPath): Promise<string | undefined> {
  const problem = await directoryProblem(dirname(resolve(output.path)));
  if (problem) return `${output.option} ${output.path}: ${problem}`;
  if ((await stat(output.path).catch(() => undefined))?.isDirectory())
    return `${output.option} ${output.path} is a directory; give a file name`;
  return undefined;
}

/** Refuses, with one line naming every bad option, outputs whose directory is missing or not writable. */
export async function checkOutputPaths(outputs: readonly (OutputPath | undefined)[]): Promise<void> {
  const problems = (await Promise.all(outputs.filter((output) => output !== undefined).map(outputProblem))).filter(
    (problem) => problem !== undefined,
  );
  if (problems.length > 0) throw new CliError(CLI_ERRORS.outputNotWritable, problems.join('; '));
}

/** Refuses a working folder whose parent directory is missing (the folder itself may be created). */
export async function checkWorkingFolderParent(option: string, folder: string): Promise<void> {
  const problem = await directoryProblem(dirname(resolve(folder)));
  if (problem) throw new CliError(CLI_ERRORS.runFolderRefused, `${option} ${folder}: ${problem}`);
}

/** Refuses a feature set without rows; `what` names it (`--train train.arrow`). */
export function requireRows(set: FeatureSet, what: string): void {
  if (set.ids.length === 0) throw new CliError(CLI_ERRORS.noRows, `${what} has no rows`);
}

/** Refuses a feature set in which a class has no rows (a generator cannot learn a class it never sees). */
export function requireEveryClass(set: FeatureSet, what: string): void {
  const present = new Set(set.emotions);
  const empty = set.classNames.filter((name) => !present.has(name));
  if (empty.length > 0) {
    throw new CliError(
      CLI_ERRORS.classWithoutRows,
      `${what} has no rows of class${empty.length > 1 ? 'es' : ''} ${empty.join(', ')} (classes: ${set.classNames.join(', ')}); distillation needs training rows of every class`,
    );
  }
}

/** Speakers of `b` that also occur in `a`, in order of first appearance in `b`. */
export function sharedSpeakers(a: FeatureSet, b: FeatureSet): string[] {
  const inA = new Set(a.speakers);
  return [...new Set(b.speakers)].filter((speaker) => inA.has(speaker));
}
