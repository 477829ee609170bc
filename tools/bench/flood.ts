/**
 * `npm run bench:flood`: unauthenticated upload floods against a real coordinator process.
 * N concurrent PUTs of a forged update header with a large body each (default 1, 4, 8 × 60 MiB,
 * every byte sent); prints each reply's status and the coordinator's peak RSS (VmHWM) after each
 * wave. The coordinator must answer from the signed header alone, never buffering such a body.
 *
 * Usage: npm run bench:flood -- [--waves 1,4,8] [--mib 60] [--json out.json]
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  canonicalBytes,
  encodeKey,
  generateKeyPair,
  PROTOCOL,
  signBytes,
  writeKeyFile,
  type UpdateHeader,
} from '@emodistill/core';
import { spawnCoordinator } from '@emodistill/harness';

const { values } = parseArgs({
  options: {
    waves: { type: 'string', default: '1,4,8' },
    mib: { type: 'string', default: '60' },
    json: { type: 'string' },
  },
});
const waves = values.waves.split(',').map(Number);
const bodyBytes = Number(values.mib) * 1024 * 1024;

const peakRssMb = (pid: number): number =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** An update header of allow-listed `siteId`, signed with a key that is not the site's. */
function forgedHeader(siteId: string): string {
  const header: UpdateHeader = {
    siteId,
    round: 0,
    baseVersion: 0,
    numExamples: 10,
    sha256: '0'.repeat(64),
    metrics: {},
    nonce: randomBytes(16).toString('hex'),
    time: new Date().toISOString(),
  };
  return Buffer.from(
    JSON.stringify({ header, signature: signBytes(canonicalBytes(header), generateKeyPair().secretKey) }),
  ).toString('base64');
}

/** Sends the whole body in 1 MiB chunks (as an attacker would, reply or not); resolves with the status. */
function flood(url: URL): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const put = request({
      host: url.hostname,
      port: url.port,
      method: 'PUT',
      path: '/rounds/0/updates',
      agent: false,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(bodyBytes),
        [PROTOCOL.updateHeader]: forgedHeader('site-1'),
      },
    });
    let status = 0;
    put.on('response', (response) => {
      status = response.statusCode ?? 0;
      response.resume();
    });
    // The coordinator answers from the header and closes the connection: writes after that fail (EPIPE).
    put.on('socket', (socket) => socket.on('error', () => undefined));
    put.on('error', (error: NodeJS.ErrnoException) => (status ? resolve(status) : reject(error)));
    put.on('close', () => resolve(status));
    let sent = 0;
    const pump = (): void => {
      while (sent < bodyBytes && !put.destroyed) {
        sent += chunk.length;
        if (!put.write(chunk)) return void put.once('drain', pump);
      }
      put.end();
    };
    pump();
  });
}

const dir = await mkdtemp(join(tmpdir(), 'emodistill-flood-'));
try {
  const admin = generateKeyPair();
  await writeKeyFile(join(dir, 'coordinator.key'), generateKeyPair());
  const config = {
    listen: { host: '127.0.0.1', port: 0 },
    dataDir: 'data',
    keyFile: 'coordinator.key',
    adminPublicKeys: [encodeKey(admin.publicKey)],
    sites: [{ id: 'site-1', publicKey: encodeKey(generateKeyPair().publicKey) }],
    model: { classNames: ['angry', 'happy', 'neutral', 'sad'], featureDimension: 224 },
  };
  await writeFile(join(dir, 'coordinator.json'), JSON.stringify(config));
  const coordinator = await spawnCoordinator(join(dir, 'coordinator.json'), join(dir, 'coordinator.log'));
  const pid = coordinator.child.pid!;
  const url = new URL(coordinator.url);
  const report = {
    bodyMiB: Number(values.mib),
    idlePeakRssMb: peakRssMb(pid),
    waves: [] as { concurrent: number; statuses: number[]; seconds: number; peakRssMb: number }[],
  };
  console.log(`coordinator idle: peak RSS ${report.idlePeakRssMb.toFixed(0)} MB`);
  for (const concurrent of waves) {
    const started = performance.now();
    const statuses = await Promise.all(Array.from({ length: concurrent }, () => flood(url)));
    const wave = { concurrent, statuses, seconds: (performance.now() - started) / 1000, peakRssMb: peakRssMb(pid) };
    report.waves.push(wave);
    console.log(
      `${concurrent} × ${values.mib} MiB forged uploads: replies ${[...new Set(statuses)].join(',')} in ${wave.seconds.toFixed(1)} s; coordinator peak RSS ${wave.peakRssMb.toFixed(0)} MB`,
    );
  }
  coordinator.child.kill('SIGTERM');
  await coordinator.exited;
  if (values.json) await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
