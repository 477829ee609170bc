import * as tf from '@tensorflow/tfjs';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];

/** The WASM backend's storage, as far as this file reads and writes it. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * The WASM backend's Slice starts with readSync of its input, which copies the whole input out of
 * the heap: taking one layer's 256 weights out of Adam's flat 141k-value vector copied 560 KB,
 * and SplitV does that once per output (6 ms of a 38 ms training step, bench:step). A slice of
 * contiguous memory (rows of a row-major matrix, a stretch of a vector) needs no such copy: it is
 * copied straight from a view of the heap here. Anything else goes to the stock kernel.
 */
function contiguousSlice(stock: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x!;
    const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
    const [start, extent] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [number[], number[]];
    if (x.dtype === 'string' || !tf.slice_util.isSliceContinous(x.shape, start, extent)) return stock(args);
    const heap = args.backend as unknown as WasmHeap;
    const out = heap.makeOutput(extent, x.dtype);
    const offset = tf.slice_util.computeFlatOffset(start, tf.util.computeStrides(x.shape));
    heap
      .typedArrayFromHeap(out)
      .set(heap.typedArrayFromHeap(x).subarray(offset, offset + tf.util.sizeFromShape(extent)));
    return out;
  };
}

/** SplitV as consecutive slices through `slice` (the stock SplitV calls the stock Slice directly). */
function splitThrough(slice: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x!;
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
    const along = tf.util.parseAxisParam(axis, x.shape)[0]!;
    let from = 0;
    return tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, along).map((length) => {
      const begin = x.shape.map((_, d) => (d === along ? from : 0));
      const size = x.shape.map((extent, d) => (d === along ? length : extent));
      from += length;
      return slice({ inputs: { x }, backend: args.backend, attrs: { begin, size } }) as tf.TensorInfo;
    });
  };
}

let installed = false;
/** Replaces the WASM backend's Slice and SplitV with the heap-view versions above (once per process). */
export function installWasmSliceOverrides(): void {
  const stockSlice = tf.getKernel('Slice', 'wasm');
  const stockSplit = tf.getKernel('SplitV', 'wasm');
  if (installed || !stockSlice || !stockSplit) return;
  const slice = contiguousSlice(stockSlice.kernelFunc);
  for (const [stock, kernelFunc] of [
    [stockSlice, slice],
    [stockSplit, splitThrough(slice)],
  ] as const) {
    tf.unregisterKernel(stock.kernelName, 'wasm');
    tf.registerKernel({ ...stock, kernelFunc });
  }
  installed = true;
}
