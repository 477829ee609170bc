/**
 * `npm run bench:distill`: the distillation benchmark on EmoDB (4- and 7-class, the 5
 * speaker-independent folds): real-full; random-real, herding coreset and synthetic at each IPC;
 * synthetic with the real class prior; ablations without L_FM, L_SML, L_DIV — through
 * `emodistill bench distill`. Options: --emodb <wav dir>, --tasks 4class,7class, --ipc 1,10,50,100,
 * --steps N, --seeds N, --no-ablations, --compute auto|onnxruntime|wasm, --json-dir <dir>.
 * The CLI runs as its own process (the built `emodistill`, as the harness finds it), in this terminal.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { extractFeatureSet, listEmodb, restrictClasses, writeFeatureSet } from '@emodistill/core';
import { cliExecutable } from '@emodistill/harness';

/** `emodistill <args>` with this process's stdin, stdout and stderr; resolves with its exit code. */
function runCli(args: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [cliExecutable(), ...args], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

const { values: args } = parseArgs({
  options: {
    emodb: { type: 'string', default: fileURLToPath(new URL('../../../shared/datasets/emodb/wav', import.meta.url)) },
    tasks: { type: 'string', default: '4class,7class' },
    ipc: { type: 'string', default: '1,10,50,100' },
    steps: { type: 'string' },
    seeds: { type: 'string', default: '3' },
    'no-ablations': { type: 'boolean', default: false },
    compute: { type: 'string', default: 'auto' },
    'json-dir': { type: 'string', default: '.' },
  },
});

const work = await mkdtemp(join(tmpdir(), 'emodistill-bench-'));
try {
  const { set: sevenClass } = await extractFeatureSet(await listEmodb(args.emodb, '7class'));
  const sets = {
    '7class': sevenClass,
    '4class': restrictClasses(sevenClass, ['anger', 'happiness', 'neutral', 'sadness']),
  };
  let exitCode = 0;
  for (const task of args.tasks.split(',') as (keyof typeof sets)[]) {
    const file = join(work, `emodb-${task}.arrow`);
    await writeFeatureSet(file, sets[task]);
    console.log(`\n== EmoDB ${task} (${sets[task].ids.length} utterances)`);
    const code = await runCli([
      'bench',
      'distill',
      file,
      '--protocol',
      'emodb5',
      '--ipc',
      args.ipc,
      '--seeds',
      args.seeds,
      '--prior',
      ...(args['no-ablations'] ? [] : ['--ablations']),
      ...(args.steps ? ['--steps', args.steps] : []),
      '--compute',
      args.compute,
      '--json',
      join(args['json-dir'], `bench-distill-emodb-${task}.json`),
    ]);
    exitCode ||= code;
  }
  process.exitCode = exitCode;
} finally {
  await rm(work, { recursive: true, force: true });
}
