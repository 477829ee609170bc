import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { EmodistillError } from '../errors.js';
import { validateConfig } from './json-config.js';

const PublicKey = Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$' });
const Schema = Type.Object(
  {
    dataDir: Type.String({ minLength: 1 }),
    sites: Type.Array(
      Type.Object(
        { id: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }), publicKey: PublicKey },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
    training: Type.Object(
      {
        localSteps: Type.Integer({ minimum: 1, default: 200 }),
        distill: Type.Record(Type.String(), Type.Union([Type.Number(), Type.Array(Type.Number())]), { default: {} }),
      },
      { additionalProperties: false, default: {} },
    ),
    strategy: Type.Object(
      { name: Type.Union([Type.Literal('fed-avg'), Type.Literal('fed-median')], { default: 'fed-avg' }) },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

function messageOf(raw: unknown): string {
  try {
    validateConfig(Schema, raw, 'coordinator.json');
  } catch (error) {
    expect(error).toBeInstanceOf(EmodistillError);
    return (error as EmodistillError).message;
  }
  throw new Error('expected the config to be refused');
}

describe('validateConfig', () => {
  it('fills defaults of a valid config', () => {
    // act
    const filled = validateConfig(Schema, { dataDir: 'data' }, 'coordinator.json');

    // assert
    expect(filled).toEqual({
      dataDir: 'data',
      sites: [],
      training: { localSteps: 200, distill: {} },
      strategy: { name: 'fed-avg' },
    });
  });

  it('names the file and the one bad field in words', () => {
    // act
    const message = messageOf({ dataDir: 'data', training: { localSteps: 0 } });

    // assert
    expect(message).toBe('coordinator.json: /training/localSteps must be ≥ 1 (got 0)');
  });

  it('lists every mistake on one line, one per field, without the validator wording', () => {
    // arrange
    const raw = {
      sites: [{ id: 'lab c', publicKey: 'abc', extra: 1 }],
      training: { localSteps: 0, distill: { alpha: 'high' } },
      strategy: { name: 'avg' },
      bogus: true,
    };

    // act
    const message = messageOf(raw);

    // assert
    expect(message).toBe(
      'coordinator.json: 8 errors: /dataDir is missing; /bogus is not a known field; /sites/0/extra is not a known field; ' +
        '/sites/0/id must be 1 to 64 letters, digits, "_", "." or "-" (got "lab c"); ' +
        '/sites/0/publicKey must be an Ed25519 public key: 44 base64 characters ending in "=", as `emodistill keys generate` prints it (got "abc"); ' +
        '/training/localSteps must be ≥ 1 (got 0); /training/distill/alpha must be a number or a list of numbers (got "high"); ' +
        '/strategy/name must be one of "fed-avg", "fed-median" (got "avg")',
    );
    expect(message).not.toMatch(/Expected|\n/);
  });

  it('leaves the raw value untouched', () => {
    // arrange
    const raw = { dataDir: 'data' };

    // act
    validateConfig(Schema, raw, 'coordinator.json');

    // assert
    expect(raw).toEqual({ dataDir: 'data' });
  });
});
