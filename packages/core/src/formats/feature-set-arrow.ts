import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  Data,
  Field,
  FixedSizeList,
  Float32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableFromIPC,
  tableToIPC,
  Utf8,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import { FeatureSpecSchema } from '../features/feature-spec.js';
import { readFileOrFail, writeFileAtomic } from '../io/files.js';
import type { FeatureSet } from './feature-set.js';

/** Bumped when the layout changes incompatibly; readers refuse newer majors. */
export const FEATURE_SET_FORMAT_VERSION = '1';

const METADATA_KEY = 'emodistill.feature_set';

const MetadataSchema = Type.Object(
  {
    formatVersion: Type.Literal(FEATURE_SET_FORMAT_VERSION),
    classNames: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    spec: FeatureSpecSchema,
    corpus: Type.Object(
      { source: Type.String(), task: Type.String(), createdAt: Type.String() },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
type Metadata = Static<typeof MetadataSchema>;

function formatError(source: string, reason: string, cause?: unknown): EmodistillError {
  return new EmodistillError(
    ERROR_CODES.featureSetFormat,
    `${source} is not a readable emodistill feature set: ${reason}`,
    { cause },
  );
}

/** A fixed_size_list<float32>[width] column of `rows` rows over row-major `values`. */
function floatRows(values: Float32Array, width: number, rows: number): { field: (name: string) => Field; data: Data } {
  const type = new FixedSizeList(width, new Field('value', new Float32(), false));
  return {
    field: (name) => new Field(name, type, false),
    data: makeData({
      type,
      length: rows,
      nullCount: 0,
      child: makeData({ type: new Float32(), length: rows * width, data: values }),
    }),
  };
}

/**
 * Serialises a feature set as an Arrow IPC file (readable by pyarrow, pandas, polars): columns
 * id, speaker, emotion, session (utf8), features (fixed_size_list<float32>[dimension]) and, for
 * soft-labelled sets, probabilities (fixed_size_list<float32>[classes], in classNames order).
 */
export function featureSetToArrow(set: FeatureSet): Uint8Array {
  const rows = set.ids.length;
  if (set.features.length !== rows * set.dimension)
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      `feature set: ${set.features.length} feature values for ${rows} rows × ${set.dimension} dimensions`,
    );
  if (set.probabilities && set.probabilities.length !== rows * set.classNames.length)
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      `feature set: ${set.probabilities.length} probabilities for ${rows} rows × ${set.classNames.length} classes`,
    );
  const features = floatRows(set.features, set.dimension, rows);
  const probabilities = set.probabilities && floatRows(set.probabilities, set.classNames.length, rows);
  const columns: [string, Vector][] = [
    ['id', vectorFromArray(set.ids as string[], new Utf8())],
    ['speaker', vectorFromArray(set.speakers as string[], new Utf8())],
    ['emotion', vectorFromArray(set.emotions as string[], new Utf8())],
    ['session', vectorFromArray(set.sessions as string[], new Utf8())],
  ];
  const metadata: Metadata = {
    formatVersion: FEATURE_SET_FORMAT_VERSION,
    classNames: [...set.classNames],
    spec: { ...set.spec, params: { ...set.spec.params }, dimensionNames: [...set.spec.dimensionNames] },
    corpus: { ...set.corpus },
  };
  const fields = [
    ...columns.map(([name]) => new Field(name, new Utf8(), false)),
    features.field('features'),
    ...(probabilities ? [probabilities.field('probabilities')] : []),
  ];
  const schema = new Schema(fields, new Map([[METADATA_KEY, JSON.stringify(metadata)]]));
  const data = makeData({
    type: new Struct(fields),
    length: rows,
    nullCount: 0,
    children: [
      ...columns.map(([, vector]) => vector.data[0]!),
      features.data,
      ...(probabilities ? [probabilities.data] : []),
    ],
  });
  return tableToIPC(new Table(schema, [new RecordBatch(schema, data)]), 'file');
}

function readStrings(table: Table, column: string, source: string): string[] {
  const vector = table.getChild(column);
  if (!vector || !(vector.type instanceof Utf8)) throw formatError(source, `column "${column}" (utf8) is missing`);
  const values = vector.toArray() as (string | null)[];
  const nullRow = values.findIndex((value) => value === null);
  if (nullRow >= 0) throw formatError(source, `column "${column}" has a null at row ${nullRow}`);
  return values as string[];
}

/** An Arrow IPC file starts with these 6 bytes (then 2 of padding) and ends with them. */
const ARROW_FILE_MAGIC = new TextEncoder().encode('ARROW1');

const hasMagicAt = (bytes: Uint8Array, at: number): boolean =>
  at >= 0 && ARROW_FILE_MAGIC.every((byte, i) => bytes[at + i] === byte);

/** Why Arrow's reader could not parse `bytes`, in words (its own messages are internal TypeErrors). */
function unreadableArrowReason(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'the file is empty';
  if (!hasMagicAt(bytes, 0)) return 'not an Arrow IPC file (it does not start with "ARROW1")';
  if (!hasMagicAt(bytes, bytes.length - ARROW_FILE_MAGIC.length))
    return `truncated: ${bytes.length} bytes and no Arrow footer (an Arrow IPC file ends with "ARROW1"); write it again`;
  return `a damaged Arrow IPC file (${bytes.length} bytes; its schema or record batches cannot be decoded); write it again`;
}

/** Parses an Arrow IPC feature set; `source` names the file in errors. */
export function featureSetFromArrow(bytes: Uint8Array, source: string): FeatureSet {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw formatError(source, unreadableArrowReason(bytes), error);
  }
  const rawMetadata = table.schema.metadata.get(METADATA_KEY);
  if (!rawMetadata) {
    // Arrow's reader returns an empty table for a few bytes that are no Arrow file at all.
    const complete = hasMagicAt(bytes, 0) && hasMagicAt(bytes, bytes.length - ARROW_FILE_MAGIC.length);
    throw formatError(
      source,
      complete
        ? `schema metadata "${METADATA_KEY}" is missing (was it written by emodistill?)`
        : unreadableArrowReason(bytes),
    );
  }
  let metadata: unknown;
  try {
    metadata = JSON.parse(rawMetadata);
  } catch (error) {
    throw formatError(source, 'schema metadata is not JSON', error);
  }
  if (!Value.Check(MetadataSchema, metadata)) {
    const first = Value.Errors(MetadataSchema, metadata).First();
    throw formatError(source, `metadata field ${first?.path || '/'}: ${first?.message ?? 'invalid'}`);
  }
  const dimension = metadata.spec.dimensionNames.length;
  const features = readFloatRows(table, 'features', dimension, source, `the ${dimension} dimension names`);
  const classCount = metadata.classNames.length;
  const probabilities = table.getChild('probabilities')
    ? readFloatRows(table, 'probabilities', classCount, source, `the ${classCount} class names`)
    : undefined;
  const badRow = probabilities ? firstInvalidDistribution(probabilities, classCount) : -1;
  if (badRow >= 0)
    throw formatError(
      source,
      `column "probabilities" row ${badRow} is not a probability distribution (values in [0, 1] summing to 1)`,
    );
  const emotions = readStrings(table, 'emotion', source);
  const known = new Set(metadata.classNames);
  const unknownRow = emotions.findIndex((emotion) => !known.has(emotion));
  if (unknownRow >= 0)
    throw formatError(
      source,
      `row ${unknownRow} has emotion "${emotions[unknownRow]}" outside the class names ${metadata.classNames.join(', ')}`,
    );
  return {
    ids: readStrings(table, 'id', source),
    speakers: readStrings(table, 'speaker', source),
    emotions,
    sessions: readStrings(table, 'session', source),
    features,
    dimension,
    classNames: metadata.classNames,
    spec: metadata.spec,
    corpus: metadata.corpus,
    ...(probabilities && { probabilities }),
  };
}

