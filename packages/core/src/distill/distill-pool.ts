import { Piscina } from 'piscina';
import type { BackendName, ComputePath } from '../backend/select-backend.js';
import { EmodistillError, ERROR_CODES, type ErrorCode } from '../errors.js';
import type { FeatureSet } from '../formats/feature-set.js';
import type { DistillOptions } from '../generator/distill-config.js';
import { resolveWorkerModule } from '../io/worker-module.js';
import type { DistillReply, DistillTask } from './distill-worker.js';
import { distill, type DistillResult } from './train-loop.js';

/** Runs independent distillations, up to `threads` at a time. */
export interface DistillPool {
  distill(set: FeatureSet, options: DistillOptions): Promise<DistillResult>;
  close(): Promise<void>;
}

export interface DistillPoolOptions {
  /** Worker threads; 1 distils in this thread, on its current backend. */
  readonly threads: number;
  /** The backend each worker selects (as `selectBackend`). */
  readonly backend: BackendName;
  readonly compute: ComputePath;
}

/**
 * A pool of distillation worker threads: the tfjs backends here run a distillation on one core,
 * so independent ones (folds, seeds) in parallel threads use the others. Seeded runs give the same
 * generator in a worker as in this thread (same backend).
 */
export async function createDistillPool(options: DistillPoolOptions): Promise<DistillPool> {
  if (options.threads <= 1)
    return { distill: (set, distillOptions) => distill(set, distillOptions), close: async () => {} };
  const module = await resolveWorkerModule(import.meta.url, 'distill-worker');
  const pool = new Piscina<DistillTask, DistillReply>({
    filename: module.filename,
    minThreads: options.threads,
    maxThreads: options.threads,
  });
  // A worker that dies outside a task (its module gone, out of memory) must not take this process with it.
  let workerFailure: Error | undefined;
  pool.on('error', (error: Error) => {
    workerFailure = error;
  });
  let closed = false;
  return {
    async distill(set, distillOptions) {
      if (closed) throw new EmodistillError(ERROR_CODES.internal, 'the distillation pool is closed');
      if (workerFailure)
        throw new EmodistillError(ERROR_CODES.internal, `a distillation worker failed: ${workerFailure.message}`);
      const reply = await pool.run({
        set,
        options: distillOptions,
        backend: options.backend,
        compute: options.compute,
      });
      if ('error' in reply) throw new EmodistillError(reply.error.code as ErrorCode, reply.error.message);
      return reply;
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.destroy();
      await module.dispose();
    },
  };
}
