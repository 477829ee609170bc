import { readFile } from 'node:fs/promises';
import { Kind, type TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { EmodistillError, ERROR_CODES } from '../errors.js';

/** Patterns of the config schemas, said in words. */
const PATTERN_WORDS: Readonly<Record<string, string>> = {
  '^[A-Za-z0-9+/]{43}=$':
    'an Ed25519 public key: 44 base64 characters ending in "=", as `emodistill keys generate` prints it',
  '^[A-Za-z0-9_.-]{1,64}$': '1 to 64 letters, digits, "_", "." or "-"',
  '^https?://': 'an http:// or https:// URL',
};

/** What a schema accepts, as a noun phrase ("an integer", "one of "a", "b"", "a list of numbers"). */
function describeSchema(schema: TSchema): string {
  switch (schema[Kind]) {
    case 'Literal':
      return JSON.stringify(schema.const);
    case 'Union': {
      const options = (schema.anyOf as TSchema[]) ?? [];
      if (options.every((option) => option[Kind] === 'Literal'))
        return `one of ${options.map(describeSchema).join(', ')}`;
      return options.map(describeSchema).join(' or ');
    }
    case 'Array': {
      const item = describeSchema(schema.items as TSchema);
      return /^an? \w+$/.test(item) ? `a list of ${item.replace(/^an? /, '')}s` : `a list, each ${item}`;
    }
    case 'Integer':
      return 'an integer';
    case 'Number':
      return 'a number';
    case 'String':
      return 'a string';
    case 'Boolean':
      return 'true or false';
    case 'Object':
    case 'Record':
      return 'an object';
    default:
      return 'a valid value';
  }
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

/** One schema violation in the project's words: `/training/localSteps must be ≥ 1 (got 0)`. */
function describeError(error: ValueError): string {
  const path = error.path || '/';
  const { schema } = error;
  const got = ` (got ${shown(error.value)})`;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return `${path} is missing`;
    case ValueErrorType.ObjectAdditionalProperties:
      return `${path} is not a known field`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `${path} must be ≥ ${schema.minimum}${got}`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `${path} must be ≤ ${schema.maximum}${got}`;
    case ValueErrorType.IntegerExclusiveMinimum:
    case ValueErrorType.NumberExclusiveMinimum:
      return `${path} must be > ${schema.exclusiveMinimum}${got}`;
    case ValueErrorType.IntegerExclusiveMaximum:
    case ValueErrorType.NumberExclusiveMaximum:
      return `${path} must be < ${schema.exclusiveMaximum}${got}`;
    case ValueErrorType.StringMinLength:
      return schema.minLength === 1
        ? `${path} must not be empty`
        : `${path} must have at least ${schema.minLength} characters${got}`;
    case ValueErrorType.StringMaxLength:
      return `${path} must have at most ${schema.maxLength} characters${got}`;
    case ValueErrorType.StringPattern:
      return `${path} must be ${PATTERN_WORDS[schema.pattern as string] ?? `a string matching /${schema.pattern}/${schema.description ? ` (${schema.description})` : ''}`}${got}`;
    case ValueErrorType.ArrayMinItems:
      return `${path} must list at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}${got}`;
    case ValueErrorType.ArrayMaxItems:
      return `${path} must list at most ${schema.maxItems} item${schema.maxItems === 1 ? '' : 's'}${got}`;
    default:
      return `${path} must be ${describeSchema(schema)}${got}`;
  }
}

/**
 * Every violation of `schema` in `value`, one per field (the first TypeBox reports there), in
 * words that name the field and what it must be.
 */
function describeSchemaErrors(schema: TSchema, value: unknown): string[] {
  const byPath = new Map<string, string>();
  for (const error of Value.Errors(schema, value))
    if (!byPath.has(error.path)) byPath.set(error.path, describeError(error));
  return [...byPath.values()];
}

/**
 * Fills a config's defaults and lists every violation of its schema, without throwing (for a check
 * that reports all problems at once).
 * @returns the filled value (of the schema's type only when `errors` is empty) and one line per bad field
 */
export function checkConfig(schema: TSchema, raw: unknown): { readonly filled: unknown; readonly errors: string[] } {
  const filled = Value.Default(schema, structuredClone(raw)) as unknown;
  return { filled, errors: Value.Check(schema, filled) ? [] : describeSchemaErrors(schema, filled) };
}

/**
 * Fills a config's defaults and validates it against its schema.
 * @returns the filled value (the caller's schema guarantees its type); an error names `source` and every bad field, on one line
 */
export function validateConfig(schema: TSchema, raw: unknown, source: string): unknown {
  const { filled, errors } = checkConfig(schema, raw);
  if (errors.length > 0)
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      `${source}: ${errors.length === 1 ? errors[0] : `${errors.length} errors: ${errors.join('; ')}`}`,
    );
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
