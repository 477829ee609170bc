import { createHash, createPrivateKey, randomBytes, sign as signNative, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_AUDIT_POLICY,
  AUTH_HEADER,
  canonicalBytes,
  encodeGeneratorBundle,
  encodeKey,
  encodeSafetensors,
  generateKeyPair,
  initialGeneratorWeights,
  PROTOCOL,
  REQUEST_MAX_SKEW_MS,
  signBytes,
  writeKeyFile,
  type Attestation,
  type KeyPair,
  type NamedTensor,
  type UpdateHeader,
} from '@emodistill/core';
import { openStore, resolveCoordinatorConfig, startCoordinator, type RunningCoordinator } from '../src/index.js';

/*
 * Property-based fuzzing (fast-check) of the coordinator's HTTP and socket.io surface: a real
 * coordinator listening on 127.0.0.1 (startCoordinator, port 0) with a real open round, real site
 * and operator keys, and thousands of generated bad requests sent over raw TCP (so bodies can be
 * truncated and headers malformed). For every bad request: no 2xx, no 500 (503 only from the upload
 * bound), a JSON error `{ code, message }`, and nothing new in the store. At the end the
 * coordinator is healthy and still accepts a legitimate site's signed update.
 *
 * A failure prints fast-check's seed and path; replay with FUZZ_SEED=<seed>. FUZZ_RUNS=<factor>
 * scales every property's number of runs (default 1).
 */

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const RUNS_FACTOR = Number(process.env.FUZZ_RUNS ?? 1);
/**
 * fast-check options: `n` runs (scaled by FUZZ_RUNS). `stateful`: a failure stores something, so
 * shrinking would only replay against a changed coordinator; report the first failure instead.
 */
const runs = (n: number, stateful = false): { numRuns: number; seed?: number; endOnFailure?: boolean } => ({
  numRuns: Math.max(1, Math.round(n * RUNS_FACTOR)),
  ...(SEED !== undefined && { seed: SEED }),
  ...(stateful && { endOnFailure: true }),
});

// A tiny generator (noise 2 + 2 classes → 4 hidden → 3 features): small payloads, same code paths.
const MODEL = {
  classNames: ['angry', 'sad'],
  featureDimension: 3,
  noiseDimension: 2,
  hiddenUnits: [4],
};
const ARCHITECTURE = { noiseDimension: 2, hiddenUnits: [4], classCount: 2, outputDimension: 3 };
const LAYOUT = initialGeneratorWeights(ARCHITECTURE, 0).map((t) => ({ name: t.name, shape: [...t.shape] }));
const MAX_PAYLOAD_BYTES = 8192;
const OPEN_ROUND = 3;
const BASE_VERSION = 2;
const FEATURE_SPEC = { name: 'fuzz-features', version: '1', params: {}, dimensionNames: ['f0', 'f1', 'f2'] };

const counts = { http: 0, socket: 0, started: performance.now() };

// ---------------------------------------------------------------------------------------------
// Signing (node's native Ed25519: the same deterministic signatures as tweetnacl, ~100× faster,
// so the generator is not the bottleneck; a test below checks they are byte-identical).

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

interface Signer {
  readonly keys: KeyPair;
  readonly publicKey: string;
  sign(bytes: Uint8Array): string;
}

function signer(keys: KeyPair = generateKeyPair()): Signer {
  const key: KeyObject = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(keys.secretKey.subarray(0, 32))]),
    format: 'der',
    type: 'pkcs8',
  });
  return {
    keys,
    publicKey: encodeKey(keys.publicKey),
    sign: (bytes) => signNative(null, bytes, key).toString('base64'),
  };
}

const sha256Hex = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');
const b64 = (value: string | Uint8Array): string => Buffer.from(value).toString('base64');
const nonce = (): string => randomBytes(16).toString('hex');

interface AuthFields {
  role: string;
  id: string;
  method: string;
  path: string;
  bodySha256: string;
  time: string;
  nonce: string;
}

/** The x-emodistill-auth value of a request, as core's signRequest builds it; `alter` edits fields after signing. */
function authHeader(
  by: Signer,
  fields: {
    role: 'site' | 'admin';
    id: string;
    method: string;
    path: string;
    body?: Uint8Array | string;
    time?: string;
  },
  alter?: Partial<AuthFields>,
): string {
  const unsigned: AuthFields = {
    role: fields.role,
    id: fields.id,
    method: fields.method.toUpperCase(),
    path: fields.path,
    bodySha256: sha256Hex(fields.body ?? ''),
    time: fields.time ?? new Date().toISOString(),
    nonce: nonce(),
  };
  return b64(JSON.stringify({ ...unsigned, signature: by.sign(canonicalBytes(unsigned)), ...alter }));
}

/** The x-emodistill-update value: a header signed over its canonical bytes; `alter` edits it after signing. */
function envelopeHeader(by: Signer, header: UpdateHeader, alter?: Partial<UpdateHeader>): string {
  return b64(JSON.stringify({ header: { ...header, ...alter }, signature: by.sign(canonicalBytes(header)) }));
}

function updateHeader(siteId: string, payload: Uint8Array, fields: Partial<UpdateHeader> = {}): UpdateHeader {
  return {
    siteId,
    round: OPEN_ROUND,
    baseVersion: BASE_VERSION,
    numExamples: 40,
    sha256: sha256Hex(payload),
    metrics: {},
    nonce: nonce(),
    time: new Date().toISOString(),
    ...fields,
  };
}

const tensors = (fill: (i: number) => number): NamedTensor[] =>
  LAYOUT.map((l) => ({
    name: l.name,
    shape: l.shape,
    values: Float32Array.from({ length: l.shape.reduce((a, b) => a * b, 1) }, (_, i) => fill(i)),
  }));
/** A valid training update: small finite Δ of the generator's layout. */
const validDelta = (): Buffer =>
  Buffer.from(
    encodeSafetensors(
      tensors((i) => 0.001 * (i % 7)),
      {},
    ),
  );

