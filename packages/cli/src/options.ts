import { InvalidArgumentError, Option } from 'commander';
import { BACKEND_NAMES, COMPUTE_PATHS } from '@emodistill/core';

/** Option parsers and options shared by several commands. */

export function parsePositiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return parsed;
}

export function parseNonNegativeNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0)
    throw new InvalidArgumentError(`expected a number ≥ 0, got "${value}"`);
  return parsed;
}

export function parsePositiveNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0)
    throw new InvalidArgumentError(`expected a number > 0, got "${value}"`);
  return parsed;
}

export function backendOption(): Option {
  return new Option('--backend <name>', 'tfjs backend').choices(BACKEND_NAMES).default('auto');
}

export function computeOption(): Option {
  return new Option(
    '--compute <path>',
    "matmul on the wasm backend: onnxruntime's native GEMM when installed (auto), required (onnxruntime), or never (wasm)",
  )
    .choices(COMPUTE_PATHS)
    .default('auto');
}
