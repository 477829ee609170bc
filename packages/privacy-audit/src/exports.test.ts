import { describe, expect, it } from 'vitest';
import * as audit from './index.js';

describe('@emodistill/privacy-audit public API', () => {
  it('exports exactly these values (update this list deliberately when the API changes)', () => {
    expect(Object.keys(audit).sort()).toEqual([
      'AUDIT_REPORT_VERSION',
      'PRIVACY_AUDIT_ERRORS',
      'PrivacyAuditError',
      'balancedSpeakersNeeded',
      'bootstrap',
      'holdoutSpeakersNeeded',
      'inferMembership',
      'lineChart',
      'measureMemorisation',
      'midRanks',
      'nearestDistances',
      'pathChart',
      'probeEmotionModelRepresentations',
      'probeSyntheticSpeakerInformation',
      'renderAuditHtml',
      'rocAuc',
      'rocCurve',
      'runAudit',
      'signAttestation',
      'speakerPermutationNull',
      'speakersNeededSentence',
      'tprAtFpr',
      'verifyAttestation',
    ]);
  });
});
