/**
 * Worker-thread entry of `generateDemoCorpus`: receives `SpeakerJob`s one at a time, renders
 * each with `renderSpeaker` and posts `{ kind: 'utterance' }` after every file and
 * `{ kind: 'done', samples }` after the speaker.
 */
import { parentPort } from 'node:worker_threads';
import { renderSpeaker, type SpeakerJob } from './render.ts';

export type RenderWorkerMessage = { kind: 'utterance' } | { kind: 'done'; samples: number };

const port = parentPort;
if (port === null) throw new Error('demo corpus: render-worker.ts must run in a worker thread');
port.on('message', (job: SpeakerJob) => {
  void renderSpeaker(job, () => port.postMessage({ kind: 'utterance' } satisfies RenderWorkerMessage)).then(
    (samples) => port.postMessage({ kind: 'done', samples } satisfies RenderWorkerMessage),
    (error: unknown) => {
      // Rethrown outside the promise so the worker's 'error' event reaches the caller.
      setImmediate(() => {
        throw error;
      });
    },
  );
});
