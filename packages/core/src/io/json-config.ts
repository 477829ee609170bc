import { readFile } from 'node:fs/promises';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { EmodistillError, ERROR_CODES } from '../errors.js';

/**
 * Fills a config's defaults and validates it against its schema.
 * @returns the filled value (the caller's schema guarantees its type); an error names `source` and the first bad field
 */
export function validateConfig(schema: TSchema, raw: unknown, source: string): unknown {
  const filled = Value.Default(schema, structuredClone(raw)) as unknown;
  if (!Value.Check(schema, filled)) {
    const first = Value.Errors(schema, filled).First();
    throw new EmodistillError(ERROR_CODES.invalidOption, `${source}: field ${first?.path || '/'}: ${first?.message ?? 'invalid'} (got ${JSON.stringify(first?.value)})`);
  }
  return filled;
}

/** Reads and parses a JSON config file; `what` names it in errors ("site config"). */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new EmodistillError(ERROR_CODES.invalidOption, `cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}
