import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTrainingSlots, trainingSlotFromParent, TRAINING_SLOTS_ENV } from './training-slots.js';

/** A stand-in site process: the built harness's client, two "trainings" of 80 ms each, then exit. */
const SITE = `
import { trainingSlotFromParent } from '@emodistill/harness';
const slot = trainingSlotFromParent();
for (let round = 0; round < 2; round++) {
  const release = await slot();
  process.send({ event: 'start' });
  await new Promise((resolve) => setTimeout(resolve, 80));
  process.send({ event: 'end' });
  release();
}
`;

/** Runs `sites` real processes against `limit` slots; @returns the most that trained at once and their exit codes. */
async function simulate(sites: number, limit: number): Promise<{ most: number; trainings: number; codes: number[] }> {
  const slots = createTrainingSlots(limit);
  let training = 0;
  let most = 0;
  let trainings = 0;
  const codes = await Promise.all(
    Array.from({ length: sites }, () => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', SITE], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { ...process.env, [TRAINING_SLOTS_ENV]: 'ipc' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      slots.serve(child);
      child.on('message', (message: { event?: string }) => {
        if (message.event === 'start') {
          training++;
          trainings++;
          most = Math.max(most, training);
        }
        if (message.event === 'end') training--;
      });
      // Each exits by itself: the channel does not hold a finished process.
      return new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
    }),
  );
  expect(slots.inUse()).toBe(0);
  return { most, trainings, codes };
}

describe('training slots of a simulation', () => {
  it('let at most N of the site processes train at once, every one every round, and free a slot when a process exits', async () => {
    const one = await simulate(3, 1);
    const two = await simulate(4, 2);

    expect(one).toEqual({ most: 1, trainings: 6, codes: [0, 0, 0] });
    expect(two).toEqual({ most: 2, trainings: 8, codes: [0, 0, 0, 0] });
  });

  it('are not asked for by a process started without them', () => {
    expect(trainingSlotFromParent()).toBeUndefined();
  });
});
