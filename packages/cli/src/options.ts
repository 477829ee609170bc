import { InvalidArgumentError, Option } from 'commander';
import { BACKEND_NAMES } from '@emodistill/core';

/** Option parsers and options shared by several commands. */

export function parsePositiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return parsed;
}

export function backendOption(): Option {
  return new Option('--backend <name>', 'tfjs backend').choices(BACKEND_NAMES).default('auto');
}