function momentsPayload(mean: readonly number[], variance: readonly number[]): Buffer {
  return Buffer.from(
    encodeSafetensors(
      [
        { name: PROTOCOL.momentMeanTensor, shape: [mean.length], values: Float32Array.from(mean) },
        { name: PROTOCOL.momentVarianceTensor, shape: [variance.length], values: Float32Array.from(variance) },
      ],
      {
        [PROTOCOL.siteStatisticsKey]: JSON.stringify({
          classNames: MODEL.classNames,
          featureSpec: FEATURE_SPEC,
          speakers: 2,
        }),
      },
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP over TCP: full control of the bytes (truncated bodies, lying Content-Length, chunking).

interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: readonly (readonly [string, string | undefined])[];
  readonly body?: Buffer;
  /** Content-Length to declare (default: the body's length); 'none' sends none. */
  readonly contentLength?: number | 'none';
  readonly chunked?: boolean;
  /** Close our side right after writing (a client that goes away mid-body). */
  readonly halfClose?: boolean;
  /** Send exactly these bytes instead (malformed HTTP). */
  readonly raw?: Buffer;
}

interface RawReply {
  /** undefined: the connection closed without a reply. */
  readonly status: number | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

function requestBytes(request: RawRequest): Buffer {
  if (request.raw) return request.raw;
  const body = request.body ?? Buffer.alloc(0);
  const lines = [`${request.method} ${request.path} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close'];
  for (const [name, value] of request.headers ?? []) if (value !== undefined) lines.push(`${name}: ${value}`);
  if (request.chunked) lines.push('transfer-encoding: chunked');
  else if (
    request.contentLength !== 'none' &&
    (body.length > 0 || request.contentLength !== undefined || request.method === 'PUT' || request.method === 'POST')
  )
    lines.push(`content-length: ${request.contentLength ?? body.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  if (!request.chunked) return Buffer.concat([head, body]);
  const half = body.subarray(0, body.length >> 1);
  const rest = body.subarray(body.length >> 1);
  const chunk = (part: Buffer): Buffer =>
    part.length
      ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')])
      : Buffer.alloc(0);
  return Buffer.concat([head, chunk(half), chunk(rest), Buffer.from('0\r\n\r\n')]);
}

function parseReply(bytes: Buffer): RawReply {
  const end = bytes.indexOf('\r\n\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(bytes.subarray(0, Math.max(0, end)).toString('latin1'));
  if (end < 0 || !status) return { status: undefined, headers: {}, body: Buffer.alloc(0) };
  const headers: Record<string, string> = {};
  for (const line of bytes.subarray(0, end).toString('latin1').split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = bytes.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    const parts: Buffer[] = [];
    for (let at = 0; at < body.length;) {
      const lineEnd = body.indexOf('\r\n', at);
      const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (!(size > 0)) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  return { status: Number(status[1]), headers, body };
}

function send(port: number, request: RawRequest): Promise<RawReply> {
  counts.http++;
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.setTimeout(request.halfClose ? 2_000 : 15_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(parseReply(Buffer.concat(chunks))));
    socket.write(requestBytes(request));
    if (request.halfClose) socket.end();
  });
}

const json = (reply: RawReply): unknown => {
  try {
    return JSON.parse(reply.body.toString('utf8'));
  } catch {
    return undefined;
  }
};
const describeReply = (reply: RawReply): string =>
  `HTTP ${reply.status ?? '(none)'} ${reply.body.toString('utf8').slice(0, 300)}`;

/**
 * The refusal contract: a 4xx (or 503 from the upload bound, where `busy` allows it) with a JSON
 * body `{ code: string, message: string }`. `clientGone` (the client closed its side mid-body)
 * allows no reply at all, or a 4xx from the HTTP parser, which nobody is left to read.
 */
function expectRefused(reply: RawReply, what: string, allow: { busy?: boolean; clientGone?: boolean } = {}): void {
  if (reply.status === undefined) {
    if (allow.clientGone) return;
    throw new Error(`${what}: connection closed without a reply`);
  }
  if (reply.status < 400) throw new Error(`${what}: accepted (${describeReply(reply)})`);
  if (reply.status >= 500 && !(reply.status === 503 && allow.busy))
    throw new Error(`${what}: server error (${describeReply(reply)})`);
  if (reply.status === 503 && reply.headers['retry-after'] === undefined)
    throw new Error(`${what}: 503 without Retry-After (${describeReply(reply)})`);
  if (allow.clientGone) return;
  const body = json(reply) as { code?: unknown; message?: unknown } | undefined;
  if (typeof body?.code !== 'string' || typeof body.message !== 'string')
    throw new Error(`${what}: error reply is not JSON { code, message } (${describeReply(reply)})`);
}

/** What is wrong with each named reply under the refusal contract (none: []). */
function problems(replies: Record<string, RawReply>): string[] {
  return Object.entries(replies).flatMap(([name, reply]) => {
    try {
      expectRefused(reply, name);
      return [];
    } catch (error) {
      return [(error as Error).message];
    }
  });
}

// ---------------------------------------------------------------------------------------------
// A real coordinator with a real open round.

interface Fixture {
  readonly running: RunningCoordinator;
  readonly port: number;
  readonly url: string;
  readonly admin: Signer;
  site(siteId: string): Signer;
  /** Rows of every table that a request could change (request nonces aside), as one string. */
  snapshot(): string;
  updateCount(): number;
  send(request: RawRequest): Promise<RawReply>;
  close(): Promise<void>;
}

interface FixtureOptions {
  readonly kind: 'statistics' | 'training';
  /** Sites of the open round. */
  readonly participants: readonly string[];
  /** Allow-listed sites that are not participants. */
  readonly others?: readonly string[];
  readonly revoked?: readonly string[];
}

async function startFixture(options: FixtureOptions): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'emodistill-fuzz-'));
  const admin = signer();
  const sites = new Map<string, Signer>();
  const site = (siteId: string): Signer => {
    if (!sites.has(siteId)) sites.set(siteId, signer());
    return sites.get(siteId)!;
  };
  await writeKeyFile(join(dir, 'coordinator.key'), generateKeyPair());
  const store = openStore(join(dir, 'data'));
  for (const siteId of [...options.participants, ...(options.others ?? []), ...(options.revoked ?? [])])
    store.addSite(siteId, site(siteId).publicKey);
  for (const siteId of options.revoked ?? []) store.revokeSite(siteId);
  const deadline = new Date(Date.now() + 3_600_000).toISOString();
  if (options.kind === 'training') {
    store.openRound({ round: 2, kind: 'training', baseVersion: 1, deadline, participants: [...options.participants] });
    store.setRoundState(2, 'closed');
    const bundle = encodeGeneratorBundle({
      metadata: {
        formatVersion: '1',
        architecture: {
          kind: 'conditional-mlp-generator',
          noiseDimension: 2,
          hiddenUnits: [4],
          activation: 'leakyRelu',
          outputDimension: 3,
          conditioning: 'concat-one-hot',
        },
        classNames: MODEL.classNames,
        featureSpec: FEATURE_SPEC,
        trainingConfig: {},
        provenance: {
          createdAt: '',
          tool: 'fuzz',
          trainingRows: 10,
          trainingSpeakers: 2,
          corpusSource: 'federated',
          steps: 5,
          seconds: 0,
          backend: 'federated',
          federation: { sites: [...options.participants], trainingRounds: 1, strategy: 'fed-avg' },
        },
      },
      weights: initialGeneratorWeights(ARCHITECTURE, 1),
      standardiser: { mean: new Float32Array(3), std: Float32Array.from([1, 1, 1]) },
    });
    store.recordVersion(
      {
        version: BASE_VERSION,
        round: 2,
        sha256: sha256Hex(bundle),
        weightsSha256: 'w'.repeat(64),
        sites: [...options.participants],
        createdAt: '',
      },
      bundle,
    );
    store.openRound({
      round: OPEN_ROUND,
      kind: 'training',
      baseVersion: BASE_VERSION,
      deadline,
      participants: [...options.participants],
    });
  } else {
    store.openRound({
      round: 0,
      kind: 'statistics',
      baseVersion: 0,
      deadline,
      participants: [...options.participants],
    });
  }
  store.close();
  const config = resolveCoordinatorConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      dataDir: 'data',
      keyFile: 'coordinator.key',
      adminPublicKeys: [admin.publicKey],
      model: MODEL,
      // Never closes on its own while fuzzed: more sites needed than take part, nobody dropped.
      rounds: { minSites: options.participants.length + 1, timeoutSeconds: 3600, reconnectGraceSeconds: 3600 },
      limits: { maxPayloadBytes: MAX_PAYLOAD_BYTES, maxUpdateNorm: 10 },
    },
    'fuzz config',
    dir,
  );
  const running = await startCoordinator(config);
  const port = Number(new URL(running.url).port);
  const db = new Database(join(dir, 'data', 'coordinator.sqlite'), { readonly: true, fileMustExist: true });
  const snapshotQuery = db.prepare(
    `SELECT (SELECT COUNT(*) FROM updates) AS updates,
            (SELECT COUNT(*) FROM attestations) AS attestations,
            (SELECT group_concat(site_id || ':' || public_key || ':' || revoked) FROM sites) AS sites,
            (SELECT group_concat(round || ':' || state || ':' || deadline) FROM rounds) AS rounds,
            (SELECT group_concat(site_id || '@' || round) FROM participants) AS participants,
            (SELECT COUNT(*) FROM versions) AS versions,
            (SELECT group_concat(key || '=' || value) FROM meta) AS meta`,
  );
  const updateCount = db.prepare('SELECT COUNT(*) AS n FROM updates');
  return {
    running,
    port,
    url: running.url,
    admin,
    site,
    snapshot: () => JSON.stringify(snapshotQuery.get()),
    updateCount: () => (updateCount.get() as { n: number }).n,
    send: (request) => send(port, request),
    async close() {
      db.close();
      await running.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `act`, then checks that the store is exactly as before. */
async function leavesStoreUnchanged(fixture: Fixture, what: string, act: () => Promise<void>): Promise<void> {
  const before = fixture.snapshot();
  await act();
  const after = fixture.snapshot();
  if (after !== before) throw new Error(`${what}: the store changed\nbefore ${before}\nafter  ${after}`);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries.

const text = (maxLength: number): fc.Arbitrary<string> => fc.string({ maxLength });
const bytes = (maxLength: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b));
const hexOf = (byteLength: number): fc.Arbitrary<string> =>
  fc.uint8Array({ minLength: byteLength, maxLength: byteLength }).map((b) => Buffer.from(b).toString('hex'));
const signatureLike = fc.oneof(fc.uint8Array({ minLength: 64, maxLength: 64 }).map(b64), text(120));
const isJson = (s: string): boolean => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};
const safePathSegment = (s: string): string => {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ZZ';
  }
};

/** Valid JSON that is no request body of ours (the strict schemas refuse it, and it cannot be coerced into one). */
const junkJson = fc.oneof(
  fc.json({ maxDepth: 3 }).filter((s) => !/"(rounds|siteId|publicKey)"/.test(s)),
  fc.constantFrom(
    '{}',
    'null',
    '[]',
    '""',
    '0',
    'true',
    '-1',
    '1e999',
    '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    '[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]',
  ),
);
/** Not JSON at all: truncated documents, single quotes, trailing commas, a BOM, binary. */
const invalidJson = fc
  .oneof(
    fc
      .json({ maxDepth: 3 })
      .filter((s) => s.length > 1)
      .chain((s) => fc.integer({ min: 1, max: s.length - 1 }).map((n) => s.slice(0, n))),
    fc.constantFrom(
      '{',
      '{"rounds":',
      "{'rounds': 2}",
      'undefined',
      'NaN',
      '{"a":1,}',
      '\u0000',
      '[1,2',
      'nul',
      '{"rounds": 2} trailing',
      '\uFEFF{}',
      '{"a":"\\ud800"',
      '// {}',
    ),
    text(100),
  )
  .filter((s) => s.length > 0 && !isJson(s));
const anyBody = fc.oneof(
  { weight: 3, arbitrary: bytes(2048) },
  { weight: 2, arbitrary: junkJson.map((s) => Buffer.from(s)) },
  { weight: 3, arbitrary: invalidJson.map((s) => Buffer.from(s)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(Buffer.alloc(0), Buffer.alloc(70_000, 0x7b), Buffer.alloc(MAX_PAYLOAD_BYTES + 1)),
  },
);
const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/octet-stream',
  'application/octet-stream; x=1',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/',
  ';',
  '',
  'garbage',
);
const contentEncoding = fc.constantFrom(undefined, undefined, undefined, 'gzip', 'br', 'identity', 'x-nonsense');
/** How the body travels: as declared, chunked, or cut short with a Content-Length that lies. */
const framing: fc.Arbitrary<{ chunked?: boolean; truncatedBy?: number }> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.constant({ chunked: true }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5000 }).map((extra) => ({ truncatedBy: extra })) },
);

