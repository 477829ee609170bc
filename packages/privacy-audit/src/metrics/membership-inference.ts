import type { MembershipAttack } from '@emodistill/core';
import { bootstrap, type BootstrapOptions, type Estimate } from './bootstrap.js';
import { nearestDistances, type Rows } from './distances.js';
import { speakerPermutationNull, type PowerLimit } from './permutation-null.js';
import { rocAuc, rocCurve, tprAtFpr, type RocPoint } from './roc.js';

/** Real utterances with their speakers, in the audit's standardised space. */
export interface LabelledRows extends Rows {
  readonly speakers: readonly string[];
}

export interface AttackResult {
  readonly name: MembershipAttack;
  /** What the score measures, for the report. */
  readonly description: string;
  /** Speaker-level ROC AUC (one score per speaker: the mean over their utterances), speakers resampled. */
  readonly speakerAuc: Estimate;
  /** Utterance-level ROC AUC with a cluster bootstrap over speakers (utterances of a speaker are not independent). */
  readonly utteranceAuc: Estimate;
  readonly tprAtFpr1: number;
  readonly tprAtFpr10: number;
  /** Utterance-level ROC curve, for the report's plot. */
  readonly roc: readonly RocPoint[];
  /** The utterance AUC chance alone reaches with these speakers (speaker-level permutation null). */
  readonly powerLimit: PowerLimit;
}

export interface MembershipOptions extends BootstrapOptions {
  /** Speaker relabellings of the permutation null (default 1000). */
  readonly permutations?: number;
}

export interface MembershipResult {
  readonly nearestNeighbour: AttackResult;
  readonly referenceRatio: AttackResult;
  readonly memberSpeakers: number;
  readonly holdoutSpeakers: number;
}

function attack(
  [name, description]: [MembershipAttack, string],
  utteranceScores: Float64Array,
  isMember: (0 | 1)[],
  speakerOf: readonly string[],
  options: MembershipOptions,
): AttackResult {
  const speakers = [...new Set(speakerOf)];
  const rowsOf = new Map(speakers.map((s) => [s, [] as number[]]));
  speakerOf.forEach((speaker, row) => rowsOf.get(speaker)!.push(row));
  const speakerScore = speakers.map(
    (s) => rowsOf.get(s)!.reduce((sum, row) => sum + utteranceScores[row]!, 0) / rowsOf.get(s)!.length,
  );
  const speakerMember = speakers.map((s) => isMember[rowsOf.get(s)![0]!]!);
  const aucOf = (scores: number[], labels: (0 | 1)[]): number =>
    labels.includes(0) && labels.includes(1) ? rocAuc(rocCurve(scores, labels)) : Number.NaN;
  const roc = rocCurve(utteranceScores, isMember);
  const members = new Set(speakers.filter((_, i) => speakerMember[i] === 1));
  return {
    name,
    description,
    speakerAuc: bootstrap(
      speakers.length,
      (units) =>
        aucOf(
          units.map((u) => speakerScore[u]!),
          units.map((u) => speakerMember[u]!),
        ),
      options,
    ),
    utteranceAuc: bootstrap(
      speakers.length,
      (units) => {
        const rows = units.flatMap((u) => rowsOf.get(speakers[u]!)!);
        return aucOf(
          rows.map((r) => utteranceScores[r]!),
          rows.map((r) => isMember[r]!),
        );
      },
      options,
    ),
    tprAtFpr1: tprAtFpr(roc, 0.01),
    tprAtFpr10: tprAtFpr(roc, 0.1),
    roc,
    powerLimit: speakerPermutationNull(utteranceScores, speakerOf, members, {
      permutations: options.permutations ?? 1000,
      seed: options.seed ?? 0,
    }),
  };
}

/**
 * Speaker membership inference from a synthetic set: can an attacker tell whether a speaker's
 * recordings trained the generator? Two attack scores per utterance (higher = "member"):
 * - nearest neighbour: −d(x, synthetic), the distance to the closest synthetic sample;
 * - reference ratio: −log(d(x, synthetic) / d(x, other speakers' real utterances)), which discounts
 *   utterances that are simply typical (close to everything), as shadow-reference attacks do.
 */
export function inferMembership(
  synthetic: Rows,
  members: LabelledRows,
  holdout: LabelledRows,
  options: MembershipOptions = {},
): MembershipResult {
  const real: LabelledRows = {
    values: concat(members.values, holdout.values),
    dimension: members.dimension,
    speakers: [...members.speakers, ...holdout.speakers],
  };
  const isMember = real.speakers.map((_, i) => (i < members.speakers.length ? 1 : 0) as 0 | 1);
  const toSynthetic = nearestDistances(real, synthetic).first;
  const toOthers = nearestDistances(real, real, (q, r) => real.speakers[q] === real.speakers[r]).first;
  const nearest = Float64Array.from(toSynthetic, (d) => -d);
  const ratio = Float64Array.from(toSynthetic, (d, i) => -Math.log((d + 1e-9) / (toOthers[i]! + 1e-9)));
  return {
    nearestNeighbour: attack(
      ['nearest-neighbour', '−distance to the nearest synthetic sample'],
      nearest,
      isMember,
      real.speakers,
      options,
    ),
    referenceRatio: attack(
      ['reference-ratio', '−log(distance to synthetic / distance to other speakers’ real utterances)'],
      ratio,
      isMember,
      real.speakers,
      options,
    ),
    memberSpeakers: new Set(members.speakers).size,
    holdoutSpeakers: new Set(holdout.speakers).size,
  };
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
