import { createRng } from '@emodistill/core';

/** What chance alone gives an attack on this audit's speakers, and what a pass would need. */
export interface PowerLimit {
  /** The `quantile` (0.975) of the utterance AUC over random speaker relabellings. */
  readonly limit: number;
  readonly quantile: number;
  readonly permutations: number;
  readonly memberSpeakers: number;
  readonly holdoutSpeakers: number;
}

/** Mid-ranks (1-based; ties share their mean rank) of `scores`, so rank sums give the tie-corrected AUC. */
export function midRanks(scores: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const ranks = new Float64Array(scores.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && scores[order[end]!] === scores[order[start]!]) end++;
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]!] = rank;
    start = end;
  }
  return ranks;
}

/**
 * The speaker-level permutation null of a membership attack: reassign the audit's speakers at
 * random into member and holdout groups of the observed sizes (scores stay; only the labels move)
 * and take the `quantile` of the utterance AUC. A generator that never saw any of these speakers
 * scores like one of these relabellings, so an upper bound it can reach by chance is what this
 * holdout can rule out at best. Each relabelling costs O(speakers): the AUC is the Mann–Whitney
 * statistic from the speakers' rank sums.
 */
export function speakerPermutationNull(
  scores: ArrayLike<number>,
  speakerOf: readonly string[],
  memberSpeakers: ReadonlySet<string>,
  options: { permutations: number; seed?: number; quantile?: number },
): PowerLimit {
  const ranks = midRanks(scores);
  const speakers = [...new Set(speakerOf)];
  const index = new Map(speakers.map((s, i) => [s, i]));
  const rankSum = new Float64Array(speakers.length);
  const count = new Float64Array(speakers.length);
  speakerOf.forEach((speaker, row) => {
    const i = index.get(speaker)!;
    rankSum[i]! += ranks[row]!;
    count[i]! += 1;
  });
  const members = speakers.filter((s) => memberSpeakers.has(s)).length;
  const total = scores.length;
  const rng = createRng(options.seed ?? 0);
  const order = speakers.map((_, i) => i);
  const aucs = new Float64Array(options.permutations);
  for (let p = 0; p < options.permutations; p++) {
    // Partial Fisher–Yates: the first `members` positions are a uniform random member group.
    for (let k = 0; k < members; k++) {
      const j = k + Math.floor(rng.next() * (order.length - k));
      [order[k], order[j]] = [order[j]!, order[k]!];
    }
    let positives = 0;
    let sum = 0;
    for (let k = 0; k < members; k++) {
      positives += count[order[k]!]!;
      sum += rankSum[order[k]!]!;
    }
    const negatives = total - positives;
    aucs[p] = (sum - (positives * (positives + 1)) / 2) / (positives * negatives);
  }
  aucs.sort();
  const quantile = options.quantile ?? 0.975;
  return {
    limit: aucs[Math.min(aucs.length - 1, Math.ceil(quantile * aucs.length) - 1)]!,
    quantile,
    permutations: options.permutations,
    memberSpeakers: members,
    holdoutSpeakers: speakers.length - members,
  };
}

/**
 * About how many holdout speakers (with the same members) would bring the power limit to τ or
 * under. Under speaker relabelling the AUC's spread scales as √(1/m + 1/h) for m member and h
 * holdout speakers (the between-speaker spread of scores stays), so the limit's excess over 0.5 is
 * c·√(1/m + 1/h) with c fitted on this audit. `undefined` when no number of holdout speakers is
 * enough with these members (then both groups must grow).
 */
export function holdoutSpeakersNeeded(power: PowerLimit, tau: number): number | undefined {
  if (power.limit <= tau) return power.holdoutSpeakers;
  const inverseHoldout = ((tau - 0.5) / nullScale(power)) ** 2 - 1 / power.memberSpeakers;
  return inverseHoldout > 0 ? Math.ceil(1 / inverseHoldout) : undefined;
}

/** Speakers per group for a balanced audit (m = h) whose power limit would reach τ, by the same scaling. */
export function balancedSpeakersNeeded(power: PowerLimit, tau: number): number {
  return Math.ceil((2 * nullScale(power) ** 2) / (tau - 0.5) ** 2);
}

/** c in limit − 0.5 = c·√(1/m + 1/h), fitted on this audit's speakers. */
function nullScale(power: PowerLimit): number {
  return (power.limit - 0.5) / Math.sqrt(1 / power.memberSpeakers + 1 / power.holdoutSpeakers);
}
