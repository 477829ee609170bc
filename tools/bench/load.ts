/**
 * `npm run bench:load`: N lightweight sites against a real coordinator process, no training. The
 * coordinator (`emodistill coordinator start`, the built CLI) runs the generator's real layout (224
 * features, 64 noise, [256, 256] hidden, 4 classes), `minSites` = N and `rounds.auto` = R. Each site
 * is a real socket.io client in this one process that authenticates as a site does (a signed
 * handshake, fresh per connection) and, on each round announcement, uploads a signed update: its
 * feature moments in the statistics round (round 0), a real-size Δ (~551 KiB of safetensors) in
 * each training round. Sites sign with node's built-in Ed25519 (byte-identical to core's tweetnacl
 * signatures, checked at start, and ~100× faster) and do not verify announcements, so the load
 * generator stays light: it reports its own CPU time next to the coordinator's.
 *
 * Measured per round: round time (the first site's receipt of the announcement to the first
 * receipt of the next announcement or of the finish notice, i.e. after the new version is
 * committed; the coordinator's own opened → aggregated interval from its log next to it), upload
 * latency (request sent to reply, p50/p95/max, 503 retries included), CPU seconds of both sides;
 * then the coordinator's peak RSS (VmHWM) and `lost`: acknowledged updates missing from the store's
 * `updates` table or from their round's version (must be 0; exit code 1 otherwise).
 *
 * Options: --sites N (250), --rounds R training rounds (2), --download (each site also downloads the
 * base version in a training round, as real sites do), --timeout-seconds T (600, the rounds'
 * deadline), --keep (keep the data dir), --json <file>.
 */
import { createHash, createPrivateKey, randomBytes, sign as signNative, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { io, type Socket } from 'socket.io-client';
import {
  AUTH_HEADER,
  canonicalBytes,
  encodeKey,
  encodeSafetensors,
  generateKeyPair,
  initialGeneratorWeights,
  PROTOCOL,
  signBytes,
  writeKeyFile,
  type FeatureSet,
  type KeyPair,
  type RoundAnnouncement,
  type UpdateHeader,
} from '@emodistill/core';
import { spawnCoordinator } from '@emodistill/harness';
import { statisticsPayload } from '@emodistill/site-agent';

const { values: args } = parseArgs({
  options: {
    sites: { type: 'string', default: '250' },
    rounds: { type: 'string', default: '2' },
    download: { type: 'boolean', default: false },
    'timeout-seconds': { type: 'string', default: '600' },
    keep: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const positiveInteger = (name: 'sites' | 'rounds' | 'timeout-seconds'): number => {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a positive integer, got "${args[name]}"`);
  return value;
};
const siteCount = positiveInteger('sites');
const trainingRounds = positiveInteger('rounds');
const timeoutSeconds = positiveInteger('timeout-seconds');

// The coordinator's default generator for the default features.
const CLASS_NAMES = ['angry', 'happy', 'neutral', 'sad'];
const FEATURES = 224;
const NOISE = 64;
const HIDDEN = [256, 256];
const ROWS_PER_SITE = 40;
const CLOCK_TICKS_PER_SECOND = 100;

// ---------------------------------------------------------------------------------------------
// A dist older than the sources would measure old code: the coordinator runs the built CLI.

const root = fileURLToPath(new URL('../../', import.meta.url));
function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}
for (const pkg of ['core', 'coordinator', 'cli']) {
  if (newestMtimeMs(join(root, 'packages', pkg, 'src')) > newestMtimeMs(join(root, 'packages', pkg, 'dist')))
    console.warn(
      `warning: packages/${pkg}/src is newer than its dist: run \`npx tsc -b\` first, the coordinator runs the built CLI`,
    );
}

// ---------------------------------------------------------------------------------------------
// Signing as core does (canonical bytes, Ed25519, base64), with node's native Ed25519.

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const nativeKey = (keys: KeyPair): KeyObject =>
  createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(keys.secretKey.subarray(0, 32))]),
    format: 'der',
    type: 'pkcs8',
  });
const signWith = (key: KeyObject, value: unknown): string =>
  signNative(null, canonicalBytes(value), key).toString('base64');
