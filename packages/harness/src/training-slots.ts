import type { ChildProcess } from 'node:child_process';

/**
 * A bound on how many site processes of a simulation train at once, on one machine: `simulate`
 * keeps the semaphore and each site process asks it for a slot over its IPC channel before a
 * round's local training, and gives it back after. Every site still trains every round; with 2
 * cores, 3 sites training at once take ~60 ms per step each, 6–9 of them ~210 ms. Nothing of this
 * reaches a real federation: only a process started with TRAINING_SLOTS_ENV set uses it.
 */
export const TRAINING_SLOTS_ENV = 'EMODISTILL_TRAINING_SLOTS';

type SlotMessage = { readonly slot: 'acquire' | 'granted' | 'release'; readonly id: number };

function isSlotMessage(message: unknown, kind: SlotMessage['slot']): message is SlotMessage {
  const candidate = message as Partial<SlotMessage> | null;
  return candidate?.slot === kind && typeof candidate.id === 'number';
}

export interface TrainingSlots {
  /** Answers a child's requests for slots; its slots return when it exits. */
  serve(child: ChildProcess): void;
  /** Slots held now (for tests and logs). */
  inUse(): number;
}

export function createTrainingSlots(limit: number): TrainingSlots {
  let active = 0;
  const waiting: (() => void)[] = [];
  const acquire = (): Promise<void> =>
    new Promise((resolve) => {
      if (active < limit) {
        active++;
        resolve();
      } else waiting.push(() => (active++, resolve()));
    });
  const release = (): void => {
    active--;
    waiting.shift()?.();
  };
  return {
    serve(child) {
      const held = new Set<number>();
      let exited = false;
      child.on('message', (message: unknown) => {
        if (isSlotMessage(message, 'acquire'))
          void acquire().then(() => {
            if (exited || !child.connected) return release();
            held.add(message.id);
            child.send({ slot: 'granted', id: message.id } satisfies SlotMessage);
          });
        else if (isSlotMessage(message, 'release') && held.delete(message.id)) release();
      });
      child.once('exit', () => {
        exited = true;
        for (const _ of held) release();
        held.clear();
      });
    },
    inUse: () => active,
  };
}

/**
 * In a site process started by a simulation with a slot bound: waits for a slot, and resolves
 * with the function that gives it back. Undefined in any other process.
 */
export function trainingSlotFromParent(): (() => Promise<() => void>) | undefined {
  const channel = process.channel;
  if (process.env[TRAINING_SLOTS_ENV] !== 'ipc' || !process.send || !channel) return undefined;
  // The channel must not keep a finished site process alive; it is held only while waiting.
  channel.unref();
  let next = 0;
  return () =>
    new Promise((resolve) => {
      const id = ++next;
      const onMessage = (message: unknown): void => {
        if (!isSlotMessage(message, 'granted') || message.id !== id) return;
        process.off('message', onMessage);
        channel.unref();
        resolve(() => void process.send?.({ slot: 'release', id } satisfies SlotMessage));
      };
      channel.ref();
      process.on('message', onMessage);
      process.send!({ slot: 'acquire', id } satisfies SlotMessage);
    });
}
