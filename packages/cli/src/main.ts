import { Command, CommanderError, Option } from 'commander';
import { toEmodistillError } from '@emodistill/core';
import type { CommandContext } from './context.js';
import { auditCommand } from './commands/audit.js';
import { benchCommand } from './commands/bench.js';
import { completionCommand } from './commands/completion.js';
import { corpusCommand } from './commands/corpus.js';
import { dashboardCommand } from './commands/dashboard.js';
import { demoCommand } from './commands/demo.js';
import { distillCommand } from './commands/distill.js';
import { evaluateCommand } from './commands/evaluate.js';
import { federationCommand } from './commands/provision.js';
import { coordinatorCommand, roundCommand, siteCommand, sitesCommand } from './commands/federation.js';
import { keysCommand } from './commands/keys.js';
import { simulateCommand } from './commands/simulate.js';
import { sampleCommand } from './commands/sample.js';
import { EXIT_CODES, exitCodeOf } from './exit-codes.js';
import { createLogger, LOG_LEVELS, type LogLevel } from './logger.js';

/** Where output goes: the process streams by default, buffers in tests. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const PROCESS_IO: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export function buildProgram(io: CliIo = PROCESS_IO): Command {
  const program = new Command('emodistill')
    .description('federated, privacy-oriented dataset distillation for speech emotion recognition')
    .version('0.1.0')
    .addOption(
      new Option('--log-level <level>', 'structured JSON logs on stderr at this level')
        .choices(LOG_LEVELS)
        .default('warn'),
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  let context: CommandContext | undefined;
  const getContext = (): CommandContext => {
    context ??= {
      log: createLogger(program.opts<{ logLevel: LogLevel }>().logLevel),
      print: (text) => io.stdout(`${text}\n`),
      notice: (text) => io.stderr(`emodistill: ${text}\n`),
      setExitCode: (code) => {
        exitCodes.set(program, code);
      },
    };
    return context;
  };
  for (const command of [
    corpusCommand(getContext),
    distillCommand(getContext),
    sampleCommand(getContext),
    evaluateCommand(getContext),
    auditCommand(getContext),
    benchCommand(getContext),
    keysCommand(getContext),
    federationCommand(getContext),
    coordinatorCommand(getContext),
    roundCommand(getContext),
    sitesCommand(getContext),
    siteCommand(getContext),
    dashboardCommand(getContext),
    simulateCommand(getContext),
    demoCommand(getContext),
    completionCommand(getContext),
  ])
    program.addCommand(command);
  program.commands.forEach(function inheritSettings(command: Command): void {
    command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    command.commands.forEach(inheritSettings);
  });
  return program;
}

/** Exit codes set by commands for outcomes that are not errors, per program instance. */
const exitCodes = new WeakMap<Command, number>();

/** Runs the CLI; every failure becomes one readable line on stderr and an exit code. */
export async function main(argv: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  try {
    const program = buildProgram(io);
    await program.parseAsync([...argv]);
    return exitCodes.get(program) ?? EXIT_CODES.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed the usage message (or help/version, which exit 0).
      return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    const { code, message } = toEmodistillError(error);
    io.stderr(`emodistill: error [${code}] ${message}\n`);
    const exitCode = exitCodeOf(error);
    if (exitCode === EXIT_CODES.internal && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return exitCode;
  }
}
