import {
  canonicalBytes,
  checkMessage,
  REQUEST_MAX_SKEW_MS,
  UPDATE_REJECTIONS,
  validateUpdate,
  validateUpdateHeader,
  verifyBytes,
  type UpdateHeader,
  type UpdateHeaderContext,
  type UpdateRejection,
} from '@emodistill/core/federation';
import type { CoordinatorConfig } from '../config.js';
import type { RoundKind, RoundRecord, SiteRecord } from '../store/store.js';
import { generatorArchitecture, generatorLayout, type TensorLayout } from '../strategies/global-model.js';
import { checkStatistics, statisticsLayout, type FirstStatistics } from '../strategies/statistics-round.js';

/**
 * An update upload at one of its two stages: its signed header, before the body is read (so a
 * refused upload costs no buffering), then the whole of it, checked again against the store.
 */
export type Upload =
  | {
      readonly stage: 'header';
      /** The round named in the request's path. */
      readonly roundInPath: number;
      /** The signed envelope, as parsed from the update header. */
      readonly envelope: unknown;
      /** The body's declared length (NaN when undeclared). */
      readonly declaredBytes: number;
    }
  | {
      readonly stage: 'body';
      readonly roundInPath: number;
      readonly envelope: unknown;
      readonly payload: Uint8Array;
    };

/** What the store and the config say when an update arrives. */
export interface IntakeContext {
  /** The allow-list, revoked sites included. */
  readonly sites: readonly SiteRecord[];
  /** The store's latest round, open or not. */
  readonly round: RoundRecord | undefined;
  /** Milliseconds since the epoch. */
  readonly now: number;
  readonly limits: Pick<CoordinatorConfig['limits'], 'maxPayloadBytes' | 'maxUpdateNorm' | 'maxExamplesPerSite'>;
  /** Tensor names and shapes an update must have, per kind of round. */
  readonly layouts: Readonly<Record<RoundKind, TensorLayout>>;
  /** Classes and feature dimension every site's statistics must have. */
  readonly model: Pick<CoordinatorConfig['model'], 'classNames' | 'featureDimension'>;
  /** The accepted update that used `nonce` (any round), if any. */
  acceptedByNonce(
    nonce: string,
  ): { readonly round: number; readonly siteId: string; readonly sha256: string } | undefined;
  hasUpdate(round: number, siteId: string): boolean;
  /** The round's first accepted statistics (by site id), if any. */
  firstStatistics(round: number): FirstStatistics | undefined;
}

export type IntakeVerdict =
  /** Refused: nothing is stored. `siteId` is the claimed sender when the header names one. */
  | {
      readonly verdict: 'rejected';
      readonly reason: UpdateRejection;
      readonly message: string;
      readonly siteId?: string;
    }
  /** A genuine re-send of an update already accepted (its acknowledgement was lost): answer as before. */
  | { readonly verdict: 'resent'; readonly round: number; readonly siteId: string }
  /** The header passed every check it can settle: read the body. */
  | { readonly verdict: 'admitted'; readonly header: UpdateHeader }
  /** The whole update passed: store it. */
  | { readonly verdict: 'accepted'; readonly round: number; readonly header: UpdateHeader; readonly norm: number };

/** Tensor layouts of statistics and training updates under this config. */
export function updateLayouts(model: CoordinatorConfig['model']): Readonly<Record<RoundKind, TensorLayout>> {
  return {
    statistics: statisticsLayout(model.featureDimension),
    training: generatorLayout(generatorArchitecture(model)),
  };
}

const reject = (reason: UpdateRejection, message: string, siteId?: string): IntakeVerdict => ({
  verdict: 'rejected',
  reason,
  message,
  ...(siteId !== undefined && { siteId }),
});

function headerContext(round: RoundRecord, context: IntakeContext): UpdateHeaderContext {
  return {
    sitePublicKeys: new Map(context.sites.filter((s) => !s.revoked).map((s) => [s.siteId, s.publicKey])),
    round: round.round,
    baseVersion: round.baseVersion,
    participants: new Set(round.participants),
    timeWindow: {
      notBefore: new Date(Date.parse(round.openedAt) - REQUEST_MAX_SKEW_MS),
      notAfter: new Date(context.now + REQUEST_MAX_SKEW_MS),
    },
    maxExamples: context.limits.maxExamplesPerSite,
    seenNonces: { has: (nonce) => context.acceptedByNonce(nonce) !== undefined },
    acceptedSites: { has: (siteId) => context.hasUpdate(round.round, siteId) },
  };
}

