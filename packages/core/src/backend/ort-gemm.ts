import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];

/** The parts of onnxruntime-node used here: its synchronous native session (tfjs kernels are synchronous). */
interface OrtSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: Record<string, unknown>): void;
  run(
    feeds: Record<string, unknown>,
    fetches: Record<string, unknown>,
    options: Record<string, unknown>,
  ): Record<string, { data: Float32Array }>;
}
interface OrtModules {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
  createSession: () => OrtSession;
}
/** The WASM backend's storage, as far as this file reads and writes it. */
interface WasmStorage {
  dataIdMap: { get(dataId: object): { memoryOffset: number; shape: number[] } | undefined };
  wasm: { HEAPU8: Uint8Array };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/**
 * onnxruntime-node when it is installed (an optional extra, DESIGN §7), else undefined. Its
 * synchronous session lives in the package's internal `dist/binding` (the public run() is async),
 * so the version matters: written against 1.30.0.
 */
function loadOrt(): OrtModules | undefined {
  try {
    const require = createRequire(import.meta.url);
    const ort = require('onnxruntime-node') as { Tensor: OrtModules['Tensor'] };
    const { binding, initOrt } = require('onnxruntime-node/dist/binding') as {
      binding: { InferenceSession: new () => OrtSession };
      initOrt: () => void;
    };
    initOrt();
    return { Tensor: ort.Tensor, createSession: () => new binding.InferenceSession() };
  } catch {
    return undefined;
  }
}

// A minimal protobuf writer for a one-node ONNX model: Y = Gemm(A, B[, C]) with symbolic shapes.
const varint = (value: number): number[] => {
  const out: number[] = [];
  let n = value;
  while (n > 127) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return out;
};
const field = (number: number, payload: number[]): number[] => [
  ...varint((number << 3) | 2),
  ...varint(payload.length),
  ...payload,
];
const text = (number: number, value: string): number[] => field(number, [...Buffer.from(value)]);
const integer = (number: number, value: number): number[] => [...varint(number << 3), ...varint(value)];

const float = (number: number, value: number): number[] => {
  const bytes = Buffer.alloc(4);
  bytes.writeFloatLE(value);
  return [...varint((number << 3) | 5), ...bytes];
};

type Activation = 'linear' | 'relu' | 'leakyrelu';

/** Y = activation(Gemm(A, B[, C])): the activation runs inside ORT, on the product it just wrote. */
function gemmModel(transA: boolean, transB: boolean, bias: boolean, activation: Activation, alpha: number): Uint8Array {
  const intAttribute = (name: string, value: number): number[] => [
    ...text(1, name),
    ...integer(20, 2),
    ...integer(3, value),
  ];
  const floatAttribute = (name: string, value: number): number[] => [
    ...text(1, name),
    ...integer(20, 1),
    ...float(2, value),
  ];
  const inputs = bias ? ['A', 'B', 'C'] : ['A', 'B'];
  const product = activation === 'linear' ? 'Y' : 'G';
  const gemm = [
    ...inputs.flatMap((name) => text(1, name)),
    ...text(2, product),
    ...text(4, 'Gemm'),
    ...field(5, intAttribute('transA', Number(transA))),
    ...field(5, intAttribute('transB', Number(transB))),
  ];
  const activationNode =
    activation === 'linear'
      ? []
      : [
          ...text(1, 'G'),
          ...text(2, 'Y'),
          ...text(4, activation === 'relu' ? 'Relu' : 'LeakyRelu'),
          ...(activation === 'leakyrelu' ? field(5, floatAttribute('alpha', alpha)) : []),
        ];
  const tensorType = (dims: string[]): number[] =>
    field(1, [
      ...integer(1, 1),
      ...field(
        2,
        dims.flatMap((d) => field(1, text(2, d))),
      ),
    ]);
  const valueInfo = (name: string, dims: string[]): number[] => [...text(1, name), ...field(2, tensorType(dims))];
  const graph = [
    ...field(1, gemm),
    ...(activationNode.length > 0 ? field(1, activationNode) : []),
    ...text(2, 'gemm'),
    ...field(11, valueInfo('A', ['a0', 'a1'])),
    ...field(11, valueInfo('B', ['b0', 'b1'])),
    ...(bias ? field(11, valueInfo('C', ['c0'])) : []),
    ...field(12, valueInfo('Y', ['y0', 'y1'])),
  ];
  return Uint8Array.from([...integer(1, 8), ...field(7, graph), ...field(8, [...text(1, ''), ...integer(2, 13)])]);
}

/** Products smaller than this many multiply-adds stay on the WASM kernel (ORT's call costs ~10 µs). */
const MIN_MACS = 64 * 64 * 16;

/**
 * BatchMatMul / _FusedMatMul on the WASM backend through onnxruntime's CPU GEMM (MLAS, 1 thread):
 * rank-2 and batch-1 rank-3 products, transposes handled by Gemm itself, bias by Gemm's C, the
 * activation (linear, relu, leakyrelu) by a second node of the same model. Anything else, and small
 * products, go to `fallback`. Reads the operands straight from the WASM heap.
 */
function ortMatmul(ort: OrtModules, fallback: KernelFunc): KernelFunc {
  const sessions = new Map<string, OrtSession>();
  const session = (
    transA: boolean,
    transB: boolean,
    bias: boolean,
    activation: Activation,
    alpha: number,
  ): OrtSession => {
    const key = `${transA}${transB}${bias}${activation}${alpha}`;
    let s = sessions.get(key);
    if (!s) {
      s = ort.createSession();
      const model = gemmModel(transA, transB, bias, activation, alpha);
      s.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      sessions.set(key, s);
    }
    return s;
  };
  return (args: KernelArgs) => {
    const attrs = args.attrs as {
      transposeA?: boolean;
      transposeB?: boolean;
      activation?: string;
      leakyreluAlpha?: number;
    };
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const activation = (attrs.activation ?? 'linear') as Activation;
    const matrix = (t: tf.TensorInfo): number[] | undefined =>
      t.shape.length === 2 ? [...t.shape] : t.shape.length === 3 && t.shape[0] === 1 ? t.shape.slice(1) : undefined;
    const aDims = matrix(a!);
    const bDims = matrix(b!);
    if (
      !aDims ||
      !bDims ||
      preluActivationWeights ||
      !['linear', 'relu', 'leakyrelu'].includes(activation) ||
      (bias && bias.shape.length !== 1)
    )
      return fallback(args);
    const transA = Boolean(attrs.transposeA);
    const transB = Boolean(attrs.transposeB);
    const m = transA ? aDims[1]! : aDims[0]!;
    const k = transA ? aDims[0]! : aDims[1]!;
    const n = transB ? bDims[0]! : bDims[1]!;
    if (m * k * n < MIN_MACS) return fallback(args);
    const backend = args.backend as unknown as WasmStorage;
    const outShape = a!.shape.length === 3 ? [1, m, n] : [m, n];
    const out = backend.makeOutput(outShape, 'float32');
    const heap = backend.wasm.HEAPU8.buffer;
    const view = (t: tf.TensorInfo, size: number): Float32Array =>
      new Float32Array(heap, backend.dataIdMap.get(t.dataId)!.memoryOffset, size);
    const feeds: Record<string, unknown> = {
      A: new ort.Tensor('float32', view(a!, m * k), aDims),
      B: new ort.Tensor('float32', view(b!, k * n), bDims),
    };
    if (bias) feeds.C = new ort.Tensor('float32', view(bias, n), [n]);
    // ORT writes the result straight into the output's place on the WASM heap (a pre-allocated output).
    session(transA, transB, Boolean(bias), activation, attrs.leakyreluAlpha ?? 0).run(
      feeds,
      { Y: new ort.Tensor('float32', view(out, m * n), [m, n]) },
      {},
    );
    return out;
  };
}

let ortModules: OrtModules | undefined | null = null;
/** Whether onnxruntime-node can be loaded here (loads it once). */
export function ortAvailable(): boolean {
  if (ortModules === null) ortModules = loadOrt();
  return ortModules !== undefined;
}

/** Wraps `fallback` (the kernel used where ORT is absent or the product is small) with the ORT GEMM path. */
export function withOrtGemm(fallback: KernelFunc): KernelFunc | undefined {
  return ortAvailable() ? ortMatmul(ortModules!, fallback) : undefined;
}