const sha256Hex = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/** The x-emodistill-auth value, as core's signRequest builds it. */
function signedRequest(key: KeyObject, role: 'site' | 'admin', id: string, method: string, path: string): string {
  const unsigned = {
    role,
    id,
    method,
    path,
    bodySha256: sha256Hex(''),
    time: new Date().toISOString(),
    nonce: randomBytes(16).toString('hex'),
  };
  return Buffer.from(JSON.stringify({ ...unsigned, signature: signWith(key, unsigned) })).toString('base64');
}

{
  const keys = generateKeyPair();
  const probe = { a: 1, b: ['x'] };
  if (signWith(nativeKey(keys), probe) !== signBytes(canonicalBytes(probe), keys.secretKey))
    throw new Error('native Ed25519 signatures differ from core signBytes');
}

// ---------------------------------------------------------------------------------------------
// Set-up: keys, the coordinator's config, each site's payloads.

const dir = await mkdtemp(join(tmpdir(), 'emodistill-load-'));
const admin = generateKeyPair();
const adminKey = nativeKey(admin);
await writeKeyFile(join(dir, 'coordinator.key'), generateKeyPair());

const layout = initialGeneratorWeights(
  { noiseDimension: NOISE, hiddenUnits: HIDDEN, classCount: CLASS_NAMES.length, outputDimension: FEATURES },
  0,
);
const parameters = layout.reduce((sum, t) => sum + t.values.length, 0);
const spec = {
  name: 'bench-load',
  version: '1',
  params: {},
  dimensionNames: Array.from({ length: FEATURES }, (_, d) => `f${d}`),
};
const base = Float32Array.from({ length: parameters }, () => (Math.random() - 0.5) * 1e-3);

interface Upload {
  readonly round: number;
  readonly status: number;
  readonly latencyMs: number;
  readonly retries: number;
  readonly sha256: string;
}

interface BenchSite {
  readonly siteId: string;
  readonly key: KeyObject;
  readonly publicKey: string;
  readonly statistics: Uint8Array;
  readonly delta: Uint8Array;
  readonly uploads: Upload[];
  socket?: Socket;
}

const sites: BenchSite[] = Array.from({ length: siteCount }, (_, i) => {
  const keys = generateKeyPair();
  const rows = ROWS_PER_SITE;
  const set: FeatureSet = {
    ids: Array.from({ length: rows }, (_, r) => `u${r}`),
    speakers: Array.from({ length: rows }, (_, r) => `s${i}-${r % 2}`),
    emotions: Array.from({ length: rows }, (_, r) => CLASS_NAMES[r % CLASS_NAMES.length]!),
    sessions: Array.from({ length: rows }, () => ''),
    features: Float32Array.from({ length: rows * FEATURES }, () => Math.random() * 10),
    dimension: FEATURES,
    classNames: CLASS_NAMES,
    spec,
    corpus: { source: 'bench-load', task: 'custom', createdAt: new Date(0).toISOString() },
  };
  // A distinct Δ per site (a scaled copy of one random Δ), of the generator's layout.
  let offset = 0;
  const tensors = layout.map((t) => {
    const values = base.subarray(offset, offset + t.values.length).map((v) => v * (1 + i / siteCount));
    offset += t.values.length;
    return { name: t.name, shape: [...t.shape], values };
  });
  return {
    siteId: `site-${String(i + 1).padStart(4, '0')}`,
    key: nativeKey(keys),
    publicKey: encodeKey(keys.publicKey),
    statistics: statisticsPayload(set).payload,
    delta: encodeSafetensors(tensors, {}),
    uploads: [],
  };
});

const configPath = join(dir, 'coordinator.json');
await writeFile(
  configPath,
  `${JSON.stringify(
    {
      listen: { host: '127.0.0.1', port: 0 },
      dataDir: 'data',
      keyFile: 'coordinator.key',
      adminPublicKeys: [encodeKey(admin.publicKey)],
      sites: sites.map((s) => ({ id: s.siteId, publicKey: s.publicKey })),
      model: { classNames: CLASS_NAMES, featureDimension: FEATURES, noiseDimension: NOISE, hiddenUnits: HIDDEN },
      rounds: { auto: trainingRounds, minSites: siteCount, timeoutSeconds },
    },
    null,
    2,
  )}\n`,
);

// ---------------------------------------------------------------------------------------------
// The coordinator process and what /proc says about it.

