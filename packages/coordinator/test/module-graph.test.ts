import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * Imports the built coordinator in a fresh node process with a resolve hook that records every
 * module it loads: the design's "the coordinator never needs the training code", checked on the
 * module graph a deployment really loads (dist, default conditions).
 */
const RECORD_MODULES = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
  export async function resolve(specifier, context, next) {
    const resolved = await next(specifier, context);
    process.stdout.write(resolved.url + '\\\\n');
    return resolved;
  }\`));
await import('@emodistill/coordinator');
`;

describe('the coordinator module graph', () => {
  it('loads no tfjs and no native GEMM, only core’s federation layer', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', RECORD_MODULES], {
      cwd: new URL('..', import.meta.url),
    });
    const urls = stdout.split('\n').filter(Boolean);
    expect(urls.some((url) => url.includes('/packages/coordinator/dist/index.js'))).toBe(true);
    expect(urls.some((url) => url.includes('/packages/core/dist/federation.js'))).toBe(true);
    expect(urls.filter((url) => /@tensorflow|onnxruntime|core\/dist\/(learning|speech|index)\.js/.test(url))).toEqual(
      [],
    );
  });
});
