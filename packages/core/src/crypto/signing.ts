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
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((key) => [key, canonical((v as Record<string, unknown>)[key])]));
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

/** False (never throws) for a malformed key or signature, so callers treat every forgery alike. */
export function verifyBytes(bytes: Uint8Array, signatureBase64: string, publicKeyBase64: string): boolean {
  const signature = Buffer.from(signatureBase64, 'base64');
  const publicKey = Buffer.from(publicKeyBase64, 'base64');
  if (signature.length !== nacl.sign.signatureLength || publicKey.length !== nacl.sign.publicKeyLength) return false;
  return nacl.sign.detached.verify(bytes, signature, publicKey);
}

export const encodeKey = (key: Uint8Array): string => Buffer.from(key).toString('base64');

/** Key file: JSON {publicKey, secretKey} in base64, written with mode 0600 (only the owner reads it). */
export async function writeKeyFile(path: string, keys: KeyPair): Promise<void> {
  await writeFile(path, `${JSON.stringify({ type: 'ed25519', publicKey: encodeKey(keys.publicKey), secretKey: encodeKey(keys.secretKey) }, null, 2)}\n`, { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    throw new EmodistillError(ERROR_CODES.invalidOption, error.code === 'EEXIST' ? `${path} already exists; refusing to overwrite a key` : `cannot write key file ${path}: ${error.message}`);
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
  if (publicKey.length !== nacl.sign.publicKeyLength || secretKey.length !== nacl.sign.secretKeyLength || !Buffer.from(secretKey.subarray(32)).equals(publicKey)) {
    throw new EmodistillError(ERROR_CODES.invalidOption, `${path} is not an emodistill Ed25519 key file (fields publicKey and secretKey, base64, matching)`);
  }
  return { publicKey: new Uint8Array(publicKey), secretKey: new Uint8Array(secretKey) };
}
