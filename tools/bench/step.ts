/**
 * `npm run bench:step`: the distillator's real training step on fixed shapes — 221-dim features,
 * 2×256 MLPs, batch 64, n_critic 5 — in ms per step, the share of kernel time spent in matmul,
 * and kernel calls per step, for each backend and compute path here; beside it the step of a
 * plain WGAN-GP (no L_FM, L_SML, L_DIV) for comparison with other frameworks; then the process's
 * peak RSS.
 * Options: --steps N (timed steps, default 30), --backends wasm,cpu, --compute
 * onnxruntime,wasm,stock (the WASM matmul: onnxruntime's GEMM, needs the optional onnxruntime-node;
 * explicit-transpose WASM kernels; stock tfjs kernels), --torch (also run
 * tools/bench/plain_wgan_gp_torch.py with Debian's /usr/bin/python3 and print the tfjs/PyTorch
 * ratio of the plain step, measured in the same sitting), --emodb <wav dir> (first a full
 * default-settings distillation of EmoDB 7-class, its time and the peak RSS after it),
 * --rows 1000,6000 (instead: generator steps per second over --scaling-steps steps (default 1000)
 * including the classifier pool's training and refreshes, at each number of training rows, with
 * the default pool bound and with pool training bounded by epochs only, as before the bound).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import {
  createDistillTrainer,
  distill,
  extractFeatureSet,
  listEmodb,
  resolveDistillConfig,
  selectBackend,
  setWasmMatmulOverrides,
  type DistillOptions,
  type FeatureSet,
} from '@emodistill/core';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '30' },
    backends: { type: 'string', default: 'wasm,cpu' },
    compute: { type: 'string', default: 'onnxruntime,wasm,stock' },
    torch: { type: 'boolean', default: false },
    emodb: { type: 'string' },
    rows: { type: 'string' },
    'scaling-steps': { type: 'string', default: '1000' },
  },
});
const DIMENSION = 221;
const ROWS = 512;
/** Per-member pool training bounded by epochs alone (30 epochs over every row), as before poolMaxSteps. */
const EPOCHS_ONLY = Number.MAX_SAFE_INTEGER;
const CLASSES = 4;
const TORCH_PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('./plain_wgan_gp_torch.py', import.meta.url));

/** Random features: the step's cost does not depend on the values. */
function syntheticSet(rows = ROWS): FeatureSet {
  let state = 12345;
  const next = (): number => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const emotions = Array.from({ length: rows }, (_, i) => `c${i % CLASSES}`);
  return {
    ids: emotions.map((_, i) => String(i)),
    speakers: emotions.map((_, i) => `s${i % 8}`),
    emotions,
    sessions: emotions.map(() => ''),
    features: Float32Array.from({ length: rows * DIMENSION }, next),
    dimension: DIMENSION,
    classNames: Array.from({ length: CLASSES }, (_, c) => `c${c}`),
    spec: {
      name: 'bench',
      version: '1',
      params: {},
      dimensionNames: Array.from({ length: DIMENSION }, (_, d) => `d${d}`),
    },
    corpus: { source: 'bench', task: 'bench', createdAt: '' },
  };
}

const MATMUL = new Set(['BatchMatMul', '_FusedMatMul']);
const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024;

