import { describe, expect, it } from 'vitest';
import * as siteAgent from './index.js';

describe('@emodistill/site-agent public API', () => {
  it('exports exactly these values (update this list deliberately when the API changes)', () => {
    // arrange / act
    const names = Object.keys(siteAgent).sort();

    // assert
    expect(names).toEqual([
      'SITE_AGENT_ERRORS',
      'SiteAgentError',
      'SiteConfigSchema',
      'joinFederation',
      'loadSiteConfig',
      'prepareUpdate',
      'resolveSiteConfig',
      'statisticsPayload',
      'weightDelta',
    ]);
  });
});
