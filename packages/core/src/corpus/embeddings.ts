import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse as parseNpy } from 'npyjs';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import type { FeatureSet } from '../formats/feature-set.js';
import { resolveClassNames } from './corpus-listing.js';
import { readManifestTable } from './manifest-table.js';

export interface EmbeddingsImportOptions {
  /** Name of the model that produced the embeddings (recorded in the feature spec), e.g. wavlm-base-plus. */
  readonly model?: string;
  readonly classes?: readonly string[];
}

function shapeError(path: string, reason: string): EmodistillError {
  return new EmodistillError(ERROR_CODES.embeddingsShape, `${path}: ${reason}`);
}

/**
 * Imports precomputed utterance embeddings: a float32 `.npy` of shape [N, d] and a manifest
 * (CSV/JSONL, columns emotion, speaker, optional id, session) whose row i describes embedding i.
 */
export async function importEmbeddings(
  npyPath: string,
  manifestPath: string,
  options: EmbeddingsImportOptions = {},
): Promise<FeatureSet> {
  let bytes: Buffer;
  try {
    bytes = await readFile(npyPath);
  } catch (error) {
    throw shapeError(npyPath, `cannot read (${(error as Error).message})`);
  }
  let array: ReturnType<typeof parseNpy>;
  try {
    array = parseNpy(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch (error) {
    throw shapeError(npyPath, `not a valid .npy file (${(error as Error).message})`);
  }
  if (array.dtype !== 'f4')
    throw shapeError(
      npyPath,
      `dtype ${array.dtype}; expected float32 (<f4) — save with np.save(path, x.astype(np.float32))`,
    );
  if (array.shape.length !== 2) throw shapeError(npyPath, `shape [${array.shape.join(', ')}]; expected [N, d]`);
  if (array.fortranOrder) throw shapeError(npyPath, 'Fortran order; save a C-contiguous array (np.ascontiguousarray)');
  const [rows, dimension] = array.shape as [number, number];
  const features = Float32Array.from(array.data as Float32Array);
  const badIndex = features.findIndex((value) => !Number.isFinite(value));
  if (badIndex >= 0) throw shapeError(npyPath, `row ${Math.floor(badIndex / dimension)} holds a NaN or infinite value`);

  const table = await readManifestTable(manifestPath, ['emotion', 'speaker']);
  if (table.rows.length !== rows)
    throw shapeError(
      manifestPath,
      `${table.rows.length} rows, but ${npyPath} holds ${rows} embeddings; row i must describe embedding i`,
    );
  const emotions = table.rows.map((row) => row.emotion!);
  const classNames = resolveClassNames(emotions, options.classes, table.rowLabel);
  return {
    ids: table.rows.map((row, i) => row.id || String(i)),
    speakers: table.rows.map((row) => row.speaker!),
    emotions,
    sessions: table.rows.map((row) => row.session ?? ''),
    features,
    dimension,
    classNames,
    spec: {
      name: 'embeddings',
      version: '1',
      params: { model: options.model ?? 'unknown', file: basename(npyPath) },
      dimensionNames: Array.from({ length: dimension }, (_, i) => `emb${i}`),
    },
    corpus: { source: 'embeddings', task: 'custom', createdAt: new Date().toISOString() },
  };
}
