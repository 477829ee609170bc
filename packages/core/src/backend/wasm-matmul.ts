import * as tf from '@tensorflow/tfjs';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];

/**
 * The WASM backend's matmul runs at ~25–35 GFLOP/s with untransposed operands but falls to
 * 1.4–3 GFLOP/s when either is transposed, which every backward pass asks for (DESIGN §7).
 * These wrappers transpose explicitly with the backend's own Transpose kernel, then call the
 * untransposed matmul: same numbers, several times faster.
 */
function withExplicitTranspose(original: KernelFunc, transpose: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return original(args);
    const temporaries: tf.TensorInfo[] = [];
    const materialise = (input: tf.TensorInfo, flip: boolean | undefined): tf.TensorInfo => {
      if (!flip) return input;
      const rank = input.shape.length;
      const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
      const transposed = transpose({ inputs: { x: input }, backend: args.backend, attrs: { perm } }) as tf.TensorInfo;
      temporaries.push(transposed);
      return transposed;
    };
    const inputs = { ...args.inputs, a: materialise(args.inputs.a!, attrs.transposeA), b: materialise(args.inputs.b!, attrs.transposeB) };
    try {
      return original({ ...args, inputs, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      for (const temporary of temporaries) (args.backend as tf.KernelBackend).disposeData(temporary.dataId);
    }
  };
}

const MATMUL_KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;
/** The stock kernels, kept so the override can be switched off (benchmarks compare both). */
const stockKernels = new Map<string, tf.KernelConfig>();

/**
 * Switches the WASM backend's BatchMatMul and _FusedMatMul between the explicit-transpose
 * wrappers (`true`, what selectBackend installs) and the stock kernels (`false`). Idempotent.
 */
export function setWasmMatmulOverrides(enabled: boolean): void {
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) return;
  for (const kernelName of MATMUL_KERNELS) {
    const current = tf.getKernel(kernelName, 'wasm');
    if (!current) continue;
    if (!stockKernels.has(kernelName)) stockKernels.set(kernelName, current);
    const stock = stockKernels.get(kernelName)!;
    const wanted = enabled ? { ...stock, kernelFunc: withExplicitTranspose(stock.kernelFunc, transpose.kernelFunc) } : stock;
    if ((current === stock) === !enabled) continue;
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel(wanted);
  }
}
