/**
 * Everything in core, by layer: `@emodistill/core/federation` (no tfjs), `/speech` (no tfjs),
 * `/learning` (tfjs). Import a layer where the module graph matters (the coordinator imports only
 * the federation layer).
 */
export * from './federation.js';
export * from './speech.js';
export * from './learning.js';
