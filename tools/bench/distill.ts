/**
 * `npm run bench:distill`: the distillation benchmark on EmoDB (4- and 7-class, the 5
 * speaker-independent folds): real-full; random, herding and k-center subsets and each method's
 * synthetic sets at IPC 1, 10, 50, over 3 generator seeds, with paired per-fold differences —
 * through `emodistill bench distill`. Options: --emodb <wav dir> (or --features <arrow> for any
 * imported corpus, with --protocol), --tasks 4class,7class, --ipc 1,10,50, --methods default,select,
 * --generator-seeds 3, --seeds 3, --steps N, --ablations (instead: the main method's parts one by
 * one, 1 generator seed), --stream, --workers N, --compute auto|onnxruntime|wasm, --json-dir <dir>.
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
    features: { type: 'string' },
    protocol: { type: 'string', default: 'emodb5' },
    tasks: { type: 'string', default: '4class,7class' },
    ipc: { type: 'string', default: '1,10,50' },
    methods: { type: 'string', default: 'default,select' },
    'generator-seeds': { type: 'string', default: '3' },
    steps: { type: 'string' },
    seeds: { type: 'string', default: '3' },
    ablations: { type: 'boolean', default: false },
    stream: { type: 'boolean', default: false },
    workers: { type: 'string' },
    compute: { type: 'string', default: 'auto' },
    'json-dir': { type: 'string', default: '.' },
  },
});

const work = await mkdtemp(join(tmpdir(), 'emodistill-bench-'));
try {
  const inputs: [string, string][] = [];
  if (args.features) inputs.push([args.features.replace(/^.*\//, '').replace(/\.arrow$/, ''), args.features]);
  else {
    const { set: sevenClass } = await extractFeatureSet(await listEmodb(args.emodb, '7class'));
    const sets = {
      '7class': sevenClass,
      '4class': restrictClasses(sevenClass, ['anger', 'happiness', 'neutral', 'sadness']),
    };
    for (const task of args.tasks.split(',') as (keyof typeof sets)[]) {
      const file = join(work, `emodb-${task}.arrow`);
      await writeFeatureSet(file, sets[task]);
      inputs.push([`emodb-${task}`, file]);
    }
  }
  let exitCode = 0;
  for (const [name, file] of inputs) {
    console.log(`\n== ${name}${args.ablations ? ' (ablations)' : ''}`);
    const code = await runCli([
      'bench',
      'distill',
      file,
      '--protocol',
      args.protocol,
      '--ipc',
      args.ipc,
      '--seeds',
      args.seeds,
      ...(args.ablations
        ? ['--method', args.methods.split(',')[0]!, '--generator-seeds', '1', '--ablations']
        : ['--method', args.methods, '--generator-seeds', args['generator-seeds']]),
      ...(args.stream ? ['--stream'] : []),
      ...(args.steps ? ['--steps', args.steps] : []),
      ...(args.workers ? ['--workers', args.workers] : []),
      '--compute',
      args.compute,
      '--json-out',
      join(args['json-dir'], `bench-distill-${name}${args.ablations ? '-ablations' : ''}.json`),
    ]);
    exitCode ||= code;
  }
  process.exitCode = exitCode;
} finally {
  await rm(work, { recursive: true, force: true });
}
