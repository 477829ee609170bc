import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect } from 'vitest';
import { selectBackend } from '../src/backend/select-backend.js';

/** Runs the enclosing suite on the WASM backend (what CI and most users run), then restores the previous one. */
export function useWasmBackend(): void {
  let originalBackend: string;
  beforeAll(async () => {
    await tf.ready();
    originalBackend = tf.getBackend();
    expect(await selectBackend('wasm')).toMatch(/^wasm/);
  });
  afterAll(async () => {
    await tf.setBackend(originalBackend);
  });
}
