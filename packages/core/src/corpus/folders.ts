import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import { requireEntries, resolveClassNames, type CorpusEntry, type CorpusListing } from './corpus-listing.js';

export interface FoldersImportOptions {
  /** Regular expression on the file name whose first capture group (or whole match) is the speaker. */
  readonly speakerRegex: string;
  /** Allowed emotion folders in model order; default: every sub-folder, sorted. */
  readonly classes?: readonly string[];
}

/** Lists a tree with one sub-folder per emotion holding WAV files. */
export async function listFolders(root: string, options: FoldersImportOptions): Promise<CorpusListing> {
  let pattern: RegExp;
  try {
    pattern = new RegExp(options.speakerRegex);
  } catch (error) {
    throw new EmodistillError(
      ERROR_CODES.invalidOption,
      `--speaker-regex "${options.speakerRegex}" is not a valid regular expression: ${(error as Error).message}`,
    );
  }
  let folders: string[];
  try {
    folders = (await readdir(root, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
  } catch (error) {
    throw new EmodistillError(ERROR_CODES.corpusLayout, `cannot list ${root}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const classNames = resolveClassNames(folders, options.classes, (i) => join(root, folders[i]!));
  const entries: CorpusEntry[] = [];
  for (const emotion of folders) {
    const files = (await readdir(join(root, emotion))).filter((name) => name.toLowerCase().endsWith('.wav')).sort();
    for (const file of files) {
      const match = pattern.exec(file);
      const speaker = match?.[1] ?? match?.[0];
      if (!speaker) {
        throw new EmodistillError(
          ERROR_CODES.corpusLayout,
          `${join(root, emotion, file)}: --speaker-regex ${pattern} does not match this file name`,
        );
      }
      entries.push({
        id: `${emotion}/${file.slice(0, -4)}`,
        audioPath: join(root, emotion, file),
        emotion,
        speaker,
        session: '',
      });
    }
  }
  requireEntries(entries, root);
  return { source: 'folders', task: 'custom', classNames, entries };
}
