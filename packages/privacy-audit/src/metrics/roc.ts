/** One operating point of a membership attack. */
export interface RocPoint {
  readonly fpr: number;
  readonly tpr: number;
}

/**
 * ROC curve of scores where higher means "member" (label 1). Tied scores move together, so the
 * curve does not depend on input order.
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<0 | 1>): RocPoint[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i]!;
  const negatives = labels.length - positives;
  const points: RocPoint[] = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (labels[i] === 1) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || scores[next] !== scores[i])
      points.push({ fpr: negatives ? fp / negatives : 0, tpr: positives ? tp / positives : 0 });
  }
  return points;
}

/** Area under the ROC curve by the trapezoid rule: 0.5 = the attacker learns nothing, 1 = perfect. */
export function rocAuc(curve: readonly RocPoint[]): number {
  let area = 0;
  for (let k = 1; k < curve.length; k++)
    area += ((curve[k]!.fpr - curve[k - 1]!.fpr) * (curve[k]!.tpr + curve[k - 1]!.tpr)) / 2;
  return area;
}

/** Highest TPR at a false-positive rate ≤ `maxFpr` (the low-FPR regime ML Privacy Meter reports). */
export function tprAtFpr(curve: readonly RocPoint[], maxFpr: number): number {
  return curve.filter((point) => point.fpr <= maxFpr + 1e-12).reduce((best, point) => Math.max(best, point.tpr), 0);
}
