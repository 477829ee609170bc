/**
 * @emodistill/harness: a federation on this machine with real processes, for the CLI's `simulate` and
 * `demo` commands, the benchmarks in tools/ and the end-to-end tests. It writes a federation's keys,
 * feature sets and configs, runs `emodistill` processes (a coordinator, site agents), talks to the
 * coordinator's admin API, and evaluates the exported generator.
 */
export { adminRequest } from './admin-client.js';
export { evaluateGenerator, runSimulation } from './run-simulation.js';
export { setUpFederation, splitSpeakersOverSites } from './federation-setup.js';
export { cliExecutable, spawnCli, spawnCoordinator } from './processes.js';
export { HARNESS_ERRORS, HarnessError } from './errors.js';
export { createTrainingSlots, trainingSlotFromParent, TRAINING_SLOTS_ENV } from './training-slots.js';

export type { AdminEndpoint } from './admin-client.js';
export type { SimulationOptions, SimulationResult } from './run-simulation.js';
export type { FederationLayout, FederationSetupOptions } from './federation-setup.js';
export type { CliProcess } from './processes.js';
export type { HarnessErrorCode } from './errors.js';
export type { TrainingSlots } from './training-slots.js';
