import { EmodistillError, ERROR_CODES } from '../errors.js';
import type { NamedTensor } from '../tensors/named-tensor.js';

/*
 * The safetensors format (huggingface/safetensors, docs "Format"): an 8-byte little-endian header
 * length, a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__: {str: str}},
 * then the raw little-endian tensor bytes. No maintained JS library exists on npm (the only package
 * is a 0.0.1 placeholder), and the format is small, so it is written here; only F32 is used.
 */

const METADATA = '__metadata__';
/** The reference implementation's cap on the header, against memory exhaustion from a hostile file. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

function formatError(source: string, reason: string): EmodistillError {
  return new EmodistillError(ERROR_CODES.bundleFormat, `${source} is not a valid safetensors file: ${reason}`);
}

/** Encodes float32 tensors (in the given order) and string metadata. */
export function encodeSafetensors(
  tensors: readonly NamedTensor[],
  metadata: Readonly<Record<string, string>>,
): Uint8Array {
  const header: Record<string, unknown> = { [METADATA]: metadata };
  let offset = 0;
  for (const tensor of tensors) {
    const bytes = tensor.values.length * 4;
    header[tensor.name] = { dtype: 'F32', shape: tensor.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const tensor of tensors) {
    out.set(new Uint8Array(tensor.values.buffer, tensor.values.byteOffset, tensor.values.byteLength), position);
    position += tensor.values.byteLength;
  }
  return out;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;

/** Checks an entry's types before use: the header comes from an untrusted file. */
function isHeaderEntry(entry: unknown): entry is HeaderEntry {
  return (
    isObject(entry) &&
    typeof entry.dtype === 'string' &&
    Array.isArray(entry.shape) &&
    entry.shape.every(isCount) &&
    Array.isArray(entry.data_offsets) &&
    entry.data_offsets.length === 2 &&
    entry.data_offsets.every(isCount)
  );
}

/** Decodes a safetensors file; `source` names it in errors. Only F32 tensors are accepted. */
export function decodeSafetensors(
  bytes: Uint8Array,
  source: string,
): { tensors: NamedTensor[]; metadata: Record<string, string> } {
  if (bytes.length < 8) throw formatError(source, 'shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.length)
    throw formatError(source, `header length ${headerLength} exceeds the file (${bytes.length} bytes); truncated?`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw formatError(source, 'header is not JSON');
  }
  if (!isObject(header)) throw formatError(source, 'header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata = header[METADATA] ?? {};
  if (!isObject(metadata) || !Object.values(metadata).every((value) => typeof value === 'string'))
    throw formatError(source, `${METADATA} is not a map of strings`);
  const entries = Object.entries(header).filter(([name]) => name !== METADATA) as [string, HeaderEntry][];
  for (const [name, entry] of entries) {
    if (!isHeaderEntry(entry))
      throw formatError(source, `tensor "${name}" needs dtype, shape and data_offsets (non-negative integers)`);
  }
  entries.sort(([, a], [, b]) => a.data_offsets[0] - b.data_offsets[0]);
  let expectedOffset = 0;
  const tensors = entries.map(([name, entry]) => {
    if (entry.dtype !== 'F32')
      throw formatError(source, `tensor "${name}" has dtype ${entry.dtype}; emodistill reads F32 only`);
    const [begin, end] = entry.data_offsets;
    const elements = entry.shape.reduce((a, b) => a * b, 1);
    if (begin !== expectedOffset || end - begin !== elements * 4 || end > dataLength) {
      throw formatError(
        source,
        `tensor "${name}" has offsets [${begin}, ${end}] that do not fit shape [${entry.shape.join(', ')}] or the file; truncated?`,
      );
    }
    expectedOffset = end;
    // Copy: the source buffer need not be 4-byte aligned.
    const values = new Float32Array(elements);
    new Uint8Array(values.buffer).set(bytes.subarray(dataStart + begin, dataStart + end));
    return { name, shape: entry.shape, values };
  });
  if (expectedOffset !== dataLength)
    throw formatError(source, `${dataLength - expectedOffset} bytes after the last tensor`);
  return { tensors, metadata: metadata as Record<string, string> };
}