const authShaped = (ids: readonly string[]): fc.Arbitrary<string> =>
  fc
    .record(
      {
        role: fc.constantFrom('site', 'admin', 'operator', ''),
        id: fc.constantFrom(...ids, 'nobody', ''),
        method: fc.constantFrom('GET', 'PUT', 'POST', 'get', ''),
        path: fc.constantFrom('/attestations', '/admin/status', '/admin/rounds/start', PROTOCOL.socketPath, '/'),
        bodySha256: fc.oneof(hexOf(32), text(70)),
        time: fc.oneof(
          fc.constant(new Date().toISOString()),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          text(30),
        ),
        nonce: fc.oneof(hexOf(16), text(40)),
        signature: signatureLike,
        extra: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    )
    .map((o) => b64(JSON.stringify(o)));
const garbageAuth = (ids: readonly string[]): fc.Arbitrary<string | undefined> =>
  fc.oneof(fc.constant(undefined), fc.constant(''), text(300), bytes(300).map(b64), junkJson.map(b64), authShaped(ids));

const envelopeShaped = fc
  .record(
    {
      header: fc.record(
        {
          siteId: fc.constantFrom('site-a', 'site-b', 'site-r', 'nobody', ''),
          round: fc.oneof(fc.constant(OPEN_ROUND), fc.integer(), fc.double()),
          baseVersion: fc.oneof(fc.constant(BASE_VERSION), fc.integer()),
          numExamples: fc.oneof(fc.integer(), fc.double(), text(5)),
          sha256: fc.oneof(hexOf(32), text(64)),
          metrics: fc.dictionary(text(8), fc.oneof(fc.double(), text(5))),
          nonce: fc.oneof(hexOf(16), text(40)),
          time: fc.oneof(
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            text(30),
          ),
        },
        { requiredKeys: [] },
      ),
      signature: signatureLike,
    },
    { requiredKeys: [] },
  )
  .map((o) => b64(JSON.stringify(o)));
const garbageEnvelope = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('', 'e30=', 'bnVsbA==', '!!!!', 'a'.repeat(9000)),
  text(200),
  bytes(300).map(b64),
  junkJson.map(b64),
  envelopeShaped,
);

const roundParam = fc.oneof(
  { weight: 4, arbitrary: fc.constant(String(OPEN_ROUND)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '2',
      '4',
      '0',
      '-1',
      '03',
      '3.0',
      '1e1',
      '0x3',
      'NaN',
      'Infinity',
      '99999999999999999999',
      '%33',
      '3%00',
      '%ZZ',
    ),
  },
  { weight: 1, arbitrary: fc.nat().map(String) },
  {
    weight: 1,
    arbitrary: text(12)
      .filter((s) => s.length > 0)
      .map(safePathSegment),
  },
);
const versionParam = fc.oneof(
  fc.constantFrom('1', '2', '3', '0', '-2', '2.5', '1e3', '%ZZ', '99999999999999999999'),
  text(12)
    .filter((s) => s.length > 0)
    .map(safePathSegment),
);
const siteIdParam = fc.oneof(
  fc.constantFrom('site-a', 'site-r', 'nobody', 'x'.repeat(65), '%ZZ', '..'),
  text(20)
    .filter((s) => s.length > 0)
    .map(safePathSegment),
);
const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom('?release=true', '?release=maybe', '?release=', '?release=1&release=0', '?x=1', '?__proto__[x]=1'),
  text(20).map((s) => `?${safePathSegment(s)}`),
);

interface Route {
  readonly method: string;
  readonly path: string;
  /** The upload route: the only one where the in-flight bound may answer 503. */
  readonly upload?: boolean;
}
const anyRoute: fc.Arbitrary<Route> = fc.oneof(
  { weight: 4, arbitrary: roundParam.map((r) => ({ method: 'PUT', path: `/rounds/${r}/updates`, upload: true })) },
  { weight: 2, arbitrary: fc.constant({ method: 'PUT', path: '/attestations' }) },
  { weight: 1, arbitrary: versionParam.map((v) => ({ method: 'GET', path: `/models/${v}` })) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      { method: 'POST', path: '/admin/rounds/start' },
      { method: 'POST', path: '/admin/sites' },
      { method: 'POST', path: '/admin/rounds/abort' },
      { method: 'GET', path: '/admin/status' },
      { method: 'GET', path: '/admin/versions' },
      { method: 'GET', path: '/admin/sites' },
    ),
  },
  { weight: 1, arbitrary: siteIdParam.map((id) => ({ method: 'POST', path: `/admin/sites/${id}/revoke` })) },
  { weight: 1, arbitrary: query.map((q) => ({ method: 'GET', path: `/admin/export${q}` })) },
);

/** A request to `route` with a body, content type and framing from the arbitraries. */
function shape(
  route: Route,
  body: Buffer,
  headers: readonly (readonly [string, string | undefined])[],
  how: { chunked?: boolean; truncatedBy?: number },
): RawRequest {
  return {
    method: route.method,
    path: route.path,
    headers,
    body,
    ...(how.chunked && { chunked: true }),
    ...(how.truncatedBy !== undefined && { contentLength: body.length + how.truncatedBy, halfClose: true }),
  };
}

// ---------------------------------------------------------------------------------------------

