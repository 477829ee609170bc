import { EmodistillError, ERROR_CODES, type Verdict } from '@emodistill/core';

/** Process exit codes of `emodistill` (documented in the README). */
export const EXIT_CODES = {
  ok: 0,
  /** Bad input data or a failed check: the message names the file, row or field. */
  failure: 1,
  /** Wrong command line (unknown option, missing argument). */
  usage: 2,
  /** The privacy audit ran and its verdict is FAIL (a demonstrated leak, or memorisation). */
  gateFailed: 3,
  /** The privacy audit ran and its verdict is INCONCLUSIVE: too few holdout speakers to pass anything. */
  auditInconclusive: 4,
  /** A bug: please report it with the log. */
  internal: 70,
} as const;

/** An audit's exit code: 0 pass, 3 fail, 4 inconclusive. */
export function exitCodeOfVerdict(verdict: Verdict): ExitCode {
  return verdict === 'pass' ? EXIT_CODES.ok : verdict === 'fail' ? EXIT_CODES.gateFailed : EXIT_CODES.auditInconclusive;
}

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/**
 * The exit code of a command that threw: a coded error of any package (core's, the coordinator's, the
 * site agent's, the privacy audit's, the harness's or the CLI's own) is the user's to fix, 1; anything
 * else, core's INTERNAL included, is a bug, 70.
 */
export function exitCodeOf(error: unknown): ExitCode {
  return error instanceof EmodistillError && error.code !== ERROR_CODES.internal
    ? EXIT_CODES.failure
    : EXIT_CODES.internal;
}
