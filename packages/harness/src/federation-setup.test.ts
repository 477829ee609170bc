import { describe, expect, it } from 'vitest';
import { splitSpeakersOverSites } from './federation-setup.js';

describe('splitSpeakersOverSites', () => {
  it('deals whole speakers round robin, in numeric order', () => {
    expect(splitSpeakersOverSites(['10', '3', '3', '8', '16', '9', '11'], 2)).toEqual([
      ['3', '9', '11'],
      ['8', '10', '16'],
    ]);
  });

  it('leaves a site empty when there are fewer speakers than sites', () => {
    expect(splitSpeakersOverSites(['b', 'a'], 3)).toEqual([['a'], ['b'], []]);
  });
});
