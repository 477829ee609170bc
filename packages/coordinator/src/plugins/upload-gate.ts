/**
 * Bounds what the coordinator receives at once: one upload per site (a second concurrent one from
 * the same site waits its turn) and a total of reserved bytes. Only authenticated uploads reserve
 * anything, so an anonymous flood costs no memory.
 */
export interface UploadGate {
  /** Reserves `bytes` for `siteId`'s upload; false when the site already has one in flight or the total would be passed (one upload always fits). */
  tryEnter(siteId: string, bytes: number): boolean;
  leave(siteId: string): void;
  readonly bytesInFlight: number;
}

export function createUploadGate(maxBytesInFlight: number): UploadGate {
  const reserved = new Map<string, number>();
  let total = 0;
  return {
    tryEnter(siteId, bytes) {
      if (reserved.has(siteId) || (total > 0 && total + bytes > maxBytesInFlight)) return false;
      reserved.set(siteId, bytes);
      total += bytes;
      return true;
    },
    leave(siteId) {
      total -= reserved.get(siteId) ?? 0;
      reserved.delete(siteId);
    },
    get bytesInFlight() {
      return total;
    },
  };
}
