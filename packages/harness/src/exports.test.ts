import { describe, expect, it } from 'vitest';
import * as harness from './index.js';

describe('@emodistill/harness public API', () => {
  it('exports exactly these values (update this list deliberately when the API changes)', () => {
    // arrange / act
    const names = Object.keys(harness).sort();

    // assert
    expect(names).toEqual([
      'HARNESS_ERRORS',
      'HarnessError',
      'TRAINING_SLOTS_ENV',
      'adminRequest',
      'cliExecutable',
      'createTrainingSlots',
      'evaluateGenerator',
      'runSimulation',
      'setUpFederation',
      'spawnCli',
      'spawnCoordinator',
      'splitSpeakersOverSites',
      'trainingSlotFromParent',
    ]);
  });
});
