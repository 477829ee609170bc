import { readFile, rename, writeFile } from 'node:fs/promises';
import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  composeCurves,
  epsilonFromRdp,
  groupPrivacy,
  privateMomentsMechanism,
  privateStepCount,
  rdpCurve,
  type DistillConfig,
  type FeatureSet,
} from '@emodistill/core';
import { SITE_AGENT_ERRORS, SiteAgentError } from './errors.js';

/**
 * One private release of a round — a training, or round 0's moments — with what the accountant
 * needs to compose it with the others. Entries written before `kind` existed are trainings.
 */
const LedgerEntrySchema: TSchema = Type.Object(
  {
    round: Type.Integer({ minimum: 0 }),
    kind: Type.Optional(Type.Union([Type.Literal('training'), Type.Literal('statistics')])),
    samplingRate: Type.Number({ minimum: 0, maximum: 1 }),
    noiseMultiplier: Type.Number({ minimum: 0 }),
    /** Releases that read real rows: a training's critic updates, or the moments' Gaussian releases. */
    steps: Type.Integer({ minimum: 0 }),
    at: Type.String(),
  },
  { additionalProperties: false },
);
const PrivacyLedgerSchema: TSchema = Type.Object(
  { version: Type.Literal(1), siteId: Type.String(), entries: Type.Array(LedgerEntrySchema) },
  { additionalProperties: false },
);
export interface LedgerEntry {
  readonly round: number;
  /** Absent in entries written before round 0 was private: a training. */
  readonly kind?: 'training' | 'statistics';
  readonly samplingRate: number;
  readonly noiseMultiplier: number;
  readonly steps: number;
  readonly at: string;
}
export interface PrivacyLedger {
  readonly version: 1;
  readonly siteId: string;
  readonly entries: readonly LedgerEntry[];
}

/** What this site has spent, and would spend with one more round. */
export interface PrivacySpent {
  readonly epsilonUtterance: number;
  readonly epsilonSpeaker: number;
  readonly delta: number;
}

/**
 * The site's ledger of private trainings, or an empty one when the file does not exist yet. A
 * ledger of another site, or one that does not parse, is refused: starting over would forget spending.
 */
export async function readPrivacyLedger(path: string, siteId: string): Promise<PrivacyLedger> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, siteId, entries: [] };
    throw ledgerError(path, (error as Error).message);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw ledgerError(path, 'it is not JSON');
  }
  if (!Value.Check(PrivacyLedgerSchema, parsed)) {
    const first = Value.Errors(PrivacyLedgerSchema, parsed).First();
    throw ledgerError(path, `field ${first?.path || '/'}: ${first?.message ?? 'invalid'}`);
  }
  const ledger = parsed as PrivacyLedger;
  if (ledger.siteId !== siteId) throw ledgerError(path, `it is site ${ledger.siteId}'s, not ${siteId}'s`);
  return ledger;
}

/** Appends an entry, written through a temporary file and a rename (a crash never loses the ledger). */
export async function recordPrivateTraining(
  path: string,
  ledger: PrivacyLedger,
  entry: LedgerEntry,
): Promise<PrivacyLedger> {
  const next = { ...ledger, entries: [...ledger.entries, entry] };
  await writeFile(`${path}.tmp`, `${JSON.stringify(next, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
  return next;
}

/** ε per utterance and per speaker (group privacy over the site's largest speaker) of these releases. */
export function privacySpent(entries: readonly LedgerEntry[], delta: number, set: FeatureSet): PrivacySpent {
  const curve = composeCurves(entries.map((entry) => rdpCurve(entry)));
  const spend = epsilonFromRdp(curve, delta);
  const perSpeaker = new Map<string, number>();
  for (const speaker of set.speakers) perSpeaker.set(speaker, (perSpeaker.get(speaker) ?? 0) + 1);
  return {
    epsilonUtterance: spend.epsilon,
    epsilonSpeaker: groupPrivacy(spend, Math.max(1, ...perSpeaker.values())).epsilon,
    delta,
  };
}

/**
 * The ledger entry of training `localSteps` generator steps of a round on `set` under `distill`,
 * after checking the site's budget: a round that would take ε per utterance above `maxEpsilon`
 * (or any non-private round, when the site has a budget) is refused before it reads a row.
 */
export function planPrivateTraining(
  options: { round: number; localSteps: number; distill: DistillConfig; set: FeatureSet; maxEpsilon?: number },
  ledger: PrivacyLedger,
): { entry: LedgerEntry; spent: PrivacySpent } | undefined {
  const { round, localSteps, distill, set, maxEpsilon } = options;
  if (distill.dpClipNorm === 0) {
    if (maxEpsilon !== undefined)
      throw new SiteAgentError(
        SITE_AGENT_ERRORS.privacyBudgetExceeded,
        `round ${round} trains without differential privacy (the round plan's dpClipNorm is 0), and this site has privacy.maxEpsilon ${maxEpsilon}: not training`,
      );
    return undefined;
  }
  const entry: LedgerEntry = {
    round,
    kind: 'training',
    samplingRate: Math.min(1, distill.batchSize / set.ids.length),
    noiseMultiplier: distill.dpNoiseMultiplier,
    steps: privateStepCount(distill, localSteps),
    at: new Date().toISOString(),
  };
  return { entry, spent: checkBudget(entry, { ledger, delta: distill.dpDelta, set, maxEpsilon }, 'training') };
}

/**
 * The ledger entry of round 0's private moments (core privateMoments: Gaussian releases at
 * sampling rate 1, `privateMomentsMechanism(σ).steps` of them), after checking the site's budget
 * as a training round's: over `maxEpsilon`, the moments are refused before a row is read.
 */
export function planPrivateStatistics(
  options: { round: number; noiseMultiplier: number; delta: number; set: FeatureSet; maxEpsilon?: number },
  ledger: PrivacyLedger,
): { entry: LedgerEntry; spent: PrivacySpent } {
  const { round, noiseMultiplier, delta, set, maxEpsilon } = options;
  const entry: LedgerEntry = {
    round,
    kind: 'statistics',
    ...privateMomentsMechanism(noiseMultiplier),
    at: new Date().toISOString(),
  };
  return { entry, spent: checkBudget(entry, { ledger, delta, set, maxEpsilon }, 'sending its statistics') };
}

/** What the ledger with `entry` spends; throws PRIVACY_BUDGET_EXCEEDED when that passes `maxEpsilon`. */
function checkBudget(
  entry: LedgerEntry,
  context: { ledger: PrivacyLedger; delta: number; set: FeatureSet; maxEpsilon?: number },
  refused: string,
): PrivacySpent {
  const { ledger, delta, set, maxEpsilon } = context;
  const spent = privacySpent([...ledger.entries, entry], delta, set);
  if (maxEpsilon !== undefined && !(spent.epsilonUtterance <= maxEpsilon))
    throw new SiteAgentError(
      SITE_AGENT_ERRORS.privacyBudgetExceeded,
      `round ${entry.round} would take this site's ε to ${spent.epsilonUtterance.toFixed(2)} per utterance (δ = ${spent.delta}), above its privacy.maxEpsilon ${maxEpsilon}: not ${refused}`,
    );
  return spent;
}

function ledgerError(path: string, why: string): SiteAgentError {
  return new SiteAgentError(
    SITE_AGENT_ERRORS.privacyLedgerUnreadable,
    `privacy ledger ${path} cannot be used (${why}); it records what this site has spent, so training stops until it is restored`,
  );
}
