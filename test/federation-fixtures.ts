import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import {
  AUTH_HEADER,
  canonicalBytes,
  createRng,
  encodeKey,
  encodeSafetensors,
  initialGeneratorWeights,
  PROTOCOL,
  readKeyFile,
  signBytes,
  signRequest,
  type FeatureSet,
  type KeyPair,
  type NamedTensor,
  type RoundAnnouncement,
  type UpdateHeader,
} from '@emodistill/core';
import { prepareUpdate, statisticsPayload } from '@emodistill/site-agent';
import type { CliProcess } from '@emodistill/harness';
import { afterEach } from 'vitest';

/**
 * A small learnable corpus: 6 speakers × 4 emotions × 6 utterances of `dimension` features, each
 * emotion a shifted Gaussian with a per-speaker offset (so sites differ, as real ones do).
 */
export function syntheticCorpus(dimension = 8, seed = 3): FeatureSet {
  const rng = createRng(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const classNames = ['angry', 'happy', 'neutral', 'sad'];
  const speakers = ['s1', 's2', 's3', 's4', 's5', 's6'];
  const rows: { speaker: string; emotion: string; values: number[] }[] = [];
  speakers.forEach((speaker, s) =>
    classNames.forEach((emotion, c) => {
      for (let u = 0; u < 6; u++)
        rows.push({
          speaker,
          emotion,
          values: Array.from(
            { length: dimension },
            (_, d) => 10 * d + 2 * (d % 4 === c ? 1 : 0) + 0.3 * s + gaussian(),
          ),
        });
    }),
  );
  return {
    ids: rows.map((_, i) => `u${i}`),
    speakers: rows.map((r) => r.speaker),
    emotions: rows.map((r) => r.emotion),
    sessions: rows.map(() => ''),
    features: Float32Array.from(rows.flatMap((r) => r.values)),
    dimension,
    classNames,
    spec: {
      name: 'synthetic-test',
      version: '1',
      params: {},
      dimensionNames: Array.from({ length: dimension }, (_, d) => `f${d}`),
    },
    corpus: { source: 'synthetic', task: 'custom', createdAt: '2026-01-01T00:00:00.000Z' },
  };
}

/** A free TCP port on 127.0.0.1 (so a restarted coordinator can come back on the same one). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `probe` every 50 ms until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface AdminStatus {
  round: { round: number; kind: string; state: string; baseVersion: number; participants: string[] } | null;
  acceptedSites: string[];
  droppedSites: string[];
  connectedSites: string[];
  latestVersion: { version: number; weightsSha256: string; sites: string[] } | null;
  trainingRoundsDone: number;
  finished: boolean;
}

export async function adminStatus(url: string, adminKeyPath: string): Promise<AdminStatus> {
  return (await adminGet(url, adminKeyPath, '/admin/status')) as AdminStatus;
}

export async function adminGet(url: string, adminKeyPath: string, path: string): Promise<unknown> {
  const keys = await readKeyFile(adminKeyPath);
  const response = await fetch(`${url}${path}`, {
    headers: {
      [AUTH_HEADER]: signRequest({ role: 'admin', id: encodeKey(keys.publicKey), method: 'GET', path }, keys.secretKey),
    },
  });
  if (!response.ok) throw new Error(`admin ${path}: HTTP ${response.status}`);
  return response.json();
}

/** Uploads an update as a site would (for attack tests); returns the HTTP status and reply. */
export async function uploadUpdate(
  url: string,
  round: number,
  fields: {
    siteId: string;
    baseVersion: number;
    tensors: NamedTensor[];
    keys: KeyPair;
    signWith?: KeyPair;
    nonce?: string;
  },
): Promise<{
  status: number;
  body: { code?: string; message?: string; duplicate?: boolean };
  envelope: string;
  payload: Uint8Array;
}> {
  const payload = encodeSafetensors(fields.tensors, {});
  const header: UpdateHeader = {
    siteId: fields.siteId,
    round,
    baseVersion: fields.baseVersion,
    numExamples: 10,
    sha256: createHash('sha256').update(payload).digest('hex'),
    metrics: {},
    nonce: fields.nonce ?? randomBytes(16).toString('hex'),
    time: new Date().toISOString(),
  };
  const envelope = Buffer.from(
    JSON.stringify({
      header,
      signature: signBytes(canonicalBytes(header), (fields.signWith ?? fields.keys).secretKey),
    }),
  ).toString('base64');
  return { ...(await sendRaw(url, round, envelope, payload)), envelope, payload };
}

export async function sendRaw(
  url: string,
  round: number,
  envelope: string,
  payload: Uint8Array,
): Promise<{ status: number; body: { code?: string; message?: string; duplicate?: boolean } }> {
  const response = await fetch(`${url}/rounds/${round}/updates`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', [PROTOCOL.updateHeader]: envelope },
    body: payload,
  });
  return { status: response.status, body: (await response.json()) as { code?: string; message?: string } };
}