describe('coordinator fuzz: HTTP and socket.io surface of a training round', () => {
  let fixture: Fixture;
  /** Site-b's accepted update (the captured request replays start from). */
  let captured: { envelope: string; payload: Buffer; header: UpdateHeader };
  /** Validly signed requests already sent once (replays must be refused). */
  const used: RawRequest[] = [];

  beforeAll(async () => {
    fixture = await startFixture({
      kind: 'training',
      participants: ['site-a', 'site-b', 'site-d'],
      revoked: ['site-r'],
    });
    const payload = validDelta();
    const header = updateHeader('site-b', payload);
    const envelope = envelopeHeader(fixture.site('site-b'), header);
    const reply = await fixture.send({
      method: 'PUT',
      path: `/rounds/${OPEN_ROUND}/updates`,
      headers: [
        ['content-type', 'application/octet-stream'],
        [PROTOCOL.updateHeader, envelope],
      ],
      body: payload,
    });
    expect(reply.status, describeReply(reply)).toBe(200);
    captured = { envelope, payload, header };
    // Genuine signed requests, sent once: the replays below must be refused.
    const admin = fixture.admin;
    const genuine: RawRequest[] = [
      ...['/admin/status', '/admin/versions', '/admin/sites'].map((path): RawRequest => ({
        method: 'GET',
        path,
        headers: [[AUTH_HEADER, authHeader(admin, { role: 'admin', id: admin.publicKey, method: 'GET', path })]],
      })),
      {
        method: 'GET',
        path: `/models/${BASE_VERSION}`,
        headers: [
          [
            AUTH_HEADER,
            authHeader(fixture.site('site-a'), {
              role: 'site',
              id: 'site-a',
              method: 'GET',
              path: `/models/${BASE_VERSION}`,
            }),
          ],
        ],
      },
    ];
    for (const request of genuine) {
      const first = await fixture.send(request);
      expect(first.status, describeReply(first)).toBe(200);
      used.push(request);
    }
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('signs as core does (the fast signer makes byte-identical signatures) and a signed admin request passes', async () => {
    // arrange
    const bytes = canonicalBytes({ any: 'thing', n: 1 });
    const admin = fixture.admin;

    // act
    const status = await fixture.send({
      method: 'GET',
      path: '/admin/status',
      headers: [
        [AUTH_HEADER, authHeader(admin, { role: 'admin', id: admin.publicKey, method: 'GET', path: '/admin/status' })],
      ],
    });

    // assert
    expect(admin.sign(bytes)).toBe(signBytes(bytes, admin.keys.secretKey));
    expect(status.status, describeReply(status)).toBe(200);
    expect((json(status) as { acceptedSites: string[] }).acceptedSites).toEqual(['site-b']);
  });

  describe('regressions (500s of the known issue)', () => {
    it('invalid JSON to PUT /attestations, POST /admin/rounds/start, POST /admin/sites and an update sent as application/json is a coded 4xx, not FST_ERR_FAILED_ERROR_SERIALIZATION', async () => {
      // arrange
      const body = Buffer.from('{"rounds": 2');
      const admin = fixture.admin;
      const signedFor = (path: string, role: 'site' | 'admin'): string =>
        authHeader(role === 'admin' ? admin : fixture.site('site-a'), {
          role,
          id: role === 'admin' ? admin.publicKey : 'site-a',
          method: path === '/attestations' ? 'PUT' : 'POST',
          path,
          body,
        });
      const payload = validDelta();

      // act
      const replies = {
        attestation: await fixture.send({
          method: 'PUT',
          path: '/attestations',
          headers: [
            ['content-type', 'application/json'],
            [AUTH_HEADER, signedFor('/attestations', 'site')],
          ],
          body,
        }),
        roundsStart: await fixture.send({
          method: 'POST',
          path: '/admin/rounds/start',
          headers: [
            ['content-type', 'application/json'],
            [AUTH_HEADER, signedFor('/admin/rounds/start', 'admin')],
          ],
          body,
        }),
        sites: await fixture.send({
          method: 'POST',
          path: '/admin/sites',
          headers: [
            ['content-type', 'application/json'],
            [AUTH_HEADER, signedFor('/admin/sites', 'admin')],
          ],
          body,
        }),
        update: await fixture.send({
          method: 'PUT',
          path: `/rounds/${OPEN_ROUND}/updates`,
          headers: [
            ['content-type', 'application/json'],
            [PROTOCOL.updateHeader, envelopeHeader(fixture.site('site-a'), updateHeader('site-a', payload))],
          ],
          body,
        }),
      };

      // assert
      expect(problems(replies)).toEqual([]);
    });

    it('PUT /rounds/<open>/updates with x-emodistill-update "e30=" and no body, or a JSON body null, is a coded 4xx, not a TypeError', async () => {
      // arrange
      const path = `/rounds/${OPEN_ROUND}/updates`;

      // act
      const noBody = await fixture.send({ method: 'PUT', path, headers: [[PROTOCOL.updateHeader, 'e30=']] });
      const nullBody = await fixture.send({
        method: 'PUT',
        path,
        headers: [
          ['content-type', 'application/json'],
          [PROTOCOL.updateHeader, 'e30='],
        ],
        body: Buffer.from('null'),
      });

      // assert
      expect(problems({ noBody, nullBody })).toEqual([]);
    });

    it('a validly signed update whose body is JSON {} is a coded 4xx, not ERR_INVALID_ARG_TYPE', async () => {
      // arrange
      const body = Buffer.from('{}');
      const envelope = envelopeHeader(fixture.site('site-a'), updateHeader('site-a', body));

      // act
      const reply = await fixture.send({
        method: 'PUT',
        path: `/rounds/${OPEN_ROUND}/updates`,
        headers: [
          ['content-type', 'application/json'],
          [PROTOCOL.updateHeader, envelope],
        ],
        body,
      });

      // assert
      expectRefused(reply, 'signed update with body {}');
    });
  });

  it('refuses unsigned garbage to every route: any body, content type, encoding, framing and auth header', async () => {
    const ids = ['site-a', fixture.admin.publicKey];
    await fc.assert(
      fc.asyncProperty(
        anyRoute,
        anyBody,
        contentType,
        contentEncoding,
        framing,
        garbageAuth(ids),
        garbageEnvelope,
        async (route, body, type, encoding, how, auth, envelope) => {
          const headers: [string, string | undefined][] = [
            ['content-type', type],
            ['content-encoding', encoding],
            [AUTH_HEADER, auth],
          ];
          if (route.upload) headers.push([PROTOCOL.updateHeader, envelope]);
          await leavesStoreUnchanged(fixture, `${route.method} ${route.path}`, async () => {
            const reply = await fixture.send(shape(route, body, headers, how));
            expectRefused(reply, `${route.method} ${route.path} (${type ?? 'no content type'}, ${body.length} bytes)`, {
              busy: route.upload,
              clientGone: how.truncatedBy !== undefined,
            });
          });
        },
      ),
      runs(1700),
    );
  });

  it('refuses forged, altered, misdirected, stale, replayed and wrong-role request signatures', async () => {
    const intruder = signer();
    const admin = fixture.admin;
    const validBodies: Record<string, string> = {
      '/admin/rounds/start': '{"rounds":2}',
      '/admin/sites': JSON.stringify({ siteId: 'site-z', publicKey: intruder.publicKey }),
    };
    const signedRoutes = fc.constantFrom<{ method: string; path: string; roles: readonly string[] }>(
      { method: 'GET', path: '/admin/status', roles: ['admin'] },
      { method: 'GET', path: '/admin/sites', roles: ['admin'] },
      { method: 'POST', path: '/admin/rounds/start', roles: ['admin'] },
      { method: 'POST', path: '/admin/sites', roles: ['admin'] },
      { method: 'POST', path: '/admin/sites/site-a/revoke', roles: ['admin'] },
      { method: 'POST', path: '/admin/rounds/abort', roles: ['admin'] },
      { method: 'GET', path: '/admin/export', roles: ['admin'] },
      { method: 'GET', path: `/models/${BASE_VERSION}`, roles: ['site', 'admin'] },
    );
    const attack = fc.oneof(
      fc.constant({ kind: 'forged' as const }),
      fc
        .constantFrom('role', 'id', 'method', 'path', 'bodySha256', 'time', 'nonce')
        .map((field) => ({ kind: 'altered' as const, field })),
      fc.constantFrom('method', 'path', 'body').map((aspect) => ({ kind: 'misdirected' as const, aspect })),
      fc
        .integer({ min: 1, max: 10 * 365 * 24 * 3600 })
        .chain((seconds) =>
          fc
            .constantFrom(-1, 1)
            .map((sign) => ({ kind: 'stale' as const, offsetMs: sign * (REQUEST_MAX_SKEW_MS + seconds * 1000) })),
        ),
      fc.nat().map((index) => ({ kind: 'replayed' as const, index })),
      fc.constantFrom('site-a', 'site-r', 'unknown').map((as) => ({ kind: 'wrong-identity' as const, as })),
    );
    await fc.assert(
      fc.asyncProperty(signedRoutes, attack, contentType, async (route, attack, type) => {
        const body = validBodies[route.path] ?? '';
        const genuine = { role: 'admin' as const, id: admin.publicKey, method: route.method, path: route.path, body };
        let request: RawRequest;
        const withAuth = (auth: string, overrides: Partial<RawRequest> = {}): RawRequest => ({
          method: route.method,
          path: route.path,
          headers: [
            ['content-type', body ? (type ?? 'application/json') : type],
            [AUTH_HEADER, auth],
          ],
          ...(body && { body: Buffer.from(body) }),
          ...overrides,
        });
        switch (attack.kind) {
          case 'forged':
            request = withAuth(authHeader(intruder, genuine));
            break;
          case 'altered': {
            const changed: Record<string, string> = {
              role: 'site',
              id: intruder.publicKey,
              method: route.method === 'GET' ? 'POST' : 'GET',
              path: `${route.path}x`,
              bodySha256: sha256Hex('other'),
              time: new Date(Date.now() - 1000).toISOString(),
              nonce: nonce(),
            };
            request = withAuth(authHeader(admin, genuine, { [attack.field]: changed[attack.field] }));
            break;
          }
          case 'misdirected':
            request =
              attack.aspect === 'path'
                ? withAuth(authHeader(admin, { ...genuine, path: '/admin/versions' }))
                : attack.aspect === 'method'
                  ? withAuth(authHeader(admin, { ...genuine, method: route.method === 'GET' ? 'POST' : 'GET' }))
                  : withAuth(authHeader(admin, { ...genuine, body: `${body} ` }));
            break;
          case 'stale':
            request = withAuth(
              authHeader(admin, { ...genuine, time: new Date(Date.now() + attack.offsetMs).toISOString() }),
            );
            break;
          case 'replayed':
            request = used[attack.index % used.length]!;
            break;
          case 'wrong-identity': {
            // A site on an operator route, a revoked site, or a key nobody allowed.
            const as =
              attack.as === 'unknown'
                ? { role: 'site' as const, id: 'site-unknown', by: intruder }
                : { role: 'site' as const, id: attack.as, by: fixture.site(attack.as) };
            if (route.roles.includes('site') && attack.as === 'site-a') return;
            request = withAuth(authHeader(as.by, { ...genuine, role: as.role, id: as.id }));
            break;
          }
        }
        await leavesStoreUnchanged(fixture, `${attack.kind} ${route.method} ${route.path}`, async () => {
          expectRefused(await fixture.send(request), `${attack.kind} ${route.method} ${route.path}`);
        });
      }),
      runs(300),
    );
  });

  it('refuses signed update envelopes that are forged, altered, for the wrong round or base version, replayed, or from a revoked or unknown site', async () => {
    const intruder = signer();
    const siteA = fixture.site('site-a');
    const attack = fc.oneof(
      fc.constant({ kind: 'forged' as const }),
      fc
        .constantFrom('siteId', 'round', 'baseVersion', 'numExamples', 'sha256', 'metrics', 'nonce', 'time')
        .map((field) => ({ kind: 'altered' as const, field })),
      fc
        .record({ headerRound: fc.constantFrom(0, 1, 2, 4, 1000), urlRound: fc.constantFrom(OPEN_ROUND, 2, 4) })
        .map((r) => ({ kind: 'wrong-round' as const, ...r })),
      fc.constantFrom(0, 1, 3, 99).map((baseVersion) => ({ kind: 'wrong-base' as const, baseVersion })),
      fc
        .constantFrom('nonce-of-accepted', 'envelope-to-other-round')
        .map((how) => ({ kind: 'replayed' as const, how })),
      fc.constantFrom('site-r', 'site-unknown').map((siteId) => ({ kind: 'not-allowed' as const, siteId })),
    );
    await fc.assert(
      fc.asyncProperty(
        attack,
        fc.constantFrom('application/octet-stream', 'application/octet-stream', undefined),
        async (attack, type) => {
          const payload = validDelta();
          const honest = updateHeader('site-a', payload);
          let envelope: string;
          let urlRound = OPEN_ROUND;
          let body = payload;
          switch (attack.kind) {
            case 'forged':
              envelope = envelopeHeader(intruder, honest);
              break;
            case 'altered': {
              const changed: Partial<UpdateHeader> = {
                siteId: 'site-b',
                round: OPEN_ROUND + 1,
                baseVersion: BASE_VERSION - 1,
                numExamples: 41,
                sha256: sha256Hex('other'),
                metrics: { loss: 1 },
                nonce: nonce(),
                time: new Date(Date.now() - 1000).toISOString(),
              };
              envelope = envelopeHeader(siteA, honest, { [attack.field]: changed[attack.field as keyof UpdateHeader] });
              break;
            }
            case 'wrong-round':
              envelope = envelopeHeader(siteA, { ...honest, round: attack.headerRound });
              urlRound = attack.urlRound;
              break;
            case 'wrong-base':
              envelope = envelopeHeader(siteA, { ...honest, baseVersion: attack.baseVersion });
              break;
            case 'replayed':
              if (attack.how === 'nonce-of-accepted')
                envelope = envelopeHeader(siteA, { ...honest, nonce: captured.header.nonce });
              else {
                envelope = captured.envelope;
                body = captured.payload;
                urlRound = 4;
              }
              break;
            case 'not-allowed':
              envelope = envelopeHeader(attack.siteId === 'site-r' ? fixture.site('site-r') : intruder, {
                ...honest,
                siteId: attack.siteId,
              });
              break;
          }
          await leavesStoreUnchanged(fixture, `${attack.kind} update`, async () => {
            const reply = await fixture.send({
              method: 'PUT',
              path: `/rounds/${urlRound}/updates`,
              headers: [
                ['content-type', type],
                [PROTOCOL.updateHeader, envelope],
              ],
              body,
            });
            // Sequential uploads never fill the upload bound: no 503 here.
            expectRefused(reply, `${JSON.stringify(attack)} update`);
          });
        },
      ),
      runs(250),
    );
  });

  it('refuses validly signed update headers whose payload is not a valid update: not safetensors, JSON {} / null, empty, truncated, padded, wrong layout, NaN, too large a norm, wrong content type', async () => {
    const siteA = fixture.site('site-a');
    const valid = validDelta();
    const badPayload = fc.oneof(
      fc.constantFrom(Buffer.alloc(0), Buffer.from('{}'), Buffer.from('null'), Buffer.from('[]'), Buffer.from('""')),
      junkJson.map((s) => Buffer.from(s)),
      bytes(3000),
      fc.integer({ min: 0, max: valid.length - 1 }).map((n) => valid.subarray(0, n)),
      bytes(64)
        .filter((b) => b.length > 0)
        .map((extra) => Buffer.concat([valid, extra])),
      fc.constantFrom(
        Buffer.from(encodeSafetensors(tensors(() => 0).slice(1), {})),
        Buffer.from(
          encodeSafetensors([...tensors(() => 0), { name: 'extra', shape: [1], values: new Float32Array(1) }], {}),
        ),
        Buffer.from(
          encodeSafetensors(
            tensors(() => 0).map((t, i) =>
              i === 0
                ? {
                    ...t,
                    shape: [t.shape[1]!, t.shape[0]! + 1],
                    values: new Float32Array(t.shape[1]! * (t.shape[0]! + 1)),
                  }
                : t,
            ),
            {},
          ),
        ),
        Buffer.from(
          encodeSafetensors(
            tensors((i) => (i === 2 ? Number.NaN : 0)),
            {},
          ),
        ),
        Buffer.from(
          encodeSafetensors(
            tensors((i) => (i === 1 ? Number.POSITIVE_INFINITY : 0)),
            {},
          ),
        ),
        Buffer.from(
          encodeSafetensors(
            tensors(() => 5),
            {},
          ),
        ),
        momentsPayload([0, 0, 0], [1, 1, 1]),
      ),
    );
    await fc.assert(
      fc.asyncProperty(badPayload, fc.boolean(), contentType, framing, async (payload, hashMatches, type, how) => {
        const envelope = envelopeHeader(siteA, updateHeader('site-a', hashMatches ? payload : valid));
        const route = { method: 'PUT', path: `/rounds/${OPEN_ROUND}/updates`, upload: true };
        await leavesStoreUnchanged(fixture, 'signed update with a bad payload', async () => {
          const reply = await fixture.send(
            shape(
              route,
              payload,
              [
                ['content-type', type],
                [PROTOCOL.updateHeader, envelope],
              ],
              how,
            ),
          );
          expectRefused(
            reply,
            `signed update, ${payload.length}-byte bad payload as ${type ?? 'no content type'} (hash ${hashMatches ? 'matches' : 'differs'})`,
            { clientGone: how.truncatedBy !== undefined },
          );
          // (No 503 either: one site's sequential uploads never wait for each other, unless a truncated one leaked its place.)
          if (reply.status === 401)
            throw new Error('a validly signed update was refused as unauthorised: the test signs wrongly');
        });
      }),
      runs(300),
    );
  });

  it('refuses validly admin-signed requests with bad JSON bodies', async () => {
    const admin = fixture.admin;
    const validKey = signer().publicKey;
    const badStart = fc.constantFrom(
      '{"rounds":0}',
      '{"rounds":-3}',
      '{"rounds":10001}',
      '{"rounds":2.5}',
      '{"rounds":"abc"}',
      '{"rounds":{}}',
      '{"rounds":[0]}',
      '{"rounds":1e999}',
      '{"round":2}',
    );
    const badSite = fc.constantFrom(
      JSON.stringify({ siteId: 'bad id!', publicKey: validKey }),
      JSON.stringify({ siteId: 'ok-site', publicKey: 'short' }),
      JSON.stringify({ siteId: 'x'.repeat(65), publicKey: validKey }),
      JSON.stringify({ siteId: 'ok-site' }),
      JSON.stringify({ publicKey: validKey }),
      JSON.stringify({ siteId: {}, publicKey: validKey }),
    );
    const request = fc.oneof(
      fc.tuple(
        fc.constantFrom('/admin/rounds/start', '/admin/sites'),
        fc.oneof(invalidJson, junkJson, badStart, badSite),
      ),
      // Routes without a body schema: only bodies that are not JSON at all.
      fc.tuple(
        fc.constantFrom('/admin/rounds/abort', '/admin/sites/site-a/revoke', '/admin/sites/nobody/revoke'),
        invalidJson,
      ),
    );
    await fc.assert(
      fc.asyncProperty(request, contentType, async ([path, text], type) => {
        const body = Buffer.from(text);
        const auth = authHeader(admin, { role: 'admin', id: admin.publicKey, method: 'POST', path, body });
        const sent: RawRequest = {
          method: 'POST',
          path,
          headers: [
            ['content-type', type],
            [AUTH_HEADER, auth],
          ],
          body,
        };
        await leavesStoreUnchanged(fixture, `signed POST ${path}`, async () => {
          const reply = await fixture.send(sent);
          expectRefused(
            reply,
            `signed POST ${path} ${JSON.stringify(text.slice(0, 80))} as ${type ?? 'no content type'}`,
          );
          // Signed over the JSON text: only a JSON body reaches the signature check with the same bytes.
          if (reply.status === 401 && type === 'application/json')
            throw new Error(`a validly signed admin request was refused as unauthorised: ${describeReply(reply)}`);
        });
        used.push(sent);
      }),
      runs(250),
    );
  });

  it("refuses a site's signed attestation PUT with garbage, forged, foreign or unknown-subject attestations", async () => {
    const siteA = fixture.site('site-a');
    const other = signer();
    const attestationOf = (fields: Partial<Attestation['body']>, by: Signer): Attestation => {
      const body: Attestation['body'] = {
        kind: 'emodistill-audit-attestation',
        version: 3,
        subjectSha256: sha256Hex('unknown subject'),
        verdict: 'pass',
        reason: '',
        policy: DEFAULT_AUDIT_POLICY,
        figures: {
          attacks: [{ name: 'nearest-neighbour', auc: 0.5, low: 0.45, high: 0.55, powerLimit: 0.55 }],
          memorisedShare: 0,
          memorisedBaseline: 0.05,
          syntheticSamples: 100,
        },
        counts: { memberSpeakers: 2, memberUtterances: 4, holdoutSpeakers: 2, holdoutUtterances: 4, synthetic: 100 },
        createdAt: new Date().toISOString(),
        sitePublicKey: siteA.publicKey,
        ...fields,
      };
      return { body, signature: by.sign(canonicalBytes(body)) };
    };
    const attestation = fc.oneof(
      invalidJson,
      junkJson,
      fc.constantFrom(
        JSON.stringify(attestationOf({}, siteA)),
        JSON.stringify(attestationOf({}, other)),
        JSON.stringify(attestationOf({ sitePublicKey: other.publicKey }, other)),
        JSON.stringify({ ...attestationOf({}, siteA), extra: true }),
        JSON.stringify({ ...attestationOf({}, siteA), body: { ...attestationOf({}, siteA).body, verdict: 'yes' } }),
        // a verdict its figures do not give (and an unknown subject)
        JSON.stringify(attestationOf({ verdict: 'fail' }, siteA)),
      ),
    );
    await fc.assert(
      fc.asyncProperty(attestation, contentType, async (text, type) => {
        const body = Buffer.from(text);
        const auth = authHeader(siteA, { role: 'site', id: 'site-a', method: 'PUT', path: '/attestations', body });
        const sent: RawRequest = {
          method: 'PUT',
          path: '/attestations',
          headers: [
            ['content-type', type],
            [AUTH_HEADER, auth],
          ],
          body,
        };
        await leavesStoreUnchanged(fixture, 'signed attestation', async () => {
          const reply = await fixture.send(sent);
          expectRefused(
            reply,
            `signed attestation ${JSON.stringify(text.slice(0, 80))} as ${type ?? 'no content type'}`,
          );
          if (reply.status === 401 && type === 'application/json')
            throw new Error(`a validly signed attestation was refused as unauthorised: ${describeReply(reply)}`);
        });
        used.push(sent);
      }),
      runs(200),
    );
  });

  it('opens no socket.io session for a handshake with bad auth (missing, not a string, garbage, forged, misdirected, stale, replayed, wrong role, revoked)', async () => {
    const intruder = signer();
    const siteA = fixture.site('site-a');
    const genuine = { role: 'site' as const, id: 'site-a', method: 'GET', path: PROTOCOL.socketPath };
    const replayable = authHeader(siteA, genuine);
    // arrange: the replayed token opened a session once
    expect(await handshake(fixture.url, { token: replayable }, 'websocket')).toBe('connected');
    const badAuth = fc.oneof(
      fc.constantFrom(
        undefined,
        {},
        { token: 42 },
        { token: null },
        { token: ['x'] },
        { token: { role: 'site' } },
        { token: '' },
        { token: replayable },
      ),
      garbageAuth(['site-a', fixture.admin.publicKey]).map((token) => ({ token })),
      fc.constant(null).map(() => ({ token: authHeader(intruder, genuine) })),
      fc.constant(null).map(() => ({ token: authHeader(siteA, { ...genuine, path: '/socket.io/' }) })),
      fc.constant(null).map(() => ({ token: authHeader(siteA, { ...genuine, method: 'POST' }) })),
      fc.constant(null).map(() => ({
        token: authHeader(siteA, { ...genuine, time: new Date(Date.now() - 2 * REQUEST_MAX_SKEW_MS).toISOString() }),
      })),
      fc
        .constant(null)
        .map(() => ({ token: authHeader(fixture.admin, { ...genuine, role: 'admin', id: fixture.admin.publicKey }) })),
      fc.constant(null).map(() => ({ token: authHeader(fixture.site('site-r'), { ...genuine, id: 'site-r' }) })),
    );
    await fc.assert(
      fc.asyncProperty(badAuth, fc.constantFrom('websocket' as const, 'polling' as const), async (auth, transport) => {
        const connected = new Set(fixture.running.runner.status().connectedSites);
        await leavesStoreUnchanged(fixture, 'bad socket.io handshake', async () => {
          const outcome = await handshake(fixture.url, auth, transport);
          if (outcome === 'connected' || !outcome.startsWith('unauthorised'))
            throw new Error(`handshake with ${JSON.stringify(auth)?.slice(0, 200)} over ${transport}: ${outcome}`);
        });
        const intruders = fixture.running.runner.status().connectedSites.filter((siteId) => !connected.has(siteId));
        if (intruders.length > 0) throw new Error(`a bad handshake opened a session for ${intruders.join(', ')}`);
      }),
      runs(120),
    );
  });

  it('survives garbage on the engine.io endpoint and malformed messages from an authenticated site', async () => {
    // arrange: site-d holds a real session
    const siteD = fixture.site('site-d');
    const session = io(fixture.url, {
      path: PROTOCOL.socketPath,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: (cb) =>
        cb({ token: authHeader(siteD, { role: 'site', id: 'site-d', method: 'GET', path: PROTOCOL.socketPath }) }),
    });
    counts.socket++;
    await new Promise<void>((resolve, reject) => {
      session.once('connect', resolve);
      session.once('connect_error', reject);
    });
    const message = fc.tuple(
      fc.constantFrom('round-failed', 'round', 'update', 'finished', 'message', 'error'),
      fc.oneof(fc.jsonValue(), bytes(256)),
    );
    const engineQuery = fc.tuple(
      fc.constantFrom('GET', 'POST'),
      fc.constantFrom(
        '',
        'EIO=4',
        'EIO=3',
        'EIO=9',
        'EIO=4&transport=websocket',
        'EIO=4&transport=flash',
        'EIO=4&transport=polling&sid=nope',
      ),
      text(30).map(safePathSegment),
      bytes(200),
    );

    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(message, { minLength: 1, maxLength: 5 }),
          engineQuery,
          async (messages, [method, q, extra, body]) => {
            await leavesStoreUnchanged(fixture, 'garbage on socket.io', async () => {
              for (const [event, payload] of messages) {
                // A well-formed round-failed is no garbage (it would drop the site from the round).
                if (
                  event === 'round-failed' &&
                  typeof payload === 'object' &&
                  payload !== null &&
                  'round' in payload &&
                  'reason' in payload
                )
                  continue;
                session.emit(event, payload);
              }
              const reply = await fixture.send({
                method,
                path: `${PROTOCOL.socketPath}/?${q}&${extra}`,
                headers: [['content-type', 'text/plain;charset=UTF-8']],
                ...(method === 'POST' && { body }),
              });
              if (reply.status === undefined || reply.status >= 500)
                throw new Error(`engine.io ${method} ?${q}&${extra}: ${describeReply(reply)}`);
            });
          },
        ),
        runs(150),
      );
      const health = await fixture.send({ method: 'GET', path: '/health' });

      // assert
      expect(health.status).toBe(200);
      expect(fixture.running.runner.status().connectedSites).toContain('site-d');
    } finally {
      session.close();
    }
  });

  it('answers unrouted methods and paths with a coded JSON 404', async () => {
    const request = fc.oneof(
      fc
        .tuple(
          fc.constantFrom('DELETE', 'PATCH', 'OPTIONS', 'GET', 'POST', 'PUT'),
          fc.constantFrom(
            '/',
            '/rounds',
            '/rounds/3',
            '/rounds/3/updates/x',
            '/admin',
            '/admin/unknown',
            '/models',
            '/attestations/x',
          ),
          anyBody,
        )
        .map(([method, path, body]): RawRequest => ({
          method,
          path,
          headers: [['content-type', 'application/octet-stream']],
          body,
        })),
      fc.constantFrom('DELETE', 'PATCH', 'POST').map((method): RawRequest => ({ method, path: '/attestations' })),
    );
    await fc.assert(
      fc.asyncProperty(request, async (sent) => {
        await leavesStoreUnchanged(fixture, 'unrouted request', async () => {
          expectRefused(await fixture.send(sent), `${sent.method} ${sent.path}`);
        });
      }),
      runs(60),
    );
  });

  it('answers malformed HTTP (bad Content-Length, bad framing, bad version, bad header, a body cut short) with a coded JSON 4xx', async () => {
    const malformed: Record<string, RawRequest> = Object.fromEntries(
      [
        'GET / HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n',
        'PUT /attestations HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\ntransfer-encoding: chunked\r\n\r\nz\r\n',
        'GET /health HTTP/9.9\r\n\r\n',
        'GET /health HTTP/1.1\r\nbad header\r\n\r\n',
        'GET /health HTTP/1.1\r\nx: a\u0000b\r\n\r\n',
      ].map((raw) => [JSON.stringify(raw), { method: '', path: '', raw: Buffer.from(raw, 'latin1') }]),
    );
    // The client half-closes after fewer bytes than it declared, and still reads the reply.
    malformed['body cut short'] = {
      method: 'PUT',
      path: '/attestations',
      headers: [['content-type', 'application/json']],
      body: Buffer.from('{"a":'),
      contentLength: 100,
      halfClose: true,
    };

    // act
    const before = fixture.snapshot();
    const replies: Record<string, RawReply> = {};
    for (const [name, request] of Object.entries(malformed)) replies[name] = await fixture.send(request);

    // assert
    expect(fixture.snapshot()).toBe(before);
    expect(problems(replies)).toEqual([]);
  });

  it('answers a captured update envelope re-sent with another body only as the duplicate it is, storing nothing', async () => {
    // arrange: the signed header binds the payload by its sha256, and that payload is already stored
    const bodies = [captured.payload.subarray(0, captured.payload.length - 4), Buffer.from('{}'), Buffer.alloc(0)];

    // act
    const before = fixture.snapshot();
    const replies = [];
    for (const body of bodies)
      replies.push(
        await fixture.send({
          method: 'PUT',
          path: `/rounds/${OPEN_ROUND}/updates`,
          headers: [
            ['content-type', 'application/octet-stream'],
            [PROTOCOL.updateHeader, captured.envelope],
          ],
          body,
        }),
      );

    // assert
    for (const reply of replies) {
      if (reply.status === 200)
        expect(json(reply)).toEqual({ accepted: true, duplicate: true, round: OPEN_ROUND, siteId: 'site-b' });
      else expectRefused(reply, 're-sent envelope with another body');
    }
    expect(fixture.snapshot()).toBe(before);
  });

  it('does not coerce or strip admin bodies (a strict schema refuses what is not exactly the request)', async () => {
    // arrange
    const admin = fixture.admin;
    const validKey = signer().publicKey;
    const bodies: [string, string][] = [
      ['/admin/rounds/start', '{"rounds":"2"}'],
      ['/admin/rounds/start', '{"rounds":true}'],
      ['/admin/rounds/start', '{"rounds":[2]}'],
      ['/admin/rounds/start', '{"rounds":2,"force":true}'],
      ['/admin/sites', JSON.stringify({ siteId: 'site-extra', publicKey: validKey, admin: true })],
      ['/admin/sites', JSON.stringify({ siteId: 12345, publicKey: validKey })],
      // A route without a body schema: the body is ignored, whatever it says (site-r is already revoked).
      ['/admin/sites/site-r/revoke', '{"everything":true}'],
    ];

    // act
    const replies: Record<string, RawReply> = {};
    for (const [path, text] of bodies) {
      const body = Buffer.from(text);
      const auth = authHeader(admin, { role: 'admin', id: admin.publicKey, method: 'POST', path, body });
      replies[`POST ${path} ${text}`] = await fixture.send({
        method: 'POST',
        path,
        headers: [
          ['content-type', 'application/json'],
          [AUTH_HEADER, auth],
        ],
        body,
      });
    }

    // assert
    expect(problems(replies)).toEqual([]);
  });

  it('is healthy afterwards: /health answers, a legitimate site still connects and its signed update is accepted', async () => {
    // arrange
    const siteA = fixture.site('site-a');
    const payload = validDelta();
    const before = fixture.updateCount();

    // act
    const health = await fixture.send({ method: 'GET', path: '/health' });
    const session = await handshake(
      fixture.url,
      { token: authHeader(siteA, { role: 'site', id: 'site-a', method: 'GET', path: PROTOCOL.socketPath }) },
      'websocket',
    );
    const reply = await fixture.send({
      method: 'PUT',
      path: `/rounds/${OPEN_ROUND}/updates`,
      headers: [
        ['content-type', 'application/octet-stream'],
        [PROTOCOL.updateHeader, envelopeHeader(siteA, updateHeader('site-a', payload))],
      ],
      body: payload,
    });

    // assert
    expect(health.status).toBe(200);
    expect(session).toBe('connected');
    expect(reply.status, describeReply(reply)).toBe(200);
    expect(json(reply)).toEqual({ accepted: true, duplicate: false, round: OPEN_ROUND, siteId: 'site-a' });
    expect(fixture.updateCount()).toBe(before + 1);
  });
});

