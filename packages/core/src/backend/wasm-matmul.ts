import * as tf from '@tensorflow/tfjs';
import { withOrtGemm } from './ort-gemm.js';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];

/**
 * The WASM backend's matmul runs at ~25–35 GFLOP/s with untransposed operands but falls to
 * 1.4–3 GFLOP/s when either is transposed, which every backward pass asks for (DESIGN §7).
 * These wrappers transpose explicitly with the backend's own Transpose kernel, then call the
 * untransposed matmul: same numbers, several times faster.
 *
 * Which operand to transpose is chosen by cost. The untransposed kernel (XNNPACK's fully
 * connected op) repacks its right operand whenever that operand is new, ~5 ns per element here
 * (bench: 64×256·256×256 takes 0.24 ms with a packed right operand, 0.68 ms with a new one). So
 * for A·Bᵀ with A much smaller than B (a gradient row block times a weight matrix), (B·Aᵀ)ᵀ
 * transposes and packs A and transposes the small result instead of transposing and packing B.
 */
function withExplicitTranspose(original: KernelFunc, transpose: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean; activation?: string };
    if (!attrs.transposeA && !attrs.transposeB) return original(args);
    const temporaries: tf.TensorInfo[] = [];
    const flip = (input: tf.TensorInfo): tf.TensorInfo => {
      const rank = input.shape.length;
      const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
      const transposed = transpose({ inputs: { x: input }, backend: args.backend, attrs: { perm } }) as tf.TensorInfo;
      temporaries.push(transposed);
      return transposed;
    };
    const a = args.inputs.a!;
    const b = args.inputs.b!;
    try {
      if (attrs.transposeB && !attrs.transposeA && swapPays(a.shape, b.shape, args.inputs)) {
        const flippedOutput = original({
          ...args,
          inputs: { ...args.inputs, a: b, b: flip(a) },
          attrs: { ...args.attrs, transposeA: false, transposeB: false },
        }) as tf.TensorInfo;
        temporaries.push(flippedOutput);
        const output = flip(flippedOutput);
        temporaries.pop();
        return output;
      }
      const inputs = { ...args.inputs, a: attrs.transposeA ? flip(a) : a, b: attrs.transposeB ? flip(b) : b };
      return original({ ...args, inputs, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      for (const temporary of temporaries) (args.backend as tf.KernelBackend).disposeData(temporary.dataId);
    }
  };
}

/**
 * For A·Bᵀ, A [.., m, k], B [.., n, k]: whether (B·Aᵀ)ᵀ moves fewer elements (transpose and pack
 * A, transpose the [m, n] result) than transposing and packing B. Never with a bias or PReLU
 * weights, which apply along the output's columns (elementwise activations commute with it).
 */
function swapPays(aShape: readonly number[], bShape: readonly number[], inputs: KernelArgs['inputs']): boolean {
  if (inputs.bias || inputs.preluActivationWeights || aShape.length !== bShape.length) return false;
  if (aShape.slice(0, -2).some((size, i) => size !== bShape[i])) return false;
  const m = aShape[aShape.length - 2]!;
  const k = aShape[aShape.length - 1]!;
  const n = bShape[bShape.length - 2]!;
  return 2 * m * k + m * n < 2 * n * k;
}

const MATMUL_KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;
/** The stock kernels, kept so the override can be switched off (benchmarks compare both). */
const stockKernels = new Map<string, tf.KernelConfig>();

/**
 * Switches the WASM backend's BatchMatMul and _FusedMatMul between the explicit-transpose
 * wrappers (`true`, what selectBackend installs), the stock kernels (`false`) and onnxruntime's
 * CPU GEMM (`'ort'`, backend/ort-gemm.ts; the explicit-transpose wrappers where ORT is not
 * installed or a product is small). @returns whether the requested path is active (`'ort'`
 * without onnxruntime-node installs the explicit-transpose wrappers and returns false)
 */
export function setWasmMatmulOverrides(mode: boolean | 'ort'): boolean {
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) return false;
  let active = true;
  for (const kernelName of MATMUL_KERNELS) {
    const current = tf.getKernel(kernelName, 'wasm');
    if (!current) continue;
    if (!stockKernels.has(kernelName)) stockKernels.set(kernelName, current);
    const stock = stockKernels.get(kernelName)!;
    let kernelFunc = mode ? withExplicitTranspose(stock.kernelFunc, transpose.kernelFunc) : stock.kernelFunc;
    if (mode === 'ort') {
      const ort = withOrtGemm(kernelFunc);
      if (ort) kernelFunc = ort;
      else active = false;
    }
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ ...stock, kernelFunc });
  }
  return active;
}
