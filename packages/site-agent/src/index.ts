export { joinFederation } from './agent.js';
export { loadSiteConfig, resolveSiteConfig, SiteConfigSchema } from './config.js';
export { prepareUpdate, statisticsPayload, weightDelta } from './local-update.js';
export { SITE_AGENT_ERRORS, SiteAgentError } from './errors.js';

export type { FederationOutcome, JoinOptions, SiteAgent, SiteProgress } from './agent.js';
export type { SiteConfig } from './config.js';
export type { SiteAgentErrorCode } from './errors.js';
export type { PreparedUpdate, StatisticsRelease } from './local-update.js';