/**
 * Admits or refuses an update: identity, signature, round, participation, time, replay and size
 * from the signed header; then hash, layout, finiteness, norm and (statistics round) the moments
 * and feature space from the body. Reads nothing but its arguments and changes nothing.
 */
export function intakeUpdate(upload: Upload, context: IntakeContext): IntakeVerdict {
  return upload.stage === 'header' ? screenHeader(upload, context) : checkBody(upload, context);
}

function screenHeader(upload: Extract<Upload, { stage: 'header' }>, context: IntakeContext): IntakeVerdict {
  const { roundInPath, envelope, declaredBytes } = upload;
  const { maxPayloadBytes } = context.limits;
  const checked = checkMessage('signedUpdate', envelope);
  if (!checked.ok) return reject(UPDATE_REJECTIONS.malformed, checked.reason);
  const { header, signature } = checked.message;
  const siteRecord = context.sites.find((s) => s.siteId === header.siteId);
  // A site whose acknowledgement was lost re-sends the same signed update: answer as before.
  const previous = context.acceptedByNonce(header.nonce);
  if (previous) {
    const genuineResend =
      siteRecord &&
      !siteRecord.revoked &&
      previous.round === roundInPath &&
      previous.siteId === header.siteId &&
      previous.sha256 === header.sha256 &&
      verifyBytes(canonicalBytes(header), signature, siteRecord.publicKey);
    if (!genuineResend)
      return reject(
        UPDATE_REJECTIONS.replay,
        `nonce of an update accepted in round ${previous.round} was used again (replayed upload)`,
        header.siteId,
      );
    return { verdict: 'resent', round: previous.round, siteId: previous.siteId };
  }
  // Identity before round state: a revoked or unknown site hears that, whatever the round.
  if (!siteRecord || siteRecord.revoked)
    return reject(
      UPDATE_REJECTIONS.unknownSite,
      siteRecord ? `site "${header.siteId}" was revoked` : `site "${header.siteId}" is not on the allow-list`,
      header.siteId,
    );
  // Only a genuine site learns anything about the round's state.
  if (!verifyBytes(canonicalBytes(header), signature, siteRecord.publicKey))
    return reject(
      UPDATE_REJECTIONS.badSignature,
      `signature of site "${header.siteId}" does not verify`,
      header.siteId,
    );
  const round = context.round;
  if (!round || round.state !== 'open' || round.round !== roundInPath)
    return reject(
      UPDATE_REJECTIONS.wrongRound,
      round?.state === 'open'
        ? `round ${round.round} is open, not ${roundInPath}`
        : `round ${roundInPath} is not open (late or stale update)`,
      header.siteId,
    );
  const verdict = validateUpdateHeader(envelope, headerContext(round, context));
  if (!verdict.accepted) return reject(verdict.reason, verdict.message, header.siteId);
  if (declaredBytes > maxPayloadBytes)
    return reject(
      UPDATE_REJECTIONS.oversized,
      `declared body of ${declaredBytes} bytes exceeds the ${maxPayloadBytes}-byte limit`,
      header.siteId,
    );
  return { verdict: 'admitted', header };
}

function checkBody(upload: Extract<Upload, { stage: 'body' }>, context: IntakeContext): IntakeVerdict {
  const { roundInPath, envelope, payload } = upload;
  // The round may have moved on while the body arrived: everything is checked again.
  const round = context.round;
  if (!round || round.state !== 'open' || round.round !== roundInPath)
    return reject(UPDATE_REJECTIONS.wrongRound, `round ${roundInPath} closed while the update was arriving`);
  const verdict = validateUpdate(envelope, payload, {
    ...headerContext(round, context),
    layout: context.layouts[round.kind],
    maxPayloadBytes: context.limits.maxPayloadBytes,
    // Moments are not a step in weight space: the norm bound applies to training updates only.
    maxNorm: round.kind === 'training' ? context.limits.maxUpdateNorm : Number.POSITIVE_INFINITY,
  });
  if (!verdict.accepted) return reject(verdict.reason, verdict.message);
  const statisticsProblem =
    round.kind === 'statistics'
      ? checkStatistics(context.model, () => context.firstStatistics(round.round), verdict.metadata, verdict.delta)
      : undefined;
  if (statisticsProblem) return reject(UPDATE_REJECTIONS.featureSpace, statisticsProblem);
  return { verdict: 'accepted', round: round.round, header: verdict.header, norm: verdict.norm };
}
