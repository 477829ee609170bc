import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordBatch, Schema, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.js';
import { expectEmodistillError, float32Bits, useTempDir } from '../../test/fixtures.js';
import type { FeatureSet } from './feature-set.js';
import {
  FEATURE_SET_FORMAT_VERSION,
  featureSetFromArrow,
  featureSetToArrow,
  readFeatureSet,
  writeFeatureSet,
} from './feature-set-arrow.js';

const METADATA_KEY = 'emodistill.feature_set';

/** Three rows of four dimensions, with awkward float32 values (−0, subnormal, extremes, NaN). */
function makeSet(overrides: Partial<FeatureSet> = {}): FeatureSet {
  return {
    ids: ['a/001', 'b/002', 'é/ü-003'],
    speakers: ['s1', 's2', 's1'],
    emotions: ['happy', 'sad', 'happy'],
    sessions: ['1', '', '2'],
    features: Float32Array.from([0.1, -0, 1e-40, 3.4e38, -1.5, Number.NaN, 7, -3.25e-8, 42, 0, -0.001, 1 / 3]),
    dimension: 4,
    classNames: ['happy', 'neutral', 'sad'],
    spec: {
      name: 'test-features',
      version: '2',
      params: { frameMs: 25, window: 'hann' },
      dimensionNames: ['d0', 'd1', 'd2', 'd3'],
    },
    corpus: { source: 'manifest', task: 'custom', createdAt: '2025-01-02T03:04:05.000Z' },
    ...overrides,
  };
}

/** Re-encodes `bytes` with the schema metadata replaced by `metadata`. */
function withMetadata(bytes: Uint8Array, metadata: Map<string, string>): Uint8Array {
  const table = tableFromIPC(bytes);
  const schema = new Schema(table.schema.fields, metadata);
  return tableToIPC(
    new Table(
      schema,
      table.batches.map((batch) => new RecordBatch(schema, batch.data)),
    ),
    'file',
  );
}

/** Re-encodes `bytes` with one metadata field changed. */
function withMetadataField(bytes: Uint8Array, change: (metadata: Record<string, unknown>) => void): Uint8Array {
  const metadata = JSON.parse(tableFromIPC(bytes).schema.metadata.get(METADATA_KEY)!) as Record<string, unknown>;
  change(metadata);
  return withMetadata(bytes, new Map([[METADATA_KEY, JSON.stringify(metadata)]]));
}

