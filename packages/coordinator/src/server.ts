import { readFile } from 'node:fs/promises';
import { EmodistillError, ERROR_CODES, readKeyFile } from '@emodistill/core/federation';
import type { FastifyBaseLogger } from 'fastify';
import { buildCoordinatorApp, type CoordinatorApp } from './app.js';
import type { CoordinatorConfig } from './config.js';
import { openStore } from './store/store.js';

export interface RunningCoordinator extends CoordinatorApp {
  /** e.g. http://127.0.0.1:8470 (the real port when the config asked for 0). */
  readonly url: string;
  close(): Promise<void>;
}

/** Opens the store, seeds the allow-list from the config, listens and resumes rounds. */
export async function startCoordinator(
  config: CoordinatorConfig,
  logger?: FastifyBaseLogger,
): Promise<RunningCoordinator> {
  const keys = await readKeyFile(config.keyFile);
  const readPem = async (path: string): Promise<Buffer> =>
    readFile(path).catch((error: Error) => {
      throw new EmodistillError(ERROR_CODES.invalidOption, `cannot read TLS file ${path}: ${error.message}`);
    });
  const tls = config.tls && { cert: await readPem(config.tls.certFile), key: await readPem(config.tls.keyFile) };
  const store = openStore(config.dataDir);
  for (const site of config.sites) store.seedSite(site.id, site.publicKey);
  const coordinator = buildCoordinatorApp({ store, config, keys, ...(logger && { logger }), ...(tls && { tls }) });
  const address = await coordinator.app.listen({ host: config.listen.host, port: config.listen.port });
  coordinator.runner.resume();
  return { ...coordinator, url: address, close: () => coordinator.app.close() };
}
