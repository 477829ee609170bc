import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import nacl from 'tweetnacl';
import { EmodistillError, ERROR_CODES } from '../errors.js';

/** An Ed25519 key pair; keys as raw bytes (public 32, secret 64). */
export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/**
 * Canonical bytes of a JSON value: object keys sorted at every level, no whitespace, so the
 * signer and the verifier hash the same bytes whatever order a message was built in.
 */
export function canonicalBytes(value: unknown): Uint8Array {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((key) => [key, canonical((v as Record<string, unknown>)[key])]),
      );
    return v;
  };
  return new TextEncoder().encode(JSON.stringify(canonical(value)));
}

export function generateKeyPair(): KeyPair {
  const { publicKey, secretKey } = nacl.sign.keyPair();
  return { publicKey, secretKey };
}

/** @returns a detached Ed25519 signature, base64 */
export function signBytes(bytes: Uint8Array, secretKey: Uint8Array): string {
  return Buffer.from(nacl.sign.detached(bytes, secretKey)).toString('base64');
}

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32 raw key bytes follow. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** Parsed public keys: a coordinator verifies the same few keys on every request. */
const publicKeyObjects = new Map<string, KeyObject>();

function publicKeyObject(publicKeyBase64: string, publicKey: Buffer): KeyObject {
  let key = publicKeyObjects.get(publicKeyBase64);
  if (!key) {
    if (publicKeyObjects.size >= 10_000) publicKeyObjects.clear();
    key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    publicKeyObjects.set(publicKeyBase64, key);
  }
  return key;
}

/**
 * False (never throws) for a malformed key or signature, so callers treat every forgery alike.
 * Verified with node's OpenSSL Ed25519 (about 50× faster than tweetnacl's here; the same RFC 8032
 * signatures verify), since the coordinator checks one per request.
 */
export function verifyBytes(bytes: Uint8Array, signatureBase64: string, publicKeyBase64: string): boolean {
  const signature = Buffer.from(signatureBase64, 'base64');
  const publicKey = Buffer.from(publicKeyBase64, 'base64');
  if (signature.length !== nacl.sign.signatureLength || publicKey.length !== nacl.sign.publicKeyLength) return false;
  try {
    return verify(null, bytes, publicKeyObject(publicKeyBase64, publicKey), signature);
  } catch {
    return false;
  }
}

export const encodeKey = (key: Uint8Array): string => Buffer.from(key).toString('base64');

/** Key file: JSON {publicKey, secretKey} in base64, written with mode 0600 (only the owner reads it). */
export async function writeKeyFile(path: string, keys: KeyPair): Promise<void> {
  await writeFile(
    path,
    `${JSON.stringify({ type: 'ed25519', publicKey: encodeKey(keys.publicKey), secretKey: encodeKey(keys.secretKey) }, null, 2)}\n`,
    { mode: 0o600, flag: 'wx' },
  ).catch((error: NodeJS.ErrnoException) => {
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      error.code === 'EEXIST'
        ? `${path} already exists; refusing to overwrite a key`
        : `cannot write key file ${path}: ${error.message}`,
    );
  });
  // The mode argument is masked by the umask: set it explicitly.
  await chmod(path, 0o600);
}

export async function readKeyFile(path: string): Promise<KeyPair> {
  let parsed: { publicKey?: unknown; secretKey?: unknown };
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as typeof parsed;
  } catch (error) {
    throw new EmodistillError(ERROR_CODES.invalidOption, `cannot read key file ${path}: ${(error as Error).message}`);
  }
  const publicKey = Buffer.from(String(parsed.publicKey ?? ''), 'base64');
  const secretKey = Buffer.from(String(parsed.secretKey ?? ''), 'base64');
  if (
    publicKey.length !== nacl.sign.publicKeyLength ||
    secretKey.length !== nacl.sign.secretKeyLength ||
    !Buffer.from(secretKey.subarray(32)).equals(publicKey)
  ) {
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      `${path} is not an emodistill Ed25519 key file (fields publicKey and secretKey, base64, matching)`,
    );
  }
  return { publicKey: new Uint8Array(publicKey), secretKey: new Uint8Array(secretKey) };
}
