import { basename, dirname, extname, resolve } from 'node:path';
import { readManifestTable } from './manifest-table.js';
import { requireEntries, resolveClassNames, type CorpusListing } from './corpus-listing.js';

export interface ManifestImportOptions {
  /** Allowed emotion labels in model order; default: the sorted distinct labels. */
  readonly classes?: readonly string[];
}

/** Lists a CSV/JSONL manifest with columns path, emotion, speaker and optional session, id. */
export async function listManifest(manifestPath: string, options: ManifestImportOptions = {}): Promise<CorpusListing> {
  const table = await readManifestTable(manifestPath, ['path', 'emotion', 'speaker']);
  const baseDir = dirname(resolve(manifestPath));
  const entries = table.rows.map((row) => ({
    id: row.id || basename(row.path!, extname(row.path!)),
    audioPath: resolve(baseDir, row.path!),
    emotion: row.emotion!,
    speaker: row.speaker!,
    session: row.session ?? '',
  }));
  requireEntries(entries, manifestPath);
  const classNames = resolveClassNames(
    entries.map((e) => e.emotion),
    options.classes,
    table.rowLabel,
  );
  return { source: 'manifest', task: 'custom', classNames, entries };
}