describe('featureSetToArrow / featureSetFromArrow', () => {
  it('round-trips ids, speakers, emotions, sessions, bit-identical features and all metadata', () => {
    // arrange
    const set = makeSet();

    // act
    const back = featureSetFromArrow(featureSetToArrow(set), 'set.arrow');

    // assert
    expect(back.ids).toEqual(set.ids);
    expect(back.speakers).toEqual(set.speakers);
    expect(back.emotions).toEqual(set.emotions);
    expect(back.sessions).toEqual(set.sessions);
    expect(back.dimension).toBe(4);
    expect(float32Bits(back.features)).toEqual(float32Bits(set.features));
    expect(back.classNames).toEqual(set.classNames);
    expect(back.spec).toEqual(set.spec);
    expect(back.corpus).toEqual(set.corpus);
  });

  it('writes a schema other Arrow readers understand: utf8 columns, a fixed-size float list, JSON metadata', () => {
    // arrange
    const set = makeSet();

    // act
    const table = tableFromIPC(featureSetToArrow(set));

    // assert
    expect(table.schema.fields.map((field) => field.name)).toEqual(['id', 'speaker', 'emotion', 'session', 'features']);
    expect(table.numRows).toBe(3);
    expect(String(table.schema.fields[4]!.type)).toMatch(/FixedSizeList\[4\]<Float32>/);
    expect(JSON.parse(table.schema.metadata.get(METADATA_KEY)!)).toMatchObject({
      formatVersion: FEATURE_SET_FORMAT_VERSION,
      classNames: set.classNames,
    });
  });

  it('round-trips a set with no rows', () => {
    // arrange
    const set = makeSet({ ids: [], speakers: [], emotions: [], sessions: [], features: new Float32Array(0) });

    // act
    const back = featureSetFromArrow(featureSetToArrow(set), 'empty.arrow');

    // assert
    expect(back.ids).toEqual([]);
    expect(back.features.length).toBe(0);
    expect(back.dimension).toBe(4);
  });

  it('reads a table split into several record batches (as pyarrow may write it) in row order', () => {
    // arrange
    const set = makeSet();
    const first = tableFromIPC(
      featureSetToArrow({
        ...set,
        ids: set.ids.slice(0, 2),
        speakers: set.speakers.slice(0, 2),
        emotions: set.emotions.slice(0, 2),
        sessions: set.sessions.slice(0, 2),
        features: set.features.slice(0, 8),
      }),
    );
    const second = tableFromIPC(
      featureSetToArrow({
        ...set,
        ids: set.ids.slice(2),
        speakers: set.speakers.slice(2),
        emotions: set.emotions.slice(2),
        sessions: set.sessions.slice(2),
        features: set.features.slice(8),
      }),
    );
    const bytes = tableToIPC(new Table(first.schema, [...first.batches, ...second.batches]), 'file');

    // act
    const back = featureSetFromArrow(bytes, 'batches.arrow');

    // assert
    expect(tableFromIPC(bytes).batches.length).toBe(2);
    expect(back.ids).toEqual(set.ids);
    expect(float32Bits(back.features)).toEqual(float32Bits(set.features));
  });

  it('leaves the input set unchanged', () => {
    // arrange
    const set = makeSet();
    const features = set.features.slice();

    // act
    featureSetToArrow(set);

    // assert
    expect(float32Bits(set.features)).toEqual(float32Bits(features));
    expect(set).toEqual(makeSet());
  });

  it('rejects a truncated file, naming it', async () => {
    // arrange
    const bytes = featureSetToArrow(makeSet());

    // act / assert
    await expectEmodistillError(
      () => featureSetFromArrow(bytes.subarray(0, Math.floor(bytes.length / 2)), '/sets/cut.arrow'),
      ERROR_CODES.featureSetFormat,
      '/sets/cut.arrow',
    );
    await expectEmodistillError(
      () => featureSetFromArrow(bytes.subarray(0, 10), '/sets/tiny.arrow'),
      ERROR_CODES.featureSetFormat,
      '/sets/tiny.arrow',
    );
  });

  it("says a file cut anywhere is truncated, in its own words (never the Arrow reader's TypeError text)", () => {
    // arrange
    const bytes = featureSetToArrow(makeSet());
    const messages = new Map<number, string>();

    // act
    for (let length = 0; length < bytes.length; length++) {
      try {
        featureSetFromArrow(bytes.subarray(0, length), 'cut.arrow');
      } catch (error) {
        messages.set(length, (error as Error).message);
      }
    }

    // assert
    expect(messages.size).toBe(bytes.length);
    expect(messages.get(0)).toBe('cut.arrow is not a readable emodistill feature set: the file is empty');
    for (const [length, message] of messages) {
      if (length >= 8)
        expect(message).toBe(
          `cut.arrow is not a readable emodistill feature set: truncated: ${length} bytes and no Arrow footer (an Arrow IPC file ends with "ARROW1"); write it again`,
        );
      expect(message).not.toMatch(/Cannot read|null|undefined|DataView|Expected to read/);
    }
  });

  it('rejects bytes that are not Arrow at all, naming the file', async () => {
    // arrange
    const bytes = new TextEncoder().encode('id,speaker,emotion\n1,a,happy\n');

    // act / assert
    await expectEmodistillError(() => featureSetFromArrow(bytes, 'set.csv'), ERROR_CODES.featureSetFormat, 'set.csv');
  });

  it('rejects an Arrow file whose emodistill metadata was removed, naming the file and the key', async () => {
    // arrange
    const bytes = withMetadata(featureSetToArrow(makeSet()), new Map());

    // act / assert
    await expectEmodistillError(
      () => featureSetFromArrow(bytes, 'stripped.arrow'),
      ERROR_CODES.featureSetFormat,
      'stripped.arrow',
      METADATA_KEY,
    );
  });

  it('rejects metadata that is not JSON, naming the file', async () => {
    // arrange
    const bytes = withMetadata(featureSetToArrow(makeSet()), new Map([[METADATA_KEY, '{not json']]));

    // act / assert
    await expectEmodistillError(
      () => featureSetFromArrow(bytes, 'garbled.arrow'),
      ERROR_CODES.featureSetFormat,
      'garbled.arrow',
      'not JSON',
    );
  });

  it.each([
    ['a newer format version', (m: Record<string, unknown>) => (m.formatVersion = '99'), '/formatVersion'],
    ['no class names', (m: Record<string, unknown>) => (m.classNames = []), '/classNames'],
    ['an unknown field', (m: Record<string, unknown>) => (m.extra = true), 'extra'],
    [
      'a spec without dimension names',
      (m: Record<string, unknown>) => delete (m.spec as Record<string, unknown>).dimensionNames,
      '/spec',
    ],
  ])('rejects metadata with %s, naming the file and the field', async (_, change, field) => {
    // arrange
    const bytes = withMetadataField(featureSetToArrow(makeSet()), change);

    // act / assert
    await expectEmodistillError(
      () => featureSetFromArrow(bytes, 'bad-meta.arrow'),
      ERROR_CODES.featureSetFormat,
      'bad-meta.arrow',
      field,
    );
  });

  it('rejects a feature column whose width disagrees with the dimension names', async () => {
    // arrange
    const bytes = withMetadataField(featureSetToArrow(makeSet()), (m) => {
      (m.spec as { dimensionNames: string[] }).dimensionNames.push('d4');
    });

    // act / assert
    await expectEmodistillError(
      () => featureSetFromArrow(bytes, 'width.arrow'),
      ERROR_CODES.featureSetFormat,
      'width.arrow',
      'features',
    );
  });

  it('rejects a row whose emotion is outside the class names, naming the file, the row and the emotion', async () => {
    // arrange
    const bytes = featureSetToArrow(makeSet({ emotions: ['happy', 'surprise', 'sad'] }));

    // act / assert
    await expectEmodistillError(
      () => featureSetFromArrow(bytes, 'labels.arrow'),
      ERROR_CODES.featureSetFormat,
      'labels.arrow',
      'row 1',
      '"surprise"',
    );
  });
});