/** Rows of a fixed_size_list<float32>[width] column, row-major, over every record batch. */
function readFloatRows(table: Table, column: string, width: number, source: string, matching: string): Float32Array {
  const vector = table.getChild(column);
  if (!vector || !(vector.type instanceof FixedSizeList) || vector.type.listSize !== width)
    throw formatError(source, `column "${column}" must be fixed_size_list<float32>[${width}] to match ${matching}`);
  const out = new Float32Array(table.numRows * width);
  let offset = 0;
  for (const chunk of vector.data) {
    const child = chunk.children[0]!;
    const values = (child.values as Float32Array).subarray(
      child.offset + chunk.offset * width,
      child.offset + (chunk.offset + chunk.length) * width,
    );
    out.set(values, offset);
    offset += values.length;
  }
  return out;
}

/** The first row that is no probability distribution (float32 rounding allowed), or −1. */
function firstInvalidDistribution(probabilities: Float32Array, classCount: number): number {
  for (let row = 0; row * classCount < probabilities.length; row++) {
    let sum = 0;
    for (let c = 0; c < classCount; c++) {
      const p = probabilities[row * classCount + c]!;
      if (!(p >= 0 && p <= 1)) return row;
      sum += p;
    }
    if (Math.abs(sum - 1) > 1e-3) return row;
  }
  return -1;
}

/** Writes atomically (temp file + rename) so a crash never leaves a half-written set. */
export async function writeFeatureSet(path: string, set: FeatureSet): Promise<void> {
  await writeFileAtomic(path, featureSetToArrow(set));
}

export async function readFeatureSet(path: string): Promise<FeatureSet> {
  return featureSetFromArrow(await readFileOrFail(path, (reason, cause) => formatError(path, reason, cause)), path);
}
