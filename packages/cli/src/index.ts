export { buildProgram, main } from './main.js';
export { EXIT_CODES } from './exit-codes.js';
export { evaluateGenerator, runSimulation } from './simulation/run-simulation.js';
export { setUpFederation, splitSpeakersOverSites } from './simulation/federation-setup.js';
export { CLI_BIN, spawnCli, spawnCoordinator } from './simulation/processes.js';

export type { CliIo } from './main.js';
export type { PublicStatus, SimulationOptions, SimulationResult } from './simulation/run-simulation.js';
export type { FederationLayout, FederationSetupOptions } from './simulation/federation-setup.js';
export type { CliProcess } from './simulation/processes.js';
