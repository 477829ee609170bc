import { describe, expect, it } from 'vitest';
import * as coordinator from './index.js';

describe('@emodistill/coordinator public API', () => {
  it('exports exactly these values (update this list deliberately when the API changes)', () => {
    // arrange / act
    const names = Object.keys(coordinator).sort();

    // assert
    expect(names).toEqual([
      'COORDINATOR_ERRORS',
      'CoordinatorConfigSchema',
      'CoordinatorError',
      'buildCoordinatorApp',
      'createStrategy',
      'loadCoordinatorConfig',
      'openStore',
      'resolveCoordinatorConfig',
      'startCoordinator',
    ]);
  });
});
