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

/** A TCP port parser: 1–65535, or from 0 (any free one) with `anyFree`. */
export function portParser(anyFree: boolean): (value: string) => number {
  const lowest = anyFree ? 0 : 1;
  return (value) => {
    const port = Number(value);
    if (value.trim() === '' || !Number.isInteger(port) || port < lowest || port > 65535)
      throw new InvalidArgumentError(
        `expected a port from ${anyFree ? '0 (any free one)' : '1'} to 65535, got "${value}"`,
      );
    return port;
  };
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