describe('featureSetToArrow / featureSetFromArrow: the probabilities column', () => {
  /** Soft labels over the 3 classes, row-major [3, 3], awkward float32 values that still sum to 1. */
  const PROBABILITIES = Float32Array.from([0.7, 0.1, 0.2, 1e-30, 1 / 3, 2 / 3, 0, 1, 0]);

  it('round-trips the probabilities of a soft-labelled set bit for bit', () => {
    // arrange
    const set = makeSet({ probabilities: PROBABILITIES });

    // act
    const back = featureSetFromArrow(featureSetToArrow(set), 'soft.arrow');

    // assert
    expect(back.probabilities).toBeInstanceOf(Float32Array);
    expect(float32Bits(back.probabilities!)).toEqual(float32Bits(PROBABILITIES));
    expect(float32Bits(back.features)).toEqual(float32Bits(set.features));
    expect(back.emotions).toEqual(set.emotions);
  });

  it('writes probabilities as a sixth column, fixed_size_list<float32>[classes]', () => {
    // arrange
    const set = makeSet({ probabilities: PROBABILITIES });

    // act
    const table = tableFromIPC(featureSetToArrow(set));

    // assert
    expect(table.schema.fields.map((field) => field.name)).toEqual([
      'id',
      'speaker',
      'emotion',
      'session',
      'features',
      'probabilities',
    ]);
    expect(String(table.schema.fields[5]!.type)).toMatch(/FixedSizeList\[3\]<Float32>/);
    expect(table.schema.fields[5]!.nullable).toBe(false);
    expect(Array.from(table.getChild('probabilities')!.get(1) as Iterable<number>)).toEqual(
      Array.from(PROBABILITIES.subarray(3, 6)),
    );
  });

  it('reads a set without the column back with no probabilities at all', () => {
    // arrange
    const bytes = featureSetToArrow(makeSet());

    // act
    const back = featureSetFromArrow(bytes, 'hard.arrow');

    // assert
    expect(tableFromIPC(bytes).getChild('probabilities')).toBeNull();
    expect('probabilities' in back).toBe(false);
  });

  it('reads probabilities split into several record batches in row order', () => {
    // arrange
    const table = tableFromIPC(featureSetToArrow(makeSet({ probabilities: PROBABILITIES })));
    const batches = [table.slice(0, 1), table.slice(1, 3)].flatMap((part) => part.batches);
    const bytes = tableToIPC(new Table(table.schema, batches), 'file');

    // act
    const back = featureSetFromArrow(bytes, 'batches.arrow');

    // assert
    expect(float32Bits(back.probabilities!)).toEqual(float32Bits(PROBABILITIES));
  });

  it.each([
    ['a row that sums to 0.9', Float32Array.from([0.7, 0.1, 0.2, 0.3, 0.3, 0.3, 0, 1, 0]), 1],
    ['a negative value', Float32Array.from([0.7, 0.1, 0.2, 0.5, 0.5, 0, 1.2, -0.2, 0]), 2],
    ['a value above 1', Float32Array.from([1.5, -0.5, 0, 0.5, 0.5, 0, 0, 1, 0]), 0],
    ['NaN', Float32Array.from([0.7, 0.1, 0.2, 0.5, 0.5, 0, Number.NaN, 1, 0]), 2],
  ])('refuses a probabilities column with %s, naming the file and the row', async (_, probabilities, row) => {
    // arrange
    const bytes = featureSetToArrow(makeSet({ probabilities }));

    // act / assert
    await expectEmodistillError(
      () => featureSetFromArrow(bytes, 'bad-soft.arrow'),
      ERROR_CODES.featureSetFormat,
      'bad-soft.arrow',
      'probabilities',
      `row ${row} `,
    );
  });

  it('accepts rows whose float32 sums are off by rounding only', () => {
    // arrange: 0.1 + 0.2 + 0.7 in float32 is not exactly 1, nor are thirds
    const probabilities = Float32Array.from([0.1, 0.2, 0.7, 1 / 3, 1 / 3, 1 / 3, 0.05, 0.05, 0.9]);

    // act
    const back = featureSetFromArrow(featureSetToArrow(makeSet({ probabilities })), 'rounding.arrow');

    // assert
    expect(float32Bits(back.probabilities!)).toEqual(float32Bits(probabilities));
  });

  it('refuses a probabilities column whose width disagrees with the class names', async () => {
    // arrange: a two-class set whose metadata then names a third class; a three-class set given a fourth
    const twoClasses = makeSet({
      classNames: ['happy', 'sad'],
      probabilities: Float32Array.from([0.5, 0.5, 1, 0, 0, 1]),
    });
    const narrow = withMetadataField(featureSetToArrow(twoClasses), (m) => {
      (m.classNames as string[]).push('neutral');
    });
    const wide = withMetadataField(featureSetToArrow(makeSet({ probabilities: PROBABILITIES })), (m) => {
      (m.classNames as string[]).push('zzz');
    });

    // act / assert
    await expectEmodistillError(
      () => featureSetFromArrow(narrow, 'narrow.arrow'),
      ERROR_CODES.featureSetFormat,
      'narrow.arrow',
      'probabilities',
      'fixed_size_list<float32>[3]',
    );
    await expectEmodistillError(
      () => featureSetFromArrow(wide, 'wide.arrow'),
      ERROR_CODES.featureSetFormat,
      'wide.arrow',
      'probabilities',
      'fixed_size_list<float32>[4]',
    );
  });
});

