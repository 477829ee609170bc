/**
 * Entry of a distillation worker thread (run by the pool of distill/distill-pool.ts): one
 * `distill()` on the backend the pool names, chosen once per thread. Failures come back as a
 * value carrying the error's code and message, since a thrown error loses its code between threads.
 */
import { selectBackend, type BackendName, type ComputePath } from '../backend/select-backend.js';
import { toEmodistillError } from '../errors.js';
import type { FeatureSet } from '../formats/feature-set.js';
import type { DistillOptions } from '../generator/distill-config.js';
import { distill, type DistillResult } from './train-loop.js';

export interface DistillTask {
  readonly set: FeatureSet;
  readonly options: DistillOptions;
  readonly backend: BackendName;
  readonly compute: ComputePath;
}

export type DistillReply = DistillResult | { readonly error: { readonly code: string; readonly message: string } };

let backendReady: Promise<string> | undefined;

export default async function distillInWorker(task: DistillTask): Promise<DistillReply> {
  try {
    await (backendReady ??= selectBackend(task.backend, task.compute));
    return await distill(task.set, task.options);
  } catch (error) {
    const { code, message } = toEmodistillError(error);
    return { error: { code, message } };
  }
}
