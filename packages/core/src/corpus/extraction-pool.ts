import { Piscina } from 'piscina';
import { EmodistillError, ERROR_CODES, type ErrorCode } from '../errors.js';
import { resolveWorkerModule } from '../io/worker-module.js';
import type { CorpusEntry } from './corpus-listing.js';
import type { EntryFeatures } from './extract-entry.js';
import type { ExtractionReply, ExtractionTask } from './extract-worker.js';

/** Called with each file's features as it is extracted, by listing index. */
export type OnExtracted = (index: number, result: EntryFeatures) => void;

function workerFailure(audioPath: string, error: unknown): ExtractionReply {
  const reason = error instanceof Error ? error.message : String(error);
  return { error: { code: ERROR_CODES.internal, message: `extraction worker failed on ${audioPath}: ${reason}` } };
}

/**
 * Extracts `entries` with the default extractor in a pool of `threads` worker threads. Each of
 * `threads` lanes takes the next listing index until one fails, so every file before a failing one
 * has been extracted (or has failed) when the lanes stop: the error thrown is that of the first
 * failing file in listing order, as in-process.
 */
export async function extractInWorkers(
  entries: readonly CorpusEntry[],
  threads: number,
  onExtracted: OnExtracted,
): Promise<void> {
  const entry = await resolveWorkerModule(import.meta.url, 'extract-worker');
  const failures = new Map<number, EmodistillError>();
  try {
    const pool = new Piscina<ExtractionTask, ExtractionReply>({
      filename: entry.filename,
      minThreads: threads,
      maxThreads: threads,
    });
    let next = 0;
    const lane = async (): Promise<void> => {
      while (failures.size === 0 && next < entries.length) {
        const index = next++;
        const { audioPath } = entries[index]!;
        const reply = await pool.run({ audioPath }).catch((error: unknown) => workerFailure(audioPath, error));
        if ('error' in reply)
          failures.set(index, new EmodistillError(reply.error.code as ErrorCode, reply.error.message));
        else onExtracted(index, reply);
      }
    };
    try {
      await Promise.all(Array.from({ length: threads }, lane));
    } finally {
      await pool.destroy();
    }
  } finally {
    await entry.dispose();
  }
  if (failures.size > 0) throw failures.get(Math.min(...failures.keys()))!;
}
