import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import { requireEntries, type CorpusEntry, type CorpusListing } from './corpus-listing.js';

/** Official EmoDB emotion letters (Burkhardt et al. 2005). Some public CSVs map F wrongly. */
export const EMODB_EMOTIONS = {
  W: 'anger',
  L: 'boredom',
  E: 'disgust',
  A: 'fear',
  F: 'happiness',
  T: 'sadness',
  N: 'neutral',
} as const;

export type EmodbTask = '7class' | '4class';

const CLASSES: Record<EmodbTask, readonly string[]> = {
  '7class': ['anger', 'boredom', 'disgust', 'fear', 'happiness', 'neutral', 'sadness'],
  '4class': ['anger', 'happiness', 'neutral', 'sadness'],
};

/** Speaker id → sex, from the EmoDB documentation (used to balance folds by sex). */
export const EMODB_SPEAKER_SEX: Readonly<Record<string, 'f' | 'm'>> = {
  '03': 'm',
  '08': 'f',
  '09': 'f',
  '10': 'm',
  '11': 'm',
  '12': 'm',
  '13': 'f',
  '14': 'f',
  '15': 'm',
  '16': 'f',
};

/** `03a01Fa.wav`: speaker 03, text a01, emotion letter F, version a. */
const FILE_NAME = /^(\d\d)([ab]\d\d)([A-Z])([a-z])\.wav$/i;

/** Lists the official EmoDB `wav/` folder; labels and speakers come from the file names. */
export async function listEmodb(wavDir: string, task: EmodbTask): Promise<CorpusListing> {
  let names: string[];
  try {
    names = (await readdir(wavDir)).filter((name) => name.toLowerCase().endsWith('.wav')).sort();
  } catch (error) {
    throw new EmodistillError(
      ERROR_CODES.corpusLayout,
      `cannot list EmoDB folder ${wavDir}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const classes = new Set(CLASSES[task]);
  const entries: CorpusEntry[] = [];
  for (const name of names) {
    const match = FILE_NAME.exec(name);
    if (!match) {
      throw new EmodistillError(
        ERROR_CODES.corpusLayout,
        `${join(wavDir, name)}: not an EmoDB file name (expected e.g. 03a01Fa.wav)`,
      );
    }
    const [, speaker, , letter] = match;
    const emotion = EMODB_EMOTIONS[letter!.toUpperCase() as keyof typeof EMODB_EMOTIONS];
    if (!emotion) {
      throw new EmodistillError(
        ERROR_CODES.corpusLabel,
        `${join(wavDir, name)}: unknown emotion letter "${letter}"; expected one of ${Object.keys(EMODB_EMOTIONS).join(', ')}`,
      );
    }
    if (!classes.has(emotion)) continue;
    entries.push({ id: name.slice(0, -4), audioPath: join(wavDir, name), emotion, speaker: speaker!, session: '' });
  }
  requireEntries(entries, wavDir);
  return { source: 'emodb', task, classNames: CLASSES[task], entries };
}
