import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A worker thread's module for piscina, and how to clean up after it. */
export interface WorkerModule {
  readonly filename: string;
  readonly dispose: () => Promise<void>;
}

/**
 * The worker module `name` next to the calling module (`callerUrl`): `name.js` in the built dist.
 * Run from source (vitest, tsx), `name.ts` is bundled with esbuild (a dev dependency: dist never
 * runs this) first, since Node 20 applies no TypeScript loader inside worker threads. Packages stay
 * external and the bundle goes under node_modules/.cache, so they resolve as they do here (tfjs's
 * WASM backend finds its .wasm files next to its own module).
 */
export async function resolveWorkerModule(callerUrl: string, name: string): Promise<WorkerModule> {
  if (!callerUrl.endsWith('.ts'))
    return { filename: fileURLToPath(new URL(`./${name}.js`, callerUrl)), dispose: async () => {} };
  const require = createRequire(callerUrl);
  const { build } = await import('esbuild');
  const cache = join(dirname(dirname(require.resolve('esbuild/package.json'))), '.cache');
  await mkdir(cache, { recursive: true });
  const dir = await mkdtemp(join(cache, `emodistill-${name}-`));
  const outfile = join(dir, `${name}.mjs`);
  try {
    await build({
      entryPoints: [fileURLToPath(new URL(`./${name}.ts`, callerUrl))],
      outfile,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { filename: outfile, dispose: () => rm(dir, { recursive: true, force: true }) };
}
