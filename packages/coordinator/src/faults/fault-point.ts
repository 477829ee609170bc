/**
 * Crash points for the chaos harness (`npm run bench:chaos`): aggregation takes milliseconds, so a
 * kill aimed at it from outside would rarely land. `EMODISTILL_FAULT=<point>[@<n>]` makes the n-th
 * (default first) arrival at `point` SIGKILL this process. Unset (production), every call returns
 * at once and nothing else changes.
 */
export const FAULT_POINTS = {
  /** An update's payload and row are committed; the acknowledgement is not yet sent. */
  afterUpdateCommit: 'after-update-commit',
  /** A round's updates are aggregated; the new version is not yet written. */
  beforeVersionWrite: 'before-version-write',
  /** The version's bundle file is on disk; its row (and the round's closing) is not yet committed. */
  afterVersionFile: 'after-version-file',
} as const;
export type FaultPoint = (typeof FAULT_POINTS)[keyof typeof FAULT_POINTS];

const armed = parseFault(process.env.EMODISTILL_FAULT);
let arrivals = 0;

function parseFault(value: string | undefined): { point: string; nth: number } | undefined {
  if (!value) return undefined;
  const [point = '', nth = '1'] = value.split('@');
  return { point, nth: Math.max(1, Number.parseInt(nth, 10) || 1) };
}

export function faultPoint(point: FaultPoint): void {
  if (armed?.point !== point) return;
  arrivals += 1;
  if (arrivals === armed.nth) process.kill(process.pid, 'SIGKILL');
}
