import { describe, expect, it } from 'vitest';
import { EmodistillError, ERROR_CODES } from '@emodistill/core';
import { COORDINATOR_ERRORS, CoordinatorError } from '@emodistill/coordinator';
import { HARNESS_ERRORS } from '@emodistill/harness';
import { PRIVACY_AUDIT_ERRORS } from '@emodistill/privacy-audit';
import { SITE_AGENT_ERRORS, SiteAgentError } from '@emodistill/site-agent';
import { CLI_ERRORS, CliError } from './errors.js';
import { EXIT_CODES, exitCodeOf } from './exit-codes.js';

/** Every package's codes: `emodistill: error [CODE] …` names one of these. */
const CODES_BY_PACKAGE = {
  core: ERROR_CODES,
  coordinator: COORDINATOR_ERRORS,
  'site-agent': SITE_AGENT_ERRORS,
  'privacy-audit': PRIVACY_AUDIT_ERRORS,
  harness: HARNESS_ERRORS,
  cli: CLI_ERRORS,
};

describe('error codes', () => {
  it('are SCREAMING_SNAKE_CASE and unique across every package, so a printed code names its package', () => {
    // arrange
    const owners = Object.entries(CODES_BY_PACKAGE).flatMap(([owner, codes]) =>
      Object.values(codes).map((code: string) => ({ owner, code })),
    );

    // act
    const duplicates = owners.filter(({ code }, i) => owners.findIndex((other) => other.code === code) !== i);

    // assert
    expect(duplicates).toEqual([]);
    for (const { code } of owners) expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
  });
});

describe('exitCodeOf', () => {
  it("exits 1 for any package's coded error, 70 for INTERNAL and for anything uncoded", () => {
    // arrange
    const coded = [
      new EmodistillError(ERROR_CODES.manifestRow, 'row 3: empty "emotion"'),
      new CoordinatorError(COORDINATOR_ERRORS.listenFailed, 'cannot listen on 0.0.0.0:8470'),
      new SiteAgentError(SITE_AGENT_ERRORS.siteRefused, 'coordinator refused site "a"'),
      new CliError(CLI_ERRORS.exportUnsigned, 'the bundle carries no valid signature'),
    ];
    const bugs = [new EmodistillError(ERROR_CODES.internal, 'x'), new TypeError('x is undefined'), 'boom'];

    // act
    const codedExits = coded.map(exitCodeOf);
    const bugExits = bugs.map(exitCodeOf);

    // assert
    expect(codedExits).toEqual(coded.map(() => EXIT_CODES.failure));
    expect(bugExits).toEqual(bugs.map(() => EXIT_CODES.internal));
  });
});