describe('writeFeatureSet / readFeatureSet', () => {
  const temp = useTempDir();

  it('writes a file that reads back identically and leaves no temporary file behind', async () => {
    // arrange
    const set = makeSet();
    const path = join(temp.path, 'features.arrow');

    // act
    await writeFeatureSet(path, set);
    const back = await readFeatureSet(path);

    // assert
    expect(await readdir(temp.path)).toEqual(['features.arrow']);
    expect(back.ids).toEqual(set.ids);
    expect(float32Bits(back.features)).toEqual(float32Bits(set.features));
    expect(back.spec).toEqual(set.spec);
    expect(back.corpus).toEqual(set.corpus);
  });

  it('replaces an existing file', async () => {
    // arrange
    const path = join(temp.path, 'features.arrow');
    await writeFeatureSet(path, makeSet());
    const smaller = makeSet({
      ids: ['only'],
      speakers: ['s9'],
      emotions: ['neutral'],
      sessions: [''],
      features: Float32Array.from([1, 2, 3, 4]),
    });

    // act
    await writeFeatureSet(path, smaller);
    const back = await readFeatureSet(path);

    // assert
    expect(back.ids).toEqual(['only']);
    expect(Array.from(back.features)).toEqual([1, 2, 3, 4]);
  });

  it('names a missing file in its error', async () => {
    // arrange
    const path = join(temp.path, 'absent.arrow');

    // act / assert
    await expectEmodistillError(() => readFeatureSet(path), ERROR_CODES.featureSetFormat, path, 'not found');
  });

  it('names a truncated file on disk in its error', async () => {
    // arrange
    const path = join(temp.path, 'cut.arrow');
    await writeFile(path, featureSetToArrow(makeSet()).subarray(0, 200));

    // act / assert
    await expectEmodistillError(() => readFeatureSet(path), ERROR_CODES.featureSetFormat, path);
    expect(existsSync(path)).toBe(true);
  });
});