/**
 * A site the test drives by hand over a real socket.io session: it answers statistics rounds with
 * real moments and training rounds with a zero update, unless told to hold a round (so the test
 * can act while the round is open), and it records every announcement it receives.
 */
export class ManualSite {
  readonly announcements: RoundAnnouncement[] = [];
  readonly held = new Set<number>();
  private readonly socket: Socket;
  readonly accepted = new Map<number, { envelope: string; payload: Uint8Array }>();

  constructor(
    private readonly url: string,
    readonly siteId: string,
    readonly keys: KeyPair,
    private readonly data: FeatureSet,
    private readonly architecture: {
      noiseDimension: number;
      hiddenUnits: number[];
      classCount: number;
      outputDimension: number;
    },
  ) {
    this.socket = io(url, {
      path: PROTOCOL.socketPath,
      transports: ['websocket'],
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
      auth: (cb) =>
        cb({
          token: signRequest({ role: 'site', id: siteId, method: 'GET', path: PROTOCOL.socketPath }, keys.secretKey),
        }),
    });
    this.socket.on('round', (message: { body: RoundAnnouncement }) => {
      const announcement = message.body;
      if (this.announcements.some((a) => a.round === announcement.round)) return;
      this.announcements.push(announcement);
      if (!this.held.has(announcement.round)) void this.respond(announcement.round);
    });
  }

  announcement(round: number): RoundAnnouncement | undefined {
    return this.announcements.find((a) => a.round === round);
  }

  /** Sends this site's honest update for `round` (moments, or a zero Δ) and remembers it. */
  async respond(round: number): Promise<{ status: number; body: { code?: string } }> {
    const announcement = this.announcement(round)!;
    const payload =
      announcement.kind === 'statistics'
        ? statisticsPayload(this.data).payload
        : encodeSafetensors(
            initialGeneratorWeights(this.architecture, 0).map((t) => ({
              ...t,
              values: new Float32Array(t.values.length),
            })),
            {},
          );
    const update = prepareUpdate(
      {
        siteId: this.siteId,
        round,
        baseVersion: announcement.baseVersion,
        numExamples: this.data.ids.length,
        metrics: {},
      },
      payload,
      this.keys,
    );
    const envelope = Buffer.from(JSON.stringify(update.envelope)).toString('base64');
    const reply = await sendRaw(this.url, round, envelope, payload);
    if (reply.status === 200) this.accepted.set(round, { envelope, payload });
    return reply;
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * Cleanups that run after each test of the calling file, last first (errors ignored), and `track`,
 * which registers a process to be killed there.
 */
export function cleanupsAfterEach(): {
  readonly cleanups: (() => Promise<unknown>)[];
  track<T extends CliProcess>(process: T): T;
} {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  return {
    cleanups,
    track(process) {
      cleanups.push(async () => {
        process.child.kill('SIGKILL');
        await process.exited;
      });
      return process;
    },
  };
}
