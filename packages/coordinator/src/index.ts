export { buildApp, UPDATE_HEADER } from './app.js';
export { openStore } from './store/store.js';

export type { AppOptions } from './app.js';
export type { AcceptedUpdate, CoordinatorStore, RoundRecord, SiteRecord } from './store/store.js';