/** @returns ms per step (wall clock) */
async function measure(label: string, options: DistillOptions, timedSteps: number): Promise<number> {
  const config = resolveDistillConfig({ ...options, steps: timedSteps + 4, poolEpochs: 2 });
  const trainer = createDistillTrainer(syntheticSet(), config);
  try {
    trainer.preparePool(0);
    for (let step = 0; step < 2; step++) trainer.step(step, true);
    const started = performance.now();
    for (let step = 2; step < 2 + timedSteps; step++) trainer.step(step, false);
    trainer.step(2 + timedSteps, true); // reading the losses waits for any queued work
    const msPerStep = (performance.now() - started) / (timedSteps + 1);
    const info = await tf.profile(() => {
      trainer.step(3 + timedSteps, false);
    });
    // The profile also lists custom ops (tf.customGrad, models/mlp.ts's dense layer) around the
    // kernels they run: only registered kernels count, once each.
    const backend = tf.getBackend();
    const kernels = info.kernels.filter((k) => tf.getKernel(k.name, backend) !== undefined);
    const times = await Promise.all(
      kernels.map(async (k) => ({ name: k.name, ms: Number(await k.kernelTimeMs) || 0 })),
    );
    const total = times.reduce((sum, k) => sum + k.ms, 0);
    const matmul = times.filter((k) => MATMUL.has(k.name)).reduce((sum, k) => sum + k.ms, 0);
    console.log(
      `${label.padEnd(48)} ${msPerStep.toFixed(1).padStart(8)} ms/step   matmul ${((matmul / Math.max(total, 1e-9)) * 100).toFixed(0).padStart(3)} % of kernel time   ${String(times.length).padStart(5)} kernel calls/step`,
    );
    return msPerStep;
  } finally {
    trainer.dispose();
  }
}

/**
 * Debian's torch uses whichever libblas.so.3 the loader finds first; each present here is measured,
 * since they differ ~10× (python3-torch alone pulls in the reference BLAS).
 */
const TORCH_BLAS = [
  ['reference BLAS', '/usr/lib/x86_64-linux-gnu/blas'],
  ['OpenBLAS', '/usr/lib/x86_64-linux-gnu/openblas-serial'],
] as const;

