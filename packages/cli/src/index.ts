export { buildProgram, main } from './main.js';
export { EXIT_CODES } from './exit-codes.js';

export type { CliIo } from './main.js';
