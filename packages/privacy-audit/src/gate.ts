/** Release thresholds; a generator passes only if every check passes. */
export interface GateConfig {
  /** Upper bound of the membership AUC confidence interval (strongest attack). Default 0.60. */
  readonly maxMembershipAucUpper: number;
  /** Allowed excess of the synthetic memorisation share over the holdout baseline. Default 0.02 (2 points). */
  readonly maxMemorisationExcess: number;
}

export const DEFAULT_GATE: GateConfig = { maxMembershipAucUpper: 0.6, maxMemorisationExcess: 0.02 };

export interface GateCheck {
  readonly name: string;
  readonly value: number;
  readonly threshold: number;
  readonly passed: boolean;
  /** One plain-language line for the report. */
  readonly explanation: string;
}

export interface GateInputs {
  /** Highest upper CI bound over the attacks. */
  readonly membershipAucUpper: number;
  readonly memorisationShare: number;
  readonly memorisationBaseline: number;
}

export function evaluateGate(
  inputs: GateInputs,
  config: GateConfig = DEFAULT_GATE,
): { passed: boolean; checks: GateCheck[] } {
  const checks: GateCheck[] = [
    {
      name: 'membership inference',
      value: inputs.membershipAucUpper,
      threshold: config.maxMembershipAucUpper,
      passed: inputs.membershipAucUpper <= config.maxMembershipAucUpper,
      explanation: `the strongest attack's AUC is at most ${inputs.membershipAucUpper.toFixed(2)} (95 % upper bound) against a limit of ${config.maxMembershipAucUpper.toFixed(2)}; 0.50 means it cannot tell members from non-members`,
    },
    {
      name: 'memorisation',
      value: inputs.memorisationShare,
      threshold: inputs.memorisationBaseline + config.maxMemorisationExcess,
      passed: inputs.memorisationShare <= inputs.memorisationBaseline + config.maxMemorisationExcess,
      explanation: `${(inputs.memorisationShare * 100).toFixed(1)} % of synthetic samples lie closer to a training record than 95 % of unseen real recordings do (baseline ${(inputs.memorisationBaseline * 100).toFixed(1)} %, limit +${(config.maxMemorisationExcess * 100).toFixed(0)} points)`,
    },
  ];
  return { passed: checks.every((c) => c.passed), checks };
}