/** The PyTorch plain step (a measuring aid, never a dependency): ms per step, or undefined when unavailable. */
function measureTorch(timedSteps: number, blas: string, libraryPath: string): number | undefined {
  if (!existsSync(TORCH_PYTHON)) return undefined;
  try {
    const env = { ...process.env, LD_LIBRARY_PATH: libraryPath };
    const line = execFileSync(TORCH_PYTHON, [TORCH_SCRIPT, '--steps', String(timedSteps)], {
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
    const ms = /([\d.]+) ms\/step/.exec(line)?.[1];
    console.log(`${`pytorch 1 thread, ${blas} · plain WGAN-GP`.padEnd(48)} ${ms?.padStart(8)} ms/step   (${line})`);
    return ms === undefined ? undefined : Number(ms);
  } catch (error) {
    console.log(
      `pytorch: not measured (${(error as Error).message.split('\n')[0]}); install it with apt-get install -y python3-torch`,
    );
    return undefined;
  }
}

/** A default-settings distillation of EmoDB 7-class: its time and the peak RSS after it. */
async function measureEmodb(wavDir: string): Promise<void> {
  const { set } = await extractFeatureSet(await listEmodb(wavDir, '7class'));
  const before = peakRssMiB();
  const result = await distill(set, {});
  console.log(
    `EmoDB 7-class (${set.ids.length} utterances), ${result.steps} steps: ${result.seconds.toFixed(0)} s (${((result.seconds * 1000) / result.steps).toFixed(1)} ms/step incl. pool training), peak RSS ${peakRssMiB().toFixed(0)} MiB (${before.toFixed(0)} MiB after feature extraction)`,
  );
}

/** Generator steps per second over `steps` steps from scratch, pool training and refreshes included. */
function stepsPerSecond(rows: number, steps: number, poolMaxSteps: number): number {
  const trainer = createDistillTrainer(syntheticSet(rows), resolveDistillConfig({ steps, poolMaxSteps }));
  try {
    const started = performance.now();
    trainer.preparePool(0);
    for (let step = 0; step < steps; step++) trainer.step(step, step === steps - 1);
    return steps / ((performance.now() - started) / 1000);
  } finally {
    trainer.dispose();
  }
}

if (args.rows) {
  await selectBackend(args.backends.split(',')[0] as 'wasm' | 'cpu');
  const steps = Number(args['scaling-steps']);
  const config = resolveDistillConfig({});
  console.log(
    `steps/s over ${steps} generator steps incl. the pool (${config.poolSize} members, one retrained every ${config.poolRefreshSteps} steps, ${config.poolEpochs} epochs), backend ${args.backends.split(',')[0]}`,
  );
  const rowCounts = args.rows.split(',').map(Number);
  for (const [label, bound] of [
    [`poolMaxSteps ${config.poolMaxSteps} (default)`, config.poolMaxSteps],
    ['epochs only (before the bound)', EPOCHS_ONLY],
  ] as const) {
    const rates = rowCounts.map((rows) => stepsPerSecond(rows, steps, bound));
    console.log(
      `${label.padEnd(34)} ${rowCounts.map((rows, i) => `${rows} rows ${rates[i]!.toFixed(1)} steps/s`).join(' · ')} · ratio ${(rates.at(-1)! / rates[0]!).toFixed(2)}`,
    );
  }
  process.exit(0);
}

const timedSteps = Number(args.steps);
const FULL: DistillOptions = {};
const PLAIN: DistillOptions = { featureMatchingWeight: 0, softmaxMatchingWeight: 0, diversityWeight: 0 };
// The names of `--compute` (core selectBackend), plus the stock kernels for comparison.
const COMPUTE_PATHS = {
  onnxruntime: ['onnxruntime GEMM', 'ort'],
  wasm: ['explicit-transpose matmul', true],
  stock: ['stock kernels', false],
} as const;
if (args.emodb) {
  await selectBackend(args.backends.split(',')[0] as 'wasm' | 'cpu');
  await measureEmodb(args.emodb);
}
console.log(`distillation step: ${DIMENSION}-dim, 2×256 MLPs, batch 64, n_critic 5, ${timedSteps} timed steps`);
let wasmPlainMs: number | undefined;
let ortPlainMs: number | undefined;
for (const backend of args.backends.split(',')) {
  await selectBackend(backend as 'wasm' | 'cpu');
  const paths =
    backend === 'wasm'
      ? args.compute.split(',').map((name) => COMPUTE_PATHS[name as keyof typeof COMPUTE_PATHS])
      : [COMPUTE_PATHS.stock];
  for (const path of paths) {
    if (!path) throw new Error(`--compute: expected onnxruntime, wasm or stock, got ${args.compute}`);
    const [pathName, overrides] = path;
    if (backend === 'wasm' && !setWasmMatmulOverrides(overrides)) {
      console.log(`wasm · ${pathName}: not available (onnxruntime-node is not installed)`);
      continue;
    }
    for (const [name, options] of [
      ['full loss', FULL],
      ['plain WGAN-GP', PLAIN],
    ] as const) {
      const ms = await measure(
        `${backend} · ${pathName} · ${name}`,
        options,
        backend === 'cpu' ? Math.max(3, Math.floor(timedSteps / 10)) : timedSteps,
      );
      if (backend === 'wasm' && overrides === true && name === 'plain WGAN-GP') wasmPlainMs = ms;
      if (backend === 'wasm' && overrides === 'ort' && name === 'plain WGAN-GP') ortPlainMs = ms;
    }
  }
  if (backend === 'wasm') {
    setWasmMatmulOverrides(true);
    for (const [blas, libraryPath] of args.torch ? TORCH_BLAS : []) {
      if (!existsSync(libraryPath)) continue;
      const torchMs = measureTorch(timedSteps, blas, libraryPath);
      if (torchMs !== undefined && wasmPlainMs !== undefined)
        console.log(
          `plain WGAN-GP, tfjs wasm (explicit-transpose) / pytorch (${blas}): ${(wasmPlainMs / torchMs).toFixed(2)}×`,
        );
      if (torchMs !== undefined && ortPlainMs !== undefined)
        console.log(
          `plain WGAN-GP, tfjs wasm (onnxruntime GEMM) / pytorch (${blas}): ${(ortPlainMs / torchMs).toFixed(2)}×`,
        );
    }
  }
}
console.log(`peak RSS of this process: ${peakRssMiB().toFixed(0)} MiB`);
