import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server } from 'socket.io';
import {
  encodeKey,
  generateKeyPair,
  PROTOCOL,
  writeFeatureSet,
  writeKeyFile,
  type FeatureSet,
  type KeyPair,
} from '@emodistill/core';
import type { SiteConfig } from '../src/index.js';

/** The feature space of the stand-in federation: two classes, three dimensions. */
export const SPEC = { name: 'test', version: '1', params: {}, dimensionNames: ['a', 'b', 'c'] };

function tinyFeatureSet(): FeatureSet {
  const rows = 8;
  return {
    ids: Array.from({ length: rows }, (_, i) => `u${i}`),
    speakers: Array.from({ length: rows }, (_, i) => `s${i % 2}`),
    emotions: Array.from({ length: rows }, (_, i) => (i % 2 === 0 ? 'angry' : 'sad')),
    sessions: Array.from({ length: rows }, () => ''),
    features: Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(i)),
    dimension: 3,
    classNames: ['angry', 'sad'],
    spec: SPEC,
    corpus: { source: 'test', task: 'custom', createdAt: new Date(0).toISOString() },
  };
}

export interface StandIn {
  readonly dir: string;
  readonly io: Server;
  readonly coordinatorKeys: KeyPair;
  /** A site config for site "lab-a" of this coordinator, its key and feature set written in `dir`. */
  readonly siteConfig: SiteConfig;
}

/**
 * A coordinator reduced to what a site-agent test needs: socket.io (and `http`, when given) on
 * 127.0.0.1 with its own key, and a site's key and small feature set in a temporary folder.
 * `cleanups` receives what to undo after the test.
 */
export async function startStandInCoordinator(
  cleanups: (() => Promise<unknown>)[],
  http?: RequestListener,
): Promise<StandIn> {
  const dir = await mkdtemp(join(tmpdir(), 'emodistill-site-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const coordinatorKeys = generateKeyPair();
  await writeKeyFile(join(dir, 'site.key'), generateKeyPair());
  await writeFeatureSet(join(dir, 'site.arrow'), tinyFeatureSet());
  const server = createServer(http);
  const io = new Server(server, { path: PROTOCOL.socketPath });
  cleanups.push(() => new Promise((resolve) => io.close(resolve)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    dir,
    io,
    coordinatorKeys,
    siteConfig: {
      siteId: 'lab-a',
      keyFile: join(dir, 'site.key'),
      coordinator: {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        publicKey: encodeKey(coordinatorKeys.publicKey),
      },
      features: join(dir, 'site.arrow'),
      auditHoldoutSpeakers: [],
      backend: 'cpu',
      compute: 'auto',
      privacy: { ledger: join(dir, 'privacy-ledger.json') },
    },
  };
}
