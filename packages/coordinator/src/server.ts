import { readFile } from 'node:fs/promises';
import { readKeyFile } from '@emodistill/core/federation';
import type { FastifyBaseLogger } from 'fastify';
import { buildCoordinatorApp, type CoordinatorApp } from './app.js';
import type { CoordinatorConfig } from './config.js';
import { COORDINATOR_ERRORS, CoordinatorError } from './errors.js';
import { openStore, type CoordinatorStore } from './store/store.js';

export interface RunningCoordinator extends CoordinatorApp {
  /** e.g. http://127.0.0.1:8470 (the real port when the config asked for 0). */
  readonly url: string;
  close(): Promise<void>;
}

/** SQLite's result codes for a database file it cannot open, write or read as one. */
const UNUSABLE_DATABASE = /^SQLITE_(CANTOPEN|READONLY|PERM|NOTADB|CORRUPT|FULL|IOERR)/;

/** Opens the store in `dataDir`; a folder or database the operator must fix is a coded error naming it. */
function openDataDir(dataDir: string): CoordinatorStore {
  try {
    return openStore(dataDir);
  } catch (error) {
    const { code, syscall } = error as NodeJS.ErrnoException;
    if (!syscall && !UNUSABLE_DATABASE.test(code ?? '')) throw error;
    throw new CoordinatorError(
      COORDINATOR_ERRORS.dataDirUnusable,
      `dataDir ${dataDir} cannot hold the coordinator's store: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Opens the store, seeds the allow-list from the config, listens and resumes rounds. */
export async function startCoordinator(
  config: CoordinatorConfig,
  logger?: FastifyBaseLogger,
): Promise<RunningCoordinator> {
  const keys = await readKeyFile(config.keyFile);
  const readPem = async (path: string): Promise<Buffer> =>
    readFile(path).catch((error: Error) => {
      const message = `cannot read TLS file ${path}: ${error.message}`;
      throw new CoordinatorError(COORDINATOR_ERRORS.tlsFileUnreadable, message, { cause: error });
    });
  const tls = config.tls && { cert: await readPem(config.tls.certFile), key: await readPem(config.tls.keyFile) };
  const store = openDataDir(config.dataDir);
  for (const site of config.sites) store.seedSite(site.id, site.publicKey);
  const coordinator = buildCoordinatorApp({ store, config, keys, ...(logger && { logger }), ...(tls && { tls }) });
  const { host, port } = config.listen;
  const address = await coordinator.app.listen({ host, port }).catch(async (error: NodeJS.ErrnoException) => {
    await coordinator.app.close().catch(() => undefined);
    if (!error.syscall) throw error;
    const hint = error.code === 'EADDRINUSE' ? '; another process listens there: stop it or choose another port' : '';
    throw new CoordinatorError(
      COORDINATOR_ERRORS.listenFailed,
      `cannot listen on ${host}:${port} (listen in the config): ${error.message}${hint}`,
      { cause: error },
    );
  });
  coordinator.runner.resume();
  return { ...coordinator, url: address, close: () => coordinator.app.close() };
}
