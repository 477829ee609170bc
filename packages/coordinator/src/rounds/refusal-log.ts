import type { RefusalSummary, RefusalView } from '@emodistill/core/federation';

/** Longest refusal message kept (a message may quote what the sender claimed). */
const MESSAGE_MAX_CHARS = 300;

/**
 * Refused updates since the coordinator started, for the operator: counts by reason and the most
 * recent few, per allow-listed site and for senders naming no such site. In memory and bounded
 * (a flood of refusals costs no disk and no more memory than the allow-list's size allows).
 */
export interface RefusalLog {
  /** Records a refusal under `siteId` when given (pass it only for a site on the allow-list), else unattributed. */
  record(refusal: RefusalView, siteId?: string): void;
  /** Refusals of every sender by reason. */
  totals(): ReadonlyMap<string, number>;
  ofSite(siteId: string): RefusalSummary;
  unattributed(): RefusalSummary;
}

interface Bucket {
  total: number;
  readonly byReason: Map<string, number>;
  /** Newest first. */
  readonly recent: RefusalView[];
}

const emptyBucket = (): Bucket => ({ total: 0, byReason: new Map(), recent: [] });

const summaryOf = (bucket: Bucket): RefusalSummary => ({
  total: bucket.total,
  byReason: Object.fromEntries(bucket.byReason),
  recent: bucket.recent.map((refusal) => ({ ...refusal })),
});

/** A refusal log keeping the `recentKept` latest refusals of each site (and of unattributed senders). */
export function createRefusalLog(recentKept = 20): RefusalLog {
  const sites = new Map<string, Bucket>();
  const unattributed = emptyBucket();
  const totals = new Map<string, number>();
  return {
    record(refusal, siteId) {
      let bucket = unattributed;
      if (siteId !== undefined) {
        bucket = sites.get(siteId) ?? emptyBucket();
        sites.set(siteId, bucket);
      }
      bucket.total++;
      bucket.byReason.set(refusal.reason, (bucket.byReason.get(refusal.reason) ?? 0) + 1);
      bucket.recent.unshift({ ...refusal, message: refusal.message.slice(0, MESSAGE_MAX_CHARS) });
      bucket.recent.length = Math.min(bucket.recent.length, recentKept);
      totals.set(refusal.reason, (totals.get(refusal.reason) ?? 0) + 1);
    },
    totals: () => totals,
    ofSite: (siteId) => summaryOf(sites.get(siteId) ?? emptyBucket()),
    unattributed: () => summaryOf(unattributed),
  };
}
