import { describe, expect, it } from 'vitest';
import { canonicalBytes, generateKeyPair, signBytes } from '../crypto/signing.js';
import { checkMessage } from './messages.js';
import { methodPreset } from '../generator/distill-methods.js';
import { checkRoundPlan, planRound, ROUND_PLAN_VERSION } from './round-plan.js';

const settings = { method: 'paper' as const, localSteps: 200, distill: { diversityWeight: 0.2, seed: 3 } };

describe('the round plan', () => {
  it("continues the step counter over the training rounds done, with the method's settings under the config's", () => {
    expect(planRound(settings, 0)).toEqual({
      planVersion: ROUND_PLAN_VERSION,
      localSteps: 200,
      stepOffset: 0,
      distill: {
        ...methodPreset('paper').distill,
        steps: undefined,
        labelerHiddenUnits: undefined,
        emaDecay: undefined,
        diversityWeight: 0.2,
        seed: 3,
      },
    });
    expect(planRound(settings, 3).stepOffset).toBe(600);
    expect(planRound({ ...settings, method: 'default', distill: { criticSteps: 2 } }, 0).distill).toEqual({
      ...methodPreset('default').distill,
      steps: undefined,
      labelerHiddenUnits: undefined,
      emaDecay: undefined,
      criticSteps: 2,
    });
  });

  it('a plan of another version is refused by name, before its fields are read', () => {
    const result = checkRoundPlan({ ...planRound(settings, 1), planVersion: 2, dpNoise: 1.1 });
    expect(result).toEqual({
      ok: false,
      reason: expect.stringMatching(/round plan version 2 is not known to this site agent \(it knows version 1\)/),
    });
  });

  it('an unknown or ill-typed field is refused, every one named', () => {
    const result = checkRoundPlan({ ...planRound(settings, 1), distill: { stepps: 10, batchSize: 'x' } });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/\/distill\/batchSize/);
    expect(!result.ok && result.reason).toMatch(/\/distill\/stepps|Unexpected property/);
  });

  it('a signed announcement is checked with its plan', () => {
    const keys = generateKeyPair();
    const body = {
      round: 1,
      kind: 'training',
      baseVersion: 1,
      baseSha256: 'a'.repeat(64),
      deadline: new Date().toISOString(),
    };
    const sign = (plan: unknown) => ({
      body: { ...body, plan },
      signature: signBytes(canonicalBytes({ ...body, plan }), keys.secretKey),
    });

    expect(checkMessage('signedAnnouncement', sign(planRound(settings, 1))).ok).toBe(true);
    expect(checkMessage('signedAnnouncement', sign({ planVersion: 9 }))).toEqual({
      ok: false,
      reason: expect.stringMatching(/round plan version 9 is not known/),
    });
  });
});