afterAll(() => {
  const seconds = (performance.now() - counts.started) / 1000;
  console.log(
    `coordinator fuzz: ${counts.http} HTTP requests and ${counts.socket} socket.io handshakes in ${seconds.toFixed(1)} s`,
  );
});

/** Opens a socket.io session with `auth`: 'connected', or the connect_error message. */
async function handshake(url: string, auth: unknown, transport: 'websocket' | 'polling'): Promise<string> {
  counts.socket++;
  const socket = io(url, {
    path: PROTOCOL.socketPath,
    transports: [transport],
    reconnection: false,
    forceNew: true,
    timeout: 10_000,
    ...(auth !== undefined && { auth: auth as Record<string, unknown> }),
  });
  try {
    return await new Promise<string>((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', (error) => resolve(error.message));
    });
  } finally {
    socket.close();
  }
}

describe('coordinator fuzz: participant, time-window and example-count refusals', () => {
  let fixture: Fixture;

  beforeAll(async () => {
    // site-c is allowed but not a participant; each property below has a participant of its own.
    fixture = await startFixture({
      kind: 'training',
      participants: ['site-time', 'site-examples'],
      others: ['site-c'],
    });
  });

  afterAll(async () => {
    await fixture?.close();
  });

  /** PUTs a valid training Δ under a header signed by `siteId` with `fields`. */
  async function upload(siteId: string, fields: Partial<UpdateHeader>): Promise<RawReply> {
    const payload = validDelta();
    return fixture.send({
      method: 'PUT',
      path: `/rounds/${OPEN_ROUND}/updates`,
      headers: [
        ['content-type', 'application/octet-stream'],
        [PROTOCOL.updateHeader, envelopeHeader(fixture.site(siteId), updateHeader(siteId, payload, fields))],
      ],
      body: payload,
    });
  }

  it('refuses a validly signed update from an allow-listed site that is not a participant of the open round (409 NOT_PARTICIPANT)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 100_000 }), async (numExamples) => {
        await leavesStoreUnchanged(fixture, 'non-participant update', async () => {
          const reply = await upload('site-c', { numExamples });
          expectRefused(reply, 'update of a non-participant');
          expect([reply.status, (json(reply) as { code: string }).code]).toEqual([409, 'NOT_PARTICIPANT']);
        });
      }),
      runs(10, true),
    );
  });

  it("refuses an update signed outside the round's window (before it opened less the skew, after now plus the skew, or no time at all)", async () => {
    const openedAt = Date.now();
    const time = fc.oneof(
      fc
        .integer({ min: 10_000, max: 10 * 365 * 24 * 3600 * 1000 })
        .map((ms) => new Date(openedAt - REQUEST_MAX_SKEW_MS - ms).toISOString()),
      fc
        .integer({ min: 10_000, max: 10 * 365 * 24 * 3600 * 1000 })
        .map((ms) => new Date(Date.now() + REQUEST_MAX_SKEW_MS + ms).toISOString()),
      fc.constantFrom('not a time', '0', 'yesterday', '2026-13-45T99:99:99Z', '+275760-09-13T00:00:00.001Z'),
    );
    await fc.assert(
      fc.asyncProperty(time, async (signedAt) => {
        await leavesStoreUnchanged(fixture, `update signed at ${signedAt}`, async () => {
          expectRefused(await upload('site-time', { time: signedAt }), `update signed at ${signedAt}`);
        });
      }),
      runs(30, true),
    );
  });

  it('refuses numExamples above limits.maxExamplesPerSite (default 10^7)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: 10_000_001, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(1e300, 2 ** 53)),
        async (numExamples) => {
          await leavesStoreUnchanged(fixture, `update with numExamples ${numExamples}`, async () => {
            expectRefused(await upload('site-examples', { numExamples }), `update with numExamples ${numExamples}`);
          });
        },
      ),
      runs(30, true),
    );
  });
});

