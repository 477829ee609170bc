/** An armed timer, as the clock that armed it knows it. */
export type TimerHandle = unknown;

/**
 * The time the round scheduler runs on: wall-clock milliseconds and one-shot timers. The default is
 * the real clock; tests inject a fake one and move it by hand.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once, `ms` milliseconds from now. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer (an undefined or already fired handle is ignored). */
  clearTimeout(handle: TimerHandle | undefined): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};
