import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  canonicalBytes,
  encodeKey,
  generateKeyPair,
  readKeyFile,
  signBytes,
  verifyBytes,
  writeKeyFile,
} from './signing.js';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('signing', () => {
  it('verifies a signature over canonical bytes whatever the key order, and rejects altered or forged ones', () => {
    // arrange
    const keys = generateKeyPair();
    const other = generateKeyPair();
    const header = { round: 3, siteId: 'a', nested: { b: 1, a: [2, { d: 1, c: 0 }] } };
    const reordered = { nested: { a: [2, { c: 0, d: 1 }], b: 1 }, siteId: 'a', round: 3 };

    // act
    const signature = signBytes(canonicalBytes(header), keys.secretKey);

    // assert
    expect(new TextDecoder().decode(canonicalBytes(reordered))).toBe(
      '{"nested":{"a":[2,{"c":0,"d":1}],"b":1},"round":3,"siteId":"a"}',
    );
    expect(verifyBytes(canonicalBytes(reordered), signature, encodeKey(keys.publicKey))).toBe(true);
    expect(verifyBytes(canonicalBytes({ ...header, round: 4 }), signature, encodeKey(keys.publicKey))).toBe(false);
    expect(verifyBytes(canonicalBytes(header), signature, encodeKey(other.publicKey))).toBe(false);
    expect(verifyBytes(canonicalBytes(header), 'not-a-signature', encodeKey(keys.publicKey))).toBe(false);
  });

  it('writes key files with mode 0600, reads them back, and refuses to overwrite or read a broken one', async () => {
    // arrange
    const dir = await mkdtemp(join(tmpdir(), 'emodistill-keys-'));
    dirs.push(dir);
    const path = join(dir, 'site.key');
    const keys = generateKeyPair();

    // act
    await writeKeyFile(path, keys);
    const read = await readKeyFile(path);

    // assert
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(encodeKey(read.publicKey)).toBe(encodeKey(keys.publicKey));
    await expect(writeKeyFile(path, generateKeyPair())).rejects.toThrow(/already exists/);
    await writeFile(join(dir, 'broken.key'), '{"publicKey":"AAAA","secretKey":"BBBB"}');
    await expect(readKeyFile(join(dir, 'broken.key'))).rejects.toThrow(/not an emodistill Ed25519 key file/);
  });
});
