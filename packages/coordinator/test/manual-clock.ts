import type { Clock } from '../src/rounds/clock.js';

/** A clock that moves only when told: `advance` fires every timer that falls due, in order. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  /** Timers armed and not yet fired or cleared. */
  pending(): number;
}

export function createManualClock(start: number = Date.parse('2030-01-01T00:00:00.000Z')): ManualClock {
  let now = start;
  let nextId = 0;
  const timers = new Map<number, { readonly at: number; readonly callback: () => void }>();
  return {
    now: () => now,
    setTimeout(callback, ms) {
      nextId += 1;
      timers.set(nextId, { at: now + Math.max(0, ms), callback });
      return nextId;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        // Earliest due first; equal times in the order they were armed.
        const due = [...timers].filter(([, t]) => t.at <= until).sort(([a, x], [b, y]) => x.at - y.at || a - b)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].callback();
      }
      now = until;
    },
    pending: () => timers.size,
  };
}
