/** Process exit codes of `emodistill` (documented in the README). */
export const EXIT_CODES = {
  ok: 0,
  /** Bad input data or a failed check: the message names the file, row or field. */
  failure: 1,
  /** Wrong command line (unknown option, missing argument). */
  usage: 2,
  /** The privacy audit ran and the generator failed its release gate. */
  gateFailed: 3,
  /** A bug: please report it with the log. */
  internal: 70,
} as const;
