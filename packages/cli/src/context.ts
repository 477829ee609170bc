import type { Logger } from 'pino';

/** What every command needs from the process: a logger and a place for results. */
export interface CommandContext {
  readonly log: Logger;
  /** Results for the user (tables, JSON) go to stdout; logs and progress go to stderr. */
  print(text: string): void;
  /** A line for the user that is not a result (e.g. that a previous run is replaced): on stderr, prefixed `emodistill: `. */
  notice(text: string): void;
  /** Sets the exit code for an outcome that is not an error, e.g. an audit whose gate fails. */
  setExitCode(code: number): void;
}