describe('coordinator fuzz: statistics round', () => {
  let fixture: Fixture;

  beforeAll(async () => {
    fixture = await startFixture({ kind: 'statistics', participants: ['site-moments', 'site-count'] });
  });

  afterAll(async () => {
    await fixture?.close();
  });

  async function uploadMoments(siteId: string, payload: Buffer, numExamples: number): Promise<RawReply> {
    const envelope = envelopeHeader(
      fixture.site(siteId),
      updateHeader(siteId, payload, { round: 0, baseVersion: 0, numExamples }),
    );
    return fixture.send({
      method: 'PUT',
      path: '/rounds/0/updates',
      headers: [
        ['content-type', 'application/octet-stream'],
        [PROTOCOL.updateHeader, envelope],
      ],
      body: payload,
    });
  }

  it('refuses moments with a non-finite mean or a negative or non-finite variance', async () => {
    const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true });
    const bad = fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
    const moments = fc.oneof(
      fc
        .tuple(
          fc.array(finite, { minLength: 3, maxLength: 3 }),
          fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 3, maxLength: 3 }),
          fc.nat(2),
          bad,
        )
        .map(([mean, variance, at, value]) => [mean.map((m, i) => (i === at ? value : m)), variance] as const),
      fc
        .tuple(
          fc.array(finite, { minLength: 3, maxLength: 3 }),
          fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 3, maxLength: 3 }),
          fc.nat(2),
          fc.oneof(bad, fc.double({ min: -1e6, max: -1e-6, noNaN: true })),
        )
        .map(([mean, variance, at, value]) => [mean, variance.map((v, i) => (i === at ? value : v))] as const),
    );
    await fc.assert(
      fc.asyncProperty(moments, async ([mean, variance]) => {
        await leavesStoreUnchanged(fixture, 'bad moments', async () => {
          expectRefused(
            await uploadMoments('site-moments', momentsPayload(mean, variance), 30),
            `moments mean [${mean.join(', ')}] variance [${variance.join(', ')}]`,
          );
        });
      }),
      runs(40, true),
    );
  });

  it('refuses statistics with numExamples above limits.maxExamplesPerSite', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 10_000_001, max: Number.MAX_SAFE_INTEGER }), async (numExamples) => {
        await leavesStoreUnchanged(fixture, `statistics with numExamples ${numExamples}`, async () => {
          expectRefused(
            await uploadMoments('site-count', momentsPayload([0, 1, 2], [1, 1, 1]), numExamples),
            `statistics with numExamples ${numExamples}`,
          );
        });
      }),
      runs(20, true),
    );
  });
});
