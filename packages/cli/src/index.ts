export { buildProgram, main } from './main.js';
export { EXIT_CODES } from './exit-codes.js';
export { CLI_ERRORS, CliError } from './errors.js';

export type { CliIo } from './main.js';
export type { CliErrorCode } from './errors.js';
