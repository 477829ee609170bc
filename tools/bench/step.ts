/**
 * `npm run bench:step`: the distillator's real training step on fixed shapes — 221-dim features,
 * 2×256 MLPs, batch 64, n_critic 5 — in ms per step, the share of kernel time spent in matmul,
 * and kernel calls per step, for each backend and compute path here; beside it the step of a
 * plain WGAN-GP (no L_FM, L_SML, L_DIV) for comparison with other frameworks.
 * Options: --steps N (timed steps, default 30), --backends wasm,cpu.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { createDistillTrainer, resolveDistillConfig, selectBackend, setWasmMatmulOverrides, type DistillOptions, type FeatureSet } from '@emodistill/core';

const { values: args } = parseArgs({ options: { steps: { type: 'string', default: '30' }, backends: { type: 'string', default: 'wasm,cpu' } } });
const DIMENSION = 221;
const ROWS = 512;
const CLASSES = 4;

/** Random features: the step's cost does not depend on the values. */
function syntheticSet(): FeatureSet {
  let state = 12345;
  const next = (): number => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const emotions = Array.from({ length: ROWS }, (_, i) => `c${i % CLASSES}`);
  return {
    ids: emotions.map((_, i) => String(i)),
    speakers: emotions.map((_, i) => `s${i % 8}`),
    emotions,
    sessions: emotions.map(() => ''),
    features: Float32Array.from({ length: ROWS * DIMENSION }, next),
    dimension: DIMENSION,
    classNames: Array.from({ length: CLASSES }, (_, c) => `c${c}`),
    spec: { name: 'bench', version: '1', params: {}, dimensionNames: Array.from({ length: DIMENSION }, (_, d) => `d${d}`) },
    corpus: { source: 'bench', task: 'bench', createdAt: '' },
  };
}

const MATMUL = new Set(['BatchMatMul', '_FusedMatMul']);

async function measure(label: string, options: DistillOptions, timedSteps: number): Promise<void> {
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
    const times = await Promise.all(info.kernels.map(async (k) => ({ name: k.name, ms: Number(await k.kernelTimeMs) || 0 })));
    const total = times.reduce((sum, k) => sum + k.ms, 0);
    const matmul = times.filter((k) => MATMUL.has(k.name)).reduce((sum, k) => sum + k.ms, 0);
    console.log(`${label.padEnd(44)} ${msPerStep.toFixed(1).padStart(8)} ms/step   matmul ${((matmul / Math.max(total, 1e-9)) * 100).toFixed(0).padStart(3)} % of kernel time   ${String(times.length).padStart(5)} kernel calls/step`);
  } finally {
    trainer.dispose();
  }
}

const timedSteps = Number(args.steps);
const FULL: DistillOptions = {};
const PLAIN: DistillOptions = { featureMatchingWeight: 0, softmaxMatchingWeight: 0, diversityWeight: 0 };
console.log(`distillation step: ${DIMENSION}-dim, 2×256 MLPs, batch 64, n_critic 5, ${timedSteps} timed steps`);
for (const backend of args.backends.split(',')) {
  await selectBackend(backend as 'wasm' | 'cpu');
  const paths = backend === 'wasm' ? [['explicit-transpose matmul', true], ['stock kernels', false]] as const : [['stock kernels', false]] as const;
  for (const [path, overrides] of paths) {
    if (backend === 'wasm') setWasmMatmulOverrides(overrides);
    for (const [name, options] of [['full loss', FULL], ['plain WGAN-GP', PLAIN]] as const) {
      await measure(`${backend} · ${path} · ${name}`, options, backend === 'cpu' ? Math.max(3, Math.floor(timedSteps / 10)) : timedSteps);
    }
  }
  if (backend === 'wasm') setWasmMatmulOverrides(true);
}