const logPath = join(dir, 'coordinator.log');
const coordinator = await spawnCoordinator(configPath, logPath);
const pid = coordinator.child.pid!;
// Never leave the coordinator behind, whatever happens below.
process.once('exit', () => {
  if (coordinator.child.exitCode === null && coordinator.child.signalCode === null) coordinator.child.kill('SIGKILL');
});
const url = coordinator.url;
const procStatus = (field: 'VmHWM' | 'VmRSS'): number =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
/** utime + stime of the coordinator, in seconds. */
const coordinatorCpuSeconds = (): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
};
const ownCpuSeconds = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};
console.log(
  `coordinator pid ${pid} at ${url}; ${siteCount} sites, ${trainingRounds} training rounds of ${parameters.toLocaleString('en')} parameters (${(sites[0]!.delta.byteLength / 1024).toFixed(0)} KiB per update)${args.download ? ', with downloads' : ''}; ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(2)}`,
);

// ---------------------------------------------------------------------------------------------
// Sites: sessions, announcements, uploads.

interface RoundMarks {
  kind: RoundAnnouncement['kind'];
  announcedAt: number;
  committedAt?: number;
  generatorCpuAtStart: number;
  coordinatorCpuAtStart: number;
  generatorCpuSeconds?: number;
  coordinatorCpuSeconds?: number;
}
const marks = new Map<number, RoundMarks>();
let finishedAt: number | undefined;
let resolveFinished: () => void = () => undefined;
const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
const failures: string[] = [];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The first receipt of a round's announcement ends the previous round (its version is committed by then). */
function markAnnouncement(round: number, kind: RoundAnnouncement['kind'], at: number): void {
  if (marks.has(round)) return;
  const previous = marks.get(round - 1);
  if (previous && previous.committedAt === undefined) closeMarks(previous, at);
  marks.set(round, {
    kind,
    announcedAt: at,
    generatorCpuAtStart: ownCpuSeconds(),
    coordinatorCpuAtStart: coordinatorCpuSeconds(),
  });
}
function closeMarks(round: RoundMarks, at: number): void {
  round.committedAt = at;
  round.generatorCpuSeconds = ownCpuSeconds() - round.generatorCpuAtStart;
  round.coordinatorCpuSeconds = coordinatorCpuSeconds() - round.coordinatorCpuAtStart;
}

