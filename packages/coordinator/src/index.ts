export { buildCoordinatorApp } from './app.js';
export { startCoordinator } from './server.js';
export { CoordinatorConfigSchema, loadCoordinatorConfig, resolveCoordinatorConfig } from './config.js';
export { openStore } from './store/store.js';
export { createStrategy } from './strategies/registry.js';
export { COORDINATOR_ERRORS, CoordinatorError } from './errors.js';

export type { AppOptions, CoordinatorApp } from './app.js';
export type { RunningCoordinator } from './server.js';
export type { CoordinatorConfig } from './config.js';
export type { CoordinatorErrorCode } from './errors.js';
export type {
  AcceptedUpdate,
  CoordinatorStore,
  RoundDrift,
  RoundKind,
  RoundRecord,
  RoundState,
  SiteRecord,
  UpdateRecord,
  VersionRecord,
} from './store/store.js';
export type { AggregationStrategy, SiteDelta, StrategyId } from './strategies/registry.js';
export type { RoundRunner, RunnerStatus } from './rounds/round-runner.js';
