import { writeFile } from 'node:fs/promises';
import { Option } from 'commander';
import type { CommandContext } from './context.js';

/**
 * Results for scripts, one convention for every command: with `--json` a command prints its result as one
 * JSON object on stdout and nothing else there (logs, progress and notices stay on stderr); the exit code
 * means what it means without `--json`. Files are written with `--out` or `--json-out`, never by `--json`.
 */

export interface JsonFlags {
  readonly json?: boolean;
}

/** `--json`, worded the same for every command. */
export function jsonOption(): Option {
  return new Option('--json', 'print the result as one JSON object on stdout (nothing else goes there)');
}

/** `--json-out <file>`: the result that `--json` prints, written to a file as well. */
export function jsonOutOption(): Option {
  return new Option('--json-out <file>', 'also write the result as JSON to this file');
}

/** A result as the JSON `--json` prints and `--json-out` writes. */
function formatJson(result: object): string {
  return JSON.stringify(result, null, 2);
}

/** Prints a command's result: as JSON with `--json`, otherwise as the text `describe` makes of it. */
export function printResult<T extends object>(
  context: Pick<CommandContext, 'print'>,
  flags: JsonFlags,
  result: T,
  describe: (result: T) => string,
): void {
  context.print(flags.json ? formatJson(result) : describe(result));
}

/** Writes a result (or a report) as a JSON file, ending in a newline. */
export async function writeJsonFile(path: string, result: object): Promise<void> {
  await writeFile(path, `${formatJson(result)}\n`);
}
