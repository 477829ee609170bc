import { describe, expect, it } from 'vitest';
import {
  epsilonFromRdp,
  epsilonOf,
  groupPrivacy,
  noiseMultiplierFor,
  rdpCurve,
  subsampledGaussianRdp,
} from './rdp-accountant.js';

// TF-Privacy's MNIST DP-SGD tutorial: 60,000 examples, batch 256, σ = 1.1, 60 epochs, δ = 1e-5 → ε = 3.01.
const mnist = { samplingRate: 256 / 60000, noiseMultiplier: 1.1, steps: 14063 };

describe('RDP accountant', () => {
  it('reproduces the TF-Privacy MNIST figure with the classic conversion (ε 3.009 at α 9)', () => {
    const spend = epsilonOf(mnist, 1e-5, 'classic');
    expect(spend.epsilon).toBeCloseTo(3.009, 2);
    expect(Math.abs(spend.epsilon - 3.009) / 3.009).toBeLessThan(0.005);
    expect(spend.order).toBe(9);
  });

  it('gives the tighter figure with the Balle et al. conversion (ε 2.597 at α 8)', () => {
    const spend = epsilonOf(mnist, 1e-5, 'tight');
    expect(Math.abs(spend.epsilon - 2.597) / 2.597).toBeLessThan(0.005);
    expect(spend.order).toBe(8);
  });

  it('without subsampling is the Gaussian mechanism’s α/(2σ²), and grows with the sampling rate', () => {
    expect(subsampledGaussianRdp(1, 2, 5)).toBeCloseTo(5 / 8, 12);
    expect(subsampledGaussianRdp(1e-6, 2, 5)).toBeGreaterThan(0);
    expect(subsampledGaussianRdp(0.01, 1, 8)).toBeLessThan(subsampledGaussianRdp(0.1, 1, 8));
    expect(subsampledGaussianRdp(0, 1, 8)).toBe(0);
  });

  it('meets the unsubsampled Gaussian mechanism as q → 1: its binomial sum tends to α/(2σ²)', () => {
    for (const [sigma, order] of [
      [7, 16],
      [1.5, 3],
      [20, 100],
    ] as const) {
      const gaussian = order / (2 * sigma * sigma);
      expect(subsampledGaussianRdp(1, sigma, order)).toBeCloseTo(gaussian, 12);
      expect(subsampledGaussianRdp(1 - 1e-9, sigma, order)).toBeCloseTo(gaussian, 6);
      expect(subsampledGaussianRdp(1 - 1e-9, sigma, order)).toBeLessThanOrEqual(gaussian);
    }
  });

  it('gives the scale figures of DP at batch 64 and 10,000 steps: EmoDB (430 rows) is not private, 4,800 rows are', () => {
    const epsilon = (rows: number, sigma: number): number =>
      epsilonOf({ samplingRate: 64 / rows, noiseMultiplier: sigma, steps: 10000 }, 1e-5).epsilon;
    expect(epsilon(430, 1)).toBeCloseTo(385.1, 0);
    expect(epsilon(4800, 1.5)).toBeCloseTo(5.4, 2);
    expect(epsilon(4800, 2)).toBeCloseTo(3.72, 2);
  });

  it('finds the noise multiplier for a target ε (the MNIST case back to σ ≈ 1.1)', () => {
    const sigma = noiseMultiplierFor(mnist, { epsilon: 3.009, delta: 1e-5 });
    expect(sigma).toBeGreaterThan(1.098);
    expect(sigma).toBeLessThan(1.102);
    expect(epsilonOf({ ...mnist, noiseMultiplier: sigma }, 1e-5).epsilon).toBeLessThanOrEqual(3.009);
    expect(() => noiseMultiplierFor({ samplingRate: 1, steps: 1e9 }, { epsilon: 0.01, delta: 1e-5 })).toThrow(/1000/);
  });

  it('composes rounds by adding their RDP curves: two halves give the whole run’s ε', () => {
    const half = rdpCurve({ ...mnist, steps: 7000 });
    const rest = rdpCurve({ ...mnist, steps: 7063 });
    const composed = epsilonFromRdp(
      half.map((rdp, i) => rdp + rest[i]!),
      1e-5,
    );
    expect(composed.epsilon).toBeCloseTo(epsilonOf(mnist, 1e-5).epsilon, 9);
    expect(epsilonFromRdp(rdpCurve({ ...mnist, steps: 0 }), 1e-5).epsilon).toBe(0);
    expect(() => epsilonFromRdp([1, 2], 1e-5)).toThrow(/255 orders/);
  });

  it('states group privacy per speaker: k records multiply ε by k', () => {
    const spend = epsilonOf(mnist, 1e-5);
    const speaker = groupPrivacy(spend, 50);
    expect(speaker.epsilon).toBeCloseTo(50 * spend.epsilon, 9);
    expect(speaker.delta).toBe(1);
    expect(() => groupPrivacy(spend, 0)).toThrow(/group size/);
  });

  it('refuses orders the closed form does not cover', () => {
    expect(() => subsampledGaussianRdp(0.1, 1, 2.5)).toThrow(/integer/);
    expect(() => epsilonOf(mnist, 0)).toThrow(/δ/);
  });
});
