import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import { setWasmMatmulOverrides } from './wasm-matmul.js';
import { installWasmSliceOverrides } from './wasm-slice.js';

export const BACKEND_NAMES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The WASM backend's matmul: onnxruntime's native GEMM when installed (auto) or required (onnxruntime), else the WASM kernels. */
export const COMPUTE_PATHS = ['auto', 'onnxruntime', 'wasm'] as const;
export type ComputePath = (typeof COMPUTE_PATHS)[number];

/** Native bindings register the `tensorflow` backend on import; they are optional dependencies. */
const NATIVE_PACKAGES: Partial<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

async function tryNative(name: BackendName): Promise<boolean> {
  try {
    await import(NATIVE_PACKAGES[name]!);
    return tf.setBackend('tensorflow');
  } catch {
    return false;
  }
}

/**
 * Activates a tfjs backend. `auto` tries, in order, tfjs-node-gpu, tfjs-node, WASM, then the
 * pure-JS CPU backend. On WASM, `compute` picks the matmul (DESIGN §7): `auto` routes it through
 * onnxruntime-node's CPU GEMM when that optional dependency is installed and through the WASM
 * kernels (explicit transposes) otherwise; `onnxruntime` requires it; `wasm` never uses it.
 * @returns the backend that runs, e.g. `wasm+onnxruntime`, `wasm` or `cpu`
 */
export async function selectBackend(requested: BackendName = 'auto', compute: ComputePath = 'auto'): Promise<string> {
  const order: BackendName[] = requested === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : [requested];
  for (const name of order) {
    const ok = name in NATIVE_PACKAGES ? await tryNative(name) : await tf.setBackend(name).catch(() => false);
    if (!ok) continue;
    await tf.ready();
    const backend = tf.getBackend();
    if (backend !== 'wasm') {
      if (compute === 'onnxruntime')
        throw new EmodistillError(
          ERROR_CODES.invalidOption,
          `--compute onnxruntime needs the wasm backend, but ${backend} runs; add --backend wasm or use --compute auto`,
        );
      return backend;
    }
    installWasmSliceOverrides();
    if (compute === 'wasm') {
      setWasmMatmulOverrides(true);
      return 'wasm';
    }
    if (setWasmMatmulOverrides('ort')) return 'wasm+onnxruntime';
    if (compute === 'onnxruntime') {
      throw new EmodistillError(
        ERROR_CODES.invalidOption,
        '--compute onnxruntime: onnxruntime-node cannot be loaded here (an optional dependency: npm install onnxruntime-node@1.30.0); use --compute auto or wasm',
      );
    }
    return 'wasm';
  }
  throw new EmodistillError(
    ERROR_CODES.invalidOption,
    `backend "${requested}" is not available here${requested in NATIVE_PACKAGES ? ` (install ${NATIVE_PACKAGES[requested]})` : ''}; use --backend auto, wasm or cpu`,
  );
}
