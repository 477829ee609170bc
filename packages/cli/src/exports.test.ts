import { describe, expect, it } from 'vitest';
import * as cli from './index.js';

describe('@emodistill/cli public API', () => {
  it('exports exactly these values (update this list deliberately when the API changes)', () => {
    // arrange / act
    const names = Object.keys(cli).sort();

    // assert
    expect(names).toEqual(['CLI_ERRORS', 'CliError', 'EXIT_CODES', 'buildProgram', 'main']);
  });
});
