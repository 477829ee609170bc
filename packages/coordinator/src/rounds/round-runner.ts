import { canonicalBytes, signBytes, type KeyPair, type Signed } from '@emodistill/core/federation';
import type { FastifyBaseLogger } from 'fastify';
import type { CoordinatorConfig } from '../config.js';
import { createFederationStrategy } from '../strategies/federation-strategy.js';
import type { CoordinatorStore } from '../store/store.js';
import { systemClock, type Clock } from './clock.js';
import { createRoundScheduler, type RoundScheduler, type SiteTransport } from './scheduler.js';

export type { RunnerStatus, SiteTransport } from './scheduler.js';

/** What the rest of the coordinator drives rounds through (the admin API, the site gateway, the update route). */
export type RoundRunner = RoundScheduler;

export interface RoundRunnerOptions {
  readonly store: CoordinatorStore;
  readonly config: CoordinatorConfig;
  readonly keys: KeyPair;
  readonly log: FastifyBaseLogger;
  readonly transport: SiteTransport;
  /** The real clock unless a test injects one. */
  readonly clock?: Clock;
}

/**
 * The coordinator's rounds: the scheduler (timers, quorum, store transitions) over the federation
 * strategy (who takes part, what they are told, how their updates become the next version), signing
 * with the coordinator's key.
 */
export function createRoundRunner(options: RoundRunnerOptions): RoundRunner {
  const { store, config, keys, transport } = options;
  const clock = options.clock ?? systemClock;
  const sign = <T>(body: T): Signed<T> => ({ body, signature: signBytes(canonicalBytes(body), keys.secretKey) });
  return createRoundScheduler({
    store,
    rounds: config.rounds,
    transport,
    strategy: createFederationStrategy({ config, store, now: () => clock.now() }),
    sign,
    log: options.log.child({ component: 'rounds' }),
    clock,
  });
}
