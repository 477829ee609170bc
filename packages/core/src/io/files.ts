import { readFile, rename, writeFile } from 'node:fs/promises';

/** Writes through a temporary file and a rename, so a crash never leaves a half-written file. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}

/**
 * Reads a whole file; a failure becomes the caller's error, built from a short reason
 * ("file not found" or the system message).
 */
export async function readFileOrFail(
  path: string,
  fail: (reason: string, cause: unknown) => Error,
): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw fail((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message, error);
  }
}
