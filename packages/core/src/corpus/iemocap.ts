import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import { requireEntries, type CorpusEntry, type CorpusListing } from './corpus-listing.js';

/** The usual 4-class task: excited merged into happy; everything else (fru, sur, xxx, …) dropped. */
const FOUR_CLASS: Readonly<Record<string, string>> = {
  neu: 'neutral',
  hap: 'happy',
  exc: 'happy',
  ang: 'angry',
  sad: 'sad',
};
const KNOWN_CODES = new Set(['neu', 'hap', 'exc', 'ang', 'sad', 'fru', 'fea', 'sur', 'dis', 'oth', 'xxx']);
const CLASS_NAMES = ['angry', 'happy', 'neutral', 'sad'] as const;

/** `[6.2901 - 8.2357]<TAB>Ses01F_impro01_F000<TAB>neu<TAB>[2.5000, 2.5000, 2.5000]` */
const UTTERANCE_LINE = /^\[[\d.]+\s*-\s*[\d.]+\]\t(\S+)\t(\S+)\t/;
/** Ses01F_impro01_F000 → session 01, speaker sex F (from the last part, not the dialog name). */
const UTTERANCE_ID = /^Ses(\d\d)[FM]_.+_([FM])\d+$/;

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function listSession(root: string, session: string): Promise<CorpusEntry[]> {
  const evaluationDir = join(root, `Session${session}`, 'dialog', 'EmoEvaluation');
  const files = (await readdir(evaluationDir, { withFileTypes: true }))
    .filter((f) => f.isFile() && f.name.endsWith('.txt') && !f.name.startsWith('.'))
    .map((f) => f.name)
    .sort();
  const entries: CorpusEntry[] = [];
  for (const file of files) {
    const path = join(evaluationDir, file);
    const dialog = file.slice(0, -4);
    // The release's annotation files are Latin-1.
    const lines = (await readFile(path, 'latin1')).split(/\r?\n/);
    for (const [lineIndex, line] of lines.entries()) {
      const match = UTTERANCE_LINE.exec(line);
      if (!match) continue;
      const [, utteranceId, code] = match as unknown as [string, string, string];
      const where = `${path} line ${lineIndex + 1}`;
      if (!KNOWN_CODES.has(code))
        throw new EmodistillError(
          ERROR_CODES.corpusLabel,
          `${where}: unknown emotion label "${code}"; expected one of ${[...KNOWN_CODES].join(', ')}`,
        );
      const emotion = FOUR_CLASS[code];
      if (!emotion) continue;
      const idMatch = UTTERANCE_ID.exec(utteranceId);
      if (!idMatch)
        throw new EmodistillError(
          ERROR_CODES.corpusLayout,
          `${where}: utterance id "${utteranceId}" is not of the form Ses01F_impro01_F000`,
        );
      entries.push({
        id: utteranceId,
        audioPath: join(root, `Session${session}`, 'sentences', 'wav', dialog, `${utteranceId}.wav`),
        emotion,
        speaker: `Ses${idMatch[1]}${idMatch[2]}`,
        session,
      });
    }
  }
  return entries;
}

/**
 * Lists IEMOCAP_full_release (Session1..5/dialog/EmoEvaluation/*.txt + sentences/wav/…) for the
 * usual 4-class task; session number = fold.
 */
export async function listIemocap(root: string): Promise<CorpusListing> {
  const sessions: string[] = [];
  for (let n = 1; n <= 5; n++) if (await isDirectory(join(root, `Session${n}`))) sessions.push(String(n));
  if (sessions.length === 0) {
    throw new EmodistillError(
      ERROR_CODES.corpusLayout,
      `${root}: no Session1..Session5 folders; point at the IEMOCAP_full_release folder`,
    );
  }
  const entries: CorpusEntry[] = [];
  for (const session of sessions) {
    const evaluationDir = join(root, `Session${session}`, 'dialog', 'EmoEvaluation');
    if (!(await isDirectory(evaluationDir)))
      throw new EmodistillError(
        ERROR_CODES.corpusLayout,
        `${evaluationDir}: missing (expected the release's dialog/EmoEvaluation folder)`,
      );
    entries.push(...(await listSession(root, session)));
  }
  requireEntries(entries, root);
  return { source: 'iemocap', task: '4class', classNames: CLASS_NAMES, entries };
}
