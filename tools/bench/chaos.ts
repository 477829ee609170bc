/**
 * `npm run bench:chaos`: SIGKILLs a real coordinator N times during a federation of real site
 * processes (at random moments, right after an update's commit, and during aggregation / a version
 * write, through the coordinator's `EMODISTILL_FAULT` points), restarts it on the same port and
 * data dir each time, and checks against an uninterrupted run of the same federation that no
 * acknowledged update is lost, no restarted round waits for its deadline and the final weights are
 * equal (see chaos-harness.ts). Exits 1 when a check fails.
 * Options: --kills N (20), --aggregation-kills A (30 % of N), --upload-kills U (20 % of N),
 * --rounds R (1.5 N + 5), --local-steps S (40), --seed s (1, the kill schedule),
 * --close-limit-seconds L (30), --timeout-seconds T (600, the rounds' deadline),
 * --dir <dir> (kept; default a temporary one, removed), --keep, --json <file>.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatChaosReport, runChaos } from './chaos-harness.ts';

const { values: args } = parseArgs({
  options: {
    kills: { type: 'string', default: '20' },
    'aggregation-kills': { type: 'string' },
    'upload-kills': { type: 'string' },
    rounds: { type: 'string' },
    'local-steps': { type: 'string' },
    seed: { type: 'string' },
    'close-limit-seconds': { type: 'string' },
    'timeout-seconds': { type: 'string' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const number = (name: keyof typeof args): number | undefined => {
  const value = args[name];
  if (typeof value !== 'string') return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0)
    throw new Error(`--${name} must be a non-negative number, got "${value}"`);
  return parsed;
};

const started = performance.now();
const report = await runChaos({
  kills: number('kills')!,
  ...(args['aggregation-kills'] !== undefined && { aggregationKills: number('aggregation-kills')! }),
  ...(args['upload-kills'] !== undefined && { uploadKills: number('upload-kills')! }),
  ...(args.rounds !== undefined && { rounds: number('rounds')! }),
  ...(args['local-steps'] !== undefined && { localSteps: number('local-steps')! }),
  ...(args.seed !== undefined && { seed: number('seed')! }),
  ...(args['close-limit-seconds'] !== undefined && { closeLimitSeconds: number('close-limit-seconds')! }),
  ...(args['timeout-seconds'] !== undefined && { timeoutSeconds: number('timeout-seconds')! }),
  ...(args.dir !== undefined && { dir: args.dir }),
  keep: args.keep,
  progress: (line) => console.log(line),
});
console.log(
  `\n${formatChaosReport(report)}\n${report.ok ? 'all checks passed' : 'CHECKS FAILED'} in ${((performance.now() - started) / 1000).toFixed(0)} s${args.keep || args.dir ? ` (federations in ${report.dir})` : ''}`,
);
if (args.json) await writeFile(args.json, `${JSON.stringify(report, null, 2)}\n`);
process.exitCode = report.ok ? 0 : 1;