async function respond(site: BenchSite, announcement: RoundAnnouncement): Promise<void> {
  if (args.download && announcement.kind === 'training') {
    const path = `/models/${announcement.baseVersion}`;
    const response = await fetch(`${url}${path}`, {
      headers: { [AUTH_HEADER]: signedRequest(site.key, 'site', site.siteId, 'GET', path) },
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (!response.ok || sha256Hex(bytes) !== announcement.baseSha256)
      failures.push(`${site.siteId}: download of version ${announcement.baseVersion}: HTTP ${response.status}`);
  }
  const payload = announcement.kind === 'statistics' ? site.statistics : site.delta;
  const header: UpdateHeader = {
    siteId: site.siteId,
    round: announcement.round,
    baseVersion: announcement.baseVersion,
    numExamples: ROWS_PER_SITE,
    sha256: sha256Hex(payload),
    metrics: {},
    nonce: randomBytes(16).toString('hex'),
    time: new Date().toISOString(),
  };
  const envelope = Buffer.from(JSON.stringify({ header, signature: signWith(site.key, header) })).toString('base64');
  const sentAt = performance.now();
  for (let retries = 0; ; retries++) {
    try {
      const response = await fetch(`${url}/rounds/${announcement.round}/updates`, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', [PROTOCOL.updateHeader]: envelope },
        body: payload,
      });
      const reply = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
      if (response.status === 503) {
        await sleep(1000 * Number(response.headers.get('retry-after') ?? 1));
        continue;
      }
      site.uploads.push({
        round: announcement.round,
        status: response.status,
        latencyMs: performance.now() - sentAt,
        retries,
        sha256: header.sha256,
      });
      if (!response.ok)
        failures.push(
          `${site.siteId}: round ${announcement.round}: HTTP ${response.status} ${reply.code ?? ''} ${reply.message ?? ''}`,
        );
      return;
    } catch (error) {
      if (retries >= 5)
        return void failures.push(`${site.siteId}: round ${announcement.round}: ${(error as Error).message}`);
      await sleep(250 * 2 ** retries);
    }
  }
}

const connectErrors = new Map<string, number>();
function connect(site: BenchSite): Promise<void> {
  const answered = new Set<number>();
  const socket = io(url, {
    path: PROTOCOL.socketPath,
    transports: ['websocket'],
    reconnectionDelay: 250,
    reconnectionDelayMax: 4000,
    auth: (callback) => callback({ token: signedRequest(site.key, 'site', site.siteId, 'GET', PROTOCOL.socketPath) }),
  });
  site.socket = socket;
  socket.on('round', (message: { body: RoundAnnouncement }) => {
    const at = performance.now();
    const announcement = message.body;
    markAnnouncement(announcement.round, announcement.kind, at);
    if (answered.has(announcement.round)) return;
    answered.add(announcement.round);
    void respond(site, announcement);
  });
  socket.on('finished', () => {
    if (finishedAt !== undefined) return;
    finishedAt = performance.now();
    const last = [...marks.values()].at(-1);
    if (last && last.committedAt === undefined) closeMarks(last, finishedAt);
    resolveFinished();
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    // A refusal is final; anything else (a handshake timeout) is retried by socket.io, as a site does.
    socket.on('connect_error', (error) => {
      connectErrors.set(error.message, (connectErrors.get(error.message) ?? 0) + 1);
      if (error.message.startsWith('unauthorised')) reject(new Error(`${site.siteId}: ${error.message}`));
    });
  });
}

const connectStarted = performance.now();
const idleRssMiB = procStatus('VmRSS');
await Promise.all(sites.map(connect));
const connectSeconds = (performance.now() - connectStarted) / 1000;
const retriedHandshakes = [...connectErrors].map(([message, count]) => `${count} × ${message}`).join(', ');
console.log(
  `${siteCount} sessions open in ${connectSeconds.toFixed(1)} s${retriedHandshakes ? ` (handshakes retried: ${retriedHandshakes})` : ''} (coordinator RSS ${idleRssMiB.toFixed(0)} MiB before, ${procStatus('VmRSS').toFixed(0)} MiB after)`,
);

const timeout = setTimeout(() => {
  failures.push(`the federation did not finish within ${timeoutSeconds} s`);
  resolveFinished();
}, timeoutSeconds * 1000);
await finished;
clearTimeout(timeout);
// Let the last replies arrive (the finish notice can overtake an acknowledgement).
await sleep(500);
const peakRssMiB = procStatus('VmHWM');

// ---------------------------------------------------------------------------------------------
// What the coordinator says it has: versions (admin API), then its updates table.

const versionsResponse = await fetch(`${url}/admin/versions`, {
  headers: { [AUTH_HEADER]: signedRequest(adminKey, 'admin', encodeKey(admin.publicKey), 'GET', '/admin/versions') },
});
const versions = (await versionsResponse.json()) as { version: number; round: number; sites: string[] }[];
for (const site of sites) site.socket?.close();
coordinator.child.kill('SIGTERM');
const exit = await Promise.race([coordinator.exited, sleep(15_000).then(() => 'timeout')]);
if (exit === 'timeout') coordinator.child.kill('SIGKILL');
const db = new Database(join(dir, 'data', 'coordinator.sqlite'), { readonly: true, fileMustExist: true });
const stored = new Set(
  (
    db.prepare('SELECT round, site_id, sha256 FROM updates').all() as {
      round: number;
      site_id: string;
      sha256: string;
    }[]
  ).map((r) => `${r.round}/${r.site_id}/${r.sha256}`),
);
db.close();
const inVersion = new Set(versions.flatMap((v) => v.sites.map((siteId) => `${v.round}/${siteId}`)));
const acknowledged = sites.flatMap((site) =>
  site.uploads.filter((u) => u.status === 200).map((u) => ({ siteId: site.siteId, ...u })),
);
const lost = acknowledged.filter(
  (u) => !stored.has(`${u.round}/${u.siteId}/${u.sha256}`) || !inVersion.has(`${u.round}/${u.siteId}`),
);

// ---------------------------------------------------------------------------------------------
// Report.

const serverTimes = new Map<number, { openedAt?: number; aggregatedAt?: number; aggregateMs?: number }>();
for (const line of readFileSync(logPath, 'utf8').split('\n')) {
  if (!line.includes('"round opened"') && !line.includes('"round aggregated"')) continue;
  const entry = JSON.parse(line) as { msg: string; round: number; time: number; ms?: number };
  const times = serverTimes.get(entry.round) ?? {};
  if (entry.msg === 'round opened') times.openedAt = entry.time;
  else Object.assign(times, { aggregatedAt: entry.time, aggregateMs: entry.ms });
  serverTimes.set(entry.round, times);
}

const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
function latency(uploads: readonly Upload[]): {
  count: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  retries: number;
} {
  const sorted = uploads.map((u) => u.latencyMs).sort((a, b) => a - b);
  return {
    count: uploads.length,
    p50Ms: quantile(sorted, 0.5),
    p95Ms: quantile(sorted, 0.95),
    maxMs: sorted.at(-1) ?? Number.NaN,
    retries: uploads.reduce((sum, u) => sum + u.retries, 0),
  };
}
const allUploads = sites.flatMap((s) => s.uploads);
const rounds = [...marks.entries()].map(([round, m]) => {
  const server = serverTimes.get(round);
  return {
    round,
    kind: m.kind,
    roundSeconds: m.committedAt === undefined ? Number.NaN : (m.committedAt - m.announcedAt) / 1000,
    serverRoundSeconds:
      server?.openedAt !== undefined && server.aggregatedAt !== undefined
        ? (server.aggregatedAt - server.openedAt) / 1000
        : Number.NaN,
    aggregateMs: server?.aggregateMs ?? Number.NaN,
    uploads: latency(allUploads.filter((u) => u.round === round)),
    generatorCpuSeconds: m.generatorCpuSeconds ?? Number.NaN,
    coordinatorCpuSeconds: m.coordinatorCpuSeconds ?? Number.NaN,
  };
});
const training = latency(allUploads.filter((u) => marks.get(u.round)?.kind === 'training'));
const result = {
  sites: siteCount,
  trainingRounds,
  download: args.download,
  parameters,
  updateBytes: sites[0]!.delta.byteLength,
  statisticsBytes: sites[0]!.statistics.byteLength,
  machine: { cpus: cpus().length, loadAverageAtStart: loadavg()[0] },
  connectSeconds,
  handshakeErrors: Object.fromEntries(connectErrors),
  rounds,
  trainingUploads: training,
  peakRssMiB,
  acknowledged: acknowledged.length,
  lost: lost.length,
  failures,
};

const f = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');
console.log(
  '\nround  kind        round s  (coordinator log s)  aggregate ms  upload p50 / p95 / max ms  retries  CPU s coordinator / load generator',
);
for (const r of rounds) {
  console.log(
    `${String(r.round).padStart(5)}  ${r.kind.padEnd(10)}  ${f(r.roundSeconds, 2).padStart(7)}  ${f(r.serverRoundSeconds, 2).padStart(19)}  ${f(r.aggregateMs, 0).padStart(12)}  ${`${f(r.uploads.p50Ms, 0)} / ${f(r.uploads.p95Ms, 0)} / ${f(r.uploads.maxMs, 0)}`.padStart(24)}  ${String(r.uploads.retries).padStart(7)}  ${f(r.coordinatorCpuSeconds)} / ${f(r.generatorCpuSeconds)}`,
  );
}
console.log(
  `\ntraining uploads: ${training.count}, latency p50 ${f(training.p50Ms, 0)} ms, p95 ${f(training.p95Ms, 0)} ms, max ${f(training.maxMs, 0)} ms`,
);
console.log(`coordinator peak RSS (VmHWM): ${f(peakRssMiB, 0)} MiB`);
console.log(
  `acknowledged updates: ${acknowledged.length}, lost (not in the store or their round's version): ${lost.length}`,
);
if (failures.length) console.log(`failures (${failures.length}):\n  ${failures.slice(0, 20).join('\n  ')}`);
if (args.json) await writeFile(args.json, `${JSON.stringify(result, null, 2)}\n`);
if (args.keep) console.log(`data and coordinator log kept in ${dir}`);
else await rm(dir, { recursive: true, force: true });
process.exitCode =
  lost.length === 0 && failures.length === 0 && acknowledged.length === siteCount * (trainingRounds + 1) ? 0 : 1;
// Keep-alive HTTP connections must not hold the process open once the report is out.
setTimeout(() => process.exit(), 2000).unref();
