import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import { setWasmMatmulOverrides } from './wasm-matmul.js';
import { installWasmSliceOverrides } from './wasm-slice.js';

export const BACKEND_NAMES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

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
 * pure-JS CPU backend. @returns the name of the backend that runs
 */
export async function selectBackend(requested: BackendName = 'auto'): Promise<string> {
  const order: BackendName[] = requested === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : [requested];
  for (const name of order) {
    const ok = name in NATIVE_PACKAGES ? await tryNative(name) : await tf.setBackend(name).catch(() => false);
    if (ok) {
      await tf.ready();
      if (tf.getBackend() === 'wasm') {
        setWasmMatmulOverrides(true);
        installWasmSliceOverrides();
      }
      return tf.getBackend();
    }
  }
  throw new EmodistillError(
    ERROR_CODES.invalidOption,
    `backend "${requested}" is not available here${requested in NATIVE_PACKAGES ? ` (install ${NATIVE_PACKAGES[requested]})` : ''}; use --backend auto, wasm or cpu`,
  );
}
